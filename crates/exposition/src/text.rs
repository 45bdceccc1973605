//! The Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`).
//!
//! Behaviour follows Prometheus 3's `model/textparse/promparse.go` and the
//! format description at <https://prometheus.io/docs/instrumenting/exposition_formats/>:
//! `# HELP` / `# TYPE` metadata, other `#` lines are comments, blank lines
//! are skipped, and samples are `name{labels} value [timestamp_ms]` with
//! spaces or tabs between tokens. Prometheus 3's UTF-8 names are accepted:
//! a quoted metric name inside the braces (`{"my.metric",a="b"}`) and quoted
//! label names (`{"my.label"="v"}`).
//!
//! [`TextParser::next`] validates a whole line but only records offsets; the
//! label set is decoded when [`Parser::labels`] asks for it.

use vigil_model::{Exemplar, FloatHistogram, Histogram, LabelsBuilder, MetricType};

use crate::error::ParseError;
use crate::lex::{self, LabelSpan, QuoteError, Scratch, Span};
use crate::parser::{Entry, Parser};

/// Streaming parser for the Prometheus text format 0.0.4; see the module docs.
#[derive(Debug)]
pub struct TextParser<'a> {
    buf: &'a [u8],
    /// Where the next line starts.
    pos: usize,
    /// The metric name of the current sample (or the name of a metadata line).
    name: Span,
    /// The current sample's labels, reused from line to line.
    labels: Vec<LabelSpan>,
    /// Identity bytes of the current sample: name through closing brace.
    series: (usize, usize),
    value: f64,
    timestamp: Option<i64>,
    /// The type last declared by `# TYPE`: Prometheus uses it to decide
    /// whether `le` / `quantile` values are normalised.
    kind: MetricType,
    /// Type declared by the current `# TYPE` entry.
    entry_kind: MetricType,
    /// Help text of the current `# HELP` entry, and whether it was decoded into `help_buf`.
    help: Span,
    help_buf: String,
    /// Decoded metadata name when it was quoted with escapes.
    name_buf: String,
    scratch: Scratch,
}

