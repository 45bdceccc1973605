//! Scraping: fetches every target's metrics over HTTP and appends them to
//! the TSDB head, as Prometheus' `scrape` package does.
//!
//! - [`ScrapeManager`]: one scrape pool per job; `apply_config` on reload
//!   (unchanged jobs keep running), `sync` with discovery's target sets,
//!   `stop` at shutdown; snapshots for the HTTP API
//!   ([`TargetSnapshot`], [`DroppedTarget`], [`TargetMetadata`]) and the
//!   `prometheus_target_*` self-metrics.
//! - [`target`]: Prometheus' `PopulateLabels` (job defaults, `__param_*`,
//!   `relabel_configs`, `instance`), scrape URLs, the offset spreading each
//!   target's scrapes over the interval.
//! - The scrape loop: a GET with the negotiated `Accept`, gzip decoded
//!   under `body_size_limit`, the body parsed by the format its
//!   `Content-Type` names, then appended in one appender per scrape behind
//!   a scrape cache keyed by the raw series bytes (a repeated series costs
//!   no label parsing, no relabeling). Every scrape ends with the
//!   synthetic series `up`, `scrape_duration_seconds`,
//!   `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling` and
//!   `scrape_series_added`.
//! - Staleness: a series missing from a scrape, every series after a
//!   failed scrape, and every series of a target that went away get a
//!   stale marker.
//!
//! A broken target (bad payload, slow, huge, failing) costs one `up 0` and
//! a `lastError`, never a panic or harm to another target: every failure
//! is a [`ScrapeError`] and rolls back that scrape's samples only.

mod append;
mod buffers;
mod cache;
pub mod error;
mod fetch;
mod manager;
mod metrics;
mod pool;
mod scrape_loop;
pub mod snapshot;
pub mod target;

pub use error::ScrapeError;
pub use manager::{ScrapeManager, ScrapeOptions};
pub use snapshot::{
    DroppedTarget, GlobalUrlOptions, MetricMetadata, TargetMetadata, TargetSnapshot, global_url,
};
pub use target::{Health, Target};
