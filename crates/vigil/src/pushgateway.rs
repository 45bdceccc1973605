//! `vigil pushgateway`: the Pushgateway's flags, mapped onto
//! `vigil_pushgateway::Options`, and the process around the server: the
//! tokio runtime, the listener, SIGTERM/SIGINT handling and logging setup.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use vigil_pushgateway::log::{self, Level};
use vigil_pushgateway::server::{self, Gateway, Options, normalize_prefix};

/// Arguments of `vigil pushgateway`, named like the Pushgateway's flags.
#[derive(Debug, Args)]
pub(crate) struct PushgatewayArgs {
    /// Address on which to expose metrics and web interface.
    #[arg(long = "web.listen-address", default_value = ":9091")]
    listen_address: String,
    /// Path under which to expose metrics.
    #[arg(long = "web.telemetry-path", default_value = "/metrics")]
    telemetry_path: String,
    /// The URL under which the Pushgateway is externally reachable.
    #[arg(long = "web.external-url", default_value = "")]
    external_url: String,
    /// Prefix for the internal routes of web endpoints. Defaults to the path
    /// of --web.external-url.
    #[arg(long = "web.route-prefix", default_value = "")]
    route_prefix: String,
    /// Enable shutdown via HTTP request.
    #[arg(long = "web.enable-lifecycle")]
    enable_lifecycle: bool,
    /// Enable API endpoints for admin control actions.
    #[arg(long = "web.enable-admin-api")]
    enable_admin_api: bool,
    /// File to persist metrics. If empty, metrics are only kept in memory.
    #[arg(long = "persistence.file", default_value = "")]
    persistence_file: String,
    /// The minimum interval at which to write out the persistence file.
    #[arg(long = "persistence.interval", default_value = "5m", value_parser = parse_duration)]
    persistence_interval: Duration,
    /// Do not check consistency of pushed metrics. DANGEROUS.
    #[arg(long = "push.disable-consistency-check")]
    disable_consistency_check: bool,
    /// Allow UTF-8 characters in metric and label names.
    #[arg(long = "push.enable-utf8-names")]
    enable_utf8_names: bool,
    /// Largest accepted push body in bytes; larger pushes get a 400 (a Vigil
    /// extension: the Pushgateway has no limit).
    #[arg(long = "push.max-body-bytes", default_value_t = 64 << 20)]
    max_body_bytes: usize,
    /// Only log messages with the given severity or above: debug, info, warn, error.
    #[arg(long = "log.level", default_value = "info")]
    log_level: String,
    /// Output format of log messages: logfmt, json.
    #[arg(long = "log.format", default_value = "logfmt")]
    log_format: String,
}

/// Parses a Go-style duration such as `5m`, `1s`, `250ms` or `1h30m`.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let mut total = Duration::ZERO;
    let mut rest = s;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let n: f64 = rest[..n_end]
            .parse()
            .map_err(|_| format!("invalid duration {s:?}"))?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..u_end] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            u => return Err(format!("unknown unit {u:?} in duration {s:?}")),
        };
        rest = &rest[u_end..];
        total += Duration::try_from_secs_f64(n * unit).map_err(|e| e.to_string())?;
    }
    Ok(total)
}

/// The path of a URL such as `http://host:9091/pg/` (`/pg/`), or `""`.
fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("", |i| &rest[i..])
}

/// Runs the gateway until SIGTERM, SIGINT or `/-/quit`.
pub(crate) fn run(args: PushgatewayArgs) -> anyhow::Result<ExitCode> {
    let level = Level::parse(&args.log_level)
        .with_context(|| format!("invalid --log.level {:?}", args.log_level))?;
    let format = match args.log_format.as_str() {
        "logfmt" => log::Format::Logfmt,
        "json" => log::Format::Json,
        f => bail!("invalid --log.format {f:?}"),
    };
    log::init(level, format);
    let listen = match args.listen_address.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => args.listen_address.clone(),
    };
    let flags = BTreeMap::from([
        ("web.listen-address".into(), args.listen_address.clone()),
        ("web.telemetry-path".into(), args.telemetry_path.clone()),
        ("web.external-url".into(), args.external_url.clone()),
        ("web.route-prefix".into(), args.route_prefix.clone()),
        (
            "web.enable-lifecycle".into(),
            args.enable_lifecycle.to_string(),
        ),
        (
            "web.enable-admin-api".into(),
            args.enable_admin_api.to_string(),
        ),
        ("persistence.file".into(), args.persistence_file.clone()),
        (
            "persistence.interval".into(),
            format!("{:?}", args.persistence_interval),
        ),
        (
            "push.disable-consistency-check".into(),
            args.disable_consistency_check.to_string(),
        ),
        (
            "push.enable-utf8-names".into(),
            args.enable_utf8_names.to_string(),
        ),
        ("log.level".into(), args.log_level.clone()),
        ("log.format".into(), args.log_format.clone()),
    ]);
    let options = Options {
        telemetry_path: args.telemetry_path,
        route_prefix: normalize_prefix(if args.route_prefix.is_empty() {
            url_path(&args.external_url)
        } else {
            &args.route_prefix
        }),
        enable_lifecycle: args.enable_lifecycle,
        enable_admin_api: args.enable_admin_api,
        persistence_file: (!args.persistence_file.is_empty())
            .then(|| PathBuf::from(&args.persistence_file)),
        persistence_interval: args.persistence_interval.max(Duration::from_millis(10)),
        consistency_check: !args.disable_consistency_check,
        max_body_bytes: args.max_body_bytes,
        utf8_names: args.enable_utf8_names,
        flags,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let gateway = Gateway::new(options);
        gateway.restore();
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        log::log(
            Level::Info,
            "listening",
            &[("address", &listener.local_addr()?)],
        );
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
            log::log(Level::Info, "received shutdown signal", &[]);
        };
        server::run(gateway, listener, shutdown)
            .await
            .context("serving HTTP")?;
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn external_url_paths() {
        assert_eq!(super::url_path("http://h:9091/pg/"), "/pg/");
        assert_eq!(super::url_path("http://h:9091"), "");
        assert_eq!(super::url_path(""), "");
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
    }
}
