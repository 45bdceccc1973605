//! Parses every query of the shared promqltest scripts, checks expected parse
//! failures against their messages, and round-trips every parsed query
//! through the printer.

use std::fs;
use std::path::PathBuf;

use vigil_promql::{Expr, parse};

struct Case {
    file: String,
    line: usize,
    query: String,
    fail_msg: Option<String>,
    fail_regex: Option<String>,
    expect_fail: bool,
}

/// Splits an `eval…` line into its query, or `None` if it is not one.
fn query_of(line: &str) -> Option<(String, bool)> {
    let line = line.trim_start();
    let (cmd, rest) = line.split_once(' ')?;
    if !matches!(
        cmd,
        "eval" | "eval_fail" | "eval_warn" | "eval_info" | "eval_ordered"
    ) {
        return None;
    }
    let words: Vec<&str> = rest.split_whitespace().collect();
    let skip = match words.first() {
        Some(&"instant") => 3, // instant at <t>
        Some(&"range") => 7,   // range from <t> to <t> step <d>
        _ => return None,
    };
    // Find the byte offset after `skip` words.
    let mut idx = 0;
    let mut count = 0;
    let bytes = rest.as_bytes();
    while count < skip && idx < bytes.len() {
        while idx < bytes.len() && bytes[idx].is_ascii_whitespace() {
            idx += 1;
        }
        while idx < bytes.len() && !bytes[idx].is_ascii_whitespace() {
            idx += 1;
        }
        count += 1;
    }
    let q = rest[idx..].trim().to_string();
    Some((q, cmd == "eval_fail"))
}

fn collect(dir: &PathBuf) -> Vec<Case> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "test"));
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let text = fs::read_to_string(&f).unwrap_or_default();
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut current: Option<Case> = None;
        for (i, line) in text.lines().enumerate() {
            if let Some((query, fail)) = query_of(line) {
                if let Some(c) = current.take() {
                    cases.push(c);
                }
                current = Some(Case {
                    file: name.clone(),
                    line: i + 1,
                    query,
                    fail_msg: None,
                    fail_regex: None,
                    expect_fail: fail,
                });
                continue;
            }
            let t = line.trim();
            if let Some(c) = current.as_mut() {
                if let Some(rest) = t.strip_prefix("expect fail") {
                    c.expect_fail = true;
                    let rest = rest.trim();
                    if let Some(m) = rest.strip_prefix("msg:") {
                        c.fail_msg = Some(m.trim().to_string());
                    } else if let Some(r) = rest.strip_prefix("regex:") {
                        c.fail_regex = Some(r.trim().to_string());
                    }
                } else if t.is_empty() || t.starts_with("load") || t.starts_with("clear") {
                    if let Some(c) = current.take() {
                        cases.push(c);
                    }
                }
            }
        }
        if let Some(c) = current.take() {
            cases.push(c);
        }
    }
    cases
}

/// Every node's position must lie inside the query.
fn positions_ok(e: &Expr, len: usize) -> bool {
    let p = e.pos();
    p.start <= p.end && p.end <= len && e.children().iter().all(|c| positions_ok(c, len))
}

fn same(a: &Expr, b: &Expr) -> bool {
    format!("{:?}", a.without_positions()) == format!("{:?}", b.without_positions())
}

#[test]
fn scripts_parse() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/promqltest");
    if !dir.is_dir() {
        if std::env::var_os("CI").is_some() {
            panic!("promqltest scripts not found at {}", dir.display());
        }
        println!("skipped");
        return;
    }
    let cases = collect(&dir);
    let (mut parsed, mut matched, mut failures) = (0, 0, Vec::new());
    let mut roundtrip_failures = Vec::new();
    for c in &cases {
        match parse(&c.query) {
            Ok(e) => {
                parsed += 1;
                if !positions_ok(&e, c.query.len()) {
                    roundtrip_failures
                        .push(format!("{}:{}: {}: bad positions", c.file, c.line, c.query));
                }
                let printed = e.to_string();
                match parse(&printed) {
                    Ok(e2) if same(&e, &e2) => {}
                    Ok(_) => roundtrip_failures.push(format!(
                        "{}:{}: {}  =>  {} (different tree)",
                        c.file, c.line, c.query, printed
                    )),
                    Err(err) => roundtrip_failures.push(format!(
                        "{}:{}: {}  =>  {}: {err}",
                        c.file, c.line, c.query, printed
                    )),
                }
            }
            Err(err) => {
                let full = err.to_string();
                let msg = err.message().to_string();
                let ok = c.expect_fail
                    && match (&c.fail_msg, &c.fail_regex) {
                        (Some(m), _) => *m == full || *m == msg,
                        (_, Some(r)) => full.contains(r.as_str()) || msg.contains(r.as_str()),
                        _ => true,
                    };
                if ok {
                    matched += 1;
                } else {
                    failures.push(format!("{}:{}: {}  =>  {full}", c.file, c.line, c.query));
                }
            }
        }
    }
    println!(
        "{parsed} parsed, {matched} expected-failures matched, {} failed",
        failures.len()
    );
    for f in &failures {
        println!("FAIL {f}");
    }
    for f in &roundtrip_failures {
        println!("ROUNDTRIP {f}");
    }
    assert!(cases.len() > 100, "too few queries found: {}", cases.len());
    assert!(
        failures.is_empty(),
        "{} queries failed to parse",
        failures.len()
    );
    assert!(
        roundtrip_failures.is_empty(),
        "{} queries failed to round-trip",
        roundtrip_failures.len()
    );
}
