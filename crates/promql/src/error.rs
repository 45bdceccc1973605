//! Parse errors, positioned and formatted exactly as Prometheus prints them
//! (`1:5: parse error: unexpected <op:*>`).

use std::fmt;

use crate::ast::PosRange;

/// One parse error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: parse error: {message}")]
pub struct ParseError {
    /// Where in the query the error is.
    pub pos: PosRange,
    /// 1-based line of `pos.start`.
    pub line: usize,
    /// 1-based column (in bytes) of `pos.start`.
    pub column: usize,
    /// The message without the position prefix.
    pub message: String,
}

impl ParseError {
    /// Builds an error, computing line and column from the query text.
    pub fn new(query: &str, pos: PosRange, message: impl Into<String>) -> ParseError {
        let upto = query.get(..pos.start.min(query.len())).unwrap_or(query);
        let mut line = 1;
        let mut last_break: isize = -1;
        for (i, b) in upto.bytes().enumerate() {
            if b == b'\n' {
                line += 1;
                last_break = i as isize;
            }
        }
        let column = (pos.start as isize - last_break) as usize;
        ParseError {
            pos,
            line,
            column,
            message: message.into(),
        }
    }
}

/// All errors found in one query; displays as the first, as Prometheus does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParseErrors(pub Vec<ParseError>);

impl ParseErrors {
    /// The first error, if any.
    pub fn first(&self) -> Option<&ParseError> {
        self.0.first()
    }

    /// The first error's message without the position prefix.
    pub fn message(&self) -> &str {
        self.0.first().map_or("", |e| e.message.as_str())
    }
}

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.first() {
            Some(e) => e.fmt(f),
            None => f.write_str("error contains no error message"),
        }
    }
}

impl std::error::Error for ParseErrors {}
