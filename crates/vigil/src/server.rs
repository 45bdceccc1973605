//! `vigil server`: the Prometheus server's flags and the process around its
//! parts. Start-up follows Prometheus' order: load the configuration (a bad
//! one stops the start), open the TSDB (WAL replay), then start service
//! discovery, scraping, the compactor and the HTTP server, and declare
//! readiness. SIGHUP and `POST /-/reload` reload the configuration
//! atomically (a bad file keeps the running one and sets
//! `prometheus_config_last_reload_successful` to 0); SIGTERM, SIGINT and
//! `/-/quit` stop scraping, finish in-flight requests, sync the WAL and
//! close the TSDB.

mod alerting;
mod args;
mod config_source;
mod features;
mod selfmetrics;
mod storage;
mod targets;

use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use anyhow::{Context as _, bail};
use tokio::sync::{Mutex as AsyncMutex, mpsc, watch};
use vigil_config::Config;
use vigil_discovery::{DiscoveryManager, DiscoveryOptions};
use vigil_notifier::{Notifier, NotifierOptions};
use vigil_promql::engine::{Engine, EngineOptions};
use vigil_rules::{ManagerOptions, RuleManager};
use vigil_scrape::{ScrapeManager, ScrapeOptions};
use vigil_tsdb::db::Db;
use vigil_web::notifications::{self, Notifications};
use vigil_web::{BuildInfo, Readiness, WebOptions, WebState};

pub(crate) use args::ServerArgs;
use config_source::{ConfigSource, ReloadState};

use crate::logging;

/// Runs the server until SIGTERM, SIGINT or `/-/quit`.
pub(crate) fn run(args: ServerArgs) -> anyhow::Result<ExitCode> {
    let level = logging::parse_level(&args.log_level)
        .with_context(|| format!("invalid --log.level {:?}", args.log_level))?;
    let format = logging::Format::parse(&args.log_format)
        .with_context(|| format!("invalid --log.format {:?}", args.log_format))?;
    logging::init(level, format);
    args.validate()?;
    for f in &args.enable_feature {
        let f = f.trim();
        if args::KNOWN_FEATURES.contains(&f) {
            log::info!("Experimental feature enabled feature={f}");
        } else if !f.is_empty() {
            log::warn!("Unknown option for --enable-feature option={f}");
        }
    }
    let source = ConfigSource::resolve(args.config_file.as_deref(), &args.listen_address);
    log::info!("Starting Vigil server version={}", selfmetrics::VERSION);
    if let ConfigSource::Embedded(_) = source {
        log::info!("No --config.file and no ./prometheus.yml: using the embedded configuration");
    }
    let config = source.load()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("vigil")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args, source, config))
}

/// What reloads touch, shared by the SIGHUP handler and `/-/reload`.
struct Reloader {
    source: ConfigSource,
    current: Arc<RwLock<Arc<Config>>>,
    state: Arc<ReloadState>,
    discovery: Arc<DiscoveryManager>,
    scrape: Arc<ScrapeManager>,
    rules: Arc<RuleManager>,
    notifier: Arc<Notifier>,
    am_discovery: Arc<DiscoveryManager>,
    external_url: String,
    /// Raises and clears the failed-reload notice.
    notifications: Arc<Notifications>,
    /// One reload at a time, as Prometheus serialises them.
    lock: AsyncMutex<()>,
}

