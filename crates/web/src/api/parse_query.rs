//! `GET|POST /api/v1/parse_query` (Prometheus 3.x): the parsed query as a
//! JSON tree, the shape the UI's tree view reads (upstream's
//! `translateAST`). Every node is an object with a `type`
//! (`vectorSelector`, `matrixSelector`, `subquery`, `call`,
//! `aggregation`, `binaryExpr`, `unaryExpr`, `parenExpr`,
//! `numberLiteral`, `stringLiteral`, `durationExpr`); keys come out
//! sorted, as Go encodes maps, and strings are escaped as Go escapes them.
//! Durations and offsets are milliseconds; `@` timestamps milliseconds or
//! `startOrEnd`; number values strings in Go's `'f'` format.

use std::collections::BTreeMap;

use vigil_promql::ast::{AtModifier, Cardinality, DurationExpr, Expr, UnaryOp, VectorSelector};
use vigil_promql::{ParseOptions, parse_with};

use super::{ApiResult, Ctx, Output};
use crate::error::ApiError;
use crate::json;

/// A JSON value with its object keys kept sorted.
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Node>),
    Obj(BTreeMap<&'static str, Node>),
}

impl Node {
    fn str(s: &str) -> Node {
        Node::Str(s.to_string())
    }

    fn strs(items: &[String]) -> Node {
        Node::List(items.iter().map(|s| Node::str(s)).collect())
    }

    fn obj<const N: usize>(fields: [(&'static str, Node); N]) -> Node {
        Node::Obj(fields.into_iter().collect())
    }

    fn opt(n: Option<Node>) -> Node {
        n.unwrap_or(Node::Null)
    }

    /// Writes the value; `Err` for a float JSON cannot hold (Go's encoder
    /// refuses NaN and infinities too).
    fn write(&self, out: &mut String) -> Result<(), ApiError> {
        match self {
            Node::Null => out.push_str("null"),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Int(i) => out.push_str(&i.to_string()),
            Node::Float(f) => {
                if !f.is_finite() {
                    return Err(ApiError::Internal(format!(
                        "json: unsupported value: {}",
                        go_float(*f)
                    )));
                }
                json::push_json_float(out, *f);
            }
            Node::Str(s) => json::push_str(out, s),
            Node::List(items) => {
                out.push('[');
                for (i, n) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    n.write(out)?;
                }
                out.push(']');
            }
            Node::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json::push_str(out, k);
                    out.push(':');
                    v.write(out)?;
                }
                out.push('}');
            }
        }
        Ok(())
    }
}

/// A float as Go's `strconv.FormatFloat(f, 'f', -1, 64)` writes it.
fn go_float(f: f64) -> String {
    let mut s = String::new();
    json::push_float_f(&mut s, f);
    s
}

/// `GET|POST /api/v1/parse_query`.
pub(crate) fn parse_query(ctx: &Ctx<'_>) -> ApiResult {
    let opts = ParseOptions {
        experimental_functions: ctx.state.engine.options().enable_experimental_functions,
        ..ParseOptions::all()
    };
    let expr = parse_with(ctx.params.get("query"), opts)
        .map_err(|e| ApiError::invalid_param("query", e))?;
    let mut out = String::new();
    translate(&expr).write(&mut out)?;
    Ok(Output::data(out))
}

/// An AST duration (nanoseconds, as Go's `time.Duration`) in whole
/// milliseconds, truncated as `Duration.Milliseconds` does.
fn ms(ns: i64) -> Node {
    Node::Int(ns / 1_000_000)
}

fn timestamp(at: Option<AtModifier>) -> Node {
    match at {
        Some(AtModifier::Timestamp(t)) => Node::Int(t),
        _ => Node::Null,
    }
}

fn start_or_end(at: Option<AtModifier>) -> Node {
    match at {
        Some(AtModifier::Start) => Node::str("start"),
        Some(AtModifier::End) => Node::str("end"),
        _ => Node::Null,
    }
}

