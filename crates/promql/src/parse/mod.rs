//! The PromQL parser: a hand-written precedence-climbing parser over the
//! lexer's tokens that accepts Prometheus' language and reports its errors.
//!
//! Submodules: [`expr`] (operators, calls, aggregations, modifiers),
//! [`selector`] (vector selectors, label matchers, grouping labels),
//! [`duration`] (duration expressions, ranges, offsets), [`number`]
//! (Go-compatible number and duration literal conversion), [`regex_error`]
//! (Go's messages for bad regexes) and [`check`]
//! (the type checks Prometheus runs after a successful parse).

mod check;
mod duration;
mod expr;
mod number;
mod regex_error;
mod selector;

use vigil_model::Matcher;

use crate::ast::{Expr, NumberLiteral, PosRange};
use crate::error::{ParseError, ParseErrors};
use crate::lex::{Kind, Token, lex};

pub use number::{format_duration, parse_duration};

/// Feature switches, mirroring Prometheus' parser options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// Allow experimental functions and `limitk`/`limit_ratio`.
    pub experimental_functions: bool,
    /// Allow duration arithmetic, `step()`, `range()`, `min_of`, `max_of`.
    pub duration_expressions: bool,
    /// Allow the `anchored` and `smoothed` modifiers.
    pub extended_range_selectors: bool,
    /// Allow `fill`, `fill_left` and `fill_right` on binary operators.
    pub binop_fill_modifiers: bool,
}

impl ParseOptions {
    /// Every experimental feature switched on (what the test scripts use).
    pub fn all() -> ParseOptions {
        ParseOptions {
            experimental_functions: true,
            duration_expressions: true,
            extended_range_selectors: true,
            binop_fill_modifiers: true,
        }
    }
}

/// Parses a query with every experimental feature enabled.
pub fn parse(input: &str) -> Result<Expr, ParseErrors> {
    parse_with(input, ParseOptions::all())
}

/// Parses a query with the given feature switches.
pub fn parse_with(input: &str, opts: ParseOptions) -> Result<Expr, ParseErrors> {
    let mut p = Parser::new(input, opts);
    let result = p.parse_top();
    match result {
        Ok(mut e) if p.errors.is_empty() => {
            p.check(&mut e);
            if p.errors.is_empty() {
                return Ok(e);
            }
            Err(ParseErrors(p.errors))
        }
        _ => Err(ParseErrors(p.errors)),
    }
}

/// Parses a lone series selector (`foo{bar="baz"}`, as in the HTTP API's
/// `match[]`) into its matchers. Like Prometheus, no type checks apply, so an
/// empty-matching selector such as `{}` is accepted here.
pub fn parse_metric_selector(input: &str) -> Result<Vec<Matcher>, ParseErrors> {
    let mut p = Parser::new(input, ParseOptions::all());
    let result = p.metric_selector_top();
    match result {
        Ok(m) if p.errors.is_empty() => Ok(m),
        _ => Err(ParseErrors(p.errors)),
    }
}

/// Maximum nesting of parenthesised/argument/unary/subquery levels; deeper
/// input is rejected rather than risking the stack.
const MAX_DEPTH: usize = 128;

/// Maximum height of the tree, where each operator of a chain such as
/// `a + b + c` adds one level (checking and printing recurse over it).
const MAX_HEIGHT: usize = 400;

/// Marker for a syntax error that stops parsing (already recorded).
#[derive(Debug)]
pub(crate) struct Abort;

pub(crate) type PResult<T> = Result<T, Abort>;

