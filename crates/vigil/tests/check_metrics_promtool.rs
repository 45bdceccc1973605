//! `vigil tool check metrics` against golden files and, differentially,
//! against `promtool check metrics` (Debian's promtool, 2.42).
//!
//! Vigil follows Prometheus 3.x where 2.42 differs. The differences that
//! show up in these inputs, and how the comparison allows for them:
//!
//! - 3.x reports "metric not unique" for repeated label sets; 2.42 has no
//!   such rule. Vigil may print these lines where promtool does not.
//! - 3.x flags only the family's own type in its name ("metric name should
//!   not include type"); 2.42 flags any type name, even on untyped families.
//!   promtool may print such lines where Vigil does not.
//! - 3.x prints the `--extended` table even when there are lint problems;
//!   2.42 stops after the problems. Tables are compared only for clean inputs.
//! - The inputs in [`EXIT_CODE_DIFFERS`] exit differently for a reason given there.
//!
//! Parse errors are compared by exit code only: promtool names the line,
//! Vigil names line and column in its own words.
//!
//! Known differences that no input here exercises, because Vigil's text
//! parser follows Prometheus' scrape parser where promtool's parser differs:
//! promtool accepts `# TYPE` words in any case (`GAUGE`) and
//! `gaugehistogram`, ignores a `# TYPE` line without a type, and accepts
//! signed timestamps (`-1`); Vigil refuses all of these (exit 1).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Inputs whose exit code differs between promtool 2.42 and 3.x, with why.
const EXIT_CODE_DIFFERS: &[(&str, &str)] = &[
    (
        "negative_histogram_count.prom",
        "3.x refuses negative histogram counts (exit 1); 2.42 accepts them (exit 0)",
    ),
    (
        "quoted_names.prom",
        "3.x reads quoted metric and label names (exit 0); 2.42 cannot parse them (exit 1)",
    ),
];

/// Problem texts whose rules changed between 2.42 and 3.x (see the module docs).
const ONLY_IN_3X: &str = "metric not unique";
const CHANGED_IN_3X: &str = "metric name should not include type";

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(program: &Path, args: &[&str], input: &[u8]) -> Run {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    // Write from another thread so a child that answers before reading
    // everything cannot deadlock the test.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("child runs to completion");
    writer.join().expect("writer thread");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn vigil(args: &[&str], input: &[u8]) -> Run {
    let mut all = vec!["tool", "check", "metrics"];
    all.extend_from_slice(args);
    run(Path::new(env!("CARGO_BIN_EXE_vigil")), &all, input)
}

fn promtool(args: &[&str], input: &[u8], promtool: &Path) -> Run {
    let mut all = vec!["check", "metrics"];
    all.extend_from_slice(args);
    run(promtool, &all, input)
}

/// Skips (or fails, under CI) when something the test needs is missing.
fn missing(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing, and CI is set");
    }
    println!("skipped: {what} is missing");
}

fn find_promtool() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("promtool"))
        .find(|p| p.is_file())
}

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn files_in(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A message that names a position, as every parse error must.
fn names_line_and_column(stderr: &str) -> bool {
    let Some(rest) = stderr.split("line ").nth(1) else {
        return false;
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && rest[digits..].starts_with(", column ")
}

/// Golden files: `tests/data/<name>.prom` and `<name>.expected`, which holds
/// `exit: <code>` and then Vigil's exact stderr. Set `VIGIL_UPDATE_GOLDEN=1`
/// to rewrite the expectations.
#[test]
fn golden_files() {
    let update = std::env::var_os("VIGIL_UPDATE_GOLDEN").is_some();
    let inputs = files_in(&data_dir(), ".prom");
    assert!(
        !inputs.is_empty(),
        "no golden inputs in {}",
        data_dir().display()
    );
    let mut failures = Vec::new();
    for input in &inputs {
        let body = std::fs::read(input).expect("golden input is readable");
        let r = vigil(&[], &body);
        let got = format!("exit: {}\n{}", r.code, r.stderr);
        let expected_path = input.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &got).expect("golden file is writable");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- got\n{got}",
                file_name(input)
            ));
        }
        if r.code == 1 && !names_line_and_column(&r.stderr) {
            failures.push(format!(
                "{}: error names no line and column: {}",
                file_name(input),
                r.stderr
            ));
        }
        assert!(
            r.stdout.is_empty(),
            "{}: unexpected stdout",
            file_name(input)
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Lines of a problem listing.
fn problem_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| !l.is_empty()).collect()
}

