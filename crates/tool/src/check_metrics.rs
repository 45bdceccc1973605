//! `vigil tool check metrics`: lint a text-format exposition the way
//! `promtool check metrics` does, and optionally report cardinality.
//!
//! promtool reads the exposition with Prometheus' Go text parser
//! (`expfmt.TextParser`), which is stricter than the scrape parser in a few
//! ways and groups samples into families differently: by name across the
//! whole body, with `_sum` / `_count` / `_bucket` lines joining an earlier
//! summary or histogram family, and with histogram and summary lines merged
//! into one metric per label set. Vigil's streaming parser does the syntax;
//! [`FamilyBuilder`] replays its entries with those grouping rules and the
//! extra checks, so that exit codes and problems agree with promtool.
//!
//! Where promtool's parser is stricter than Vigil's (which follows
//! Prometheus' scrape parser), the stricter rules are checked on the text
//! (`text_rules`), and labels are taken as written there: in order and with
//! empty values, as promtool compares them.

use std::collections::HashMap;

use vigil_exposition::{Entry, ParseError, Parser};
use vigil_model::names::{is_legacy_label_name, is_legacy_metric_name};
use vigil_model::{
    BUCKET_LABEL, Labels, LabelsBuilder, METRIC_NAME, MetricType, QUANTILE_LABEL, ValidationScheme,
};

use crate::error::CheckMetricsError;
use crate::promlint::{self, LintFamily, LintMetric, Problem};

mod text_rules;

use text_rules::{check_help_escapes, check_series_text, label_pairs, offset_in};

/// What `check metrics` should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckMetricsOptions {
    /// Run the lint rules (promtool's `--lint=all`, the default).
    pub lint: bool,
    /// Compute the cardinality report (promtool's `--extended`).
    pub extended: bool,
}

impl Default for CheckMetricsOptions {
    fn default() -> CheckMetricsOptions {
        CheckMetricsOptions {
            lint: true,
            extended: false,
        }
    }
}

/// The series count of one metric family.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricStat {
    /// The family name.
    pub name: String,
    /// Number of series the family exposes (histograms and summaries count
    /// `_sum`, `_count` and each bucket / quantile of their first metric).
    pub cardinality: usize,
    /// Share of all series, between 0 and 1.
    pub percentage: f64,
}

/// The cardinality report of `--extended`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CardinalityReport {
    /// Families by descending cardinality (ties in exposition order).
    pub stats: Vec<MetricStat>,
    /// Total number of series.
    pub total: usize,
}

impl CardinalityReport {
    /// The report as promtool prints it: a table aligned with spaces, each
    /// cell padded to its column's width plus four, trailing spaces included.
    pub fn to_table(&self) -> String {
        let mut rows: Vec<[String; 3]> =
            vec![["Metric".into(), "Cardinality".into(), "Percentage".into()]];
        for s in &self.stats {
            rows.push([
                s.name.clone(),
                s.cardinality.to_string(),
                format!("{:.2}%", s.percentage * 100.0),
            ]);
        }
        rows.push(["Total".into(), self.total.to_string(), "100%".into()]);
        let mut widths = [0usize; 3];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in &rows {
            for (w, cell) in widths.iter().zip(row) {
                out.push_str(cell);
                let pad = w + 4 - cell.chars().count();
                out.extend(std::iter::repeat_n(' ', pad));
            }
            out.push('\n');
        }
        out
    }
}

/// The outcome of a successful check.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckMetricsReport {
    /// Lint problems, sorted as promtool sorts them (empty when linting is off).
    pub problems: Vec<Problem>,
    /// The cardinality report, when asked for.
    pub cardinality: Option<CardinalityReport>,
}

/// Checks a text-format (0.0.4) exposition.
pub fn check(
    body: &[u8],
    options: CheckMetricsOptions,
) -> Result<CheckMetricsReport, CheckMetricsError> {
    let mut parser = vigil_exposition::text::TextParser::new(body);
    check_with_parser(&mut parser, body, options)
}

/// Checks an exposition read by `parser` from `body` (the same bytes; used
/// to name lines in errors found after parsing). `parser` must read the text
/// format: the identity bytes of its series must be their text.
pub fn check_with_parser<P: Parser + ?Sized>(
    parser: &mut P,
    body: &[u8],
    options: CheckMetricsOptions,
) -> Result<CheckMetricsReport, CheckMetricsError> {
    if !options.lint && !options.extended {
        return Err(CheckMetricsError::NothingToDo);
    }
    // promtool lints with the legacy name charset (its text decoder escapes
    // names by default) but reads for the cardinality report with UTF-8
    // names; linting runs first, so with it on the legacy check wins.
    let scheme = if options.lint {
        ValidationScheme::Legacy
    } else {
        ValidationScheme::Utf8
    };
    let families = families(parser, body, scheme)?;
    let problems = if options.lint {
        promlint::lint(&families)
    } else {
        Vec::new()
    };
    let cardinality = options.extended.then(|| cardinality(&families));
    Ok(CheckMetricsReport {
        problems,
        cardinality,
    })
}

