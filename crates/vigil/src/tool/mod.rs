//! `vigil tool`: promtool's commands. Exit codes follow promtool: 0 success,
//! 1 failure, 3 lint problems.

mod check;
mod check_metrics;
mod push;
mod query;
mod tsdb;

use std::process::ExitCode;

use clap::{Args, Subcommand};

/// Exit code for a failed command (bad input, I/O error).
pub(crate) const FAILURE: u8 = 1;
/// Exit code when the input was read but lint problems were found.
pub(crate) const LINT_PROBLEMS: u8 = 3;

/// Arguments of `vigil tool`.
#[derive(Debug, Args)]
pub(crate) struct ToolArgs {
    #[command(subcommand)]
    command: ToolCommand,
}

/// `vigil tool` subcommands; more of promtool's arrive here (`query`, `tsdb`, ...).
#[derive(Debug, Subcommand)]
enum ToolCommand {
    /// Check the resources for validity.
    #[command(subcommand)]
    Check(CheckCommand),
    /// Run tsdb commands.
    #[command(subcommand)]
    Tsdb(tsdb::TsdbCommand),
    /// Unit testing.
    Test(TestArgs),
    /// Run query against a Prometheus server.
    Query(query::QueryArgs),
    /// Push to a Prometheus server.
    #[command(subcommand)]
    Push(push::PushCommand),
    /// Alertmanager tooling, like amtool.
    Am(crate::alertmanager::amtool::AmArgs),
}

/// Arguments of `vigil tool test`.
#[derive(Debug, Args)]
struct TestArgs {
    /// Write a JUnit XML report of the test results to this file.
    #[arg(long, value_name = "junit")]
    junit: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: TestCommand,
}

/// `vigil tool test` subcommands.
#[derive(Debug, Subcommand)]
enum TestCommand {
    /// Run PromQL test-script files (Prometheus' promqltest language) and
    /// print each failing case and a passed/failed count per file.
    Promql(TestPromqlArgs),
    /// Unit tests for rules.
    Rules(TestRulesArgs),
}

/// Arguments of `vigil tool test rules`.
#[derive(Debug, Args)]
struct TestRulesArgs {
    /// If set, will only run test groups whose names match the regular
    /// expression. Can be specified multiple times.
    #[arg(long)]
    run: Vec<String>,
    /// Ignore unknown fields in the rule files.
    #[arg(long)]
    ignore_unknown_fields: bool,
    /// Enable unit test debugging: each group's duration and its series.
    #[arg(long)]
    debug: bool,
    /// Print colored differential output between expected and received
    /// alerts.
    #[arg(long)]
    diff: bool,
    /// The unit test file.
    #[arg(required = true, value_name = "test-rule-file")]
    files: Vec<String>,
}

/// Arguments of `vigil tool test promql`.
#[derive(Debug, Args)]
struct TestPromqlArgs {
    /// List passing cases too.
    #[arg(short, long)]
    verbose: bool,
    /// Storage the queries read: `memory` (the reference test storage) or
    /// `head` (Vigil's TSDB head loaded with the same samples).
    #[arg(long, default_value = "memory", value_parser = ["memory", "head"])]
    storage: String,
    /// Script files; `FILE:LINE` runs only the eval starting on that line.
    #[arg(required = true)]
    files: Vec<String>,
}

/// `vigil tool check` subcommands; `config` and `rules` join later.
#[derive(Debug, Subcommand)]
enum CheckCommand {
    /// Pass Prometheus metrics over stdin to lint them for consistency and
    /// correctness, and optionally perform cardinality analysis.
    #[command(after_help = check_metrics::EXAMPLES)]
    Metrics(check_metrics::CheckMetricsArgs),
    /// Check if the config files are valid or not.
    Config(check::CheckConfigArgs),
    /// Check if the rule files are valid or not.
    Rules(check::CheckRulesArgs),
    /// Check if the Prometheus server is healthy.
    Healthy(check::ServerArgs),
    /// Check if the Prometheus server is ready.
    Ready(check::ServerArgs),
    /// Perform service discovery for the given job name and report the
    /// results, including relabeling.
    #[command(name = "service-discovery")]
    ServiceDiscovery(check::ServiceDiscoveryArgs),
    /// Check if the web config files are valid or not.
    #[command(name = "web-config")]
    WebConfig(WebConfigArgs),
}

/// Arguments of `vigil tool check web-config`.
#[derive(Debug, Args)]
struct WebConfigArgs {
    /// The web config files to check.
    #[arg(required = true, value_name = "web-config-files")]
    files: Vec<String>,
}

/// Runs a `vigil tool` command and returns its exit code.
pub(crate) fn run(args: ToolArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ToolCommand::Check(CheckCommand::Metrics(a)) => check_metrics::run(a),
        ToolCommand::Check(CheckCommand::Config(a)) => check::run_config(a),
        ToolCommand::Check(CheckCommand::Rules(a)) => check::run_rules(a),
        ToolCommand::Check(CheckCommand::Healthy(a)) => {
            check::run_server(a, vigil_tool::check_server::ServerCheck::Healthy)
        }
        ToolCommand::Check(CheckCommand::Ready(a)) => {
            check::run_server(a, vigil_tool::check_server::ServerCheck::Ready)
        }
        ToolCommand::Check(CheckCommand::ServiceDiscovery(a)) => check::run_sd(a),
        ToolCommand::Check(CheckCommand::WebConfig(a)) => {
            let code = vigil_tool::check_web_config::check_web_config(
                &a.files,
                &mut std::io::stderr().lock(),
            )?;
            Ok(ExitCode::from(code))
        }
        ToolCommand::Tsdb(cmd) => tsdb::run(cmd),
        ToolCommand::Query(a) => query::run(a),
        ToolCommand::Am(a) => crate::alertmanager::amtool::run(a),
        ToolCommand::Push(cmd) => push::run(cmd),
        ToolCommand::Test(TestArgs {
            junit,
            command: TestCommand::Rules(a),
        }) => {
            let opts = vigil_tool::test_rules::TestRulesOptions {
                run: a.run,
                ignore_unknown_fields: a.ignore_unknown_fields,
            };
            let report = vigil_tool::test_rules::TestRulesReport {
                junit,
                diff: a.diff,
                debug: a.debug,
            };
            let passed = vigil_tool::test_rules::test_rules_with_report(
                &a.files,
                &opts,
                &report,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            )?;
            Ok(if passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(FAILURE)
            })
        }
        ToolCommand::Test(TestArgs {
            command: TestCommand::Promql(a),
            ..
        }) => {
            let mut out = std::io::stdout().lock();
            let backend = if a.storage == "head" {
                vigil_promql::promqltest::Backend::Head
            } else {
                vigil_promql::promqltest::Backend::Memory
            };
            let s =
                vigil_tool::test_promql::test_promql_on(&a.files, a.verbose, backend, &mut out)?;
            Ok(if s.failed > 0 {
                ExitCode::from(FAILURE)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
