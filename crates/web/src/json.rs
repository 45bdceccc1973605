//! JSON rendering byte for byte as Prometheus' API writes it: sample values
//! as strings (`"1.5"`, `"NaN"`, `"+Inf"`), vector and matrix timestamps as
//! seconds with millisecond digits (`1.500`), scalar and string timestamps
//! as Go's `encoding/json` writes a float, native histograms as
//! `{"count","sum","buckets":[[rule,lower,upper,count],…]}`, and strings
//! escaped as Go escapes them (`<`, `>`, `&` as `\u003c`…).
//!
//! Results can be large (a range query holds up to 11,000 points per
//! series), so values are written straight into one `String` rather than
//! built as a `serde_json::Value` first.

use std::fmt::Write as _;

use vigil_model::{FloatHistogram, Labels};
use vigil_promql::value::{Series, Value};

/// Appends `s` as a JSON string with Go's escaping.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Go escapes these for safe embedding in HTML and JavaScript.
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Rewrites Rust's `{:e}` exponent (`1e-7`) the way Go writes it (`1e-07`):
/// a sign always and at least two digits.
fn go_exponent(out: &mut String, start: usize) {
    let Some(e) = out[start..].find('e').map(|p| p + start) else {
        return;
    };
    let exp = out[e + 1..].to_string();
    out.truncate(e + 1);
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp.as_str()),
    };
    out.push(sign);
    if digits.len() < 2 {
        out.push('0');
    }
    out.push_str(digits);
}

/// Appends `f` as Go's `strconv.FormatFloat(f, 'f', -1, 64)`: the shortest
/// digits that read back as `f`, never in exponent form.
pub fn push_float_f(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        // Rust's `Display` for floats is also shortest-round-trip and
        // never uses an exponent.
        let _ = write!(out, "{f}");
    }
}

/// Appends `f` as Go's `strconv.FormatFloat(f, 'e', -1, 64)` (`1e+00`).
pub fn push_float_e(out: &mut String, f: f64) {
    if !f.is_finite() {
        push_float_f(out, f);
        return;
    }
    let start = out.len();
    let _ = write!(out, "{f:e}");
    go_exponent(out, start);
}

/// Appends a sample value as the API quotes it (`jsonutil.MarshalFloat`):
/// plain digits, switching to exponent form below 1e-6 and from 1e21.
pub fn push_value(out: &mut String, f: f64) {
    out.push('"');
    let abs = f.abs();
    if abs != 0.0 && abs.is_finite() && !(1e-6..1e21).contains(&abs) {
        push_float_e(out, f);
    } else {
        push_float_f(out, f);
    }
    out.push('"');
}

/// Appends a millisecond timestamp as seconds with the millisecond digits
/// kept (`jsonutil.MarshalTimestamp`: 1500 → `1.500`, 1000 → `1`).
pub fn push_timestamp(out: &mut String, t: i64) {
    let neg = t < 0;
    let t = t.unsigned_abs();
    if neg {
        out.push('-');
    }
    let _ = write!(out, "{}", t / 1000);
    let frac = t % 1000;
    if frac != 0 {
        let _ = write!(out, ".{frac:03}");
    }
}

/// Appends a float as Go's `encoding/json` writes a `float64` (what
/// scalar and string results use for their timestamp).
pub fn push_json_float(out: &mut String, f: f64) {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let start = out.len();
        let _ = write!(out, "{f:e}");
        // encoding/json writes `1e-07` as `1e-7` but keeps the sign.
        go_exponent(out, start);
        if let Some(p) = out[start..].find("e-0").map(|p| p + start) {
            out.remove(p + 2);
        }
    } else {
        let _ = write!(out, "{f}");
    }
}

/// Appends a label set as a JSON object in label order.
pub fn push_labels(out: &mut String, labels: &Labels) {
    out.push('{');
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, l.name);
        out.push(':');
        push_str(out, l.value);
    }
    out.push('}');
}

/// Appends a native histogram (`jsonutil.MarshalHistogram`). Empty
/// buckets are left out. Boundary rule: 0 = (lower, upper], 1 = [lower,
/// upper), 2 = (lower, upper), 3 = [lower, upper].
pub fn push_histogram(out: &mut String, h: &FloatHistogram) {
    out.push_str("{\"count\":");
    push_value(out, h.count);
    out.push_str(",\"sum\":");
    push_value(out, h.sum);
    let mut first = true;
    for b in h.all_buckets() {
        if b.count == 0.0 {
            continue;
        }
        out.push_str(if first { ",\"buckets\":[" } else { "," });
        first = false;
        let rule = match (b.lower_inclusive, b.upper_inclusive) {
            (false, true) => 0,
            (true, false) => 1,
            (false, false) => 2,
            (true, true) => 3,
        };
        let _ = write!(out, "[{rule},");
        push_value(out, b.lower);
        out.push(',');
        push_value(out, b.upper);
        out.push(',');
        push_value(out, b.count);
        out.push(']');
    }
    if !first {
        out.push(']');
    }
    out.push('}');
}

