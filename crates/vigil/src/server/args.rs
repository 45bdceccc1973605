//! The flags of `vigil server`, named and defaulted as Prometheus 3.x's
//! (`prometheus --help`), so an operator's command line carries over.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use vigil_config::Duration as PromDuration;

/// Arguments of `vigil server`.
#[derive(Debug, Args)]
pub(crate) struct ServerArgs {
    /// Prometheus configuration file path. Without it, ./prometheus.yml is
    /// read if it exists, else an embedded configuration that scrapes the
    /// server itself.
    #[arg(long = "config.file")]
    pub(crate) config_file: Option<PathBuf>,
    /// Address to listen on for UI, API, and telemetry.
    #[arg(long = "web.listen-address", default_value = "0.0.0.0:9090")]
    pub(crate) listen_address: String,
    /// The URL under which the server is externally reachable (used for
    /// generating relative and absolute links back to it).
    #[arg(long = "web.external-url", default_value = "")]
    pub(crate) external_url: String,
    /// Prefix for the internal routes of web endpoints. Defaults to the path
    /// of --web.external-url.
    #[arg(long = "web.route-prefix")]
    pub(crate) route_prefix: Option<String>,
    /// Enable shutdown and reload via HTTP request.
    #[arg(long = "web.enable-lifecycle")]
    pub(crate) enable_lifecycle: bool,
    /// Enable API endpoints for admin control actions.
    #[arg(long = "web.enable-admin-api")]
    pub(crate) enable_admin_api: bool,
    /// Enable API endpoint accepting remote write requests.
    #[arg(long = "web.enable-remote-write-receiver")]
    pub(crate) enable_remote_write_receiver: bool,
    /// Maximum duration before timing out read of the request, and closing
    /// idle connections.
    #[arg(long = "web.read-timeout", default_value = "5m", value_parser = parse_duration)]
    pub(crate) read_timeout: PromDuration,
    /// Maximum number of simultaneous connections across all listeners.
    #[arg(long = "web.max-connections", default_value_t = 512)]
    pub(crate) max_connections: usize,
    /// Limits the maximum number of subscribers that can concurrently
    /// receive live notifications; further subscriptions are refused until
    /// existing connections close.
    #[arg(long = "web.max-notifications-subscribers", default_value_t = 16)]
    pub(crate) max_notifications_subscribers: usize,
    /// Document title of the web pages.
    #[arg(
        long = "web.page-title",
        default_value = "Prometheus Time Series Collection and Processing Server"
    )]
    pub(crate) page_title: String,
    /// Regex for CORS origin. It is fully anchored.
    #[arg(long = "web.cors.origin", default_value = ".*")]
    pub(crate) cors_origin: String,
    /// Maximum overall number of samples to return via the remote read
    /// interface, in a single query. 0 means no limit. This limit is
    /// ignored for streamed response types.
    #[arg(
        long = "storage.remote.read-sample-limit",
        default_value_t = 50_000_000
    )]
    pub(crate) remote_read_sample_limit: usize,
    /// Maximum number of concurrent remote read calls. 0 means no limit.
    #[arg(long = "storage.remote.read-concurrent-limit", default_value_t = 10)]
    pub(crate) remote_read_concurrent_limit: usize,
    /// Maximum number of bytes in a single frame for streaming remote read
    /// response types before marshalling.
    #[arg(
        long = "storage.remote.read-max-bytes-in-frame",
        default_value_t = 1_048_576
    )]
    pub(crate) remote_read_max_bytes_in_frame: usize,
    /// Base path for metrics storage.
    #[arg(long = "storage.tsdb.path", default_value = "data/")]
    pub(crate) tsdb_path: PathBuf,
    /// How long to retain samples in storage. If neither this flag nor
    /// --storage.tsdb.retention.size is set, the retention time defaults to
    /// 15d. Units: y, w, d, h, m, s, ms.
    #[arg(long = "storage.tsdb.retention.time", value_parser = parse_duration)]
    pub(crate) retention_time: Option<PromDuration>,
    /// Deprecated alias of --storage.tsdb.retention.time.
    #[arg(long = "storage.tsdb.retention", value_parser = parse_duration, hide = true)]
    pub(crate) retention_deprecated: Option<PromDuration>,
    /// Maximum number of bytes that can be stored for blocks. Units: B, KB,
    /// MB, GB, TB, PB, EB.
    #[arg(long = "storage.tsdb.retention.size", value_parser = parse_bytes)]
    pub(crate) retention_size: Option<u64>,
    /// Do not create lockfile in data directory (accepted for
    /// compatibility; Vigil always locks its data directory).
    #[arg(long = "storage.tsdb.no-lockfile")]
    pub(crate) no_lockfile: bool,
    /// Compress the tsdb WAL (on by default).
    #[arg(
        long = "storage.tsdb.wal-compression",
        overrides_with = "no_wal_compression"
    )]
    pub(crate) wal_compression: bool,
    /// Do not compress the tsdb WAL.
    #[arg(long = "no-storage.tsdb.wal-compression")]
    pub(crate) no_wal_compression: bool,
    /// Minimum duration of a data block before being persisted.
    #[arg(long = "storage.tsdb.min-block-duration", default_value = "2h",
          value_parser = parse_duration, hide = true)]
    pub(crate) min_block_duration: PromDuration,
    /// Maximum duration compacted blocks may span (default: 10 % of the
    /// retention time, at most 31d).
    #[arg(long = "storage.tsdb.max-block-duration", value_parser = parse_duration, hide = true)]
    pub(crate) max_block_duration: Option<PromDuration>,
    /// Maximum number of exemplars to store in the in-memory exemplar
    /// storage (with --enable-feature=exemplar-storage; the configuration
    /// file's storage.exemplars.max_exemplars wins when set).
    #[arg(
        long = "storage.exemplars.max-exemplars",
        default_value_t = 100_000,
        hide = true
    )]
    pub(crate) max_exemplars: usize,
    /// The maximum lookback duration for retrieving metrics during
    /// expression evaluations and federation.
    #[arg(long = "query.lookback-delta", default_value = "5m", value_parser = parse_duration)]
    pub(crate) lookback_delta: PromDuration,
    /// Maximum time a query may take before being aborted.
    #[arg(long = "query.timeout", default_value = "2m", value_parser = parse_duration)]
    pub(crate) query_timeout: PromDuration,
    /// Maximum number of queries executed concurrently.
    #[arg(long = "query.max-concurrency", default_value_t = 20)]
    pub(crate) query_max_concurrency: usize,
    /// Maximum number of samples a single query can load into memory.
    #[arg(long = "query.max-samples", default_value_t = 50_000_000)]
    pub(crate) query_max_samples: usize,
    /// Minimum duration an alert's state must be kept across an outage to
    /// be restored.
    #[arg(long = "rules.alert.for-outage-tolerance", default_value = "1h",
          value_parser = parse_duration)]
    pub(crate) for_outage_tolerance: PromDuration,
    /// Minimum duration between alert and restored "for" state.
    #[arg(long = "rules.alert.for-grace-period", default_value = "10m",
          value_parser = parse_duration)]
    pub(crate) for_grace_period: PromDuration,
    /// Minimum amount of time to wait before resending an alert to
    /// Alertmanager.
    #[arg(long = "rules.alert.resend-delay", default_value = "1m", value_parser = parse_duration)]
    pub(crate) resend_delay: PromDuration,
    /// Global concurrency limit for independent rules that can run
    /// concurrently.
    #[arg(long = "rules.max-concurrent-evals", default_value_t = 4)]
    pub(crate) max_concurrent_evals: usize,
    /// The capacity of the queue for pending Alertmanager notifications.
    #[arg(
        long = "alertmanager.notification-queue-capacity",
        default_value_t = 10_000
    )]
    pub(crate) notification_queue_capacity: usize,
    /// Adjust scrape timestamps by up to --scrape.timestamp-tolerance to
    /// align them to the intended schedule.
    #[arg(long = "scrape.adjust-timestamps", default_value_t = true,
          action = clap::ArgAction::Set, hide = true)]
    pub(crate) scrape_adjust_timestamps: bool,
    /// Timestamp tolerance.
    #[arg(long = "scrape.timestamp-tolerance", default_value = "2ms",
          value_parser = parse_duration, hide = true)]
    pub(crate) scrape_timestamp_tolerance: PromDuration,
    /// Comma separated feature names to enable (e.g.
    /// promql-experimental-functions, exemplar-storage,
    /// native-histograms).
    #[arg(long = "enable-feature", value_delimiter = ',')]
    pub(crate) enable_feature: Vec<String>,
    /// Run in agent mode (not supported yet).
    #[arg(long = "agent")]
    pub(crate) agent: bool,
    /// Only log messages with the given severity or above: debug, info,
    /// warn, error.
    #[arg(long = "log.level", default_value = "info")]
    pub(crate) log_level: String,
    /// Output format of log messages: logfmt, json.
    #[arg(long = "log.format", default_value = "logfmt")]
    pub(crate) log_format: String,
}

