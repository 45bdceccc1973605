//! Writer for OpenMetrics 1.0 text (the OpenMetrics specification), in the
//! layout of client_golang's `expfmt.MetricFamilyToOpenMetrics`.
//!
//! - Metadata order is `# HELP`, `# TYPE`, `# UNIT`; counters are declared
//!   under their name without `_total`, and a "counter" whose samples lack
//!   the `_total` suffix is declared `unknown`, since OpenMetrics would
//!   reject it.
//! - Numbers use Go's shortest formatting with `.0` added to integral
//!   values; counts (`_count`, `_gcount`, `_bucket`) are integers when they
//!   are integers. Timestamps are seconds (`ms / 1000` as a float).
//! - A sample's first exemplar with labels is written as ` # {..} v [ts]`.
//! - Gauge histogram `_count`/`_sum` samples (as the protobuf parser names
//!   them) are written as `_gcount`/`_gsum`.
//! - Native histograms are skipped (OpenMetrics 1.0 cannot carry them),
//!   and no `_created` lines are synthesised from created timestamps
//!   (client_golang's default); `_created` samples already in a family are
//!   written like any other sample.
//! - The output ends with `# EOF`.

use std::borrow::Cow;

use vigil_model::{Exemplar, METRIC_NAME, MetricType};

use super::{
    is_count_series, magic_label, push_count, push_escaped, push_metric_name, push_om_float,
    push_series,
};
use crate::family::{MetricFamily, SampleValue};

/// Appends `families` to `out` as an OpenMetrics 1.0 exposition, `# EOF` included.
pub fn write(out: &mut Vec<u8>, families: &[MetricFamily]) {
    let mut s = String::new();
    for fam in families {
        write_family(&mut s, fam);
        out.extend_from_slice(s.as_bytes());
        s.clear();
    }
    out.extend_from_slice(b"# EOF\n");
}

fn type_word(fam: &MetricFamily) -> &'static str {
    match fam.kind {
        MetricType::Counter => {
            let all_total = fam.samples.iter().all(|s| {
                let n = s.labels.get(METRIC_NAME).unwrap_or_default();
                n.ends_with("_total") || n.ends_with("_created")
            });
            if all_total { "counter" } else { "unknown" }
        }
        MetricType::Gauge => "gauge",
        MetricType::Summary => "summary",
        MetricType::Histogram => "histogram",
        MetricType::GaugeHistogram => "gaugehistogram",
        MetricType::Info => "info",
        MetricType::StateSet => "stateset",
        MetricType::Unknown => "unknown",
    }
}

fn write_family(s: &mut String, fam: &MetricFamily) {
    let name = match fam.kind {
        MetricType::Counter => fam.name.strip_suffix("_total").unwrap_or(&fam.name),
        _ => &fam.name,
    };
    if let Some(help) = &fam.help {
        s.push_str("# HELP ");
        push_metric_name(s, name);
        s.push(' ');
        push_escaped(s, help, true);
        s.push('\n');
    }
    s.push_str("# TYPE ");
    push_metric_name(s, name);
    s.push(' ');
    s.push_str(type_word(fam));
    s.push('\n');
    // An empty unit is still a declared one; keep it so a round trip is exact.
    if let Some(unit) = fam.unit.as_deref() {
        s.push_str("# UNIT ");
        push_metric_name(s, name);
        s.push(' ');
        push_escaped(s, unit, true);
        s.push('\n');
    }
    for sample in &fam.samples {
        let SampleValue::Float(v) = sample.value else {
            continue;
        };
        let metric = sample_name(fam, sample.labels.get(METRIC_NAME).unwrap_or(&fam.name));
        push_series(s, &metric, &sample.labels, magic_label(fam.kind, &metric));
        s.push(' ');
        if is_count_series(fam.kind, &metric) {
            push_count(s, v, true);
        } else {
            push_om_float(s, v);
        }
        if let Some(ts) = sample.timestamp {
            s.push(' ');
            push_om_float(s, ts as f64 / 1000.0);
        }
        if let Some(ex) = sample.exemplars.iter().find(|e| !e.labels.is_empty()) {
            push_exemplar(s, ex);
        }
        s.push('\n');
    }
}

/// The name a sample is written under: gauge histograms use `_gcount` and
/// `_gsum` in OpenMetrics.
fn sample_name<'a>(fam: &MetricFamily, metric: &'a str) -> Cow<'a, str> {
    if fam.kind == MetricType::GaugeHistogram {
        if let Some(base) = metric.strip_suffix("_count") {
            return Cow::Owned(format!("{base}_gcount"));
        }
        if let Some(base) = metric.strip_suffix("_sum") {
            return Cow::Owned(format!("{base}_gsum"));
        }
    }
    Cow::Borrowed(metric)
}

fn push_exemplar(s: &mut String, ex: &Exemplar) {
    s.push_str(" # ");
    // An empty metric name is not legacy-valid, so write the braces by hand.
    let mut first = true;
    for l in ex.labels.iter() {
        s.push(if first { '{' } else { ',' });
        first = false;
        if vigil_model::names::is_legacy_label_name(l.name) {
            s.push_str(l.name);
        } else {
            s.push('"');
            push_escaped(s, l.name, true);
            s.push('"');
        }
        s.push_str("=\"");
        push_escaped(s, l.value, true);
        s.push('"');
    }
    s.push_str("} ");
    push_om_float(s, ex.value);
    if let Some(ts) = ex.timestamp {
        s.push(' ');
        push_om_float(s, ts as f64 / 1000.0);
    }
}
