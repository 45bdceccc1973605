//! Expression parsing: binary operators by precedence climbing (with `^`
//! right-associative and unary minus binding like `*`), binary modifiers
//! (`bool`, `on`/`ignoring`, `group_left`/`group_right`, `fill…`), function
//! calls, aggregations, and the postfix modifiers (`[…]`, `offset`, `@`,
//! `anchored`, `smoothed`).

use super::{PResult, Parser};
use crate::ast::{
    AggregateExpr, AggregateOp, AtModifier, BinaryExpr, BinaryOp, Call, Cardinality, Expr,
    NumberLiteral, ParenExpr, PosRange, StringLiteral, UnaryExpr, UnaryOp, VectorMatching,
};
use crate::functions::get_function;
use crate::lex::Kind;

/// Precedence of unary `+`/`-`: the same as `*`, so only `^` binds tighter.
const UNARY_OPERAND_PREC: u8 = 6;

fn binary_op(kind: Kind) -> Option<BinaryOp> {
    Some(match kind {
        Kind::Add => BinaryOp::Add,
        Kind::Sub => BinaryOp::Sub,
        Kind::Mul => BinaryOp::Mul,
        Kind::Div => BinaryOp::Div,
        Kind::Mod => BinaryOp::Mod,
        Kind::Pow => BinaryOp::Pow,
        Kind::Atan2 => BinaryOp::Atan2,
        Kind::EqlC => BinaryOp::Eql,
        Kind::Neq => BinaryOp::Neq,
        Kind::Lte => BinaryOp::Lte,
        Kind::Lss => BinaryOp::Lss,
        Kind::Gte => BinaryOp::Gte,
        Kind::Gtr => BinaryOp::Gtr,
        Kind::TrimUpper => BinaryOp::TrimUpper,
        Kind::TrimLower => BinaryOp::TrimLower,
        Kind::Land => BinaryOp::And,
        Kind::Lor => BinaryOp::Or,
        Kind::Lunless => BinaryOp::Unless,
        _ => return None,
    })
}

fn aggregate_op(kind: Kind) -> Option<AggregateOp> {
    Some(match kind {
        Kind::Sum => AggregateOp::Sum,
        Kind::Avg => AggregateOp::Avg,
        Kind::Count => AggregateOp::Count,
        Kind::Min => AggregateOp::Min,
        Kind::Max => AggregateOp::Max,
        Kind::Group => AggregateOp::Group,
        Kind::Stddev => AggregateOp::Stddev,
        Kind::Stdvar => AggregateOp::Stdvar,
        Kind::Topk => AggregateOp::Topk,
        Kind::Bottomk => AggregateOp::Bottomk,
        Kind::CountValues => AggregateOp::CountValues,
        Kind::Quantile => AggregateOp::Quantile,
        Kind::Limitk => AggregateOp::Limitk,
        Kind::LimitRatio => AggregateOp::LimitRatio,
        _ => return None,
    })
}

/// Modifiers collected between a binary operator and its right operand.
struct BinModifiers {
    return_bool: bool,
    matching: VectorMatching,
}

