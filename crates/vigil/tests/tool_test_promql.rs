//! `vigil tool test promql` runs every upstream PromQL test script and all
//! 2,214 cases pass.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn every_upstream_promql_case_passes() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/promqltest");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is required in CI",
            dir.display()
        );
        println!("skipped: {} missing", dir.display());
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 21);
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["tool", "test", "promql"])
        .args(&files)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.lines().filter(|l| l.contains(" passed, ")).count(), 22);
    assert!(text.ends_with("total: 2214 passed, 0 failed\n"), "{text}");
}

#[test]
fn a_failing_case_is_reported_with_its_line_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.test");
    std::fs::write(&f, "load 1m\n  m 1 2\n\neval instant at 1m m\n  m 5\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["tool", "test", "promql"])
        .arg(&f)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("FAIL {}:4: m", f.display())),
        "{text}"
    );
    assert!(text.ends_with("total: 0 passed, 1 failed\n"), "{text}");
}
