//! Lexing shared by the text 0.0.4 and OpenMetrics parsers: name character
//! classes, quoted strings and their escapes, label spans and how they turn
//! into a label set, float parsing with Go `strconv.ParseFloat` syntax, and
//! error positions.
//!
//! The syntax follows the Prometheus exposition format documentation and the
//! OpenMetrics 1.0 specification (`specification/OpenMetrics.md`); where the
//! two differ the callers pass the dialect.

use std::cell::RefCell;

use vigil_model::sample::NORMAL_NAN_BITS;
use vigil_model::{BUCKET_LABEL, LabelsBuilder, METRIC_NAME, MetricType, QUANTILE_LABEL};

use crate::error::ParseError;

/// Builds an error at byte `offset` of `buf`, working out line and column.
///
/// Positions are computed only when an error happens so the hot path never
/// counts lines.
pub(crate) fn error_at(buf: &[u8], offset: usize, msg: impl Into<String>) -> ParseError {
    let offset = offset.min(buf.len());
    let head = buf.get(..offset).unwrap_or_default();
    let line = memchr::memchr_iter(b'\n', head).count() + 1;
    let line_start = memchr::memrchr(b'\n', head).map_or(0, |i| i + 1);
    ParseError::at(line, offset - line_start + 1, msg)
}

/// Describes the token starting at `offset` for "found ..." in messages.
pub(crate) fn found(buf: &[u8], offset: usize) -> String {
    match buf.get(offset) {
        None => "end of input".to_string(),
        Some(b'\n') => "end of line".to_string(),
        Some(&first) => {
            let rest = buf.get(offset..).unwrap_or_default();
            let wordish =
                |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'.' | b'+' | b'-');
            let end = if matches!(first, b'=' | b',' | b'{' | b'}' | b'"' | b'\'') {
                // Punctuation is a token of its own.
                1
            } else if wordish(first) {
                rest.iter().position(|&c| !wordish(c)).unwrap_or(rest.len())
            } else {
                // Anything else runs to the next blank; a leading blank is shown
                // with what follows it, since a stray blank is usually the problem.
                rest.iter()
                    .skip(1)
                    .position(|&c| c == b'\n' || c == b' ' || c == b'\t')
                    .map_or(rest.len(), |i| i + 1)
            };
            let shown = rest.get(..end.min(24)).unwrap_or_default();
            format!("{:?}", String::from_utf8_lossy(shown))
        }
    }
}

/// A byte range of the body; `escaped` says whether it holds a backslash
/// escape that must be decoded before use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) escaped: bool,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize, escaped: bool) -> Span {
        Span {
            start,
            end,
            escaped,
        }
    }

    pub(crate) fn bytes<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.start..self.end).unwrap_or_default()
    }

    /// The raw (still escaped) text; spans are only recorded after their
    /// bytes were checked to be UTF-8, so the fallback is never taken.
    pub(crate) fn raw<'a>(&self, buf: &'a [u8]) -> &'a str {
        std::str::from_utf8(self.bytes(buf)).unwrap_or_default()
    }
}

/// One `name="value"` pair of a label set, as offsets into the body.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LabelSpan {
    pub(crate) name: Span,
    pub(crate) value: Span,
}

/// `[a-zA-Z_:]`: first byte of a metric name.
pub(crate) fn is_metric_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':'
}

/// `[a-zA-Z0-9_:]`: later bytes of a metric name.
pub(crate) fn is_metric_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b':'
}

/// `[a-zA-Z_]`: first byte of a label name.
pub(crate) fn is_label_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

/// `[a-zA-Z0-9_]`: later bytes of a label name.
pub(crate) fn is_label_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// End of the run of bytes from `pos` that satisfy `f`.
pub(crate) fn scan_while(buf: &[u8], mut pos: usize, f: impl Fn(u8) -> bool) -> usize {
    while let Some(&c) = buf.get(pos) {
        if !f(c) {
            break;
        }
        pos += 1;
    }
    pos
}

