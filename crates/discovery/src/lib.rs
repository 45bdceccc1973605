//! Service discovery: finds the targets of every scrape job and hands them
//! to the scrape manager as target groups.
//!
//! - [`TargetGroup`]: targets (label sets holding `__address__`) plus the
//!   labels they share, identified by a `source` within their provider.
//! - Providers for the families Vigil runs: `static_configs`,
//!   [`file`] (`file_sd_configs`, polled for changes), [`http`]
//!   (`http_sd_configs`) and [`dns`] (`dns_sd_configs`).
//! - [`DiscoveryManager`]: runs one provider per distinct configuration,
//!   restarts only those whose configuration changed on reload, and
//!   publishes every job's groups on a `watch` channel at most every 5 s.
//!   Its self-metrics use Prometheus' names (`prometheus_sd_*`).
//! - [`client::HttpClient`]: Prometheus' HTTP client options (auth, TLS,
//!   proxy, headers), shared with the scrape crate.
//!
//! A provider's failure never removes targets: the last good groups stay
//! published and the failure is counted.

pub mod client;
pub mod dns;
pub mod error;
pub mod file;
pub mod group;
pub mod http;
pub mod manager;
pub mod metrics;
mod provider;

pub use error::DiscoveryError;
pub use group::{ADDRESS_LABEL, TargetGroup, TargetSets};
pub use manager::{DiscoveryManager, DiscoveryOptions};
