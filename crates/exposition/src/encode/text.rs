//! Writer for the Prometheus text format 0.0.4, byte for byte as
//! client_golang's `expfmt.MetricFamilyToText` writes it (documented in
//! Prometheus' "Exposition formats" page).
//!
//! - `# HELP` (when the family has help) and `# TYPE` precede the samples;
//!   untyped, info and stateset families are `untyped`, gauge histograms
//!   `histogram` (the format has no gauge histogram).
//! - Values use Go's shortest float formatting; counts of summaries and
//!   histograms (`_count`, `_bucket`) are written as integers when they are
//!   integers, as client_golang does.
//! - Names that are not legacy names are quoted, and a metric name moves
//!   inside the braces: `{"my.metric",a="b"} 1`.
//! - Native histograms cannot be written in this format and are skipped;
//!   so are exemplars and created timestamps.
//! - An OpenMetrics-style counter family (`foo` with `foo_total` samples)
//!   is declared as `foo_total`, the name its samples carry.

use std::borrow::Cow;
use std::fmt::Write as _;

use vigil_model::{METRIC_NAME, MetricType};

use super::{
    is_count_series, magic_label, push_count, push_escaped, push_go_float, push_metric_name,
    push_series,
};
use crate::family::{MetricFamily, SampleValue};

/// Appends `families` to `out` in the text format 0.0.4.
pub fn write(out: &mut Vec<u8>, families: &[MetricFamily]) {
    let mut s = String::new();
    for fam in families {
        write_family(&mut s, fam);
        out.extend_from_slice(s.as_bytes());
        s.clear();
    }
}

fn type_word(kind: MetricType) -> &'static str {
    match kind {
        MetricType::Counter => "counter",
        MetricType::Gauge => "gauge",
        MetricType::Summary => "summary",
        MetricType::Histogram | MetricType::GaugeHistogram => "histogram",
        MetricType::Info | MetricType::StateSet | MetricType::Unknown => "untyped",
    }
}

/// The name to declare a family under: OpenMetrics counter families are
/// named without `_total`, but in this format the metadata must carry the
/// samples' name for readers to connect them.
fn declared_name(fam: &MetricFamily) -> Cow<'_, str> {
    if fam.kind == MetricType::Counter && !fam.name.ends_with("_total") {
        let total = fam.samples.iter().any(|s| {
            s.labels
                .get(METRIC_NAME)
                .and_then(|n| n.strip_suffix("_total"))
                == Some(fam.name.as_str())
        });
        if total {
            return Cow::Owned(format!("{}_total", fam.name));
        }
    }
    Cow::Borrowed(&fam.name)
}

fn write_family(s: &mut String, fam: &MetricFamily) {
    let name = declared_name(fam);
    if let Some(help) = &fam.help {
        s.push_str("# HELP ");
        push_metric_name(s, &name);
        s.push(' ');
        push_escaped(s, help, false);
        s.push('\n');
    }
    s.push_str("# TYPE ");
    push_metric_name(s, &name);
    s.push(' ');
    s.push_str(type_word(fam.kind));
    s.push('\n');
    for sample in &fam.samples {
        let SampleValue::Float(v) = sample.value else {
            continue;
        };
        let name = sample.labels.get(METRIC_NAME).unwrap_or(&fam.name);
        push_series(s, name, &sample.labels, magic_label(fam.kind, name));
        s.push(' ');
        if is_count_series(fam.kind, name) {
            push_count(s, v, false);
        } else {
            push_go_float(s, v);
        }
        if let Some(ts) = sample.timestamp {
            let _ = write!(s, " {ts}");
        }
        s.push('\n');
    }
}
