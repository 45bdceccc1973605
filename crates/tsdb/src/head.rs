//! The head: the most recent samples, in memory, behind a write-ahead log.
//!
//! - [`Head::appender`] buffers samples; [`Appender::commit`] writes one
//!   series record (for series the WAL has not seen) and one samples record to
//!   the WAL, then adds the samples to their series. A committed sample
//!   survives the process being killed.
//! - Series live in a table that never moves them; each series' samples sit
//!   behind its own mutex (an open XOR chunk cut every
//!   [`SAMPLES_PER_CHUNK`] samples and at chunk-range boundaries, plus the cut
//!   chunks: a head opened on a directory writes them to
//!   `<dir>/chunks_head/` ([`crate::chunks_head`]) and keeps only their time
//!   range and file reference; an in-memory head keeps their bytes).
//! - [`Head::select`], [`Head::label_names`], [`Head::label_values`] read
//!   through in-memory postings with Prometheus' matcher semantics.
//! - [`Head::open`] reads `<dir>/chunks_head/` back and replays `<dir>/wal`
//!   on top in parallel, repairing damaged tails; series keep the WAL's
//!   references, which the chunk files name too.
//! - [`Head::write_block`] persists a time range as a block;
//!   [`Head::truncate`] then drops it from memory, `chunks_head/` and the
//!   WAL (writing a checkpoint), and removes series left empty.
//!
//! - Native histograms (integer and float) are appended, logged, replayed,
//!   read back from `chunks_head/` and persisted like floats (`head/hist.rs`
//!   holds the open histogram chunk and its cutting rules).
//!
//! - Exemplars go to a ring buffer shared by all series
//!   ([`HeadOptions::max_exemplars`]), are logged and replayed, and are
//!   queried with [`Head::select_exemplars`].
//!
//! - With an out-of-order window, older float samples within it are kept
//!   apart, logged to `<dir>/wbl/` and merged into reads (`head/ooo.rs`).
//!
//! Not here yet: out-of-order native histograms, metadata in the head.

mod appender;
mod exemplars;
mod hist;
mod mmap;
mod ooo;
mod persist;
mod postings;
mod query;
mod replay;
mod series;
mod tombstones;
mod truncate;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard};

pub use appender::{AppendError, Appender};
pub use exemplars::StoredExemplar;
pub use query::SelectIter;
pub use replay::ReplayReport;
pub use series::SAMPLES_PER_CHUNK;
pub(crate) use tombstones::merge_intervals;
pub use truncate::TruncateReport;

use vigil_model::Labels;

use crate::wal::WalWriter;
use postings::MemPostings;
use series::SeriesTable;

/// A series reference, as in WAL records (the head hands out values below 2³²).
pub type SeriesRef = u64;

/// Default chunk range (and block length): two hours in milliseconds.
pub const DEFAULT_CHUNK_RANGE: i64 = 2 * 3600 * 1000;

/// Settings for a [`Head`].
#[derive(Debug, Clone)]
pub struct HeadOptions {
    /// Length of the head's blocks in milliseconds. Chunks never cross a
    /// multiple of it, and appends older than half of it before the newest
    /// sample are out of bounds.
    pub chunk_range: i64,
    /// WAL segment size; `None` for the default 128 MiB.
    pub wal_segment_size: Option<usize>,
    /// Snappy-compress WAL records (as Prometheus does by default).
    pub wal_compression: bool,
    /// Threads for WAL replay; 0 for one per available core.
    pub replay_threads: usize,
    /// Exemplars kept (a ring over all series, as Prometheus'
    /// `storage.exemplars.max_exemplars`); 0 keeps none.
    pub max_exemplars: usize,
    /// How far (ms) before the head's newest sample an out-of-order float
    /// sample is still accepted (`storage.tsdb.out_of_order_time_window`);
    /// 0 refuses them all.
    pub out_of_order_time_window: i64,
}

impl Default for HeadOptions {
    fn default() -> HeadOptions {
        HeadOptions {
            chunk_range: DEFAULT_CHUNK_RANGE,
            wal_segment_size: None,
            wal_compression: true,
            replay_threads: 0,
            max_exemplars: 0,
            out_of_order_time_window: 0,
        }
    }
}

/// Counts describing the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadStats {
    /// Number of series (with or without samples).
    pub num_series: usize,
    /// Oldest sample timestamp, `i64::MAX` when there are no samples.
    pub min_time: i64,
    /// Newest sample timestamp, `i64::MIN` when there are no samples.
    pub max_time: i64,
}

/// In-memory series with their recent samples, optionally backed by a WAL.
///
/// `Head` is `Send + Sync`: share it (e.g. in an `Arc`) and append from
/// many threads, each with its own [`Appender`].
#[derive(Debug)]
pub struct Head {
    series: SeriesTable,
    postings: RwLock<MemPostings>,
    wal: Option<Mutex<WalWriter>>,
    /// Cut chunks on disk (`<dir>/chunks_head/`); `None` for in-memory heads.
    chunks: Option<mmap::ChunkStore>,
    /// Serialises commits of a head without WAL, like the WAL lock does.
    apply: Mutex<()>,
    pub(crate) opts: HeadOptions,
    min_time: AtomicI64,
    max_time: AtomicI64,
    min_valid_time: AtomicI64,
    /// Series garbage collection removed, kept in checkpoints until the
    /// WAL segments naming them are gone.
    deleted: Mutex<truncate::Deleted>,
    /// WAL references replay found naming a series the head knows under
    /// another reference, with that reference and the newest segment then.
    aliases: Mutex<truncate::Aliases>,
    /// Appender buffers kept for reuse.
    pool: Mutex<Vec<appender::Buffers>>,
    /// Deleted ranges of series.
    tombstones: RwLock<tombstones::HeadTombstones>,
    /// Exemplars of series.
    exemplars: exemplars::Exemplars,
    /// Out-of-order samples.
    ooo: ooo::OooStore,
    /// The write-behind log of out-of-order samples (`<dir>/wbl/`).
    wbl: Option<Mutex<WalWriter>>,
    /// Self-metrics.
    pub(crate) counters: crate::metrics::HeadCounters,
}

