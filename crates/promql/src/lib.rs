//! Vigil's PromQL (Prometheus 3.x semantics): parser, printer, engine and
//! the upstream test-script runner.
//!
//! - [`lex`]/[`token`]: the tokenizer, with byte positions.
//! - [`ast`]: the expression tree ([`Expr`]) and [`ValueType`].
//! - [`functions`]: every PromQL function's signature.
//! - [`parse`]/[`parse_with`]: the parser, producing Prometheus' exact error
//!   messages ([`ParseErrors`] displays like `1:5: parse error: …`).
//! - [`printer`]: `Display` for [`Expr`] in canonical form, and
//!   [`format_query`] (which splits long queries over lines as
//!   Prometheus' prettier does, see [`Expr::pretty`]).
//! - [`engine`]: [`engine::Engine`] evaluates instant and range queries
//!   over a [`storage::Queryable`] (the TSDB's `Db` and `Head` implement it)
//!   into [`value::Value`]s, with Prometheus' annotations and error texts.
//! - [`promqltest`]: runs Prometheus' `promqltest` scripts (all 2,214
//!   upstream cases pass).

pub mod ast;
pub mod engine;
pub mod error;
pub mod functions;
pub mod fuzzing;
pub mod lex;
mod parse;
mod pretty;
pub mod printer;
pub mod promqltest;
pub mod storage;
pub mod token;
mod unquote;
pub mod value;

pub use ast::{
    AggregateExpr, AggregateOp, AtModifier, BinaryExpr, BinaryOp, Call, Cardinality, DurationExpr,
    DurationOp, Expr, MatrixSelector, NumberLiteral, ParenExpr, PosRange, StringLiteral,
    SubqueryExpr, UnaryExpr, UnaryOp, ValueType, VectorMatching, VectorSelector,
};
pub use error::{ParseError, ParseErrors};
pub use functions::{FUNCTIONS, Function, get_function};
pub use parse::{
    ParseOptions, format_duration, parse, parse_duration, parse_metric_selector, parse_with,
};
pub use printer::format_query;
pub use unquote::{unquote, unquote_bytes};
