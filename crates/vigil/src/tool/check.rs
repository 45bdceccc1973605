//! `vigil tool check config|rules`: flags as promtool's, work in
//! `vigil_tool::{check_config, check_rules}`.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use vigil_tool::check_config::{CheckConfigOptions, check_config};
use vigil_tool::check_rules::{RulesLint, check_rule_files, check_rules_stdin};

/// Arguments of `vigil tool check config`.
#[derive(Debug, Args)]
pub(crate) struct CheckConfigArgs {
    /// Only check the config file syntax, ignoring file and content
    /// validation referenced in the config.
    #[arg(long)]
    syntax_only: bool,
    /// Linting checks to apply to the rules/scrape configs specified in the
    /// config: all, duplicate-rules, too-long-scrape-interval, none.
    #[arg(long, default_value = "duplicate-rules")]
    lint: String,
    /// Make lint errors exit with exit code 3.
    #[arg(long)]
    lint_fatal: bool,
    /// Ignore unknown fields in the rule groups read by the config files.
    #[arg(long)]
    ignore_unknown_fields: bool,
    /// Check config file for Prometheus in Agent mode.
    #[arg(long)]
    agent: bool,
    /// The server's maximum query lookback duration.
    #[arg(long = "query.lookback-delta", default_value = "5m")]
    lookback_delta: String,
    /// The config files to check.
    #[arg(required = true, value_name = "config-files")]
    files: Vec<String>,
}

/// Arguments of `vigil tool check rules`.
#[derive(Debug, Args)]
pub(crate) struct CheckRulesArgs {
    /// Linting checks to apply: all, duplicate-rules, none.
    #[arg(long, default_value = "duplicate-rules")]
    lint: String,
    /// Make lint errors exit with exit code 3.
    #[arg(long)]
    lint_fatal: bool,
    /// Ignore unknown fields in the rule files.
    #[arg(long)]
    ignore_unknown_fields: bool,
    /// The rule files to check, default is read from standard input.
    #[arg(value_name = "rule-files")]
    files: Vec<String>,
}

/// promtool refuses arguments naming missing files before checking any.
fn require_files(files: &[String]) -> Option<ExitCode> {
    for f in files {
        if !std::path::Path::new(f).exists() {
            eprintln!("promtool: error: path '{f}' does not exist, try --help");
            return Some(ExitCode::from(super::FAILURE));
        }
    }
    None
}

/// Runs `check config`.
pub(crate) fn run_config(a: CheckConfigArgs) -> anyhow::Result<ExitCode> {
    if let Some(code) = require_files(&a.files) {
        return Ok(code);
    }
    let lookback = vigil_tool::go_format::parse_model_duration(&a.lookback_delta)
        .map_err(anyhow::Error::msg)
        .context("--query.lookback-delta")?;
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let mut opts = CheckConfigOptions {
        agent: a.agent,
        syntax_only: a.syntax_only,
        ..CheckConfigOptions::default()
    };
    opts.rules_lint.fatal = a.lint_fatal;
    opts.rules_lint.ignore_unknown_fields = a.ignore_unknown_fields;
    opts.set_lint(&a.lint, lookback, &mut out)?;
    Ok(ExitCode::from(check_config(
        &a.files, &opts, &mut out, &mut err,
    )?))
}

/// Runs `check rules`.
pub(crate) fn run_rules(a: CheckRulesArgs) -> anyhow::Result<ExitCode> {
    if let Some(code) = require_files(&a.files) {
        return Ok(code);
    }
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let mut lint = RulesLint::parse(&a.lint, &mut out)?;
    lint.fatal = a.lint_fatal;
    lint.ignore_unknown_fields = a.ignore_unknown_fields;
    let verdict = if a.files.is_empty() {
        let mut content = Vec::new();
        std::io::stdin()
            .read_to_end(&mut content)
            .context("reading standard input")?;
        check_rules_stdin(&content, &lint, &mut out, &mut err)?
    } else {
        check_rule_files(&a.files, &lint, &mut out, &mut err)?
    };
    Ok(ExitCode::from(verdict.exit_code(lint.fatal)))
}

/// Arguments of `vigil tool check healthy|ready`.
#[derive(Debug, Args)]
pub(crate) struct ServerArgs {
    /// The URL for the Prometheus server.
    #[arg(long, default_value = "http://localhost:9090")]
    url: String,
}

/// Runs `check healthy` or `check ready`.
pub(crate) fn run_server(
    a: ServerArgs,
    what: vigil_tool::check_server::ServerCheck,
) -> anyhow::Result<ExitCode> {
    match vigil_tool::check_server::check_server(&a.url, what) {
        Ok(body) => {
            eprintln!("  SUCCESS:  {body}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::from(super::FAILURE))
        }
    }
}

/// Arguments of `vigil tool check service-discovery`.
#[derive(Debug, Args)]
pub(crate) struct ServiceDiscoveryArgs {
    /// The prometheus config file.
    #[arg(value_name = "config-file")]
    config: String,
    /// The job to run service discovery for.
    job: String,
    /// The time to wait for discovery results. Accepted for promtool's
    /// command line; static and file SD answer at once.
    #[arg(long, default_value = "30s", value_parser = super::query::duration)]
    timeout: std::time::Duration,
}

/// Runs `check service-discovery`.
pub(crate) fn run_sd(a: ServiceDiscoveryArgs) -> anyhow::Result<ExitCode> {
    if let Some(code) = require_files(std::slice::from_ref(&a.config)) {
        return Ok(code);
    }
    let _ = a.timeout;
    let code = vigil_tool::check_sd::check_sd(
        &a.config,
        &a.job,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )?;
    Ok(ExitCode::from(code))
}
