//! The values a PromQL expression evaluates to, and the series shape that
//! storage hands to the engine.
//!
//! Floats and native histograms are kept in separate time-ordered lists
//! (as Prometheus' `promql.Series` does): a series may switch between the
//! two over time, but one timestamp holds one of them only.

use std::sync::Arc;

use vigil_model::{FloatHistogram, Labels};

/// One float sample of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FPoint {
    /// Milliseconds since the epoch.
    pub t: i64,
    /// The value.
    pub f: f64,
}

/// One native-histogram sample of a series. Shared because range
/// functions and lookback may hand the same histogram to many steps.
#[derive(Debug, Clone, PartialEq)]
pub struct HPoint {
    /// Milliseconds since the epoch.
    pub t: i64,
    /// The histogram (always in float form inside the engine).
    pub h: Arc<FloatHistogram>,
}

/// A series with its samples in time order: an element of a range vector,
/// and what storage returns for a selector.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// The label set.
    pub metric: Labels,
    /// Float samples, by increasing `t`.
    pub floats: Vec<FPoint>,
    /// Histogram samples, by increasing `t`.
    pub histograms: Vec<HPoint>,
    /// Set when the metric name is to be dropped at the end of evaluation
    /// (Prometheus 3.x delayed name removal).
    pub drop_name: bool,
}

/// One element of an instant vector: a float or a histogram at time `t`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The label set.
    pub metric: Labels,
    /// Milliseconds since the epoch.
    pub t: i64,
    /// The float value (ignored when `h` is set).
    pub f: f64,
    /// The histogram value, if this is a histogram sample.
    pub h: Option<Arc<FloatHistogram>>,
    /// See [`Series::drop_name`].
    pub drop_name: bool,
}

/// An instant vector.
pub type Vector = Vec<Sample>;

/// A range vector (or the result of a range query).
pub type Matrix = Vec<Series>;

/// The result of evaluating an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar at time `t`.
    Scalar {
        /// Milliseconds since the epoch.
        t: i64,
        /// The value.
        v: f64,
    },
    /// A string literal's value at time `t`.
    String {
        /// Milliseconds since the epoch.
        t: i64,
        /// The value.
        s: String,
    },
    /// An instant vector.
    Vector(Vector),
    /// A range vector, or every step of a range query.
    Matrix(Matrix),
}
