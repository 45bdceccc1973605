//! Series descriptions: the `metric{l="v"} 1+2x3 _ stale {{…}}` lines that
//! `load` blocks and expected results are written in.
//!
//! The grammar follows Prometheus' series-description mode of its PromQL
//! lexer and parser (also used by `promtool test rules`):
//!
//! - the metric: an optional name (any identifier except the few keywords
//!   Prometheus refuses there), then an optional `{…}` label set written
//!   directly after it; label names may be quoted (`{"a.b"="x"}`), and a
//!   lone quoted string inside the braces is the metric name (`{"a.b"}`);
//! - then whitespace-separated items: `_` (no sample), `_xN` (N gaps),
//!   `v` (a number, `Inf`/`NaN` with an optional sign, or `stale`),
//!   `vxN` (N+1 copies), `v±dxN` (N+1 values stepping by d), and native
//!   histograms `{{…}}`, `{{…}}xN`, `{{…}}+{{…}}xN`, `{{…}}-{{…}}xN`.
//!
//! Numbers are converted as Go's `strconv` does for Prometheus (base-0
//! integers first, so `010` is 8, then floats).

use vigil_model::{CounterResetHint, FloatHistogram, Labels, LabelsBuilder, stale_nan};

use super::histogram_desc::{HistogramDesc, parse_histogram};

/// One position of a value sequence.
#[derive(Debug, Clone, PartialEq)]
pub enum SequenceValue {
    /// `_`: no sample at this position.
    Omitted,
    /// A float sample (possibly the stale marker).
    Float(f64),
    /// A native histogram sample.
    Histogram(HistogramDesc),
}

/// A parsed series description.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesDesc {
    /// The series' labels (`__name__` included).
    pub labels: Labels,
    /// The values, one per step.
    pub values: Vec<SequenceValue>,
}

/// A series description that does not parse; `col` is the 0-based byte
/// offset in the line where the problem was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {}: {msg}", col + 1)]
pub struct SeriesError {
    /// Byte offset of the problem.
    pub col: usize,
    /// What is wrong.
    pub msg: String,
}

/// Keywords Prometheus' lexer produces that its grammar does not accept as
/// a metric name in a series description (compared lower-cased).
const REFUSED_NAMES: [&str; 8] = [
    "bool",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "atan2",
    "inf",
    "nan",
];

/// Parses a whole series description line.
pub fn parse_series_desc(line: &str) -> Result<SeriesDesc, SeriesError> {
    let mut c = Cursor::new(line);
    c.skip_ws();
    let labels = parse_metric(&mut c)?;
    let values = parse_values(&mut c)?;
    Ok(SeriesDesc { labels, values })
}

/// Parses only the metric part of `line` and returns it with the rest of the
/// line (used for `@st` lines, whose values are not a series description).
pub fn parse_metric_prefix(line: &str) -> Result<(Labels, &str), SeriesError> {
    let mut c = Cursor::new(line);
    c.skip_ws();
    let labels = parse_metric(&mut c)?;
    Ok((labels, c.rest()))
}

