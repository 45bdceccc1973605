//! Range selectors, subqueries, `offset`, and the duration expressions they
//! take (`[5m * 2]`, `[step() + 1m:]`, `offset min_of(step(), 1m)`).
//!
//! After `offset`, a bare (optionally signed) literal or call-like duration
//! ends the modifier, so `x offset 5m + 1` adds 1 to `x offset 5m`; a
//! parenthesised duration may be followed by more duration arithmetic.

use super::{PResult, Parser};
use crate::ast::{
    DurationExpr, DurationOp, Expr, MatrixSelector, NumberLiteral, PosRange, SubqueryExpr,
};
use crate::lex::{Kind, Token};

type Ctx = (&'static str, &'static str);

const RANGE_CTX: Ctx = (
    "subquery or range selector",
    "number, duration, step(), or range()",
);
const STEP_CTX: Ctx = (
    "subquery selector",
    "number, duration, step(), range(), or \"]\"",
);
const OFFSET_CTX: Ctx = ("offset", "number, duration, step(), or range()");

fn duration_binop(kind: Kind) -> Option<(DurationOp, u8)> {
    Some(match kind {
        Kind::Add => (DurationOp::Add, 4),
        Kind::Sub => (DurationOp::Sub, 4),
        Kind::Mul => (DurationOp::Mul, 5),
        Kind::Div => (DurationOp::Div, 5),
        Kind::Mod => (DurationOp::Mod, 5),
        Kind::Pow => (DurationOp::Pow, 6),
        _ => return None,
    })
}

/// Largest magnitude (in seconds) a duration literal may have.
fn out_of_range(v: f64) -> bool {
    !(-9_223_372_036.854_775..=9_223_372_036.854_775).contains(&v)
}

fn to_nanos(v: f64) -> i64 {
    (v * 1e9).round() as i64
}

fn zero() -> Expr {
    Expr::NumberLiteral(NumberLiteral {
        val: 0.0,
        duration: false,
        pos: PosRange::default(),
    })
}