/// Feature flags Prometheus 3.x knows; an unknown one is logged and
/// ignored, as Prometheus does.
pub(crate) const KNOWN_FEATURES: &[&str] = &[
    "exemplar-storage",
    "expand-external-labels",
    "memory-snapshot-on-shutdown",
    "extra-scrape-metrics",
    "auto-gomaxprocs",
    "auto-gomemlimit",
    "auto-reload-config",
    "concurrent-rule-eval",
    "created-timestamp-zero-ingestion",
    "delayed-compaction",
    "metadata-wal-records",
    "native-histograms",
    "new-service-discovery-manager",
    "no-default-scrape-port",
    "old-ui",
    "otlp-deltatocumulative",
    "otlp-write-receiver",
    "promql-delayed-name-removal",
    "promql-experimental-functions",
    "promql-per-step-stats",
    "type-and-unit-labels",
    "use-uncached-io",
];

impl ServerArgs {
    /// Whether `--enable-feature` names `feature`.
    pub(crate) fn feature(&self, feature: &str) -> bool {
        self.enable_feature.iter().any(|f| f.trim() == feature)
    }

    /// The retention time in milliseconds after Prometheus' rules: the
    /// flag, else its deprecated alias, else 15 days unless a size limit
    /// is set (then no time limit).
    pub(crate) fn retention_ms(&self) -> i64 {
        let set = self.retention_time.or(self.retention_deprecated);
        match set {
            Some(d) => d.as_millis(),
            None if self.retention_size.is_some() => 0,
            None => 15 * 24 * 3600 * 1000,
        }
    }