#[derive(Debug)]
pub(crate) struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    idx: usize,
    errors: Vec<ParseError>,
    opts: ParseOptions,
    depth: usize,
    height: usize,
    /// How many aggregation bodies enclose the current position; generic
    /// syntax errors inside one are reported "in aggregation", as
    /// Prometheus' error recovery does.
    in_aggregation: usize,
    last_closing: usize,
    lex_error_reported: bool,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str, opts: ParseOptions) -> Parser<'a> {
        Parser {
            input,
            tokens: lex(input),
            idx: 0,
            errors: Vec::new(),
            opts,
            depth: 0,
            height: 0,
            in_aggregation: 0,
            last_closing: 0,
            lex_error_reported: false,
        }
    }

    fn parse_top(&mut self) -> PResult<Expr> {
        if self.peek().kind == Kind::Eof {
            self.error_at(PosRange::default(), "no expression found in input");
            return Err(Abort);
        }
        let e = self.expr(0)?;
        if self.peek().kind != Kind::Eof {
            return Err(self.unexpected("", ""));
        }
        Ok(e)
    }

    fn metric_selector_top(&mut self) -> PResult<Vec<Matcher>> {
        let k = self.peek_kind();
        let e = if k == Kind::LeftBrace {
            self.vector_selector(None)?
        } else if k.is_metric_identifier() {
            let t = self.advance();
            self.vector_selector(Some(t))?
        } else {
            return Err(self.unexpected("", ""));
        };
        if self.peek_kind() != Kind::Eof {
            return Err(self.unexpected("", ""));
        }
        match e {
            Expr::VectorSelector(vs) => Ok(vs.matchers),
            _ => Ok(Vec::new()),
        }
    }

    /// The current (not yet consumed) token.
    fn peek(&self) -> &Token {
        let i = self.idx.min(self.tokens.len().saturating_sub(1));
        &self.tokens[i]
    }

    fn peek_kind(&self) -> Kind {
        self.tokens
            .get(self.idx)
            .or(self.tokens.last())
            .map_or(Kind::Eof, |t| t.kind)
    }

    /// The token after the current one.
    fn peek2_kind(&self) -> Kind {
        match self.tokens.get(self.idx + 1) {
            Some(t) => t.kind,
            None => Kind::Eof,
        }
    }

    /// Consumes the current token and returns it.
    fn advance(&mut self) -> Token {
        let t = self.peek().clone();
        if !matches!(t.kind, Kind::Eof | Kind::Error) {
            self.idx += 1;
        }
        if matches!(
            t.kind,
            Kind::RightBrace
                | Kind::RightParen
                | Kind::RightBracket
                | Kind::Number
                | Kind::Duration
        ) {
            self.last_closing = t.end;
        }
        t
    }

    fn accept(&mut self, kind: Kind) -> Option<Token> {
        if self.peek_kind() == kind {
            Some(self.advance())
        } else {
            None
        }
    }

    fn text(&self, t: &Token) -> &'a str {
        t.text(self.input)
    }

    /// Records a non-fatal error.
    fn error_at(&mut self, pos: PosRange, msg: impl Into<String>) {
        self.errors.push(ParseError::new(self.input, pos, msg));
    }

    /// Records a non-fatal error of a construct whose end Prometheus' parser
    /// only recognises after reading the next token: if that token is a
    /// lexer error, it is reported first.
    fn error_at_lookahead(&mut self, pos: PosRange, msg: impl Into<String>) {
        self.report_pending_lex_error();
        self.error_at(pos, msg);
    }

    /// Records the look-ahead's lexer error, if it is one and not yet reported.
    fn report_pending_lex_error(&mut self) {
        if self.lex_error_reported {
            return;
        }
        let t = self.peek();
        if t.kind == Kind::Error {
            let e = ParseError::new(
                self.input,
                PosRange::new(t.start, self.input.len()),
                t.message.clone().unwrap_or_default(),
            );
            self.lex_error_reported = true;
            self.errors.push(e);
        }
    }

    /// Records an "unexpected <token>" error for the current token (or the
    /// lexer's error if that is what the current token is).
    fn unexpected(&mut self, context: &str, expected: &str) -> Abort {
        let t = self.peek().clone();
        if t.kind == Kind::Error {
            self.report_pending_lex_error();
            return Abort;
        }
        let mut msg = format!("unexpected {}", t.describe(self.input));
        let context = if context.is_empty() && self.in_aggregation > 0 {
            "aggregation"
        } else {
            context
        };
        if !context.is_empty() {
            msg.push_str(" in ");
            msg.push_str(context);
        }
        if !expected.is_empty() {
            msg.push_str(", expected ");
            msg.push_str(expected);
        }
        self.error_at(PosRange::new(t.start, t.end), msg);
        Abort
    }

    fn expect(&mut self, kind: Kind, context: &str, expected: &str) -> PResult<Token> {
        match self.accept(kind) {
            Some(t) => Ok(t),
            None => Err(self.unexpected(context, expected)),
        }
    }

    /// Enters one nesting level.
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        self.grow()
    }

    /// Adds one level to the tree height (an operator in a chain).
    fn grow(&mut self) -> PResult<()> {
        self.height += 1;
        if self.depth > MAX_DEPTH || self.height > MAX_HEIGHT {
            let t = self.peek().clone();
            self.error_at(
                PosRange::new(t.start, t.end),
                format!(
                    "query is nested too deeply (more than {MAX_DEPTH} levels or {MAX_HEIGHT} chained operators)"
                ),
            );
            return Err(Abort);
        }
        Ok(())
    }

    /// Saves the nesting counters, to be restored with [`Parser::restore`].
    fn save(&self) -> (usize, usize) {
        (self.depth, self.height)
    }

    fn restore(&mut self, saved: (usize, usize)) {
        (self.depth, self.height) = saved;
    }

    /// Unquotes a string token's text, recording an error on failure.
    fn unquote_token(&mut self, t: &Token) -> String {
        String::from_utf8_lossy(&self.unquote_token_bytes(t)).into_owned()
    }

    /// Unquotes a string token into its exact bytes.
    fn unquote_token_bytes(&mut self, t: &Token) -> Vec<u8> {
        let raw = self.text(t);
        match crate::unquote::unquote_bytes(raw) {
            Ok(b) => b,
            Err(e) => {
                let q = vigil_model::quote::quote(raw);
                self.error_at(
                    PosRange::new(t.start, t.end),
                    format!("error unquoting string {q}: {e}"),
                );
                Vec::new()
            }
        }
    }

    /// Converts a NUMBER or DURATION token into a literal.
    fn number_literal(&mut self, t: &Token) -> NumberLiteral {
        let text = self.text(t);
        let pos = PosRange::new(t.start, t.end);
        if t.kind == Kind::Duration {
            let val = match parse_duration(text) {
                Ok(ns) => ns as f64 / 1e9,
                Err(e) => {
                    self.error_at(pos, e);
                    0.0
                }
            };
            return NumberLiteral {
                val,
                duration: true,
                pos,
            };
        }
        let val = match number::parse_number(text) {
            Ok(v) => v,
            Err(e) => {
                self.error_at(pos, format!("error parsing number: {e}"));
                0.0
            }
        };
        NumberLiteral {
            val,
            duration: false,
            pos,
        }
    }
}