impl Head {
    /// A head without a WAL: nothing survives the process (for tests and
    /// benchmarks of the in-memory part).
    pub fn in_memory(opts: HeadOptions) -> Head {
        Head::with_wal(opts, None)
    }

    fn with_wal(opts: HeadOptions, wal: Option<WalWriter>) -> Head {
        let max_exemplars = opts.max_exemplars;
        Head {
            series: SeriesTable::default(),
            postings: RwLock::new(MemPostings::default()),
            wal: wal.map(Mutex::new),
            chunks: None,
            apply: Mutex::new(()),
            opts,
            min_time: AtomicI64::new(i64::MAX),
            max_time: AtomicI64::new(i64::MIN),
            min_valid_time: AtomicI64::new(i64::MIN),
            deleted: Mutex::new(truncate::Deleted::new()),
            aliases: Mutex::new(truncate::Aliases::new()),
            pool: Mutex::new(Vec::new()),
            tombstones: RwLock::new(tombstones::HeadTombstones::new()),
            exemplars: exemplars::Exemplars::new(max_exemplars),
            ooo: ooo::OooStore::default(),
            wbl: None,
            counters: crate::metrics::HeadCounters::default(),
        }
    }

    /// A new appender. Appenders are cheap; use one per batch (scrape).
    pub fn appender(&self) -> Appender<'_> {
        Appender::new(self)
    }

    /// Number of series, and the time range of the samples.
    pub fn stats(&self) -> HeadStats {
        HeadStats {
            num_series: self.series.len(),
            min_time: self.min_time.load(Ordering::Relaxed),
            max_time: self.max_time.load(Ordering::Relaxed),
        }
    }

    /// Rejects appends older than `t` from now on (as out of bounds); used
    /// once data up to `t` has been persisted in blocks.
    pub fn set_min_valid_time(&self, t: i64) {
        self.min_valid_time.fetch_max(t, Ordering::Relaxed);
    }

    /// The oldest timestamp an append may have now: the set minimum, and
    /// no more than half a chunk range before the newest sample (as in
    /// Prometheus without an out-of-order window).
    pub fn appendable_min_valid_time(&self) -> i64 {
        let floor = self.min_valid_time.load(Ordering::Relaxed);
        let max = self.max_time.load(Ordering::Relaxed);
        if max == i64::MIN {
            return floor;
        }
        let in_order = floor.max(max.saturating_sub(self.opts.chunk_range / 2));
        match self.ooo_min_time() {
            Some(ooo) => in_order.min(ooo),
            None => in_order,
        }
    }

    /// Makes every sample committed so far durable against a machine crash
    /// (`fsync` of the WAL); a no-op without WAL.
    pub fn sync_wal(&self) -> Result<(), crate::Error> {
        match &self.wal {
            Some(w) => w.lock().unwrap_or_else(|e| e.into_inner()).sync(),
            None => Ok(()),
        }
    }

    /// The series with `labels`, created (and added to the postings) if new.
    fn get_or_create(&self, labels: &Labels) -> Result<series::Created, series::CreateError> {
        let c = self.series.get_or_create(labels)?;
        if c.created {
            self.counters.series_created.fetch_add(1, Ordering::Relaxed);
            self.postings
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .add(c.series_ref, labels);
        }
        Ok(c)
    }

    /// As [`Head::get_or_create`], creating a new series under reference
    /// `want` when it is free (WAL replay). A new series is not added to
    /// the postings: the caller does that ([`Head::add_postings`]).
    fn get_or_create_with_ref(
        &self,
        labels: &Labels,
        want: u64,
    ) -> Result<series::Created, series::CreateError> {
        let c = self.series.get_or_create_with_ref(labels, want)?;
        if c.created {
            self.counters.series_created.fetch_add(1, Ordering::Relaxed);
        }
        Ok(c)
    }

    /// Adds new series to the postings in one go.
    fn add_postings(&self, created: &[(u32, series::SeriesHandle)]) {
        let mut p = self.postings.write().unwrap_or_else(|e| e.into_inner());
        for (r, h) in created {
            p.add(*r, &h.labels);
        }
    }

    fn take_buffers(&self) -> appender::Buffers {
        self.pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default()
    }

    fn return_buffers(&self, b: appender::Buffers) {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        // Enough for every concurrent appender of a busy server.
        if pool.len() < 256 {
            pool.push(b);
        }
    }

    fn postings(&self) -> RwLockReadGuard<'_, MemPostings> {
        self.postings.read().unwrap_or_else(|e| e.into_inner())
    }

    fn note_time_range(&self, mint: i64, maxt: i64) {
        if mint <= maxt {
            self.min_time.fetch_min(mint, Ordering::Relaxed);
            self.max_time.fetch_max(maxt, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Head>();
    }
}