/// Skips spaces and tabs (text format only; OpenMetrics allows single spaces).
pub(crate) fn skip_ws(buf: &[u8], pos: usize) -> usize {
    scan_while(buf, pos, |c| c == b' ' || c == b'\t')
}

/// Why a quoted string could not be scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuoteError {
    /// No closing quote (before the end of line, when line feeds are banned).
    Unterminated,
    /// The contents are not valid UTF-8.
    InvalidUtf8,
}

/// Scans a quoted string whose opening `"` is at `pos`. Returns the span of
/// its contents (without quotes) and the offset just past the closing quote.
///
/// A backslash escapes the following byte. `allow_lf` lets a raw line feed
/// appear inside (the text format's lexer permits it; OpenMetrics does not).
pub(crate) fn scan_quoted(
    buf: &[u8],
    pos: usize,
    allow_lf: bool,
) -> Result<(Span, usize), QuoteError> {
    let start = pos + 1;
    let mut i = start;
    let mut escaped = false;
    loop {
        let rest = buf.get(i..).unwrap_or_default();
        let hit = if allow_lf {
            memchr::memchr2(b'"', b'\\', rest)
        } else {
            memchr::memchr3(b'"', b'\\', b'\n', rest)
        };
        let Some(off) = hit else {
            return Err(QuoteError::Unterminated);
        };
        let at = i + off;
        match buf.get(at) {
            Some(b'"') => {
                let span = Span::new(start, at, escaped);
                let bytes = span.bytes(buf);
                // ASCII is by far the common case and much cheaper to check.
                if !bytes.is_ascii() && std::str::from_utf8(bytes).is_err() {
                    return Err(QuoteError::InvalidUtf8);
                }
                return Ok((span, at + 1));
            }
            Some(b'\\') => {
                escaped = true;
                match buf.get(at + 1) {
                    None => return Err(QuoteError::Unterminated),
                    Some(b'\n') if !allow_lf => return Err(QuoteError::Unterminated),
                    Some(_) => i = at + 2,
                }
            }
            _ => return Err(QuoteError::Unterminated),
        }
    }
}

/// Appends `raw` to `out`, decoding `\\`, `\n` and (when `quote`) `\"`.
/// Any other backslash is kept as written, as Prometheus does.
pub(crate) fn unescape_into(raw: &str, quote: bool, out: &mut String) {
    let mut rest = raw;
    while let Some(i) = rest.find('\\') {
        out.push_str(rest.get(..i).unwrap_or_default());
        let after = rest.get(i + 1..).unwrap_or_default();
        let decoded = match after.as_bytes().first() {
            Some(b'\\') => Some('\\'),
            Some(b'n') => Some('\n'),
            Some(b'"') if quote => Some('"'),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = after.get(1..).unwrap_or_default();
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// Decoded text of `span`: borrowed when it has no escapes, else written to `out`.
pub(crate) fn decoded<'s>(buf: &'s [u8], span: Span, out: &'s mut String) -> &'s str {
    if span.escaped {
        out.clear();
        unescape_into(span.raw(buf), true, out);
        out.as_str()
    } else {
        span.raw(buf)
    }
}

/// Whether two label names are the same once decoded.
pub(crate) fn same_name(buf: &[u8], a: Span, b: Span) -> bool {
    if !a.escaped && !b.escaped {
        return a.bytes(buf) == b.bytes(buf);
    }
    let (mut x, mut y) = (String::new(), String::new());
    decoded(buf, a, &mut x) == decoded(buf, b, &mut y)
}

/// Index of a label whose name repeats an earlier one (or is `__name__`,
/// which the metric name already provides).
pub(crate) fn find_duplicate(buf: &[u8], labels: &[LabelSpan]) -> Option<usize> {
    for (i, l) in labels.iter().enumerate() {
        if l.name.bytes(buf) == METRIC_NAME.as_bytes() {
            return Some(i);
        }
        // Label sets are small; a quadratic scan is cheapest there. Huge
        // sets are rare enough that cost does not matter, but cap the work an
        // adversarial body can cause by checking names' hashes first.
        if labels.len() > 64 {
            continue;
        }
        if labels
            .iter()
            .take(i)
            .any(|p| same_name(buf, p.name, l.name))
        {
            return Some(i);
        }
    }
    if labels.len() > 64 {
        let mut names: Vec<(&[u8], usize)> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.name.bytes(buf), i))
            .collect();
        names.sort_unstable();
        for w in names.windows(2) {
            if let [a, b] = w {
                if a.0 == b.0 {
                    return Some(a.1.max(b.1));
                }
            }
        }
        // Escaped names could still collide once decoded; compare those pairwise.
        for (i, a) in labels.iter().enumerate().filter(|(_, l)| l.name.escaped) {
            for (j, b) in labels.iter().enumerate() {
                if j != i && same_name(buf, a.name, b.name) {
                    return Some(i.max(j));
                }
            }
        }
    }
    None
}

/// Scratch strings for decoding while building labels from `&self`.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    cell: RefCell<(String, String, String)>,
}

