//! Out-of-order samples (Prometheus' `out_of_order_time_window`): a float
//! sample older than its series' newest one, but within the window of the
//! head's newest sample, is kept apart from the in-order chunks, logged to
//! the write-behind log (`<dir>/wbl/`, WAL format) instead of the WAL, and
//! merged into reads and head blocks.
//!
//! Out-of-order data is rare, so it lives in a sharded map by series
//! reference rather than in every series: per series a sorted buffer of
//! up to [`BUF_SAMPLES`] samples, then immutable XOR chunks (as
//! Prometheus' out-of-order head chunk is cut at 32 samples). A sample at
//! a timestamp already held is ignored. Samples older than the data
//! already persisted in blocks are refused as out of bounds (Prometheus
//! would write extra overlapping blocks for them; windows up to half the
//! block range never need that).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use super::Head;
use crate::chunkenc::{XorChunk, XorIter, decode_xor_into};
use crate::error::Error;
use crate::record::{RecordType, decode_samples};
use crate::wal::{SegmentReader, list_segments};

/// Samples buffered before they are encoded into a chunk.
pub(crate) const BUF_SAMPLES: usize = 32;
const SHARDS: usize = 64;

/// The out-of-order samples of one series.
#[derive(Debug, Default)]
struct OooSeries {
    /// Sorted by time.
    buf: Vec<(i64, f64)>,
    /// Encoded earlier buffers: (mint, maxt, XOR bytes).
    chunks: Vec<(i64, i64, Box<[u8]>)>,
}

impl OooSeries {
    fn contains(&self, t: i64) -> bool {
        self.buf.binary_search_by_key(&t, |s| s.0).is_ok()
            || self.chunks.iter().any(|(mint, maxt, b)| {
                t >= *mint && t <= *maxt && XorIter::new(b).is_ok_and(|mut it| it.any(|s| s.0 == t))
            })
    }

    fn insert(&mut self, t: i64, v: f64) -> bool {
        if self.contains(t) {
            return false;
        }
        let at = self.buf.partition_point(|s| s.0 < t);
        self.buf.insert(at, (t, v));
        if self.buf.len() >= BUF_SAMPLES {
            let mut c = XorChunk::new();
            if self.buf.iter().all(|&(t, v)| c.append(t, v).is_ok()) {
                if let (Some(first), Some(last)) = (self.buf.first(), self.buf.last()) {
                    self.chunks.push((first.0, last.0, c.bytes().into()));
                    self.buf.clear();
                }
            }
        }
        true
    }

    fn samples_in(&self, mint: i64, maxt: i64, out: &mut Vec<(i64, f64)>) {
        for (cmint, cmaxt, b) in &self.chunks {
            if *cmaxt < mint || *cmint > maxt {
                continue;
            }
            // Chunks built here from sorted buffers: decoding cannot fail,
            // and if it did the samples before the damage are kept.
            let _ = decode_xor_into(b, mint, maxt, out);
        }
        out.extend(
            self.buf
                .iter()
                .copied()
                .filter(|s| s.0 >= mint && s.0 <= maxt),
        );
    }

    /// Drops samples before `mint`; whether anything is left.
    fn truncate(&mut self, mint: i64) -> bool {
        self.buf.retain(|s| s.0 >= mint);
        self.chunks.retain(|c| c.1 >= mint);
        !self.buf.is_empty() || !self.chunks.is_empty()
    }
}

/// Out-of-order samples of every series.
#[derive(Debug)]
pub(crate) struct OooStore {
    shards: Box<[Mutex<HashMap<u64, OooSeries>>]>,
}

impl Default for OooStore {
    fn default() -> OooStore {
        OooStore {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl OooStore {
    fn shard(&self, r: u64) -> MutexGuard<'_, HashMap<u64, OooSeries>> {
        let i = (r % SHARDS as u64) as usize;
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a sample; false if its timestamp is already held.
    pub(crate) fn insert(&self, r: u64, t: i64, v: f64) -> bool {
        self.shard(r).entry(r).or_default().insert(t, v)
    }

    /// Merges series `r`'s out-of-order samples in `mint..=maxt` into the
    /// time-ordered `out`; on equal timestamps the in-order sample stays.
    pub(crate) fn merge_into(&self, r: u64, mint: i64, maxt: i64, out: &mut Vec<(i64, f64)>) {
        let mut extra = Vec::new();
        if let Some(s) = self.shard(r).get(&r) {
            s.samples_in(mint, maxt, &mut extra);
        }
        if extra.is_empty() {
            return;
        }
        out.extend(extra);
        // Stable: in-order samples come first among equal timestamps.
        out.sort_by_key(|s| s.0);
        out.dedup_by_key(|s| s.0);
    }

    /// Whether series `r` has out-of-order samples.
    pub(crate) fn has(&self, r: u64) -> bool {
        self.shard(r).contains_key(&r)
    }

    /// Drops everything before `mint`.
    pub(crate) fn truncate(&self, mint: i64) {
        for s in self.shards.iter() {
            s.lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|_, o| o.truncate(mint));
        }
    }
}

impl Head {
    /// The oldest timestamp an out-of-order sample may have now, if the
    /// window is on.
    pub(crate) fn ooo_min_time(&self) -> Option<i64> {
        let w = self.opts.out_of_order_time_window;
        if w <= 0 {
            return None;
        }
        let max = self.max_time.load(std::sync::atomic::Ordering::Relaxed);
        let floor = self
            .min_valid_time
            .load(std::sync::atomic::Ordering::Relaxed);
        Some(max.saturating_sub(w).max(floor))
    }
}

/// Deletes the write-behind log segments (but the newest) whose samples
/// all lie before `mint`; returns how many.
pub(crate) fn truncate_wbl(dir: &Path, mint: i64) -> Result<usize, Error> {
    let segs = list_segments(dir)?;
    let Some((_, older)) = segs.split_last() else {
        return Ok(0);
    };
    let mut deleted = 0;
    for (n, path) in older {
        let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let mut r = SegmentReader::new(*n, &data);
        let mut max = i64::MIN;
        let mut samples = Vec::new();
        while let Ok(Some(rec)) = r.next_record() {
            if RecordType::of(rec) == Some(RecordType::Samples) {
                samples.clear();
                if decode_samples(rec, &mut samples).is_ok() {
                    max = samples.iter().map(|s| s.t).fold(max, i64::max);
                }
            }
        }
        if max >= mint {
            // Segments are written in time of arrival, not sample time:
            // later ones may still be older, but keep it simple and stop.
            break;
        }
        std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
        deleted += 1;
    }
    Ok(deleted)
}
