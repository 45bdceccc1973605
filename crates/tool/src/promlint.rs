//! Metric linting rules, behaving as client_golang's `promlint` (the linter
//! behind `promtool check metrics`) with its default validations.
//!
//! The rules look at a [`LintFamily`]: a metric family shaped the way
//! Prometheus' Go text parser hands it to promlint. That shape matters for
//! the rules: histogram and summary series are merged into one metric per
//! label set, and their `le` / `quantile` labels are not part of the
//! metric's labels (so "non-histogram metrics should not have `le`" only ever
//! fires on families of other types). [`crate::check_metrics`] builds these
//! families from an exposition.

use std::fmt;

use vigil_model::MetricType;

/// One metric (a label set) of a [`LintFamily`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LintMetric {
    /// The labels as written (in order, empty values included), `__name__`
    /// excluded; for histograms and summaries also without `le` / `quantile`.
    pub labels: Vec<(String, String)>,
    /// Number of classic histogram buckets (`_bucket` lines with an `le`).
    pub buckets: usize,
    /// Number of summary quantiles (lines with a `quantile`).
    pub quantiles: usize,
}

/// A metric family as promlint sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LintFamily {
    /// The family name.
    pub name: String,
    /// The declared type; [`MetricType::Unknown`] is "untyped".
    pub kind: MetricType,
    /// The help text, if a `# HELP` line declared one (an empty help text
    /// still counts as declared).
    pub help: Option<String>,
    /// The metrics in exposition order.
    pub metrics: Vec<LintMetric>,
}

impl LintFamily {
    /// A family with no metrics yet.
    pub fn new(name: impl Into<String>, kind: MetricType) -> LintFamily {
        LintFamily {
            name: name.into(),
            kind,
            ..LintFamily::default()
        }
    }

    /// Adds a metric with the given label pairs (builder style, for tests and callers
    /// that construct families by hand).
    pub fn with_metric(mut self, labels: &[(&str, &str)]) -> LintFamily {
        self.metrics.push(LintMetric {
            labels: labels
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            ..LintMetric::default()
        });
        self
    }

    /// Sets the help text (builder style).
    pub fn with_help(mut self, help: impl Into<String>) -> LintFamily {
        self.help = Some(help.into());
        self
    }
}

/// A problem found by the linter: the family it concerns and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The metric family name.
    pub metric: String,
    /// The description, worded exactly as promlint words it.
    pub text: String,
}

impl fmt::Display for Problem {
    /// `<metric> <text>`, the line promtool prints for a problem.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.metric, self.text)
    }
}

/// Units recognised in metric names, each with the base unit it should be
/// expressed in. A unit that maps to itself is already a base unit.
const UNITS: &[(&str, &str)] = &[
    ("amperes", "amperes"),
    ("bytes", "bytes"),
    ("celsius", "celsius"),
    ("grams", "grams"),
    ("joules", "joules"),
    ("kelvin", "kelvin"),
    ("meters", "meters"),
    ("metres", "metres"),
    ("seconds", "seconds"),
    ("volts", "volts"),
    ("minutes", "seconds"),
    ("hours", "seconds"),
    ("days", "seconds"),
    ("weeks", "seconds"),
    ("kelvins", "kelvin"),
    ("fahrenheit", "celsius"),
    ("rankine", "celsius"),
    ("inches", "meters"),
    ("yards", "meters"),
    ("miles", "meters"),
    ("bits", "bytes"),
    ("calories", "joules"),
    ("pounds", "grams"),
    ("ounces", "grams"),
];

/// SI and binary prefixes promlint recognises in front of a unit, tried in this order.
const UNIT_PREFIXES: &[&str] = &[
    "pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "kibi", "mega",
    "mibi", "giga", "gibi", "tera", "tebi", "peta", "pebi",
];

/// Abbreviated units promlint discourages, in the order it checks them (each
/// match is its own problem, so a name can collect several identical lines).
const UNIT_ABBREVIATIONS: &[&str] = &[
    "s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d",
];

fn base_unit(unit: &str) -> Option<&'static str> {
    UNITS.iter().find(|(u, _)| *u == unit).map(|(_, b)| *b)
}

