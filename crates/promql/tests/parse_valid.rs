//! Valid queries: canonical printing, round-trips, and the tree shapes that
//! precedence and modifiers must produce.

use vigil_promql::{
    AggregateOp, AtModifier, BinaryOp, Cardinality, Expr, ParseOptions, UnaryOp, ValueType, parse,
    parse_with,
};

/// (input, canonical form).
const FORMAT: &[(&str, &str)] = &[
    (
        "sum by() (task:errors:rate10s{job=\"s\"})",
        "sum(task:errors:rate10s{job=\"s\"})",
    ),
    (
        "sum by(code) (task:errors:rate10s{job=\"s\"})",
        "sum by (code) (task:errors:rate10s{job=\"s\"})",
    ),
    (
        "sum without() (task:errors:rate10s{job=\"s\"})",
        "sum without () (task:errors:rate10s{job=\"s\"})",
    ),
    (
        "sum without(instance) (task:errors:rate10s{job=\"s\"})",
        "sum without (instance) (task:errors:rate10s{job=\"s\"})",
    ),
    (
        "sum by(\"foo.bar\") (task:errors:rate10s{job=\"s\"})",
        "sum by (\"foo.bar\") (task:errors:rate10s{job=\"s\"})",
    ),
    (
        "sum without(\"foo.bar\") (task:errors:rate10s{job=\"s\"})",
        "sum without (\"foo.bar\") (task:errors:rate10s{job=\"s\"})",
    ),
    (
        "topk(5, task:errors:rate10s{job=\"s\"})",
        "topk(5, task:errors:rate10s{job=\"s\"})",
    ),
    (
        "count_values(\"value\", task:errors:rate10s{job=\"s\"})",
        "count_values(\"value\", task:errors:rate10s{job=\"s\"})",
    ),
    ("a - on() c", "a - on () c"),
    ("a - on(b) c", "a - on (b) c"),
    ("a - on(b) group_left(x) c", "a - on (b) group_left (x) c"),
    (
        "a - on(b) group_left(x, y) c",
        "a - on (b) group_left (x, y) c",
    ),
    ("a - on(b) group_left c", "a - on (b) group_left () c"),
    ("a - on(b) group_left() (c)", "a - on (b) group_left () (c)"),
    ("a - ignoring(b) c", "a - ignoring (b) c"),
    ("a - ignoring() c", "a - c"),
    (
        "a - ignoring() group_left(__metric__) c",
        "a - ignoring () group_left (__metric__) c",
    ),
    (
        "a - ignoring() group_left c",
        "a - ignoring () group_left () c",
    ),
    ("a + fill(-23) b", "a + fill (-23) b"),
    ("a + fill_left(-23) b", "a + fill_left (-23) b"),
    ("a + fill_right(42) b", "a + fill_right (42) b"),
    (
        "a + fill_left(-23) fill_right(42) b",
        "a + fill_left (-23) fill_right (42) b",
    ),
    ("a + fill_left(5) fill_right(5) b", "a + fill (5) b"),
    (
        "a + on(b) group_left fill(-23) c",
        "a + on (b) group_left () fill (-23) c",
    ),
    ("up > bool 0", "up > bool 0"),
    ("a offset 1m", "a offset 1m"),
    ("a offset -7m", "a offset -7m"),
    ("a{c=\"d\"}[5m] offset 1m", "a{c=\"d\"}[5m] offset 1m"),
    ("a[5m] offset 1m", "a[5m] offset 1m"),
    ("a[12m] offset -3m", "a[12m] offset -3m"),
    ("a[1h:5m] offset 1m", "a[1h:5m] offset 1m"),
    ("a anchored", "a anchored"),
    ("a[5m] anchored", "a[5m] anchored"),
    ("a{b=\"c\"}[5m] anchored", "a{b=\"c\"}[5m] anchored"),
    (
        "a{b=\"c\"}[5m] anchored offset 1m",
        "a{b=\"c\"}[5m] anchored offset 1m",
    ),
    (
        "a{b=\"c\"}[5m] anchored @ start() offset 1m",
        "a{b=\"c\"}[5m] anchored @ start() offset 1m",
    ),
    ("a smoothed", "a smoothed"),
    ("a[5m] smoothed", "a[5m] smoothed"),
    ("a{b=\"c\"}[5m] smoothed", "a{b=\"c\"}[5m] smoothed"),
    (
        "a{b=\"c\"}[5m] smoothed offset 1m",
        "a{b=\"c\"}[5m] smoothed offset 1m",
    ),
    (
        "a{b=\"c\"}[5m] smoothed @ start() offset 1m",
        "a{b=\"c\"}[5m] smoothed @ start() offset 1m",
    ),
    ("{__name__=\"a\"}", "{__name__=\"a\"}"),
    ("a{b!=\"c\"}[1m]", "a{b!=\"c\"}[1m]"),
    ("a{b=~\"c\"}[1m]", "a{b=~\"c\"}[1m]"),
    ("a{b!~\"c\"}[1m]", "a{b!~\"c\"}[1m]"),
    ("a @ 10", "a @ 10.000"),
    ("a[1m] @ 10", "a[1m] @ 10.000"),
    ("a @ start()", "a @ start()"),
    ("a @ end()", "a @ end()"),
    ("a[1m] @ start()", "a[1m] @ start()"),
    ("a[1m] @ end()", "a[1m] @ end()"),
    ("{__name__=\"\",a=\"x\"}", "{__name__=\"\",a=\"x\"}"),
    ("{\"a.b\"=\"c\"}", "{\"a.b\"=\"c\"}"),
    ("{\"0\"=\"1\"}", "{\"0\"=\"1\"}"),
    ("{\"_0\"=\"1\"}", "{_0=\"1\"}"),
    ("{\"\"=\"0\"}", "{\"\"=\"0\"}"),
    ("{``=\"0\"}", "{\"\"=\"0\"}"),
    ("1048576", "1048576"),
    ("foo[step()]", "foo[step()]"),
    ("foo[-step()]", "foo[-step()]"),
    ("foo[(step())]", "foo[(step())]"),
    ("foo[-(step())]", "foo[-(step())]"),
    ("foo offset step()", "foo offset step()"),
    ("foo offset -step()", "foo offset -step()"),
    ("foo offset (step())", "foo offset (step())"),
    ("foo offset -(step())", "foo offset -(step())"),
    ("foo offset +(5)", "foo offset (5)"),
    ("foo offset -(5)", "foo offset -(5)"),
    ("foo offset (5)", "foo offset (5)"),
    ("foo offset (5m)", "foo offset (5m)"),
    ("foo[(5s)]", "foo[(5s)]"),
    ("foo[(5m):(1m)]", "foo[(5m):(1m)]"),
    (
        "foo offset +min_of(10s, 20s)",
        "foo offset min_of(10s, 20s)",
    ),
    (
        "foo offset -min_of(10s, 20s)",
        "foo offset -min_of(10s, 20s)",
    ),
    (
        "foo offset -min_of(10s, +max_of(step() ^ 2, 2))",
        "foo offset -min_of(10s, max_of(step() ^ 2, 2))",
    ),
    (
        "foo[200-min_of(-step()^+step(),1)]",
        "foo[200 - min_of(-step() ^ step(), 1)]",
    ),
    (
        "foo[200 - min_of(step() + 10s, -max_of(step() ^ 2, 3))]",
        "foo[200 - min_of(step() + 10s, -max_of(step() ^ 2, 3))]",
    ),
    ("foo[range()]", "foo[range()]"),
    ("foo[-range()]", "foo[-range()]"),
    ("foo offset range()", "foo offset range()"),
    ("foo offset -range()", "foo offset -range()"),
    ("foo[max_of(range(), 5s)]", "foo[max_of(range(), 5s)]"),
    (
        "predict_linear(foo[1h], 3000)",
        "predict_linear(foo[1h], 3000)",
    ),
    ("sum by(\"üüü\") (foo)", "sum by (\"üüü\") (foo)"),
    ("sum without(\"äää\") (foo)", "sum without (\"äää\") (foo)"),
    (
        "count by(\"ööö\", job) (foo)",
        "count by (\"ööö\", job) (foo)",
    ),
];

