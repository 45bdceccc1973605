//! Runs PromQL test scripts and prints every failing case.
//!
//! ```text
//! cargo run -p vigil-promql --example promqltest -- [-v] FILE.test...
//! ```
//!
//! Each failure is printed as `file:line: query` followed by the reason
//! (expected versus got). `-v` also lists the passing cases. The exit
//! status is 1 when a case failed, 2 on usage or I/O errors.

use std::process::ExitCode;

use vigil_promql::engine::Engine;
use vigil_promql::promqltest::{engine_options, run_script};

fn main() -> ExitCode {
    let mut verbose = false;
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "-v" | "--verbose" => verbose = true,
            "-h" | "--help" => {
                println!("usage: promqltest [-v] FILE.test...");
                return ExitCode::SUCCESS;
            }
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        eprintln!("usage: promqltest [-v] FILE.test...");
        return ExitCode::from(2);
    }
    let engine = Engine::new(engine_options());
    let (mut passed, mut failed) = (0, 0);
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{f}: {e}");
                return ExitCode::from(2);
            }
        };
        let report = run_script(f, &text, &engine);
        for c in &report.cases {
            match &c.outcome {
                Ok(()) if verbose => println!("ok   {f}:{}: {}", c.line, c.expr),
                Ok(()) => {}
                Err(e) => println!("FAIL {f}:{}: {}\n     {e}", c.line, c.expr),
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
    if files.len() > 1 {
        println!("total: {passed} passed, {failed} failed");
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
