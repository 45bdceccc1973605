//! The OpenMetrics 1.0 text format (`application/openmetrics-text; version=1.0.0`).
//!
//! Syntax follows the OpenMetrics specification (`specification/OpenMetrics.md`
//! in github.com/prometheus/OpenMetrics): one space between tokens, `# HELP`,
//! `# TYPE` and `# UNIT` metadata, no other comments and no blank lines,
//! timestamps in (float) seconds, exemplars after ` # `, and a final
//! `# EOF` with nothing after it. Like Prometheus 3, quoted UTF-8 metric and
//! label names are accepted too. Timestamps are converted to milliseconds
//! the way Prometheus' `openmetricsparse.go` does.
//!
//! [`OpenMetricsParser::new`] also enforces the specification's cross-line
//! rules (the `families` submodule); [`OpenMetricsParser::lenient`] checks syntax
//! only, which is what Prometheus itself does when scraping.

mod families;

use vigil_model::{Exemplar, FloatHistogram, Histogram, LabelsBuilder, MetricType};

use crate::error::ParseError;
use crate::lex::{self, LabelSpan, QuoteError, Scratch, Span};
use crate::parser::{Entry, Parser};

use families::{Families, SampleFacts};

/// Exemplar label sets may hold at most this many characters (names plus values).
const MAX_EXEMPLAR_CHARS: usize = 128;

/// Streaming parser for OpenMetrics 1.0 text; see the module docs.
#[derive(Debug)]
pub struct OpenMetricsParser<'a> {
    buf: &'a [u8],
    pos: usize,
    /// `# EOF` seen (or an error returned): nothing more to yield.
    finished: bool,
    strict: bool,
    families: Families,
    /// Metric name of the current sample, or the name of a metadata line.
    name: Span,
    name_buf: String,
    labels: Vec<LabelSpan>,
    series: (usize, usize),
    value: f64,
    timestamp: Option<i64>,
    /// Metadata of the current entry.
    entry_kind: MetricType,
    text: Span,
    text_buf: String,
    /// The type last declared, used to normalise `le` / `quantile` values.
    kind: MetricType,
    exemplar_labels: Vec<LabelSpan>,
    exemplar_value: f64,
    exemplar_timestamp: Option<i64>,
    /// Whether the current sample has an exemplar not yet handed out.
    exemplar_pending: bool,
    exemplar_builder: LabelsBuilder,
    scratch: Scratch,
}

