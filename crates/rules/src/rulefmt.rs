//! Rule files: the YAML format of Prometheus' `rule_files` (see
//! Prometheus' `docs/configuration/recording_rules.md` and
//! `alerting_rules.md`), parsed and validated as Prometheus'
//! `model/rulefmt` does.
//!
//! ```yaml
//! groups:
//!   - name: example            # unique in the file
//!     interval: 1m             # optional durations
//!     query_offset: 30s
//!     limit: 0
//!     labels: {team: a}        # added to every rule's output
//!     rules:
//!       - record: job:up:sum   # recording rule: record + expr [+ labels]
//!         expr: sum by (job) (up)
//!       - alert: Down          # alerting rule: alert + expr [+ for, keep_firing_for, labels, annotations]
//!         expr: up == 0
//!         for: 5m
//!         annotations:
//!           summary: "{{ $labels.instance }} is down"
//! ```
//!
//! Decoding is strict (unknown fields are errors unless
//! [`ParseOptions::ignore_unknown_fields`]); validation then reports every
//! problem at once, each worded as upstream words it.

mod decode;
mod error;
mod position;
mod validate;

use std::collections::BTreeMap;
use std::path::Path;

use vigil_model::names::ValidationScheme;

pub use error::{Pos, RuleError};
pub use validate::{DuplicateRule, check_duplicates};

/// A parsed rule file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleGroups {
    /// The groups, in file order.
    pub groups: Vec<RuleGroup>,
}

/// A group of rules evaluated together, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleGroup {
    /// The group's name, unique in its file.
    pub name: String,
    /// Evaluation interval in nanoseconds; 0 means the global default.
    pub interval: i64,
    /// How far back queries are evaluated, in nanoseconds (`None`: global default).
    pub query_offset: Option<i64>,
    /// Most alerts or series a rule may produce (0: no limit).
    pub limit: i64,
    /// The rules.
    pub rules: Vec<Rule>,
    /// Labels added to every rule's output (rule labels win).
    pub labels: BTreeMap<String, String>,
}

/// A recording or alerting rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rule {
    /// Name of the series a recording rule writes (empty for alerts).
    pub record: String,
    /// Name of an alerting rule's alert (empty for recording rules).
    pub alert: String,
    /// The PromQL expression.
    pub expr: String,
    /// How long an alert must be active before firing, in nanoseconds.
    pub for_: i64,
    /// How long an alert keeps firing after its condition clears, in nanoseconds.
    pub keep_firing_for: i64,
    /// Labels added to the output (templates, for alerts).
    pub labels: BTreeMap<String, String>,
    /// Alert annotations (templates).
    pub annotations: BTreeMap<String, String>,
}

impl Rule {
    /// The rule as YAML, as Prometheus' rules print themselves
    /// (`AlertingRule.String()`, `RecordingRule.String()`): fields in
    /// format order, empty ones left out, durations in Prometheus' form.
    /// `expr` is printed as given; upstream prints its parsed form, which
    /// callers get from `vigil_promql::format_query` first.
    pub fn to_yaml(&self) -> String {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            #[serde(skip_serializing_if = "str::is_empty")]
            record: &'a str,
            #[serde(skip_serializing_if = "str::is_empty")]
            alert: &'a str,
            expr: &'a str,
            #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
            for_: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            keep_firing_for: Option<String>,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            labels: &'a BTreeMap<String, String>,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            annotations: &'a BTreeMap<String, String>,
        }
        let dur = |ns: i64| (ns != 0).then(|| vigil_promql::format_duration(ns));
        let out = Out {
            record: &self.record,
            alert: &self.alert,
            expr: &self.expr,
            for_: dur(self.for_),
            keep_firing_for: dur(self.keep_firing_for),
            labels: &self.labels,
            annotations: &self.annotations,
        };
        serde_yaml_ng::to_string(&out).unwrap_or_else(|e| format!("error marshaling rule: {e}"))
    }

    /// The rule's name: `alert` for alerting rules, else `record`.
    pub fn name(&self) -> &str {
        if self.alert.is_empty() {
            &self.record
        } else {
            &self.alert
        }
    }
}

