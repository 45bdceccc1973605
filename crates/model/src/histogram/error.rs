//! Errors of native-histogram validation and arithmetic; the kinds mirror the
//! `ErrHistogram*` values of Prometheus' `model/histogram/generic.go`.

use std::fmt;

/// Which bucket side an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Positive buckets.
    Positive,
    /// Negative buckets.
    Negative,
    /// Bounds and spans of a custom-bucket histogram.
    Custom,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Positive => "positive side",
            Side::Negative => "negative side",
            Side::Custom => "custom buckets",
        })
    }
}

/// What is wrong with a histogram, or why an operation cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistogramError {
    /// Schema outside `-4..=8` and not `-53`.
    #[error(
        "histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema {0}"
    )]
    InvalidSchema(i32),
    /// A span other than the first has a negative offset (for custom
    /// buckets: any span).
    #[error(
        "{side}: span number {span} with offset {offset}: histogram has a span whose offset is negative"
    )]
    SpanNegativeOffset {
        /// Which buckets.
        side: Side,
        /// 1-based span number.
        span: usize,
        /// The offending offset.
        offset: i32,
    },
    /// The spans' lengths do not add up to the number of buckets.
    #[error(
        "{side}: spans need {need} buckets, have {have} buckets: histogram spans specify different number of buckets than provided"
    )]
    SpansBucketsMismatch {
        /// Which buckets.
        side: Side,
        /// Sum of span lengths.
        need: usize,
        /// Number of bucket counts.
        have: usize,
    },
    /// A bucket count (after delta decoding) is negative.
    #[error(
        "{side}: bucket number {bucket} has observation count of {count}: histogram has a bucket whose observation count is negative"
    )]
    NegativeBucketCount {
        /// Which buckets.
        side: Side,
        /// 1-based bucket number.
        bucket: usize,
        /// The negative count.
        count: f64,
    },
    /// The zero bucket's count is negative (float histograms).
    #[error(
        "zero bucket has observation count of {0}: histogram has a bucket whose observation count is negative"
    )]
    NegativeZeroCount(f64),
    /// The total count is negative (float histograms).
    #[error("observation count is {0}: histogram's observation count is negative")]
    NegativeCount(f64),
    /// With a NaN sum, `count` must be at least the sum of all buckets.
    #[error(
        "{buckets} observations found in buckets, but the Count field is {count}: histogram's observation count should be at least the number of observations found in the buckets"
    )]
    CountNotBigEnough {
        /// Observations in the buckets (zero bucket included).
        buckets: u64,
        /// The `count` field.
        count: u64,
    },
    /// Without NaN observations, `count` must equal the sum of all buckets.
    #[error(
        "{buckets} observations found in buckets, but the Count field is {count}: histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)"
    )]
    CountMismatch {
        /// Observations in the buckets (zero bucket included).
        buckets: u64,
        /// The `count` field.
        count: u64,
    },
    /// A custom bound is NaN.
    #[error("custom buckets: histogram custom bounds must not be NaN")]
    CustomBoundsNaN,
    /// Custom bounds are not strictly increasing.
    #[error(
        "custom buckets: previous bound is {prev} and current is {curr}: histogram custom bounds must be in strictly increasing order"
    )]
    CustomBoundsNotIncreasing {
        /// The earlier bound.
        prev: f64,
        /// The bound that is not larger.
        curr: f64,
    },
    /// The implicit `+Inf` bound was given explicitly.
    #[error(
        "custom buckets: last +Inf bound must not be explicitly defined: histogram custom bounds must be finite"
    )]
    CustomBoundsInfinite,
    /// Fewer custom bounds than the spans reach.
    #[error(
        "custom buckets: only {bounds} custom bounds defined which is insufficient to cover total span length of {needed}: histogram custom bounds are too few"
    )]
    CustomBoundsTooFew {
        /// Number of custom bounds.
        bounds: usize,
        /// Total span length, offsets included.
        needed: usize,
    },
    /// Custom-bucket histograms have no zero bucket.
    #[error("custom buckets: must have zero count of 0")]
    CustomBucketsZeroCount,
    /// Custom-bucket histograms have no zero bucket.
    #[error("custom buckets: must have zero threshold of 0")]
    CustomBucketsZeroThreshold,
    /// Custom-bucket histograms have no negative spans.
    #[error("custom buckets: must not have negative spans")]
    CustomBucketsNegativeSpans,
    /// Custom-bucket histograms have no negative buckets.
    #[error("custom buckets: must not have negative buckets")]
    CustomBucketsNegativeBuckets,
    /// `custom_values` is only allowed with schema -53.
    #[error("histogram with exponential schema must not have custom bounds")]
    ExponentialSchemaCustomBounds,
    /// An operation mixed exponential and custom-bucket histograms.
    #[error(
        "cannot apply this operation on histograms with a mix of exponential and custom bucket schemas"
    )]
    IncompatibleSchema,
    /// An operation mixed custom-bucket histograms with different bounds.
    #[error("cannot apply this operation on custom-bucket histograms with different custom bounds")]
    CustomBoundsMismatch,
    /// `reduce_resolution` was asked for something it cannot do.
    #[error("cannot reduce resolution from schema {from} to {to}")]
    CannotReduceResolution {
        /// Current schema.
        from: i32,
        /// Requested schema.
        to: i32,
    },
}