    /// Whether WAL records are snappy-compressed.
    pub(crate) fn wal_compression(&self) -> bool {
        !self.no_wal_compression
    }

    /// Checks combinations clap cannot express.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        if self.agent {
            bail!("--agent: agent mode is not supported by vigil server yet");
        }
        if self.min_block_duration.as_millis() <= 0 {
            bail!("--storage.tsdb.min-block-duration must be positive");
        }
        if let Some(max) = self.max_block_duration
            && max.as_millis() < self.min_block_duration.as_millis()
        {
            bail!(
                "--storage.tsdb.max-block-duration must be at least --storage.tsdb.min-block-duration"
            );
        }
        if self.query_max_concurrency == 0 {
            bail!("--query.max-concurrency must be positive");
        }
        Ok(())
    }

    /// The flags as `/api/v1/status/flags` lists them: every flag by name
    /// with its value as text.
    pub(crate) fn flag_values(&self) -> Vec<(String, String)> {
        let d = |d: &PromDuration| d.to_string();
        let opt_d =
            |d: &Option<PromDuration>| d.map(|d| d.to_string()).unwrap_or_else(|| "0s".into());
        let mut out = vec![
            (
                "config.file",
                self.config_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "prometheus.yml".into()),
            ),
            ("web.listen-address", self.listen_address.clone()),
            ("web.external-url", self.external_url.clone()),
            (
                "web.route-prefix",
                self.route_prefix.clone().unwrap_or_default(),
            ),
            ("web.enable-lifecycle", self.enable_lifecycle.to_string()),
            ("web.enable-admin-api", self.enable_admin_api.to_string()),
            (
                "web.enable-remote-write-receiver",
                self.enable_remote_write_receiver.to_string(),
            ),
            ("web.read-timeout", d(&self.read_timeout)),
            ("web.max-connections", self.max_connections.to_string()),
            (
                "web.max-notifications-subscribers",
                self.max_notifications_subscribers.to_string(),
            ),
            ("web.page-title", self.page_title.clone()),
            ("web.cors.origin", self.cors_origin.clone()),
            (
                "storage.remote.read-sample-limit",
                self.remote_read_sample_limit.to_string(),
            ),
            (
                "storage.remote.read-concurrent-limit",
                self.remote_read_concurrent_limit.to_string(),
            ),
            (
                "storage.remote.read-max-bytes-in-frame",
                self.remote_read_max_bytes_in_frame.to_string(),
            ),
            ("storage.tsdb.path", self.tsdb_path.display().to_string()),
            ("storage.tsdb.retention.time", opt_d(&self.retention_time)),
            (
                "storage.tsdb.retention.size",
                self.retention_size
                    .map(|b| format!("{b}B"))
                    .unwrap_or_else(|| "0B".into()),
            ),
            ("storage.tsdb.no-lockfile", self.no_lockfile.to_string()),
            (
                "storage.tsdb.wal-compression",
                self.wal_compression().to_string(),
            ),
            (
                "storage.tsdb.min-block-duration",
                d(&self.min_block_duration),
            ),
            (
                "storage.tsdb.max-block-duration",
                opt_d(&self.max_block_duration),
            ),
            (
                "storage.exemplars.max-exemplars",
                self.max_exemplars.to_string(),
            ),
            ("query.lookback-delta", d(&self.lookback_delta)),
            ("query.timeout", d(&self.query_timeout)),
            (
                "query.max-concurrency",
                self.query_max_concurrency.to_string(),
            ),
            ("query.max-samples", self.query_max_samples.to_string()),
            (
                "rules.alert.for-outage-tolerance",
                d(&self.for_outage_tolerance),
            ),
            ("rules.alert.for-grace-period", d(&self.for_grace_period)),
            ("rules.alert.resend-delay", d(&self.resend_delay)),
            (
                "rules.max-concurrent-evals",
                self.max_concurrent_evals.to_string(),
            ),
            (
                "alertmanager.notification-queue-capacity",
                self.notification_queue_capacity.to_string(),
            ),
            (
                "scrape.adjust-timestamps",
                self.scrape_adjust_timestamps.to_string(),
            ),
            (
                "scrape.timestamp-tolerance",
                d(&self.scrape_timestamp_tolerance),
            ),
            ("enable-feature", self.enable_feature.join(",")),
            ("agent", self.agent.to_string()),
            ("log.level", self.log_level.clone()),
            ("log.format", self.log_format.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect::<Vec<_>>();
        out.sort();
        out
    }
}

