//! The values the HTTP API answers, decoded as client_golang decodes them
//! (`model.Value`, `[]model.LabelSet`, `model.LabelValues`) and printed the
//! two ways promtool prints them: `--format=promql` is prometheus/common's
//! `String()` methods, `--format=json` is Go's `encoding/json` over the
//! same types (one line, keys sorted, HTML characters escaped).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value as Json;

use super::QueryError;

/// A label set (`model.Metric` / `model.LabelSet`), sorted by name.
pub type Metric = BTreeMap<String, String>;

/// A native histogram as the API renders it (`model.SampleHistogram`).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The observation count.
    pub count: f64,
    /// The sum of observations.
    pub sum: f64,
    /// `[boundaries, lower, upper, count]` per bucket; `None` when the
    /// answer had no `buckets` field (Go then prints `null`).
    pub buckets: Option<Vec<Bucket>>,
}

/// One histogram bucket (`model.HistogramBucket`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// 0: (lower, upper], 1: [lower, upper), 2: (lower, upper), 3: [lower, upper].
    pub boundaries: i32,
    /// The lower bound.
    pub lower: f64,
    /// The upper bound.
    pub upper: f64,
    /// The count in the bucket.
    pub count: f64,
}

/// A sample of a vector: a float or a histogram at a timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series' labels.
    pub metric: Metric,
    /// Milliseconds since the epoch.
    pub t: i64,
    /// The float value (when `histogram` is `None`).
    pub value: f64,
    /// The histogram, for a histogram sample.
    pub histogram: Option<Histogram>,
}

/// A series of a matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    /// The series' labels.
    pub metric: Metric,
    /// Float points `(ms, value)`.
    pub values: Vec<(i64, f64)>,
    /// Histogram points.
    pub histograms: Vec<(i64, Histogram)>,
}

/// A query result (`model.Value`).
#[derive(Debug, Clone, PartialEq)]
pub enum QueryValue {
    /// An instant vector.
    Vector(Vec<Sample>),
    /// A range vector.
    Matrix(Vec<Stream>),
    /// A scalar at a timestamp.
    Scalar(i64, f64),
    /// A string at a timestamp.
    String(i64, String),
}

fn bad(msg: impl Into<String>) -> QueryError {
    QueryError::Api {
        kind: "bad_response".into(),
        msg: msg.into(),
        detail: String::new(),
    }
}

/// Decodes the API's seconds (a JSON number) into milliseconds, as
/// `model.Time` keeps them.
fn time(v: &Json) -> Result<i64, QueryError> {
    let s = v
        .as_f64()
        .ok_or_else(|| bad(format!("bad timestamp {v}")))?;
    Ok((s * 1000.0).round() as i64)
}

/// Decodes a quoted float (`model.SampleValue`, `FloatString`).
fn float(v: &Json) -> Result<f64, QueryError> {
    let s = v
        .as_str()
        .ok_or_else(|| bad("sample value must be a quoted string"))?;
    s.parse::<f64>()
        .map_err(|_| bad(format!("strconv.ParseFloat: parsing {s:?}: invalid syntax")))
}

fn pair(v: &Json) -> Result<(i64, f64), QueryError> {
    match v.as_array().map(Vec::as_slice) {
        Some([t, f]) => Ok((time(t)?, float(f)?)),
        _ => Err(bad(format!("bad sample pair {v}"))),
    }
}