impl Scratch {
    /// Writes `__name__` and every label into `builder` (reset first).
    /// `le` of histograms and `quantile` of summaries are rewritten in
    /// canonical float form, as Prometheus does, so `1` and `1.0` name the
    /// same series.
    pub(crate) fn build_labels(
        &self,
        buf: &[u8],
        name: Span,
        labels: &[LabelSpan],
        kind: MetricType,
        builder: &mut LabelsBuilder,
    ) {
        builder.reset();
        let mut fresh = (String::new(), String::new(), String::new());
        let mut guard = self.cell.try_borrow_mut();
        let (n, v, f) = match guard.as_deref_mut() {
            Ok(t) => (&mut t.0, &mut t.1, &mut t.2),
            Err(_) => (&mut fresh.0, &mut fresh.1, &mut fresh.2),
        };
        builder.push(METRIC_NAME, decoded(buf, name, n));
        let normalise = match kind {
            MetricType::Histogram => Some(BUCKET_LABEL),
            MetricType::Summary => Some(QUANTILE_LABEL),
            _ => None,
        };
        for l in labels {
            let lname = decoded(buf, l.name, n);
            let value = decoded(buf, l.value, v);
            if normalise == Some(lname) {
                if let Some(x) = parse_float(value.as_bytes()) {
                    f.clear();
                    format_go_float(x, f);
                    builder.push(lname, f);
                    continue;
                }
            }
            builder.push(lname, value);
        }
    }

    /// Writes the labels of an exemplar (no metric name) into `builder`.
    pub(crate) fn build_plain(
        &self,
        buf: &[u8],
        labels: &[LabelSpan],
        builder: &mut LabelsBuilder,
    ) {
        builder.reset();
        let mut fresh = (String::new(), String::new(), String::new());
        let mut guard = self.cell.try_borrow_mut();
        let (n, v) = match guard.as_deref_mut() {
            Ok(t) => (&mut t.0, &mut t.1),
            Err(_) => (&mut fresh.0, &mut fresh.1),
        };
        for l in labels {
            builder.push(decoded(buf, l.name, n), decoded(buf, l.value, v));
        }
    }
}