/// Counts series per family as promtool's `--extended` does.
pub fn cardinality(families: &[LintFamily]) -> CardinalityReport {
    let mut stats: Vec<MetricStat> = families
        .iter()
        .map(|f| {
            let n = f.metrics.len();
            let first = f.metrics.first();
            let cardinality = match f.kind {
                MetricType::Histogram => n * (2 + first.map_or(0, |m| m.buckets)),
                MetricType::Summary => n * (2 + first.map_or(0, |m| m.quantiles)),
                _ => n,
            };
            MetricStat {
                name: f.name.clone(),
                cardinality,
                percentage: 0.0,
            }
        })
        .collect();
    let total: usize = stats.iter().map(|s| s.cardinality).sum();
    for s in &mut stats {
        s.percentage = if total == 0 {
            0.0
        } else {
            s.cardinality as f64 / total as f64
        };
    }
    // promtool's families come out of a Go map, so its order among equal
    // cardinalities is random; a stable sort keeps ours in exposition order.
    stats.sort_by_key(|s| std::cmp::Reverse(s.cardinality));
    CardinalityReport { stats, total }
}

/// Reads every entry of `parser` into families grouped as promtool groups
/// them, applying the checks its parser makes beyond syntax. Families
/// without samples are left out.
pub fn families<P: Parser + ?Sized>(
    parser: &mut P,
    body: &[u8],
    scheme: ValidationScheme,
) -> Result<Vec<LintFamily>, CheckMetricsError> {
    let mut b = FamilyBuilder::new(scheme);
    let mut lines = LineCursor::new(body);
    let mut scratch = LabelsBuilder::new();
    while let Some(entry) = parser.next()? {
        let Line {
            number: line,
            text,
            terminated,
        } = lines.next_line();
        // promtool's parser reads every line up to its line feed.
        if !terminated {
            let message = "unexpected end of input: the last line has no line feed";
            return Err(ParseError::at(line, text.len() + 1, message).into());
        }
        let result = match entry {
            Entry::Comment | Entry::Unit => Ok(()),
            Entry::Type => {
                let (name, kind) = parser.metric_type();
                b.declare_type(name, kind)
            }
            Entry::Help => {
                if let Err((at, message)) = check_help_escapes(text) {
                    return Err(ParseError::at(line, at + 1, message).into());
                }
                let (name, help) = parser.help();
                b.declare_help(name, help)
            }
            Entry::Series => {
                let (id, _, value) = parser.series();
                if let Err((at, message)) = check_series_text(id) {
                    let (line, column) = offset_in(body, id, at).unwrap_or((line, 1));
                    return Err(ParseError::at(line, column, message).into());
                }
                // promtool takes a blank after the value or timestamp as the
                // start of another field.
                let trimmed = text.trim_ascii_end().len();
                if trimmed < text.len() {
                    let message = "unexpected blank at the end of a sample line";
                    return Err(ParseError::at(line, trimmed + 1, message).into());
                }
                let pairs = label_pairs(id);
                parser.labels(&mut scratch);
                b.add_sample(scratch.build(), pairs, value)
            }
            Entry::Histogram => {
                parser.labels(&mut scratch);
                b.add_sample(scratch.build(), None, f64::NAN)
            }
        };
        result.map_err(|message| ParseError::at(line, 1, message))?;
    }
    // Vigil's parser, like Prometheus' scrape parser, takes a NUL byte where
    // a line starts as the end of the input; promtool's refuses it.
    if let Some(line) = lines.next_non_blank() {
        return Err(
            ParseError::at(line.number, 1, "unexpected NUL byte at the start of a line").into(),
        );
    }
    Ok(b.finish())
}

/// Gives the 1-based line number of each entry: the text formats produce
/// exactly one entry per non-blank line.
#[derive(Debug)]
struct LineCursor<'a> {
    rest: &'a [u8],
    line: usize,
}

