//! Runs PromQL test scripts and prints every failing case.
//!
//! ```text
//! cargo run -p vigil-promql --example promqltest -- [-v] FILE.test[:LINE]...
//! ```
//!
//! `FILE.test:LINE` runs only the `eval` on that line (after every `load`
//! and `clear` of the file); the same file may be named several times.
//!
//! Each failure is printed as `file:line: query` followed by the reason
//! (expected versus got). `-v` also lists the passing cases. The exit
//! status is 1 when a case failed, 2 on usage or I/O errors.

use std::process::ExitCode;

use vigil_promql::engine::Engine;
use vigil_promql::promqltest::{engine_options, run_script_lines};

fn main() -> ExitCode {
    let mut verbose = false;
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "-v" | "--verbose" => verbose = true,
            "-h" | "--help" => {
                println!("usage: promqltest [-v] FILE.test[:LINE]...");
                return ExitCode::SUCCESS;
            }
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        eprintln!("usage: promqltest [-v] FILE.test[:LINE]...");
        return ExitCode::from(2);
    }
    // Group `FILE:LINE` arguments by file, keeping the order files came in.
    let mut runs: Vec<(String, Option<Vec<usize>>)> = Vec::new();
    for a in files {
        let (file, line) = match a.rsplit_once(':') {
            Some((f, l)) if !f.is_empty() && l.parse::<usize>().is_ok() => {
                (f.to_string(), l.parse::<usize>().ok())
            }
            _ => (a, None),
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
    let engine = Engine::new(engine_options());
    let (mut passed, mut failed) = (0, 0);
    for (f, only) in &runs {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{f}: {e}");
                return ExitCode::from(2);
            }
        };
        let report = run_script_lines(f, &text, &engine, only.as_deref());
        for c in &report.cases {
            match &c.outcome {
                Ok(()) if verbose => println!("ok   {f}:{}: {}", c.line, c.expr),
                Ok(()) => {}
                Err(e) => println!("FAIL {f}:{}: {}\n     {e}", c.line, c.expr),
            }
        }
        for l in only.iter().flatten() {
            if !report.cases.iter().any(|c| c.line == *l) {
                println!("NOTE {f}:{l}: no eval starts on this line");
            }
        }
        println!(
            "{f}: {} passed, {} failed",
            report.passed(),
            report.failed()
        );
        passed += report.passed();
        failed += report.failed();
    }
    if runs.len() > 1 {
        println!("total: {passed} passed, {failed} failed");
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