/// Compares Vigil with promtool on one input; `None` when they agree.
fn compare(name: &str, body: &[u8], promtool_bin: &Path) -> Option<String> {
    let ours = vigil(&[], body);
    let theirs = promtool(&[], body, promtool_bin);
    if let Some((_, why)) = EXIT_CODE_DIFFERS.iter().find(|(n, _)| *n == name) {
        println!("{name}: exit codes allowed to differ: {why}");
        return None;
    }
    if theirs.code == 1 || ours.code == 1 {
        if theirs.code != ours.code {
            return Some(format!(
                "{name}: exit {} (vigil) vs {} (promtool)\nvigil: {}promtool: {}",
                ours.code, theirs.code, ours.stderr, theirs.stderr
            ));
        }
        if !names_line_and_column(&ours.stderr) {
            return Some(format!(
                "{name}: error names no line and column: {}",
                ours.stderr
            ));
        }
        return None;
    }
    let our_lines = problem_lines(&ours.stderr);
    let their_lines = problem_lines(&theirs.stderr);
    let extra: Vec<_> = our_lines
        .iter()
        .filter(|l| !their_lines.contains(l) && !l.ends_with(ONLY_IN_3X))
        .collect();
    let lacking: Vec<_> = their_lines
        .iter()
        .filter(|l| !our_lines.contains(l) && !l.contains(CHANGED_IN_3X))
        .collect();
    let expected_code = if our_lines.is_empty() { 0 } else { 3 };
    if !extra.is_empty() || !lacking.is_empty() || ours.code != expected_code {
        return Some(format!(
            "{name}: exit {} (vigil) vs {} (promtool)\nonly vigil: {extra:?}\nonly promtool: {lacking:?}",
            ours.code, theirs.code
        ));
    }
    if our_lines != their_lines {
        println!("{name}: agrees up to the 2.42/3.x rule changes");
    }
    // Clean for both: the cardinality tables must agree too (promtool's
    // order among equal cardinalities is random, so compare sorted lines).
    if ours.code == 0 && theirs.code == 0 {
        let ours = vigil(&["--extended"], body);
        let theirs = promtool(&["--extended"], body, promtool_bin);
        let mut a: Vec<_> = ours.stdout.lines().collect();
        let mut b: Vec<_> = theirs.stdout.lines().collect();
        a.sort_unstable();
        b.sort_unstable();
        if a != b {
            return Some(format!(
                "{name}: --extended differs\nvigil:\n{}promtool:\n{}",
                ours.stdout, theirs.stdout
            ));
        }
    }
    None
}

#[test]
fn agrees_with_promtool() {
    let Some(promtool_bin) = find_promtool() else {
        return missing("promtool");
    };
    let conformance = conformance_dir();
    if !conformance.is_dir() {
        return missing("../shared/conformance");
    }
    let mut inputs = files_in(&conformance.join("textparse"), ".prom.txt");
    inputs.extend(files_in(&conformance.join("promtool"), ".prom"));
    inputs.extend(files_in(&data_dir(), ".prom"));
    let mut outcomes = BTreeMap::new();
    for input in &inputs {
        let body = std::fs::read(input).expect("input is readable");
        let name = file_name(input);
        outcomes.insert(name.clone(), compare(&name, &body, &promtool_bin));
    }
    let failures: Vec<&String> = outcomes.values().flatten().collect();
    println!(
        "compared {} inputs with promtool: {} agree",
        outcomes.len(),
        outcomes.len() - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{}",
        failures
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// promtool's own test input: the cardinality table must match byte for byte.
#[test]
fn extended_table_matches_promtool() {
    let input = conformance_dir().join("promtool/metrics-test.prom");
    let Ok(body) = std::fs::read(&input) else {
        return missing("../shared/conformance/promtool/metrics-test.prom");
    };
    let ours = vigil(&["--extended"], &body);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    // The figures promtool's own test expects (27 series in all).
    let total = ours.stdout.lines().last().unwrap_or_default();
    assert_eq!(
        total.split_whitespace().collect::<Vec<_>>(),
        ["Total", "27", "100%"]
    );
    let Some(promtool_bin) = find_promtool() else {
        return missing("promtool");
    };
    let theirs = promtool(&["--extended"], &body, &promtool_bin);
    assert_eq!(ours.stdout, theirs.stdout);
}

#[test]
fn lint_none_needs_extended() {
    let r = vigil(&["--lint=none"], b"a 1\n");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: at least one of --extended or linting must be enabled\n")
    );
    let r = vigil(&["--lint=none", "--extended"], b"a 1\n");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("Metric    Cardinality    Percentage    \na ")
    );
    // With linting, problems go to stderr and the table still comes (3.x).
    let r = vigil(&["--extended"], b"a 1\n");
    assert_eq!((r.code, r.stderr.as_str()), (3, "a no help text\n"));
    assert!(r.stdout.contains("Total"));
}
