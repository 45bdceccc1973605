//! `vigil tool query …`: promtool's flags and arguments, work in
//! `vigil_tool::query`.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use vigil_tool::query::{self, Client, Format, RangeArgs};

/// `--format` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Promql,
    Json,
}

/// Arguments of `vigil tool query`.
#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    /// Output format of the query.
    #[arg(short = 'o', long, value_enum, default_value = "promql", global = true)]
    format: FormatArg,
    /// HTTP client configuration file for promtool to connect to
    /// Prometheus. Not supported yet: giving it is an error rather than a
    /// silently unauthenticated request.
    #[arg(long = "http.config.file", value_name = "filename", global = true)]
    http_config_file: Option<String>,
    #[command(subcommand)]
    command: QueryCommand,
}

/// `vigil tool query` subcommands.
#[derive(Debug, Subcommand)]
enum QueryCommand {
    /// Run instant query.
    Instant(InstantArgs),
    /// Run range query.
    Range(RangeQueryArgs),
    /// Run series query.
    Series(SeriesArgs),
    /// Run labels query.
    Labels(LabelsArgs),
    /// Run queries against your Prometheus to analyze the usage pattern of
    /// certain metrics.
    Analyze(AnalyzeArgs),
}

/// `KEY=VALUE`, as kingpin's string maps take it.
pub(super) fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected KEY=VALUE got '{s}'"))
}

pub(super) fn duration(s: &str) -> Result<std::time::Duration, String> {
    query::time::parse_go_duration(s)
}

#[derive(Debug, Args)]
struct InstantArgs {
    /// Prometheus server to query.
    server: String,
    /// PromQL query expression.
    expr: String,
    /// Query evaluation time (RFC3339 or Unix timestamp).
    #[arg(long)]
    time: Option<String>,
    /// Extra headers to send to server.
    #[arg(long, value_parser = key_value)]
    header: Vec<(String, String)>,
}

#[derive(Debug, Args)]
struct RangeQueryArgs {
    /// Prometheus server to query.
    server: String,
    /// PromQL query expression.
    expr: String,
    /// Extra headers to send to server.
    #[arg(long, value_parser = key_value)]
    header: Vec<(String, String)>,
    /// Query range start time (RFC3339 or Unix timestamp).
    #[arg(long)]
    start: Option<String>,
    /// Query range end time (RFC3339 or Unix timestamp).
    #[arg(long)]
    end: Option<String>,
    /// Query step size (duration).
    #[arg(long, value_parser = duration)]
    step: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
struct SeriesArgs {
    /// Prometheus server to query.
    server: String,
    /// Series selector. Can be specified multiple times.
    #[arg(long = "match", required = true)]
    matchers: Vec<String>,
    /// Start time (RFC3339 or Unix timestamp).
    #[arg(long)]
    start: Option<String>,
    /// End time (RFC3339 or Unix timestamp).
    #[arg(long)]
    end: Option<String>,
}

#[derive(Debug, Args)]
struct LabelsArgs {
    /// Prometheus server to query.
    server: String,
    /// Label name to provide label values for.
    name: String,
    /// Start time (RFC3339 or Unix timestamp).
    #[arg(long)]
    start: Option<String>,
    /// End time (RFC3339 or Unix timestamp).
    #[arg(long)]
    end: Option<String>,
    /// Series selector. Can be specified multiple times.
    #[arg(long = "match")]
    matchers: Vec<String>,
}

#[derive(Debug, Args)]
struct AnalyzeArgs {
    /// Prometheus server to query.
    #[arg(long, required = true)]
    server: String,
    /// Type of metric: histogram.
    #[arg(long = "type", required = true)]
    metric_type: String,
    /// Time frame to analyze.
    #[arg(long, default_value = "1h", value_parser = duration)]
    duration: std::time::Duration,
    /// Query time (RFC3339 or Unix timestamp), defaults to now.
    #[arg(long)]
    time: Option<String>,
    /// Series selector. Can be specified multiple times.
    #[arg(long = "match", required = true)]
    matchers: Vec<String>,
}

fn client(server: &str, headers: Vec<(String, String)>) -> Option<Client> {
    match Client::new(server, headers) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("error creating API client: {e}");
            None
        }
    }
}

/// Runs `vigil tool query …`.
pub(crate) fn run(a: QueryArgs) -> anyhow::Result<ExitCode> {
    if let Some(f) = &a.http_config_file {
        eprintln!(
            "--http.config.file={f}: HTTP client configuration files are not supported by vigil tool yet"
        );
        return Ok(ExitCode::from(super::FAILURE));
    }
    let format = match a.format {
        FormatArg::Promql => Format::Promql,
        FormatArg::Json => Format::Json,
    };
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let fail = ExitCode::from(super::FAILURE);
    let code = match a.command {
        QueryCommand::Instant(q) => {
            let Some(c) = client(&q.server, q.header) else {
                return Ok(fail);
            };
            query::instant(&c, &q.expr, q.time.as_deref(), format, &mut out, &mut err)?
        }
        QueryCommand::Range(q) => {
            let Some(c) = client(&q.server, q.header) else {
                return Ok(fail);
            };
            let args = RangeArgs {
                start: q.start.as_deref(),
                end: q.end.as_deref(),
                step: q.step,
            };
            query::range(&c, &q.expr, &args, format, &mut out, &mut err)?
        }
        QueryCommand::Series(q) => {
            let Some(c) = client(&q.server, Vec::new()) else {
                return Ok(fail);
            };
            let (s, e) = (q.start.as_deref(), q.end.as_deref());
            query::series(&c, &q.matchers, s, e, format, &mut out, &mut err)?
        }
        QueryCommand::Labels(q) => {
            let Some(c) = client(&q.server, Vec::new()) else {
                return Ok(fail);
            };
            let (s, e) = (q.start.as_deref(), q.end.as_deref());
            query::labels(&c, &q.name, &q.matchers, s, e, format, &mut out, &mut err)?
        }
        QueryCommand::Analyze(q) => {
            let Some(c) = client(&q.server, Vec::new()) else {
                return Ok(fail);
            };
            let end = match q.time.as_deref().map(query::time::parse_time) {
                None => query::time::Instant::now(),
                Some(Ok(t)) => t,
                Some(Err(e)) => {
                    eprintln!("error parsing time '{}': {e}", q.time.unwrap_or_default());
                    return Ok(fail);
                }
            };
            let r =
                query::analyze::analyze(&c, &q.metric_type, &q.matchers, q.duration, end, &mut out);
            match r {
                Ok(()) => 0,
                Err(e) => {
                    // promtool's checkErr.
                    eprintln!("{e}");
                    super::FAILURE
                }
            }
        }
    };
    Ok(ExitCode::from(code))
}
