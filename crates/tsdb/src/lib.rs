//! Vigil's time-series database, in Prometheus' on-disk format.
//!
//! So far this crate holds the chunk encodings ([`chunkenc`]): the XOR float
//! chunk, byte-compatible with Prometheus. The head, WAL, index, blocks and
//! compaction follow (see issue "TSDB" and `ARCHITECTURE.md`).

pub mod block;
pub mod chunkenc;
pub mod chunks;
pub mod error;
mod fsutil;
pub mod index;
pub mod record;
pub mod wal;

pub use error::Error;
