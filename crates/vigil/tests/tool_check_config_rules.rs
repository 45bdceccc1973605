//! `vigil tool check config|rules` beside `promtool check config|rules`
//! (Debian's promtool, 2.42) on the files of `shared/conformance/promtool/`
//! and `shared/conformance/rulefmt/`.
//!
//! Each file is checked by both from inside the `promtool/` folder. Exit
//! codes must agree, and so must stdout once empty lines are dropped:
//! 3.x no longer prints an empty line after a rule file with errors.
//! Stderr is compared only for the presence of `FAILED`, because the
//! wording of configuration and rule-file errors belongs to
//! `vigil-config` and `vigil-rules` (for example, 3.x-style YAML errors
//! without go-yaml's `yaml: unmarshal errors:` header, and 3.x printing
//! lint errors without 2.42's indentation); exact stderr matches are
//! counted and printed.
//!
//! Vigil follows Prometheus 3.x where 2.42 differs; those cases are judged
//! by the exit code 3.x gives ([`THREE_X`]), with the reason.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `(arguments after "check", exit code of 3.x, why 2.42 differs)`.
const THREE_X: &[(&[&str], i32, &str)] = &[
    (
        &["config", "prometheus-aws-sd-empty-region.good.yml"],
        0,
        "3.x lets EC2 SD find its region at run time; 2.42 requires one",
    ),
    (
        &["rules", "../rulefmt/utf-8_annotation.good.yaml"],
        0,
        "3.x accepts UTF-8 annotation names",
    ),
    (
        &["rules", "../rulefmt/utf-8_lname.good.yaml"],
        0,
        "3.x accepts UTF-8 label names",
    ),
    (
        &["rules", "../rulefmt/legacy_validation_annotation.bad.yaml"],
        0,
        "bad only under the legacy name scheme; 3.x checks with UTF-8 names",
    ),
    (
        &[
            "config",
            "--lint=all",
            "--lint-fatal",
            "prometheus-config.lint.too_long_scrape_interval.yml",
        ],
        3,
        "the too-long-scrape-interval lint is new in 3.x",
    ),
];

/// Flag combinations compared with promtool besides the plain runs.
const FLAG_CASES: &[&[&str]] = &[
    &["config", "--lint-fatal", "prometheus-config.lint.yml"],
    &["config", "--lint=none", "prometheus-config.lint.yml"],
    &["config", "--syntax-only", "config_with_rule_files.yml"],
    &[
        "config",
        "--syntax-only",
        "authorization_credentials_file.bad.yml",
    ],
    &["config", "--syntax-only", "config_with_tls_files.yml"],
    &["config", "--agent", "config_with_rule_files.yml"],
    &["config", "--agent", "prometheus-config.good.yml"],
    &[
        "config",
        "prometheus-config.good.yml",
        "prometheus-config.bad.yml",
    ],
    &["rules", "--lint-fatal", "rules_duplicates.yml"],
    &["rules", "--lint=none", "rules_duplicates.yml"],
    &["rules", "--lint-fatal", "rules.yml", "rules_duplicates.yml"],
];

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(program: &Path, args: &[&str], dir: &Path) -> Run {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn vigil(args: &[&str], dir: &Path) -> Run {
    let mut all = vec!["tool", "check"];
    all.extend_from_slice(args);
    run(Path::new(env!("CARGO_BIN_EXE_vigil")), &all, dir)
}

/// Skips (or fails, under CI) when something the test needs is missing.
fn missing(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing, and CI is set");
    }
    println!("skipped: {what} is missing");
}

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

fn names(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .expect("conformance folder is readable")
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| keep(n))
        .collect();
    out.sort();
    out
}

fn non_empty_lines(s: &str) -> Vec<&str> {
    s.lines().filter(|l| !l.is_empty()).collect()
}

fn trimmed_lines(s: &str) -> Vec<&str> {
    s.lines().map(str::trim).collect()
}

#[test]
fn check_config_and_rules_agree_with_promtool() {
    let conformance = conformance_dir();
    let dir = conformance.join("promtool");
    if !dir.is_dir() {
        return missing("../shared/conformance/promtool");
    }
    let promtool = Path::new("/usr/bin/promtool");
    if !promtool.exists() {
        return missing("/usr/bin/promtool");
    }
    let is_unit_test = |n: &str| {
        std::fs::read_to_string(dir.join(n))
            .is_ok_and(|s| s.lines().any(|l| l.starts_with("tests:")))
    };
    let yml = names(&dir, |n| {
        (n.ends_with(".yml") || n.ends_with(".nonexistent")) && !is_unit_test(n)
    });
    let rulefmt: Vec<String> = names(&conformance.join("rulefmt"), |n| n.ends_with(".yaml"))
        .into_iter()
        .map(|n| format!("../rulefmt/{n}"))
        .collect();
    let mut cases: Vec<Vec<String>> = Vec::new();
    for f in &yml {
        cases.push(vec!["config".into(), f.clone()]);
        cases.push(vec!["rules".into(), f.clone()]);
    }
    for f in &rulefmt {
        cases.push(vec!["rules".into(), f.clone()]);
    }
    for c in FLAG_CASES {
        cases.push(c.iter().map(|s| s.to_string()).collect());
    }
    assert!(cases.len() > 60, "too few cases: {}", cases.len());

    let (mut agree, mut same_stderr, mut differ) = (0, 0, Vec::new());
    for case in &cases {
        let args: Vec<&str> = case.iter().map(String::as_str).collect();
        let got = vigil(&args, &dir);
        if let Some((_, code, why)) = THREE_X.iter().find(|(a, _, _)| *a == args.as_slice()) {
            if got.code == *code {
                agree += 1;
            } else {
                differ.push(format!(
                    "{args:?}: exit {} where 3.x exits {code} ({why})\n{}{}",
                    got.code, got.stdout, got.stderr
                ));
            }
            continue;
        }
        let mut pargs = vec!["check"];
        pargs.extend_from_slice(&args);
        let want = run(promtool, &pargs, &dir);
        let stdout_ok = non_empty_lines(&want.stdout) == non_empty_lines(&got.stdout);
        let failed_ok = want.stderr.contains("FAILED") == got.stderr.contains("FAILED");
        if want.code == got.code && stdout_ok && failed_ok {
            agree += 1;
            if trimmed_lines(&want.stderr) == trimmed_lines(&got.stderr) {
                same_stderr += 1;
            }
        } else {
            differ.push(format!(
                "{args:?}: promtool exit {} / vigil exit {}\n--- promtool stdout\n{}--- vigil stdout\n{}--- promtool stderr\n{}--- vigil stderr\n{}",
                want.code, got.code, want.stdout, got.stdout, want.stderr, got.stderr
            ));
        }
    }
    println!(
        "check config|rules: {agree} agree ({same_stderr} with identical stderr), {} differ, of {} cases",
        differ.len(),
        cases.len()
    );
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}

#[test]
fn check_rules_reads_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["tool", "check", "rules"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("vigil runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(b"groups:\n  - name: g\n    rules:\n      - record: a:b\n        expr: up\n")
        .expect("write stdin");
    let out = child.wait_with_output().expect("vigil finishes");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Checking standard input\n  SUCCESS: 1 rules found\n\n"
    );
}
