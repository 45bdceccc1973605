//! Vigil's data model, shared by every other crate: no I/O happens here.
//!
//! - [`Labels`] / [`LabelsBuilder`]: the sorted label set that names a series,
//!   packed into one allocation because memory per series is what a TSDB pays for.
//! - [`Matcher`]: label matchers (`=`, `!=`, `=~`, `!~`) with fully anchored
//!   RE2-style regexes and fast paths for the common shapes.
//! - [`Sample`], the staleness marker ([`stale_nan`]), [`Exemplar`].
//! - [`Histogram`] / [`FloatHistogram`]: native histograms.
//! - [`MetricType`] / [`Metadata`]: what `# TYPE`, `# UNIT` and `# HELP` say.
//! - [`names`]: metric and label name validation and the UTF-8 escaping schemes.

pub mod civil;
pub mod fuzzing;
pub mod histogram;
pub mod labels;
pub mod matcher;
pub mod metadata;
pub mod names;
pub mod quote;
pub mod sample;

pub use histogram::{Bucket, HistogramError};
pub use histogram::{CounterResetHint, FloatHistogram, Histogram, Span};
pub use labels::{
    BUCKET_LABEL, Label, Labels, LabelsBuilder, LabelsIter, METRIC_NAME, QUANTILE_LABEL,
};
pub use matcher::{MatchType, Matcher, MatcherError};
pub use metadata::{Metadata, MetricType};
pub use names::ValidationScheme;
pub use names::{EscapingScheme, escape_name, unescape_name};
pub use sample::{Exemplar, Sample, is_stale_nan, stale_nan};
