//! Metric metadata: type, unit and help text of a metric family.

use std::fmt;

/// The type of a metric family, as declared by `# TYPE` or the protobuf type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetricType {
    /// A monotonically increasing counter.
    Counter,
    /// A value that can go up and down.
    Gauge,
    /// A (classic or native) histogram.
    Histogram,
    /// OpenMetrics gauge histogram.
    GaugeHistogram,
    /// A summary with quantiles.
    Summary,
    /// OpenMetrics info metric.
    Info,
    /// OpenMetrics state set.
    StateSet,
    /// No type given (`untyped` in the text format, `unknown` in OpenMetrics).
    #[default]
    Unknown,
}

impl MetricType {
    /// The name used by the Prometheus API and OpenMetrics (`unknown` for untyped).
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }

    /// Parses a type word from either text format (`untyped` and `unknown`
    /// both mean [`MetricType::Unknown`]).
    pub fn parse(s: &str) -> Option<MetricType> {
        Some(match s {
            "counter" => MetricType::Counter,
            "gauge" => MetricType::Gauge,
            "histogram" => MetricType::Histogram,
            "gaugehistogram" => MetricType::GaugeHistogram,
            "summary" => MetricType::Summary,
            "info" => MetricType::Info,
            "stateset" => MetricType::StateSet,
            "unknown" | "untyped" => MetricType::Unknown,
            _ => return None,
        })
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known about a metric family besides its samples.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    /// The family's type.
    pub kind: MetricType,
    /// The unit (OpenMetrics `# UNIT`), empty if none.
    pub unit: String,
    /// The help text, empty if none.
    pub help: String,
}
