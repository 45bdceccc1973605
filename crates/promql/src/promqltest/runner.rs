//! Running a parsed script against an [`Engine`]: each `eval` is one case.
//!
//! An instant `eval` runs as the reference runner runs it: the query at its
//! time, then (unless the query uses a function whose value depends on the
//! evaluation time) the same query with `@ <time>` fixed on every selector
//! and subquery outside subqueries, evaluated at other times, which must
//! give the same result; and each of those once more as a range query over
//! the surrounding minute, whose middle step must match too.

use std::panic::{AssertUnwindSafe, catch_unwind};

use regex::Regex;

use super::compare::{assert_sorted, compare_result};
use super::load::apply_load;
use super::script::{Command, EvalCmd, EvalKind, ExpectKind, MessageMatch, Script, parse_script};
use super::storage::MemStorage;
use crate::ast::{AtModifier, Expr};
use crate::engine::{Engine, QueryError, QueryResult};
use crate::storage::Queryable;
use crate::value::{Sample, Value};

/// Functions whose result depends on the evaluation time even when their
/// arguments do not, so fixing `@` cannot keep the result the same.
const AT_UNSAFE_FUNCTIONS: [&str; 15] = [
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "end",
    "hour",
    "minute",
    "month",
    "year",
    "predict_linear",
    "range",
    "start",
    "step",
    "time",
    "timestamp",
];

/// The outcome of one `eval`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// 1-based line of the `eval` (or of the command that broke the file).
    pub line: usize,
    /// The query (or a description of the failed command).
    pub expr: String,
    /// `Err` with the reason when the case failed.
    pub outcome: Result<(), String>,
}

/// The outcome of a whole script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The name the script was run under (usually its file name).
    pub name: String,
    /// One entry per `eval`, plus one per failed `load` and one for a
    /// script that does not parse.
    pub cases: Vec<CaseResult>,
}

impl FileReport {
    /// Number of passed cases.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.outcome.is_ok()).count()
    }

    /// Number of failed cases.
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }
}

/// Parses and runs `input`. Never panics on a malformed script: a script
/// that does not parse gives one failed case at the offending line.
pub fn run_script(name: &str, input: &str, engine: &Engine) -> FileReport {
    run_script_lines(name, input, engine, None)
}

/// Which storage the `eval`s of a script read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// The in-memory reference storage ([`MemStorage`]).
    #[default]
    Memory,
    /// Vigil's TSDB head, loaded with the same samples: checks the engine
    /// over the real storage (chunks, histogram chunk headers, staleness).
    Head,
}

/// Like [`run_script`], with the evaluations reading `backend`.
pub fn run_script_on(name: &str, input: &str, engine: &Engine, backend: Backend) -> FileReport {
    let mut report = FileReport {
        name: name.to_string(),
        cases: Vec::new(),
    };
    match parse_script(input) {
        Ok(script) => run_parsed(&script, engine, None, backend, &mut report),
        Err(e) => report.cases.push(CaseResult {
            line: e.line,
            expr: "<script>".into(),
            outcome: Err(e.to_string()),
        }),
    }
    report
}