impl<'a> TextParser<'a> {
    /// A parser over a whole text-format scrape body.
    pub fn new(body: &'a [u8]) -> TextParser<'a> {
        TextParser {
            buf: body,
            pos: 0,
            name: Span::default(),
            labels: Vec::new(),
            series: (0, 0),
            value: 0.0,
            timestamp: None,
            kind: MetricType::Unknown,
            entry_kind: MetricType::Unknown,
            help: Span::default(),
            help_buf: String::new(),
            name_buf: String::new(),
            scratch: Scratch::default(),
        }
    }

    fn error(&mut self, at: usize, msg: impl Into<String>) -> ParseError {
        // A failed parser must not be used again; make sure it yields nothing more.
        self.pos = self.buf.len();
        lex::error_at(self.buf, at, msg)
    }

    fn expected(&mut self, what: &str, at: usize) -> ParseError {
        let msg = format!("expected {what}, found {}", lex::found(self.buf, at));
        self.error(at, msg)
    }

    /// A `#` line starting at `p`: `# HELP`, `# TYPE` or a comment.
    fn comment(&mut self, p: usize) -> Result<Option<Entry>, ParseError> {
        let buf = self.buf;
        let eol =
            memchr::memchr(b'\n', buf.get(p..).unwrap_or_default()).map_or(buf.len(), |i| p + i);
        let after_hash = p + 1;
        let word = lex::skip_ws(buf, after_hash);
        let rest = buf.get(word..eol).unwrap_or_default();
        let keyword = if word == after_hash {
            None
        } else if rest.starts_with(b"HELP") {
            Some(Entry::Help)
        } else if rest.starts_with(b"TYPE") {
            Some(Entry::Type)
        } else {
            None
        };
        // The keyword must be followed by whitespace; `# HELP` alone or
        // `# HELPER` are plain comments, as in Prometheus' lexer.
        let entry = match keyword {
            Some(e) if matches!(buf.get(word + 4), Some(b' ' | b'\t')) => e,
            _ => {
                self.pos = eol + 1;
                return Ok(Some(Entry::Comment));
            }
        };
        let keyword = if entry == Entry::Help { "HELP" } else { "TYPE" };
        let start = lex::skip_ws(buf, word + 4);
        let name_end = match buf.get(start) {
            Some(b'"') => match lex::scan_quoted(buf, start, false) {
                Ok((span, end)) => {
                    self.name = span;
                    end
                }
                Err(QuoteError::InvalidUtf8) => {
                    return Err(self.error(start, "invalid UTF-8 in quoted metric name"));
                }
                Err(QuoteError::Unterminated) => {
                    return Err(self.error(start, "unterminated quoted metric name"));
                }
            },
            Some(&c) if lex::is_metric_start(c) => {
                let end = lex::scan_while(buf, start, lex::is_metric_char);
                self.name = Span::new(start, end, false);
                end
            }
            _ => return Err(self.expected(&format!("metric name after {keyword}"), start)),
        };
        if self.name.escaped {
            self.name_buf.clear();
            lex::unescape_into(self.name.raw(buf), true, &mut self.name_buf);
        }
        // Like Prometheus, the text is the rest of the line minus the one
        // separator character after the name.
        let text_start = (name_end + 1).min(eol.max(name_end));
        let text = buf.get(text_start..eol).unwrap_or_default();
        self.pos = eol + 1;
        if entry == Entry::Help {
            if std::str::from_utf8(text).is_err() {
                return Err(self.error(text_start, "help text is not valid UTF-8"));
            }
            let escaped = memchr::memchr(b'\\', text).is_some();
            self.help = Span::new(text_start, eol, escaped);
            if escaped {
                self.help_buf.clear();
                lex::unescape_into(self.help.raw(buf), false, &mut self.help_buf);
            }
            return Ok(Some(Entry::Help));
        }
        self.entry_kind = match text {
            b"counter" => MetricType::Counter,
            b"gauge" => MetricType::Gauge,
            b"histogram" => MetricType::Histogram,
            b"summary" => MetricType::Summary,
            b"untyped" => MetricType::Unknown,
            _ => {
                let msg = format!(
                    "invalid metric type {:?}, expected counter, gauge, histogram, summary or untyped",
                    String::from_utf8_lossy(text)
                );
                return Err(self.error(text_start, msg));
            }
        };
        self.kind = self.entry_kind;
        Ok(Some(Entry::Type))
    }

    /// A sample line whose first token starts at `start`.
    fn sample(&mut self, start: usize) -> Result<Option<Entry>, ParseError> {
        let buf = self.buf;
        self.labels.clear();
        let mut named = false;
        let mut p = start;
        if buf.get(p).is_some_and(|&c| lex::is_metric_start(c)) {
            p = lex::scan_while(buf, p, lex::is_metric_char);
            self.name = Span::new(start, p, false);
            named = true;
        }
        let mut series_end = p;
        let mut q = lex::skip_ws(buf, p);
        if buf.get(q) == Some(&b'{') {
            q = self.label_set(q + 1, &mut named)?;
            series_end = q;
            q = lex::skip_ws(buf, q);
        } else {
            q = p;
            q = lex::skip_ws(buf, q);
        }
        if !named {
            return Err(self.error(
                start,
                "metric name not set: expected a name before or inside the braces",
            ));
        }
        if let Some(i) = lex::find_duplicate(buf, &self.labels) {
            let span = self.labels.get(i).map(|l| l.name).unwrap_or_default();
            let msg = format!(
                "duplicate label name {:?}",
                String::from_utf8_lossy(span.bytes(buf))
            );
            return Err(self.error(span.start, msg));
        }
        self.series = (start, series_end);

        // The value runs to the next blank; a NUL byte is never part of it.
        let v_end = lex::scan_while(buf, q, |c| !matches!(c, b' ' | b'\t' | b'\n' | b'{' | 0));
        if v_end == q {
            return Err(self.expected("value after metric", q));
        }
        let token = buf.get(q..v_end).unwrap_or_default();
        self.value = match lex::parse_float(token) {
            Some(v) => v,
            None => {
                let msg = format!("invalid float value {:?}", String::from_utf8_lossy(token));
                return Err(self.error(q, msg));
            }
        };
        let mut p = lex::skip_ws(buf, v_end);
        self.timestamp = None;
        match buf.get(p) {
            None | Some(b'\n') => {}
            Some(c) if c.is_ascii_digit() => {
                let t_end = lex::scan_while(buf, p, |c| c.is_ascii_digit());
                let mut ts: i64 = 0;
                for &c in buf.get(p..t_end).unwrap_or_default() {
                    match ts
                        .checked_mul(10)
                        .and_then(|t| t.checked_add(i64::from(c - b'0')))
                    {
                        Some(t) => ts = t,
                        None => return Err(self.error(p, "timestamp out of range")),
                    }
                }
                self.timestamp = Some(ts);
                p = lex::skip_ws(buf, t_end);
                if !matches!(buf.get(p), None | Some(b'\n')) {
                    return Err(self.expected("end of line after timestamp", p));
                }
            }
            Some(_) => return Err(self.expected("timestamp or end of line", p)),
        }
        self.pos = p + 1;
        Ok(Some(Entry::Series))
    }

    /// Parses labels after `{` up to and including `}`; returns the offset
    /// after the closing brace. A quoted string followed by `,` or `}` is the
    /// metric name.
    fn label_set(&mut self, mut p: usize, named: &mut bool) -> Result<usize, ParseError> {
        let buf = self.buf;
        loop {
            p = lex::skip_ws(buf, p);
            let name = match buf.get(p) {
                Some(b'}') => return Ok(p + 1),
                Some(b'"') => {
                    let (span, end) = self.quoted(p, "label name")?;
                    let q = lex::skip_ws(buf, end);
                    if matches!(buf.get(q), Some(b',' | b'}')) {
                        if *named {
                            return Err(self.error(p, "metric name already set"));
                        }
                        // A series cannot be stored without a name.
                        if span.start == span.end {
                            return Err(self.error(p, "metric name must not be empty"));
                        }
                        self.name = span;
                        *named = true;
                        p = if buf.get(q) == Some(&b',') { q + 1 } else { q };
                        continue;
                    }
                    p = q;
                    span
                }
                Some(&c) if lex::is_label_start(c) => {
                    let end = lex::scan_while(buf, p, lex::is_label_char);
                    let span = Span::new(p, end, false);
                    p = lex::skip_ws(buf, end);
                    span
                }
                _ => return Err(self.expected("label name", p)),
            };
            if buf.get(p) != Some(&b'=') {
                return Err(self.expected("\"=\" after label name", p));
            }
            p = lex::skip_ws(buf, p + 1);
            if buf.get(p) != Some(&b'"') {
                return Err(self.expected("label value", p));
            }
            let (value, end) = self.quoted(p, "label value")?;
            self.labels.push(LabelSpan { name, value });
            p = lex::skip_ws(buf, end);
            // Prometheus' text parser treats the separating comma as optional.
            if buf.get(p) == Some(&b',') {
                p += 1;
            }
        }
    }

    fn quoted(&mut self, p: usize, what: &str) -> Result<(Span, usize), ParseError> {
        lex::scan_quoted(self.buf, p, true).map_err(|e| match e {
            QuoteError::InvalidUtf8 => self.error(p, format!("invalid UTF-8 in {what}")),
            QuoteError::Unterminated => {
                self.error(p, format!("unterminated {what}: missing closing quote"))
            }
        })
    }

    fn meta_name(&self) -> &str {
        if self.name.escaped {
            &self.name_buf
        } else {
            self.name.raw(self.buf)
        }
    }
}

impl Parser for TextParser<'_> {
    fn next(&mut self) -> Result<Option<Entry>, ParseError> {
        loop {
            let buf = self.buf;
            let p = lex::skip_ws(buf, self.pos);
            match buf.get(p) {
                None => {
                    self.pos = buf.len();
                    return Ok(None);
                }
                Some(b'\n') => self.pos = p + 1,
                // Prometheus' lexer takes a NUL where a line starts as the end of input.
                Some(0) => {
                    self.pos = buf.len();
                    return Ok(None);
                }
                Some(b'#') => return self.comment(p),
                Some(&c) if c == b'{' || lex::is_metric_start(c) => return self.sample(p),
                Some(_) => {
                    return Err(self.expected("metric name, \"{\" or \"#\" at start of line", p));
                }
            }
        }
    }

