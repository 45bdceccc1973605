//! Encoders: write [`crate::MetricFamily`] lists in the three
//! exposition formats.
//!
//! - [`text`]: Prometheus text 0.0.4 as client_golang's `expfmt` writes it.
//! - [`openmetrics`]: OpenMetrics 1.0 text (the OpenMetrics specification).
//! - [`protobuf`]: length-delimited `io.prometheus.client.MetricFamily`.
//!
//! [`escape_families`] applies a negotiated name escaping scheme first.
//! Native histograms can only be written in protobuf; the text writers skip
//! them.
//!
//! The shared helpers here reproduce Go's number formatting, because the
//! text formats are compared byte for byte against what Prometheus and
//! client_golang produce.

pub mod openmetrics;
pub mod protobuf;
pub mod text;

use std::fmt::Write as _;

use vigil_model::names::{is_legacy_label_name, is_legacy_metric_name};
use vigil_model::{
    BUCKET_LABEL, EscapingScheme, Labels, LabelsBuilder, METRIC_NAME, MetricType, QUANTILE_LABEL,
    escape_name,
};

use crate::family::MetricFamily;

/// Rewrites the names in `families` for a consumer that negotiated
/// `scheme` (see [`crate::negotiate`]), as `expfmt`'s encoder does before
/// writing: family names, metric names (`__name__` values) and label names,
/// exemplar labels included; label values are left alone. With
/// [`EscapingScheme::AllowUtf8`] nothing changes.
pub fn escape_families(families: &[MetricFamily], scheme: EscapingScheme) -> Vec<MetricFamily> {
    let mut builder = LabelsBuilder::new();
    let mut escape_labels = |labels: &Labels| {
        builder.reset();
        for l in labels.iter() {
            if l.name == METRIC_NAME {
                builder.push(l.name, &escape_name(l.value, scheme));
            } else {
                builder.push(&escape_name(l.name, scheme), l.value);
            }
        }
        builder.build()
    };
    families
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if scheme == EscapingScheme::AllowUtf8 {
                return f;
            }
            f.name = escape_name(&f.name, scheme).into_owned();
            for s in &mut f.samples {
                s.labels = escape_labels(&s.labels);
                for e in &mut s.exemplars {
                    e.labels = escape_labels(&e.labels);
                }
            }
            f
        })
        .collect()
}

/// Appends `v` as Go's `strconv.FormatFloat(v, 'g', -1, 64)` formats it:
/// the shortest digits that round-trip, in exponent form (`1e+06`,
/// `1.5e-07`) when the decimal exponent is below -4 or at least 6, and
/// `+Inf`, `-Inf`, `NaN` for the special values.
pub fn push_go_float(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if v == 0.0 {
        out.push_str(if v.is_sign_negative() { "-0" } else { "0" });
        return;
    }
    // Rust's `{:e}` yields the same shortest round-trip digits as Go, as
    // `d.ddde<exp>`; only the choice of notation and the exponent's shape
    // (sign always, at least two digits) differ.
    let start = out.len();
    let _ = write!(out, "{v:e}");
    let Some(e_pos) = out[start..].find('e').map(|p| p + start) else {
        return;
    };
    let exp: i32 = out[e_pos + 1..].parse().unwrap_or(0);
    // Go's shortest %g switches to exponent form when exp < -4 || exp >= 6
    // (it judges shortest output against a precision of 6).
    if (-4..6).contains(&exp) {
        out.truncate(start);
        let _ = write!(out, "{v}");
        return;
    }
    out.truncate(e_pos);
    let sign = if exp < 0 { '-' } else { '+' };
    let _ = write!(out, "e{sign}{:02}", exp.unsigned_abs());
}

/// Appends `v` like [`push_go_float`] but with `.0` added when the result
/// would look like an integer: Prometheus' `formatOpenMetricsFloat`, used
/// for `le` and `quantile` label values and OpenMetrics numbers.
pub(crate) fn push_om_float(out: &mut String, v: f64) {
    if v == 0.0 {
        // Negative zero included, as Prometheus writes it.
        out.push_str("0.0");
        return;
    }
    let start = out.len();
    push_go_float(out, v);
    let s = &out[start..];
    if v.is_finite() && !s.contains(['.', 'e']) {
        out.push_str(".0");
    }
}

/// Appends a label value (or a quoted name) with the text formats' escapes:
/// backslash, double quote and newline.
pub(crate) fn push_escaped(out: &mut String, s: &str, escape_quote: bool) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if escape_quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// Appends a metric name, quoted when it is not a legacy name.
pub(crate) fn push_metric_name(out: &mut String, name: &str) {
    if is_legacy_metric_name(name) {
        out.push_str(name);
    } else {
        out.push('"');
        push_escaped(out, name, true);
        out.push('"');
    }
}

/// Appends a label name, quoted when it is not a legacy name.
fn push_label_name(out: &mut String, name: &str) {
    if is_legacy_label_name(name) {
        out.push_str(name);
    } else {
        out.push('"');
        push_escaped(out, name, true);
        out.push('"');
    }
}