/// Inputs that must parse and survive print → parse unchanged.
const VALID: &[&str] = &[
    "1",
    "+Inf",
    "-Inf",
    ".5",
    "5.",
    "123.4567",
    "5e-3",
    "5e3",
    "0xc",
    "0755",
    "+5.5e-3",
    "-0755",
    "1 + 1",
    "1 - 1",
    "1 * 1",
    "1 % 1",
    "1 / 1",
    "1 == bool 1",
    "1 != bool 1",
    "1 > bool 1",
    "1 >= bool 1",
    "1 < bool 1",
    "1 <= bool 1",
    "-1^2",
    "-1*2",
    "-1+2",
    "-1^-2",
    "+1 + -2 * 1",
    "1 + 2/(3*1)",
    "1 < bool 2 - 1 * 2",
    "-some_metric",
    "+some_metric",
    " +some_metric",
    " +{\"some_metric\"}",
    "offset{step=\"1s\"}[5m]",
    "step{offset=\"1s\"}[5m]",
    "anchored{job=\"test\"}",
    "smoothed{job=\"test\"}",
    "foo * bar",
    "foo * sum",
    "foo == 1",
    "foo == bool 1",
    "2.5 / bar",
    "foo and bar",
    "foo or bar",
    "foo unless bar",
    "foo + bar or bla and blub",
    "foo and bar unless baz or qux",
    "bar + on(foo) bla / on(baz, buz) group_right(test) blub",
    "foo * on(test,blub) bar",
    "foo * on(test,blub) group_left bar",
    "foo and on(test,blub) bar",
    "foo and on() bar",
    "foo and ignoring(test,blub) bar",
    "foo and ignoring() bar",
    "foo unless on(bar) baz",
    "foo / on(test,blub) group_left(bar) bar",
    "foo / ignoring(test,blub) group_left(blub) bar",
    "foo / ignoring(test,blub) group_left(bar) bar",
    "foo - on(test,blub) group_right(bar,foo) bar",
    "foo - ignoring(test,blub) group_right(bar,foo) bar",
    "foo",
    "min",
    "foo offset 5m",
    "foo offset -7m",
    "foo offset +(5)",
    "foo offset -(5)",
    "foo offset (5)",
    "foo[(5s)]",
    "foo OFFSET 1h30m",
    "foo OFFSET 1m30ms",
    "foo @ 1603774568",
    "foo @ -100",
    "foo @ .3",
    "foo @ 3.",
    "foo @ 3.33",
    "foo @ 3e2",
    "foo @ 3e-1",
    "foo @ 0xA",
    "foo @ -3.3e1",
    "foo:bar{a=\"bc\"}",
    "{\"foo\"}",
    "{'foo\\'bar', 'a\\\\dos\\\\path'='boo\\\\urns'}",
    "{\"foo\", a=\"bc\"}",
    "foo{NaN='bc'}",
    "foo{bar='}'}",
    "foo{a=\"b\", foo!=\"bar\", test=~\"test\", bar!~\"baz\"}",
    "{a=\"b\", foo!=\"bar\", \"foo\", test=~\"test\", bar!~\"baz\"}",
    "foo{a=\"b\", foo!=\"bar\", test=~\"test\", bar!~\"baz\",}",
    "{__name__=~\"bar\", __name__!~\"baz\"}",
    "{__name__=\"bar\", __name__=\"baz\"}",
    "{\"bar\", __name__=\"baz\"}",
    "test[1000ms]",
    "test[1001ms]",
    "test[1002ms]",
    "test[5s]",
    "test[5m]",
    "foo[5m30s]",
    "test[5h] OFFSET 5m",
    "test[5d] OFFSET 10s",
    "test[5w] offset 2w",
    "test{a=\"b\"}[5y] OFFSET 3d",
    "test{a=\"b\"}[5m] OFFSET 3600",
    "foo[3ms] @ 2.345",
    "foo[4s180ms] @ 2.345",
    "foo[4.18] @ 2.345",
    "foo[4s18ms] @ 2.345",
    "foo[4.018] @ 2.345",
    "test{a=\"b\"}[5y] @ 1603774699",
    "test[5]",
    "some_metric[5m] @ 1m",
    "sum by (foo)(some_metric)",
    "sum by (anchored)(some_metric)",
    "sum by (smoothed)(some_metric)",
    "sum by (\"foo bar\")({\"some.metric\"})",
    "sum by (\"foo\", bar, 'baz')({\"some.metric\"})",
    "avg by (foo)(some_metric)",
    "max by (foo)(some_metric)",
    "sum without (foo) (some_metric)",
    "sum (some_metric) without (foo)",
    "stddev(some_metric)",
    "stdvar by (foo)(some_metric)",
    "sum by ()(some_metric)",
    "sum by (foo,bar,)(some_metric)",
    "sum by (foo,)(some_metric)",
    "topk(5, some_metric)",
    "count_values(\"value\", some_metric)",
    "sum without(and, by, avg, count, alert, annotations)(some_metric)",
    "time()",
    "floor(some_metric{foo!=\"bar\"})",
    "rate(some_metric[5m])",
    "round(some_metric)",
    "round(some_metric, 5)",
    "sum(sum)",
    "a + sum",
    "\"double-quoted string \\\" with escaped quote\"",
    "'single-quoted string \\' with escaped quote'",
    "`backtick-quoted string`",
    "\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\" - \\xFF\\377\\u1234\\U00010111\\U0001011111☺\"",
    "'\\a\\b\\f\\n\\r\\t\\v\\\\\\' - \\xFF\\377\\u1234\\U00010111\\U0001011111☺'",
    "foo{bar=\"baz\"}[10m:6s]",
    "foo{bar=\"baz\"}[10m5s:1h6ms]",
    "foo[10m:]",
    "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:5s])",
    "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:])[4m:3s]",
    "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] offset 4m)[4m:3s]",
    "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] @ 1603775091)[4m:3s]",
    "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] @ -160377509)[4m:3s]",
    "sum without(and, by, avg, count, alert, annotations)(some_metric) [30m:10s]",
    "some_metric OFFSET 1m [10m:5s]",
    "some_metric @ 123 [10m:5s]",
    "some_metric @ 123 offset 1m [10m:5s]",
    "some_metric offset 1m @ 123 [10m:5s]",
    "some_metric[10m:5s] offset 1m @ 123",
    "(foo + bar{nm=\"val\"})[5m:]",
    "(foo + bar{nm=\"val\"})[5m:] offset 10m",
    "(foo + bar{nm=\"val\"} @ 1234)[5m:] @ 1603775019",
    "foo @ start()",
    "foo @ end()",
    "test[5y] @ start()",
    "test[5y] @ end()",
    "foo[10m:6s] @ start()",
    "foo[10m:6s] @ end()",
    "start()",
    "end()",
    "start",
    "end",
    "start{end=\"foo\"}",
    "end{start=\"foo\"}",
    "foo unless on(start) bar",
    "foo unless on(end) bar",
    "info(rate(http_request_counter_total{}[5m]))",
    "info(http_request_counter_total{namespace=\"zzz\"}, {foo=\"bar\", bar=\"baz\"})",
    "foo[11s+10s-5*2^2]",
    "foo[-(10s-5s)+20s]",
    "foo[-10s+15s]",
    "foo[step()]",
    "foo[  -  step  (  )  ]",
    "foo[   step  (  )  ]",
    "foo[-step()]",
    "foo offset step()",
    "foo offset -step()",
    "foo[max_of(step(),5s)]",
    "foo offset max_of(step(),5s)",
    "foo offset -min_of(5s,step()+8s)",
    "foo[range()]",
    "foo[2m/range()]",
    "foo[-range()]",
    "foo offset range()",
    "foo offset -range()",
    "foo[max_of(range(),5s)]",
    "foo[4s+4s:1s*2] offset (5s-8)",
    "foo offset 5s-8",
    "rate(foo[2m+2m])",
    "foo offset -1^1",
    "foo offset -(1^2)",
    "foo offset (-1^2)",
    "foo[-2^2]",
    "foo[0+-2^2]",
    "(sum(foo))",
    "(sum(foo) )",
    "(sum(foo) by (bar))",
    "(sum by (bar) (foo))",
    "sum by (job)(rate(http_requests_total[30m]))",
];

