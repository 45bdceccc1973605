//! `vigil tool check rules [FILE…]`: promtool's rule-file check. Each file
//! is parsed and validated (`vigil_rules::rulefmt`), then linted for
//! duplicate rules; with no files, standard input is checked.
//!
//! Output and exit codes are promtool 3.x's: `Checking FILE`, then
//! `  SUCCESS: N rules found` or `  FAILED:` with each problem on stderr;
//! exit 1 when any file has errors, 3 when only lint problems were found
//! and `--lint-fatal` is set, else 0.

use std::io::Write;
use std::path::Path;

use vigil_rules::rulefmt::{self, DuplicateRule, ParseOptions, RuleError};

/// promtool's prefix of lint problems (its `errLint`).
const LINT_ERROR: &str = "lint error";

/// Which lints `check rules` (and `check config` for its rule files) run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RulesLint {
    /// `duplicate-rules` (promtool's default) or `all`.
    pub duplicate_rules: bool,
    /// `--lint-fatal`: lint problems make the exit code 3.
    pub fatal: bool,
    /// `--ignore-unknown-fields`.
    pub ignore_unknown_fields: bool,
}

impl RulesLint {
    /// Reads promtool's `--lint` value (comma-separated `all`,
    /// `duplicate-rules`, `none`); unknown words are warned about on `out`.
    pub fn parse(value: &str, out: &mut dyn Write) -> std::io::Result<RulesLint> {
        let mut l = RulesLint::default();
        if value.is_empty() {
            return Ok(l);
        }
        for setting in value.split(',') {
            match setting {
                "all" | "duplicate-rules" => l.duplicate_rules = true,
                "none" => {}
                other => writeln!(out, "WARNING: unknown lint option: {other:?}")?,
            }
        }
        Ok(l)
    }

    fn parse_options(&self) -> ParseOptions {
        ParseOptions {
            ignore_unknown_fields: self.ignore_unknown_fields,
            ..ParseOptions::default()
        }
    }
}

/// What checking a set of rule files found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RulesVerdict {
    /// Some file had a problem (error or lint).
    pub failed: bool,
    /// Some problem was an error rather than a lint.
    pub has_errors: bool,
}

impl RulesVerdict {
    /// promtool's exit code for this verdict.
    pub fn exit_code(self, fatal: bool) -> u8 {
        if self.failed && self.has_errors {
            1
        } else if self.failed && fatal {
            3
        } else {
            0
        }
    }
}

/// Checks `files` as promtool's `checkRules` does, printing its report.
pub fn check_rule_files(
    files: &[String],
    lint: &RulesLint,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<RulesVerdict> {
    let mut v = RulesVerdict::default();
    for f in files {
        writeln!(out, "Checking {f}")?;
        let outcome =
            rulefmt::check_file(Path::new(f), &lint.parse_options(), lint.duplicate_rules);
        if report(
            &outcome.errors,
            outcome.rules,
            &outcome.duplicates,
            &mut v,
            out,
            err,
        )? {
            writeln!(out)?;
        }
    }
    Ok(v)
}

/// Checks rule-file content read from standard input.
pub fn check_rules_stdin(
    content: &[u8],
    lint: &RulesLint,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<RulesVerdict> {
    let mut v = RulesVerdict::default();
    writeln!(out, "Checking standard input")?;
    let (groups, errors) = rulefmt::parse(content, &lint.parse_options());
    let (rules, dups) = match groups.filter(|_| errors.is_empty()) {
        Some(g) => (
            g.groups.iter().map(|g| g.rules.len()).sum(),
            if lint.duplicate_rules {
                rulefmt::check_duplicates(&g.groups)
            } else {
                Vec::new()
            },
        ),
        None => (0, Vec::new()),
    };
    if report(&errors, rules, &dups, &mut v, out, err)? {
        writeln!(out)?;
    }
    Ok(v)
}

/// Prints one file's result; false when it had errors (promtool then
/// skips the empty line that ends a file's report).
fn report(
    errors: &[RuleError],
    rules: usize,
    dups: &[DuplicateRule],
    v: &mut RulesVerdict,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<bool> {
    if !errors.is_empty() {
        v.failed = true;
        v.has_errors = true;
        writeln!(err, "  FAILED:")?;
        for e in errors {
            writeln!(err, "{e}")?;
        }
        return Ok(false);
    }
    if dups.is_empty() {
        writeln!(out, "  SUCCESS: {rules} rules found")?;
    } else {
        v.failed = true;
        writeln!(err, "  FAILED:")?;
        writeln!(err, "{LINT_ERROR} {}", DuplicateRule::report(dups))?;
    }
    Ok(true)
}
