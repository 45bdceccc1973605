//! `vigil tool test rules` beside `promtool test rules` (Debian's promtool,
//! 2.42) on every rule unit-test file of `shared/conformance/promtool/`.
//!
//! Each file is run by both from inside that folder (so file names in
//! messages are the same); exit code, stdout and stderr are compared.
//! Vigil follows Prometheus 3.x where 2.42 differs:
//!
//! - 3.x no longer prints the `Unit Testing:  FILE` header line (it went
//!   with the JUnit output, prometheus#14506); it is dropped from
//!   promtool's stdout before comparing.
//! - Files using what 2.42 lacks, or where 2.42 had a bug, are checked
//!   against the exit code upstream's own `unittest_test.go` expects of
//!   3.x ([`THREE_X`]); so are the 3.x-only flags `--run` and
//!   `--ignore-unknown-fields` ([`THREE_X_FLAGS`]).
//! - [`STDERR_DIFFERS`] lists files whose failure text comes from
//!   another part of Vigil and is worded differently there; their exit
//!   code and stdout must still agree.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Files judged by 3.x's expected exit code, with why 2.42 cannot judge them.
const THREE_X: &[(&str, i32, &str)] = &[
    (
        "unittest.yml",
        0,
        "uses exp_samples `histogram`, which 2.42 does not know",
    ),
    (
        "start-time-test.yml",
        0,
        "uses the test group's `start_timestamp` (3.x)",
    ),
    (
        "no-test-group-interval.yml",
        0,
        "2.42 did not default a group's interval to evaluation_interval (fixed in 2.43)",
    ),
    (
        "rules_run_fuzzy.yml",
        1,
        "uses `fuzzy_compare` (3.x); its 'wrong fuzzy match' group fails",
    ),
    (
        "rules_run_no_fuzzy.yml",
        1,
        "uses `fuzzy_compare: false` (3.x); exact comparison fails",
    ),
];

/// 3.x flags, with the exit code upstream's tests expect.
const THREE_X_FLAGS: &[(&[&str], &str, i32)] = &[
    (&["--run", "correct"], "rules_run.yml", 0),
    (&["--run", "wrong"], "rules_run.yml", 1),
    (&["--run", "correct", "--run", "wrong"], "rules_run.yml", 1),
    (&["--run", "correct"], "rules_run_fuzzy.yml", 0),
    (&["--run", "wrong"], "rules_run_fuzzy.yml", 1),
    (&["--ignore-unknown-fields"], "rules_run_extrafields.yml", 0),
];

/// Files whose stderr is worded differently, with why.
const STDERR_DIFFERS: &[(&str, &str)] = &[
    (
        "bad-input-series.yml",
        "the series-description parser (vigil-promql) words an unclosed label set differently",
    ),
    (
        "bad-promql.yml",
        "the engine (vigil-promql) lists the duplicate series of a many-to-many match in label order",
    ),
    (
        "bad-rules-error-test.yml",
        "the engine (vigil-promql) lists the duplicate series of a many-to-many match in label order",
    ),
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
    let mut all = vec!["tool", "test", "rules"];
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

fn promtool_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/promtool")
}

/// The rule unit-test files of the folder: YAML with a top-level `tests:`.
fn unit_test_files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .expect("conformance folder is readable")
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.ends_with(".yml"))
        .filter(|n| {
            std::fs::read_to_string(dir.join(n))
                .is_ok_and(|s| s.lines().any(|l| l.starts_with("tests:")))
        })
        .collect();
    out.sort();
    out
}

