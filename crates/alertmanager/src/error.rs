//! The crate's error types: [`ConfigError`] for `alertmanager.yml` and
//! [`MatcherError`] for the matcher syntax of routes, inhibit rules, the API
//! and the command line.

use std::path::PathBuf;

/// Why a configuration file could not be loaded. The messages are
/// Alertmanager's, so operators can search for them.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The YAML is malformed or does not fit the schema (unknown field,
    /// wrong type, repeated key).
    #[error("{0}")]
    Yaml(String),
    /// The document is well formed but breaks a rule of the schema.
    #[error("{0}")]
    Invalid(String),
}

/// A matcher that could not be parsed or compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherError {
    /// The text does not follow the matcher syntax.
    #[error("{0}")]
    Syntax(String),
    /// A regex matcher whose value is not a valid regular expression.
    #[error("invalid regular expression {value:?}: {reason}")]
    Regex {
        /// The value as written.
        value: String,
        /// What the regex compiler said.
        reason: String,
    },
}