fn matchers(vs: &VectorSelector) -> Node {
    Node::List(
        vs.matchers
            .iter()
            .map(|m| {
                Node::obj([
                    ("name", Node::str(m.name())),
                    ("value", Node::str(m.value())),
                    ("type", Node::str(m.kind().as_str())),
                ])
            })
            .collect(),
    )
}

fn cardinality(c: Cardinality) -> &'static str {
    match c {
        Cardinality::OneToOne => "one-to-one",
        Cardinality::ManyToOne => "many-to-one",
        Cardinality::OneToMany => "one-to-many",
        Cardinality::ManyToMany => "many-to-many",
    }
}

fn unary(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Add => "+",
        UnaryOp::Sub => "-",
    }
}

/// A range, step or offset written as an expression (`[5m+1m]`), or null.
fn duration_slot(e: Option<&Expr>) -> Node {
    Node::opt(e.map(translate_duration))
}

/// Duration expressions and the numbers inside them, which carry their
/// `duration` flag (whether written as `5m` rather than `300`).
fn translate_duration(e: &Expr) -> Node {
    match e {
        Expr::Duration(d) => duration_expr(d),
        Expr::NumberLiteral(n) => Node::obj([
            ("type", Node::str("numberLiteral")),
            ("val", Node::Str(go_float(n.val))),
            ("duration", Node::Bool(n.duration)),
        ]),
        other => translate(other),
    }
}

fn duration_expr(d: &DurationExpr) -> Node {
    Node::obj([
        ("type", Node::str("durationExpr")),
        ("op", Node::str(d.op.as_str())),
        ("lhs", duration_slot(d.lhs.as_deref())),
        ("rhs", duration_slot(d.rhs.as_deref())),
        ("wrapped", Node::Bool(d.wrapped)),
    ])
}

fn vector_selector(vs: &VectorSelector) -> Node {
    Node::obj([
        ("type", Node::str("vectorSelector")),
        ("name", Node::str(&vs.name)),
        ("offset", ms(vs.offset)),
        ("offsetExpr", duration_slot(vs.offset_expr.as_deref())),
        ("matchers", matchers(vs)),
        ("timestamp", timestamp(vs.at)),
        ("startOrEnd", start_or_end(vs.at)),
        ("anchored", Node::Bool(vs.anchored)),
        ("smoothed", Node::Bool(vs.smoothed)),
    ])
}

