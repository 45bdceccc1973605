//! Errors, worded as Go's `text/template` words them.

use thiserror::Error;

/// A parse error: `template: NAME:LINE: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("template: {name}:{line}: {msg}")]
pub struct ParseError {
    /// The name of the template being parsed.
    pub name: String,
    /// 1-based line of the offending item.
    pub line: usize,
    /// Go's message (`unclosed action`, `function "x" not defined`, ...).
    pub msg: String,
}

/// An execution error, already formatted as Go formats it:
/// `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct ExecError(pub String);

/// Any error of parsing or executing a template.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// The template text does not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Execution failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
}
