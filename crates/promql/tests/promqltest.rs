//! Runs every upstream PromQL test script (`../shared/conformance/promqltest`)
//! against the engine. Each `eval` is a case, named `file:line`. The scripts
//! run twice: over the reference in-memory storage (all cases pass) and over
//! Vigil's TSDB head loaded with the same samples (known failures in
//! `promqltest_head_known_failures.txt`: start timestamps, which the head does
//! not keep, and histogram counter-reset hints).
//!
//! Cases listed in `promqltest_known_failures.txt` may fail; any other
//! failure fails the test, and so does a listed case that now passes (the
//! list only shrinks). To rewrite the list from the current results:
//!
//! ```text
//! PROMQLTEST_UPDATE=1 cargo nextest run -p vigil-promql --test promqltest
//! ```
//!
//! `PROMQLTEST_FILE=functions` runs only the files whose name contains
//! `functions` (and checks only their known failures; no rewriting then).
//!
//! Without the conformance directory the test is skipped, unless `CI` is
//! set, where that is an error.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use vigil_promql::engine::Engine;
use vigil_promql::promqltest::{Backend, engine_options, run_script, run_script_on};

const KNOWN_FAILURES: &str = "promqltest_known_failures.txt";
/// Known failures when the queries read Vigil's TSDB head instead of the
/// reference storage (start timestamps are not kept by the head; some
/// histogram counter-reset hints differ from Prometheus' head).
const HEAD_KNOWN_FAILURES: &str = "promqltest_head_known_failures.txt";

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/promqltest")
}

fn known_failures_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(file)
}

/// `file:line` entries of the known-failures file (comments and blank
/// lines ignored).
fn read_known(file: &str) -> BTreeSet<String> {
    fs::read_to_string(known_failures_path(file))
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Sorts `file:line` ids by file, then numerically by line.
fn sort_key(id: &str) -> (String, usize) {
    match id.rsplit_once(':') {
        Some((f, l)) => (f.to_string(), l.parse().unwrap_or(0)),
        None => (id.to_string(), 0),
    }
}

#[test]
fn promqltest_scripts() {
    run_all(Backend::Memory, KNOWN_FAILURES);
}

#[test]
fn promqltest_scripts_over_the_tsdb_head() {
    run_all(Backend::Head, HEAD_KNOWN_FAILURES);
}

fn run_all(backend: Backend, known_file: &str) {
    let dir = conformance_dir();
    let Ok(entries) = fs::read_dir(&dir) else {
        if std::env::var_os("CI").is_some() {
            panic!("conformance scripts not found at {}", dir.display());
        }
        println!("skipped: no conformance scripts at {}", dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .test files in {}", dir.display());
    let filter = std::env::var("PROMQLTEST_FILE").ok();
    if let Some(f) = &filter {
        files.retain(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains(f.as_str()))
        });
        assert!(!files.is_empty(), "no .test file name contains {f:?}");
    }
    let file_names: BTreeSet<String> = files
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();

    let engine = Engine::new(engine_options());
    let known = read_known(known_file);
    let mut failing: Vec<String> = Vec::new();
    let mut passing: BTreeSet<String> = BTreeSet::new();
    let mut new_failures: Vec<String> = Vec::new();
    let (mut total_pass, mut total_fail) = (0, 0);
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = fs::read_to_string(f).unwrap_or_else(|e| panic!("reading {}: {e}", f.display()));
        let report = run_script_on(&name, &text, &engine, backend);
        println!(
            "{name}: {} passed, {} failed",
            report.passed(),
            report.failed()
        );
        total_pass += report.passed();
        total_fail += report.failed();
        for c in &report.cases {
            let id = format!("{name}:{}", c.line);
            match &c.outcome {
                Ok(()) => {
                    passing.insert(id);
                }
                Err(e) => {
                    if !known.contains(&id) {
                        new_failures.push(format!("{id}: {}\n    {e}", c.expr));
                    }
                    failing.push(id);
                }
            }
        }
    }
    println!("total: {total_pass} passed, {total_fail} failed");

    if std::env::var_os("PROMQLTEST_UPDATE").is_some() && filter.is_none() {
        failing.sort_by_key(|id| sort_key(id));
        failing.dedup();
        let mut out = String::from(
            "# PromQL test-script cases (file:line of the eval) that are known to fail.\n\
             # The list may only shrink; regenerate it with\n\
             #   PROMQLTEST_UPDATE=1 cargo nextest run -p vigil-promql --test promqltest\n",
        );
        for id in &failing {
            out.push_str(id);
            out.push('\n');
        }
        fs::write(known_failures_path(known_file), out).expect("writing the known-failures file");
        println!("rewrote {} with {} entries", known_file, failing.len());
        return;
    }

    let failing_set: BTreeSet<&String> = failing.iter().collect();
    let in_run = |id: &str| file_names.contains(&sort_key(id).0);
    let mut stale: Vec<&String> = known
        .iter()
        .filter(|k| in_run(k) && !failing_set.contains(k))
        .collect();
    stale.sort_by_key(|id| sort_key(id));
    let mut problems = String::new();
    if !new_failures.is_empty() {
        problems.push_str(&format!(
            "{} case(s) failed that are not in {known_file}:\n",
            new_failures.len()
        ));
        for f in &new_failures {
            problems.push_str(&format!("  {f}\n"));
        }
    }
    if !stale.is_empty() {
        problems.push_str(&format!(
            "{} case(s) in {known_file} no longer fail; delete these lines from it:\n",
            stale.len()
        ));
        for s in &stale {
            let note = if passing.contains(*s) {
                ""
            } else {
                " (no such case)"
            };
            problems.push_str(&format!("  {s}{note}\n"));
        }
    }
    assert!(problems.is_empty(), "{problems}");
}

/// Damaged copies of the real scripts (bytes dropped, duplicated or
/// replaced) must give failed cases, never a panic.
#[test]
fn damaged_scripts_do_not_panic() {
    let Ok(entries) = fs::read_dir(conformance_dir()) else {
        println!("skipped: no conformance scripts");
        return;
    };
    let engine = Engine::new(engine_options());
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(seed >> 33).unwrap_or(0) % n.max(1)
    };
    const NOISE: &[u8] = b" \t\n{}[]()_x+-:,\"'`#@0123456789.eEInfNaNstale";
    for e in entries.filter_map(Result::ok) {
        let text = fs::read_to_string(e.path()).unwrap_or_default();
        // The start of each file: loads, evals and expectations, quickly.
        let head: String = text.lines().take(80).collect::<Vec<_>>().join("\n");
        let bytes = head.as_bytes();
        for _ in 0..40 {
            let mut b = bytes.to_vec();
            for _ in 0..3 {
                let i = next(b.len());
                match next(3) {
                    0 => {
                        b.remove(i.min(b.len().saturating_sub(1)));
                    }
                    1 => b.insert(i, NOISE[next(NOISE.len())]),
                    _ => {
                        if let Some(x) = b.get_mut(i) {
                            *x = NOISE[next(NOISE.len())];
                        }
                    }
                }
            }
            let s = String::from_utf8_lossy(&b);
            let _ = run_script("damaged.test", &s, &engine);
        }
    }
}
