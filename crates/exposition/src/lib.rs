//! Exposition formats: how metrics travel over HTTP between a target and
//! Vigil, and out of Vigil again (`/metrics`, `/federate`, the Pushgateway).
//!
//! - [`Parser`]: the streaming, allocation-free-per-sample parser interface,
//!   implemented by [`text::TextParser`] (Prometheus text 0.0.4),
//!   [`openmetrics::OpenMetricsParser`] (OpenMetrics 1.0 text) and
//!   [`protobuf::ProtobufParser`] (`io.prometheus.client.MetricFamily`, delimited).
//! - [`MetricFamily`] and [`collect`]: a whole exposition in memory, for
//!   encoders and linting.
//! - [`encode`]: writers for the three formats.
//! - [`negotiate`]: `Accept` / `Content-Type` handling and UTF-8 name escaping.
//!
//! Parsers never panic on any input: every problem is a [`ParseError`] that
//! names where it is and what was expected.

pub mod encode;
pub mod error;
pub mod family;
pub mod fuzzing;
mod lex;
pub mod negotiate;
pub mod openmetrics;
pub mod parser;
pub mod process;
pub mod protobuf;
pub mod text;

pub use error::{ParseError, Position};
pub use family::{FamilySample, MetricFamily, SampleValue, collect};
pub use openmetrics::OpenMetricsParser;
pub use parser::{Entry, Parser};
pub use protobuf::ProtobufParser;
pub use text::TextParser;