/// The tree of `e`.
fn translate(e: &Expr) -> Node {
    match e {
        Expr::Aggregate(a) => Node::obj([
            ("type", Node::str("aggregation")),
            ("op", Node::str(a.op.as_str())),
            ("expr", translate(&a.expr)),
            ("param", Node::opt(a.param.as_deref().map(translate))),
            ("grouping", Node::strs(&a.grouping)),
            ("without", Node::Bool(a.without)),
        ]),
        Expr::Binary(b) => {
            let matching = b.matching.as_ref().map(|m| {
                Node::obj([
                    ("card", Node::str(cardinality(m.card))),
                    ("labels", Node::strs(&m.matching_labels)),
                    ("on", Node::Bool(m.on)),
                    ("include", Node::strs(&m.include)),
                    (
                        "fillValues",
                        Node::obj([
                            ("lhs", Node::opt(m.fill_lhs.map(Node::Float))),
                            ("rhs", Node::opt(m.fill_rhs.map(Node::Float))),
                        ]),
                    ),
                ])
            });
            Node::obj([
                ("type", Node::str("binaryExpr")),
                ("op", Node::str(b.op.as_str())),
                ("lhs", translate(&b.lhs)),
                ("rhs", translate(&b.rhs)),
                ("matching", Node::opt(matching)),
                ("bool", Node::Bool(b.return_bool)),
            ])
        }
        Expr::Call(c) => Node::obj([
            ("type", Node::str("call")),
            (
                "func",
                Node::obj([
                    ("name", Node::str(c.func.name)),
                    (
                        "argTypes",
                        Node::List(
                            c.func
                                .arg_types
                                .iter()
                                .map(|t| Node::str(t.as_str()))
                                .collect(),
                        ),
                    ),
                    ("variadic", Node::Int(i64::from(c.func.variadic))),
                    ("returnType", Node::str(c.func.return_type.as_str())),
                ]),
            ),
            ("args", Node::List(c.args.iter().map(translate).collect())),
        ]),
        Expr::MatrixSelector(m) => {
            let Expr::VectorSelector(vs) = m.vector.as_ref() else {
                // The parser only builds ranges over selectors.
                return translate(&m.vector);
            };
            Node::obj([
                ("type", Node::str("matrixSelector")),
                ("name", Node::str(&vs.name)),
                ("range", ms(m.range)),
                ("rangeExpr", duration_slot(m.range_expr.as_deref())),
                ("offset", ms(vs.offset)),
                ("offsetExpr", duration_slot(vs.offset_expr.as_deref())),
                ("matchers", matchers(vs)),
                ("timestamp", timestamp(vs.at)),
                ("startOrEnd", start_or_end(vs.at)),
                ("anchored", Node::Bool(vs.anchored)),
                ("smoothed", Node::Bool(vs.smoothed)),
            ])
        }
        Expr::Subquery(s) => Node::obj([
            ("type", Node::str("subquery")),
            ("expr", translate(&s.expr)),
            ("range", ms(s.range)),
            ("rangeExpr", duration_slot(s.range_expr.as_deref())),
            ("offset", ms(s.offset)),
            ("offsetExpr", duration_slot(s.offset_expr.as_deref())),
            ("step", ms(s.step)),
            ("stepExpr", duration_slot(s.step_expr.as_deref())),
            ("timestamp", timestamp(s.at)),
            ("startOrEnd", start_or_end(s.at)),
        ]),
        Expr::Duration(d) => duration_expr(d),
        Expr::NumberLiteral(n) => Node::obj([
            ("type", Node::str("numberLiteral")),
            ("val", Node::Str(go_float(n.val))),
        ]),
        Expr::Paren(p) => Node::obj([
            ("type", Node::str("parenExpr")),
            ("expr", translate(&p.expr)),
        ]),
        Expr::StringLiteral(s) => Node::obj([
            ("type", Node::str("stringLiteral")),
            ("val", Node::str(&s.val)),
        ]),
        Expr::Unary(u) => Node::obj([
            ("type", Node::str("unaryExpr")),
            ("op", Node::str(unary(u.op))),
            ("expr", translate(&u.expr)),
        ]),
        Expr::VectorSelector(vs) => vector_selector(vs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(q: &str) -> String {
        let e = vigil_promql::parse(q).unwrap();
        let mut out = String::new();
        translate(&e).write(&mut out).unwrap();
        out
    }

    fn value(q: &str) -> serde_json::Value {
        serde_json::from_str(&tree(q)).unwrap()
    }

    #[test]
    fn selector_with_offset_and_at() {
        assert_eq!(
            tree(r#"foo{a=~"x<"} offset 5m @ 10"#),
            concat!(
                r#"{"anchored":false,"matchers":[{"name":"a","type":"=~","value":"x\u003c"},"#,
                r#"{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":300000,"#,
                r#""offsetExpr":null,"smoothed":false,"startOrEnd":null,"timestamp":10000,"#,
                r#""type":"vectorSelector"}"#
            )
        );
    }

    #[test]
    fn call_over_a_range() {
        let v = value("rate(foo[5m] @ end())");
        assert_eq!(v["type"], "call");
        assert_eq!(v["func"]["name"], "rate");
        assert_eq!(v["func"]["argTypes"], serde_json::json!(["matrix"]));
        assert_eq!(v["func"]["variadic"], 0);
        assert_eq!(v["func"]["returnType"], "vector");
        let m = &v["args"][0];
        assert_eq!(m["type"], "matrixSelector");
        assert_eq!(m["range"], 300000);
        assert_eq!(m["rangeExpr"], serde_json::Value::Null);
        assert_eq!(m["startOrEnd"], "end");
        assert_eq!(m["timestamp"], serde_json::Value::Null);
    }

    #[test]
    fn aggregation_binary_and_literals() {
        let v = value(r#"sum by (job) (a) / on (job) group_left (x) -b > bool 1.5"#);
        assert_eq!(v["type"], "binaryExpr");
        assert_eq!(v["op"], ">");
        assert_eq!(v["bool"], true);
        // A comparison with a scalar has no vector matching.
        assert_eq!(v["matching"], serde_json::Value::Null);
        assert_eq!(
            v["rhs"],
            serde_json::json!({"type": "numberLiteral", "val": "1.5"})
        );
        let div = &v["lhs"];
        assert_eq!(div["op"], "/");
        assert_eq!(
            div["matching"],
            serde_json::json!({"card": "many-to-one", "labels": ["job"], "on": true,
                "include": ["x"], "fillValues": {"lhs": null, "rhs": null}})
        );
        assert_eq!(div["lhs"]["type"], "aggregation");
        assert_eq!(div["lhs"]["grouping"], serde_json::json!(["job"]));
        assert_eq!(div["lhs"]["param"], serde_json::Value::Null);
        assert_eq!(div["lhs"]["without"], false);
        assert_eq!(div["rhs"]["type"], "unaryExpr");
        assert_eq!(div["rhs"]["op"], "-");
    }

    #[test]
    fn set_operators_match_many_to_many() {
        let v = value("a and b");
        assert_eq!(v["matching"]["card"], "many-to-many");
        assert_eq!(v["matching"]["labels"], serde_json::json!([]));
    }

    #[test]
    fn subquery_paren_and_string() {
        let v = value(r#"(label_replace(x, "a", "b", "c", "d"))[1h:1m] offset 1m"#);
        assert_eq!(v["type"], "subquery");
        assert_eq!(v["range"], 3_600_000);
        assert_eq!(v["step"], 60_000);
        assert_eq!(v["offset"], 60_000);
        assert_eq!(v["stepExpr"], serde_json::Value::Null);
        assert_eq!(v["expr"]["type"], "parenExpr");
        let call = &v["expr"]["expr"];
        assert_eq!(
            call["args"][1],
            serde_json::json!({"type": "stringLiteral", "val": "a"})
        );
    }

    #[test]
    fn duration_expressions() {
        let v = value("foo[5m+1m]");
        assert_eq!(v["range"], 0);
        assert_eq!(
            v["rangeExpr"],
            serde_json::json!({"type": "durationExpr", "op": "+", "wrapped": false,
                "lhs": {"type": "numberLiteral", "val": "300", "duration": true},
                "rhs": {"type": "numberLiteral", "val": "60", "duration": true}})
        );
        let v = value("foo offset -min_of(5s, step()+8s)");
        let off = &v["offsetExpr"];
        assert_eq!(off["op"], "-");
        assert_eq!(off["lhs"], serde_json::Value::Null);
        assert_eq!(off["rhs"]["op"], "min_of");
        assert_eq!(off["rhs"]["rhs"]["lhs"]["op"], "step");
        let v = value("foo[4s+4s:1s*2] offset (5s-8)");
        assert_eq!(v["stepExpr"]["rhs"]["duration"], false);
        assert_eq!(v["offsetExpr"]["wrapped"], true);
    }

    #[test]
    fn non_finite_fill_values_are_an_error_as_in_go() {
        let e = vigil_promql::parse("a + fill(NaN) b").unwrap();
        let mut out = String::new();
        assert!(translate(&e).write(&mut out).is_err());
    }
}
