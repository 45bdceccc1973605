//! Sending alerts to Alertmanagers, as Prometheus' `notifier` package does.
//!
//! [`Notifier`] holds one bounded queue (oldest alerts dropped when full),
//! drained in batches of up to 256 alerts POSTed as JSON to
//! `<scheme>://<address><path_prefix>/api/v2/alerts` of every Alertmanager
//! (Alertmanager API v2, [`alert::encode_v2`]). External labels are added
//! to each [`Alert`] (its own labels win) and `alert_relabel_configs`
//! applied, globally and per `alertmanagers` entry. Alertmanagers come
//! from each entry's static configs and from service discovery
//! ([`Notifier::set_alertmanagers`] with [`AlertmanagerGroup`]s), after the
//! entry's `relabel_configs` ([`alertmanager`]). Each entry has its own
//! HTTP client with its timeout, basic auth, authorization, OAuth 2.0
//! client credentials (tokens cached and renewed before they expire) and
//! TLS settings, or AWS SigV4 signatures (`role_arn` excepted).
//! [`Notifier::metrics`]
//! renders `prometheus_notifications_*`.
//!
//! Sending never blocks the caller: [`Notifier::send`] only queues;
//! [`Notifier::run`] (on a Tokio runtime) does the I/O.

pub mod alert;
pub mod alertmanager;
mod client;
pub mod error;
pub mod manager;
mod metrics;
mod oauth2;

pub use alert::Alert;
pub use alertmanager::AlertmanagerGroup;
pub use error::NotifierError;
pub use manager::{DEFAULT_MAX_BATCH_SIZE, Notifier, NotifierOptions};
