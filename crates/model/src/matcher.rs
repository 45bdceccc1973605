//! Label matchers. (Being written: see the helper task.)

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

/// Error building a matcher.
#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    /// The regex did not compile.
    #[error("invalid regular expression {pattern:?}: {message}")]
    BadRegex {
        /// The pattern as given.
        pattern: String,
        /// What the regex engine said.
        message: String,
    },
}

/// A label matcher.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// Label name.
    pub name: String,
    /// Match type.
    pub kind: MatchType,
    /// Value or pattern.
    pub value: String,
}