/// A head holding exactly what `mem` holds.
fn head_of(mem: &MemStorage) -> Result<vigil_tsdb::head::Head, String> {
    use vigil_tsdb::head::{Head, HeadOptions};
    // A chunk range so wide that no load is out of bounds.
    let head = Head::in_memory(HeadOptions {
        chunk_range: 1 << 50,
        ..HeadOptions::default()
    });
    for (labels, floats, hists) in mem.series_samples() {
        let mut app = head.appender();
        let (mut fi, mut hi) = (floats.iter().peekable(), hists.iter().peekable());
        loop {
            let float_next = match (fi.peek(), hi.peek()) {
                (Some(f), Some(h)) => f.t < h.t,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let r = if float_next {
                fi.next().map(|p| app.append(labels, p.t, p.f))
            } else {
                hi.next()
                    .map(|p| app.append_float_histogram(labels, p.t, &p.h))
            };
            if let Some(Err(e)) = r {
                return Err(format!("loading {labels} into the head: {e}"));
            }
        }
        app.commit().map_err(|e| e.to_string())?;
    }
    Ok(head)
}

/// Like [`run_script`], but when `only` is given, runs just the `eval`s
/// starting on those lines (every `load` and `clear` still runs, so the
/// data is what the case sees in a full run).
pub fn run_script_lines(
    name: &str,
    input: &str,
    engine: &Engine,
    only: Option<&[usize]>,
) -> FileReport {
    let mut report = FileReport {
        name: name.to_string(),
        cases: Vec::new(),
    };
    match parse_script(input) {
        Ok(script) => run_parsed(&script, engine, only, Backend::Memory, &mut report),
        Err(e) => report.cases.push(CaseResult {
            line: e.line,
            expr: "<script>".into(),
            outcome: Err(format!("script does not parse: {}", e.msg)),
        }),
    }
    report
}

fn run_parsed(
    script: &Script,
    engine: &Engine,
    only: Option<&[usize]>,
    backend: Backend,
    report: &mut FileReport,
) {
    let mut storage = MemStorage::new();
    // The head mirror of `storage`, rebuilt after each load or clear.
    let mut head: Option<Result<vigil_tsdb::head::Head, String>> = None;
    for cmd in &script.commands {
        match cmd {
            Command::Clear => {
                storage.clear();
                head = None;
            }
            Command::Load(load) => {
                head = None;
                if let Err(e) = apply_load(&mut storage, load) {
                    report.cases.push(CaseResult {
                        line: load.line,
                        expr: "<load>".into(),
                        outcome: Err(format!("load failed: {e}")),
                    });
                }
            }
            Command::Eval(ev) if only.is_some_and(|l| !l.contains(&ev.line)) => {}
            Command::Eval(ev) => {
                // The engine is another component: if it panics, that is
                // this case's failure, not the end of the run.
                let read: Result<&dyn Queryable, String> = match backend {
                    Backend::Memory => Ok(&storage),
                    Backend::Head => match head.get_or_insert_with(|| head_of(&storage)) {
                        Ok(h) => Ok(h),
                        Err(e) => Err(e.clone()),
                    },
                };
                let read = match read {
                    Ok(r) => r,
                    Err(e) => {
                        report.cases.push(CaseResult {
                            line: ev.line,
                            expr: ev.expr.clone(),
                            outcome: Err(e),
                        });
                        continue;
                    }
                };
                let outcome = catch_unwind(AssertUnwindSafe(|| run_eval(ev, engine, read)))
                    .unwrap_or_else(|p| {
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_string()))
                            .unwrap_or_default();
                        Err(format!("panic during evaluation: {msg}"))
                    });
                report.cases.push(CaseResult {
                    line: ev.line,
                    expr: ev.expr.clone(),
                    outcome,
                });
            }
        }
    }
}

/// Runs one `eval` against `storage`.
pub fn run_eval(cmd: &EvalCmd, engine: &Engine, storage: &dyn Queryable) -> Result<(), String> {
    // Upstream refuses a script whose query does not parse, so such a
    // query never counts as an expected failure.
    crate::parse(&cmd.expr).map_err(|e| format!("query {:?} does not parse: {e}", cmd.expr))?;
    match cmd.kind {
        EvalKind::Range { start, end, step } => {
            let res = engine.range_query(storage, &cmd.expr, start, end, step);
            let Some(res) = check_failure(cmd, &cmd.expr, res)? else {
                return Ok(());
            };
            check_annotations(cmd, &cmd.expr, &res)?;
            compare_result(cmd, &res.value)
                .map_err(|e| format!("error in eval {} (line {}): {e}", cmd.expr, cmd.line))
        }
        EvalKind::Instant { .. } => {
            let t = cmd.eval_time();
            let mut queries = vec![(cmd.expr.clone(), t)];
            queries.extend(at_modifier_cases(&cmd.expr, t)?);
            for (expr, at) in &queries {
                run_instant(cmd, engine, storage, expr, *at)?;
            }
            Ok(())
        }
    }
}

