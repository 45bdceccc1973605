//! The `route` tree and `inhibit_rules` as written in the file. Matchers
//! come in three spellings (`match`, `match_re` and `matchers`); the
//! routing tree in [`crate::routing`] folds them into one sorted list.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use vigil_config::Duration;
use vigil_model::MatchType;

use super::types::{lenient_map, lenient_string, yaml_bool};
use crate::error::ConfigError;
use crate::matcher::{Matcher, Matchers, parse_matchers};

/// Whether `s` is a classic label name (`[a-zA-Z_][a-zA-Z0-9_]*`), which
/// `match`/`match_re` keys must be.
pub fn is_legacy_label_name(s: &str) -> bool {
    vigil_model::names::is_legacy_label_name(s)
}

/// Whether `s` is acceptable as a label name in UTF-8 mode (non-empty, valid UTF-8).
pub fn is_valid_label_name(s: &str) -> bool {
    !s.is_empty()
}

/// A `match_re` map: label name to regex. A key with no value is refused
/// as Alertmanager refuses it (`invalid regexp value for "x"`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchRegexps(pub BTreeMap<String, String>);

impl MatchRegexps {
    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The regex matchers, anchored as Alertmanager prints them (`^(?:…)$`).
    pub fn matchers(&self) -> Vec<Matcher> {
        self.0
            .iter()
            .filter_map(|(k, v)| Matcher::new(MatchType::Regexp, k, format!("^(?:{v})$")).ok())
            .collect()
    }
}

impl Serialize for MatchRegexps {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for MatchRegexps {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct S(#[serde(deserialize_with = "lenient_string")] String);
        let m: Option<BTreeMap<String, Option<S>>> = Option::deserialize(d)?;
        let mut out = BTreeMap::new();
        for (k, v) in m.unwrap_or_default() {
            if !is_legacy_label_name(&k) {
                return Err(de::Error::custom(format!("invalid label name {k:?}")));
            }
            let Some(v) = v else {
                return Err(de::Error::custom(format!("invalid regexp value for {k:?}")));
            };
            regex::Regex::new(&format!("^(?:{})$", v.0)).map_err(de::Error::custom)?;
            out.insert(k, v.0);
        }
        Ok(MatchRegexps(out))
    }
}

/// A `matchers` list: each entry is one or more matchers in Alertmanager's
/// syntax; the whole list is kept sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatcherList(pub Matchers);

impl Serialize for MatcherList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<String> = self.0.0.iter().map(ToString::to_string).collect();
        v.serialize(s)
    }
}

impl<'de> Deserialize<'de> for MatcherList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let lines: Option<Vec<String>> = Option::deserialize(d)?;
        let mut ms = Matchers::default();
        for line in lines.unwrap_or_default() {
            ms.0.extend(parse_matchers(&line).map_err(de::Error::custom)?);
        }
        ms.sort();
        Ok(MatcherList(ms))
    }
}

/// Checks a `match` map's keys.
fn check_match_keys(m: &BTreeMap<String, String>) -> Result<(), ConfigError> {
    for k in m.keys() {
        if !is_legacy_label_name(k) {
            return Err(ConfigError::Invalid(format!("invalid label name {k:?}")));
        }
    }
    Ok(())
}

/// A node of the routing tree as written; unset options inherit from the parent.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Route {
    /// `receiver`: where matching alerts go (required on the root).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub receiver: String,
    /// `group_by`: label names, or `...` for every label. `None` inherits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Vec<String>>,
    /// `match` (deprecated): equality matchers.
    #[serde(
        rename = "match",
        deserialize_with = "lenient_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub match_: BTreeMap<String, String>,
    /// `match_re` (deprecated): regex matchers.
    #[serde(skip_serializing_if = "MatchRegexps::is_empty")]
    pub match_re: MatchRegexps,
    /// `matchers`.
    #[serde(skip_serializing_if = "matcher_list_empty")]
    pub matchers: MatcherList,
    /// `mute_time_intervals`: names of intervals during which the route is muted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mute_time_intervals: Vec<String>,
    /// `active_time_intervals`: names of intervals outside which the route is muted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub active_time_intervals: Vec<String>,
    /// `continue`: keep matching siblings after this route matched.
    #[serde(rename = "continue", deserialize_with = "yaml_bool")]
    pub continue_: bool,
    /// Child routes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    /// `group_wait`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_wait: Option<Duration>,
    /// `group_interval`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_interval: Option<Duration>,
    /// `repeat_interval`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_interval: Option<Duration>,
}

fn matcher_list_empty(m: &MatcherList) -> bool {
    m.0.is_empty()
}

