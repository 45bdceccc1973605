//! Native histogram descriptions, `{{schema:1 sum:3 count:22 buckets:[5 10 7]}}`,
//! and their inverse, [`test_expression`], used to show histograms in
//! failure messages in the same notation.
//!
//! Keys (case-insensitive, each at most once): `schema`, `sum`, `count`,
//! `z_bucket`, `z_bucket_w`, `buckets`, `offset`, `n_buckets`, `n_offset`,
//! `custom_values`, `counter_reset_hint` (`unknown`, `reset`, `not_reset`,
//! `gauge`). Buckets form one span starting at `offset`.

use std::fmt::Write as _;

use vigil_model::{CounterResetHint, FloatHistogram, Span};

use super::series::{Cursor, SeriesError, parse_number, parse_signed_or_unsigned, parse_uint};

/// A histogram from a description, remembering whether its counter-reset
/// hint was written out: only then do comparisons check the hint.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramDesc {
    /// The histogram.
    pub h: FloatHistogram,
    /// Whether `counter_reset_hint:` was given.
    pub hint_set: bool,
}

/// Parses `{{…}}` at the cursor.
pub(super) fn parse_histogram(c: &mut Cursor<'_>) -> Result<HistogramDesc, SeriesError> {
    if !c.eat_str("{{") {
        return Err(c.err("expected \"{{\""));
    }
    let mut h = FloatHistogram::default();
    let mut hint_set = false;
    let mut seen: Vec<String> = Vec::new();
    let mut buckets: Option<Vec<f64>> = None;
    let mut n_buckets: Option<Vec<f64>> = None;
    let mut offset = 0i32;
    let mut n_offset = 0i32;
    loop {
        c.skip_ws();
        if c.eat_str("}}") {
            break;
        }
        if c.peek().is_none() {
            return Err(c.err("histogram description incomplete: missing \"}}\""));
        }
        let key_pos = c.pos;
        let key = c
            .take_while(|b| b.is_ascii_alphabetic() || b == b'_')
            .to_ascii_lowercase();
        if key.is_empty() {
            return Err(c.err(format!(
                "unexpected {} in histogram description, expected a key such as buckets:[5 10 7]",
                c.found()
            )));
        }
        if !c.eat(b':') {
            return Err(SeriesError {
                col: key_pos,
                msg: format!("missing `:` for histogram descriptor {key:?}"),
            });
        }
        if seen.contains(&key) {
            return Err(SeriesError {
                col: key_pos,
                msg: format!("duplicate key \"{key}\" in histogram"),
            });
        }
        match key.as_str() {
            "schema" => h.schema = parse_int(c)?,
            "sum" => h.sum = parse_signed_or_unsigned(c)?,
            "count" => h.count = parse_signed_or_unsigned(c)?,
            "z_bucket" => h.zero_count = parse_signed_or_unsigned(c)?,
            "z_bucket_w" => h.zero_threshold = parse_number(c)?,
            "buckets" => buckets = Some(parse_bucket_set(c)?),
            "n_buckets" => n_buckets = Some(parse_bucket_set(c)?),
            "custom_values" => h.custom_values = parse_bucket_set(c)?,
            "offset" => offset = parse_int(c)?,
            "n_offset" => n_offset = parse_int(c)?,
            "counter_reset_hint" => {
                hint_set = true;
                let word_pos = c.pos;
                let word = c
                    .take_while(|b| b.is_ascii_alphabetic() || b == b'_')
                    .to_ascii_lowercase();
                h.counter_reset_hint = match word.as_str() {
                    "unknown" => CounterResetHint::Unknown,
                    "reset" => CounterResetHint::CounterReset,
                    "not_reset" => CounterResetHint::NotCounterReset,
                    "gauge" => CounterResetHint::Gauge,
                    _ => {
                        return Err(SeriesError {
                            col: word_pos,
                            msg: format!(
                                "error parsing counter_reset_hint: unknown value {word:?}"
                            ),
                        });
                    }
                };
            }
            _ => {
                return Err(SeriesError {
                    col: key_pos,
                    msg: format!("bad histogram descriptor found: {key:?}"),
                });
            }
        }
        seen.push(key);
        match c.peek() {
            Some(b' ' | b'\t') => {}
            _ if c.rest().starts_with("}}") => {}
            _ => {
                return Err(c.err(format!("unexpected {} in histogram description", c.found())));
            }
        }
    }
    if let Some(b) = buckets {
        h.positive_spans = span_for(offset, b.len());
        h.positive_buckets = b;
    }
    if let Some(b) = n_buckets {
        h.negative_spans = span_for(n_offset, b.len());
        h.negative_buckets = b;
    }
    Ok(HistogramDesc { h, hint_set })
}

