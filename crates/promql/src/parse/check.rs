//! The checks Prometheus runs over a syntactically valid tree: operand and
//! argument types, function arity, vector-matching rules, the `bool`
//! modifier, and selector sanity (non-empty matcher, single metric name).

use super::Parser;
use crate::ast::{AggregateOp, Cardinality, Expr, PosRange, ValueType};

impl Parser<'_> {
    /// Type-checks `e`, recording errors; returns its type.
    pub(super) fn check(&mut self, e: &mut Expr) -> ValueType {
        let typ = e.type_of();
        let pos = e.pos();
        match e {
            Expr::Aggregate(a) => {
                self.expect_type(&mut a.expr, ValueType::Vector, "aggregation expression");
                if let Some(param) = a.param.as_deref_mut() {
                    match a.op {
                        AggregateOp::Topk
                        | AggregateOp::Bottomk
                        | AggregateOp::Quantile
                        | AggregateOp::Limitk
                        | AggregateOp::LimitRatio => {
                            self.expect_type(param, ValueType::Scalar, "aggregation parameter");
                        }
                        AggregateOp::CountValues => {
                            self.expect_type(param, ValueType::String, "aggregation parameter");
                        }
                        _ => {}
                    }
                }
            }
            Expr::Binary(b) => {
                let lt = self.check(&mut b.lhs);
                let rt = self.check(&mut b.rhs);
                let op_range = self.op_range(b.lhs.pos().end, b.rhs.pos().start);
                if b.return_bool && !b.op.is_comparison() {
                    self.error_at(
                        op_range,
                        "bool modifier can only be used on comparison operators",
                    );
                }
                if b.op.is_comparison()
                    && !b.return_bool
                    && rt == ValueType::Scalar
                    && lt == ValueType::Scalar
                {
                    self.error_at(
                        op_range,
                        "comparisons between scalars must use BOOL modifier",
                    );
                }
                if let Some(m) = b.matching.as_mut() {
                    if b.op.is_set() && m.card == Cardinality::OneToOne {
                        m.card = Cardinality::ManyToMany;
                    }
                    if m.on {
                        let dup: Vec<String> = m
                            .matching_labels
                            .iter()
                            .filter(|l| m.include.contains(l))
                            .cloned()
                            .collect();
                        for l in dup {
                            self.error_at(
                                op_range,
                                format!(
                                    "label {} must not occur in ON and GROUP clause at once",
                                    vigil_model::quote::quote(&l)
                                ),
                            );
                        }
                    }
                }
                if lt != ValueType::Scalar && lt != ValueType::Vector {
                    self.error_at(
                        b.lhs.pos(),
                        "binary expression must contain only scalar and instant vector types",
                    );
                }
                if rt != ValueType::Scalar && rt != ValueType::Vector {
                    self.error_at(
                        b.rhs.pos(),
                        "binary expression must contain only scalar and instant vector types",
                    );
                }
                let op_name = vigil_model::quote::quote(b.op.as_str());
                if lt != ValueType::Vector || rt != ValueType::Vector {
                    if let Some(m) = b.matching.take() {
                        if !m.matching_labels.is_empty() {
                            self.error_at(
                                pos,
                                "vector matching only allowed between instant vectors",
                            );
                        }
                        if m.fill_lhs.is_some() || m.fill_rhs.is_some() {
                            self.error_at(
                                pos,
                                "filling in missing series only allowed between instant vectors",
                            );
                        }
                    }
                } else if b.op.is_set()
                    && let Some(m) = b.matching.as_ref()
                {
                    if matches!(m.card, Cardinality::OneToMany | Cardinality::ManyToOne) {
                        self.error_at(pos, format!("no grouping allowed for {op_name} operation"));
                    }
                    if m.card != Cardinality::ManyToMany {
                        self.error_at(pos, "set operations must always be many-to-many");
                    }
                    if m.fill_lhs.is_some() || m.fill_rhs.is_some() {
                        self.error_at(
                            pos,
                            "filling in missing series not allowed for set operators",
                        );
                    }
                }
                if (lt == ValueType::Scalar || rt == ValueType::Scalar) && b.op.is_set() {
                    self.error_at(
                        pos,
                        format!("set operator {op_name} not allowed in binary scalar expression"),
                    );
                }
            }
            Expr::Call(c) => {
                let f = c.func;
                let nargs = f.arg_types.len();
                let name = vigil_model::quote::quote(f.name);
                if f.variadic == 0 {
                    if nargs != c.args.len() {
                        self.error_at(
                            pos,
                            format!(
                                "expected {nargs} argument(s) in call to {name}, got {}",
                                c.args.len()
                            ),
                        );
                    }
                } else {
                    let na = nargs.saturating_sub(1);
                    if na > c.args.len() {
                        self.error_at(
                            pos,
                            format!(
                                "expected at least {na} argument(s) in call to {name}, got {}",
                                c.args.len()
                            ),
                        );
                    } else if f.variadic > 0 && na + f.variadic as usize > c.args.len() {
                        // Within bounds.
                    } else if f.variadic > 0 && na + (f.variadic as usize) < c.args.len() {
                        self.error_at(
                            pos,
                            format!(
                                "expected at most {} argument(s) in call to {name}, got {}",
                                na + f.variadic as usize,
                                c.args.len()
                            ),
                        );
                    }
                }
                if f.name == "info" && c.args.len() > 1 {
                    let second = &mut c.args[1];
                    let t = second.type_of();
                    if t != ValueType::Vector {
                        self.error_at(
                            pos,
                            format!(
                                "expected type {} in call to function {name}, got {}",
                                ValueType::Vector.documented(),
                                t.documented()
                            ),
                        );
                    }
                    let spos = second.pos();
                    match second {
                        Expr::VectorSelector(vs) if !vs.name.is_empty() => self.error_at(
                            spos,
                            "expected label selectors only, got vector selector instead",
                        ),
                        Expr::VectorSelector(vs) => vs.bypass_empty_matcher_check = true,
                        _ => self.error_at(spos, "expected label selectors only"),
                    }
                }
                for (i, arg) in c.args.iter_mut().enumerate() {
                    let idx = if i >= nargs {
                        if f.variadic == 0 || nargs == 0 {
                            break;
                        }
                        nargs - 1
                    } else {
                        i
                    };
                    let want = f.arg_types[idx];
                    let t = self.check(arg);
                    if t != want {
                        self.error_at(
                            arg.pos(),
                            format!(
                                "expected type {} in call to function {name}, got {}",
                                want.documented(),
                                t.documented()
                            ),
                        );
                    }
                }
            }
            Expr::Paren(p) => {
                self.check(&mut p.expr);
            }
            Expr::Unary(u) => {
                let t = self.check(&mut u.expr);
                if t != ValueType::Scalar && t != ValueType::Vector {
                    self.error_at(
                        pos,
                        format!(
                            "unary expression only allowed on expressions of type scalar or instant vector, got {}",
                            vigil_model::quote::quote(t.documented())
                        ),
                    );
                }
            }
            Expr::Subquery(s) => {
                let t = self.check(&mut s.expr);
                if t != ValueType::Vector {
                    self.error_at(
                        pos,
                        format!("subquery is only allowed on instant vector, got {t} instead"),
                    );
                }
            }
            Expr::MatrixSelector(m) => {
                self.check(&mut m.vector);
            }
            Expr::VectorSelector(vs) => {
                if !vs.name.is_empty() {
                    let n = vs.matchers.len().saturating_sub(1);
                    let dups: Vec<String> = vs.matchers[..n]
                        .iter()
                        .filter(|m| m.name() == "__name__")
                        .map(|m| m.value().to_string())
                        .collect();
                    for d in dups {
                        self.error_at(
                            pos,
                            format!(
                                "metric name must not be set twice: {} or {}",
                                vigil_model::quote::quote(&vs.name),
                                vigil_model::quote::quote(&d)
                            ),
                        );
                    }
                } else if !vs.bypass_empty_matcher_check
                    && vs.matchers.iter().all(|m| m.matches(""))
                {
                    self.error_at(
                        pos,
                        "vector selector must contain at least one non-empty matcher",
                    );
                }
            }
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Duration(_) => {}
        }
        typ
    }

    fn expect_type(&mut self, e: &mut Expr, want: ValueType, context: &str) {
        let t = self.check(e);
        if t != want {
            self.error_at(
                e.pos(),
                format!(
                    "expected type {} in {context}, got {}",
                    want.documented(),
                    t.documented()
                ),
            );
        }
    }

    /// The operator's position between two operands, spaces trimmed.
    fn op_range(&self, lhs_end: usize, rhs_start: usize) -> PosRange {
        let b = self.input.as_bytes();
        let is_space = |i: usize| {
            b.get(i)
                .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        };
        let mut start = lhs_end;
        while start < b.len() && is_space(start) {
            start += 1;
        }
        let mut end = rhs_start.saturating_sub(1);
        while end > 0 && is_space(end) {
            end -= 1;
        }
        PosRange::new(start, end)
    }
}
