//! The server's shared state: what the binary hands in ([`WebOptions`],
//! the database, the engine, hooks and providers) and what the server
//! keeps itself (readiness, request metrics, WAL replay progress).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use vigil_config::Config;
use vigil_exposition::MetricFamily;
use vigil_promql::engine::Engine;
use vigil_tsdb::db::Db;

use crate::features::Features;
use crate::notifications::Notifications;
use crate::providers::{AlertmanagersProvider, RulesProvider, TargetsProvider};
use crate::selfmetrics::HttpMetrics;

/// Reloads the configuration; resolves to the error text on failure.
pub type ReloadHook =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;
/// Asks the process to shut down (called once, by the first `/-/quit`).
pub type QuitHook = Arc<dyn Fn() + Send + Sync>;
/// Gathers metric families for `/metrics`.
pub type Collector = Arc<dyn Fn() -> Vec<MetricFamily> + Send + Sync>;
/// Hands out the configuration currently in effect.
pub type ConfigSource = Arc<dyn Fn() -> Arc<Config> + Send + Sync>;

/// Build information (`/api/v1/status/buildinfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// Version (`3.0.0`).
    pub version: String,
    /// VCS revision.
    pub revision: String,
    /// VCS branch.
    pub branch: String,
    /// Who built it.
    pub build_user: String,
    /// When it was built.
    pub build_date: String,
    /// Toolchain (Prometheus reports its Go version here).
    pub go_version: String,
}

/// Settings the binary takes from flags.
#[derive(Debug, Clone)]
pub struct WebOptions {
    /// `--web.route-prefix`, normalised by [`normalize_prefix`].
    pub route_prefix: String,
    /// `--web.external-url` (`http://host:9090/prefix`); its path is where
    /// `/` redirects to.
    pub external_url: String,
    /// `--web.enable-admin-api`.
    pub enable_admin_api: bool,
    /// `--web.enable-lifecycle`.
    pub enable_lifecycle: bool,
    /// `--web.enable-remote-write-receiver`.
    pub enable_remote_write_receiver: bool,
    /// Every flag with its value, for `/api/v1/status/flags`.
    pub flags: Vec<(String, String)>,
    /// Build information.
    pub build_info: BuildInfo,
    /// How retention is configured (`15d`, `15d or 1GiB`), for runtime info.
    pub storage_retention: String,
    /// Name in `/-/healthy` and `/-/ready` answers (`Prometheus`).
    pub app_name: String,
    /// Largest remote-write body, compressed or decompressed.
    pub max_remote_write_bytes: usize,
    /// Remote-read limits.
    pub remote_read: crate::remote_read::RemoteReadOptions,
}

impl Default for WebOptions {
    fn default() -> WebOptions {
        WebOptions {
            route_prefix: String::new(),
            external_url: "http://localhost:9090".into(),
            enable_admin_api: false,
            enable_lifecycle: false,
            enable_remote_write_receiver: false,
            flags: Vec::new(),
            build_info: BuildInfo::default(),
            storage_retention: String::new(),
            app_name: "Prometheus".into(),
            max_remote_write_bytes: 32 << 20,
            remote_read: crate::remote_read::RemoteReadOptions::default(),
        }
    }
}

/// Normalises a route prefix: `/` and empty become empty; anything else
/// starts with `/` and does not end with one.
pub fn normalize_prefix(prefix: &str) -> String {
    let p = prefix.trim_end_matches('/');
    if p.is_empty() {
        String::new()
    } else if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    }
}

/// Whether the server serves requests yet (Prometheus' `ReadyStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// Starting (WAL replay, first config load): most endpoints answer 503.
    NotReady,
    /// Serving.
    Ready,
    /// Shutting down: 503 with `X-Prometheus-Stopping: true`.
    Stopping,
}

/// WAL replay progress (`/api/v1/status/walreplay`): segment numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalReplayStatus {
    /// First segment.
    pub min: i64,
    /// Last segment.
    pub max: i64,
    /// Segment being read.
    pub current: i64,
}

/// Everything the handlers share. Build with [`WebState::new`] and the
/// `with_*` methods, then wrap in an `Arc` for [`crate::router`].
pub struct WebState {
    /// The database queried and written.
    pub db: Arc<Db>,
    /// The PromQL engine (its options give the default lookback delta and
    /// query timeout).
    pub engine: Arc<Engine>,
    /// Flag-derived settings.
    pub options: WebOptions,
    /// When the process started.
    pub start_time: SystemTime,
    pub(crate) config: ConfigSource,
    pub(crate) reload: Option<ReloadHook>,
    pub(crate) quit: Option<QuitHook>,
    pub(crate) quit_called: AtomicBool,
    pub(crate) collectors: Vec<Collector>,
    pub(crate) targets: Option<Arc<dyn TargetsProvider>>,
    pub(crate) rules: Option<Arc<dyn RulesProvider>>,
    pub(crate) alertmanagers: Option<Arc<dyn AlertmanagersProvider>>,
    ready: AtomicU8,
    wal_replay: Mutex<WalReplayStatus>,
    pub(crate) metrics: HttpMetrics,
    features: Arc<Features>,
    notifications: Arc<Notifications>,
    /// Remote-read slots (`None`: no limit).
    pub(crate) remote_read_slots: Option<Arc<tokio::sync::Semaphore>>,
    /// Remote-read requests running or waiting for a slot.
    pub(crate) remote_read_queries: std::sync::atomic::AtomicI64,
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState")
            .field("options", &self.options)
            .field("readiness", &self.readiness())
            .finish_non_exhaustive()
    }
}

