//! `vigil tool`: the operator utilities promtool provides, as a library the
//! `vigil` binary calls into.
//!
//! - [`check_metrics`]: `vigil tool check metrics`, linting an exposition
//!   with the rules of [`promlint`] and counting series per family.

pub mod check_metrics;
pub mod error;
pub mod promlint;

pub use check_metrics::{CheckMetricsOptions, CheckMetricsReport};
pub use error::CheckMetricsError;
