use super::*;

const SCRIPT: &str = r#"
# comment
load 1m
    metric{a="1"} 1+1x3
    metric{a="2"} _ 2

load_with_nhcb 30s
    h_bucket{le="1"} 1

eval instant at 1m30s metric
    expect no_info
    expect warn msg: PromQL warning: boom (1:1)
    expect warn regex: foo.*
    metric{a="1"} 2
    metric{a="2"} 2

eval range from 0 to 2m step 1m metric{a="2"}
    metric{a="2"} _ 2 2

eval instant at 0 1 + 1
    2

eval_fail instant at 0 foo(
    expected_fail_message parse error

eval instant at 1m metric[1m]
    expect range vector from 30s to 1m step 30s
    metric{a="1"} 1 2

eval instant at 0 "x"
    expect string "x"

clear
"#;

fn evals(s: &Script) -> Vec<&EvalCmd> {
    s.commands
        .iter()
        .filter_map(|c| match c {
            Command::Eval(e) => Some(e.as_ref()),
            _ => None,
        })
        .collect()
}

#[test]
fn parses_all_commands() {
    let s = parse_script(SCRIPT).unwrap();
    assert_eq!(s.commands.len(), 9);
    let Some(Command::Load(l)) = s.commands.first() else {
        panic!("load expected")
    };
    assert_eq!(
        (l.line, l.interval, l.with_nhcb, l.series.len()),
        (3, 60_000, false, 2)
    );
    let Some(Command::Load(l)) = s.commands.get(1) else {
        panic!("load expected")
    };
    assert!(l.with_nhcb);
    assert!(matches!(s.commands.last(), Some(Command::Clear)));

    let e = evals(&s);
    let first = e.first().copied().unwrap();
    assert_eq!(first.line, 10);
    assert_eq!(first.kind, EvalKind::Instant { at: 90_000 });
    assert_eq!(first.expr, "metric");
    assert_eq!(first.expects.len(), 3);
    assert!(first.has(ExpectKind::NoInfo));
    assert_eq!(first.expects_of(ExpectKind::Warn).count(), 2);
    let Expected::Series(series) = &first.expected else {
        panic!("series expected")
    };
    // Positions skip the expect lines.
    assert_eq!(series.iter().map(|s| s.pos).collect::<Vec<_>>(), vec![1, 2]);

    let range = e.get(1).copied().unwrap();
    assert_eq!(
        range.kind,
        EvalKind::Range {
            start: 0,
            end: 120_000,
            step: 60_000
        }
    );
    assert!(matches!(e.get(2).map(|e| &e.expected), Some(Expected::Scalar(v)) if *v == 2.0));
    let fail = e.get(3).copied().unwrap();
    assert!(fail.is_fail());
    assert_eq!(fail.expected_fail_message.as_deref(), Some("parse error"));
    let rv = e.get(4).copied().unwrap();
    assert_eq!(rv.range_vector, Some((30_000, 60_000, 30_000)));
    assert_eq!(rv.eval_time(), 60_000);
    assert!(rv.exclude_from_range_query);
    assert_eq!(
        e.get(5).and_then(|e| e.expected_string.as_deref()),
        Some("x")
    );
}

#[test]
fn st_lines() {
    let s = parse_script("load 1m\n  m@st _ -30s-1mx1 5s\n  m 1 2 3 4\n").unwrap();
    let Some(Command::Load(l)) = s.commands.first() else {
        panic!("load expected")
    };
    let offsets = l.series.first().and_then(|s| s.start_offsets.clone());
    assert_eq!(
        offsets,
        Some(vec![None, Some(-30_000), Some(-90_000), Some(5_000)])
    );
}

#[test]
fn numbers_like_go() {
    assert_eq!(parse_go_number("0x10"), Some(16.0));
    assert_eq!(parse_go_number("-5"), Some(-5.0));
    assert_eq!(parse_go_number("1e3"), Some(1000.0));
    assert_eq!(parse_go_number("+Inf"), Some(f64::INFINITY));
    assert!(parse_go_number("NaN").is_some_and(f64::is_nan));
    assert_eq!(parse_go_number("{} 1"), None);
    assert_eq!(parse_go_number("metric"), None);
    assert_eq!(parse_go_number("1m"), None);
}

#[test]
fn errors_name_the_line() {
    for (script, line) in [
        ("bogus", 1),
        ("load\n", 1),
        ("load 1x\n m 1", 1),
        ("load 1m\n  m 1x", 2),
        ("\n\neval instant at 1m\n", 3),
        ("eval instant at xx m\n", 1),
        ("eval range from 2m to 1m step 1m m\n", 1),
        ("eval instant at 1m m\n  expect bogus\n", 2),
        ("eval instant at 1m m\n  expect warn\n  expect no_warn\n", 3),
        ("eval instant at 1m m\n  expect fail\n  expect fail\n", 3),
        ("eval instant at 1m m\n  expect warn regex: (\n", 2),
        ("eval instant at 1m m\n  m 1 2\n", 2),
        ("eval instant at 1m m\n  expect string foo\n", 2),
        (
            "eval instant at 1m m\n  expect range vector from 1m to 0 step 1s\n",
            2,
        ),
        ("load 1m\n  m@st 1s\n", 2),
        ("load 1m\n  m@st 1s 2s\n  m 1\n", 2),
        ("load 1m\n  m@st 1s\n  n 1\n", 2),
        ("load 1m\n  m@st 1q\n  m 1\n", 2),
    ] {
        match parse_script(script) {
            Ok(s) => panic!("{script:?} parsed: {s:?}"),
            Err(e) => assert_eq!(e.line, line, "{script:?}: {e}"),
        }
    }
}

#[test]
fn never_panics_on_truncations() {
    for i in 0..=SCRIPT.len() {
        if let Some(prefix) = SCRIPT.get(..i) {
            let _ = parse_script(prefix);
        }
    }
}

#[test]
fn st_sequences() {
    let parse = |s: &str| -> Result<Vec<Option<i64>>, String> {
        let mut out = Vec::new();
        for item in s.split_whitespace() {
            parse_st_item(item, &mut out)?;
        }
        Ok(out)
    };
    assert_eq!(parse("_"), Ok(vec![None]));
    assert_eq!(parse("_x3"), Ok(vec![None, None, None]));
    assert_eq!(parse("0s"), Ok(vec![Some(0)]));
    assert_eq!(parse("-1m"), Ok(vec![Some(-60_000)]));
    assert_eq!(parse("-1mx2"), Ok(vec![Some(-60_000); 3]));
    assert_eq!(
        parse("-1m+15sx2"),
        Ok(vec![Some(-60_000), Some(-45_000), Some(-30_000)])
    );
    assert_eq!(
        parse("30s-10sx2"),
        Ok(vec![Some(30_000), Some(20_000), Some(10_000)])
    );
    assert_eq!(parse("_ -1m"), Ok(vec![None, Some(-60_000)]));
    assert_eq!(parse("-59999msx1"), Ok(vec![Some(-59_999); 2]));
    assert_eq!(parse(""), Ok(vec![]));
    for bad in ["badunit", "_x0", "_x-2", "-1m+15s", "1m*2x3", "-"] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}