/// Handles an expected or unexpected error; `Ok(None)` when the case is
/// settled (an expected failure happened), `Ok(Some(res))` to go on.
fn check_failure(
    cmd: &EvalCmd,
    expr: &str,
    res: Result<QueryResult, QueryError>,
) -> Result<Option<QueryResult>, String> {
    match res {
        Err(e) if cmd.is_fail() => check_expected_failure(cmd, &e.to_string()).map(|()| None),
        Err(e) => Err(format!(
            "error evaluating query {expr:?} (line {}): {e}",
            cmd.line
        )),
        Ok(_) if cmd.is_fail() => Err(format!(
            "expected error evaluating query {expr:?} (line {}) but got none",
            cmd.line
        )),
        Ok(r) => Ok(Some(r)),
    }
}

fn check_expected_failure(cmd: &EvalCmd, msg: &str) -> Result<(), String> {
    if let Some(exp) = &cmd.expected_fail_message {
        if exp != msg {
            return Err(format!(
                "expected error {exp:?} evaluating query {:?} (line {}), but got: {msg}",
                cmd.expr, cmd.line
            ));
        }
    }
    if let Some(re) = &cmd.expected_fail_regexp {
        if !re.is_match(msg) {
            return Err(format!(
                "expected error matching pattern {:?} evaluating query {:?} (line {}), but got: {msg}",
                re.as_str(),
                cmd.expr,
                cmd.line
            ));
        }
    }
    if let Some(m) = cmd.expects_of(ExpectKind::Fail).next() {
        if !m.matches(msg) {
            return Err(format!(
                "expected error matching {} evaluating query {:?} (line {}), but got: {msg}",
                m.describe(),
                cmd.expr,
                cmd.line
            ));
        }
    }
    Ok(())
}

fn check_annotations(cmd: &EvalCmd, expr: &str, res: &QueryResult) -> Result<(), String> {
    let line = cmd.line;
    if cmd.legacy_warn && res.warnings.is_empty() {
        return Err(format!(
            "expected warnings evaluating query {expr:?} (line {line}) but got none"
        ));
    }
    if cmd.legacy_info && res.infos.is_empty() {
        return Err(format!(
            "expected info annotations evaluating query {expr:?} (line {line}) but got none"
        ));
    }
    let warn: Vec<&MessageMatch> = cmd.expects_of(ExpectKind::Warn).collect();
    validate_annotations(expr, &warn, &res.warnings, line, "warn")?;
    let info: Vec<&MessageMatch> = cmd.expects_of(ExpectKind::Info).collect();
    validate_annotations(expr, &info, &res.infos, line, "info")?;
    if cmd.has(ExpectKind::NoWarn) && !res.warnings.is_empty() {
        return Err(format!(
            "unexpected warning annotations evaluating query {expr:?} (line {line}): {:?}",
            res.warnings
        ));
    }
    if cmd.has(ExpectKind::NoInfo) && !res.infos.is_empty() {
        return Err(format!(
            "unexpected info annotations evaluating query {expr:?} (line {line}): {:?}",
            res.infos
        ));
    }
    Ok(())
}

/// Every expectation must match some annotation and every annotation some
/// expectation (when there are expectations of this type at all).
fn validate_annotations(
    expr: &str,
    expected: &[&MessageMatch],
    actual: &[String],
    line: usize,
    what: &str,
) -> Result<(), String> {
    if expected.is_empty() {
        return Ok(());
    }
    if actual.is_empty() {
        return Err(format!(
            "expected {what} annotations but none were found for query {expr:?} (line {line})"
        ));
    }
    for e in expected {
        if !actual.iter().any(|a| e.matches(a)) {
            return Err(format!(
                "expected {what} annotation matching {} but no matching annotation was found \
                 for query {expr:?} (line {line}), found: {actual:?}",
                e.describe()
            ));
        }
    }
    for a in actual {
        if !expected.iter().any(|e| e.matches(a)) {
            return Err(format!(
                "unexpected {what} annotation {a:?} found for query {expr} (line {line})"
            ));
        }
    }
    Ok(())
}

