//! The error type of every parser in this crate.

use std::fmt;

/// Where a parse error happened. Text formats give a 1-based line and
/// column; the protobuf format gives a byte offset into the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// 1-based line and column (columns count bytes).
    LineColumn {
        /// 1-based line.
        line: usize,
        /// 1-based byte column.
        column: usize,
    },
    /// Byte offset from the start of the body.
    Offset(usize),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::LineColumn { line, column } => write!(f, "line {line}, column {column}"),
            Position::Offset(o) => write!(f, "byte offset {o}"),
        }
    }
}

/// A malformed exposition: where, and what was expected or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{position}: {message}")]
pub struct ParseError {
    /// Where the problem is.
    pub position: Position,
    /// What was wrong, e.g. `expected label value, got "}"`.
    pub message: String,
}

impl ParseError {
    /// An error at a 1-based line and column.
    pub fn at(line: usize, column: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            position: Position::LineColumn { line, column },
            message: message.into(),
        }
    }

    /// An error at a byte offset (binary formats).
    pub fn at_offset(offset: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            position: Position::Offset(offset),
            message: message.into(),
        }
    }
}