/// The first unit found in `name` (looking at `_`-separated words left to
/// right, each first as a bare unit, then with each prefix), with its base unit.
fn metric_unit(name: &str) -> Option<(&str, &'static str)> {
    for word in name.split('_') {
        if let Some(base) = base_unit(word) {
            return Some((word, base));
        }
        for prefix in UNIT_PREFIXES {
            if let Some(base) = word.strip_prefix(prefix).and_then(base_unit) {
                return Some((word, base));
            }
        }
    }
    None
}

/// Whether `name` contains `_<word>_` or ends with `_<word>`.
fn has_word(name: &str, word: &str) -> bool {
    name.contains(&format!("_{word}_")) || name.ends_with(&format!("_{word}"))
}

/// Whether `s` has a lower-case ASCII letter directly followed by an upper-case one.
fn is_camel_case(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
}

/// The type's name as promlint spells it (the protobuf enum name, lower-cased).
fn proto_type_name(kind: MetricType) -> &'static str {
    match kind {
        MetricType::Counter => "counter",
        MetricType::Gauge => "gauge",
        MetricType::Summary => "summary",
        MetricType::Histogram => "histogram",
        MetricType::GaugeHistogram => "gauge_histogram",
        // Types the text format cannot declare; promlint never sees them.
        MetricType::Info => "info",
        MetricType::StateSet => "stateset",
        MetricType::Unknown => "untyped",
    }
}

fn lint_help(f: &LintFamily, out: &mut Vec<String>) {
    if f.help.is_none() {
        out.push("no help text".into());
    }
}

fn lint_units(f: &LintFamily, out: &mut Vec<String>) {
    match metric_unit(&f.name) {
        Some((unit, base)) if unit != base => {
            out.push(format!("use base unit \"{base}\" instead of \"{unit}\""))
        }
        _ => {}
    }
}

fn lint_counter(f: &LintFamily, out: &mut Vec<String>) {
    let total = f.name.ends_with("_total");
    match f.kind {
        MetricType::Counter if !total => {
            out.push("counter metrics should have \"_total\" suffix".into())
        }
        MetricType::Counter | MetricType::Unknown => {}
        _ if total => out.push("non-counter metrics should not have \"_total\" suffix".into()),
        _ => {}
    }
}

fn lint_histogram_summary_reserved(f: &LintFamily, out: &mut Vec<String>) {
    if f.kind == MetricType::Unknown {
        return;
    }
    let histogram = f.kind == MetricType::Histogram;
    let summary = f.kind == MetricType::Summary;
    if !histogram && f.name.ends_with("_bucket") {
        out.push("non-histogram metrics should not have \"_bucket\" suffix".into());
    }
    if !histogram && !summary && f.name.ends_with("_count") {
        out.push("non-histogram and non-summary metrics should not have \"_count\" suffix".into());
    }
    if !histogram && !summary && f.name.ends_with("_sum") {
        out.push("non-histogram and non-summary metrics should not have \"_sum\" suffix".into());
    }
    for m in &f.metrics {
        for (name, _) in &m.labels {
            if !histogram && name == "le" {
                out.push("non-histogram metrics should not have \"le\" label".into());
            }
            if !summary && name == "quantile" {
                out.push("non-summary metrics should not have \"quantile\" label".into());
            }
        }
    }
}

/// Prometheus 3.x (client_golang >= 1.20) only flags the family's own type
/// in its name; 2.x flagged any type name, even on untyped families.
fn lint_type_in_name(f: &LintFamily, out: &mut Vec<String>) {
    if f.kind == MetricType::Unknown {
        return;
    }
    let name = f.name.to_ascii_lowercase();
    let type_name = proto_type_name(f.kind);
    if has_word(&name, type_name) {
        out.push(format!("metric name should not include type '{type_name}'"));
    }
}

fn lint_reserved_chars(f: &LintFamily, out: &mut Vec<String>) {
    if f.name.contains(':') {
        out.push("metric names should not contain ':'".into());
    }
}

