//! `vigil tool am`: amtool's commands with amtool's output and exit
//! codes: the offline `check-config` and `config routes [show|test]`, and
//! (in [`super::remote`]) the ones that talk to an Alertmanager, and
//! `template render` (in [`template_render`]).

mod template_render;

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use vigil_alertmanager::matcher::MatchType;

use super::remote;
use vigil_alertmanager::{Config, LabelSet, Route, parse_matcher, template};

/// Arguments of `vigil tool am`.
#[derive(Debug, Args)]
pub(crate) struct AmArgs {
    #[command(flatten)]
    global: remote::Global,
    #[command(subcommand)]
    command: AmCommand,
}

#[derive(Debug, Subcommand)]
enum AmCommand {
    /// Validate alertmanager config files. Will validate the syntax and
    /// schema of the files, and that the templates they name parse.
    #[command(name = "check-config")]
    CheckConfig(CheckConfigArgs),
    /// View the configuration (`show`, the default) or the routing tree.
    Config(ConfigArgs),
    /// Add, list and search alerts (`query` is the default).
    Alert(AlertArgs),
    /// Add, expire, list and import silences (`query` is the default).
    Silence(SilenceArgs),
    /// View cluster status and peers (`show`, the default).
    Cluster(ClusterArgs),
    /// Render template files.
    Template(template_render::TemplateArgs),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct AlertArgs {
    #[command(subcommand)]
    command: Option<remote::AlertCommand>,
    #[command(flatten)]
    query: remote::AlertQueryArgs,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct SilenceArgs {
    #[command(subcommand)]
    command: Option<remote::SilenceCommand>,
    #[command(flatten)]
    query: remote::SilenceQueryArgs,
}

#[derive(Debug, Args)]
struct ClusterArgs {
    #[command(subcommand)]
    command: Option<ClusterCommand>,
}

#[derive(Debug, Subcommand)]
enum ClusterCommand {
    /// View cluster status and peers.
    Show,
}

#[derive(Debug, Args)]
struct ConfigArgs {
    #[command(subcommand)]
    command: Option<ConfigCommand>,
}

#[derive(Debug, Args)]
struct CheckConfigArgs {
    /// Files to check; standard input when none.
    files: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// View the running Alertmanager's configuration.
    Show,
    /// Print or test the alert routing tree.
    Routes(RoutesArgs),
}

#[derive(Debug, Args)]
struct RoutesArgs {
    /// Config file to read.
    #[arg(long = "config.file", global = true)]
    config_file: Option<String>,
    #[command(subcommand)]
    command: Option<RoutesCommand>,
}

#[derive(Debug, Subcommand)]
enum RoutesCommand {
    /// Print the routing tree as an ASCII tree (the default).
    Show,
    /// Print the receivers an alert with the given labels is routed to, in
    /// routing-tree order.
    Test(RoutesTestArgs),
}

#[derive(Debug, Args)]
struct RoutesTestArgs {
    /// Fail unless the labels route to exactly these receivers
    /// (comma-separated, in order).
    #[arg(long = "verify.receivers")]
    verify_receivers: Option<String>,
    /// Print the matching part of the routing tree.
    #[arg(long)]
    tree: bool,
    /// Labels of the alert, as `name=value`.
    labels: Vec<String>,
}

/// amtool's way of failing: `amtool: error: <msg>` on stderr, exit 1.
fn fatal(msg: &str) -> ExitCode {
    eprintln!("amtool: error: {msg}");
    ExitCode::from(crate::tool::FAILURE)
}

/// Runs a `vigil tool am` command.
pub(crate) fn run(args: AmArgs) -> anyhow::Result<ExitCode> {
    let g = &args.global;
    let result = match args.command {
        AmCommand::CheckConfig(a) => return Ok(check_config(a)),
        AmCommand::Template(a) => {
            return Ok(match template_render::run(a) {
                // amtool prints the result without adding a newline.
                Ok(out) => {
                    let mut stdout = std::io::stdout();
                    let _ = stdout.write_all(out.as_bytes());
                    let _ = stdout.flush();
                    ExitCode::SUCCESS
                }
                Err(e) => fatal(&e),
            });
        }
        AmCommand::Config(ConfigArgs {
            command: Some(ConfigCommand::Routes(a)),
        }) => return Ok(routes(a)),
        AmCommand::Config(_) => remote::config_show(g),
        AmCommand::Cluster(_) => remote::cluster_show(g),
        AmCommand::Alert(a) => match a.command {
            None => remote::alert_query(g, a.query),
            Some(remote::AlertCommand::Query(q)) => remote::alert_query(g, q),
            Some(remote::AlertCommand::Add(x)) => remote::alert_add(g, x),
        },
        AmCommand::Silence(a) => match a.command {
            None => remote::silence_query(g, a.query),
            Some(remote::SilenceCommand::Query(q)) => remote::silence_query(g, q),
            Some(remote::SilenceCommand::Add(x)) => remote::silence_add(g, x),
            Some(remote::SilenceCommand::Expire(x)) => remote::silence_expire(g, x),
            Some(remote::SilenceCommand::Import(x)) => remote::silence_import(g, x),
        },
    };
    Ok(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fatal(&e),
    })
}

fn check_config(args: CheckConfigArgs) -> ExitCode {
    let files = if args.files.is_empty() {
        vec!["/dev/stdin".to_string()]
    } else {
        args.files
    };
    let mut out = String::new();
    let mut failed = 0;
    for file in &files {
        out.push_str(&format!("Checking '{file}'"));
        match Config::load_file(Path::new(file)) {
            Err(e) => {
                out.push_str(&format!("  FAILED: {e}\n"));
                failed += 1;
            }
            Ok(cfg) => {
                out.push_str("  SUCCESS\nFound:\n - global config\n - route\n");
                out.push_str(&format!(" - {} inhibit rules\n", cfg.inhibit_rules.len()));
                out.push_str(&format!(" - {} receivers\n", cfg.receivers.len()));
                out.push_str(&format!(" - {} templates\n", cfg.templates.len()));
                if !cfg.templates.is_empty() {
                    match template::from_globs(&cfg.templates) {
                        Ok(_) => out.push_str("  SUCCESS\n"),
                        Err(e) => {
                            out.push_str(&format!("  FAILED: {e}\n"));
                            failed += 1;
                        }
                    }
                }
            }
        }
        out.push('\n');
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    if failed > 0 {
        return fatal(&format!("failed to validate {failed} file(s)"));
    }
    ExitCode::SUCCESS
}

fn load_routes(file: Option<&str>) -> Result<Route, String> {
    let Some(file) = file else {
        return Err("--config.file is required (reading the configuration of a running Alertmanager is not supported)".into());
    };
    let cfg = Config::load_file(Path::new(file)).map_err(|e| e.to_string())?;
    let root = cfg.route.as_ref().ok_or("no route provided in config")?;
    Ok(Route::new(root))
}

fn routes(args: RoutesArgs) -> ExitCode {
    let route = match load_routes(args.config_file.as_deref()) {
        Ok(r) => r,
        Err(e) => return fatal(&e),
    };
    match args.command {
        None | Some(RoutesCommand::Show) => {
            print!("Routing tree:\n{}\n", route.render_tree());
            ExitCode::SUCCESS
        }
        Some(RoutesCommand::Test(t)) => routes_test(&route, t),
    }
}

fn routes_test(route: &Route, args: RoutesTestArgs) -> ExitCode {
    let mut labels = LabelSet::new();
    for l in &args.labels {
        let m = match parse_matcher(l) {
            Ok(m) => m,
            Err(e) => return fatal(&format!("Failed to parse labels: {e}")),
        };
        if m.kind() != MatchType::Equal {
            return fatal("Labels must be specified as key=value pairs");
        }
        labels.insert(m.name().to_string(), m.value().to_string());
    }
    if args.tree {
        print!(
            "Matching routes:\n{}\n\n",
            route.render_matching_tree(&labels)
        );
    }
    let receivers: Vec<&str> = route
        .match_labels(&labels)
        .iter()
        .map(|r| r.opts.receiver.as_str())
        .collect();
    let slug = receivers.join(",");
    println!("{slug}");
    if let Some(want) = args.verify_receivers
        && !want.is_empty()
        && want != slug
    {
        println!("WARNING: Expected receivers did not match resolved receivers.");
        return ExitCode::from(crate::tool::FAILURE);
    }
    ExitCode::SUCCESS
}