/// Appends one series of a matrix: `{"metric":…,"values":…,"histograms":…}`
/// with empty lists left out.
pub fn push_series(out: &mut String, s: &Series) {
    out.push_str("{\"metric\":");
    push_labels(out, &s.metric);
    if !s.floats.is_empty() {
        out.push_str(",\"values\":[");
        for (i, p) in s.floats.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            push_timestamp(out, p.t);
            out.push(',');
            push_value(out, p.f);
            out.push(']');
        }
        out.push(']');
    }
    if !s.histograms.is_empty() {
        out.push_str(",\"histograms\":[");
        for (i, p) in s.histograms.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            push_timestamp(out, p.t);
            out.push(',');
            push_histogram(out, &p.h);
            out.push(']');
        }
        out.push(']');
    }
    out.push('}');
}

/// The `resultType` name of a value.
pub fn result_type(v: &Value) -> &'static str {
    match v {
        Value::Scalar { .. } => "scalar",
        Value::String { .. } => "string",
        Value::Vector(_) => "vector",
        Value::Matrix(_) => "matrix",
    }
}

/// Appends a query result value as the API's `result` field holds it.
pub fn push_result(out: &mut String, v: &Value) {
    match v {
        Value::Scalar { t, v } => {
            out.push('[');
            push_json_float(out, *t as f64 / 1000.0);
            out.push_str(",\"");
            push_float_f(out, *v);
            out.push_str("\"]");
        }
        Value::String { t, s } => {
            out.push('[');
            push_json_float(out, *t as f64 / 1000.0);
            out.push(',');
            push_str(out, s);
            out.push(']');
        }
        Value::Vector(vec) => {
            out.push('[');
            for (i, s) in vec.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"metric\":");
                push_labels(out, &s.metric);
                match &s.h {
                    Some(h) => {
                        out.push_str(",\"histogram\":[");
                        push_timestamp(out, s.t);
                        out.push(',');
                        push_histogram(out, h);
                    }
                    None => {
                        out.push_str(",\"value\":[");
                        push_timestamp(out, s.t);
                        out.push(',');
                        push_value(out, s.f);
                    }
                }
                out.push_str("]}");
            }
            out.push(']');
        }
        Value::Matrix(m) => {
            out.push('[');
            for (i, s) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_series(out, s);
            }
            out.push(']');
        }
    }
}

/// Appends a list of strings as a JSON array.
pub fn push_str_list<S: AsRef<str>>(out: &mut String, items: &[S]) {
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, s.as_ref());
    }
    out.push(']');
}

/// Appends a Go `time.Time` as its JSON form (RFC 3339 with nanoseconds,
/// trailing zeros trimmed, UTC); `None` is Go's zero time.
pub fn push_time(out: &mut String, t: Option<std::time::SystemTime>) {
    out.push('"');
    out.push_str(&crate::params::format_rfc3339(t));
    out.push('"');
}

