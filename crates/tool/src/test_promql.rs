//! `vigil tool test promql FILE[:LINE]…`: runs Prometheus' PromQL
//! test-script files (the `promqltest` language) and reports every failing
//! case with `file:line`, the query and expected versus got, then one
//! `N passed, N failed` line per file and a total line.

use std::io::Write;

use vigil_promql::engine::Engine;
use vigil_promql::promqltest::{Backend, engine_options, run_script_lines, run_script_on};

/// What a run of script files found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TestPromqlSummary {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
}

/// Groups `FILE:LINE` arguments by file, in the order files came in; a
/// file named without a line runs whole.
fn plan(args: &[String]) -> Vec<(String, Option<Vec<usize>>)> {
    let mut runs: Vec<(String, Option<Vec<usize>>)> = Vec::new();
    for a in args {
        let (file, line) = match a.rsplit_once(':') {
            Some((f, l)) if !f.is_empty() && l.parse::<usize>().is_ok() => {
                (f.to_string(), l.parse::<usize>().ok())
            }
            _ => (a.clone(), None),
        };
        match runs.iter_mut().find(|(f, _)| *f == file) {
            Some((_, only)) => match (only, line) {
                (Some(lines), Some(l)) => lines.push(l),
                (only, None) => *only = None,
                (None, Some(_)) => {}
            },
            None => runs.push((file, line.map(|l| vec![l]))),
        }
    }
    runs
}

/// Runs the script files `args` (`FILE` or `FILE:LINE`), writing the
/// report to `out`; `verbose` lists passing cases too. I/O errors on a
/// script file are returned.
pub fn test_promql(
    args: &[String],
    verbose: bool,
    out: &mut dyn Write,
) -> std::io::Result<TestPromqlSummary> {
    test_promql_on(args, verbose, Backend::Memory, out)
}

/// As [`test_promql`], evaluating over `backend` (the in-memory reference
/// storage, or Vigil's TSDB head loaded with the same data; `FILE:LINE`
/// selections apply to the in-memory backend only).
pub fn test_promql_on(
    args: &[String],
    verbose: bool,
    backend: Backend,
    out: &mut dyn Write,
) -> std::io::Result<TestPromqlSummary> {
    let engine = Engine::new(engine_options());
    let mut total = TestPromqlSummary::default();
    for (f, only) in plan(args) {
        let text = std::fs::read_to_string(&f)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{f}: {e}")))?;
        let report = match backend {
            Backend::Memory => run_script_lines(&f, &text, &engine, only.as_deref()),
            Backend::Head => run_script_on(&f, &text, &engine, backend),
        };
        for c in &report.cases {
            match &c.outcome {
                Ok(()) if verbose => writeln!(out, "ok   {f}:{}: {}", c.line, c.expr)?,
                Ok(()) => {}
                Err(e) => writeln!(out, "FAIL {f}:{}: {}\n     {e}", c.line, c.expr)?,
            }
        }
        for l in only.iter().flatten() {
            if !report.cases.iter().any(|c| c.line == *l) {
                writeln!(out, "NOTE {f}:{l}: no eval starts on this line")?;
            }
        }
        writeln!(
            out,
            "{f}: {} passed, {} failed",
            report.passed(),
            report.failed()
        )?;
        total.passed += report.passed();
        total.failed += report.failed();
    }
    writeln!(
        out,
        "total: {} passed, {} failed",
        total.passed, total.failed
    )?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_a_script_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.test");
        std::fs::write(
            &f,
            "load 1m\n  m{a=\"1\"} 1+1x5\n\neval instant at 2m m\n  m{a=\"1\"} 3\n\neval instant at 2m m\n  m{a=\"1\"} 4\n",
        )
        .unwrap();
        let mut out = Vec::new();
        let name = f.display().to_string();
        let s = test_promql(std::slice::from_ref(&name), false, &mut out).unwrap();
        assert_eq!(
            s,
            TestPromqlSummary {
                passed: 1,
                failed: 1
            }
        );
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(&format!("FAIL {name}:7: m")), "{text}");
        assert!(text.ends_with("total: 1 passed, 1 failed\n"), "{text}");
        let only = format!("{name}:4");
        let s = test_promql(&[only], false, &mut Vec::new()).unwrap();
        assert_eq!(
            s,
            TestPromqlSummary {
                passed: 1,
                failed: 0
            }
        );
        assert!(test_promql(&["/nonexistent.test".into()], false, &mut Vec::new()).is_err());
    }
}
