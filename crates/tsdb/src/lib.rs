//! Vigil's time-series database, in Prometheus' on-disk format.
//!
//! What is here so far, each in Prometheus' byte format:
//! - [`chunkenc`]: XOR float chunks and integer/float native-histogram chunks;
//! - [`chunks`]: chunk segment files (`chunks/000001`);
//! - [`chunks_head`]: head chunk files (`chunks_head/000001`), writer and reader;
//! - [`index`]: the block index (format v2) writer and reader;
//! - [`block`]: block directories (`meta.json`, `tombstones`), written
//!   atomically and read through `mmap`;
//! - [`wal`] and [`record`]: WAL segments and every record type;
//! - [`head`]: in-memory series, the appender (WAL before acknowledgement),
//!   WAL replay and repair;
//! - [`db`]: the data directory tying blocks and head together (lock,
//!   start-up clean-up, head compaction, reloads); [`querier`] reads across
//!   blocks and head; [`compact`] plans and runs leveled compaction;
//!   [`retention`] picks blocks beyond time and size limits.
//!
//! Invariants: blocks are immutable once renamed into
//! place; every read of on-disk data is checksummed and bounds-checked, and
//! damage is an error naming the file and offset, never a panic.

pub mod block;
pub mod chunkenc;
pub mod chunks;
pub mod chunks_head;
pub mod compact;
pub mod db;
pub mod error;
mod fsutil;
pub mod fuzzing;
pub mod head;
pub mod index;
pub mod metrics;
pub mod querier;
pub mod record;
pub mod retention;
pub mod series_data;
pub mod wal;

pub use error::Error;
