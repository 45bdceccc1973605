//! The Prometheus protobuf exposition format: length-delimited
//! `io.prometheus.client.MetricFamily` messages (client_model's
//! `metrics.proto`), each preceded by its length as a varint.
//!
//! [`messages`] holds the message types, [`ProtobufParser`] the streaming
//! parser; the encoder is [`crate::encode::protobuf`].

pub mod messages;
mod parser;

pub use parser::ProtobufParser;