/// A whole success response: `{"status":"success","data":…}` plus
/// `warnings` and `infos` when there are any. `data` is raw JSON.
pub fn success(data: &str, warnings: &[String], infos: &[String]) -> String {
    let mut out = String::with_capacity(data.len() + 64);
    out.push_str("{\"status\":\"success\",\"data\":");
    out.push_str(data);
    if !warnings.is_empty() {
        out.push_str(",\"warnings\":");
        push_str_list(&mut out, warnings);
    }
    if !infos.is_empty() {
        out.push_str(",\"infos\":");
        push_str_list(&mut out, infos);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use vigil_model::Span;
    use vigil_promql::value::{FPoint, HPoint, Sample};

    use super::*;

    fn s(f: impl Fn(&mut String)) -> String {
        let mut out = String::new();
        f(&mut out);
        out
    }

    #[test]
    fn values_like_marshal_float() {
        let cases: &[(f64, &str)] = &[
            (0.0, "\"0\""),
            (1.0, "\"1\""),
            (20.0, "\"20\""),
            (1.2345678e6, "\"1234567.8\""),
            (1.2345678e-6, "\"0.0000012345678\""),
            (1.2345678e-67, "\"1.2345678e-67\""),
            (1e-7, "\"1e-07\""),
            (1e21, "\"1e+21\""),
            (-1e22, "\"-1e+22\""),
            (f64::NAN, "\"NaN\""),
            (f64::INFINITY, "\"+Inf\""),
            (f64::NEG_INFINITY, "\"-Inf\""),
            (-0.5, "\"-0.5\""),
        ];
        for (f, want) in cases {
            assert_eq!(s(|o| push_value(o, *f)), *want, "{f}");
        }
    }

    #[test]
    fn timestamps_keep_millisecond_digits() {
        let cases: &[(i64, &str)] = &[
            (0, "0"),
            (1, "0.001"),
            (10, "0.010"),
            (100, "0.100"),
            (1001, "1.001"),
            (1010, "1.010"),
            (1100, "1.100"),
            (12345678123456555, "12345678123456.555"),
            (-1, "-0.001"),
            (-1500, "-1.500"),
        ];
        for (t, want) in cases {
            assert_eq!(s(|o| push_timestamp(o, *t)), *want, "{t}");
        }
    }

    #[test]
    fn go_json_floats() {
        assert_eq!(s(|o| push_json_float(o, 1.5)), "1.5");
        assert_eq!(s(|o| push_json_float(o, 1435781451.781)), "1435781451.781");
        assert_eq!(s(|o| push_json_float(o, 1e-7)), "1e-7");
        assert_eq!(s(|o| push_json_float(o, 1e21)), "1e+21");
        assert_eq!(s(|o| push_float_e(o, 1.0)), "1e+00");
        assert_eq!(s(|o| push_float_e(o, 12.5)), "1.25e+01");
    }

    #[test]
    fn strings_escaped_like_go() {
        assert_eq!(
            s(|o| push_str(o, "a\"b\\<&>\n\u{1}")),
            r#""a\"b\\\u003c\u0026\u003e\n\u0001""#
        );
    }

    fn lbl(n: &str) -> Labels {
        Labels::from_pairs(&[("__name__", n)])
    }

    #[test]
    fn vector_and_matrix_golden() {
        let v = Value::Vector(vec![
            Sample {
                metric: lbl("foo"),
                t: 1000,
                f: 1.0,
                h: None,
                drop_name: false,
            },
            Sample {
                metric: lbl("bar"),
                t: 2000,
                f: 2.0,
                h: None,
                drop_name: false,
            },
        ]);
        assert_eq!(
            s(|o| push_result(o, &v)),
            r#"[{"metric":{"__name__":"foo"},"value":[1,"1"]},{"metric":{"__name__":"bar"},"value":[2,"2"]}]"#
        );
        let m = Value::Matrix(vec![Series {
            metric: lbl("foo"),
            floats: vec![
                FPoint { t: 1000, f: 1.0 },
                FPoint {
                    t: 1500,
                    f: f64::NAN,
                },
            ],
            histograms: vec![],
            drop_name: false,
        }]);
        assert_eq!(
            s(|o| push_result(o, &m)),
            r#"[{"metric":{"__name__":"foo"},"values":[[1,"1"],[1.500,"NaN"]]}]"#
        );
        assert_eq!(s(|o| push_result(o, &Value::Matrix(vec![]))), "[]");
        assert_eq!(s(|o| push_result(o, &Value::Vector(vec![]))), "[]");
    }

    #[test]
    fn scalar_and_string_golden() {
        let v = Value::Scalar { t: 1500, v: 1e-7 };
        assert_eq!(s(|o| push_result(o, &v)), r#"[1.5,"0.0000001"]"#);
        let v = Value::String {
            t: 2000,
            s: "a<b".into(),
        };
        assert_eq!(s(|o| push_result(o, &v)), r#"[2,"a\u003cb"]"#);
    }

    #[test]
    fn histogram_golden() {
        // Upstream's json_codec_test histogram.
        let h = FloatHistogram {
            count: 10.0,
            sum: 20.0,
            schema: 2,
            zero_threshold: 0.001,
            zero_count: 12.0,
            positive_spans: vec![
                Span {
                    offset: 3,
                    length: 2,
                },
                Span {
                    offset: 1,
                    length: 3,
                },
            ],
            positive_buckets: vec![1.0, 2.0, 2.0, 1.0, 1.0],
            negative_spans: vec![Span {
                offset: 2,
                length: 2,
            }],
            negative_buckets: vec![2.0, 1.0],
            ..Default::default()
        };
        let m = Value::Matrix(vec![Series {
            metric: lbl("foo"),
            floats: vec![],
            histograms: vec![HPoint {
                t: 1000,
                h: Arc::new(h),
            }],
            drop_name: false,
        }]);
        assert_eq!(
            s(|o| push_result(o, &m)),
            r#"[{"metric":{"__name__":"foo"},"histograms":[[1,{"count":"10","sum":"20","buckets":[[1,"-1.6817928305074288","-1.414213562373095","1"],[1,"-1.414213562373095","-1.189207115002721","2"],[3,"-0.001","0.001","12"],[0,"1.414213562373095","1.6817928305074288","1"],[0,"1.6817928305074288","2","2"],[0,"2.378414230005442","2.82842712474619","2"],[0,"2.82842712474619","3.3635856610148576","1"],[0,"3.3635856610148576","4","1"]]}]]}]"#
        );
    }

    #[test]
    fn envelope_with_annotations() {
        assert_eq!(success("[]", &[], &[]), r#"{"status":"success","data":[]}"#);
        assert_eq!(
            success("1", &["w".into()], &["i".into()]),
            r#"{"status":"success","data":1,"warnings":["w"],"infos":["i"]}"#
        );
    }
}