impl Route {
    /// Whether the route groups by every label (`group_by: ['...']`).
    pub fn group_by_all(&self) -> bool {
        self.group_by
            .as_ref()
            .is_some_and(|g| g.iter().any(|l| l == "..."))
    }

    /// Every matcher of the route (`match`, `match_re`, `matchers`), sorted.
    pub fn all_matchers(&self) -> Matchers {
        let mut ms = Matchers::default();
        for (k, v) in &self.match_ {
            if let Ok(m) = Matcher::new(MatchType::Equal, k, v) {
                ms.0.push(m);
            }
        }
        ms.0.extend(self.match_re.matchers());
        ms.0.extend(self.matchers.0.0.iter().cloned());
        ms.sort();
        ms
    }

    /// The checks of one node and, recursively, its children.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_match_keys(&self.match_)?;
        let mut all = false;
        let mut seen = BTreeSet::new();
        for l in self.group_by.iter().flatten() {
            if l == "..." {
                all = true;
                continue;
            }
            if !is_valid_label_name(l) {
                return Err(ConfigError::Invalid(format!(
                    "invalid label name {l:?} in group_by list"
                )));
            }
            if !seen.insert(l.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "duplicated label {l:?} in group_by"
                )));
            }
        }
        if all && !seen.is_empty() {
            return Err(ConfigError::Invalid(
                "cannot have wildcard group_by (`...`) and other labels at the same time".into(),
            ));
        }
        if self.group_interval.is_some_and(|d| d.is_zero()) {
            return Err(ConfigError::Invalid("group_interval cannot be zero".into()));
        }
        if self.repeat_interval.is_some_and(|d| d.is_zero()) {
            return Err(ConfigError::Invalid(
                "repeat_interval cannot be zero".into(),
            ));
        }
        for r in &self.routes {
            r.validate()?;
        }
        Ok(())
    }

    /// Calls `f` on this node and every descendant, parents first.
    pub fn walk<'a>(
        &'a self,
        f: &mut impl FnMut(&'a Route) -> Result<(), ConfigError>,
    ) -> Result<(), ConfigError> {
        f(self)?;
        for r in &self.routes {
            r.walk(f)?;
        }
        Ok(())
    }
}

/// One `inhibit_rules` entry: alerts matching the target matchers are
/// muted while an alert matching the source matchers fires with the same
/// values of the `equal` labels.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct InhibitRule {
    /// `name` (optional, for logs and metrics).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `source_match` (deprecated).
    #[serde(
        deserialize_with = "lenient_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub source_match: BTreeMap<String, String>,
    /// `source_match_re` (deprecated).
    #[serde(skip_serializing_if = "MatchRegexps::is_empty")]
    pub source_match_re: MatchRegexps,
    /// `source_matchers`.
    #[serde(skip_serializing_if = "matcher_list_empty")]
    pub source_matchers: MatcherList,
    /// `target_match` (deprecated).
    #[serde(
        deserialize_with = "lenient_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub target_match: BTreeMap<String, String>,
    /// `target_match_re` (deprecated).
    #[serde(skip_serializing_if = "MatchRegexps::is_empty")]
    pub target_match_re: MatchRegexps,
    /// `target_matchers`.
    #[serde(skip_serializing_if = "matcher_list_empty")]
    pub target_matchers: MatcherList,
    /// `equal`: labels whose values must agree between source and target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub equal: Vec<String>,
}

fn combine(eq: &BTreeMap<String, String>, re: &MatchRegexps, ms: &MatcherList) -> Matchers {
    let mut out = Matchers::default();
    for (k, v) in eq {
        if let Ok(m) = Matcher::new(MatchType::Equal, k, v) {
            out.0.push(m);
        }
    }
    out.0.extend(re.matchers());
    out.0.extend(ms.0.0.iter().cloned());
    out
}

impl InhibitRule {
    /// The checks Alertmanager makes on an inhibit rule.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_match_keys(&self.source_match)?;
        check_match_keys(&self.target_match)?;
        for l in &self.equal {
            if !is_valid_label_name(l) {
                return Err(ConfigError::Invalid(format!(
                    "invalid label name {l:?} in equal list"
                )));
            }
        }
        Ok(())
    }
    /// All source matchers.
    pub fn source(&self) -> Matchers {
        combine(
            &self.source_match,
            &self.source_match_re,
            &self.source_matchers,
        )
    }
    /// All target matchers.
    pub fn target(&self) -> Matchers {
        combine(
            &self.target_match,
            &self.target_match_re,
            &self.target_matchers,
        )
    }
}