impl<'a> OpenMetricsParser<'a> {
    /// A parser that enforces every rule of the specification.
    pub fn new(body: &'a [u8]) -> OpenMetricsParser<'a> {
        OpenMetricsParser {
            buf: body,
            pos: 0,
            finished: false,
            strict: true,
            families: Families::default(),
            name: Span::default(),
            name_buf: String::new(),
            labels: Vec::new(),
            series: (0, 0),
            value: 0.0,
            timestamp: None,
            entry_kind: MetricType::Unknown,
            text: Span::default(),
            text_buf: String::new(),
            kind: MetricType::Unknown,
            exemplar_labels: Vec::new(),
            exemplar_value: 0.0,
            exemplar_timestamp: None,
            exemplar_pending: false,
            exemplar_builder: LabelsBuilder::new(),
            scratch: Scratch::default(),
        }
    }

    /// A parser that checks the syntax (and `# EOF`) but not the cross-line
    /// rules about families, groups, values and histograms. Prometheus
    /// scrapes this way, and real exporters break some of those rules (for
    /// example client_golang writes `_sum` next to negative buckets).
    pub fn lenient(body: &'a [u8]) -> OpenMetricsParser<'a> {
        OpenMetricsParser {
            strict: false,
            ..OpenMetricsParser::new(body)
        }
    }

    fn error(&mut self, at: usize, msg: impl Into<String>) -> ParseError {
        self.finished = true;
        lex::error_at(self.buf, at, msg)
    }

    fn expected(&mut self, what: &str, at: usize) -> ParseError {
        let msg = format!("expected {what}, found {}", lex::found(self.buf, at));
        self.error(at, msg)
    }

    fn decoded_name(&mut self) -> &str {
        if self.name.escaped {
            self.name_buf.clear();
            lex::unescape_into(self.name.raw(self.buf), true, &mut self.name_buf);
            &self.name_buf
        } else {
            self.name.raw(self.buf)
        }
    }

    /// A metric name (bare or quoted) at `p`; returns the offset after it.
    fn metric_name(&mut self, p: usize, what: &str) -> Result<usize, ParseError> {
        match self.buf.get(p) {
            Some(b'"') => {
                let (span, end) = self.quoted(p, what)?;
                if span.start == span.end {
                    return Err(self.error(p, format!("empty {what}")));
                }
                self.name = span;
                Ok(end)
            }
            Some(&c) if lex::is_metric_start(c) => {
                let end = lex::scan_while(self.buf, p, lex::is_metric_char);
                self.name = Span::new(p, end, false);
                Ok(end)
            }
            _ => Err(self.expected(what, p)),
        }
    }

    fn quoted(&mut self, p: usize, what: &str) -> Result<(Span, usize), ParseError> {
        lex::scan_quoted(self.buf, p, false).map_err(|e| match e {
            QuoteError::InvalidUtf8 => self.error(p, format!("invalid UTF-8 in {what}")),
            QuoteError::Unterminated => {
                self.error(p, format!("unterminated {what}: missing closing quote"))
            }
        })
    }

    /// `# HELP`, `# TYPE` or `# UNIT` (keyword already matched) on the line
    /// `start..eol`; `p` is where the metric name starts.
    fn metadata(
        &mut self,
        entry: Entry,
        start: usize,
        p: usize,
        eol: usize,
    ) -> Result<Option<Entry>, ParseError> {
        let name_end = self.metric_name(p, "metric name")?;
        if self.name.escaped {
            self.decoded_name();
        }
        if self.buf.get(name_end) != Some(&b' ') || name_end >= eol {
            return Err(self.expected("a space after the metric name", name_end));
        }
        let text_start = name_end + 1;
        let text = self.buf.get(text_start..eol).unwrap_or_default();
        self.text = Span::new(text_start, eol, false);
        self.pos = eol + 1;
        let (mut kind, mut unit) = (None, None);
        match entry {
            Entry::Help => {
                if std::str::from_utf8(text).is_err() {
                    return Err(self.error(text_start, "help text is not valid UTF-8"));
                }
                if memchr::memchr(b'\\', text).is_some() {
                    self.text.escaped = true;
                    self.text_buf.clear();
                    lex::unescape_into(self.text.raw(self.buf), true, &mut self.text_buf);
                }
            }
            Entry::Type => {
                let k = match text {
                    b"counter" => MetricType::Counter,
                    b"gauge" => MetricType::Gauge,
                    b"histogram" => MetricType::Histogram,
                    b"gaugehistogram" => MetricType::GaugeHistogram,
                    b"summary" => MetricType::Summary,
                    b"info" => MetricType::Info,
                    b"stateset" => MetricType::StateSet,
                    b"unknown" => MetricType::Unknown,
                    _ => {
                        let msg =
                            format!("invalid metric type {:?}", String::from_utf8_lossy(text));
                        return Err(self.error(text_start, msg));
                    }
                };
                self.entry_kind = k;
                self.kind = k;
                kind = Some(k);
            }
            _ => {
                if !text.iter().all(|&c| lex::is_metric_char(c)) {
                    let msg = format!("invalid unit {:?}", String::from_utf8_lossy(text));
                    return Err(self.error(text_start, msg));
                }
                let name = self.name.bytes(self.buf);
                let suffix_ok = name.len() > text.len()
                    && name.ends_with(text)
                    && name.get(name.len() - text.len() - 1) == Some(&b'_');
                if !text.is_empty() && !suffix_ok {
                    let msg = format!(
                        "unit {:?} is not a suffix of the metric name {:?}",
                        String::from_utf8_lossy(text),
                        String::from_utf8_lossy(name)
                    );
                    return Err(self.error(text_start, msg));
                }
                unit = Some(std::str::from_utf8(text).unwrap_or_default());
            }
        }
        if self.strict {
            let buf = self.buf;
            let name = if self.name.escaped {
                self.decoded_name().to_string()
            } else {
                self.name.raw(buf).to_string()
            };
            if let Err(msg) = self.families.metadata(&name, kind, unit) {
                return Err(self.error(start, msg));
            }
        }
        Ok(Some(entry))
    }

    /// A label set after `{`, OpenMetrics style: no blanks, commas only
    /// between pairs. `metric` says whether a quoted metric name may appear.
    /// Returns the offset after `}`.
    fn label_set(
        &mut self,
        mut p: usize,
        exemplar: bool,
        named: &mut bool,
    ) -> Result<usize, ParseError> {
        let buf = self.buf;
        let list_start = p;
        loop {
            let name = match buf.get(p) {
                Some(b'}') if p == list_start => return Ok(p + 1),
                Some(b'"') => {
                    let (span, end) = self.quoted(p, "label name")?;
                    if !exemplar && matches!(buf.get(end), Some(b',' | b'}')) {
                        if *named {
                            return Err(self.error(p, "metric name already set"));
                        }
                        self.name = span;
                        *named = true;
                        p = end;
                        if buf.get(p) == Some(&b'}') {
                            return Ok(p + 1);
                        }
                        p += 1;
                        continue;
                    }
                    p = end;
                    span
                }
                Some(&c) if lex::is_label_start(c) => {
                    let end = lex::scan_while(buf, p, lex::is_label_char);
                    let span = Span::new(p, end, false);
                    p = end;
                    span
                }
                _ => return Err(self.expected("label name", p)),
            };
            if buf.get(p) != Some(&b'=') {
                return Err(self.expected("\"=\" after label name", p));
            }
            p += 1;
            if buf.get(p) != Some(&b'"') {
                return Err(self.expected("quoted label value", p));
            }
            let (value, end) = self.quoted(p, "label value")?;
            let pair = LabelSpan { name, value };
            if exemplar {
                self.exemplar_labels.push(pair);
            } else {
                self.labels.push(pair);
            }
            p = end;
            match buf.get(p) {
                Some(b'}') => return Ok(p + 1),
                Some(b',') => p += 1,
                _ => return Err(self.expected("\",\" or \"}\" after label value", p)),
            }
        }
    }

    /// A float token from `p` up to the next space or the end of line.
    fn number(&mut self, p: usize, eol: usize, what: &str) -> Result<(f64, usize), ParseError> {
        let end =
            memchr::memchr(b' ', self.buf.get(p..eol).unwrap_or_default()).map_or(eol, |i| p + i);
        let token = self.buf.get(p..end).unwrap_or_default();
        if token.is_empty() {
            return Err(self.expected(what, p));
        }
        match lex::parse_float(token) {
            Some(v) => Ok((v, end)),
            None => {
                let msg = format!("invalid {what} {:?}", String::from_utf8_lossy(token));
                Err(self.error(p, msg))
            }
        }
    }

    /// A timestamp in seconds at `p`; returns seconds and the end offset.
    fn timestamp(&mut self, p: usize, eol: usize) -> Result<(f64, usize), ParseError> {
        let (t, end) = self.number(p, eol, "timestamp")?;
        if !t.is_finite() {
            return Err(self.error(p, "timestamp must be a finite number"));
        }
        Ok((t, end))
    }

    /// A sample line `start..eol`.
    fn sample(&mut self, start: usize, eol: usize) -> Result<Option<Entry>, ParseError> {
        let buf = self.buf;
        self.labels.clear();
        self.exemplar_labels.clear();
        self.exemplar_pending = false;
        let mut named = false;
        let mut p = start;
        if buf.get(p).is_some_and(|&c| lex::is_metric_start(c)) {
            p = lex::scan_while(buf, p, lex::is_metric_char);
            self.name = Span::new(start, p, false);
            named = true;
        }
        if buf.get(p) == Some(&b'{') {
            p = self.label_set(p + 1, false, &mut named)?;
        }
        if !named {
            return Err(self.expected("metric name", start));
        }
        if let Some(i) = lex::find_duplicate(buf, &self.labels) {
            let span = self.labels.get(i).map(|l| l.name).unwrap_or_default();
            let msg = format!(
                "duplicate label name {:?}",
                String::from_utf8_lossy(span.bytes(buf))
            );
            return Err(self.error(span.start, msg));
        }
        self.series = (start, p);
        if buf.get(p) != Some(&b' ') {
            return Err(self.expected("a space before the value", p));
        }
        let (value, mut p) = self.number(p + 1, eol, "value")?;
        self.value = value;
        self.timestamp = None;
        let mut seconds = None;
        if p < eol && buf.get(p + 1) != Some(&b'#') {
            let (t, end) = self.timestamp(p + 1, eol)?;
            seconds = Some(t);
            // Prometheus truncates to whole milliseconds; `as` saturates instead of overflowing.
            self.timestamp = Some((t * 1000.0) as i64);
            p = end;
        }
        if p < eol {
            p = self.exemplar_suffix(p, eol)?;
        }
        if p != eol {
            return Err(self.expected("end of line", p));
        }
        self.pos = eol + 1;
        if self.strict {
            let name_owned;
            let name: &str = if self.name.escaped {
                name_owned = self.decoded_name().to_string();
                &name_owned
            } else {
                self.name.raw(buf)
            };
            let facts = SampleFacts {
                buf,
                name,
                labels: &self.labels,
                value: self.value,
                timestamp: seconds,
                has_exemplar: self.exemplar_pending,
            };
            if let Err(msg) = self.families.sample(&facts) {
                return Err(self.error(start, msg));
            }
        }
        Ok(Some(Entry::Series))
    }

    /// ` # {labels} value [timestamp]` starting at the space at `p`.
    fn exemplar_suffix(&mut self, p: usize, eol: usize) -> Result<usize, ParseError> {
        let buf = self.buf;
        if buf.get(p..p + 4) != Some(b" # {") {
            return Err(self.expected("\" # {\" starting an exemplar, or end of line", p));
        }
        let set_start = p + 3;
        let mut unused = false;
        let mut p = self.label_set(p + 4, true, &mut unused)?;
        if let Some(i) = lex::find_duplicate(buf, &self.exemplar_labels) {
            let at = self
                .exemplar_labels
                .get(i)
                .map_or(set_start, |l| l.name.start);
            return Err(self.error(at, "duplicate exemplar label name"));
        }
        let chars: usize = self
            .exemplar_labels
            .iter()
            .map(|l| decoded_chars(buf, l.name) + decoded_chars(buf, l.value))
            .sum();
        if chars > MAX_EXEMPLAR_CHARS {
            let msg = format!(
                "exemplar labels have {chars} characters, more than the {MAX_EXEMPLAR_CHARS} allowed"
            );
            return Err(self.error(set_start, msg));
        }
        if buf.get(p) != Some(&b' ') {
            return Err(self.expected("a space before the exemplar value", p));
        }
        let (value, end) = self.number(p + 1, eol, "exemplar value")?;
        self.exemplar_value = value;
        self.exemplar_timestamp = None;
        p = end;
        if p < eol {
            let (t, end) = self.timestamp(p + 1, eol)?;
            self.exemplar_timestamp = Some((t * 1000.0) as i64);
            p = end;
        }
        self.exemplar_pending = true;
        Ok(p)
    }
}

/// Characters of a label name or value once decoded: continuation bytes do
/// not count and each recognised two-byte escape is one character.
fn decoded_chars(buf: &[u8], span: Span) -> usize {
    let bytes = span.bytes(buf);
    let mut n = bytes.iter().filter(|&&c| c & 0xc0 != 0x80).count();
    if span.escaped {
        let mut i = 0;
        while let Some(&c) = bytes.get(i) {
            if c == b'\\' {
                if matches!(bytes.get(i + 1), Some(b'\\' | b'n' | b'"')) {
                    n = n.saturating_sub(1);
                }
                i += 2;
            } else {
                i += 1;
            }
        }
    }
    n
}

impl Parser for OpenMetricsParser<'_> {
    fn next(&mut self) -> Result<Option<Entry>, ParseError> {
        self.exemplar_pending = false;
        if self.finished {
            return Ok(None);
        }
        let buf = self.buf;
        let start = self.pos;
        if start >= buf.len() {
            return Err(self.error(buf.len(), "unexpected end of input, expected \"# EOF\""));
        }
        let eol = memchr::memchr(b'\n', buf.get(start..).unwrap_or_default())
            .map_or(buf.len(), |i| start + i);
        let line = buf.get(start..eol).unwrap_or_default();
        match line.first() {
            None => Err(self.error(start, "blank lines are not allowed")),
            Some(b'#') => {
                if line == b"# EOF" {
                    if eol + 1 < buf.len() {
                        return Err(self.error(eol + 1, "unexpected data after \"# EOF\""));
                    }
                    self.finished = true;
                    if self.strict {
                        if let Err(msg) = self.families.finish() {
                            return Err(self.error(start, msg));
                        }
                    }
                    return Ok(None);
                }
                let entry = match line.get(..7) {
                    Some(b"# HELP ") => Entry::Help,
                    Some(b"# TYPE ") => Entry::Type,
                    Some(b"# UNIT ") => Entry::Unit,
                    _ => {
                        return Err(self.expected(
                            "\"# HELP \", \"# TYPE \", \"# UNIT \" or \"# EOF\"",
                            start,
                        ));
                    }
                };
                self.metadata(entry, start, start + 7, eol)
            }
            Some(_) => self.sample(start, eol),
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
        let text = if self.text.escaped {
            &self.text_buf
        } else {
            self.text.raw(self.buf)
        };
        (self.meta_name(), text)
    }

    fn metric_type(&self) -> (&str, MetricType) {
        (self.meta_name(), self.entry_kind)
    }

    fn unit(&self) -> (&str, &str) {
        (self.meta_name(), self.text.raw(self.buf))
    }

    fn labels(&self, builder: &mut LabelsBuilder) {
        self.scratch
            .build_labels(self.buf, self.name, &self.labels, self.kind, builder);
    }

    fn exemplar(&mut self, exemplar: &mut Exemplar) -> bool {
        if !std::mem::take(&mut self.exemplar_pending) {
            return false;
        }
        self.scratch
            .build_plain(self.buf, &self.exemplar_labels, &mut self.exemplar_builder);
        exemplar.labels = self.exemplar_builder.build();
        exemplar.value = self.exemplar_value;
        exemplar.timestamp = self.exemplar_timestamp;
        true
    }
}

impl OpenMetricsParser<'_> {
    fn meta_name(&self) -> &str {
        if self.name.escaped {
            &self.name_buf
        } else {
            self.name.raw(self.buf)
        }
    }
}

#[cfg(test)]
mod tests;
