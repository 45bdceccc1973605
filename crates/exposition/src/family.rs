//! Metric families: a whole exposition gathered into memory.
//!
//! The streaming [`Parser`](crate::Parser) is what scraping uses; families
//! are for the places that need the whole picture: the encoders, `vigil tool
//! check metrics`, the Pushgateway and round-trip tests. A family keeps its
//! samples flat (one per series line, e.g. `_bucket`, `_sum`, `_count` of a
//! histogram each as their own sample), which is how every format but
//! protobuf writes them and how the TSDB stores them.

use vigil_model::{Exemplar, FloatHistogram, Histogram, Labels, LabelsBuilder, MetricType};

use crate::error::ParseError;
use crate::parser::{Entry, Parser};

/// The value of one sample in a family.
#[derive(Debug, Clone, PartialEq)]
pub enum SampleValue {
    /// A float value.
    Float(f64),
    /// A native histogram with integer counts.
    Histogram(Histogram),
    /// A native histogram with float counts.
    FloatHistogram(FloatHistogram),
}

/// One sample line (or native histogram) of a family.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilySample {
    /// Every label of the series, `__name__` included.
    pub labels: Labels,
    /// The value.
    pub value: SampleValue,
    /// Timestamp in milliseconds, if the exposition gave one.
    pub timestamp: Option<i64>,
    /// Exemplars attached to this sample (text formats allow at most one).
    pub exemplars: Vec<Exemplar>,
    /// Created timestamp in milliseconds, when the format carries it out of band (protobuf).
    pub created_timestamp: Option<i64>,
}

/// A metric family: metadata and the samples that belong to it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricFamily {
    /// The family name as declared (for OpenMetrics counters, without `_total`).
    pub name: String,
    /// The declared type ([`MetricType::Unknown`] when there was no `# TYPE`).
    pub kind: MetricType,
    /// Help text, if declared.
    pub help: Option<String>,
    /// Unit, if declared (OpenMetrics only).
    pub unit: Option<String>,
    /// Samples in exposition order.
    pub samples: Vec<FamilySample>,
}

/// The metric-name suffixes a family of type `kind` may add to its name.
pub fn allowed_suffixes(kind: MetricType) -> &'static [&'static str] {
    match kind {
        MetricType::Counter => &["_total", "_created"],
        MetricType::Summary => &["_sum", "_count", "_created"],
        MetricType::Histogram => &["_bucket", "_sum", "_count", "_created"],
        // OpenMetrics writes `_gsum`/`_gcount`; the protobuf parser, like
        // Prometheus', names a gauge histogram's classic series `_sum`/`_count`.
        MetricType::GaugeHistogram => &["_bucket", "_gsum", "_gcount", "_sum", "_count"],
        MetricType::Info => &["_info"],
        MetricType::Gauge | MetricType::StateSet | MetricType::Unknown => &[],
    }
}

/// Whether a sample named `metric` belongs to a family `family` of type `kind`.
pub fn belongs_to(family: &str, kind: MetricType, metric: &str) -> bool {
    match metric.strip_prefix(family) {
        Some("") => true,
        Some(rest) => allowed_suffixes(kind).contains(&rest),
        None => false,
    }
}

impl MetricFamily {
    fn named(name: &str) -> MetricFamily {
        MetricFamily {
            name: name.to_string(),
            ..MetricFamily::default()
        }
    }

    /// A family with help text and samples: how the self-metrics of every
    /// component are built before a `/metrics` handler encodes them.
    pub fn with_samples(
        name: &str,
        kind: MetricType,
        help: &str,
        samples: Vec<FamilySample>,
    ) -> MetricFamily {
        MetricFamily {
            name: name.to_string(),
            kind,
            help: Some(help.to_string()),
            unit: None,
            samples,
        }
    }
}

impl FamilySample {
    /// A float sample of the series `name{labels…}` without timestamp or
    /// exemplars (a self-metric's sample).
    pub fn float(name: &str, labels: &[(&str, &str)], value: f64) -> FamilySample {
        let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(labels.len() + 1);
        pairs.push(("__name__", name));
        pairs.extend_from_slice(labels);
        FamilySample {
            labels: Labels::from_pairs(&pairs),
            value: SampleValue::Float(value),
            timestamp: None,
            exemplars: Vec::new(),
            created_timestamp: None,
        }
    }
}

/// Reads every entry of `parser` and groups them into families, in order.
///
/// Metadata lines attach to the family being built when they name it and it
/// has no samples yet; otherwise they open a new family. A sample joins the
/// current family when its name is the family's name or the name plus a
/// suffix its type allows, and otherwise opens an untyped family of its own.
pub fn collect<P: Parser + ?Sized>(parser: &mut P) -> Result<Vec<MetricFamily>, ParseError> {
    let mut out: Vec<MetricFamily> = Vec::new();
    let mut builder = LabelsBuilder::new();
    while let Some(entry) = parser.next()? {
        match entry {
            Entry::Comment => {}
            Entry::Type | Entry::Help | Entry::Unit => {
                let name = match entry {
                    Entry::Type => parser.metric_type().0,
                    Entry::Help => parser.help().0,
                    _ => parser.unit().0,
                };
                let reuse = matches!(out.last(), Some(f) if f.name == name && f.samples.is_empty());
                if !reuse {
                    out.push(MetricFamily::named(name));
                }
                if let Some(fam) = out.last_mut() {
                    match entry {
                        Entry::Type => fam.kind = parser.metric_type().1,
                        Entry::Help => fam.help = Some(parser.help().1.to_string()),
                        _ => fam.unit = Some(parser.unit().1.to_string()),
                    }
                }
            }
            Entry::Series | Entry::Histogram => {
                parser.labels(&mut builder);
                let labels = builder.build();
                let (timestamp, value) = if entry == Entry::Series {
                    let (_, t, v) = parser.series();
                    (t, SampleValue::Float(v))
                } else {
                    let (_, t, h, fh) = parser.histogram();
                    let v = match (h, fh) {
                        (Some(h), _) => SampleValue::Histogram(h.clone()),
                        (None, Some(fh)) => SampleValue::FloatHistogram(fh.clone()),
                        (None, None) => SampleValue::Float(f64::NAN),
                    };
                    (t, v)
                };
                let created_timestamp = parser.created_timestamp();
                let mut exemplars = Vec::new();
                let mut ex = Exemplar::default();
                while parser.exemplar(&mut ex) {
                    exemplars.push(std::mem::take(&mut ex));
                }
                let metric = labels.metric_name().unwrap_or_default();
                let joins = matches!(out.last(), Some(f) if belongs_to(&f.name, f.kind, metric));
                if !joins {
                    out.push(MetricFamily::named(metric));
                }
                if let Some(fam) = out.last_mut() {
                    fam.samples.push(FamilySample {
                        labels,
                        value,
                        timestamp,
                        exemplars,
                        created_timestamp,
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_membership() {
        assert!(belongs_to("rpc", MetricType::Summary, "rpc_count"));
        assert!(!belongs_to("rpc", MetricType::Gauge, "rpc_count"));
        assert!(belongs_to("req", MetricType::Counter, "req_total"));
        assert!(belongs_to("req_total", MetricType::Counter, "req_total"));
        assert!(!belongs_to("req", MetricType::Counter, "request_total"));
    }
}