impl Reloader {
    /// Loads the configuration again and applies it to every component;
    /// on error nothing changes but the reload metrics.
    async fn reload(&self) -> Result<(), String> {
        let _guard = self.lock.lock().await;
        log::info!(
            "Loading configuration file filename={}",
            self.source.describe()
        );
        let source = self.source.clone();
        let loaded = tokio::task::spawn_blocking(move || source.load())
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| format!("{e:#}")));
        let config = match loaded {
            Ok(c) => Arc::new(c),
            Err(e) => return Err(self.failed(e)),
        };
        if let Err(e) = self.apply(&config) {
            return Err(self.failed(e));
        }
        if let Ok(mut cur) = self.current.write() {
            *cur = Arc::clone(&config);
        }
        self.state.record(true);
        self.notifications
            .delete(notifications::CONFIGURATION_UNSUCCESSFUL);
        log::info!(
            "Completed loading of configuration file filename={}",
            self.source.describe()
        );
        Ok(())
    }

    /// Records a failed reload (metrics, log, the UI's notice).
    fn failed(&self, e: String) -> String {
        self.state.record(false);
        self.notifications
            .add(notifications::CONFIGURATION_UNSUCCESSFUL);
        log::error!("Error reloading config err={e}");
        e
    }

    /// Applies `config` to every component. Rule files load first: when
    /// one is bad, the manager keeps its previous rules and nothing else
    /// changes either, so a reload is all or nothing.
    fn apply(&self, config: &Config) -> Result<(), String> {
        let rules_config =
            alerting::rules_config(config, &self.external_url).map_err(|e| e.to_string())?;
        self.rules
            .update(&rules_config)
            .map_err(|e| e.to_string())?;
        self.notifier
            .apply_config(&config.alerting, &alerting::external_labels(config))
            .map_err(|e| e.to_string())?;
        alerting::apply_alertmanager_discovery(&self.am_discovery, config);
        self.scrape.apply_config(config);
        self.discovery.apply_scrape_configs(config);
        Ok(())
    }
}

/// Binds `--web.listen-address` (`:9090` means every interface).
async fn bind(addr: &str) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = match addr.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => addr.to_string(),
    };
    tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("listening on {addr}"))
}

fn engine_options(args: &ServerArgs, config: &Config) -> EngineOptions {
    EngineOptions {
        lookback_delta: args.lookback_delta.as_millis(),
        max_samples: args.query_max_samples,
        enable_experimental_functions: args.feature("promql-experimental-functions"),
        enable_delayed_name_removal: args.feature("promql-delayed-name-removal"),
        use_start_timestamps: false,
        default_subquery_step: config.global.evaluation_interval.as_millis().max(1),
        timeout: Some(args.query_timeout.to_std()),
    }
}

