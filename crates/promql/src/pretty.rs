//! Prometheus' prettier: expressions whose one-line form exceeds 100 bytes
//! are split over indented lines (what the `format_query` API returns).

use crate::ast::{AggregateExpr, BinaryExpr, Expr};

const MAX_LINE: usize = 100;

fn indent(level: usize) -> String {
    "  ".repeat(level)
}

fn needs_split(e: &Expr, width: usize) -> bool {
    e.to_string().len() > width
}

/// The aggregation's operator and grouping clause (`sum by (a) `).
fn aggregate_head(a: &AggregateExpr) -> String {
    let labels = a
        .grouping
        .iter()
        .map(|l| {
            if vigil_model::names::is_legacy_label_name(l) {
                l.clone()
            } else {
                vigil_model::quote::quote(l)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    if a.without {
        format!("{} without ({labels}) ", a.op)
    } else if !a.grouping.is_empty() {
        format!("{} by ({labels}) ", a.op)
    } else {
        a.op.to_string()
    }
}

fn binary_matching(b: &BinaryExpr) -> String {
    // The operator and its modifiers, as printed between the operands.
    let lhs = b.lhs.to_string();
    let rhs = b.rhs.to_string();
    let full = Expr::Binary(b.clone()).to_string();
    full.get(lhs.len() + 1..full.len() - rhs.len() - 1)
        .unwrap_or(b.op.as_str())
        .to_string()
}

impl Expr {
    /// Prometheus' `Pretty(level)`: the expression indented by `level`
    /// steps, split over several lines when its one-line form is too long.
    pub fn pretty(&self, level: usize) -> String {
        self.pretty_width(level, MAX_LINE)
    }

    /// [`Expr::pretty`] with a custom line width (Prometheus uses 100).
    pub fn pretty_width(&self, level: usize, width: usize) -> String {
        let ind = indent(level);
        match self {
            Expr::Aggregate(a) => {
                if !needs_split(self, width) {
                    return format!("{ind}{self}");
                }
                let mut s = format!("{ind}{}(\n", aggregate_head(a));
                if let Some(p) = &a.param {
                    s.push_str(&p.pretty_width(level + 1, width));
                    s.push_str(",\n");
                }
                s.push_str(&a.expr.pretty_width(level + 1, width));
                s.push('\n');
                s.push_str(&ind);
                s.push(')');
                s
            }
            Expr::Binary(b) => {
                if !needs_split(self, width) {
                    return format!("{ind}{self}");
                }
                format!(
                    "{}\n{ind}{}\n{}",
                    b.lhs.pretty_width(level + 1, width),
                    binary_matching(b),
                    b.rhs.pretty_width(level + 1, width)
                )
            }
            Expr::Call(c) => {
                if !needs_split(self, width) {
                    return format!("{ind}{self}");
                }
                let args: Vec<String> = c
                    .args
                    .iter()
                    .map(|a| a.pretty_width(level + 1, width))
                    .collect();
                format!("{ind}{}(\n{}\n{ind})", c.func.name, args.join(",\n"))
            }
            Expr::Paren(p) => {
                if !needs_split(self, width) {
                    return format!("{ind}{self}");
                }
                format!("{ind}(\n{}\n{ind})", p.expr.pretty_width(level + 1, width))
            }
            Expr::Subquery(s) => {
                if !needs_split(self, width) {
                    return self.to_string();
                }
                let full = self.to_string();
                let inner = s.expr.to_string();
                let suffix = full.get(inner.len()..).unwrap_or("");
                format!("{}{suffix}", s.expr.pretty_width(level, width))
            }
            Expr::Unary(u) => {
                let op = if u.op == crate::ast::UnaryOp::Sub {
                    "-"
                } else {
                    "+"
                };
                format!("{ind}{op}{}", u.expr.pretty_width(level, width).trim())
            }
            Expr::Duration(_) => self.to_string(),
            _ => format!("{ind}{self}"),
        }
    }
}
