//! A table of queries and a compact S-expression summary of the tree each
//! must produce: operator structure, modifiers, matchers and literal values.

use vigil_promql::{AtModifier, Cardinality, DurationOp, Expr, UnaryOp, format_duration, parse};

fn dur(ns: i64, e: Option<&Expr>) -> String {
    match e {
        Some(e) => summary(e),
        None => format_duration(ns),
    }
}

fn at(a: Option<AtModifier>) -> String {
    match a {
        None => String::new(),
        Some(AtModifier::Start) => " @start".into(),
        Some(AtModifier::End) => " @end".into(),
        Some(AtModifier::Timestamp(ms)) => format!(" @{ms}ms"),
    }
}

fn offset(ns: i64, e: Option<&Expr>) -> String {
    match (ns, e) {
        (0, None) => String::new(),
        (ns, e) => format!(
            " offset {}",
            if ns < 0 {
                format!("-{}", format_duration(-ns))
            } else {
                dur(ns, e)
            }
        ),
    }
}

fn summary(e: &Expr) -> String {
    match e {
        Expr::NumberLiteral(n) => {
            if n.duration {
                format!("{}s", n.val)
            } else {
                format!("{}", n.val)
            }
        }
        Expr::StringLiteral(s) => format!("{:?}", s.val),
        Expr::VectorSelector(v) => {
            let mut ms: Vec<String> = v.matchers.iter().map(|m| m.to_string()).collect();
            ms.sort();
            let mut s = format!("sel[{}]", ms.join(","));
            s += &at(v.at);
            s += &offset(v.offset, v.offset_expr.as_deref());
            if v.anchored {
                s += " anchored";
            }
            if v.smoothed {
                s += " smoothed";
            }
            s
        }
        Expr::MatrixSelector(m) => {
            format!(
                "(range {} {})",
                summary(&m.vector),
                dur(m.range, m.range_expr.as_deref())
            )
        }
        Expr::Subquery(s) => format!(
            "(subquery {} {} {}{}{})",
            summary(&s.expr),
            dur(s.range, s.range_expr.as_deref()),
            dur(s.step, s.step_expr.as_deref()),
            at(s.at),
            offset(s.offset, s.offset_expr.as_deref())
        ),
        Expr::Call(c) => {
            let args: Vec<String> = c.args.iter().map(summary).collect();
            format!("({} {})", c.func.name, args.join(" ")).replace(" )", ")")
        }
        Expr::Aggregate(a) => {
            let mut s = format!("({}", a.op);
            if a.without {
                s += &format!(" without{:?}", a.grouping);
            } else if !a.grouping.is_empty() {
                s += &format!(" by{:?}", a.grouping);
            }
            if let Some(p) = &a.param {
                s += &format!(" {}", summary(p));
            }
            format!("{s} {})", summary(&a.expr))
        }
        Expr::Binary(b) => {
            let mut op = b.op.to_string();
            if b.return_bool {
                op += " bool";
            }
            if let Some(m) = &b.matching {
                let card = match m.card {
                    Cardinality::OneToOne => "1:1",
                    Cardinality::ManyToOne => "n:1",
                    Cardinality::OneToMany => "1:n",
                    Cardinality::ManyToMany => "n:n",
                };
                op += &format!(" {card}");
                if m.on || !m.matching_labels.is_empty() {
                    op += &format!(
                        " {}{:?}",
                        if m.on { "on" } else { "ignoring" },
                        m.matching_labels
                    );
                }
                if !m.include.is_empty() {
                    op += &format!(" include{:?}", m.include);
                }
                if let Some(v) = m.fill_lhs {
                    op += &format!(" fill_left={v}");
                }
                if let Some(v) = m.fill_rhs {
                    op += &format!(" fill_right={v}");
                }
            }
            format!("({op} {} {})", summary(&b.lhs), summary(&b.rhs))
        }
        Expr::Unary(u) => format!(
            "({} {})",
            if u.op == UnaryOp::Sub { "neg" } else { "pos" },
            summary(&u.expr)
        ),
        Expr::Paren(p) => format!("(paren {})", summary(&p.expr)),
        Expr::Duration(d) => {
            let name = match d.op {
                DurationOp::Step => return "step()".into(),
                DurationOp::Range => return "range()".into(),
                op => op.as_str(),
            };
            let parts: Vec<String> = d
                .lhs
                .iter()
                .chain(d.rhs.iter())
                .map(|e| summary(e))
                .collect();
            let w = if d.wrapped { "wrapped " } else { "" };
            format!("({w}d{name} {})", parts.join(" "))
        }
    }
}