fn span_for(offset: i32, len: usize) -> Vec<Span> {
    if len == 0 {
        return Vec::new();
    }
    vec![Span {
        offset,
        length: u32::try_from(len).unwrap_or(u32::MAX),
    }]
}

/// An integer with an optional minus sign (schema and offsets).
fn parse_int(c: &mut Cursor<'_>) -> Result<i32, SeriesError> {
    let start = c.pos;
    let neg = c.eat(b'-');
    let n = parse_uint(c)?;
    let v = i64::try_from(n).unwrap_or(i64::MAX);
    let v = if neg { -v } else { v };
    i32::try_from(v).map_err(|_| SeriesError {
        col: start,
        msg: format!("number {v} out of range"),
    })
}

/// `[n n n]`.
fn parse_bucket_set(c: &mut Cursor<'_>) -> Result<Vec<f64>, SeriesError> {
    if !c.eat(b'[') {
        return Err(c.err(format!("unexpected {}, expected \"[\"", c.found())));
    }
    let mut out = Vec::new();
    loop {
        c.skip_ws();
        if c.eat(b']') {
            return Ok(out);
        }
        if c.peek().is_none() {
            return Err(c.err("unterminated bucket list"));
        }
        out.push(parse_signed_or_unsigned(c)?);
        match c.peek() {
            Some(b' ' | b'\t' | b']') => {}
            _ => {
                return Err(c.err(format!(
                    "invalid character in buckets description: {}",
                    c.found()
                )));
            }
        }
    }
}

/// Writes a float as Go's `strconv.FormatFloat(f, 'g', -1, 64)` roughly
/// does, which is what test expressions use.
fn num(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Inf".into() } else { "-Inf".into() }
    } else {
        format!("{f}")
    }
}

fn list(v: &[f64]) -> String {
    v.iter().map(|f| num(*f)).collect::<Vec<_>>().join(" ")
}

/// The histogram in description notation (like Prometheus'
/// `TestExpression`): every populated field, buckets as written by span
/// (gaps filled with zeros).
pub fn test_expression(h: &FloatHistogram) -> String {
    let mut h = h.clone();
    h.compact(0);
    let mut parts: Vec<String> = Vec::new();
    if h.schema != 0 {
        parts.push(format!("schema:{}", h.schema));
    }
    if h.count != 0.0 {
        parts.push(format!("count:{}", num(h.count)));
    }
    if h.sum != 0.0 {
        parts.push(format!("sum:{}", num(h.sum)));
    }
    if h.zero_count != 0.0 {
        parts.push(format!("z_bucket:{}", num(h.zero_count)));
    }
    if h.zero_threshold != 0.0 {
        parts.push(format!("z_bucket_w:{}", num(h.zero_threshold)));
    }
    if !h.custom_values.is_empty() {
        parts.push(format!("custom_values:[{}]", list(&h.custom_values)));
    }
    let side = |spans: &[Span], buckets: &[f64]| -> (i32, Vec<f64>) {
        let mut out = Vec::new();
        let mut it = buckets.iter();
        let first = spans.first().map_or(0, |s| s.offset);
        for (i, s) in spans.iter().enumerate() {
            if i > 0 {
                let gap = usize::try_from(s.offset).unwrap_or(0);
                out.extend(std::iter::repeat_n(0.0, gap));
            }
            for _ in 0..s.length {
                out.push(it.next().copied().unwrap_or(0.0));
            }
        }
        (first, out)
    };
    let (off, b) = side(&h.positive_spans, &h.positive_buckets);
    if off != 0 {
        parts.push(format!("offset:{off}"));
    }
    if !b.is_empty() {
        parts.push(format!("buckets:[{}]", list(&b)));
    }
    let (noff, nb) = side(&h.negative_spans, &h.negative_buckets);
    if noff != 0 {
        parts.push(format!("n_offset:{noff}"));
    }
    if !nb.is_empty() {
        parts.push(format!("n_buckets:[{}]", list(&nb)));
    }
    let hint = match h.counter_reset_hint {
        CounterResetHint::Unknown => None,
        CounterResetHint::CounterReset => Some("reset"),
        CounterResetHint::NotCounterReset => Some("not_reset"),
        CounterResetHint::Gauge => Some("gauge"),
    };
    if let Some(hint) = hint {
        parts.push(format!("counter_reset_hint:{hint}"));
    }
    let mut s = String::from("{{");
    let _ = write!(s, "{}", parts.join(" "));
    s.push_str("}}");
    s
}