impl<'a> LineCursor<'a> {
    fn new(body: &'a [u8]) -> LineCursor<'a> {
        LineCursor {
            rest: body,
            line: 0,
        }
    }

    /// The next non-blank line (or the last line, blank or not).
    fn next_line(&mut self) -> Line<'a> {
        loop {
            let end = self.rest.iter().position(|&c| c == b'\n');
            let (text, rest) = match end {
                Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
                None => (self.rest, &self.rest[self.rest.len()..]),
            };
            self.line += 1;
            self.rest = rest;
            let blank = text.iter().all(|&c| c == b' ' || c == b'\t');
            if !blank || end.is_none() {
                return Line {
                    number: self.line,
                    text,
                    terminated: end.is_some(),
                };
            }
        }
    }
}

impl<'a> LineCursor<'a> {
    /// The next line that is not blank, if any is left.
    fn next_non_blank(&mut self) -> Option<Line<'a>> {
        let line = self.next_line();
        (!line.text.iter().all(|&c| c == b' ' || c == b'\t')).then_some(line)
    }
}

/// One line of the body.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    /// 1-based line number.
    number: usize,
    /// The line without its line feed.
    text: &'a [u8],
    /// Whether a line feed ends it.
    terminated: bool,
}

/// Which series of its family a sample line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The family's own name (or a `_bucket` line of a histogram).
    Plain,
    /// `_count` of a summary or histogram.
    Count,
    /// `_sum` of a summary or histogram.
    Sum,
}

#[derive(Debug)]
struct Family {
    lint: LintFamily,
    /// Whether the type is fixed: by `# TYPE`, or as untyped by a first sample.
    typed: bool,
}

/// Groups entries into families the way Prometheus' Go text parser does.
#[derive(Debug)]
struct FamilyBuilder {
    scheme: ValidationScheme,
    families: Vec<Family>,
    by_name: HashMap<String, usize>,
    /// Histogram and summary metrics by (family, labels without `le` / `quantile`).
    merged: HashMap<(usize, Vec<(String, String)>), usize>,
}

/// `name` without `suffix`, if what remains is not empty.
fn strip<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    name.strip_suffix(suffix).filter(|base| !base.is_empty())
}

impl FamilyBuilder {
    fn new(scheme: ValidationScheme) -> FamilyBuilder {
        FamilyBuilder {
            scheme,
            families: Vec::new(),
            by_name: HashMap::new(),
            merged: HashMap::new(),
        }
    }

    fn valid_metric_name(&self, name: &str) -> bool {
        match self.scheme {
            ValidationScheme::Legacy => is_legacy_metric_name(name),
            ValidationScheme::Utf8 => !name.is_empty(),
        }
    }

    fn valid_label_name(&self, name: &str) -> bool {
        match self.scheme {
            ValidationScheme::Legacy => is_legacy_label_name(name),
            ValidationScheme::Utf8 => !name.is_empty(),
        }
    }

    fn kind_of(&self, idx: usize) -> MetricType {
        self.families[idx].lint.kind
    }

    /// The family a name belongs to, created if needed, and the role of the
    /// name in it. An exact name match wins; then `_count` / `_sum` join a
    /// summary and `_count` / `_sum` / `_bucket` join a (gauge) histogram.
    fn resolve(&mut self, name: &str) -> Result<(usize, Role), String> {
        if !self.valid_metric_name(name) {
            return Err(format!("invalid metric name {name:?}"));
        }
        if let Some(&idx) = self.by_name.get(name) {
            return Ok((idx, Role::Plain));
        }
        let (count, sum) = (strip(name, "_count"), strip(name, "_sum"));
        let role = if count.is_some() {
            Role::Count
        } else {
            Role::Sum
        };
        if let Some(&idx) = count.or(sum).and_then(|base| self.by_name.get(base)) {
            if self.kind_of(idx) == MetricType::Summary {
                return Ok((idx, role));
            }
        }
        let base = count.or(sum).or_else(|| strip(name, "_bucket"));
        if let Some(&idx) = base.and_then(|base| self.by_name.get(base)) {
            if matches!(
                self.kind_of(idx),
                MetricType::Histogram | MetricType::GaugeHistogram
            ) {
                let role = if count.is_some() || sum.is_some() {
                    role
                } else {
                    Role::Plain
                };
                return Ok((idx, role));
            }
        }
        let idx = self.families.len();
        self.families.push(Family {
            lint: LintFamily::new(name, MetricType::Unknown),
            typed: false,
        });
        self.by_name.insert(name.to_string(), idx);
        Ok((idx, Role::Plain))
    }

    fn declare_type(&mut self, name: &str, kind: MetricType) -> Result<(), String> {
        let (idx, _) = self.resolve(name)?;
        let fam = &mut self.families[idx];
        if fam.typed {
            return Err(format!(
                "second TYPE line for metric name {:?}, or TYPE reported after samples",
                fam.lint.name
            ));
        }
        fam.typed = true;
        fam.lint.kind = kind;
        Ok(())
    }