impl Parser<'_> {
    /// Parses an expression whose binary operators bind at least `min_prec`.
    pub(super) fn expr(&mut self, min_prec: u8) -> PResult<Expr> {
        let saved = self.save();
        let r = self.expr_inner(min_prec);
        self.restore(saved);
        r
    }

    fn expr_inner(&mut self, min_prec: u8) -> PResult<Expr> {
        self.enter()?;
        let mut lhs = self.unary()?;
        while let Some(op) = binary_op(self.peek_kind()) {
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            self.advance();
            let mods = self.bin_modifiers()?;
            let next = if op.is_right_assoc() { prec } else { prec + 1 };
            // A chain of operators deepens the tree too.
            self.grow()?;
            let rhs = self.expr(next)?;
            lhs = self.new_binary(lhs, op, mods, rhs);
        }
        Ok(lhs)
    }

    fn new_binary(&mut self, lhs: Expr, op: BinaryOp, mods: BinModifiers, rhs: Expr) -> Expr {
        let fill = mods.matching.fill_lhs.is_some() || mods.matching.fill_rhs.is_some();
        let e = Expr::Binary(BinaryExpr {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
            return_bool: mods.return_bool,
            matching: Some(mods.matching),
        });
        if fill && !self.opts.binop_fill_modifiers {
            self.error_at_lookahead(
                e.pos(),
                "binop fill modifiers are experimental and not enabled",
            );
        }
        e
    }

    fn bin_modifiers(&mut self) -> PResult<BinModifiers> {
        let return_bool = self.accept(Kind::Bool).is_some();
        let mut m = VectorMatching::default();
        if matches!(self.peek_kind(), Kind::On | Kind::Ignoring) {
            m.on = self.advance().kind == Kind::On;
            m.matching_labels = self.grouping_labels()?;
            if matches!(self.peek_kind(), Kind::GroupLeft | Kind::GroupRight) {
                m.card = if self.advance().kind == Kind::GroupLeft {
                    Cardinality::ManyToOne
                } else {
                    Cardinality::OneToMany
                };
                if self.peek_kind() == Kind::LeftParen {
                    m.include = self.grouping_labels()?;
                }
            }
        }
        match self.peek_kind() {
            Kind::Fill => {
                self.advance();
                let v = self.fill_value()?;
                m.fill_lhs = Some(v);
                m.fill_rhs = Some(v);
            }
            Kind::FillLeft => {
                self.advance();
                m.fill_lhs = Some(self.fill_value()?);
                if self.accept(Kind::FillRight).is_some() {
                    m.fill_rhs = Some(self.fill_value()?);
                }
            }
            Kind::FillRight => {
                self.advance();
                m.fill_rhs = Some(self.fill_value()?);
                if self.accept(Kind::FillLeft).is_some() {
                    m.fill_lhs = Some(self.fill_value()?);
                }
            }
            _ => {}
        }
        Ok(BinModifiers {
            return_bool,
            matching: m,
        })
    }

    fn fill_value(&mut self) -> PResult<f64> {
        self.expect(Kind::LeftParen, "", "")?;
        let neg = match self.peek_kind() {
            Kind::Add => {
                self.advance();
                false
            }
            Kind::Sub => {
                self.advance();
                true
            }
            _ => false,
        };
        if !matches!(self.peek_kind(), Kind::Number | Kind::Duration) {
            return Err(self.unexpected("", ""));
        }
        let t = self.advance();
        let n = self.number_literal(&t);
        self.expect(Kind::RightParen, "", "")?;
        Ok(if neg { -n.val } else { n.val })
    }

    fn unary(&mut self) -> PResult<Expr> {
        let op = match self.peek_kind() {
            Kind::Add => UnaryOp::Add,
            Kind::Sub => UnaryOp::Sub,
            _ => return self.postfix_expr(),
        };
        let t = self.advance();
        let operand = self.expr(UNARY_OPERAND_PREC)?;
        Ok(match operand {
            Expr::NumberLiteral(mut n) => {
                if op == UnaryOp::Sub {
                    n.val = -n.val;
                }
                n.pos.start = t.start;
                Expr::NumberLiteral(n)
            }
            e => Expr::Unary(UnaryExpr {
                op,
                expr: Box::new(e),
                start: t.start,
            }),
        })
    }

    /// A primary expression followed by any postfix modifiers.
    fn postfix_expr(&mut self) -> PResult<Expr> {
        let mut e = self.primary()?;
        loop {
            match self.peek_kind() {
                Kind::LeftBracket => {
                    self.enter()?;
                    e = self.range_or_subquery(e)?;
                }
                Kind::Offset => e = self.offset(e)?,
                Kind::At => e = self.at_modifier(e)?,
                Kind::Anchored => {
                    self.advance();
                    self.set_anchored_smoothed(&mut e, true);
                }
                Kind::Smoothed => {
                    self.advance();
                    self.set_anchored_smoothed(&mut e, false);
                }
                _ => return Ok(e),
            }
        }
    }

    fn primary(&mut self) -> PResult<Expr> {
        let kind = self.peek_kind();
        match kind {
            Kind::Number | Kind::Duration => {
                let t = self.advance();
                Ok(Expr::NumberLiteral(self.number_literal(&t)))
            }
            Kind::String => {
                let t = self.advance();
                let raw = self.unquote_token_bytes(&t);
                let (val, bytes) = match String::from_utf8(raw) {
                    Ok(s) => (s, None),
                    Err(e) => {
                        let b = e.into_bytes();
                        (String::from_utf8_lossy(&b).into_owned(), Some(b))
                    }
                };
                Ok(Expr::StringLiteral(StringLiteral {
                    val,
                    bytes,
                    pos: PosRange::new(t.start, t.end),
                }))
            }
            Kind::LeftParen => {
                let open = self.advance();
                let inner = self.expr(0)?;
                let close = self.expect(Kind::RightParen, "", "")?;
                Ok(Expr::Paren(ParenExpr {
                    expr: Box::new(inner),
                    pos: PosRange::new(open.start, close.end),
                }))
            }
            Kind::LeftBrace => self.vector_selector(None),
            Kind::Identifier
            | Kind::Start
            | Kind::End
            | Kind::Step
            | Kind::Range
            | Kind::MaxOf
            | Kind::MinOf
                if self.peek2_kind() == Kind::LeftParen =>
            {
                self.call()
            }
            k if aggregate_op(k).is_some()
                && matches!(
                    self.peek2_kind(),
                    Kind::LeftParen | Kind::By | Kind::Without
                ) =>
            {
                self.aggregate()
            }
            k if k.is_metric_identifier() => {
                let t = self.advance();
                self.vector_selector(Some(t))
            }
            _ => Err(self.unexpected("", "")),
        }
    }

    fn call(&mut self) -> PResult<Expr> {
        let name_tok = self.advance();
        let name = self.text(&name_tok);
        let name_pos = PosRange::new(name_tok.start, name_tok.end);
        let args = self.call_body("")?;
        let pos = PosRange::new(name_tok.start, self.last_closing);
        let Some(func) = get_function(name) else {
            self.error_at(
                name_pos,
                format!(
                    "unknown function with name {}",
                    vigil_model::quote::quote(name)
                ),
            );
            return Ok(error_stand_in(pos));
        };
        if func.experimental && !self.opts.experimental_functions {
            self.error_at(
                name_pos,
                format!(
                    "function {} is not enabled",
                    vigil_model::quote::quote(name)
                ),
            );
        }
        Ok(Expr::Call(Call { func, args, pos }))
    }

    /// `( args… )` of a call or aggregation.
    fn call_body(&mut self, context: &str) -> PResult<Vec<Expr>> {
        self.expect(Kind::LeftParen, context, "")?;
        let mut args = Vec::new();
        if self.accept(Kind::RightParen).is_some() {
            return Ok(args);
        }
        loop {
            args.push(self.expr(0)?);
            match self.peek_kind() {
                Kind::Comma => {
                    let comma = self.advance();
                    if self.peek_kind() == Kind::RightParen {
                        self.error_at(
                            PosRange::new(comma.start, comma.end),
                            "trailing commas not allowed in function call args",
                        );
                        self.advance();
                        return Ok(args);
                    }
                }
                Kind::RightParen => {
                    self.advance();
                    return Ok(args);
                }
                _ => return Err(self.unexpected("", "")),
            }
        }
    }

    fn aggregate(&mut self) -> PResult<Expr> {
        let op_tok = self.advance();
        let Some(op) = aggregate_op(op_tok.kind) else {
            return Err(self.unexpected("", ""));
        };
        let mut grouping = Vec::new();
        let mut without = false;
        let mut has_modifier = false;
        self.in_aggregation += 1;
        if matches!(self.peek_kind(), Kind::By | Kind::Without) {
            without = self.advance().kind == Kind::Without;
            grouping = self.grouping_labels()?;
            has_modifier = true;
        }
        let args = self.call_body("aggregation")?;
        self.in_aggregation -= 1;
        if !has_modifier && matches!(self.peek_kind(), Kind::By | Kind::Without) {
            without = self.advance().kind == Kind::Without;
            grouping = self.grouping_labels()?;
        }
        let pos = PosRange::new(op_tok.start, self.last_closing);
        // Without a leading `by`/`without`, Prometheus reads one more token
        // (looking for a trailing one) before it checks the arguments.
        let lookahead = !has_modifier;
        if args.is_empty() {
            self.agg_error_at(
                lookahead,
                pos,
                "no arguments for aggregate expression provided",
            );
            return Ok(error_stand_in(pos));
        }
        let mut desired = 1;
        if op.has_param() {
            if op.is_experimental() && !self.opts.experimental_functions {
                self.agg_error_at(
                    lookahead,
                    pos,
                    format!(
                        "{op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions"
                    ),
                );
                return Ok(error_stand_in(pos));
            }
            desired = 2;
        }
        if args.len() != desired {
            self.agg_error_at(
                lookahead,
                pos,
                format!(
                    "wrong number of arguments for aggregate expression provided, expected {desired}, got {}",
                    args.len()
                ),
            );
            return Ok(error_stand_in(pos));
        }
        let mut it = args.into_iter();
        let param = if desired == 2 {
            it.next().map(Box::new)
        } else {
            None
        };
        let Some(expr) = it.next() else {
            return Ok(error_stand_in(pos));
        };
        Ok(Expr::Aggregate(AggregateExpr {
            op,
            expr: Box::new(expr),
            param,
            grouping,
            without,
            pos,
        }))
    }

    fn agg_error_at(&mut self, lookahead: bool, pos: PosRange, msg: impl Into<String>) {
        if lookahead {
            self.error_at_lookahead(pos, msg);
        } else {
            self.error_at(pos, msg);
        }
    }

    fn at_modifier(&mut self, mut e: Expr) -> PResult<Expr> {
        const CTX: (&str, &str) = ("@", "timestamp");
        self.advance();
        match self.peek_kind() {
            Kind::Start | Kind::End => {
                let which = if self.advance().kind == Kind::Start {
                    AtModifier::Start
                } else {
                    AtModifier::End
                };
                self.expect(Kind::LeftParen, CTX.0, CTX.1)?;
                self.expect(Kind::RightParen, CTX.0, CTX.1)?;
                self.set_at(&mut e, which);
                Ok(e)
            }
            k => {
                let neg = match k {
                    Kind::Add | Kind::Sub => self.advance().kind == Kind::Sub,
                    _ => false,
                };
                if !matches!(self.peek_kind(), Kind::Number | Kind::Duration) {
                    return Err(self.unexpected(CTX.0, CTX.1));
                }
                let t = self.advance();
                let v = self.number_literal(&t).val;
                let ts = if neg { -v } else { v };
                if !ts.is_finite() || ts >= i64::MAX as f64 || ts <= i64::MIN as f64 {
                    self.error_at(
                        e.pos(),
                        format!(
                            "timestamp out of bounds for @ modifier: {}",
                            go_percent_f(ts)
                        ),
                    );
                }
                let ms = (ts * 1000.0).round() as i64;
                self.set_at(&mut e, AtModifier::Timestamp(ms));
                Ok(e)
            }
        }
    }

    fn set_at(&mut self, e: &mut Expr, at: AtModifier) {
        let pos = e.pos();
        let last = self.last_closing;
        let slot = match e {
            Expr::VectorSelector(vs) => {
                vs.pos.end = last;
                &mut vs.at
            }
            Expr::MatrixSelector(ms) => match ms.vector.as_mut() {
                Expr::VectorSelector(vs) => {
                    ms.end = last;
                    &mut vs.at
                }
                _ => {
                    self.error_at(pos, "ranges only allowed for vector selectors");
                    return;
                }
            },
            Expr::Subquery(sq) => {
                sq.end = last;
                &mut sq.at
            }
            _ => {
                self.error_at(
                    pos,
                    "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                );
                return;
            }
        };
        if slot.is_some() {
            self.error_at(pos, "@ <timestamp> may not be set multiple times");
            return;
        }
        *slot = Some(at);
    }

    fn set_anchored_smoothed(&mut self, e: &mut Expr, anchored: bool) {
        let name = if anchored { "anchored" } else { "smoothed" };
        let pos = e.pos();
        if !self.opts.extended_range_selectors {
            self.error_at(
                pos,
                format!("{name} modifier is experimental and not enabled"),
            );
            return;
        }
        let vs = match e {
            Expr::VectorSelector(vs) => vs,
            Expr::MatrixSelector(ms) => match ms.vector.as_mut() {
                Expr::VectorSelector(vs) => vs,
                _ => return,
            },
            Expr::Subquery(_) => {
                self.error_at(
                    pos,
                    format!("{name} modifier is not supported for subqueries"),
                );
                return;
            }
            _ => {
                self.error_at(pos, format!("{name} modifier not implemented"));
                return;
            }
        };
        if anchored {
            vs.anchored = true;
        } else {
            vs.smoothed = true;
        }
        if vs.anchored && vs.smoothed {
            self.error_at(
                pos,
                "anchored and smoothed modifiers cannot be used together",
            );
        }
    }
}

/// Stand-in node for a construct already reported as an error, so parsing
/// can go on and report later errors too, as Prometheus does; a parse that
/// recorded any error returns `Err`, never this node.
fn error_stand_in(pos: PosRange) -> Expr {
    Expr::NumberLiteral(NumberLiteral {
        val: 0.0,
        duration: false,
        pos,
    })
}

/// Go's `%f` formatting of a float.
fn go_percent_f(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v:.6}")
    }
}
