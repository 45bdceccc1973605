use super::*;
use crate::promqltest::script::Command;

#[test]
fn at_modifier_rewrite() {
    let cases = at_modifier_cases(
        "sum(rate(m[5m])) + m @ 10 + max_over_time(rate(m[1m])[5m:1m])",
        60_000,
    )
    .unwrap();
    let (expr, _) = cases.first().cloned().unwrap();
    assert_eq!(
        expr,
        "sum(rate(m[5m] @ 60.000)) + m @ 10.000 + max_over_time(rate(m[1m])[5m:1m] @ 60.000)"
    );
    let times: Vec<i64> = cases.iter().map(|c| c.1).collect();
    assert_eq!(times, vec![-600_000, 0, 12_000, 60_000, 600_000]);
    let zero: Vec<i64> = at_modifier_cases("m", 0)
        .unwrap()
        .iter()
        .map(|c| c.1)
        .collect();
    assert_eq!(zero, vec![-1000, 0, 1000]);
    assert!(at_modifier_cases("time() + m", 1000).unwrap().is_empty());
    assert!(at_modifier_cases("timestamp(m)", 1000).unwrap().is_empty());
    let start = at_modifier_cases("m @ start()", 1000).unwrap();
    assert_eq!(start.first().map(|c| c.0.as_str()), Some("m @ 1.000"));
}

#[test]
fn query_context_functions() {
    assert!(uses_query_context("m offset step()"));
    assert!(!uses_query_context("rate(m[5m])"));
}

#[test]
fn malformed_script_gives_a_failed_case() {
    let engine = Engine::default();
    let r = run_script("x.test", "load 1m\n  m 1\n\nbogus line\n", &engine);
    assert_eq!(r.cases.len(), 1);
    assert_eq!(r.cases.first().map(|c| c.line), Some(4));
    assert_eq!(r.failed(), 1);
}

#[test]
fn load_errors_are_reported() {
    let engine = Engine::default();
    let r = run_script("x.test", "load 1m\n  m 1 2\n\nload 1m\n  m 5\n", &engine);
    let lines: Vec<usize> = r.cases.iter().map(|c| c.line).collect();
    assert_eq!(lines, vec![4]);
}

fn eval_of(script: &str) -> EvalCmd {
    let s = crate::promqltest::parse_script(script).unwrap();
    match s.commands.into_iter().next() {
        Some(Command::Eval(e)) => *e,
        other => panic!("eval expected, got {other:?}"),
    }
}

fn failed(msg: &str) -> Result<QueryResult, QueryError> {
    Err(QueryError::Eval(msg.into()))
}

fn ok_result() -> Result<QueryResult, QueryError> {
    Ok(QueryResult {
        value: Value::Vector(Vec::new()),
        warnings: vec!["PromQL warning: w (1:1)".into()],
        infos: Vec::new(),
        stats: Default::default(),
    })
}

#[test]
fn expected_failures() {
    let any = eval_of("eval instant at 0 m\n  expect fail\n");
    assert!(matches!(check_failure(&any, "m", failed("boom")), Ok(None)));
    assert!(check_failure(&any, "m", ok_result()).is_err());
    let msg = eval_of("eval instant at 0 m\n  expect fail msg: boom\n");
    assert!(matches!(check_failure(&msg, "m", failed("boom")), Ok(None)));
    assert!(check_failure(&msg, "m", failed("boom!")).is_err());
    let re = eval_of("eval instant at 0 m\n  expect fail regex: bo+m\n");
    assert!(matches!(
        check_failure(&re, "m", failed("a boom!")),
        Ok(None)
    ));
    let legacy = eval_of("eval_fail instant at 0 m\n  expected_fail_regexp ^b\n");
    assert!(matches!(
        check_failure(&legacy, "m", failed("boom")),
        Ok(None)
    ));
    assert!(check_failure(&legacy, "m", failed("xboom")).is_err());
    let none = eval_of("eval instant at 0 m\n");
    assert!(check_failure(&none, "m", failed("boom")).is_err());
    assert!(matches!(
        check_failure(&none, "m", ok_result()),
        Ok(Some(_))
    ));
}

#[test]
fn annotation_expectations() {
    let res = ok_result().unwrap();
    let check = |script: &str| check_annotations(&eval_of(script), "m", &res);
    assert!(check("eval instant at 0 m\n").is_ok());
    assert!(check("eval instant at 0 m\n  expect warn\n").is_ok());
    assert!(check("eval instant at 0 m\n  expect warn msg: PromQL warning: w (1:1)\n").is_ok());
    assert!(check("eval instant at 0 m\n  expect warn msg: PromQL warning: w\n").is_err());
    assert!(check("eval instant at 0 m\n  expect no_warn\n").is_err());
    assert!(check("eval instant at 0 m\n  expect info\n").is_err());
    assert!(check("eval instant at 0 m\n  expect no_info\n").is_ok());
    assert!(check("eval_warn instant at 0 m\n").is_ok());
    assert!(check("eval_info instant at 0 m\n").is_err());
    // Every annotation must be matched once warn lines are given.
    assert!(check("eval instant at 0 m\n  expect warn regex: nothing\n").is_err());
}

#[test]
fn malformed_queries_fail_even_when_failure_is_expected() {
    let engine = Engine::default();
    let r = run_script("x.test", "eval instant at 0 foo(\n  expect fail\n", &engine);
    assert_eq!(r.failed(), 1, "{r:?}");
}