fn same(a: &Expr, b: &Expr) -> bool {
    format!("{:?}", a.without_positions()) == format!("{:?}", b.without_positions())
}

fn p(q: &str) -> Expr {
    match parse(q) {
        Ok(e) => e,
        Err(e) => panic!("{q:?}: {e}"),
    }
}

#[test]
fn canonical_format() {
    let mut bad = Vec::new();
    for (input, want) in FORMAT {
        match parse(input) {
            Ok(e) if e.to_string() == *want => {}
            Ok(e) => bad.push(format!("{input:?}: printed {e}, want {want}")),
            Err(e) => bad.push(format!("{input:?}: {e}")),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn valid_round_trip() {
    let mut bad = Vec::new();
    for input in VALID.iter().chain(FORMAT.iter().map(|(i, _)| i)) {
        let e = match parse(input) {
            Ok(e) => e,
            Err(err) => {
                bad.push(format!("{input:?}: {err}"));
                continue;
            }
        };
        let printed = e.to_string();
        match parse(&printed) {
            Ok(e2) if same(&e, &e2) => {}
            Ok(_) => bad.push(format!("{input:?}: {printed} parses differently")),
            Err(err) => bad.push(format!("{input:?}: {printed}: {err}")),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn binary(e: &Expr) -> (&Expr, BinaryOp, &Expr) {
    match e {
        Expr::Binary(b) => (&b.lhs, b.op, &b.rhs),
        other => panic!("not binary: {other:?}"),
    }
}

fn number(e: &Expr) -> f64 {
    match e {
        Expr::NumberLiteral(n) => n.val,
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn precedence() {
    let e = p("1 + 2 * 3");
    let (l, op, r) = binary(&e);
    assert_eq!((number(l), op), (1.0, BinaryOp::Add));
    assert_eq!(binary(r).1, BinaryOp::Mul);

    // `^` is right-associative.
    let e = p("2 ^ 3 ^ 2");
    let (l, op, r) = binary(&e);
    assert_eq!(
        (number(l), op, binary(r).1),
        (2.0, BinaryOp::Pow, BinaryOp::Pow)
    );

    // Unary minus binds like `*`: looser than `^`, tighter than `+`.
    match p("-2 ^ 2") {
        Expr::Unary(u) => {
            assert_eq!(u.op, UnaryOp::Sub);
            assert_eq!(binary(&u.expr).1, BinaryOp::Pow);
        }
        other => panic!("{other:?}"),
    }
    let e = p("-2 * 3");
    assert_eq!(number(binary(&e).0), -2.0);

    // Set operators: `or` is weakest, `and`/`unless` above it.
    let e = p("a or b and c unless d");
    let (_, op, r) = binary(&e);
    assert_eq!(op, BinaryOp::Or);
    assert_eq!(binary(r).1, BinaryOp::Unless);

    // Comparisons bind looser than arithmetic.
    let e = p("a > b + 1");
    assert_eq!(binary(&e).1, BinaryOp::Gtr);
    assert_eq!(binary(binary(&e).2).1, BinaryOp::Add);

    // `atan2` sits with `*`.
    let e = p("a + b atan2 c");
    assert_eq!(binary(binary(&e).2).1, BinaryOp::Atan2);
}

#[test]
fn modifiers_bind_to_the_nearest_operand() {
    let e = p("a + b offset 5m");
    match binary(&e).2 {
        Expr::VectorSelector(vs) => assert_eq!(vs.offset, 300_000_000_000),
        other => panic!("{other:?}"),
    }
    // A number after `offset` ends the modifier.
    let e = p("foo offset 100 + 2");
    let (l, op, r) = binary(&e);
    assert_eq!((op, number(r)), (BinaryOp::Add, 2.0));
    match l {
        Expr::VectorSelector(vs) => assert_eq!(vs.offset, 100_000_000_000),
        other => panic!("{other:?}"),
    }
    // Parentheses take the whole duration expression.
    match p("foo offset (100 + 2)") {
        Expr::VectorSelector(vs) => assert!(vs.offset_expr.is_some()),
        other => panic!("{other:?}"),
    }
    match p("foo @ start()") {
        Expr::VectorSelector(vs) => assert_eq!(vs.at, Some(AtModifier::Start)),
        other => panic!("{other:?}"),
    }
    match p("foo[5m] @ 1.5") {
        Expr::MatrixSelector(m) => match m.vector.as_ref() {
            Expr::VectorSelector(vs) => assert_eq!(vs.at, Some(AtModifier::Timestamp(1500))),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn vector_matching() {
    let e = p("a * on(x, y) group_left(z) b");
    match &e {
        Expr::Binary(b) => {
            let m = b.matching.as_ref().expect("matching");
            assert!(m.on);
            assert_eq!(m.card, Cardinality::ManyToOne);
            assert_eq!(m.matching_labels, ["x", "y"]);
            assert_eq!(m.include, ["z"]);
        }
        other => panic!("{other:?}"),
    }
    match p("a and b") {
        Expr::Binary(b) => assert_eq!(b.matching.map(|m| m.card), Some(Cardinality::ManyToMany)),
        other => panic!("{other:?}"),
    }
    // Scalar operands drop the matching.
    match p("a > bool 1") {
        Expr::Binary(b) => {
            assert!(b.return_bool);
            assert!(b.matching.is_none());
        }
        other => panic!("{other:?}"),
    }
    match p("a + fill_left(1) fill_right(-2) b") {
        Expr::Binary(b) => {
            let m = b.matching.expect("matching");
            assert_eq!((m.fill_lhs, m.fill_rhs), (Some(1.0), Some(-2.0)));
        }
        other => panic!("{other:?}"),
    }
    // `fill` not followed by `(` is an ordinary name.
    assert!(matches!(p("fill"), Expr::VectorSelector(_)));
}

#[test]
fn aggregations() {
    for q in ["sum by (a) (x)", "sum(x) by (a)"] {
        match p(q) {
            Expr::Aggregate(a) => {
                assert_eq!(a.op, AggregateOp::Sum);
                assert_eq!(a.grouping, ["a"]);
                assert!(!a.without);
            }
            other => panic!("{other:?}"),
        }
    }
    match p("topk(3, x)") {
        Expr::Aggregate(a) => assert_eq!(a.param.map(|p| number(&p)), Some(3.0)),
        other => panic!("{other:?}"),
    }
    match p(r#"count_values without ("a.b") ("l", x)"#) {
        Expr::Aggregate(a) => {
            assert!(a.without);
            assert_eq!(a.grouping, ["a.b"]);
        }
        other => panic!("{other:?}"),
    }
    // An aggregation keyword alone is a metric name.
    assert!(matches!(p("sum"), Expr::VectorSelector(_)));
}

#[test]
fn literals() {
    assert_eq!(number(&p("0x1f")), 31.0);
    assert_eq!(number(&p("1_000")), 1000.0);
    assert_eq!(number(&p("1e3")), 1000.0);
    assert_eq!(number(&p(".5")), 0.5);
    assert!(number(&p("-Inf")).is_infinite());
    assert!(number(&p("nAn")).is_nan());
    assert_eq!(number(&p("1h30m")), 5400.0);
    assert_eq!(p("1h30m").to_string(), "1h30m");
    match p(r#""\x41\u00e9\U0001F600\101\n""#) {
        Expr::StringLiteral(s) => assert_eq!(s.val, "Aé😀A\n"),
        other => panic!("{other:?}"),
    }
    match p(r"`a\nb`") {
        Expr::StringLiteral(s) => assert_eq!(s.val, "a\\nb"),
        other => panic!("{other:?}"),
    }
    // Two adjacent strings are not one.
    assert_eq!(
        parse("'it''s'").map_err(|e| e.to_string()),
        Err("1:5: parse error: unexpected string \"'s'\"".to_string())
    );
}

#[test]
fn selectors() {
    match p(r#"{"my.metric", "le"="0.5"}"#) {
        Expr::VectorSelector(vs) => {
            assert_eq!(vs.name, "");
            assert_eq!(vs.matchers.len(), 2);
            assert_eq!(vs.to_string_lossy(), r#"{__name__="my.metric",le="0.5"}"#);
        }
        other => panic!("{other:?}"),
    }
    match p("foo:bar{a=~'b.*'} # trailing comment") {
        Expr::VectorSelector(vs) => {
            assert_eq!(vs.name, "foo:bar");
            assert_eq!(vs.matchers.len(), 2);
        }
        other => panic!("{other:?}"),
    }
}

trait Lossy {
    fn to_string_lossy(&self) -> String;
}

impl Lossy for vigil_promql::VectorSelector {
    fn to_string_lossy(&self) -> String {
        Expr::VectorSelector(self.clone()).to_string()
    }
}

#[test]
fn types() {
    assert_eq!(p("1").type_of(), ValueType::Scalar);
    assert_eq!(p("\"s\"").type_of(), ValueType::String);
    assert_eq!(p("foo").type_of(), ValueType::Vector);
    assert_eq!(p("foo[5m]").type_of(), ValueType::Matrix);
    assert_eq!(p("foo[5m:]").type_of(), ValueType::Matrix);
    assert_eq!(p("time()").type_of(), ValueType::Scalar);
    assert_eq!(p("1 + foo").type_of(), ValueType::Vector);
    assert_eq!(p("1 + 2").type_of(), ValueType::Scalar);
}

#[test]
fn feature_flags() {
    let strict = ParseOptions::default();
    let err = |q: &str| match parse_with(q, strict) {
        Ok(e) => panic!("{q:?} parsed as {e}"),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        err("sort_by_label(x, \"a\")"),
        "1:1: parse error: function \"sort_by_label\" is not enabled"
    );
    assert_eq!(
        err("limitk(1, x)"),
        "1:1: parse error: limitk() is experimental and must be enabled with --enable-feature=promql-experimental-functions"
    );
    assert_eq!(
        err("foo[5m+1m]"),
        "1:5: parse error: experimental duration expression is not enabled"
    );
    assert_eq!(
        err("foo[5m] anchored"),
        "1:1: parse error: anchored modifier is experimental and not enabled"
    );
    assert_eq!(
        err("a + fill(0) b"),
        "1:1: parse error: binop fill modifiers are experimental and not enabled"
    );
    assert!(parse_with("rate(foo[5m])", strict).is_ok());
}

#[test]
fn metric_selectors() {
    use vigil_promql::parse_metric_selector;
    let ms = parse_metric_selector(r#"foo{bar="baz", "a.b"=~"x.*"}"#).expect("parses");
    assert_eq!(ms.len(), 3);
    assert_eq!(ms[2].name(), "__name__");
    assert!(parse_metric_selector("{}").is_ok_and(|m| m.is_empty()));
    let err = |q: &str| {
        parse_metric_selector(q)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        err("foo + bar"),
        Err("1:5: parse error: unexpected <op:+>".into())
    );
    assert_eq!(
        err(""),
        Err("1:1: parse error: unexpected end of input".into())
    );
    assert_eq!(
        err("rate(x[5m])"),
        Err("1:5: parse error: unexpected \"(\"".into())
    );
}

#[test]
fn fill_values_print_like_go() {
    assert_eq!(p("a + fill(1000000) b").to_string(), "a + fill (1e+06) b");
    assert_eq!(p("a + fill(-0.5) b").to_string(), "a + fill (-0.5) b");
    assert_eq!(
        p("a + fill_left(1) fill_right(0.00001) b").to_string(),
        "a + fill_left (1) fill_right (1e-05) b"
    );
    assert_eq!(p("a + fill(Inf) b").to_string(), "a + fill (+Inf) b");
}

#[test]
fn children_in_source_order() {
    let e = p("topk(3, rate(foo[5m]) + bar)");
    let kids = e.children();
    assert_eq!(kids.len(), 2);
    assert_eq!(kids[0].to_string(), "3");
    assert_eq!(kids[1].children().len(), 2);
    // Positions point back into the query.
    let q = "sum(rate(foo[5m]))";
    let e = p(q);
    let call = e.children()[0];
    let pos = call.pos();
    assert_eq!(&q[pos.start..pos.end], "rate(foo[5m])");
}

#[test]
fn strings_keep_bytes_that_are_not_utf8() {
    match p(r#""a\xc5z""#) {
        Expr::StringLiteral(s) => {
            assert_eq!(s.bytes.as_deref(), Some(&b"a\xc5z"[..]));
            assert_eq!(s.val, "a\u{fffd}z");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p(r#""a\xc5z""#).to_string(), r#""a\xc5z""#);
    match p(r#""plain""#) {
        Expr::StringLiteral(s) => assert!(s.bytes.is_none()),
        other => panic!("{other:?}"),
    }
}