fn run_instant(
    cmd: &EvalCmd,
    engine: &Engine,
    storage: &dyn Queryable,
    expr: &str,
    t: i64,
) -> Result<(), String> {
    let res = engine.instant_query(storage, expr, t);
    let Some(res) = check_failure(cmd, expr, res)? else {
        return Ok(());
    };
    check_annotations(cmd, expr, &res)?;
    compare_result(cmd, &res.value)
        .map_err(|e| format!("error in eval {expr} at {t} (line {}): {e}", cmd.line))?;
    if cmd.exclude_from_range_query || uses_query_context(expr) {
        return Ok(());
    }
    // The same query in range mode must give the same value at `t`.
    let range = engine
        .range_query(storage, expr, t - 60_000, t + 60_000, 60_000)
        .map_err(|e| {
            format!(
                "error evaluating query {expr:?} (line {}) in range mode: {e}",
                cmd.line
            )
        })?;
    if cmd.is_ordered() {
        // Range results are always sorted by labels.
        return Ok(());
    }
    let Value::Matrix(m) = &range.value else {
        return Err(format!(
            "range query for {expr:?} (line {}) did not return a matrix",
            cmd.line
        ));
    };
    assert_sorted(m)?;
    let mut vec = Vec::new();
    for s in m {
        if let Some(p) = s.floats.iter().find(|p| p.t == t) {
            vec.push(Sample {
                metric: s.metric.clone(),
                t,
                f: p.f,
                h: None,
                drop_name: false,
            });
        }
        if let Some(p) = s.histograms.iter().find(|p| p.t == t) {
            vec.push(Sample {
                metric: s.metric.clone(),
                t,
                f: 0.0,
                h: Some(p.h.clone()),
                drop_name: false,
            });
        }
    }
    let as_value = if matches!(res.value, Value::Scalar { .. }) {
        let v = vec
            .first()
            .map(|s| s.f)
            .ok_or_else(|| format!("range mode of {expr:?} returned no point at {t}"))?;
        Value::Scalar { t, v }
    } else {
        Value::Vector(vec)
    };
    compare_result(cmd, &as_value)
        .map_err(|e| format!("error in eval {expr} (line {}) range mode: {e}", cmd.line))
}

/// Whether the query calls `start()`, `end()`, `range()` or `step()`,
/// which a range query resolves differently.
fn uses_query_context(expr: &str) -> bool {
    Regex::new(r"(start|end|range|step)\(\)").is_ok_and(|re| re.is_match(expr))
}

/// The extra instant queries checking step invariance: the expression with
/// `@ t` on every selector and subquery outside subqueries, at other times.
fn at_modifier_cases(expr: &str, t: i64) -> Result<Vec<(String, i64)>, String> {
    let mut e = crate::parse(expr).map_err(|e| format!("query does not parse: {e}"))?;
    if calls_unsafe_function(&e) {
        return Ok(Vec::new());
    }
    set_at(&mut e, t);
    let text = e.to_string();
    let times = if t == 0 {
        vec![-1000, 0, 1000]
    } else {
        vec![t.saturating_mul(-10), 0, t / 5, t, t.saturating_mul(10)]
    };
    Ok(times.into_iter().map(|at| (text.clone(), at)).collect())
}

fn calls_unsafe_function(e: &Expr) -> bool {
    if let Expr::Call(c) = e {
        if AT_UNSAFE_FUNCTIONS.contains(&c.func.name) {
            return true;
        }
    }
    e.children().into_iter().any(calls_unsafe_function)
}

fn fix_at(at: &mut Option<AtModifier>, t: i64) {
    if !matches!(at, Some(AtModifier::Timestamp(_))) {
        *at = Some(AtModifier::Timestamp(t));
    }
}

fn set_at(e: &mut Expr, t: i64) {
    match e {
        Expr::VectorSelector(vs) => fix_at(&mut vs.at, t),
        Expr::MatrixSelector(ms) => set_at(&mut ms.vector, t),
        // Selectors inside a subquery keep their own time: the subquery's
        // `@` fixes the whole of it.
        Expr::Subquery(sq) => fix_at(&mut sq.at, t),
        Expr::Call(c) => c.args.iter_mut().for_each(|a| set_at(a, t)),
        Expr::Aggregate(a) => {
            if let Some(p) = a.param.as_deref_mut() {
                set_at(p, t);
            }
            set_at(&mut a.expr, t);
        }
        Expr::Binary(b) => {
            set_at(&mut b.lhs, t);
            set_at(&mut b.rhs, t);
        }
        Expr::Unary(u) => set_at(&mut u.expr, t),
        Expr::Paren(p) => set_at(&mut p.expr, t),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Duration(_) => {}
    }
}

#[cfg(test)]
#[path = "runner_tests.rs"]
mod tests;