/// The NaN Prometheus stores for a parsed `NaN`, so that it is never
/// mistaken for the staleness marker.
pub(crate) fn normal_nan() -> f64 {
    f64::from_bits(NORMAL_NAN_BITS)
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parses a float with Go `strconv.ParseFloat` syntax minus what Prometheus
/// bans (hex floats, `_` separators): decimals with optional sign, fraction
/// and exponent, and `Inf`/`Infinity`/`NaN` in any case. Out-of-range values
/// are an error, as in Go. `NaN` comes back as [`normal_nan`].
pub(crate) fn parse_float(s: &[u8]) -> Option<f64> {
    fast_float(s).or_else(|| slow_float(s))
}

/// Exact conversion for the shapes exporters write: at most 19 significant
/// digits whose value fits in 53 bits and a power of ten up to 22, where one
/// correctly rounded multiply or divide gives the correctly rounded result.
fn fast_float(s: &[u8]) -> Option<f64> {
    let (neg, body) = match s.first()? {
        b'-' => (true, s.get(1..)?),
        b'+' => (false, s.get(1..)?),
        _ => (false, s),
    };
    let mut mant: u64 = 0;
    let mut digits = 0u32;
    let mut i = 0;
    while let Some(&c) = body.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        mant = mant.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
        digits = digits.saturating_add(1);
        i += 1;
    }
    let mut frac = 0i32;
    if body.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&c) = body.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            mant = mant.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            // Leading zeros never overflow the mantissa, so bound the counters.
            digits = digits.saturating_add(1);
            frac = frac.saturating_add(1);
            i += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    let mut exp = 0i32;
    if let Some(b'e' | b'E') = body.get(i) {
        i += 1;
        let eneg = match body.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        while let Some(&c) = body.get(i) {
            if !c.is_ascii_digit() || i - start > 4 {
                break;
            }
            exp = exp * 10 + i32::from(c - b'0');
            i += 1;
        }
        if i == start {
            return None;
        }
        if eneg {
            exp = -exp;
        }
    }
    if i != body.len() || mant > (1u64 << 53) {
        return None;
    }
    let e = exp.checked_sub(frac)?;
    let m = mant as f64;
    let v = if e >= 0 {
        m * *POW10.get(usize::try_from(e).ok()?)?
    } else {
        m / *POW10.get(usize::try_from(-e).ok()?)?
    };
    Some(if neg { -v } else { v })
}

