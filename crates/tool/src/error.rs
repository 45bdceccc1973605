//! Errors of the `vigil tool` library.

use vigil_exposition::ParseError;

/// Why `check metrics` could not lint its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckMetricsError {
    /// The exposition is malformed, or breaks a rule of the text format that
    /// promtool's parser enforces (e.g. a second `# HELP` for one family).
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// Both linting and the cardinality report were switched off.
    #[error("at least one of --extended or linting must be enabled")]
    NothingToDo,
}

/// Why `test rules` could not run at all (failing tests are not errors).
#[derive(Debug, thiserror::Error)]
pub enum TestRulesError {
    /// A `--run` expression is not a valid regular expression.
    #[error("invalid --run expression: {0}")]
    Run(#[from] regex::Error),
    /// Writing the report failed.
    #[error("writing the report: {0}")]
    Io(#[from] std::io::Error),
}