const CASES: &[(&str, &str)] = &[
    ("1 + 2 * 3", "(+ 1 (* 2 3))"),
    ("1 * 2 + 3", "(+ (* 1 2) 3)"),
    ("2 ^ 3 ^ 2", "(^ 2 (^ 3 2))"),
    ("-2 ^ 2", "(neg (^ 2 2))"),
    ("-2 * 3", "(* -2 3)"),
    ("- -1", "1"),
    ("+foo", "(pos sel[__name__=\"foo\"])"),
    ("1 - 2 - 3", "(- (- 1 2) 3)"),
    (
        "a or b and c",
        "(or n:n sel[__name__=\"a\"] (and n:n sel[__name__=\"b\"] sel[__name__=\"c\"]))",
    ),
    ("a > bool 1", "(> bool sel[__name__=\"a\"] 1)"),
    ("1 == bool 2", "(== bool 1 2)"),
    (
        "a / on(x) group_left(y) b",
        "(/ n:1 on[\"x\"] include[\"y\"] sel[__name__=\"a\"] sel[__name__=\"b\"])",
    ),
    (
        "a - ignoring(x) group_right b",
        "(- 1:n ignoring[\"x\"] sel[__name__=\"a\"] sel[__name__=\"b\"])",
    ),
    (
        "a + fill(0) b",
        "(+ 1:1 fill_left=0 fill_right=0 sel[__name__=\"a\"] sel[__name__=\"b\"])",
    ),
    (
        "a atan2 b",
        "(atan2 1:1 sel[__name__=\"a\"] sel[__name__=\"b\"])",
    ),
    ("h </ 0.5", "(</ sel[__name__=\"h\"] 0.5)"),
    (
        "foo{a=\"b\",c!~\"d\"}",
        "sel[__name__=\"foo\",a=\"b\",c!~\"d\"]",
    ),
    (
        "{\"my.metric\", \"a b\"=~\"x\"}",
        "sel[\"a b\"=~\"x\",__name__=\"my.metric\"]",
    ),
    ("foo offset 5m", "sel[__name__=\"foo\"] offset 5m"),
    ("foo offset -1h30m", "sel[__name__=\"foo\"] offset -1h30m"),
    ("foo @ 10.5", "sel[__name__=\"foo\"] @10500ms"),
    (
        "foo @ end() offset 1m",
        "sel[__name__=\"foo\"] @end offset 1m",
    ),
    ("foo[5m]", "(range sel[__name__=\"foo\"] 5m)"),
    (
        "foo[5m] anchored",
        "(range sel[__name__=\"foo\"] anchored 5m)",
    ),
    ("foo[1h:5m]", "(subquery sel[__name__=\"foo\"] 1h 5m)"),
    (
        "foo[1h:] @ start()",
        "(subquery sel[__name__=\"foo\"] 1h 0s @start)",
    ),
    (
        "rate(foo[5m])[30m:1m] offset 1m",
        "(subquery (rate (range sel[__name__=\"foo\"] 5m)) 30m 1m offset 1m)",
    ),
    ("foo[5m * 2]", "(range sel[__name__=\"foo\"] (d* 300s 2))"),
    (
        "foo[step() + 1m]",
        "(range sel[__name__=\"foo\"] (d+ step() 60s))",
    ),
    (
        "foo[min_of(step(), 1h)]",
        "(range sel[__name__=\"foo\"] (dmin_of step() 3600s))",
    ),
    (
        "foo offset (1m + 1m)",
        "sel[__name__=\"foo\"] offset (wrapped d+ 60s 60s)",
    ),
    (
        "foo offset -step()",
        "sel[__name__=\"foo\"] offset (d- step())",
    ),
    (
        "foo offset 100 + 2",
        "(+ sel[__name__=\"foo\"] offset 1m40s 2)",
    ),
    ("sum by (a) (x)", "(sum by[\"a\"] sel[__name__=\"x\"])"),
    (
        "sum(x) without (a, b)",
        "(sum without[\"a\", \"b\"] sel[__name__=\"x\"])",
    ),
    ("topk(3, x)", "(topk 3 sel[__name__=\"x\"])"),
    (
        "count_values(\"v\", x)",
        "(count_values \"v\" sel[__name__=\"x\"])",
    ),
    ("quantile(0.9, x)", "(quantile 0.9 sel[__name__=\"x\"])"),
    ("sum", "sel[__name__=\"sum\"]"),
    ("time()", "(time)"),
    (
        "label_join(x, \"d\", \",\", \"a\", \"b\")",
        "(label_join sel[__name__=\"x\"] \"d\" \",\" \"a\" \"b\")",
    ),
    ("(1)", "(paren 1)"),
    ("5m", "300s"),
    ("0x1f + 010", "(+ 31 8)"),
    ("'a' ", "\"a\""),
];

#[test]
fn ast_summaries() {
    let mut bad = Vec::new();
    for (input, want) in CASES {
        match parse(input) {
            Ok(e) => {
                let got = summary(&e);
                if got != *want {
                    bad.push(format!("{input:?}\n   got  {got}\n   want {want}"));
                }
            }
            Err(err) => bad.push(format!("{input:?}: {err}")),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
