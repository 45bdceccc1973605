//! `vigil tool am check-config` and `vigil tool am config routes [test]`
//! beside Debian's `amtool` (0.25) on the files of
//! `shared/conformance/alertmanager/{amtool,config}/`.
//!
//! check-config: for every file whose verdict amtool 0.25 gives as the
//! corpus expects (`config-expectations.tsv` records the current
//! Alertmanager's verdicts), exit codes must agree, and stdout must agree
//! line for line on accepted files; on refused files only the `FAILED`
//! verdict is compared, because error wording belongs to the config crate
//! (serde's words for YAML type errors, newer Alertmanager messages). Files
//! that 0.25 judges differently (receivers and fields added after 0.25,
//! checks changed since) are judged by the corpus verdict instead, which is
//! what the current Alertmanager does.
//!
//! config routes: stdout and exit code must be identical for the routing
//! files, every combination of test labels, `--tree` and `--verify.receivers`.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, PartialEq)]
struct Run {
    code: i32,
    stdout: String,
}

fn run(program: &str, args: &[&str], dir: &Path) -> Run {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

fn vigil(args: &[&str], dir: &Path) -> Run {
    let mut all = vec!["tool", "am"];
    all.extend_from_slice(args);
    run(env!("CARGO_BIN_EXE_vigil"), &all, dir)
}

/// Skips (or fails, under CI) when something the test needs is missing.
fn missing(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing, and CI is set");
    }
    println!("skipped: {what} is missing");
}

fn corpus() -> Option<PathBuf> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/alertmanager");
    if !dir.join("config-expectations.tsv").is_file() {
        missing("../shared/conformance/alertmanager");
        return None;
    }
    if Command::new("amtool").arg("--version").output().is_err() {
        missing("amtool on PATH");
        return None;
    }
    Some(dir)
}

#[test]
fn check_config_agrees_with_amtool() {
    let Some(root) = corpus() else { return };
    let tsv = std::fs::read_to_string(root.join("config-expectations.tsv")).unwrap();
    let mut files: Vec<(String, Option<bool>)> = tsv
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(f, v)| (format!("config/{f}"), Some(v == "load")))
        .collect();
    for f in [
        "conf.good.yml",
        "conf.bad.yml",
        "conf.routing.yml",
        "conf.routing-reverted.yml",
    ] {
        files.push((format!("amtool/{f}"), None));
    }
    let (mut same, mut newer) = (0, Vec::new());
    let mut failures = Vec::new();
    for (file, expected) in &files {
        let ours = vigil(&["check-config", file], &root);
        let theirs = run("amtool", &["check-config", file], &root);
        let their_ok = theirs.code == 0;
        if expected.is_some_and(|e| e != their_ok) {
            // 0.25 predates this file's rules: judge by the corpus verdict.
            if (ours.code == 0) != expected.unwrap_or(their_ok) {
                failures.push(format!(
                    "{file}: corpus says load={expected:?}, vigil exit {}",
                    ours.code
                ));
            }
            newer.push(file.clone());
            continue;
        }
        if ours.code != theirs.code {
            failures.push(format!(
                "{file}: exit {} vs amtool {}\n{}\n{}",
                ours.code, theirs.code, ours.stdout, theirs.stdout
            ));
        } else if their_ok && ours.stdout != theirs.stdout {
            failures.push(format!(
                "{file}: stdout differs\n--- vigil\n{}--- amtool\n{}",
                ours.stdout, theirs.stdout
            ));
        } else if !their_ok && !ours.stdout.contains("  FAILED: ") {
            failures.push(format!("{file}: no FAILED line: {}", ours.stdout));
        } else {
            same += 1;
        }
    }
    // Several files at once: one exit code and the count of failures.
    let many = [
        "amtool/conf.good.yml",
        "amtool/conf.bad.yml",
        "config/conf.good.yml",
    ];
    let mut args = vec!["check-config"];
    args.extend(many);
    let (ours, theirs) = (vigil(&args, &root), run("amtool", &args, &root));
    assert_eq!(ours.code, theirs.code);
    assert_eq!(
        ours.stdout.matches("SUCCESS").count(),
        theirs.stdout.matches("SUCCESS").count()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    println!(
        "{same} files agree with amtool 0.25; {} judged by the newer corpus verdict: {}",
        newer.len(),
        newer.join(" ")
    );
    assert!(same >= 20, "too few files compared: {same}");
}

#[test]
fn routes_agree_with_amtool() {
    let Some(root) = corpus() else { return };
    let dir = root.join("amtool");
    let mut cases: Vec<Vec<String>> = Vec::new();
    for file in [
        "conf.routing.yml",
        "conf.routing-reverted.yml",
        "conf.good.yml",
    ] {
        let cfg = format!("--config.file={file}");
        cases.push(vec!["config".into(), "routes".into(), cfg.clone()]);
        cases.push(vec![
            "config".into(),
            "routes".into(),
            "show".into(),
            cfg.clone(),
        ]);
        for labels in [
            &[][..],
            &["test=1"],
            &["test=2"],
            &["test=3"],
            &["test=2", "other=x"],
            &["test=\"2\""],
        ] {
            for extra in [
                &[][..],
                &["--tree"],
                &["--verify.receivers=test1"],
                &["--verify.receivers=test1,test2"],
            ] {
                let mut c: Vec<String> =
                    vec!["config".into(), "routes".into(), "test".into(), cfg.clone()];
                c.extend(extra.iter().map(|s| s.to_string()));
                c.extend(labels.iter().map(|s| s.to_string()));
                cases.push(c);
            }
        }
    }
    let mut failures = Vec::new();
    for c in &cases {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        let ours = vigil(&args, &dir);
        let theirs = run("amtool", &args, &dir);
        if ours != theirs {
            failures.push(format!(
                "{args:?}\n--- vigil ({})\n{}--- amtool ({})\n{}",
                ours.code, ours.stdout, theirs.code, theirs.stdout
            ));
        }
    }
    // Labels that are not `name=value` are refused by both.
    for bad in ["test=~1", "test"] {
        let args = [
            "config",
            "routes",
            "test",
            "--config.file=conf.routing.yml",
            bad,
        ];
        assert_eq!(vigil(&args, &dir).code, 1);
        assert_eq!(run("amtool", &args, &dir).code, 1);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    println!("{} routing cases identical to amtool", cases.len());
}
