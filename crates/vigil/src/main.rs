//! The `vigil` binary: command-line parsing and wiring only. Each command
//! lives in its own module and returns the process exit code; the libraries
//! underneath return typed errors, and `anyhow` context is added here.

mod alertmanager;
mod logging;
mod pushgateway;
mod server;
mod tool;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Vigil: a Prometheus-compatible monitoring system.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the monitoring server, like `prometheus`: scrape, store, query.
    Server(Box<server::ServerArgs>),
    /// Tooling for Prometheus and Vigil, like promtool.
    Tool(tool::ToolArgs),
    /// Accept pushed metrics and expose them to Prometheus, like the Pushgateway.
    Pushgateway(pushgateway::PushgatewayArgs),
    /// Group, silence and route alerts to receivers, like Alertmanager.
    Alertmanager(Box<alertmanager::AlertmanagerArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server(args) => server::run(*args),
        Command::Tool(args) => tool::run(args),
        Command::Pushgateway(args) => pushgateway::run(args),
        Command::Alertmanager(args) => alertmanager::run(*args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(tool::FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