    fn series(&self) -> (&[u8], Option<i64>, f64) {
        let id = self
            .buf
            .get(self.series.0..self.series.1)
            .unwrap_or_default();
        (id, self.timestamp, self.value)
    }

    fn histogram(
        &self,
    ) -> (
        &[u8],
        Option<i64>,
        Option<&Histogram>,
        Option<&FloatHistogram>,
    ) {
        (&[], None, None, None)
    }

    fn help(&self) -> (&str, &str) {
        let text = if self.help.escaped {
            &self.help_buf
        } else {
            self.help.raw(self.buf)
        };
        (self.meta_name(), text)
    }

    fn metric_type(&self) -> (&str, MetricType) {
        (self.meta_name(), self.entry_kind)
    }

    fn unit(&self) -> (&str, &str) {
        ("", "")
    }

    fn labels(&self, builder: &mut LabelsBuilder) {
        self.scratch
            .build_labels(self.buf, self.name, &self.labels, self.kind, builder);
    }

    fn exemplar(&mut self, _exemplar: &mut Exemplar) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::Labels;

    #[test]
    fn empty_quoted_metric_name_is_an_error() {
        // Found by the `text` fuzz target: a series with no name cannot be stored.
        let err = parse_all("{\"\"} 0.5e3 1700\n").unwrap_err();
        assert!(
            err.message.contains("metric name must not be empty"),
            "{err}"
        );
        assert!(parse_all("{\"\", a=\"b\"} 1\n").is_err());
    }