    fn declare_help(&mut self, name: &str, help: &str) -> Result<(), String> {
        // promtool's parser ignores a HELP line with only blanks after the name.
        if help.trim_start_matches([' ', '\t']).is_empty() {
            return Ok(());
        }
        let (idx, _) = self.resolve(name)?;
        let fam = &mut self.families[idx];
        if fam.lint.help.is_some() {
            return Err(format!(
                "second HELP line for metric name {:?}",
                fam.lint.name
            ));
        }
        fam.lint.help = Some(help.to_string());
        Ok(())
    }

    /// Adds a sample. `pairs` are its labels as written, when the parser's
    /// text is at hand; otherwise the label set stands in for them.
    fn add_sample(
        &mut self,
        labels: Labels,
        pairs: Option<Vec<(String, String)>>,
        value: f64,
    ) -> Result<(), String> {
        let name = labels.metric_name().unwrap_or_default();
        let (idx, role) = self.resolve(name)?;
        let pairs = pairs.unwrap_or_else(|| {
            labels
                .iter()
                .filter(|l| l.name != METRIC_NAME)
                .map(|l| (l.name.to_string(), l.value.to_string()))
                .collect()
        });
        for (name, _) in &pairs {
            if name == METRIC_NAME {
                return Err(format!("label name {METRIC_NAME:?} is reserved"));
            }
            if !self.valid_label_name(name) {
                return Err(format!("invalid label name {name:?}"));
            }
        }
        let fam = &mut self.families[idx];
        if !fam.typed {
            fam.typed = true;
            fam.lint.kind = MetricType::Unknown;
        }
        let family_name = fam.lint.name.clone();
        let special = match fam.lint.kind {
            MetricType::Summary => Some(QUANTILE_LABEL),
            MetricType::Histogram | MetricType::GaugeHistogram => Some(BUCKET_LABEL),
            _ => None,
        };
        let Some(special) = special else {
            fam.lint.metrics.push(LintMetric {
                labels: pairs,
                ..LintMetric::default()
            });
            return Ok(());
        };
        // A NaN bound parses but, as in promtool, does not make a bucket or quantile.
        let bound = match pairs.iter().find(|(n, _)| n == special).map(|(_, v)| v) {
            Some(v) => match parse_go_float(v) {
                Some(b) => !b.is_nan(),
                None => {
                    return Err(format!(
                        "expected float as value for '{special}' label, got {v:?}"
                    ));
                }
            },
            None => false,
        };
        let own: Vec<(String, String)> = pairs.into_iter().filter(|(n, _)| n != special).collect();
        // promtool merges lines whose labels (but `le` / `quantile`) are the
        // same set, and keeps the labels as the first line wrote them.
        let mut key = own.clone();
        key.sort();
        let metric = match self.merged.get(&(idx, key.clone())) {
            Some(&m) => m,
            None => {
                let m = fam.lint.metrics.len();
                fam.lint.metrics.push(LintMetric {
                    labels: own,
                    ..LintMetric::default()
                });
                self.merged.insert((idx, key), m);
                m
            }
        };
        let m = &mut fam.lint.metrics[metric];
        let is_histogram = special == BUCKET_LABEL;
        // promtool refuses negative histogram counts (-0 passes, as does NaN).
        let negative = value < 0.0;
        match role {
            Role::Count if is_histogram && negative => {
                return Err(format!("negative count for histogram {family_name:?}"));
            }
            Role::Count | Role::Sum => {}
            Role::Plain if bound && is_histogram => {
                if negative {
                    return Err(format!(
                        "negative bucket population for histogram {family_name:?}"
                    ));
                }
                m.buckets += 1;
            }
            Role::Plain if bound => m.quantiles += 1,
            Role::Plain => {}
        }
        Ok(())
    }

    fn finish(self) -> Vec<LintFamily> {
        self.families
            .into_iter()
            .map(|f| f.lint)
            .filter(|f| !f.metrics.is_empty())
            .collect()
    }
}

/// Parses a float as promtool's parser does for `le` and `quantile` values:
/// Go's `strconv.ParseFloat` syntax, without hex floats or underscores, and
/// out-of-range values refused.
fn parse_go_float(s: &str) -> Option<f64> {
    if s.contains(['p', 'P', '_']) {
        return None;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = unsigned.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" {
        // Go accepts NaN only without a sign.
        return (unsigned.len() == s.len()).then_some(f64::NAN);
    }
    // Rust would also take these spellings, Go does not.
    if lower.starts_with("inf") || lower.starts_with("nan") {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests;
