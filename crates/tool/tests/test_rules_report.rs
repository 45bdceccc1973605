//! `test rules --junit`, `--diff` and `--debug`: Prometheus 3.x's report
//! options, which Debian's promtool 2.42 does not have. The expected shapes
//! are 3.x's (`cmd/promtool/unittest.go`, `util/junitxml`, and the
//! `nsf/jsondiff` console layout); 2.42 is only asked for the plain verdict
//! on the same file, which the options must not change.

use std::process::Command;

use vigil_tool::test_rules::{TestRulesOptions, TestRulesReport, test_rules_with_report};

const FILE: &str = "testdata/test_rules/report.yml";

struct Outcome {
    passed: bool,
    stdout: String,
    stderr: String,
}

fn run(files: &[&str], report: &TestRulesReport) -> Outcome {
    let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let passed = test_rules_with_report(
        &files,
        &TestRulesOptions::default(),
        report,
        &mut out,
        &mut err,
    )
    .unwrap();
    Outcome {
        passed,
        stdout: String::from_utf8(out).unwrap(),
        stderr: String::from_utf8(err).unwrap(),
    }
}

#[test]
fn junit_report_has_a_suite_per_file_and_a_case_per_group() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    let report = TestRulesReport {
        junit: Some(path.clone()),
        ..TestRulesReport::default()
    };
    let o = run(&[FILE, "testdata/test_rules/missing.yml"], &report);
    assert!(!o.passed);
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(xml.starts_with("<testsuites><testsuite name=\"testdata/test_rules/report.yml\" tests=\"3\" failures=\"2\" errors=\"0\" skipped=\"0\" timestamp=\""), "{xml}");
    assert!(
        xml.contains("<testcase name=\"passes\"></testcase>"),
        "{xml}"
    );
    assert!(xml.contains("<testcase name=\"wrong alert\"><failure>    name: wrong alert,&#xA;    alertname: HighErrors, time: 3m, &#xA;        exp:["), "{xml}");
    // Unnamed groups are named by their index in the file.
    assert!(xml.contains("<testcase name=\"unnamed#2\"><failure>    expr: &#34;job:requests:sum&#34;, time: 3m,&#xA;        exp: {__name__=&#34;job:requests:sum&#34;, job=&#34;api&#34;} 2E+00&#xA;        got: {__name__=&#34;job:requests:sum&#34;, job=&#34;api&#34;} 1.8E+02</failure></testcase>"), "{xml}");
    // A file that cannot be read is an error on a case named `unknown`.
    assert!(xml.ends_with("<testsuite name=\"testdata/test_rules/missing.yml\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" timestamp=\"\"><testcase name=\"unknown\"><error>open testdata/test_rules/missing.yml: no such file or directory</error></testcase></testsuite></testsuites>"), "{xml}");
    // The report changes nothing on the terminal.
    let plain = run(
        &[FILE, "testdata/test_rules/missing.yml"],
        &TestRulesReport::default(),
    );
    assert_eq!((o.stdout, o.stderr), (plain.stdout, plain.stderr));
}

#[test]
fn junit_respects_run_filter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    let files = vec![FILE.to_string()];
    let opts = TestRulesOptions {
        run: vec!["^passes$".into()],
        ..TestRulesOptions::default()
    };
    let report = TestRulesReport {
        junit: Some(path.clone()),
        ..TestRulesReport::default()
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert!(test_rules_with_report(&files, &opts, &report, &mut out, &mut err).unwrap());
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(xml.contains("tests=\"1\" failures=\"0\""), "{xml}");
    assert!(!xml.contains("unnamed"), "{xml}");
}

#[test]
fn diff_replaces_the_alert_lists() {
    let o = run(
        &[FILE],
        &TestRulesReport {
            diff: true,
            ..TestRulesReport::default()
        },
    );
    assert!(!o.passed);
    let expected = "    name: wrong alert,\n    alertname: HighErrors, time: 3m, \n        diff: [\n\
                    \x20               {\n\
                    \x20                   \"Annotations\": {\n\
                    \x20                       \"summary\": \"a has 10 errors\"\n\
                    \x20                   },\n\
                    \x20                   \"Labels\": {\n\
                    \x20                       \"alertname\": \"HighErrors\",\n\
                    \x20                       \"instance\": \"a\",\n\
                    \x20                       \"job\": \"api\",\n\
                    \x20                       \"severity\": \x1b[0;33m\"warning\" => \"page\"\x1b[0m\n\
                    \x20                   }\n\
                    \x20               }\n\
                    \x20           ]\n";
    assert!(o.stderr.contains(expected), "{}", o.stderr);
    assert!(!o.stderr.contains("exp:["), "{}", o.stderr);
    // Expression tests keep their exp/got lines: --diff is for alerts.
    assert!(
        o.stderr
            .contains("        exp: {__name__=\"job:requests:sum\", job=\"api\"} 2E+00")
    );
}

#[test]
fn debug_prints_progress_and_a_dump() {
    let o = run(
        &[FILE],
        &TestRulesReport {
            debug: true,
            ..TestRulesReport::default()
        },
    );
    for name in ["passes", "wrong alert", "unnamed#2"] {
        assert!(
            o.stderr.contains(&format!("DEBUG: Starting test {name}\n")),
            "{}",
            o.stderr
        );
        assert!(
            o.stderr
                .contains(&format!("DEBUG: Test {name} finished, took ")),
            "{}",
            o.stderr
        );
    }
    // The last eval_time is 3m; the dump is a `[3m1s]` range at 3m1s
    // (left-open, so the sample at 0 is out), input series and recorded
    // ones alike, labels printed as Go's `labels.String`.
    assert!(
        o.stderr
            .contains("DEBUG: Dump of all data (input_series and rules) at 3m1s:\n"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(
            "{__name__=\"errors_total\", instance=\"a\", job=\"api\"} =>\n10 @[60000]\n10 @[120000]\n10 @[180000]\n"
        ),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(
            "{__name__=\"job:requests:sum\", job=\"api\"} =>\n60 @[60000]\n120 @[120000]\n180 @[180000]\n"
        ),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("{__name__=\"ALERTS\", alertname=\"HighErrors\", alertstate=\"firing\""),
        "{}",
        o.stderr
    );
}

#[test]
fn verdict_matches_promtool() {
    if Command::new("promtool").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is required in CI"
        );
        eprintln!("skipped: promtool not on PATH");
        return;
    }
    let theirs = Command::new("promtool")
        .args(["test", "rules", FILE])
        .output()
        .unwrap();
    let ours = run(
        &[FILE],
        &TestRulesReport {
            diff: false,
            debug: false,
            junit: None,
        },
    );
    assert_eq!(theirs.status.code(), Some(1));
    assert!(!ours.passed);
    assert_eq!(String::from_utf8_lossy(&theirs.stderr), ours.stderr);
}