fn slow_float(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    if text.is_empty()
        || text
            .bytes()
            .any(|c| matches!(c, b'_' | b'p' | b'P' | b'x' | b'X'))
    {
        return None;
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = unsigned.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "infinity" => {
            return Some(if text.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        // Go accepts NaN only unsigned.
        "nan" if unsigned.len() == text.len() => return Some(normal_nan()),
        _ => {}
    }
    if !unsigned
        .bytes()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == b'.')
    {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    // Go's ParseFloat reports overflow as an error rather than rounding to ±Inf.
    if v.is_infinite() { None } else { Some(v) }
}

/// Formats `f` like Prometheus' `FormatOpenMetricsFloat`: Go's shortest
/// `%g` (`strconv.FormatFloat(f, 'g', -1, 64)`), with `.0` appended when the
/// result has neither a `.` nor an exponent, and `+Inf`/`-Inf`/`NaN`.
pub(crate) fn format_go_float(f: f64, out: &mut String) {
    use std::fmt::Write;
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if f == 0.0 {
        out.push_str(if f.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // Rust's `{:e}` gives the shortest round-tripping digits; only the layout differs from Go.
    let mut sci = String::new();
    let _ = write!(sci, "{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if f < 0.0 {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
        return;
    }
    if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
        return;
    }
    let int_len = usize::try_from(exp).unwrap_or(0) + 1;
    if digits.len() <= int_len {
        out.push_str(&digits);
        for _ in digits.len()..int_len {
            out.push('0');
        }
        out.push_str(".0");
    } else {
        let (int, frac) = digits.split_at(int_len);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pf(s: &str) -> Option<f64> {
        parse_float(s.as_bytes())
    }

    #[test]
    fn floats_follow_go_syntax() {
        assert_eq!(pf("1"), Some(1.0));
        assert_eq!(pf("-1.5"), Some(-1.5));
        assert_eq!(pf("+2"), Some(2.0));
        assert_eq!(pf(".5"), Some(0.5));
        assert_eq!(pf("5."), Some(5.0));
        assert_eq!(pf("1e3"), Some(1000.0));
        assert_eq!(pf("1.5E-3"), Some(0.0015));
        assert_eq!(pf("4.9351e-05"), Some(4.9351e-05));
        assert_eq!(pf("7.424100000000001e-05"), Some(7.424100000000001e-05));
        assert_eq!(
            pf("0000000000000000000000000000000000000000001.2e-1"),
            Some(0.12)
        );
        assert_eq!(pf("9223372036854775808"), Some(9223372036854775808.0));
        let tiny = format!("0.{}1", "0".repeat(400));
        assert_eq!(pf(&tiny), tiny.parse::<f64>().ok());
        let long_zeros = format!("{}1.5", "0".repeat(100));
        assert_eq!(pf(&long_zeros), Some(1.5));
        assert_eq!(pf("+Inf"), Some(f64::INFINITY));
        assert_eq!(pf("-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(pf("Infinity"), Some(f64::INFINITY));
        assert!(pf("NaN").is_some_and(f64::is_nan));
        assert!(pf("nan").is_some_and(f64::is_nan));
        for bad in [
            "", "+", "-", ".", "e3", "1e", "1_2", "0x1p-3", "0x1", "0X1", "0b1", "0o1", "1e400",
            "abc", "1.1.1", " 1", "1 ", "+NaN", "1\t", "true",
        ] {
            assert_eq!(pf(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn fast_path_agrees_with_std() {
        for s in [
            "0.1",
            "123.456",
            "1e22",
            "1e-22",
            "3.14159",
            "-0.000001",
            "42",
            "9007199254740993",
            "1.7976931348623157e308",
        ] {
            assert_eq!(pf(s), s.parse::<f64>().ok(), "{s}");
        }
    }

    #[test]
    fn go_float_format() {
        let f = |x: f64| {
            let mut s = String::new();
            format_go_float(x, &mut s);
            s
        };
        assert_eq!(f(1.0), "1.0");
        assert_eq!(f(0.0), "0.0");
        assert_eq!(f(0.25), "0.25");
        assert_eq!(f(100000.0), "100000.0");
        assert_eq!(f(1e6), "1e+06");
        assert_eq!(f(1234567.0), "1.234567e+06");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(0.00001), "1e-05");
        assert_eq!(f(-2.5e-7), "-2.5e-07");
        assert_eq!(f(1e100), "1e+100");
        assert_eq!(f(f64::INFINITY), "+Inf");
        assert_eq!(f(f64::NAN), "NaN");
    }

    #[test]
    fn unescaping() {
        let mut s = String::new();
        unescape_into(r#"a\\b\nc\"d\ze\"#, true, &mut s);
        assert_eq!(s, "a\\b\nc\"d\\ze\\");
        s.clear();
        unescape_into(r#"\"x\\"#, false, &mut s);
        assert_eq!(s, "\\\"x\\");
    }

    #[test]
    fn quoted_strings() {
        let b = br#""a\"b" x"#;
        let (span, end) = scan_quoted(b, 0, false).unwrap();
        assert_eq!(span.raw(b), r#"a\"b"#);
        assert!(span.escaped);
        assert_eq!(end, 6);
        assert_eq!(
            scan_quoted(b"\"abc", 0, true),
            Err(QuoteError::Unterminated)
        );
        assert_eq!(
            scan_quoted(b"\"a\nb\"", 0, false),
            Err(QuoteError::Unterminated)
        );
        assert!(scan_quoted(b"\"a\nb\"", 0, true).is_ok());
        assert_eq!(
            scan_quoted(b"\"\xff\"", 0, true),
            Err(QuoteError::InvalidUtf8)
        );
    }

    #[test]
    fn positions() {
        let e = error_at(b"ab\ncd\nef", 4, "x");
        assert_eq!(e, ParseError::at(2, 2, "x"));
        assert_eq!(found(b"a b", 2), "\"b\"");
        assert_eq!(found(b"a\n", 1), "end of line");
        assert_eq!(found(b"a", 1), "end of input");
    }
}
