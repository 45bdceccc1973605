//! Label matchers: `=`, `!=`, `=~` and `!~`.
//!
//! Semantics follow Prometheus 3.x `model/labels/matcher.go` and `regexp.go`:
//! regexes are fully anchored (`^(?s:re)$`), `.` matches newlines, and the
//! syntax accepted is RE2's (see the `syntax` submodule for where Rust's `regex` dialect
//! differs and how that is bridged). An absent label is matched as the empty
//! string, which is why [`Matcher::matches_empty`] matters to the TSDB.
//!
//! Matching is accelerated by [`fast::FastMatcher`], which recognises common
//! pattern shapes from the parsed HIR and answers without running the regex.

use std::fmt;

use crate::names::is_legacy_label_name;
use crate::quote::write_quoted;

pub mod fast;
pub(crate) mod syntax;

pub use fast::FastMatcher;

/// How a matcher compares a label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchType {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Regexp,
    /// `!~`
    NotRegexp,
}

impl MatchType {
    /// The operator as written in PromQL.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchType::Equal => "=",
            MatchType::NotEqual => "!=",
            MatchType::Regexp => "=~",
            MatchType::NotRegexp => "!~",
        }
    }

    /// The operator matching exactly the values this one rejects.
    pub fn inverse(self) -> MatchType {
        match self {
            MatchType::Equal => MatchType::NotEqual,
            MatchType::NotEqual => MatchType::Equal,
            MatchType::Regexp => MatchType::NotRegexp,
            MatchType::NotRegexp => MatchType::Regexp,
        }
    }

    /// Whether this is `=~` or `!~`.
    pub fn is_regex(self) -> bool {
        matches!(self, MatchType::Regexp | MatchType::NotRegexp)
    }

    /// Whether this is `!=` or `!~`.
    pub fn is_negative(self) -> bool {
        matches!(self, MatchType::NotEqual | MatchType::NotRegexp)
    }
}

impl fmt::Display for MatchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error building a matcher.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherError {
    /// The regex did not compile, or uses syntax RE2 (and so Prometheus) rejects.
    #[error("invalid regular expression {pattern:?}: {message}")]
    BadRegex {
        /// The pattern as given.
        pattern: String,
        /// What the regex engine said.
        message: String,
    },
}

/// A label matcher: a label name, an operator and a value or pattern.
///
/// The fields are private so the compiled regex can never disagree with the
/// pattern; use the accessors.
#[derive(Debug, Clone)]
pub struct Matcher {
    name: String,
    kind: MatchType,
    value: String,
    /// Compiled form for `=~`/`!~`; `None` for `=`/`!=`.
    re: Option<FastMatcher>,
    /// Cached answer for the empty string (an absent label).
    matches_empty: bool,
}

impl Matcher {
    /// Builds a matcher; for `=~`/`!~` compiles `value` as a fully anchored regex.
    pub fn new(
        kind: MatchType,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Matcher, MatcherError> {
        let name = name.into();
        let value = value.into();
        let re = if kind.is_regex() {
            Some(FastMatcher::new(&value)?)
        } else {
            None
        };
        let mut m = Matcher {
            name,
            kind,
            value,
            re,
            matches_empty: false,
        };
        m.matches_empty = m.matches("");
        Ok(m)
    }

    /// The label name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The operator.
    pub fn kind(&self) -> MatchType {
        self.kind
    }

    /// The value (for `=`/`!=`) or the pattern as given (for `=~`/`!~`).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The compiled regex matcher, for `=~`/`!~`.
    pub fn fast_matcher(&self) -> Option<&FastMatcher> {
        self.re.as_ref()
    }

    /// Whether the label value `value` satisfies the matcher; pass `""` for
    /// an absent label.
    pub fn matches(&self, value: &str) -> bool {
        match (&self.kind, &self.re) {
            (MatchType::Equal, _) => value == self.value,
            (MatchType::NotEqual, _) => value != self.value,
            (MatchType::Regexp, Some(re)) => re.is_match(value),
            (MatchType::NotRegexp, Some(re)) => !re.is_match(value),
            // Unreachable by construction; answer as the literal comparison would.
            (MatchType::Regexp, None) => value == self.value,
            (MatchType::NotRegexp, None) => value != self.value,
        }
    }

    /// Whether the matcher selects series that do not have the label at all
    /// (i.e. it matches the empty string): `{a=~".*"}`, `{a!="x"}`, `{a=""}`.
    pub fn matches_empty(&self) -> bool {
        self.matches_empty
    }

    /// For `=~`/`!~`: the exact, finite set of values the *regex* matches, in
    /// pattern order without duplicates (for `!~` these are the values the
    /// matcher rejects). `None` when the set is unknown or too large, and for
    /// `=`/`!=` (use [`Matcher::value`]).
    pub fn set_matches(&self) -> Option<&[String]> {
        self.re.as_ref().and_then(FastMatcher::set_matches)
    }

    /// For `=~`/`!~`: a case-sensitive literal every value the regex matches
    /// starts with, if one is known. `None` for `=`/`!=`.
    pub fn prefix(&self) -> Option<&str> {
        self.re.as_ref().and_then(FastMatcher::prefix)
    }

    /// Whether this is `=~` with a regex matching every string, like `.*`.
    pub fn is_regex_match_all(&self) -> bool {
        self.kind == MatchType::Regexp && self.re.as_ref().is_some_and(FastMatcher::matches_all)
    }

    /// Whether this is `=~` with a regex matching exactly the non-empty
    /// strings, like `.+`: it selects the series that have the label.
    pub fn is_regex_match_non_empty(&self) -> bool {
        self.kind == MatchType::Regexp
            && self.re.as_ref().is_some_and(FastMatcher::matches_non_empty)
    }

    /// Whether the matcher provably accepts every value, the empty one
    /// included, so it selects every series: `=~".*"`, or `!~` with a regex
    /// that matches nothing (`!~"[^\\x00-\\x{10FFFF}]"`). `false` when unsure.
    pub fn matches_everything(&self) -> bool {
        match self.kind {
            MatchType::Regexp => self.is_regex_match_all(),
            MatchType::NotRegexp => self.re.as_ref().is_some_and(FastMatcher::matches_nothing),
            MatchType::Equal | MatchType::NotEqual => false,
        }
    }

    /// The matcher accepting exactly the values this one rejects.
    pub fn inverse(&self) -> Matcher {
        Matcher {
            name: self.name.clone(),
            kind: self.kind.inverse(),
            value: self.value.clone(),
            re: self.re.clone(),
            matches_empty: !self.matches_empty,
        }
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.name == other.name && self.value == other.value
    }
}

impl Eq for Matcher {}

impl std::hash::Hash for Matcher {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        self.name.hash(state);
        self.value.hash(state);
    }
}

impl fmt::Display for Matcher {
    /// Prints the matcher as Prometheus does: `name="value"`, with the name
    /// quoted too when it is not a legacy label name (`"my.label"=~"v"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_legacy_label_name(&self.name) {
            f.write_str(&self.name)?;
        } else {
            write_quoted(f, &self.name)?;
        }
        f.write_str(self.kind.as_str())?;
        write_quoted(f, &self.value)
    }
}

#[cfg(test)]
mod tests;
