//! Float samples, the staleness marker, and exemplars.

use crate::labels::Labels;

/// The bit pattern of the staleness marker: a NaN that no arithmetic produces.
/// A sample with this value says "the series ended here".
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Bit pattern of the ordinary NaN Prometheus writes for `NaN` values.
pub const NORMAL_NAN_BITS: u64 = 0x7ff8_0000_0000_0001;

/// The staleness marker as a float.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// Whether `v` is the staleness marker (and not some other NaN).
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// One float sample of a series: milliseconds since the epoch and a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Timestamp in milliseconds since the Unix epoch.
    pub t: i64,
    /// The value (may be the staleness marker).
    pub v: f64,
}

/// An exemplar: a sample of a traced event attached to a series sample.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Exemplar {
    /// Exemplar labels (e.g. `trace_id`); OpenMetrics limits them to 128 UTF-8 characters in total.
    pub labels: Labels,
    /// The exemplar's value.
    pub value: f64,
    /// Timestamp in milliseconds, if the exposition gave one.
    pub timestamp: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_marker_is_distinct_nan() {
        assert!(is_stale_nan(stale_nan()));
        assert!(stale_nan().is_nan());
        assert!(!is_stale_nan(f64::NAN));
        assert!(!is_stale_nan(f64::from_bits(NORMAL_NAN_BITS)));
    }
}