impl WebState {
    /// State over `db` and `engine` with an empty default configuration,
    /// no hooks, no providers, and not ready.
    pub fn new(db: Arc<Db>, engine: Arc<Engine>, options: WebOptions) -> WebState {
        let empty = Arc::new(Config::default());
        let features = Arc::new(Features::default());
        features.register_api(&options);
        let eo = engine.options();
        features.register_promql(
            eo.enable_experimental_functions,
            eo.enable_delayed_name_removal,
        );
        let limit = options.remote_read.concurrent_limit;
        let remote_read_slots = (limit > 0).then(|| Arc::new(tokio::sync::Semaphore::new(limit)));
        WebState {
            remote_read_slots,
            remote_read_queries: std::sync::atomic::AtomicI64::new(0),
            db,
            engine,
            options,
            start_time: SystemTime::now(),
            config: Arc::new(move || Arc::clone(&empty)),
            reload: None,
            quit: None,
            quit_called: AtomicBool::new(false),
            collectors: Vec::new(),
            targets: None,
            rules: None,
            alertmanagers: None,
            ready: AtomicU8::new(0),
            wal_replay: Mutex::new(WalReplayStatus::default()),
            metrics: HttpMetrics::default(),
            features,
            notifications: Arc::new(Notifications::default()),
        }
    }

    /// The notifications to serve (the binary raises and clears them);
    /// replaces the default set, which allows 16 live subscribers.
    pub fn with_notifications(mut self, n: Arc<Notifications>) -> WebState {
        self.notifications = n;
        self
    }

    /// The feature registry of `/api/v1/features`; the binary adds its
    /// components' features.
    pub fn features(&self) -> &Arc<Features> {
        &self.features
    }

    /// The notifications served by `/api/v1/notifications`.
    pub fn notifications(&self) -> &Arc<Notifications> {
        &self.notifications
    }

    /// Sets the process start time (reported by runtime info and
    /// `process_start_time_seconds`).
    pub fn with_start_time(mut self, t: SystemTime) -> WebState {
        self.start_time = t;
        self
    }

    /// Where the current configuration comes from (status/config,
    /// federation's external labels).
    pub fn with_config(mut self, source: ConfigSource) -> WebState {
        self.config = source;
        self
    }

    /// The hook `/-/reload` awaits.
    pub fn with_reload(mut self, hook: ReloadHook) -> WebState {
        self.reload = Some(hook);
        self
    }

    /// The hook the first `/-/quit` calls.
    pub fn with_quit(mut self, hook: QuitHook) -> WebState {
        self.quit = Some(hook);
        self
    }

    /// Adds a collector to what `/metrics` renders.
    pub fn with_collector(mut self, c: Collector) -> WebState {
        self.collectors.push(c);
        self
    }

    /// The scrape manager.
    pub fn with_targets(mut self, p: Arc<dyn TargetsProvider>) -> WebState {
        self.targets = Some(p);
        self
    }

    /// The rule manager.
    pub fn with_rules(mut self, p: Arc<dyn RulesProvider>) -> WebState {
        self.rules = Some(p);
        self
    }

    /// The notifier.
    pub fn with_alertmanagers(mut self, p: Arc<dyn AlertmanagersProvider>) -> WebState {
        self.alertmanagers = Some(p);
        self
    }

    /// The configuration in effect.
    pub fn config(&self) -> Arc<Config> {
        (self.config)()
    }

    /// Marks the server ready (or not, or stopping).
    pub fn set_readiness(&self, r: Readiness) {
        let v = match r {
            Readiness::NotReady => 0,
            Readiness::Ready => 1,
            Readiness::Stopping => 2,
        };
        self.ready.store(v, Ordering::Release);
    }

    /// Shorthand for `set_readiness(Readiness::Ready)`.
    pub fn set_ready(&self) {
        self.set_readiness(Readiness::Ready);
    }

    /// The current readiness.
    pub fn readiness(&self) -> Readiness {
        match self.ready.load(Ordering::Acquire) {
            1 => Readiness::Ready,
            2 => Readiness::Stopping,
            _ => Readiness::NotReady,
        }
    }

    /// Records WAL replay progress.
    pub fn set_wal_replay(&self, s: WalReplayStatus) {
        *self.wal_replay.lock().unwrap_or_else(|e| e.into_inner()) = s;
    }

    /// The WAL replay progress last recorded.
    pub fn wal_replay(&self) -> WalReplayStatus {
        *self.wal_replay.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every metric family `/metrics` serves: the collectors', the
    /// database's, the HTTP server's and the process'.
    pub fn gather(&self) -> Vec<MetricFamily> {
        crate::selfmetrics::gather(self)
    }
}
