//! Self-metrics that belong to the process rather than to one library:
//! `prometheus_build_info`. (The web crate adds request, readiness, TSDB
//! and `process_*` metrics itself.)

use vigil_exposition::MetricFamily;

use super::config_source::gauge_with;

/// The version string the server reports (`prometheus_build_info`,
/// `status/buildinfo`).
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The toolchain, where Prometheus reports its Go version.
pub(crate) const TOOLCHAIN: &str = concat!("rust-", env!("CARGO_PKG_RUST_VERSION"));

/// `prometheus_build_info`: constant 1, labelled with the build.
pub(crate) fn build_info() -> MetricFamily {
    gauge_with(
        "prometheus_build_info",
        "A metric with a constant '1' value labeled by version, revision, branch, goversion from which prometheus was built, and the goos and goarch for the build.",
        &[
            ("branch", ""),
            ("goarch", std::env::consts::ARCH),
            ("goos", std::env::consts::OS),
            ("goversion", TOOLCHAIN),
            ("revision", ""),
            ("tags", "vigil"),
            ("version", VERSION),
        ],
        1.0,
    )
}

#[cfg(test)]
mod tests {
    use vigil_exposition::SampleValue;

    use super::*;

    #[test]
    fn build_info_is_one() {
        let f = build_info();
        assert_eq!(f.samples[0].value, SampleValue::Float(1.0));
        assert_eq!(f.samples[0].labels.get("version"), Some(VERSION));
    }
}