/// Parses a Prometheus duration (`15d`, `1h30m`, `250ms`).
fn parse_duration(s: &str) -> Result<PromDuration, String> {
    PromDuration::parse(s)
}

/// Parses a Prometheus byte size (`512MB`, `1GB`) into bytes.
fn parse_bytes(s: &str) -> Result<u64, String> {
    vigil_config::ByteSize::parse(s).map(|b| b.0)
}

/// The path of `--web.route-prefix`, defaulting to the path of
/// `--web.external-url`, normalised to `""` or `/x` without a trailing
/// slash.
pub(crate) fn route_prefix(args: &ServerArgs) -> anyhow::Result<String> {
    let raw = match &args.route_prefix {
        Some(p) => p.clone(),
        None => external_url_path(&args.external_url)
            .with_context(|| format!("invalid --web.external-url {:?}", args.external_url))?,
    };
    let trimmed = raw.trim_end_matches('/');
    Ok(if trimmed.is_empty() {
        String::new()
    } else if trimmed.starts_with('/') {
        trimmed.to_string()
    } else {
        format!("/{trimmed}")
    })
}

/// The path part of an external URL (`http://h:9090/prom/` → `/prom/`).
fn external_url_path(url: &str) -> anyhow::Result<String> {
    if url.is_empty() {
        return Ok(String::new());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!("not an absolute URL");
    };
    if scheme.is_empty() || rest.is_empty() {
        bail!("not an absolute URL");
    }
    Ok(rest
        .find('/')
        .map_or(String::new(), |i| rest[i..].to_string()))
}

