//! The `vigil` binary: command-line parsing and wiring only.

use clap::Parser;

/// Vigil: a Prometheus-compatible monitoring system.
#[derive(Debug, Parser)]
#[command(name = "vigil", version)]
struct Cli {}

fn main() {
    let _ = Cli::parse();
}