fn lint_camel_case(f: &LintFamily, out: &mut Vec<String>) {
    if is_camel_case(&f.name) {
        out.push("metric names should be written in 'snake_case' not 'camelCase'".into());
    }
    for m in &f.metrics {
        for (name, _) in &m.labels {
            if is_camel_case(name) {
                out.push("label names should be written in 'snake_case' not 'camelCase'".into());
            }
        }
    }
}

fn lint_unit_abbreviations(f: &LintFamily, out: &mut Vec<String>) {
    let name = f.name.to_ascii_lowercase();
    for abbrev in UNIT_ABBREVIATIONS {
        if has_word(&name, abbrev) {
            out.push("metric names should not contain abbreviated units".into());
        }
    }
}

/// One problem per metric that has an identical label set later in the family.
fn lint_duplicates(f: &LintFamily, out: &mut Vec<String>) {
    for (i, m) in f.metrics.iter().enumerate() {
        if f.metrics[i + 1..].iter().any(|k| k.labels == m.labels) {
            out.push("metric not unique".into());
        }
    }
}

/// A lint rule: appends the texts of the problems it finds in a family.
type Rule = fn(&LintFamily, &mut Vec<String>);

/// promlint's default validations, in its order.
const DEFAULT_RULES: &[Rule] = &[
    lint_help,
    lint_units,
    lint_counter,
    lint_histogram_summary_reserved,
    lint_type_in_name,
    lint_reserved_chars,
    lint_camel_case,
    lint_unit_abbreviations,
    lint_duplicates,
];

/// The problems of one family, in rule order.
pub fn lint_family(family: &LintFamily) -> Vec<Problem> {
    let mut texts = Vec::new();
    for rule in DEFAULT_RULES {
        rule(family, &mut texts);
    }
    texts
        .into_iter()
        .map(|text| Problem {
            metric: family.name.clone(),
            text,
        })
        .collect()
}

