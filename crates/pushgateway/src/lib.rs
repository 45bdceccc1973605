//! Vigil's Pushgateway: a drop-in replacement for Prometheus' Pushgateway.
//!
//! Batch jobs push metrics over HTTP under a grouping key
//! (`/metrics/job/<job>{/<label>/<value>}`, see [`grouping`]); the gateway
//! keeps the last push of every group in a [`store::Store`] and serves them,
//! merged with its own metrics, to Prometheus on `/metrics`. A push body
//! ([`body`]) is text 0.0.4 or delimited protobuf, parsed with the
//! exposition crate into [`vigil_exposition::MetricFamily`] values whose
//! samples get the grouping labels. Before a push is stored, [`consistency`]
//! checks that the merged exposition stays valid (one type per name, no
//! duplicate series, no summary/histogram suffix clashes, valid names, no
//! timestamps); a refused push changes nothing but the group's failure time.
//! [`persist`] writes every group to a checksummed file atomically and reads
//! back the valid prefix of a damaged one. [`server`] is the axum HTTP
//! server with the Pushgateway's routes, status codes and API v1 ([`api`],
//! [`page`]); [`merge`] writes `/metrics` straight from the store, one
//! family at a time, and [`selfmetrics`] adds the gateway's own metrics.
//!
//! Samples are stored compactly ([`store::StoredFamily`]: labels and value
//! for plain float samples) because a gateway typically holds one copy of
//! every batch job's last run for its whole life.
//!
//! Input from the network never panics the gateway: paths, bodies and
//! persisted bytes are checked and every problem becomes a [`PushError`]
//! (an HTTP 400) or a [`PersistError`] (logged).

pub mod api;
pub mod body;
pub mod consistency;
pub mod error;
pub mod grouping;
pub mod log;
pub mod merge;
pub mod page;
pub mod persist;
pub mod selfmetrics;
pub mod server;
pub mod store;

pub use error::{PathError, PersistError, PushError};
pub use grouping::GroupingKey;
pub use server::{Gateway, Options};
pub use store::{Group, PushRequest, Store};