/// A byte cursor over one line. Every look-up is bounds-checked, so no
/// input can make it panic.
#[derive(Debug)]
pub(super) struct Cursor<'a> {
    pub(super) s: &'a str,
    pub(super) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(s: &'a str) -> Cursor<'a> {
        Cursor { s, pos: 0 }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    pub(super) fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    pub(super) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn eat_str(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Skips spaces and tabs; returns whether any were skipped.
    pub(super) fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Takes bytes while `f` holds.
    pub(super) fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or("")
    }

    pub(super) fn err(&self, msg: impl Into<String>) -> SeriesError {
        SeriesError {
            col: self.pos,
            msg: msg.into(),
        }
    }

    /// Describes the next character for error messages.
    pub(super) fn found(&self) -> String {
        match self.rest().chars().next() {
            None => "end of input".to_string(),
            Some(ch) => format!("{ch:?}"),
        }
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

fn is_label_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_label(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn parse_metric(c: &mut Cursor<'_>) -> Result<Labels, SeriesError> {
    let mut b = LabelsBuilder::new();
    let mut name = None;
    if c.peek().is_some_and(is_ident_start) {
        let start = c.pos;
        let ident = c.take_while(is_ident);
        if REFUSED_NAMES.contains(&ident.to_ascii_lowercase().as_str()) {
            return Err(SeriesError {
                col: start,
                msg: format!("unexpected {ident:?} where a metric name was expected"),
            });
        }
        name = Some(ident.to_string());
    } else if c.peek() != Some(b'{') {
        return Err(c.err(format!(
            "unexpected {} where a metric name or label set was expected",
            c.found()
        )));
    }
    if c.eat(b'{') {
        parse_label_set(c, &mut b)?;
    }
    // A name written before the braces wins over a `__name__` inside them,
    // as in Prometheus' grammar.
    if let Some(n) = name {
        b.set(vigil_model::labels::METRIC_NAME, &n);
    }
    Ok(b.build())
}

/// Parses `…}` after the opening brace.
fn parse_label_set(c: &mut Cursor<'_>, b: &mut LabelsBuilder) -> Result<(), SeriesError> {
    loop {
        c.skip_ws();
        if c.eat(b'}') {
            return Ok(());
        }
        let (name, quoted) = match c.peek() {
            Some(q @ (b'"' | b'\'' | b'`')) => (read_string(c, q)?, true),
            Some(ch) if is_label_start(ch) => (c.take_while(is_label).to_string(), false),
            _ => {
                return Err(c.err(format!(
                    "unexpected {} in label set, expected identifier or \"}}\"",
                    c.found()
                )));
            }
        };
        c.skip_ws();
        if c.eat(b'=') {
            c.skip_ws();
            let value = match c.peek() {
                Some(q @ (b'"' | b'\'' | b'`')) => read_string(c, q)?,
                _ => {
                    return Err(c.err(format!(
                        "unexpected {} in label set, expected string",
                        c.found()
                    )));
                }
            };
            b.set(&name, &value);
        } else if quoted {
            b.set(vigil_model::labels::METRIC_NAME, &name);
        } else {
            return Err(c.err(format!(
                "unexpected {} in label set, expected \"=\"",
                c.found()
            )));
        }
        c.skip_ws();
        if c.eat(b',') {
            continue;
        }
        if c.eat(b'}') {
            return Ok(());
        }
        return Err(c.err(format!(
            "unexpected {} in label set, expected \",\" or \"}}\"",
            c.found()
        )));
    }
}

/// Reads a quoted string starting at the quote `q` and unquotes it.
fn read_string(c: &mut Cursor<'_>, q: u8) -> Result<String, SeriesError> {
    let start = c.pos;
    c.pos += 1;
    loop {
        match c.peek() {
            None => {
                return Err(SeriesError {
                    col: start,
                    msg: "unterminated quoted string".into(),
                });
            }
            Some(b'\\') if q != b'`' => c.pos += 2,
            Some(b) if b == q => {
                c.pos += 1;
                break;
            }
            Some(_) => c.pos += 1,
        }
    }
    let raw = c.s.get(start..c.pos).unwrap_or("");
    crate::unquote(raw).map_err(|e| SeriesError {
        col: start,
        msg: format!("invalid quoted string {raw}: {e}"),
    })
}

fn parse_values(c: &mut Cursor<'_>) -> Result<Vec<SequenceValue>, SeriesError> {
    let mut out = Vec::new();
    loop {
        let had_ws = c.skip_ws();
        if c.peek().is_none() {
            return Ok(out);
        }
        if !had_ws {
            return Err(c.err(format!(
                "unexpected {} in series values, expected a space",
                c.found()
            )));
        }
        parse_item(c, &mut out)?;
    }
}

/// Parses one item and appends its expansion.
fn parse_item(c: &mut Cursor<'_>, out: &mut Vec<SequenceValue>) -> Result<(), SeriesError> {
    if c.rest().starts_with("{{") {
        return parse_histogram_item(c, out);
    }
    if c.eat(b'_') {
        if c.eat(b'x') {
            let n = parse_uint(c)?;
            out.extend((0..n).map(|_| SequenceValue::Omitted));
        } else {
            expect_item_end(c)?;
            out.push(SequenceValue::Omitted);
        }
        return Ok(());
    }
    let first = parse_series_value(c)?;
    match c.peek() {
        Some(b'x') => {
            c.pos += 1;
            let n = parse_uint(c)?;
            // `vxN` gives N+1 values: the first is the one at the start.
            out.extend((0..=n).map(|_| SequenceValue::Float(first)));
        }
        Some(b'+' | b'-') => {
            let step = parse_signed_number(c)?;
            if !c.eat(b'x') {
                return Err(c.err(format!(
                    "unexpected {} in series values, expected \"x\"",
                    c.found()
                )));
            }
            let n = parse_uint(c)?;
            // Accumulate step by step (not first + i*step) so that the
            // rounding matches the reference implementation.
            let mut v = first;
            for _ in 0..=n {
                out.push(SequenceValue::Float(v));
                v += step;
            }
        }
        _ => {
            expect_item_end(c)?;
            out.push(SequenceValue::Float(first));
        }
    }
    Ok(())
}

fn expect_item_end(c: &Cursor<'_>) -> Result<(), SeriesError> {
    match c.peek() {
        None | Some(b' ' | b'\t' | b'\r' | b'\n') => Ok(()),
        Some(_) => Err(c.err(format!("unexpected {} in series values", c.found()))),
    }
}

fn parse_histogram_item(
    c: &mut Cursor<'_>,
    out: &mut Vec<SequenceValue>,
) -> Result<(), SeriesError> {
    let base = parse_histogram(c)?;
    let op = c.peek();
    match op {
        Some(b'x') => {
            c.pos += 1;
            let n = parse_uint(c)?;
            out.extend((0..=n).map(|_| SequenceValue::Histogram(base.clone())));
        }
        Some(b'+' | b'-') => {
            c.pos += 1;
            if !c.rest().starts_with("{{") {
                return Err(c.err(format!(
                    "unexpected {} after histogram operator, expected \"{{{{\"",
                    c.found()
                )));
            }
            let inc = parse_histogram(c)?;
            if !c.eat(b'x') {
                return Err(c.err(format!(
                    "unexpected {} in series values, expected \"x\"",
                    c.found()
                )));
            }
            let n = parse_uint(c)?;
            // Every value of the expansion takes the "hint was written"
            // flag of the increment, as the reference parser does.
            let hint_set = inc.hint_set;
            let mut cur = base.h;
            out.push(SequenceValue::Histogram(HistogramDesc {
                h: cur.clone(),
                hint_set,
            }));
            for _ in 0..n {
                if cur.schema > inc.h.schema {
                    return Err(c.err(format!(
                        "error combining histograms: cannot merge from schema {} to {}",
                        inc.h.schema, cur.schema
                    )));
                }
                let mut next: FloatHistogram = cur.clone();
                let res = if op == Some(b'+') {
                    next.add(&inc.h)
                } else {
                    next.sub(&inc.h)
                };
                res.map_err(|e| c.err(format!("error combining histograms: {e}")))?;
                // Set the hint here rather than trusting the histogram
                // arithmetic, so the loaded data follows the reference rule
                // whatever the model crate does.
                next.counter_reset_hint =
                    combined_hint(cur.counter_reset_hint, inc.h.counter_reset_hint);
                out.push(SequenceValue::Histogram(HistogramDesc {
                    h: next.clone(),
                    hint_set,
                }));
                cur = next;
            }
        }
        _ => {
            expect_item_end(c)?;
            out.push(SequenceValue::Histogram(base));
        }
    }
    Ok(())
}

/// The counter-reset hint of `a ± b` by Prometheus' rule: equal hints stay,
/// a gauge on either side wins, then unknown on either side, and a
/// reset/not-reset collision gives unknown.
fn combined_hint(a: CounterResetHint, b: CounterResetHint) -> CounterResetHint {
    use CounterResetHint::{Gauge, Unknown};
    if a == b {
        a
    } else if a == Gauge || b == Gauge {
        Gauge
    } else {
        Unknown
    }
}

/// `stale`, or a number with an optional sign.
fn parse_series_value(c: &mut Cursor<'_>) -> Result<f64, SeriesError> {
    if c.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
        let start = c.pos;
        let word = c.take_while(is_ident);
        if word == "stale" {
            return Ok(stale_nan());
        }
        c.pos = start;
    }
    match c.peek() {
        Some(b'+' | b'-') => parse_signed_number(c),
        _ => parse_number(c),
    }
}

/// `+n` or `-n`.
pub(super) fn parse_signed_number(c: &mut Cursor<'_>) -> Result<f64, SeriesError> {
    if c.eat(b'+') {
        parse_number(c)
    } else if c.eat(b'-') {
        Ok(-parse_number(c)?)
    } else {
        Err(c.err(format!("unexpected {}, expected a sign", c.found())))
    }
}

/// A number, optionally signed.
pub(super) fn parse_signed_or_unsigned(c: &mut Cursor<'_>) -> Result<f64, SeriesError> {
    match c.peek() {
        Some(b'+' | b'-') => parse_signed_number(c),
        _ => parse_number(c),
    }
}

/// An unsigned number: digits (with `.`, exponent, `_`), or `Inf`/`NaN`.
pub(super) fn parse_number(c: &mut Cursor<'_>) -> Result<f64, SeriesError> {
    let start = c.pos;
    if c.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
        let word = c.take_while(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':');
        return match word.to_ascii_lowercase().as_str() {
            "inf" => Ok(f64::INFINITY),
            "nan" => Ok(f64::NAN),
            _ => Err(SeriesError {
                col: start,
                msg: format!("unexpected {word:?} in series values, expected number or \"stale\""),
            }),
        };
    }
    let text = scan_number(c).ok_or_else(|| SeriesError {
        col: start,
        msg: format!(
            "bad number syntax: {:?}",
            c.s.get(start..c.pos.max(start + 1)).unwrap_or("")
        ),
    })?;
    go_number(text).ok_or_else(|| SeriesError {
        col: start,
        msg: format!("error parsing number: {text:?}"),
    })
}

/// Scans `[.]d[d._eE±]*` as Prometheus' lexer does in series descriptions
/// (no hexadecimal); afterwards only `x` may follow directly.
fn scan_number<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    let start = c.pos;
    let mut seen_dot = false;
    let mut seen_exp = false;
    let mut digits = false;
    loop {
        match c.peek() {
            Some(b) if b.is_ascii_digit() => {
                digits = true;
                c.pos += 1;
            }
            Some(b'_') if digits => c.pos += 1,
            Some(b'.') if !seen_dot && !seen_exp => {
                seen_dot = true;
                c.pos += 1;
            }
            Some(b'e' | b'E') if digits && !seen_exp => {
                seen_exp = true;
                c.pos += 1;
                if matches!(c.peek(), Some(b'+' | b'-')) {
                    c.pos += 1;
                }
                if !c.peek().is_some_and(|b| b.is_ascii_digit()) {
                    return None;
                }
            }
            _ => break,
        }
    }
    if !digits {
        return None;
    }
    match c.peek() {
        Some(b'x') => {}
        Some(b) if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' => return None,
        _ => {}
    }
    c.s.get(start..c.pos)
}

/// Go's `strconv.ParseInt(s, 0, 64)` falling back to `ParseFloat(s, 64)`,
/// for the decimal forms the series lexer produces (underscores are digit
/// separators; a leading `0` means octal when every digit allows it).
pub(super) fn go_number(text: &str) -> Option<f64> {
    let s: String = text.chars().filter(|&ch| ch != '_').collect();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let (digits, radix) = match s.strip_prefix('0') {
            Some(rest) if !rest.is_empty() => (rest, 8),
            _ => (s.as_str(), 10),
        };
        if let Ok(v) = i64::from_str_radix(digits, radix) {
            return Some(v as f64);
        }
    }
    s.parse::<f64>().ok()
}

/// A repetition count after `x`.
pub(super) fn parse_uint(c: &mut Cursor<'_>) -> Result<u64, SeriesError> {
    let start = c.pos;
    let digits = c.take_while(|b| b.is_ascii_digit());
    if digits.is_empty() {
        return Err(c.err(format!(
            "unexpected {} in series values, expected a repetition count",
            c.found()
        )));
    }
    let n: u64 = digits.parse().map_err(|_| SeriesError {
        col: start,
        msg: format!("invalid repetition in series values: {digits}"),
    })?;
    // A repetition this large cannot be a real test and would exhaust
    // memory; refuse it rather than allocate.
    if n > 10_000_000 {
        return Err(SeriesError {
            col: start,
            msg: format!("repetition count {n} is too large"),
        });
    }
    Ok(n)
}

#[cfg(test)]
#[path = "series_tests.rs"]
mod tests;