/// Lints every family and returns the problems sorted by metric name, then
/// text, as promlint does (identical problems are all kept).
pub fn lint(families: &[LintFamily]) -> Vec<Problem> {
    let mut problems: Vec<Problem> = families.iter().flat_map(lint_family).collect();
    problems.sort();
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(f: &LintFamily) -> Vec<String> {
        lint_family(f).into_iter().map(|p| p.text).collect()
    }

    fn documented(name: &str, kind: MetricType) -> LintFamily {
        LintFamily::new(name, kind)
            .with_help("help")
            .with_metric(&[])
    }

    #[test]
    fn clean_family_has_no_problems() {
        assert!(texts(&documented("http_requests_total", MetricType::Counter)).is_empty());
        assert!(
            texts(&documented(
                "process_resident_memory_bytes",
                MetricType::Gauge
            ))
            .is_empty()
        );
    }

    #[test]
    fn missing_help() {
        let f = LintFamily::new("up", MetricType::Gauge).with_metric(&[]);
        assert_eq!(texts(&f), ["no help text"]);
        // An empty help line still declares help.
        assert!(texts(&f.with_help("")).is_empty());
    }

    #[test]
    fn counter_suffix_rules() {
        assert_eq!(
            texts(&documented("requests", MetricType::Counter)),
            ["counter metrics should have \"_total\" suffix"]
        );
        assert_eq!(
            texts(&documented("requests_total", MetricType::Gauge)),
            ["non-counter metrics should not have \"_total\" suffix"]
        );
        assert!(texts(&documented("requests_total", MetricType::Unknown)).is_empty());
    }

    #[test]
    fn histogram_and_summary_reserved_names() {
        assert_eq!(
            texts(&documented("x_bucket", MetricType::Summary)),
            ["non-histogram metrics should not have \"_bucket\" suffix"]
        );
        assert_eq!(
            texts(&documented("x_count", MetricType::Gauge)),
            ["non-histogram and non-summary metrics should not have \"_count\" suffix"]
        );
        assert_eq!(
            texts(&documented("x_sum", MetricType::Gauge)),
            ["non-histogram and non-summary metrics should not have \"_sum\" suffix"]
        );
        assert!(texts(&documented("x_sum", MetricType::Summary)).is_empty());
        let f = LintFamily::new("x", MetricType::Gauge)
            .with_help("h")
            .with_metric(&[("le", "1"), ("quantile", "0.5")]);
        assert_eq!(
            texts(&f),
            [
                "non-histogram metrics should not have \"le\" label",
                "non-summary metrics should not have \"quantile\" label"
            ]
        );
        // Untyped families are exempt.
        let f = LintFamily::new("x_count", MetricType::Unknown)
            .with_help("h")
            .with_metric(&[("le", "1")]);
        assert!(texts(&f).is_empty());
    }

    #[test]
    fn units() {
        assert_eq!(
            texts(&documented(
                "request_duration_milliseconds",
                MetricType::Gauge
            )),
            ["use base unit \"seconds\" instead of \"milliseconds\""]
        );
        assert_eq!(
            texts(&documented("disk_kilobits", MetricType::Gauge)),
            ["use base unit \"bytes\" instead of \"kilobits\""]
        );
        // The first unit word decides; "seconds" is a base unit.
        assert!(texts(&documented("x_seconds_hours", MetricType::Gauge)).is_empty());
        // "thermometers" is not "meters".
        assert!(texts(&documented("thermometers", MetricType::Gauge)).is_empty());
        assert_eq!(
            texts(&documented("color_kelvins", MetricType::Gauge)),
            ["use base unit \"kelvin\" instead of \"kelvins\""]
        );
    }

    #[test]
    fn type_in_name_checks_only_own_type() {
        assert_eq!(
            texts(&documented("memory_limit_bytes_gauge", MetricType::Gauge)),
            ["metric name should not include type 'gauge'"]
        );
        assert_eq!(
            texts(&documented(
                "latency_seconds_HISTOGRAM",
                MetricType::Histogram
            )),
            ["metric name should not include type 'histogram'"]
        );
        assert!(
            texts(&documented(
                "latency_summary_seconds",
                MetricType::Histogram
            ))
            .is_empty()
        );
        assert!(texts(&documented("foo_gauge", MetricType::Unknown)).is_empty());
    }

    #[test]
    fn reserved_chars_and_camel_case() {
        assert_eq!(
            texts(&documented("job:rate5m", MetricType::Gauge)),
            ["metric names should not contain ':'"]
        );
        let f = LintFamily::new("fooBar", MetricType::Gauge)
            .with_help("h")
            .with_metric(&[("someLabel", "1"), ("ok", "2")])
            .with_metric(&[("someLabel", "2")]);
        assert_eq!(
            texts(&f),
            [
                "metric names should be written in 'snake_case' not 'camelCase'",
                "label names should be written in 'snake_case' not 'camelCase'",
                "label names should be written in 'snake_case' not 'camelCase'",
            ]
        );
    }

    #[test]
    fn abbreviations_count_each_match() {
        assert_eq!(
            texts(&documented("latency_ms", MetricType::Gauge)),
            ["metric names should not contain abbreviated units"]
        );
        assert_eq!(texts(&documented("x_s_MS", MetricType::Gauge)).len(), 2);
        assert!(texts(&documented("seconds_total_sss", MetricType::Unknown)).is_empty());
    }

    #[test]
    fn duplicates() {
        let f = LintFamily::new("x", MetricType::Gauge)
            .with_help("h")
            .with_metric(&[("a", "1")])
            .with_metric(&[("a", "1")])
            .with_metric(&[("a", "1")])
            .with_metric(&[("a", "2")]);
        assert_eq!(texts(&f), ["metric not unique", "metric not unique"]);
    }

    #[test]
    fn sorted_by_metric_then_text() {
        let fams = vec![
            LintFamily::new("b", MetricType::Counter).with_metric(&[]),
            LintFamily::new("a", MetricType::Gauge)
                .with_help("h")
                .with_metric(&[]),
            LintFamily::new("a_total", MetricType::Gauge).with_metric(&[]),
        ];
        let lines: Vec<String> = lint(&fams).iter().map(|p| p.to_string()).collect();
        assert_eq!(
            lines,
            [
                "a_total no help text",
                "a_total non-counter metrics should not have \"_total\" suffix",
                "b counter metrics should have \"_total\" suffix",
                "b no help text",
            ]
        );
    }
}
