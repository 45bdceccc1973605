//! `vigil tool check metrics`: promtool's `check metrics`.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use vigil_tool::CheckMetricsError;
use vigil_tool::check_metrics::{self, CheckMetricsOptions};

use super::{FAILURE, LINT_PROBLEMS};

/// Usage examples shown by `--help`.
pub(super) const EXAMPLES: &str = "Examples:
  cat metrics.prom | vigil tool check metrics
  curl -s http://localhost:9090/metrics | vigil tool check metrics --extended
  curl -s http://localhost:9100/metrics | vigil tool check metrics --extended --lint=none";

/// Which lint checks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Lint {
    /// Every check.
    All,
    /// No linting (only useful with `--extended`).
    None,
}

/// Arguments of `vigil tool check metrics`.
#[derive(Debug, Args)]
pub(crate) struct CheckMetricsArgs {
    /// Print extended information related to the cardinality of the metrics.
    #[arg(long)]
    extended: bool,
    /// Linting checks to apply for metrics.
    #[arg(long, value_enum, default_value_t = Lint::All)]
    lint: Lint,
}

/// Reads the exposition from stdin, prints problems to stderr and the
/// cardinality table to stdout, as promtool does.
pub(super) fn run(args: CheckMetricsArgs) -> anyhow::Result<ExitCode> {
    let mut body = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut body)
        .context("reading metrics from standard input")?;
    let options = CheckMetricsOptions {
        lint: args.lint == Lint::All,
        extended: args.extended,
    };
    let report = match check_metrics::check(&body, options) {
        Ok(report) => report,
        Err(CheckMetricsError::NothingToDo) => {
            eprintln!("error: at least one of --extended or linting must be enabled");
            eprintln!(
                "Use --extended for cardinality analysis, or remove --lint=none to enable linting"
            );
            return Ok(ExitCode::from(FAILURE));
        }
        Err(err @ CheckMetricsError::Parse(_)) => {
            let what = if options.lint {
                "error while linting"
            } else {
                "error while parsing text to metric families"
            };
            eprintln!("{what}: {err}");
            return Ok(ExitCode::from(FAILURE));
        }
    };
    let mut stderr = std::io::stderr().lock();
    for p in &report.problems {
        writeln!(stderr, "{p}").context("writing problems")?;
    }
    if let Some(cardinality) = &report.cardinality {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(cardinality.to_table().as_bytes())
            .and_then(|()| stdout.flush())
            .context("writing the cardinality table")?;
    }
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(LINT_PROBLEMS)
    })
}
