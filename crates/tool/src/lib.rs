//! `vigil tool`: the operator utilities promtool provides, as a library the
//! `vigil` binary calls into.
//!
//! - [`check_config`] and [`check_rules`]: `vigil tool check config|rules`,
//!   promtool's configuration and rule-file checks with its lints.
//! - [`check_web_config`]: `vigil tool check web-config`, the web
//!   configuration files' check (TLS material, headers, bcrypt hashes).
//! - [`check_sd`]: `vigil tool check service-discovery`, a job's targets
//!   before and after relabeling.
//! - [`check_server`]: `vigil tool check healthy|ready` over the small
//!   [`http_client`].
//! - [`check_metrics`]: `vigil tool check metrics`, linting an exposition
//!   with the rules of [`promlint`] and counting series per family.
//! - [`tsdb`]: `vigil tool tsdb` (`list`, `dump`, `dump-openmetrics`,
//!   `create-blocks-from openmetrics`, `create-blocks-from rules`, `analyze`,
//!   `bench write`).
//! - [`test_promql`]: `vigil tool test promql`, running PromQL test scripts.
//! - [`test_rules`]: `vigil tool test rules`, promtool's rule unit tests.
//! - [`query`]: `vigil tool query instant|range|series|labels|analyze`
//!   against a Prometheus HTTP API, printed as promtool prints.
//! - [`push`]: `vigil tool push metrics`, remote write 1.0 of text
//!   expositions.
//! - [`go_format`]: Go's printing of floats and durations in messages.

pub mod check_config;
pub mod check_metrics;
pub mod check_rules;
pub mod check_sd;
pub mod check_server;
pub mod check_web_config;
pub mod error;
pub mod go_format;
pub mod http_client;
pub mod promlint;
pub mod push;
pub mod query;
pub mod test_promql;
pub mod test_rules;
pub mod tsdb;

pub use check_metrics::{CheckMetricsOptions, CheckMetricsReport};
pub use error::CheckMetricsError;
