//! `vigil tool push metrics`: promtool's flags, work in `vigil_tool::push`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use vigil_tool::push::{PushOptions, push_metrics};

use super::query::{duration, key_value};

/// `vigil tool push` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum PushCommand {
    /// Push metrics to a prometheus remote write (for testing purpose only).
    Metrics(PushMetricsArgs),
}

/// Arguments of `vigil tool push metrics`.
#[derive(Debug, Args)]
pub(crate) struct PushMetricsArgs {
    /// Prometheus remote write url to push metrics.
    #[arg(value_name = "remote-write-url")]
    url: String,
    /// The metric files to push, default is read from standard input.
    #[arg(value_name = "metric-files")]
    files: Vec<String>,
    /// Label to attach to metrics. Can be specified multiple times.
    #[arg(long, value_parser = key_value, default_value = "job=promtool")]
    label: Vec<(String, String)>,
    /// The time to wait for pushing metrics.
    #[arg(long, value_parser = duration, default_value = "30s")]
    timeout: std::time::Duration,
    /// Prometheus remote write header.
    #[arg(long, value_parser = key_value)]
    header: Vec<(String, String)>,
    /// Protobuf message to use when writing; only prometheus.WriteRequest
    /// (remote write 1.0) is supported.
    #[arg(long = "protobuf_message", default_value = "prometheus.WriteRequest")]
    protobuf_message: String,
    /// Override the default remote write API path.
    #[arg(long = "remote-write.path", default_value = "/api/v1/write")]
    api_path: String,
    /// HTTP client configuration file. Not supported yet: giving it is an
    /// error rather than a silently unauthenticated request.
    #[arg(long = "http.config.file", value_name = "filename")]
    http_config_file: Option<String>,
}

/// Runs `vigil tool push …`.
pub(crate) fn run(cmd: PushCommand) -> anyhow::Result<ExitCode> {
    let PushCommand::Metrics(a) = cmd;
    if let Some(f) = &a.http_config_file {
        eprintln!(
            "--http.config.file={f}: HTTP client configuration files are not supported by vigil tool yet"
        );
        return Ok(ExitCode::from(super::FAILURE));
    }
    if a.protobuf_message != "prometheus.WriteRequest" {
        eprintln!(
            "  FAILED: protobuf message {:?} is not supported, only prometheus.WriteRequest",
            a.protobuf_message
        );
        return Ok(ExitCode::from(super::FAILURE));
    }
    let opts = PushOptions {
        url: a.url,
        api_path: a.api_path,
        labels: a.label,
        headers: a.header,
        timeout: a.timeout,
    };
    let code = push_metrics(
        &a.files,
        &mut std::io::stdin().lock(),
        &opts,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )?;
    Ok(ExitCode::from(code))
}
