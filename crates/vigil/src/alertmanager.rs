//! `vigil alertmanager`: Alertmanager's flags mapped onto
//! `vigil_alertmanager::server::Options`, and the process around the
//! server: runtime, listener, SIGHUP reloads, SIGTERM/SIGINT; and
//! `vigil tool am` (amtool's commands).

pub(crate) mod amtool;
mod format;
mod remote;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use vigil_alertmanager::server::{Alertmanager, Options};

use crate::logging;

/// Arguments of `vigil alertmanager`, named like Alertmanager's flags.
#[derive(Debug, Args)]
pub(crate) struct AlertmanagerArgs {
    /// Alertmanager configuration file name.
    #[arg(long = "config.file", default_value = "alertmanager.yml")]
    config_file: PathBuf,
    /// Base path for data storage (silences and the notification log).
    #[arg(long = "storage.path", default_value = "data/")]
    storage_path: PathBuf,
    /// How long to keep data (expired silences, notification log entries).
    #[arg(long = "data.retention", default_value = "120h", value_parser = parse_duration)]
    retention: Duration,
    /// Interval between garbage collection and snapshotting to disk.
    #[arg(long = "data.maintenance-interval", default_value = "15m", value_parser = parse_duration)]
    maintenance_interval: Duration,
    /// Address to listen on for the web interface and API.
    #[arg(long = "web.listen-address", default_value = ":9093")]
    listen_address: String,
    /// The URL under which Alertmanager is externally reachable; used in
    /// notifications and, for its path, as the route prefix.
    #[arg(long = "web.external-url", default_value = "")]
    external_url: String,
    /// Prefix for the internal routes of web endpoints. Defaults to the path
    /// of --web.external-url.
    #[arg(long = "web.route-prefix", default_value = "")]
    route_prefix: String,
    /// Listen address for cluster (HA) communication; HA is not supported
    /// yet, so only an empty value is accepted.
    #[arg(long = "cluster.listen-address", default_value = "")]
    cluster_listen_address: String,
    /// Initial peers (HA is not supported yet).
    #[arg(long = "cluster.peer")]
    cluster_peer: Vec<String>,
    /// Only log messages with the given severity or above: debug, info, warn, error.
    #[arg(long = "log.level", default_value = "info")]
    log_level: String,
    /// Output format of log messages: logfmt, json.
    #[arg(long = "log.format", default_value = "logfmt")]
    log_format: String,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    vigil_config::Duration::parse(s).map(vigil_config::Duration::to_std)
}

/// The path of a URL (`http://h:9093/am/` → `/am`), without a trailing slash.
fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    path.trim_end_matches('/').to_string()
}

/// Runs the Alertmanager until SIGTERM or SIGINT.
pub(crate) fn run(args: AlertmanagerArgs) -> anyhow::Result<ExitCode> {
    let level = logging::parse_level(&args.log_level)
        .with_context(|| format!("invalid --log.level {:?}", args.log_level))?;
    let format = logging::Format::parse(&args.log_format)
        .with_context(|| format!("invalid --log.format {:?}", args.log_format))?;
    logging::init(level, format);
    if !args.cluster_listen_address.is_empty() || !args.cluster_peer.is_empty() {
        bail!(
            "clustering (--cluster.listen-address, --cluster.peer) is not supported yet; pass --cluster.listen-address="
        );
    }
    let listen = match args.listen_address.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => args.listen_address.clone(),
    };
    let external_url = if args.external_url.is_empty() {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "localhost".into());
        let port = listen.rsplit_once(':').map_or("9093", |(_, p)| p);
        format!("http://{host}:{port}")
    } else {
        args.external_url.trim_end_matches('/').to_string()
    };
    let prefix = if args.route_prefix.is_empty() {
        url_path(&external_url)
    } else {
        let p = args.route_prefix.trim_end_matches('/');
        if p.is_empty() || p.starts_with('/') {
            p.to_string()
        } else {
            format!("/{p}")
        }
    };
    std::fs::create_dir_all(&args.storage_path)
        .with_context(|| format!("creating {}", args.storage_path.display()))?;
    let opts = Options {
        config_file: args.config_file.clone(),
        storage_path: args.storage_path.clone(),
        external_url,
        retention: args.retention,
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let am = Alertmanager::new(opts)
        .with_context(|| format!("loading configuration file {}", args.config_file.display()))?;
    log::info!(
        "Completed loading of configuration file file={}",
        args.config_file.display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let maintenance = args.maintenance_interval.max(Duration::from_millis(100));
    runtime.block_on(async move {
        tokio::spawn(am.clone().run_dispatcher());
        tokio::spawn(am.clone().run_maintenance(maintenance));
        spawn_sighup(am.clone());
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        log::info!("Listening address={}", listener.local_addr()?);
        let shutdown = async {
            let term = async {
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = term => {}
            }
            log::info!("Received shutdown signal");
        };
        vigil_alertmanager::api::serve(am.clone(), listener, &prefix, shutdown)
            .await
            .context("serving HTTP")?;
        // Snapshots on the way out, so a clean stop loses nothing.
        am.maintain();
        Ok(ExitCode::SUCCESS)
    })
}

fn spawn_sighup(am: Arc<Alertmanager>) {
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            match am.reload() {
                Ok(()) => log::info!("Completed loading of configuration file"),
                Err(e) => log::error!("Loading configuration file failed err={e}"),
            }
        }
    });
}