/// The label that a sample of a family of type `kind` carries as its
/// "magic" label (written last, as client_golang does), if any.
pub(crate) fn magic_label(kind: MetricType, metric: &str) -> Option<&'static str> {
    match kind {
        MetricType::Summary => Some(QUANTILE_LABEL),
        MetricType::Histogram | MetricType::GaugeHistogram if metric.ends_with("_bucket") => {
            Some(BUCKET_LABEL)
        }
        _ => None,
    }
}

/// Appends `name{labels}` for a sample: the name goes inside the braces,
/// quoted, when it is not a legacy name; `magic` (if present) goes last.
pub(crate) fn push_series(out: &mut String, name: &str, labels: &Labels, magic: Option<&str>) {
    let legacy = is_legacy_metric_name(name);
    let mut first = true;
    if legacy {
        out.push_str(name);
    } else {
        out.push('{');
        push_metric_name(out, name);
        first = false;
    }
    let rest = labels
        .iter()
        .filter(|l| l.name != METRIC_NAME && Some(l.name) != magic);
    let last = magic.and_then(|m| labels.get(m).map(|v| (m, v)));
    for (n, v) in rest.map(|l| (l.name, l.value)).chain(last) {
        out.push(if first { '{' } else { ',' });
        first = false;
        push_label_name(out, n);
        out.push_str("=\"");
        push_escaped(out, v, true);
        out.push('"');
    }
    if !first || !legacy {
        out.push('}');
    }
}

/// Whether the sample `metric` of a family of type `kind` is a count (a
/// `_count`, `_gcount` or `_bucket` series) that client_golang writes as an
/// unsigned integer.
pub(crate) fn is_count_series(kind: MetricType, metric: &str) -> bool {
    match kind {
        MetricType::Summary => metric.ends_with("_count"),
        MetricType::Histogram | MetricType::GaugeHistogram => {
            metric.ends_with("_count") || metric.ends_with("_gcount") || metric.ends_with("_bucket")
        }
        _ => false,
    }
}

/// `v` as an unsigned integer when it is a whole number in 0..=2^53, where
/// the conversion is exact.
pub(crate) fn integral_count(v: f64) -> Option<u64> {
    ((0.0..=9_007_199_254_740_992.0).contains(&v) && v.fract() == 0.0).then_some(v as u64)
}

/// Appends a count as an integer when it is one that an f64 holds exactly,
/// else as a float (float-count histograms).
pub(crate) fn push_count(out: &mut String, v: f64, om: bool) {
    if let Some(n) = integral_count(v) {
        let _ = write!(out, "{n}");
    } else if om {
        push_om_float(out, v);
    } else {
        push_go_float(out, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(v: f64) -> String {
        let mut s = String::new();
        push_go_float(&mut s, v);
        s
    }

    fn om(v: f64) -> String {
        let mut s = String::new();
        push_om_float(&mut s, v);
        s
    }

    #[test]
    fn go_float_formatting() {
        assert_eq!(g(1e6), "1e+06");
        assert_eq!(g(123456.0), "123456");
        assert_eq!(g(1234567.0), "1.234567e+06");
        assert_eq!(g(0.1), "0.1");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(0.00001), "1e-05");
        assert_eq!(g(1.5e-7), "1.5e-07");
        assert_eq!(g(-2.5e300), "-2.5e+300");
        assert_eq!(g(1e20), "1e+20");
        assert_eq!(g(1e21), "1e+21");
        assert_eq!(g(0.0), "0");
        assert_eq!(g(-0.0), "-0");
        assert_eq!(g(42.0), "42");
        assert_eq!(g(f64::INFINITY), "+Inf");
        assert_eq!(g(f64::NEG_INFINITY), "-Inf");
        assert_eq!(g(f64::NAN), "NaN");
        assert_eq!(g(5e-324), "5e-324");
        assert_eq!(g(f64::MAX), "1.7976931348623157e+308");
    }

    #[test]
    fn escaping_families() {
        use crate::family::{FamilySample, SampleValue};
        let fam = MetricFamily {
            name: "my.metric".into(),
            kind: MetricType::Gauge,
            help: None,
            unit: None,
            samples: vec![FamilySample {
                labels: Labels::from_pairs(&[("__name__", "my.metric"), ("a.b", "c.d")]),
                value: SampleValue::Float(1.0),
                timestamp: None,
                exemplars: Vec::new(),
                created_timestamp: None,
            }],
        };
        let out = escape_families(std::slice::from_ref(&fam), EscapingScheme::Underscores);
        assert_eq!(out[0].name, "my_metric");
        assert_eq!(
            out[0].samples[0].labels,
            Labels::from_pairs(&[("__name__", "my_metric"), ("a_b", "c.d")])
        );
        let out = escape_families(std::slice::from_ref(&fam), EscapingScheme::Values);
        assert_eq!(out[0].name, "U__my_2e_metric");
        assert_eq!(
            escape_families(std::slice::from_ref(&fam), EscapingScheme::AllowUtf8)[0],
            fam
        );
    }

    #[test]
    fn om_float_formatting() {
        assert_eq!(om(1.0), "1.0");
        assert_eq!(om(0.0), "0.0");
        assert_eq!(om(0.25), "0.25");
        assert_eq!(om(1e6), "1e+06");
        assert_eq!(om(100.0), "100.0");
        assert_eq!(om(f64::INFINITY), "+Inf");
    }
}
