//! The canonical text form of an expression (what `promtool promql format`
//! and the `format_query` API print); parsing the output yields the same tree.

use std::fmt::{self, Write};

use vigil_model::names::is_legacy_label_name;
use vigil_model::quote::write_quoted;

use crate::ast::{
    AggregateExpr, AtModifier, BinaryExpr, Cardinality, DurationExpr, DurationOp, Expr,
    NumberLiteral, SubqueryExpr, UnaryOp, VectorSelector,
};
use crate::parse::format_duration;

/// Quotes a string; U+FFFD (which stands for bytes that were not UTF-8 and
/// which the lexer rejects when written literally) is escaped.
fn write_str_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    let mut q = String::with_capacity(s.len() + 2);
    write_quoted(&mut q, s)?;
    f.write_str(&q.replace('\u{fffd}', "\\ufffd"))
}

/// Go's `strconv.Quote` of a byte string: bytes that are not UTF-8 are
/// written as `\xNN`.
pub(crate) fn quote_bytes(b: &[u8]) -> String {
    let mut out = String::from("\"");
    let mut rest = b;
    while !rest.is_empty() {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, 0),
            Err(e) => {
                let n = e.valid_up_to();
                let valid = std::str::from_utf8(&rest[..n]).unwrap_or("");
                (valid, e.error_len().unwrap_or(rest.len() - n))
            }
        };
        let q = vigil_model::quote::quote(valid);
        out.push_str(&q[1..q.len() - 1]);
        let start = valid.len();
        for byte in &rest[start..start + bad] {
            out.push_str(&format!("\\x{byte:02x}"));
        }
        rest = &rest[start + bad..];
    }
    out.push('"');
    out
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`.
pub(crate) fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

/// Go's `%v` for a float (`strconv.FormatFloat(v, 'g', -1, 64)`): shortest
/// digits, exponent form below 1e-4 and from 1e6 on.
pub(crate) fn format_float_g(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return format_float(v);
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format_float(v)
    }
}

fn write_labels(f: &mut fmt::Formatter<'_>, labels: &[String]) -> fmt::Result {
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        if is_legacy_label_name(l) {
            f.write_str(l)?;
        } else {
            write_str_quoted(f, l)?;
        }
    }
    Ok(())
}

fn write_at(f: &mut fmt::Formatter<'_>, at: Option<AtModifier>) -> fmt::Result {
    match at {
        Some(AtModifier::Timestamp(ms)) => write!(f, " @ {:.3}", ms as f64 / 1000.0),
        Some(AtModifier::Start) => f.write_str(" @ start()"),
        Some(AtModifier::End) => f.write_str(" @ end()"),
        None => Ok(()),
    }
}

fn write_offset(f: &mut fmt::Formatter<'_>, ns: i64, e: Option<&Expr>) -> fmt::Result {
    if let Some(e) = e {
        return write!(f, " offset {e}");
    }
    match ns.cmp(&0) {
        std::cmp::Ordering::Greater => write!(f, " offset {}", format_duration(ns)),
        std::cmp::Ordering::Less => {
            write!(f, " offset -{}", format_duration(ns.saturating_neg()))
        }
        std::cmp::Ordering::Equal => Ok(()),
    }
}

fn write_number(f: &mut fmt::Formatter<'_>, n: &NumberLiteral) -> fmt::Result {
    if n.duration {
        let ns = (n.val.abs() * 1e9) as i64;
        if n.val < 0.0 {
            return write!(f, "-{}", format_duration(ns));
        }
        return f.write_str(&format_duration(ns));
    }
    f.write_str(&format_float(n.val))
}

/// Writes a selector's name and matchers (no modifiers).
fn write_selector_body(f: &mut fmt::Formatter<'_>, vs: &VectorSelector) -> fmt::Result {
    let mut parts: Vec<String> = vs
        .matchers
        .iter()
        .filter(|m| {
            !(m.name() == "__name__"
                && m.kind() == vigil_model::MatchType::Equal
                && m.value() == vs.name
                && !m.value().is_empty())
        })
        .map(|m| m.to_string().replace('\u{fffd}', "\\ufffd"))
        .collect();
    parts.sort();
    f.write_str(&vs.name)?;
    if !parts.is_empty() {
        f.write_char('{')?;
        f.write_str(&parts.join(","))?;
        f.write_char('}')?;
    }
    Ok(())
}

fn write_selector(f: &mut fmt::Formatter<'_>, vs: &VectorSelector) -> fmt::Result {
    write_selector_body(f, vs)?;
    write_at(f, vs.at)?;
    if vs.anchored {
        f.write_str(" anchored")?;
    } else if vs.smoothed {
        f.write_str(" smoothed")?;
    }
    write_offset(f, vs.offset, vs.offset_expr.as_deref())
}

fn write_range(f: &mut fmt::Formatter<'_>, ns: i64, e: Option<&Expr>) -> fmt::Result {
    match e {
        Some(e) => write!(f, "{e}"),
        None => f.write_str(&format_duration(ns)),
    }
}

fn write_aggregate(f: &mut fmt::Formatter<'_>, a: &AggregateExpr) -> fmt::Result {
    f.write_str(a.op.as_str())?;
    if a.without {
        f.write_str(" without (")?;
        write_labels(f, &a.grouping)?;
        f.write_str(") ")?;
    } else if !a.grouping.is_empty() {
        f.write_str(" by (")?;
        write_labels(f, &a.grouping)?;
        f.write_str(") ")?;
    }
    f.write_char('(')?;
    if let Some(p) = &a.param {
        write!(f, "{p}, ")?;
    }
    write!(f, "{})", a.expr)
}

fn write_binary(f: &mut fmt::Formatter<'_>, b: &BinaryExpr) -> fmt::Result {
    write!(f, "{} {}", b.lhs, b.op)?;
    if b.return_bool {
        f.write_str(" bool")?;
    }
    if let Some(vm) = &b.matching {
        let grouped = matches!(vm.card, Cardinality::ManyToOne | Cardinality::OneToMany);
        if !vm.matching_labels.is_empty() || vm.on || grouped {
            f.write_str(if vm.on { " on (" } else { " ignoring (" })?;
            write_labels(f, &vm.matching_labels)?;
            f.write_char(')')?;
        }
        if grouped {
            f.write_str(if vm.card == Cardinality::ManyToOne {
                " group_left ("
            } else {
                " group_right ("
            })?;
            write_labels(f, &vm.include)?;
            f.write_char(')')?;
        }
        match (vm.fill_lhs, vm.fill_rhs) {
            (Some(l), Some(r)) if l == r || (l.is_nan() && r.is_nan()) => {
                write!(f, " fill ({})", format_float_g(l))?
            }
            (l, r) => {
                if let Some(l) = l {
                    write!(f, " fill_left ({})", format_float_g(l))?;
                }
                if let Some(r) = r {
                    write!(f, " fill_right ({})", format_float_g(r))?;
                }
            }
        }
    }
    write!(f, " {}", b.rhs)
}

fn write_duration(f: &mut fmt::Formatter<'_>, d: &DurationExpr) -> fmt::Result {
    if d.wrapped {
        f.write_char('(')?;
    }
    match (d.op, &d.lhs, &d.rhs) {
        (DurationOp::Step, _, _) => f.write_str("step()")?,
        (DurationOp::Range, _, _) => f.write_str("range()")?,
        (DurationOp::MinOf | DurationOp::MaxOf, Some(l), Some(r)) => {
            write!(f, "{}({l}, {r})", d.op.as_str())?
        }
        (DurationOp::Sub, None, Some(r)) => write!(f, "-{r}")?,
        (_, None, Some(r)) => write!(f, "{r}")?,
        (op, Some(l), Some(r)) => write!(f, "{l} {} {r}", op.as_str())?,
        _ => {}
    }
    if d.wrapped {
        f.write_char(')')?;
    }
    Ok(())
}

fn write_subquery(f: &mut fmt::Formatter<'_>, s: &SubqueryExpr) -> fmt::Result {
    write!(f, "{}[", s.expr)?;
    write_range(f, s.range, s.range_expr.as_deref())?;
    f.write_char(':')?;
    if s.step != 0 {
        f.write_str(&format_duration(s.step))?;
    } else if let Some(e) = &s.step_expr {
        write!(f, "{e}")?;
    }
    f.write_char(']')?;
    write_at(f, s.at)?;
    write_offset(f, s.offset, s.offset_expr.as_deref())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::NumberLiteral(n) => write_number(f, n),
            Expr::StringLiteral(s) => match &s.bytes {
                Some(b) => f.write_str(&quote_bytes(b)),
                None => write_str_quoted(f, &s.val),
            },
            Expr::VectorSelector(vs) => write_selector(f, vs),
            Expr::MatrixSelector(m) => match m.vector.as_ref() {
                Expr::VectorSelector(vs) => {
                    write_selector_body(f, vs)?;
                    f.write_char('[')?;
                    write_range(f, m.range, m.range_expr.as_deref())?;
                    f.write_char(']')?;
                    if vs.anchored {
                        f.write_str(" anchored")?;
                    } else if vs.smoothed {
                        f.write_str(" smoothed")?;
                    }
                    write_at(f, vs.at)?;
                    write_offset(f, vs.offset, vs.offset_expr.as_deref())
                }
                other => {
                    write!(f, "{other}[")?;
                    write_range(f, m.range, m.range_expr.as_deref())?;
                    f.write_char(']')
                }
            },
            Expr::Subquery(s) => write_subquery(f, s),
            Expr::Call(c) => {
                write!(f, "{}(", c.func.name)?;
                for (i, a) in c.args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_char(')')
            }
            Expr::Aggregate(a) => write_aggregate(f, a),
            Expr::Binary(b) => write_binary(f, b),
            Expr::Unary(u) => {
                let op = if u.op == UnaryOp::Sub { "-" } else { "+" };
                // A leading `+` of the operand (`+Inf`, or a no-op unary
                // plus) would re-parse as one more unary operator and grow
                // with every print; dropping it keeps the meaning and makes
                // printing a fixed point (Prometheus' printer lacks this).
                let inner = u.expr.to_string();
                write!(f, "{op}{}", inner.strip_prefix('+').unwrap_or(&inner))
            }
            Expr::Paren(p) => write!(f, "({})", p.expr),
            Expr::Duration(d) => write_duration(f, d),
        }
    }
}

/// Parses a query and returns it as the `format_query` API does
/// (canonical form, long expressions split over indented lines).
pub fn format_query(query: &str) -> Result<String, crate::ParseErrors> {
    Ok(crate::parse(query)?.pretty(0))
}