    /// Every entry of `input`, rendered compactly, or the first error.
    fn parse_all(input: &str) -> Result<Vec<String>, ParseError> {
        let mut p = TextParser::new(input.as_bytes());
        let mut out = Vec::new();
        let mut b = LabelsBuilder::new();
        while let Some(e) = p.next()? {
            out.push(match e {
                Entry::Help => format!("help {:?} {:?}", p.help().0, p.help().1),
                Entry::Type => format!("type {} {}", p.metric_type().0, p.metric_type().1),
                Entry::Comment => "comment".to_string(),
                Entry::Series => {
                    p.labels(&mut b);
                    let (id, ts, v) = p.series();
                    format!(
                        "{} {} {v} {ts:?} {}",
                        String::from_utf8_lossy(id),
                        b.build(),
                        ""
                    )
                    .trim_end()
                    .to_string()
                }
                other => format!("{other:?}"),
            });
        }
        Ok(out)
    }

    fn labels_of(input: &str) -> Labels {
        let mut p = TextParser::new(input.as_bytes());
        assert_eq!(p.next(), Ok(Some(Entry::Series)));
        let mut b = LabelsBuilder::new();
        p.labels(&mut b);
        b.build()
    }

    fn err(input: &str) -> ParseError {
        let mut p = TextParser::new(input.as_bytes());
        loop {
            match p.next() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("{input:?} parsed without error"),
                Err(e) => return e,
            }
        }
    }

    #[test]
    fn metadata_comments_and_samples() {
        let input = "# HELP go_gc_duration_seconds A summary of the GC invocation durations.\n\
                     # \tTYPE go_gc_duration_seconds summary\n\
                     go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\n\
                     go_gc_duration_seconds{quantile=\"0.25\",} 7.424100000000001e-05\n\
                     # Hrandom comment starting with prefix of HELP\n\
                     #\n\
                     \n\
                     # HELP nohelp1\n\
                     # HELP nohelp2 \n\
                     go_goroutines 33  \t123123\n\
                     some:aggregate:rate5m{a_b=\"c\"}\t1\n\
                     _metric_starting_with_underscore 1\n";
        let got = parse_all(input).unwrap();
        assert_eq!(
            got,
            vec![
                "help \"go_gc_duration_seconds\" \"A summary of the GC invocation durations.\"",
                "type go_gc_duration_seconds summary",
                "go_gc_duration_seconds{quantile=\"0\"} {__name__=\"go_gc_duration_seconds\", quantile=\"0.0\"} 0.000049351 None",
                "go_gc_duration_seconds{quantile=\"0.25\",} {__name__=\"go_gc_duration_seconds\", quantile=\"0.25\"} 0.00007424100000000001 None",
                "comment",
                "comment",
                "help \"nohelp1\" \"\"",
                "help \"nohelp2\" \"\"",
                "go_goroutines {__name__=\"go_goroutines\"} 33 Some(123123)",
                "some:aggregate:rate5m{a_b=\"c\"} {__name__=\"some:aggregate:rate5m\", a_b=\"c\"} 1 None",
                "_metric_starting_with_underscore {__name__=\"_metric_starting_with_underscore\"} 1 None",
            ]
        );
    }

    #[test]
    fn whitespace_and_commas_are_lenient() {
        for line in [
            "m{ a=\"1\", b=\"2\" } 1",
            "m { a=\"1\", b=\"2\" } 1",
            "m { a= \"1\", b= \"2\", } 1",
            "m { a = \"1\", b = \"2\" } 1",
            "m { a = \"1\" b = \"2\" } 1",
            "  m{a=\"1\",b=\"2\"}1",
        ] {
            assert_eq!(
                labels_of(line),
                Labels::from_pairs(&[("__name__", "m"), ("a", "1"), ("b", "2")]),
                "{line}"
            );
        }
    }

    #[test]
    fn series_identity_is_name_through_brace() {
        let mut p = TextParser::new(b"m{a=\"1\"} 2 3\nn 4\n");
        assert_eq!(p.next(), Ok(Some(Entry::Series)));
        assert_eq!(p.series(), (&b"m{a=\"1\"}"[..], Some(3), 2.0));
        assert_eq!(p.next(), Ok(Some(Entry::Series)));
        assert_eq!(p.series(), (&b"n"[..], None, 4.0));
        assert_eq!(p.next(), Ok(None));
        assert_eq!(p.next(), Ok(None));
    }

    #[test]
    fn escapes_in_label_values_and_help() {
        assert_eq!(
            labels_of(r#"m{a="x\"y\\z\nw\q"} 1"#).get("a"),
            Some("x\"y\\z\nw\\q")
        );
        let got = parse_all("# HELP m a\\\\b\\nc\\\"d\n").unwrap();
        assert_eq!(got, vec![r#"help "m" "a\\b\nc\\\"d""#]);
        // NUL bytes inside label values and help text are kept.
        assert_eq!(labels_of("m{a=\"abc\0\"} 1").get("a"), Some("abc\0"));
    }

    #[test]
    fn utf8_names() {
        let l = labels_of(r#"{"go.gc_duration_seconds", quantile="1.0", "my.label"="v" } 1"#);
        assert_eq!(
            l,
            Labels::from_pairs(&[
                ("__name__", "go.gc_duration_seconds"),
                ("quantile", "1.0"),
                ("my.label", "v")
            ])
        );
        let l = labels_of(r#"{"Heiz\"öl\n€","strange©™\n'q'"="6"} 10.0"#);
        assert_eq!(l.metric_name(), Some("Heiz\"öl\n€"));
        assert_eq!(l.get("strange©™\n'q'"), Some("6"));
        let got = parse_all("# HELP \"go.gc\" help\n# TYPE \"go.gc\" counter\n").unwrap();
        assert_eq!(got, vec!["help \"go.gc\" \"help\"", "type go.gc counter"]);
    }

    #[test]
    fn quantile_and_le_normalised_only_for_declared_types() {
        let l = |s: &str| {
            let mut p = TextParser::new(s.as_bytes());
            let mut b = LabelsBuilder::new();
            while let Ok(Some(e)) = p.next() {
                if e == Entry::Series {
                    p.labels(&mut b);
                }
            }
            b.build()
        };
        assert_eq!(
            l("# TYPE h histogram\nh_bucket{le=\"1\"} 1\n").get("le"),
            Some("1.0")
        );
        assert_eq!(
            l("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\n").get("le"),
            Some("+Inf")
        );
        assert_eq!(
            l("# TYPE s summary\ns{quantile=\"0.5\"} 1\n").get("quantile"),
            Some("0.5")
        );
        assert_eq!(
            l("# TYPE c counter\nc{le=\"10\"} 1\n").get("le"),
            Some("10")
        );
        assert_eq!(l("h_bucket{le=\"1e6\"} 1\n").get("le"), Some("1e6"));
    }

    #[test]
    fn values_and_timestamps() {
        let one = |s: &str| {
            let mut p = TextParser::new(s.as_bytes());
            assert_eq!(p.next(), Ok(Some(Entry::Series)), "{s}");
            let (_, t, v) = p.series();
            (t, v)
        };
        assert_eq!(one("a +Inf"), (None, f64::INFINITY));
        assert_eq!(one("a -Inf 5"), (Some(5), f64::NEG_INFINITY));
        assert_eq!(one("a 1e3"), (None, 1000.0));
        assert_eq!(
            one("a 9223372036854775807 9223372036854775807"),
            (Some(i64::MAX), 9223372036854775807.0)
        );
        let (_, nan) = one("a NaN");
        assert_eq!(nan.to_bits(), vigil_model::sample::NORMAL_NAN_BITS);
        // Without a trailing newline and with trailing blanks.
        assert_eq!(one("a 1 2 \t"), (Some(2), 1.0));
    }

    #[test]
    fn errors_name_line_column_and_token() {
        let e = err("a 1\nb{c=\"d\",=\"e\"} 1\n");
        assert_eq!(e, ParseError::at(2, 9, "expected label name, found \"=\""));
        let e = err("a");
        assert_eq!(
            e,
            ParseError::at(1, 2, "expected value after metric, found end of input")
        );
        let e = err("# TYPE a meh\n");
        assert_eq!(
            e.position,
            crate::error::Position::LineColumn {
                line: 1,
                column: 10
            }
        );
        assert!(e.message.contains("invalid metric type \"meh\""), "{e}");
        let e = err("x 1\n\ny abc\n");
        assert_eq!(e, ParseError::at(3, 3, "invalid float value \"abc\""));
        let e = err("a{b=\"c\",b=\"d\"} 1");
        assert_eq!(e, ParseError::at(1, 9, "duplicate label name \"b\""));
    }

    #[test]
    fn malformed_inputs_are_rejected() {
        for input in [
            "a",
            "a{b='c'} 1\n",
            "a{b=\n",
            "a{\u{ff}=\"foo\"} 1\n",
            "a{b=\"\u{0}\"",
            "{\"a\", \"b = \"c\"}",
            "{\"a\",b\\nc=\"d\"} 1",
            "a true\n",
            "something_weird{problem=\"",
            "empty_label_name{=\"\"} 0",
            "{A}0",
            "{A} 0\n",
            "foo 1_2\n",
            "foo 0x1p-3\n",
            "foo 0x1P-3\n",
            "foo 0 1_2\n",
            "foo 0 -1\n",
            "foo 1 2 3\n",
            "foo 1 99999999999999999999\n",
            "foo 1e400\n",
            "{a=\"ok\"} 1",
            "# TYPE #\n",
            "# HELP #\n",
            "# TYPE a info\n",
            "# TYPE a counter \n",
            "a{b=\u{0}\"ssss\"} 1\n",
            "a{b\u{0}=\"hiih\"}\t1",
            "a\u{0}{b=\"ddd\"} 1",
            "a 0 1\u{0}",
            "a{b=\"c\",,d=\"e\"} 1",
            "a{,b=\"c\"} 1",
            "a{b=\"c\"}{d=\"e\"} 1",
            "a{__name__=\"b\"} 1",
            "{\"a\",\"b\"} 1",
            "a{\"b\"} 1",
            "a 1\r\n",
            "-a 1",
        ] {
            let mut p = TextParser::new(input.as_bytes());
            let mut b = LabelsBuilder::new();
            let res = loop {
                match p.next() {
                    Ok(Some(Entry::Series)) => p.labels(&mut b),
                    Ok(Some(_)) => {}
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            assert!(res.is_err(), "{input:?} should fail");
        }
        let mut p = TextParser::new(b"a{b=\"\xff\"} 1\n");
        assert!(
            p.next()
                .unwrap_err()
                .message
                .contains("invalid UTF-8 in label value")
        );
        let mut p = TextParser::new(b"# HELP a \xff\n");
        assert!(p.next().unwrap_err().message.contains("UTF-8"));
    }

    #[test]
    fn null_bytes_follow_prometheus() {
        for input in [
            "null_byte_metric{a=\"abc\0\"} 1",
            "a{b=\"\0ss\"} 1\n",
            "a{b=\"\0\"} 1\n",
        ] {
            assert!(parse_all(input).is_ok(), "{input:?}");
        }
        // A NUL where a line starts ends the input.
        assert_eq!(parse_all("a 1\n\0garbage").unwrap().len(), 1);
    }

    #[test]
    fn comments_and_lookalikes() {
        let got = parse_all("#HELP a b\n# HELPER a b\n# HELP\n# comment with \\n\n").unwrap();
        assert_eq!(got, vec!["comment"; 4]);
    }
}
