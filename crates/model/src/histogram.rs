//! Native histograms: sparse exponential buckets (schemas -4..=8) and custom
//! buckets (schema -53), in integer and float flavours.
//!
//! Bucket counts are stored the way the TSDB chunk and protobuf formats carry
//! them: spans of consecutive populated buckets, and for [`Histogram`] each
//! bucket count as a delta to the previous one.

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
