//! Native histograms: sparse exponential buckets (schemas -4..=8) and custom
//! buckets (schema -53), in integer and float flavours.
//!
//! Bucket counts are stored the way the TSDB chunk and protobuf formats carry
//! them: spans of consecutive populated buckets, and for [`Histogram`] each
//! bucket count as a delta to the previous one.
//!
//! Semantics follow Prometheus 3.x `model/histogram/` (`histogram.go`,
//! `float_histogram.go`, `generic.go`); the native histogram specification is
//! at <https://prometheus.io/docs/specs/native_histograms/>.
//!
//! - `bounds`: bucket boundaries (`getBound`).
//! - [`iter`]: bucket iteration with boundaries ([`Bucket`], [`BucketIter`]).
//! - `validate`: `validate()` for both flavours ([`HistogramError`]).
//! - `ops`: resolution reduction, add/sub, scalar mul/div, counter-reset
//!   detection, compaction, equality.
//! - `format`: `Display` like Prometheus' `String()`.

mod bounds;
mod buckets;
pub mod error;
mod format;
pub mod iter;
mod ops;
mod validate;

pub use error::{HistogramError, Side};
pub use iter::{Bucket, BucketCount, BucketIter};

/// Schema number that marks custom (explicit) bucket boundaries.
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;
/// Smallest exponential schema.
pub const MIN_SCHEMA: i32 = -4;
/// Largest exponential schema.
pub const MAX_SCHEMA: i32 = 8;

/// What the producer says about a counter reset between this histogram and the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CounterResetHint {
    /// Nothing is known; a reset must be detected by comparing.
    #[default]
    Unknown,
    /// A counter reset happened.
    CounterReset,
    /// No counter reset happened.
    NotCounterReset,
    /// This is a gauge histogram, where resets make no sense.
    Gauge,
}

/// A run of `length` consecutive buckets starting `offset` buckets after the
/// end of the previous span (or after index 0 for the first span).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Gap to the previous span, in buckets (may be negative for the first span).
    pub offset: i32,
    /// Number of consecutive buckets.
    pub length: u32,
}

/// A native histogram with integer counts; bucket counts are deltas.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Histogram {
    /// Counter-reset hint.
    pub counter_reset_hint: CounterResetHint,
    /// Resolution: bucket boundaries grow by 2^(2^-schema); -53 means custom buckets.
    pub schema: i32,
    /// Width of the zero bucket (observations with |v| <= this).
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: u64,
    /// Total observations.
    pub count: u64,
    /// Sum of observations.
    pub sum: f64,
    /// Spans of populated positive buckets.
    pub positive_spans: Vec<Span>,
    /// Spans of populated negative buckets.
    pub negative_spans: Vec<Span>,
    /// Positive bucket counts, each a delta to the previous bucket.
    pub positive_buckets: Vec<i64>,
    /// Negative bucket counts, each a delta to the previous bucket.
    pub negative_buckets: Vec<i64>,
    /// Upper bounds of custom buckets (schema -53 only).
    pub custom_values: Vec<f64>,
}

/// A native histogram with float counts; bucket counts are absolute.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FloatHistogram {
    /// Counter-reset hint.
    pub counter_reset_hint: CounterResetHint,
    /// Resolution; see [`Histogram::schema`].
    pub schema: i32,
    /// Width of the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: f64,
    /// Total observations.
    pub count: f64,
    /// Sum of observations.
    pub sum: f64,
    /// Spans of populated positive buckets.
    pub positive_spans: Vec<Span>,
    /// Spans of populated negative buckets.
    pub negative_spans: Vec<Span>,
    /// Absolute positive bucket counts.
    pub positive_buckets: Vec<f64>,
    /// Absolute negative bucket counts.
    pub negative_buckets: Vec<f64>,
    /// Upper bounds of custom buckets (schema -53 only).
    pub custom_values: Vec<f64>,
}

impl Histogram {
    /// Whether the histogram uses custom bucket boundaries (schema -53).
    pub fn uses_custom_buckets(&self) -> bool {
        self.schema == CUSTOM_BUCKETS_SCHEMA
    }

    /// Converts to a [`FloatHistogram`], turning bucket deltas into absolute
    /// counts. Like Prometheus' `ToFloat`, deltas are accumulated in floating
    /// point, and a custom-bucket histogram gets no zero bucket or negative
    /// buckets.
    pub fn to_float(&self) -> FloatHistogram {
        let absolute = |deltas: &[i64]| -> Vec<f64> {
            let mut acc = 0.0;
            deltas
                .iter()
                .map(|d| {
                    acc += *d as f64;
                    acc
                })
                .collect()
        };
        let custom = self.uses_custom_buckets();
        FloatHistogram {
            counter_reset_hint: self.counter_reset_hint,
            schema: self.schema,
            zero_threshold: if custom { 0.0 } else { self.zero_threshold },
            zero_count: if custom { 0.0 } else { self.zero_count as f64 },
            count: self.count as f64,
            sum: self.sum,
            positive_spans: self.positive_spans.clone(),
            negative_spans: if custom {
                Vec::new()
            } else {
                self.negative_spans.clone()
            },
            positive_buckets: absolute(&self.positive_buckets),
            negative_buckets: if custom {
                Vec::new()
            } else {
                absolute(&self.negative_buckets)
            },
            custom_values: if custom {
                self.custom_values.clone()
            } else {
                Vec::new()
            },
        }
    }
}

impl FloatHistogram {
    /// Whether the histogram uses custom bucket boundaries (schema -53).
    pub fn uses_custom_buckets(&self) -> bool {
        self.schema == CUSTOM_BUCKETS_SCHEMA
    }
}

#[cfg(test)]
mod invariants;
#[cfg(test)]
mod tests;
