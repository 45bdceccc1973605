//! `vigil tool test rules FILE…`: promtool's rule unit tests. Each file
//! names rule files and test groups of input series (series-description
//! notation) with expected firing alerts (`alert_rule_test`) and query
//! results (`promql_expr_test`). The rules run in Vigil's rule manager
//! over an in-memory TSDB head fed lazily with the input series.
//!
//! Output is promtool 3.x's: per file `  SUCCESS`, or `  FAILED:` and
//! every failure on stderr (each followed by an empty line on stdout),
//! then an empty line; the exit code is 1 if any file failed.
//!
//! 3.x's report options ([`TestRulesReport`]): `--junit` writes a JUnit XML
//! file (`junit`), `--diff` shows alert mismatches as a coloured JSON
//! difference (`jsondiff`), `--debug` times each group and dumps its data.

mod group_test;
mod jsondiff;
mod junit;
mod storage;
mod unit_file;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use regex::Regex;

use crate::error::TestRulesError;
use group_test::{FileContext, run_group};
use unit_file::{UnitTestFile, join_clean};

/// Options of `test rules`.
#[derive(Debug, Clone, Default)]
pub struct TestRulesOptions {
    /// `--run`: only test groups whose name matches one of these regular
    /// expressions (unanchored) run.
    pub run: Vec<String>,
    /// `--ignore-unknown-fields`: rule files may carry extra fields.
    pub ignore_unknown_fields: bool,
}

/// The report options promtool 3.x added to `test rules` (kept apart from
/// [`TestRulesOptions`] so that callers building that struct by its fields
/// keep compiling).
#[derive(Debug, Clone, Default)]
pub struct TestRulesReport {
    /// `--junit=FILE`: also write a JUnit XML report there.
    pub junit: Option<std::path::PathBuf>,
    /// `--diff`: print alert mismatches as a coloured JSON difference
    /// instead of both lists.
    pub diff: bool,
    /// `--debug`: print each test group's start and duration and a dump
    /// of all its series on stderr.
    pub debug: bool,
}

/// Runs every file's tests, printing as promtool does; true when all
/// passed.
pub fn test_rules(
    files: &[String],
    opts: &TestRulesOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<bool, TestRulesError> {
    test_rules_with_report(files, opts, &TestRulesReport::default(), out, err)
}

/// [`test_rules`] with promtool 3.x's `--junit`, `--diff` and `--debug`.
pub fn test_rules_with_report(
    files: &[String],
    opts: &TestRulesOptions,
    report_opts: &TestRulesReport,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<bool, TestRulesError> {
    let run = if opts.run.is_empty() {
        None
    } else {
        Some(Regex::new(&opts.run.join("|"))?)
    };
    let mut all_passed = true;
    let mut report = junit::JUnit::default();
    for f in files {
        let errs = test_file(f, run.as_ref(), opts, report_opts, err, report.suite(f))?;
        if errs.is_empty() {
            writeln!(out, "  SUCCESS")?;
        } else {
            writeln!(err, "  FAILED:")?;
            for e in &errs {
                writeln!(err, "{e}")?;
                writeln!(out)?;
            }
            all_passed = false;
        }
        writeln!(out)?;
    }
    if let Some(path) = &report_opts.junit {
        if let Err(e) = std::fs::write(path, report.to_xml()) {
            writeln!(err, "failed to write JUnit XML: {e}")?;
        }
    }
    Ok(all_passed)
}

/// Go's wording of a failed `os.ReadFile`.
pub(crate) fn read_error(path: &str, e: &std::io::Error) -> String {
    let what = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => return format!("read {path}: is a directory"),
        _ => e.to_string(),
    };
    format!("open {path}: {what}")
}

/// One file's failures (empty when it passed), recorded in `suite` too.
fn test_file(
    path: &str,
    run: Option<&Regex>,
    opts: &TestRulesOptions,
    report_opts: &TestRulesReport,
    err: &mut dyn Write,
    suite: &mut junit::Suite,
) -> Result<Vec<String>, TestRulesError> {
    let abort = |suite: &mut junit::Suite, msg: String| {
        suite.abort(&msg);
        Ok(vec![msg])
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return abort(suite, read_error(path, &e)),
    };
    let mut file: UnitTestFile = match serde_yaml_ng::from_slice(&bytes) {
        Ok(f) => f,
        Err(e) => return abort(suite, format!("yaml: {e}")),
    };
    let base = Path::new(path).parent().unwrap_or(Path::new("."));
    let base = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    let mut rule_files = Vec::new();
    for rf in &file.rule_files {
        let pattern = if rf.is_empty() {
            String::new()
        } else {
            join_clean(base, rf).display().to_string()
        };
        match vigil_rules::expand_rule_files(std::slice::from_ref(&pattern)) {
            Ok(found) => {
                if found.is_empty() {
                    writeln!(err, "  WARNING: no file match pattern {pattern}")?;
                }
                rule_files.extend(found);
            }
            Err(e) => return abort(suite, e.to_string()),
        }
    }
    if file.evaluation_interval == 0 {
        file.evaluation_interval = 60_000;
    }
    suite.set_time(junit::now_stamp());
    let mut order = HashMap::new();
    for (i, g) in file.group_eval_order.iter().enumerate() {
        if order.insert(g.clone(), i).is_some() {
            return abort(
                suite,
                format!("group name repeated in evaluation order: {g}"),
            );
        }
    }
    let ctx = FileContext {
        rule_files: &rule_files,
        eval_interval: file.evaluation_interval,
        order: &order,
        fuzzy: file.fuzzy_compare,
        ignore_unknown_fields: opts.ignore_unknown_fields,
        diff: report_opts.diff,
        debug: report_opts.debug,
    };
    let mut errs = Vec::new();
    for (i, tg) in file.tests.iter_mut().enumerate() {
        if run.is_some_and(|r| !r.is_match(&tg.name)) {
            continue;
        }
        let testname = if tg.name.is_empty() {
            format!("unnamed#{i}")
        } else {
            tg.name.clone()
        };
        suite.case(&testname);
        if tg.interval == 0 {
            tg.interval = file.evaluation_interval;
        }
        let group_errs = run_group(tg, &testname, &ctx, err);
        for e in &group_errs {
            suite.fail(e);
        }
        errs.extend(group_errs);
    }
    Ok(errs)
}
