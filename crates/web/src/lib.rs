//! Vigil's HTTP server for `vigil server`: Prometheus' HTTP API v1 with
//! the same JSON field for field, federation, self-metrics, lifecycle
//! endpoints, the remote-write receiver, the remote-read endpoint and a
//! minimal query page.
//!
//! The binary builds a [`WebState`] (the [`vigil_tsdb::db::Db`], the
//! [`vigil_promql::engine::Engine`], [`WebOptions`] from flags, and with
//! `with_*` methods the configuration source, reload and quit hooks,
//! metric collectors, and the [`TargetsProvider`], [`RulesProvider`] and
//! [`AlertmanagersProvider`] it implements over its components), calls
//! [`router`] and runs it with [`serve`]. [`WebState::set_ready`] opens
//! the endpoints that wait for readiness.
//!
//! Modules: `api/` (one file per endpoint family), [`json`] (Prometheus'
//! exact number, time and histogram rendering), [`params`] (form values,
//! time/duration/limit/selector parsing with Prometheus' error texts),
//! [`error`] ([`ApiError`], one variant per API error type), `federate`,
//! `remote_write`, `selfmetrics` (+ `tsdb_metrics`, derived storage
//! gauges), `page`, `server` (routes, middleware),
//! [`features`] (`/api/v1/features`), [`notifications`] (the UI's banner
//! messages, listed and streamed as server-sent events).
//!
//! Handlers never panic on input: every parameter problem is a `bad_data`
//! error, request bodies are bounded, and queries and index reads run on
//! blocking threads, canceled when the client goes away.

mod api;
pub mod error;
pub mod features;
mod federate;
pub mod json;
pub mod listener;
pub mod notifications;
mod page;
pub mod params;
pub mod providers;
pub mod remote_read;
pub mod remote_write;
mod selfmetrics;
mod server;
mod state;
mod tsdb_metrics;

pub use error::ApiError;
pub use features::Features;
pub use notifications::{Notification, Notifications};
pub use providers::{
    ActiveTarget, Alert, AlertingRule, AlertmanagersProvider, DroppedTarget, MetricMetadata,
    RecordingRule, Rule, RuleGroup, RuleHealth, RulesProvider, TargetHealth, TargetMetadata,
    TargetsProvider,
};
pub use selfmetrics::HttpMetrics;
pub use server::{ServeOptions, router, serve, serve_limited, serve_with};
pub use state::{
    BuildInfo, Collector, ConfigSource, QuitHook, Readiness, ReloadHook, WalReplayStatus,
    WebOptions, WebState, normalize_prefix,
};
