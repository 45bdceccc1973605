use super::*;

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

#[test]
fn expected_failures_pass_with_a_failing_engine() {
    let engine = Engine::default();
    let r = run_script(
        "x.test",
        "eval instant at 0 topk(NaN, m)\n  expect fail\n",
        &engine,
    );
    assert_eq!(r.passed(), 1, "{r:?}");
    // A query that does not parse is a failure even when one is expected.
    let r = run_script("x.test", "eval instant at 0 foo(\n  expect fail\n", &engine);
    assert_eq!(r.failed(), 1, "{r:?}");
}