fn histogram(v: &Json) -> Result<Histogram, QueryError> {
    let buckets = match v.get("buckets") {
        None | Some(Json::Null) => None,
        Some(Json::Array(bs)) => Some(
            bs.iter()
                .map(|b| match b.as_array().map(Vec::as_slice) {
                    Some([bd, lo, hi, c]) => Ok(Bucket {
                        boundaries: bd.as_i64().unwrap_or_default() as i32,
                        lower: float(lo)?,
                        upper: float(hi)?,
                        count: float(c)?,
                    }),
                    _ => Err(bad(format!("bad histogram bucket {b}"))),
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(other) => return Err(bad(format!("bad histogram buckets {other}"))),
    };
    Ok(Histogram {
        count: float(v.get("count").unwrap_or(&Json::Null))?,
        sum: float(v.get("sum").unwrap_or(&Json::Null))?,
        buckets,
    })
}

fn histogram_pair(v: &Json) -> Result<(i64, Histogram), QueryError> {
    match v.as_array().map(Vec::as_slice) {
        Some([t, h]) => Ok((time(t)?, histogram(h)?)),
        _ => Err(bad(format!("bad histogram pair {v}"))),
    }
}

/// Decodes a label set object.
pub fn metric(v: &Json) -> Result<Metric, QueryError> {
    let Some(obj) = v.as_object() else {
        return Ok(Metric::new());
    };
    obj.iter()
        .map(|(k, v)| {
            v.as_str()
                .map(|s| (k.clone(), s.to_string()))
                .ok_or_else(|| bad(format!("label {k} is not a string")))
        })
        .collect()
}

impl QueryValue {
    /// Decodes the `data` of a `/api/v1/query` or `/api/v1/query_range`
    /// answer.
    pub fn decode(data: &Json) -> Result<QueryValue, QueryError> {
        let kind = data.get("resultType").and_then(Json::as_str).unwrap_or("");
        let result = data.get("result").unwrap_or(&Json::Null);
        let items = || result.as_array().map(Vec::as_slice).unwrap_or_default();
        match kind {
            "vector" => items()
                .iter()
                .map(|s| {
                    let metric = metric(s.get("metric").unwrap_or(&Json::Null))?;
                    if let Some(h) = s.get("histogram") {
                        let (t, h) = histogram_pair(h)?;
                        return Ok(Sample {
                            metric,
                            t,
                            value: 0.0,
                            histogram: Some(h),
                        });
                    }
                    let (t, value) = pair(s.get("value").unwrap_or(&Json::Null))?;
                    Ok(Sample {
                        metric,
                        t,
                        value,
                        histogram: None,
                    })
                })
                .collect::<Result<_, _>>()
                .map(QueryValue::Vector),
            "matrix" => items()
                .iter()
                .map(|s| {
                    let list = |k: &str| {
                        s.get(k)
                            .and_then(Json::as_array)
                            .map(Vec::as_slice)
                            .unwrap_or_default()
                    };
                    Ok(Stream {
                        metric: metric(s.get("metric").unwrap_or(&Json::Null))?,
                        values: list("values").iter().map(pair).collect::<Result<_, _>>()?,
                        histograms: list("histograms")
                            .iter()
                            .map(histogram_pair)
                            .collect::<Result<_, _>>()?,
                    })
                })
                .collect::<Result<_, _>>()
                .map(QueryValue::Matrix),
            "scalar" => pair(result).map(|(t, v)| QueryValue::Scalar(t, v)),
            "string" => match result.as_array().map(Vec::as_slice) {
                Some([t, Json::String(s)]) => Ok(QueryValue::String(time(t)?, s.clone())),
                _ => Err(bad(format!("bad string value {result}"))),
            },
            other => Err(bad(format!("unexpected value type {other:?}"))),
        }
    }

    /// The text `--format=promql` prints (without the final newline).
    pub fn to_promql(&self) -> String {
        match self {
            QueryValue::Vector(v) => v
                .iter()
                .map(|s| {
                    let point = match &s.histogram {
                        Some(h) => histogram_point(s.t, h),
                        None => float_point(s.t, s.value),
                    };
                    format!("{} => {point}", metric_string(&s.metric))
                })
                .collect::<Vec<_>>()
                .join("\n"),
            QueryValue::Matrix(m) => {
                let mut sorted: Vec<&Stream> = m.iter().collect();
                sorted.sort_by(|a, b| before_ordering(&a.metric, &b.metric));
                sorted
                    .iter()
                    .map(|s| {
                        let points: Vec<String> = s
                            .values
                            .iter()
                            .map(|(t, v)| float_point(*t, *v))
                            .chain(s.histograms.iter().map(|(t, h)| histogram_point(*t, h)))
                            .collect();
                        format!("{} =>\n{}", metric_string(&s.metric), points.join("\n"))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            QueryValue::Scalar(t, v) => format!("scalar: {} @[{}]", go_float(*v), go_time(*t)),
            QueryValue::String(_, s) => s.clone(),
        }
    }

    /// The line `--format=json` prints (without the final newline).
    pub fn to_json(&self) -> String {
        let mut o = String::new();
        match self {
            QueryValue::Vector(v) => {
                o.push('[');
                for (i, s) in v.iter().enumerate() {
                    if i > 0 {
                        o.push(',');
                    }
                    o.push_str("{\"metric\":");
                    json_metric(&mut o, &s.metric);
                    match &s.histogram {
                        Some(h) => {
                            o.push_str(",\"histogram\":");
                            json_histogram_pair(&mut o, s.t, h);
                        }
                        None => {
                            o.push_str(",\"value\":");
                            json_pair(&mut o, s.t, s.value);
                        }
                    }
                    o.push('}');
                }
                o.push(']');
            }
            QueryValue::Matrix(m) => {
                o.push('[');
                for (i, s) in m.iter().enumerate() {
                    if i > 0 {
                        o.push(',');
                    }
                    o.push_str("{\"metric\":");
                    json_metric(&mut o, &s.metric);
                    // client_golang leaves out whichever list is empty,
                    // keeping `values` when both are.
                    if !s.values.is_empty() || s.histograms.is_empty() {
                        o.push_str(",\"values\":[");
                        for (j, (t, v)) in s.values.iter().enumerate() {
                            if j > 0 {
                                o.push(',');
                            }
                            json_pair(&mut o, *t, *v);
                        }
                        o.push(']');
                    }
                    if !s.histograms.is_empty() {
                        o.push_str(",\"histograms\":[");
                        for (j, (t, h)) in s.histograms.iter().enumerate() {
                            if j > 0 {
                                o.push(',');
                            }
                            json_histogram_pair(&mut o, *t, h);
                        }
                        o.push(']');
                    }
                    o.push('}');
                }
                o.push(']');
            }
            QueryValue::Scalar(t, v) => json_pair(&mut o, *t, *v),
            QueryValue::String(t, s) => {
                let _ = write!(o, "[{},", go_time(*t));
                json_string(&mut o, s);
                o.push(']');
            }
        }
        o
    }
}

/// `model.SampleValue.String`: `strconv.FormatFloat(v, 'f', -1, 64)`.
pub fn go_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// `model.Time.String`: seconds with the milliseconds as a fraction.
pub fn go_time(ms: i64) -> String {
    go_float(ms as f64 / 1000.0)
}

/// Go's `%g` (shortest digits, exponent from 1e6 or below 1e-4), which
/// prints histogram bucket bounds.
fn go_g(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return go_float(v);
    }
    let exp = v.abs().log10().floor() as i32;
    if (-4..6).contains(&exp) {
        return format!("{v}");
    }
    crate::go_format::float_e(v).to_lowercase()
}

/// Go's `%f`: six decimals.
fn go_f(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6}")
    } else {
        go_float(v)
    }
}

fn float_point(t: i64, v: f64) -> String {
    format!("{} @[{}]", go_float(v), go_time(t))
}

fn histogram_point(t: i64, h: &Histogram) -> String {
    let buckets = match &h.buckets {
        None => "[]".to_string(),
        Some(bs) => {
            let parts: Vec<String> = bs
                .iter()
                .map(|b| {
                    let open = if b.boundaries == 1 || b.boundaries == 3 {
                        '['
                    } else {
                        '('
                    };
                    let close = if b.boundaries == 0 || b.boundaries == 3 {
                        ']'
                    } else {
                        ')'
                    };
                    format!(
                        "{open}{},{}{close}:{}",
                        go_g(b.lower),
                        go_g(b.upper),
                        go_float(b.count)
                    )
                })
                .collect();
            format!("[{}]", parts.join(" "))
        }
    };
    format!(
        "Count: {}, Sum: {}, Buckets: {buckets} @[{}]",
        go_f(h.count),
        go_f(h.sum),
        go_time(t)
    )
}

/// `model.Metric.String`: `name{a="b", …}`, the `name="value"` strings
/// sorted as whole strings (which is not always the order of the names).
pub fn metric_string(m: &Metric) -> String {
    let name = m.get("__name__");
    let mut parts: Vec<String> = m
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .map(|(k, v)| format!("{k}={}", vigil_model::quote::quote(v)))
        .collect();
    if parts.is_empty() {
        return name.cloned().unwrap_or_else(|| "{}".into());
    }
    parts.sort();
    format!(
        "{}{{{}}}",
        name.map(String::as_str).unwrap_or_default(),
        parts.join(", ")
    )
}

/// `model.LabelSet.String` (3.x): `{a="b", …}` in name order.
pub fn label_set_string(m: &Metric) -> String {
    let parts: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{k}={}", vigil_model::quote::quote(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// `model.LabelSet.Before` as an ordering: fewer labels first, then the
/// first differing value over the union of names.
fn before_ordering(a: &Metric, b: &Metric) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    if a.len() != b.len() {
        return a.len().cmp(&b.len());
    }
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    for n in names {
        match (a.get(n), b.get(n)) {
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(x), Some(y)) if x != y => return x.cmp(y),
            _ => {}
        }
    }
    Ordering::Equal
}

/// Writes `s` as Go's `encoding/json` does: HTML characters and the line
/// separators escaped as `\u00XX`.
pub fn json_string(o: &mut String, s: &str) {
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '\u{8}' => o.push_str("\\b"),
            '\u{c}' => o.push_str("\\f"),
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
}

/// Writes a label set as a JSON object with sorted keys.
pub fn json_metric(o: &mut String, m: &Metric) {
    o.push('{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        json_string(o, k);
        o.push(':');
        json_string(o, v);
    }
    o.push('}');
}

fn json_pair(o: &mut String, t: i64, v: f64) {
    let _ = write!(o, "[{},\"{}\"]", go_time(t), go_float(v));
}

fn json_histogram_pair(o: &mut String, t: i64, h: &Histogram) {
    let _ = write!(
        o,
        "[{},{{\"count\":\"{}\",\"sum\":\"{}\",\"buckets\":",
        go_time(t),
        go_float(h.count),
        go_float(h.sum)
    );
    match &h.buckets {
        None => o.push_str("null"),
        Some(bs) => {
            o.push('[');
            for (i, b) in bs.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                let _ = write!(
                    o,
                    "[{},\"{}\",\"{}\",\"{}\"]",
                    b.boundaries,
                    go_float(b.lower),
                    go_float(b.upper),
                    go_float(b.count)
                );
            }
            o.push(']');
        }
    }
    o.push_str("}]");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, &str)]) -> Metric {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn promql_text_matches_prometheus_common() {
        let v = QueryValue::decode(&serde_json::json!({
            "resultType": "vector",
            "result": [{"metric": {"__name__": "up", "job": "a\"b", "a1": "x"},
                        "value": [1700000000.5, "1"]},
                       {"metric": {}, "value": [1700000000, "+Inf"]}]
        }))
        .expect("decodes");
        assert_eq!(
            v.to_promql(),
            "up{a1=\"x\", job=\"a\\\"b\"} => 1 @[1700000000.5]\n{} => +Inf @[1700000000]"
        );
        assert_eq!(
            v.to_json(),
            "[{\"metric\":{\"__name__\":\"up\",\"a1\":\"x\",\"job\":\"a\\\"b\"},\"value\":[1700000000.5,\"1\"]},{\"metric\":{},\"value\":[1700000000,\"+Inf\"]}]"
        );
        assert_eq!(
            QueryValue::Scalar(1500, 0.25).to_promql(),
            "scalar: 0.25 @[1.5]"
        );
        assert_eq!(
            QueryValue::String(1000, "<a>".into()).to_json(),
            "[1,\"\\u003ca\\u003e\"]"
        );
    }

    #[test]
    fn matrices_print_sorted_with_one_point_per_line() {
        let v = QueryValue::Matrix(vec![
            Stream {
                metric: m(&[("__name__", "b"), ("x", "1")]),
                values: vec![(1000, 1.0), (2000, 2.0)],
                histograms: vec![],
            },
            Stream {
                metric: m(&[("__name__", "a")]),
                values: vec![(1000, 3.0)],
                histograms: vec![],
            },
        ]);
        assert_eq!(v.to_promql(), "a =>\n3 @[1]\nb{x=\"1\"} =>\n1 @[1]\n2 @[2]");
    }

    #[test]
    fn a_name_is_sorted_as_go_sorts_formatted_pairs() {
        // `a1="…"` sorts before `a="…"` because '1' < '='.
        let s = metric_string(&m(&[("a", "x"), ("a1", "y")]));
        assert_eq!(s, "{a1=\"y\", a=\"x\"}");
        assert_eq!(
            label_set_string(&m(&[("a", "x"), ("a1", "y")])),
            "{a=\"x\", a1=\"y\"}"
        );
    }

    #[test]
    fn histograms_print_like_sample_histogram() {
        let h = Histogram {
            count: 3.0,
            sum: 1.5,
            buckets: Some(vec![Bucket {
                boundaries: 0,
                lower: 0.5,
                upper: 1e6,
                count: 3.0,
            }]),
        };
        assert_eq!(
            histogram_point(2000, &h),
            "Count: 3.000000, Sum: 1.500000, Buckets: [(0.5,1e+06]:3] @[2]"
        );
    }
}
