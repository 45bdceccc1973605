//! Vigil's Alertmanager: a drop-in replacement for Prometheus' Alertmanager.
//!
//! For `alertmanager.yml` and the tools, [`config`] loads `alertmanager.yml` with Alertmanager's schema, defaults
//! and validation messages (every receiver type, the route tree, inhibit
//! rules, time intervals, secrets printed as `<secret>`); [`matcher`]
//! parses and prints Alertmanager's matcher syntax; [`routing`] resolves
//! the route tree and finds the routes an alert takes, and draws it as
//! amtool does; [`template`] loads notification template files with
//! Alertmanager's functions; [`time`] reads and writes RFC 3339 timestamps.
//!
//! The server ([`server::Alertmanager`], HTTP in [`api`]): [`alert`] holds
//! alerts and merges re-sent ones; [`dispatch`] groups them by route and
//! `group_by` labels and times their flushes; each flush runs the pipeline
//! (time intervals, [`inhibit`], [`silence`], dedup by [`nflog`], then
//! [`notify`] with retries); silences and the notification log are kept as
//! JSON snapshots written atomically under `--storage.path`. Every
//! integration but Jira sends ([`notify::Notifier`]: email over its own
//! SMTP client, the HTTP integrations with their payloads, SNS signed
//! with SigV4), with Alertmanager's default templates and the
//! `alertmanager_notification*` metrics; [`ui`] is the web UI. No
//! clustering.
//!
//! Loading never panics on bad input: every problem becomes a
//! [`ConfigError`] or [`MatcherError`] whose message names the field or the
//! position, in Alertmanager's words where it has them; API input errors
//! become 400 responses.

pub mod alert;
pub mod api;
pub mod config;
pub mod dispatch;
pub mod error;
pub mod inhibit;
pub mod matcher;
pub mod nflog;
pub mod notify;
pub mod routing;
pub mod server;
pub mod silence;
pub mod template;
pub mod time;
pub mod ui;

pub use config::Config;
pub use error::{ConfigError, MatcherError};
pub use matcher::{LabelSet, Matcher, Matchers, parse_matcher, parse_matchers};
pub use routing::Route;