impl Parser<'_> {
    /// `expr[range]` or `expr[range:step]`.
    pub(super) fn range_or_subquery(&mut self, e: Expr) -> PResult<Expr> {
        let open = self.advance();
        let range = self.positive_duration(RANGE_CTX)?;
        match self.peek_kind() {
            Kind::RightBracket => {
                let close = self.advance();
                let msg = match &e {
                    Expr::VectorSelector(vs) => {
                        if vs.offset != 0 || vs.offset_expr.is_some() {
                            Some("no offset modifiers allowed before range")
                        } else if vs.at.is_some() {
                            Some("no @ modifiers allowed before range")
                        } else {
                            None
                        }
                    }
                    _ => Some("ranges only allowed for vector selectors"),
                };
                if let Some(msg) = msg {
                    self.error_at(PosRange::new(open.start, close.end), msg);
                }
                let (range, range_expr) = split(range);
                Ok(Expr::MatrixSelector(MatrixSelector {
                    vector: Box::new(e),
                    range,
                    range_expr,
                    end: self.last_closing,
                }))
            }
            Kind::Colon => {
                self.advance();
                let step = if self.peek_kind() == Kind::RightBracket {
                    None
                } else {
                    let s = self.positive_duration(STEP_CTX)?;
                    if self.peek_kind() != Kind::RightBracket {
                        return Err(self.unexpected("subquery selector", "\"]\""));
                    }
                    Some(s)
                };
                let close = self.advance();
                let (range, range_expr) = split(range);
                let (step, step_expr) = step.map_or((0, None), split);
                Ok(Expr::Subquery(SubqueryExpr {
                    expr: Box::new(e),
                    range,
                    range_expr,
                    step,
                    step_expr,
                    offset: 0,
                    offset_expr: None,
                    at: None,
                    end: close.end,
                }))
            }
            _ => Err(self.unexpected("subquery or range", "\":\" or \"]\"")),
        }
    }

    /// A duration expression that must be positive when it is a literal.
    fn positive_duration(&mut self, ctx: Ctx) -> PResult<Expr> {
        let d = self.duration_expr(0, ctx)?;
        if let Expr::NumberLiteral(n) = &d
            && n.val <= 0.0
        {
            self.error_at_lookahead(n.pos, "duration must be greater than 0");
            return Ok(zero());
        }
        Ok(d)
    }

    /// `offset <duration>` applied to `e`.
    pub(super) fn offset(&mut self, mut e: Expr) -> PResult<Expr> {
        self.advance();
        let d = self.offset_duration()?;
        let pos = e.pos();
        let last = self.last_closing;
        let (ns, de) = split(d);
        let (slot_ns, slot_expr) = match &mut e {
            Expr::VectorSelector(vs) => {
                vs.pos.end = last;
                (&mut vs.offset, &mut vs.offset_expr)
            }
            Expr::MatrixSelector(ms) => match ms.vector.as_mut() {
                Expr::VectorSelector(vs) => {
                    ms.end = last;
                    (&mut vs.offset, &mut vs.offset_expr)
                }
                _ => {
                    self.error_at_lookahead(pos, "ranges only allowed for vector selectors");
                    return Ok(e);
                }
            },
            Expr::Subquery(sq) => {
                sq.end = last;
                (&mut sq.offset, &mut sq.offset_expr)
            }
            _ => {
                self.error_at_lookahead(
                    pos,
                    "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                );
                return Ok(e);
            }
        };
        if *slot_ns != 0 || slot_expr.is_some() {
            self.error_at_lookahead(pos, "offset may not be set multiple times");
        } else {
            *slot_ns = ns;
            *slot_expr = de;
        }
        Ok(e)
    }

    fn offset_duration(&mut self) -> PResult<Expr> {
        self.enter()?;
        let sign = match self.peek_kind() {
            Kind::Add | Kind::Sub => Some(self.advance()),
            _ => None,
        };
        let k = self.peek_kind();
        match (sign, k) {
            (None, Kind::LeftParen) => self.duration_expr(0, OFFSET_CTX),
            (None, _) => self.duration_atom(OFFSET_CTX),
            (Some(op), Kind::LeftParen) => {
                let inner = self.duration_paren(OFFSET_CTX)?;
                Ok(self.apply_unary(&op, inner))
            }
            (Some(op), Kind::Number | Kind::Duration) => {
                let t = self.advance();
                let lit = self.number_literal(&t);
                Ok(self.signed_literal(&op, lit))
            }
            (Some(op), _) => {
                let inner = self.duration_atom(OFFSET_CTX)?;
                if op.kind == Kind::Add {
                    // A unary plus changes nothing; dropping it keeps printing
                    // and re-parsing stable.
                    return Ok(inner);
                }
                let end = inner.pos().end;
                Ok(Expr::Duration(DurationExpr {
                    op: DurationOp::Sub,
                    lhs: None,
                    rhs: Some(Box::new(inner)),
                    wrapped: false,
                    pos: PosRange::new(op.start, end),
                }))
            }
        }
    }

    /// Duration arithmetic with the usual precedence.
    fn duration_expr(&mut self, min_prec: u8, ctx: Ctx) -> PResult<Expr> {
        let saved = self.save();
        let r = self.duration_expr_inner(min_prec, ctx);
        self.restore(saved);
        r
    }

    fn duration_expr_inner(&mut self, min_prec: u8, ctx: Ctx) -> PResult<Expr> {
        self.enter()?;
        let mut lhs = match self.peek_kind() {
            Kind::Add | Kind::Sub => {
                let op = self.advance();
                let operand = self.duration_expr(6, ctx)?;
                self.apply_unary(&op, operand)
            }
            Kind::LeftParen => self.duration_paren(ctx)?,
            _ => self.duration_atom(ctx)?,
        };
        while let Some((op, prec)) = duration_binop(self.peek_kind()) {
            if prec < min_prec {
                break;
            }
            let op_tok = self.advance();
            let next = if op == DurationOp::Pow {
                prec
            } else {
                prec + 1
            };
            self.grow()?;
            let rhs = self.duration_expr(next, ctx)?;
            self.experimental_duration(lhs.pos());
            let rhs_zero = matches!(&rhs, Expr::NumberLiteral(n) if n.val == 0.0);
            if rhs_zero && matches!(op, DurationOp::Div | DurationOp::Mod) {
                let msg = if op == DurationOp::Div {
                    "division by zero"
                } else {
                    "modulo by zero"
                };
                self.error_at_lookahead(PosRange::new(op_tok.start, op_tok.end), msg);
                lhs = zero();
                continue;
            }
            let pos = PosRange::new(lhs.pos().start, rhs.pos().end);
            lhs = Expr::Duration(DurationExpr {
                op,
                lhs: Some(Box::new(lhs)),
                rhs: Some(Box::new(rhs)),
                wrapped: false,
                pos,
            });
        }
        Ok(lhs)
    }

    /// `( duration_expr )`, marked as wrapped.
    fn duration_paren(&mut self, ctx: Ctx) -> PResult<Expr> {
        let open = self.advance();
        let inner = self.duration_expr(0, ctx)?;
        let close = self.expect(Kind::RightParen, ctx.0, ctx.1)?;
        self.experimental_duration(inner.pos());
        Ok(wrap(inner, PosRange::new(open.start, close.end)))
    }

    /// A literal, `step()`, `range()`, `min_of(a, b)` or `max_of(a, b)`.
    fn duration_atom(&mut self, ctx: Ctx) -> PResult<Expr> {
        match self.peek_kind() {
            Kind::Number | Kind::Duration => {
                let t = self.advance();
                let lit = self.number_literal(&t);
                if out_of_range(lit.val) {
                    self.error_at_lookahead(lit.pos, "duration out of range");
                    return Ok(zero());
                }
                Ok(Expr::NumberLiteral(lit))
            }
            Kind::Step | Kind::Range => {
                let t = self.advance();
                self.expect(Kind::LeftParen, ctx.0, ctx.1)?;
                let close = self.expect(Kind::RightParen, ctx.0, ctx.1)?;
                let op = if t.kind == Kind::Step {
                    DurationOp::Step
                } else {
                    DurationOp::Range
                };
                let pos = PosRange::new(t.start, close.end);
                self.experimental_duration(pos);
                Ok(Expr::Duration(DurationExpr {
                    op,
                    lhs: None,
                    rhs: None,
                    wrapped: false,
                    pos,
                }))
            }
            Kind::MinOf | Kind::MaxOf => {
                let t = self.advance();
                self.expect(Kind::LeftParen, ctx.0, ctx.1)?;
                let a = self.duration_expr(0, ctx)?;
                self.expect(Kind::Comma, ctx.0, ctx.1)?;
                let b = self.duration_expr(0, ctx)?;
                let close = self.expect(Kind::RightParen, ctx.0, ctx.1)?;
                let op = if t.kind == Kind::MinOf {
                    DurationOp::MinOf
                } else {
                    DurationOp::MaxOf
                };
                let pos = PosRange::new(t.start, close.end);
                self.experimental_duration(pos);
                Ok(Expr::Duration(DurationExpr {
                    op,
                    lhs: Some(Box::new(a)),
                    rhs: Some(Box::new(b)),
                    wrapped: false,
                    pos,
                }))
            }
            _ => Err(self.unexpected(ctx.0, ctx.1)),
        }
    }

    fn signed_literal(&mut self, op: &Token, mut lit: NumberLiteral) -> Expr {
        if op.kind == Kind::Sub {
            lit.val = -lit.val;
        }
        if out_of_range(lit.val) {
            self.error_at_lookahead(PosRange::new(op.start, op.end), "duration out of range");
            return zero();
        }
        lit.pos.start = op.start;
        Expr::NumberLiteral(lit)
    }

    /// Applies unary `+`/`-` to a duration expression.
    fn apply_unary(&mut self, op: &Token, e: Expr) -> Expr {
        match e {
            Expr::NumberLiteral(lit) => self.signed_literal(op, lit),
            Expr::Duration(de) => {
                if op.kind == Kind::Sub {
                    let end = de.pos.end;
                    Expr::Duration(DurationExpr {
                        op: DurationOp::Sub,
                        lhs: None,
                        rhs: Some(Box::new(Expr::Duration(de))),
                        wrapped: false,
                        pos: PosRange::new(op.start, end),
                    })
                } else {
                    Expr::Duration(de)
                }
            }
            _ => {
                self.error_at_lookahead(
                    PosRange::new(op.start, op.end),
                    "expected number literal or duration expression",
                );
                zero()
            }
        }
    }

    fn experimental_duration(&mut self, pos: PosRange) {
        if !self.opts.duration_expressions {
            self.error_at_lookahead(pos, "experimental duration expression is not enabled");
        }
    }
}

/// Marks a parenthesised duration expression; a bare literal gets wrapped
/// in a unary `+` node so the parentheses survive printing.
fn wrap(e: Expr, pos: PosRange) -> Expr {
    match e {
        Expr::Duration(mut de) => {
            de.wrapped = true;
            Expr::Duration(de)
        }
        other => Expr::Duration(DurationExpr {
            op: DurationOp::Add,
            lhs: None,
            rhs: Some(Box::new(other)),
            wrapped: true,
            pos,
        }),
    }
}

/// Splits a parsed duration into a literal (nanoseconds) or an expression.
fn split(e: Expr) -> (i64, Option<Box<Expr>>) {
    match e {
        Expr::NumberLiteral(n) => (to_nanos(n.val), None),
        other => (0, Some(Box::new(other))),
    }
}