async fn serve(args: ServerArgs, source: ConfigSource, config: Config) -> anyhow::Result<ExitCode> {
    let start_time = SystemTime::now();
    let notices = Arc::new(Notifications::new(args.max_notifications_subscribers));
    notices.add(notifications::STARTING_UP);
    let listener = bind(&args.listen_address).await?;
    let route_prefix = args::route_prefix(&args)?;

    let db_opts = storage::db_options(&args, &config);
    let retention = describe_retention(&db_opts);
    let dir = args.tsdb_path.clone();
    let db: Arc<Db> = tokio::task::spawn_blocking(move || storage::open(&dir, db_opts))
        .await
        .context("opening storage")??;
    let engine = Arc::new(Engine::new(engine_options(&args, &config)));

    let config = Arc::new(config);
    let current = Arc::new(RwLock::new(Arc::clone(&config)));
    let reload_state = Arc::new(ReloadState::default());
    reload_state.record(true);

    let external_url = external_url(&args);
    let discovery = Arc::new(DiscoveryManager::new(DiscoveryOptions::default()));
    let scrape = Arc::new(ScrapeManager::new(
        Arc::clone(&db),
        ScrapeOptions {
            offset_seed: offset_seed(&config),
            align_tolerance: args
                .scrape_adjust_timestamps
                .then(|| args.scrape_timestamp_tolerance.to_std()),
            ..ScrapeOptions::default()
        },
    ));
    let notifier = Arc::new(Notifier::new(NotifierOptions {
        queue_capacity: args.notification_queue_capacity,
        ..NotifierOptions::default()
    }));
    let notifier_task = tokio::spawn({
        let n = Arc::clone(&notifier);
        async move { n.run().await }
    });
    let am_discovery = Arc::new(alerting::alertmanager_discovery());
    let am_follow = tokio::spawn(alerting::follow_alertmanagers(
        Arc::clone(&notifier),
        am_discovery.subscribe(),
    ));
    let mut rule_opts = ManagerOptions::new(
        Arc::clone(&engine),
        Arc::clone(&db) as Arc<dyn vigil_promql::storage::Queryable>,
        Arc::clone(&db) as Arc<dyn vigil_rules::Appendable>,
    );
    rule_opts.notify = Some(alerting::notify_fn(Arc::clone(&notifier)));
    rule_opts.for_outage_tolerance = args.for_outage_tolerance.as_millis();
    rule_opts.for_grace_period = args.for_grace_period.as_millis();
    rule_opts.resend_delay = args.resend_delay.as_millis();
    rule_opts.concurrent_evals = args.feature("concurrent-rule-eval");
    rule_opts.max_concurrent_evals = args.max_concurrent_evals;
    let rules = Arc::new(RuleManager::new(rule_opts));
    let reloader = Arc::new(Reloader {
        source,
        current: Arc::clone(&current),
        state: Arc::clone(&reload_state),
        discovery: Arc::clone(&discovery),
        scrape: Arc::clone(&scrape),
        rules: Arc::clone(&rules),
        notifier: Arc::clone(&notifier),
        am_discovery: Arc::clone(&am_discovery),
        external_url: external_url.clone(),
        notifications: Arc::clone(&notices),
        lock: AsyncMutex::new(()),
    });
    // A configuration whose rule files do not load stops the start, as in
    // Prometheus.
    reloader
        .apply(&config)
        .map_err(|e| anyhow::anyhow!("error loading config: {e}"))?;
    rules.start();

    // Discovery → scraping.
    let mut groups = discovery.subscribe();
    let scrape_sync = Arc::clone(&scrape);
    let sync_task = tokio::spawn(async move {
        while groups.changed().await.is_ok() {
            let sets = groups.borrow_and_update().clone();
            scrape_sync.sync(&sets);
        }
    });

    let (stop_tx, stop_rx) = watch::channel(false);
    let compactor = tokio::spawn(storage::compactor(Arc::clone(&db), stop_rx.clone()));

    let (quit_tx, mut quit_rx) = mpsc::channel::<()>(1);
    let web_options = WebOptions {
        route_prefix,
        external_url: external_url.clone(),
        enable_admin_api: args.enable_admin_api,
        enable_lifecycle: args.enable_lifecycle,
        enable_remote_write_receiver: args.enable_remote_write_receiver,
        flags: args.flag_values(),
        build_info: BuildInfo {
            version: selfmetrics::VERSION.to_string(),
            go_version: selfmetrics::TOOLCHAIN.to_string(),
            ..BuildInfo::default()
        },
        storage_retention: retention,
        remote_read: vigil_web::remote_read::RemoteReadOptions {
            sample_limit: args.remote_read_sample_limit,
            concurrent_limit: args.remote_read_concurrent_limit,
            max_bytes_in_frame: args.remote_read_max_bytes_in_frame,
        },
        ..WebOptions::default()
    };
    let cfg_source = Arc::clone(&current);
    let reload_hook = Arc::clone(&reloader);
    let sd_metrics = Arc::clone(&discovery);
    let scrape_metrics = Arc::clone(&scrape);
    let am_sd_metrics = Arc::clone(&am_discovery);
    let rule_metrics = Arc::clone(&rules);
    let notifier_metrics = Arc::clone(&notifier);
    let reload_metrics = Arc::clone(&reload_state);
    let web = Arc::new(
        WebState::new(Arc::clone(&db), Arc::clone(&engine), web_options)
            .with_start_time(start_time)
            .with_config(Arc::new(move || {
                cfg_source
                    .read()
                    .map(|c| Arc::clone(&c))
                    .unwrap_or_else(|p| Arc::clone(&p.into_inner()))
            }))
            .with_reload(Arc::new(move || {
                let r = Arc::clone(&reload_hook);
                Box::pin(async move { r.reload().await })
            }))
            .with_quit(Arc::new(move || {
                let _ = quit_tx.try_send(());
            }))
            .with_collector(Arc::new(|| vec![selfmetrics::build_info()]))
            .with_collector(Arc::new(move || reload_metrics.metrics()))
            .with_collector(Arc::new(move || sd_metrics.metrics()))
            .with_collector(Arc::new(move || scrape_metrics.metrics()))
            .with_collector(Arc::new(move || am_sd_metrics.metrics()))
            .with_collector(Arc::new(move || rule_metrics.metrics()))
            .with_collector(Arc::new(move || notifier_metrics.metrics()))
            .with_rules(Arc::new(alerting::Rules(Arc::clone(&rules))))
            .with_alertmanagers(Arc::new(alerting::Alertmanagers(Arc::clone(&notifier))))
            .with_targets(Arc::new(targets::Targets::new(Arc::clone(&scrape))))
            .with_notifications(Arc::clone(&notices)),
    );
    features::register(web.features(), &args);
    let router = vigil_web::router(Arc::clone(&web));
    let mut web_stop = stop_rx.clone();
    let serve_opts = vigil_web::ServeOptions {
        max_connections: args.max_connections,
        read_timeout: Some(args.read_timeout.to_std()),
    };
    let server = tokio::spawn(vigil_web::serve_with(
        listener,
        serve_opts,
        router,
        async move {
            let _ = web_stop.changed().await;
        },
    ));
    web.set_ready();
    notices.delete(notifications::STARTING_UP);
    log::info!("Server is ready to receive web requests.");

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("installing the SIGHUP handler")?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                log::warn!("Received an OS signal, exiting gracefully... signal=interrupt");
                break;
            }
            _ = term.recv() => {
                log::warn!("Received an OS signal, exiting gracefully... signal=terminated");
                break;
            }
            _ = quit_rx.recv() => {
                log::warn!("Received termination request via web service, exiting gracefully...");
                break;
            }
            _ = hup.recv() => {
                let _ = reloader.reload().await;
            }
        }
    }

    notices.add(notifications::SHUTTING_DOWN);
    notices.close();
    web.set_readiness(Readiness::Stopping);
    discovery.stop();
    am_discovery.stop();
    sync_task.abort();
    am_follow.abort();
    scrape.stop().await;
    let stopping_rules = Arc::clone(&rules);
    let _ = tokio::task::spawn_blocking(move || stopping_rules.stop()).await;
    notifier.stop();
    let _ = notifier_task.await;
    let _ = stop_tx.send(true);
    let _ = compactor.await;
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::error!("HTTP server failed: {e}"),
        Err(e) => log::error!("HTTP server task failed: {e}"),
    }
    drop(web);
    let db_close = Arc::clone(&db);
    drop(db);
    let synced = tokio::task::spawn_blocking(move || db_close.head().sync_wal()).await;
    match synced {
        Ok(Ok(())) => log::info!("TSDB closed; see you next time!"),
        Ok(Err(e)) => bail!("syncing the WAL on shutdown: {e}"),
        Err(e) => bail!("syncing the WAL on shutdown: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// A seed that places this server's scrapes in each interval: servers with
/// different external labels (replicas) scrape the same targets at
/// different moments, as Prometheus seeds its offsets with them.
fn offset_seed(config: &Config) -> u64 {
    let mut text = String::new();
    for (k, v) in &config.global.external_labels {
        text.push_str(k);
        text.push('\u{ff}');
        text.push_str(v);
        text.push('\u{ff}');
    }
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// The external URL: the flag, or `http://<hostname>:<port>` as Prometheus
/// derives it.
fn external_url(args: &ServerArgs) -> String {
    if !args.external_url.is_empty() {
        return args.external_url.trim_end_matches('/').to_string();
    }
    let port = args
        .listen_address
        .rsplit_once(':')
        .map_or("9090", |(_, p)| p);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("http://{host}:{port}")
}

/// How retention is set, as runtime info shows it (`15d`, `1GiB`,
/// `15d or 1GiB`).
fn describe_retention(opts: &vigil_tsdb::db::DbOptions) -> String {
    let time = (opts.retention_time > 0)
        .then(|| vigil_config::Duration::from_millis(opts.retention_time).to_string());
    let size = (opts.retention_size > 0).then(|| format!("{}B", opts.retention_size));
    match (time, size) {
        (Some(t), Some(s)) => format!("{t} or {s}"),
        (Some(t), None) => t,
        (None, Some(s)) => s,
        (None, None) => String::new(),
    }
}