/// promtool 2.42's stdout without the header 3.x no longer prints.
fn without_header(s: &str) -> String {
    s.lines()
        .filter(|l| !l.starts_with("Unit Testing:  "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn test_rules_agrees_with_promtool() {
    let dir = promtool_dir();
    if !dir.is_dir() {
        return missing("../shared/conformance/promtool");
    }
    let promtool = Path::new("/usr/bin/promtool");
    if !promtool.exists() {
        return missing("/usr/bin/promtool");
    }
    let files = unit_test_files(&dir);
    assert!(files.len() >= 10, "too few unit-test files: {files:?}");
    let (mut agree, mut differ) = (0, Vec::new());
    for f in &files {
        let got = vigil(&[f], &dir);
        if let Some((_, code, why)) = THREE_X.iter().find(|(n, _, _)| n == f) {
            if got.code == *code {
                agree += 1;
            } else {
                differ.push(format!(
                    "{f}: exit {} where 3.x exits {code} ({why})\n{}",
                    got.code, got.stderr
                ));
            }
            continue;
        }
        let want = run(promtool, &["test", "rules", f], &dir);
        let want_stdout = without_header(&want.stdout);
        let stderr_ok = want.stderr == got.stderr || STDERR_DIFFERS.iter().any(|(n, _)| n == f);
        if want.code == got.code && want_stdout == got.stdout && stderr_ok {
            agree += 1;
        } else {
            differ.push(format!(
                "{f}: promtool exit {} / vigil exit {}\n--- promtool stdout\n{want_stdout}--- vigil stdout\n{}--- promtool stderr\n{}--- vigil stderr\n{}",
                want.code, got.code, got.stdout, want.stderr, got.stderr
            ));
        }
    }
    for (args, f, code) in THREE_X_FLAGS {
        let mut all = args.to_vec();
        all.push(f);
        let got = vigil(&all, &dir);
        if got.code == *code {
            agree += 1;
        } else {
            differ.push(format!(
                "{args:?} {f}: exit {} where 3.x exits {code}\n{}",
                got.code, got.stderr
            ));
        }
    }
    println!(
        "test rules: {agree} agree, {} differ (of {} files and {} flag cases)",
        differ.len(),
        files.len(),
        THREE_X_FLAGS.len()
    );
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}

#[test]
fn several_files_fail_together_and_missing_files_are_reported() {
    let dir = promtool_dir();
    if !dir.is_dir() {
        return missing("../shared/conformance/promtool");
    }
    let got = vigil(&["at-modifier-test.yml", "failing.yml"], &dir);
    assert_eq!(got.code, 1, "{got:?}");
    assert!(got.stdout.starts_with("  SUCCESS\n\n"), "{got:?}");
    let got = vigil(&["does-not-exist.yml"], &dir);
    assert_eq!(got.code, 1);
    assert_eq!(
        got.stderr,
        "  FAILED:\nopen does-not-exist.yml: no such file or directory\n"
    );
}

/// 3.x's report flags through the CLI: `test --junit=FILE rules`, `--diff`
/// and `--debug` (Debian's 2.42 has none of them; the report shapes are
/// unit-tested in vigil-tool, here only the wiring and verdicts).
#[test]
fn junit_diff_and_debug_flags_reach_the_runner() {
    let dir = promtool_dir();
    if !dir.is_dir() {
        return missing("../shared/conformance/promtool");
    }
    let out = tempfile::tempdir().expect("tempdir");
    let junit = out.path().join("report.xml");
    let junit_arg = format!("--junit={}", junit.display());
    let got = run(
        Path::new(env!("CARGO_BIN_EXE_vigil")),
        &["tool", "test", &junit_arg, "rules", "--diff", "failing.yml"],
        &dir,
    );
    assert_eq!(got.code, 1, "{got:?}");
    let xml = std::fs::read_to_string(&junit).expect("junit report written");
    assert!(xml.contains("<testsuites"), "{xml}");
    assert!(xml.contains("failing.yml"), "{xml}");
    assert!(xml.contains("<failure"), "{xml}");

    let got = vigil(&["--debug", "at-modifier-test.yml"], &dir);
    assert_eq!(got.code, 0, "{got:?}");
}

/// `check web-config` is wired: a good and a bad file from vigil-tool's
/// test data (compared with Debian's promtool there), with promtool's
/// lines and exit code.
#[test]
fn check_web_config_through_the_cli() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tool/testdata/web_config");
    let got = run(
        Path::new(env!("CARGO_BIN_EXE_vigil")),
        &["tool", "check", "web-config", "good_full.yml"],
        &data,
    );
    assert_eq!(got.code, 0, "{got:?}");
    assert_eq!(got.stderr, "good_full.yml SUCCESS\n");
    let got = run(
        Path::new(env!("CARGO_BIN_EXE_vigil")),
        &[
            "tool",
            "check",
            "web-config",
            "good_full.yml",
            "bad_bcrypt_short.yml",
        ],
        &data,
    );
    assert_eq!(got.code, 1, "{got:?}");
    assert!(
        got.stderr
            .starts_with("good_full.yml SUCCESS\nbad_bcrypt_short.yml FAILED: "),
        "{got:?}"
    );
}