/// `vigil server` arguments parsed from `argv` (tests of this module and
/// its siblings).
#[cfg(test)]
pub(crate) fn parse_for_tests(argv: &[&str]) -> Result<ServerArgs, clap::Error> {
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(flatten)]
        args: ServerArgs,
    }
    let mut all = vec!["server"];
    all.extend_from_slice(argv);
    Wrap::try_parse_from(all).map(|w| w.args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> ServerArgs {
        parse_for_tests(argv).unwrap()
    }

    #[test]
    fn defaults_are_prometheus_defaults() {
        let a = parse(&[]);
        assert_eq!(a.listen_address, "0.0.0.0:9090");
        assert_eq!(a.tsdb_path, PathBuf::from("data/"));
        assert_eq!(a.retention_ms(), 15 * 24 * 3600 * 1000);
        assert_eq!(a.lookback_delta.as_millis(), 300_000);
        assert_eq!(a.query_timeout.as_millis(), 120_000);
        assert!(a.wal_compression());
        assert_eq!(route_prefix(&a).unwrap(), "");
    }

    #[test]
    fn retention_follows_prometheus_rules() {
        assert_eq!(
            parse(&["--storage.tsdb.retention.time=2d"]).retention_ms(),
            2 * 86_400_000
        );
        assert_eq!(
            parse(&["--storage.tsdb.retention=1h"]).retention_ms(),
            3_600_000
        );
        let sized = parse(&["--storage.tsdb.retention.size=1GB"]);
        assert_eq!(sized.retention_ms(), 0);
        assert_eq!(sized.retention_size, Some(1 << 30));
        assert!(parse_for_tests(&["--storage.tsdb.retention.time=5x"]).is_err());
    }

    #[test]
    fn features_and_negated_flags() {
        let a = parse(&[
            "--enable-feature=exemplar-storage,promql-experimental-functions",
            "--enable-feature",
            "native-histograms",
            "--no-storage.tsdb.wal-compression",
        ]);
        assert!(a.feature("exemplar-storage"));
        assert!(a.feature("promql-experimental-functions"));
        assert!(a.feature("native-histograms"));
        assert!(!a.feature("old-ui"));
        assert!(!a.wal_compression());
    }

    #[test]
    fn route_prefix_from_external_url() {
        let a = parse(&["--web.external-url=http://example.com:9090/prom/"]);
        assert_eq!(route_prefix(&a).unwrap(), "/prom");
        let b = parse(&[
            "--web.external-url=http://x/prom",
            "--web.route-prefix=/other/",
        ]);
        assert_eq!(route_prefix(&b).unwrap(), "/other");
        let c = parse(&["--web.route-prefix=/"]);
        assert_eq!(route_prefix(&c).unwrap(), "");
        let bad = parse(&["--web.external-url=no-scheme"]);
        assert!(route_prefix(&bad).is_err());
    }

    #[test]
    fn flag_values_name_every_flag() {
        let flags = parse(&[]).flag_values();
        let get = |k: &str| flags.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("storage.tsdb.path"), Some("data/"));
        assert_eq!(get("query.lookback-delta"), Some("5m"));
        assert_eq!(get("web.enable-lifecycle"), Some("false"));
        assert!(flags.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