/// How to parse.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    /// Accept (and drop) unknown fields, as `--ignore-unknown-fields`.
    pub ignore_unknown_fields: bool,
    /// Which metric and label names are valid.
    pub name_validation: ValidationScheme,
    /// PromQL features enabled for `expr`.
    pub promql: vigil_promql::ParseOptions,
}

/// Parses and validates rule-file content. Like upstream, the groups are
/// returned when the YAML decodes, even if validation found problems; they
/// are `None` only when the YAML itself is refused.
pub fn parse(content: &[u8], opts: &ParseOptions) -> (Option<RuleGroups>, Vec<RuleError>) {
    let text = match std::str::from_utf8(content) {
        Ok(t) => t,
        Err(_) => {
            return (
                None,
                vec![RuleError::Yaml("yaml: invalid leading UTF-8 octet".into())],
            );
        }
    };
    // A UTF-8 byte-order mark is allowed, as go-yaml allows it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let groups = match decode::decode(text, opts.ignore_unknown_fields) {
        Ok(g) => g,
        // Upstream decodes twice (the rules, then their YAML nodes for
        // positions); a syntax error fails both and is reported twice.
        Err(e) if e.starts_with("yaml: line ") => {
            return (None, vec![RuleError::Yaml(e.clone()), RuleError::Yaml(e)]);
        }
        Err(e) => return (None, vec![RuleError::Yaml(e)]),
    };
    let positions = position::locate(text);
    let errors = validate::validate(&groups, &positions, opts);
    (Some(groups), errors)
}

/// Whether the content holds more than one YAML document; only the first
/// is used, and Prometheus logs a warning ("Multiple document yaml rules
/// files are not supported, only the first document is processed").
pub fn has_multiple_documents(content: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(content) else {
        return false;
    };
    serde_yaml_ng::Deserializer::from_str(text).nth(1).is_some()
}

/// Reads and parses a rule file; every error is prefixed with the path,
/// as upstream's `ParseFile` does.
pub fn parse_file(path: &Path, opts: &ParseOptions) -> (Option<RuleGroups>, Vec<RuleError>) {
    let file = path.display().to_string();
    let wrap = |err: RuleError| RuleError::File {
        file: file.clone(),
        err: Box::new(err),
    };
    match std::fs::read(path) {
        Ok(b) => {
            let (g, errs) = parse(&b, opts);
            (g, errs.into_iter().map(wrap).collect())
        }
        Err(e) => {
            let msg = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
                _ => e.to_string(),
            };
            (
                None,
                vec![wrap(RuleError::Yaml(format!("open {file}: {msg}")))],
            )
        }
    }
}

/// What `promtool check rules` finds in one file.
#[derive(Debug, Clone, Default)]
pub struct CheckOutcome {
    /// Number of rules (counted only when the file parsed).
    pub rules: usize,
    /// Parse and validation errors (`FILE: ...`).
    pub errors: Vec<RuleError>,
    /// Duplicate rules (the `duplicate-rules` lint), when asked for and
    /// the file had no errors.
    pub duplicates: Vec<DuplicateRule>,
}

/// Checks a rule file as `promtool check rules` does: parse and validate,
/// then, if asked and the file is otherwise valid, look for duplicates.
/// promtool prints [`DuplicateRule::report`] for the duplicates; they make
/// the check fail only with `--lint-fatal`.
pub fn check_file(path: &Path, opts: &ParseOptions, lint_duplicates: bool) -> CheckOutcome {
    let (groups, errors) = parse_file(path, opts);
    let Some(groups) = groups.filter(|_| errors.is_empty()) else {
        return CheckOutcome {
            errors,
            ..CheckOutcome::default()
        };
    };
    CheckOutcome {
        rules: groups.groups.iter().map(|g| g.rules.len()).sum(),
        errors,
        duplicates: if lint_duplicates {
            check_duplicates(&groups.groups)
        } else {
            Vec::new()
        },
    }
}
