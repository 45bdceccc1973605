//! Relabeling (`relabel_configs`, `metric_relabel_configs`,
//! `write_relabel_configs`, `alert_relabel_configs`): the configuration
//! type, its validation with Prometheus' messages, and [`process`], which
//! applies a list of rules to a label set.
//!
//! Semantics follow Prometheus' `model/relabel`: source label values are
//! joined with `separator` (`;`), matched against a fully anchored `regex`
//! (`(.*)`), and `replacement` (`$1`) is expanded like Go's
//! `Regexp.Expand` (`$1`, `${1}`, `$name`, `$$`).
//!
//! ```
//! use vigil_config::relabel::{RelabelConfig, process};
//! use vigil_model::{Labels, ValidationScheme};
//!
//! let mut rules: Vec<RelabelConfig> = serde_yaml_ng::from_str(
//!     "- {source_labels: [instance], regex: '([^:]+):.*', target_label: host}\n\
//!      - {source_labels: [__name__], regex: 'go_.*', action: drop}",
//! )?;
//! for r in &mut rules {
//!     r.validate(ValidationScheme::Utf8)?;
//! }
//! let up = Labels::from_pairs(&[("__name__", "up"), ("instance", "db1:9100")]);
//! let out = process(&up, &rules).expect("kept");
//! assert_eq!(out.get("host"), Some("db1"));
//! let gc = Labels::from_pairs(&[("__name__", "go_gc_duration_seconds")]);
//! assert!(process(&gc, &rules).is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod dialect;
mod expand;
mod process;
#[cfg(test)]
mod tests;

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use vigil_model::ValidationScheme;
use vigil_model::matcher::FastMatcher;
use vigil_model::names::is_valid_label_name;

pub use process::{hashmod, process, process_builder, process_cow};

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Set `target_label` to the expanded `replacement` when `regex` matches.
    Replace,
    /// Drop the series unless `regex` matches.
    Keep,
    /// Drop the series if `regex` matches.
    Drop,
    /// Drop the series unless `target_label`'s value equals the joined sources.
    KeepEqual,
    /// Drop the series if `target_label`'s value equals the joined sources.
    DropEqual,
    /// Set `target_label` to `md5(sources) % modulus`.
    HashMod,
    /// Copy labels whose name matches `regex` to the expanded `replacement`.
    LabelMap,
    /// Remove labels whose name matches `regex`.
    LabelDrop,
    /// Remove labels whose name does not match `regex`.
    LabelKeep,
    /// Set `target_label` to the lowercased sources.
    Lowercase,
    /// Set `target_label` to the uppercased sources.
    Uppercase,
}

impl Action {
    /// The name used in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }

    /// Parses an action name case-insensitively, as Prometheus does.
    pub fn parse(s: &str) -> Option<Action> {
        const ALL: [Action; 11] = [
            Action::Replace,
            Action::Keep,
            Action::Drop,
            Action::KeepEqual,
            Action::DropEqual,
            Action::HashMod,
            Action::LabelMap,
            Action::LabelDrop,
            Action::LabelKeep,
            Action::Lowercase,
            Action::Uppercase,
        ];
        let lower = s.to_lowercase();
        ALL.into_iter().find(|a| a.as_str() == lower)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A relabeling regex: fully anchored (`^(?s:…)$`) with Go RE2 syntax.
///
/// Matching goes through the model crate's [`FastMatcher`], whose literal,
/// set and prefix fast paths keep `keep`/`drop` rules on the scrape path
/// cheap; capture groups for `replace`/`labelmap` come from a plain
/// `regex::Regex` compiled on the side.
#[derive(Debug, Clone)]
pub struct Regex {
    fast: FastMatcher,
    captures: Option<regex::Regex>,
    /// Whether this is the default `(.*)` nobody wrote (Prometheus compares
    /// by identity, so an explicit `regex: (.*)` is *not* the default).
    implicit: bool,
}

/// The default regex's pattern.
pub const DEFAULT_REGEX: &str = "(.*)";

impl Regex {
    /// Compiles `pattern`, with Go's `error parsing regexp: …` message on failure.
    pub fn new(pattern: &str) -> Result<Regex, String> {
        let fast = FastMatcher::new(pattern).map_err(|e| {
            let vigil_model::MatcherError::BadRegex { message, .. } = e;
            format!("error parsing regexp: {message}: `{pattern}`")
        })?;
        // Rust's regex crate reads the RE2 syntax FastMatcher accepted in all
        // but a few corners (`\Q…\E`, octal escapes); those patterns still
        // match correctly, they only lose capture groups in `replace`.
        let ascii = dialect::ascii_classes(pattern);
        let captures =
            regex::RegexBuilder::new(&format!("^(?s:{})$", ascii.as_deref().unwrap_or(pattern)))
                .size_limit(64 << 20)
                .build()
                .ok();
        Ok(Regex {
            fast,
            captures,
            implicit: false,
        })
    }

    fn implicit_default() -> Regex {
        // A constant pattern, not input: it always compiles.
        let mut r = Regex::new(DEFAULT_REGEX).expect("the default relabel regex compiles");
        r.implicit = true;
        r
    }

    /// The pattern as written (without the anchors).
    pub fn as_str(&self) -> &str {
        self.fast.as_str()
    }

    /// Whether the whole of `s` matches.
    pub fn is_match(&self, s: &str) -> bool {
        self.fast.is_match(s)
    }

    /// Whether this is the implicit default regex.
    pub fn is_implicit_default(&self) -> bool {
        self.implicit
    }

    fn captures_regex(&self) -> Option<&regex::Regex> {
        self.captures.as_ref()
    }
}

impl PartialEq for Regex {
    fn eq(&self, other: &Regex) -> bool {
        self.as_str() == other.as_str() && self.implicit == other.implicit
    }
}

impl Serialize for Regex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One relabeling rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelabelConfig {
    /// `source_labels`: values joined with `separator`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_labels: Vec<String>,
    /// `separator` (default `;`).
    pub separator: String,
    /// `regex` (default `(.*)`). Like upstream, the implicit default is not
    /// printed, so printing and reloading keeps `keepequal` rules valid.
    #[serde(skip_serializing_if = "Regex::is_implicit_default")]
    pub regex: Regex,
    /// `modulus` for `hashmod`.
    #[serde(skip_serializing_if = "is_zero")]
    pub modulus: u64,
    /// `target_label`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target_label: String,
    /// `replacement` (default `$1`).
    pub replacement: String,
    /// `action` (default `replace`); `None` when written as `action: null`
    /// or `action: ""`, which validation refuses.
    pub action: Option<Action>,
    /// Name validation scheme for target labels, taken from the scrape
    /// config (or global) during validation.
    #[serde(skip)]
    pub name_validation_scheme: ValidationScheme,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Default for RelabelConfig {
    fn default() -> Self {
        RelabelConfig {
            source_labels: Vec::new(),
            separator: ";".into(),
            regex: Regex::implicit_default(),
            modulus: 0,
            target_label: String::new(),
            replacement: "$1".into(),
            action: Some(Action::Replace),
            name_validation_scheme: ValidationScheme::Utf8,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    source_labels: Option<Vec<String>>,
    #[serde(default)]
    separator: Option<String>,
    #[serde(default)]
    regex: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    modulus: Option<u64>,
    #[serde(default)]
    target_label: Option<String>,
    #[serde(default)]
    replacement: Option<String>,
    #[serde(default)]
    action: Option<Option<String>>,
}

impl<'de> Deserialize<'de> for RelabelConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Raw::deserialize(d)?;
        let mut c = RelabelConfig::default();
        if let Some(s) = raw.source_labels {
            c.source_labels = s;
        }
        if let Some(s) = raw.separator {
            c.separator = s;
        }
        if let Some(v) = raw.regex {
            // yaml.v2 hands a scalar of any kind to a string field.
            let pattern = match v {
                serde_yaml_ng::Value::String(s) => s,
                serde_yaml_ng::Value::Number(n) => n.to_string(),
                serde_yaml_ng::Value::Bool(b) => b.to_string(),
                serde_yaml_ng::Value::Null => String::new(),
                _ => return Err(de::Error::custom("regex must be a string")),
            };
            c.regex = Regex::new(&pattern).map_err(de::Error::custom)?;
        }
        if let Some(m) = raw.modulus {
            c.modulus = m;
        }
        if let Some(t) = raw.target_label {
            c.target_label = t;
        }
        if let Some(r) = raw.replacement {
            c.replacement = r;
        }
        match raw.action {
            None => {}
            Some(None) => c.action = None,
            Some(Some(a)) if a.is_empty() => c.action = None,
            Some(Some(a)) => {
                c.action =
                    Some(Action::parse(&a).ok_or_else(|| {
                        de::Error::custom(format!("unknown relabel action {a:?}"))
                    })?);
            }
        }
        Ok(c)
    }
}

/// A legacy label name that may contain `$var` / `${var}` references.
fn is_legacy_name_with_vars(s: &str) -> bool {
    // `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`: a string of name
    // characters and variables that does not start with a digit.
    let b = s.as_bytes();
    if b.is_empty() || b.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if word(c) {
            i += 1;
        } else if c == b'$' {
            if b.get(i + 1) == Some(&b'{') {
                let n = b
                    .get(i + 2..)
                    .map_or(0, |r| r.iter().take_while(|c| word(**c)).count());
                if n == 0 || b.get(i + 2 + n) != Some(&b'}') {
                    return false;
                }
                i += 3 + n;
            } else {
                let n = b
                    .get(i + 1..)
                    .map_or(0, |r| r.iter().take_while(|c| word(**c)).count());
                if n == 0 {
                    return false;
                }
                i += 1 + n;
            }
        } else {
            return false;
        }
    }
    true
}

impl RelabelConfig {
    /// Checks the rule as Prometheus' `relabel.Config.Validate` does, with
    /// `scheme` the scrape config's (or global) name validation scheme.
    pub fn validate(&mut self, scheme: ValidationScheme) -> Result<(), String> {
        let Some(action) = self.action else {
            return Err("relabel action cannot be empty".into());
        };
        self.name_validation_scheme = scheme;
        use Action::*;
        if self.modulus == 0 && action == HashMod {
            return Err("relabel configuration for hashmod requires non-zero modulus".into());
        }
        let needs_target = matches!(
            action,
            Replace | HashMod | Lowercase | Uppercase | KeepEqual | DropEqual
        );
        if needs_target && self.target_label.is_empty() {
            return Err(format!(
                "relabel configuration for {action} action requires 'target_label' value"
            ));
        }
        let valid = |n: &str| is_valid_label_name(n, scheme);
        let valid_with_vars = |n: &str| match scheme {
            ValidationScheme::Utf8 => valid(n),
            ValidationScheme::Legacy => is_legacy_name_with_vars(n),
        };
        let bad_target = || {
            format!(
                "{:?} is invalid 'target_label' for {action} action",
                self.target_label
            )
        };
        let has_var = self.target_label.contains('$');
        if action == Replace && !has_var && !valid(&self.target_label) {
            return Err(bad_target());
        }
        if action == Replace && has_var && !valid_with_vars(&self.target_label) {
            return Err(bad_target());
        }
        let equal_or_case = matches!(action, Lowercase | Uppercase | KeepEqual | DropEqual);
        if equal_or_case && !valid(&self.target_label) {
            return Err(bad_target());
        }
        if equal_or_case && self.replacement != "$1" {
            return Err(format!("'replacement' can not be set for {action} action"));
        }
        if action == LabelMap && !valid_with_vars(&self.replacement) {
            return Err(format!(
                "{:?} is invalid 'replacement' for {action} action",
                self.replacement
            ));
        }
        if action == HashMod && !valid(&self.target_label) {
            return Err(bad_target());
        }
        if matches!(action, KeepEqual | DropEqual)
            && (!self.regex.is_implicit_default()
                || self.modulus != 0
                || self.separator != ";"
                || self.replacement != "$1")
        {
            return Err(format!(
                "{action} action requires only 'source_labels' and `target_label`, and no other fields"
            ));
        }
        if matches!(action, LabelDrop | LabelKeep)
            && (!self.source_labels.is_empty()
                || !self.target_label.is_empty()
                || self.modulus != 0
                || self.separator != ";"
                || self.replacement != "$1")
        {
            return Err(format!(
                "{action} action requires only 'regex', and no other fields"
            ));
        }
        Ok(())
    }
}

/// Decodes and validates a list of rules; `null_msg` is the error for a
/// null entry (Prometheus names the list it is in).
pub(crate) fn parse_list(
    v: serde_yaml_ng::Value,
    null_msg: &str,
    scheme: ValidationScheme,
) -> Result<Vec<RelabelConfig>, String> {
    let items = crate::yaml::as_sequence(v, "[]*relabel.Config")?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if item.is_null() {
            return Err(null_msg.to_owned());
        }
        let mut item = item;
        // `action: null` is an empty action (refused below) and `regex: null`
        // the empty regex, as in Go, not absent keys taking their defaults.
        for key in ["action", "regex"] {
            if let Some(v) = item.get_mut(key) {
                if v.is_null() {
                    *v = serde_yaml_ng::Value::String(String::new());
                }
            }
        }
        let mut c: RelabelConfig = crate::yaml::decode(item, "relabel.plain")?;
        c.validate(scheme)?;
        out.push(c);
    }
    Ok(out)
}
