//! Truncating the head once its oldest range is persisted in a block
//! (Prometheus' `truncateMemory` and `truncateWAL`):
//!
//! 1. every series drops its chunks that end before `mint`; a series left
//!    without chunks and without uncommitted samples is removed from the
//!    table and the postings (garbage collection);
//! 2. `chunks_head/` files whose every chunk ends before `mint` are deleted;
//! 3. the older two thirds of the WAL segments are rewritten as a
//!    checkpoint (`wal/checkpoint.NNNNNNNN`): the series records of series
//!    still alive (or removed after those segments were written, whose
//!    later samples still name them), and the samples at or after `mint`;
//!    then those segments and older checkpoints are deleted.
//!
//! The checkpoint is written to `checkpoint.NNNNNNNN.tmp`, synced, and
//! renamed into place; segments are deleted only after the rename, so a
//! crash at any moment leaves a WAL that replays to the same head.

use std::collections::HashMap;
use std::path::Path;

use super::Head;
use crate::error::Error;
use crate::record::{
    RecordType, RefSample, RefSeries, RefTombstone, decode_exemplars,
    decode_float_histogram_samples, decode_histogram_samples, decode_metadata, decode_samples,
    decode_series, decode_tombstones, encode_samples, encode_series, encode_tombstones,
};
use crate::wal::{SegmentReader, WalWriter, list_segments};

/// What [`Head::truncate`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TruncateReport {
    /// Series removed from the head.
    pub series_removed: usize,
    /// Chunks dropped from series.
    pub chunks_dropped: usize,
    /// `chunks_head/` files deleted.
    pub chunk_files_deleted: usize,
    /// The checkpoint written, by its last segment number.
    pub checkpoint: Option<u32>,
    /// WAL segments deleted.
    pub segments_deleted: usize,
    /// Write-behind log segments deleted.
    pub wbl_segments_deleted: usize,
}

impl Head {
    /// Drops everything before `mint` from memory, `chunks_head/` and the
    /// WAL (see the module docs); appends before `mint` are refused from
    /// now on. Call it once the head's data before `mint` is in blocks.
    pub fn truncate(&self, mint: i64) -> Result<TruncateReport, Error> {
        let mut report = TruncateReport::default();
        crate::metrics::inc(&self.counters.truncations, 1);
        self.set_min_valid_time(mint);
        self.truncate_memory(mint, &mut report);
        if let Some(store) = &self.chunks {
            report.chunk_files_deleted = store.truncate(mint)?;
        }
        self.truncate_wal(mint, &mut report)?;
        if let Some(wbl) = &self.wbl {
            let dir = {
                let mut w = wbl.lock().unwrap_or_else(|e| e.into_inner());
                w.next_segment()?;
                w.dir().to_path_buf()
            };
            report.wbl_segments_deleted = super::ooo::truncate_wbl(&dir, mint)?;
        }
        Ok(report)
    }

    fn truncate_memory(&self, mint: i64, report: &mut TruncateReport) {
        let segment = self.wal.as_ref().map(|w| {
            w.lock()
                .unwrap_or_else(|e| e.into_inner())
                .current_segment()
        });
        let mut removed = Vec::new();
        self.ooo.truncate(mint);
        for (r, h) in self.series.all() {
            let gone = self.series.remove_if(r, |st| {
                report.chunks_dropped += st.truncate_before(mint);
                st.open.is_none()
                    && st.hist.is_none()
                    && st.cut.is_empty()
                    && st.pending == 0
                    && !self.ooo.has(r)
            });
            if let Some(h) = gone {
                removed.push((r, h));
            }
            drop(h);
        }
        report.series_removed = removed.len();
        crate::metrics::inc(&self.counters.series_removed, removed.len() as u64);
        self.truncate_tombstones(mint);
        if !removed.is_empty() {
            let mut postings = self.postings.write().unwrap_or_else(|e| e.into_inner());
            postings.delete(removed.iter().map(|(r, h)| (*r as u32, &h.labels)));
        }
        if let Some(seg) = segment {
            let mut deleted = self.deleted.lock().unwrap_or_else(|e| e.into_inner());
            for (r, _) in &removed {
                deleted.insert(*r, seg);
            }
        }
        // The head now starts at `mint` (as Prometheus' does), unless its
        // samples start later.
        let cur = self.min_time.load(std::sync::atomic::Ordering::Relaxed);
        if cur != i64::MAX && cur < mint {
            self.min_time
                .store(mint, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn truncate_wal(&self, mint: i64, report: &mut TruncateReport) -> Result<(), Error> {
        let Some(wal) = &self.wal else {
            return Ok(());
        };
        let (dir, compress) = {
            let mut w = wal.lock().unwrap_or_else(|e| e.into_inner());
            // Start a new segment so that on a quiet head the one being
            // written becomes old enough to checkpoint next time.
            let dir = w.dir().to_path_buf();
            let segs = list_segments(&dir)?;
            let (Some(&(first, _)), Some(&(last, _))) = (segs.first(), segs.last()) else {
                return Ok(());
            };
            w.next_segment()?;
            // The lower two thirds of the segments hold mostly samples
            // older than `mint`; the newest is never checkpointed.
            let Some(last) = last.checked_sub(1) else {
                return Ok(());
            };
            if last < first {
                return Ok(());
            }
            let upto = first + (last - first) * 2 / 3;
            if upto <= first {
                return Ok(());
            }
            report.checkpoint = Some(upto);
            (dir, self.opts.wal_compression)
        };
        let Some(upto) = report.checkpoint else {
            return Ok(());
        };
        let deleted = self
            .deleted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let aliases = self
            .aliases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let keep = |r: u64| {
            self.series.get(r).is_some()
                || deleted.get(&r).is_some_and(|s| *s > upto)
                || aliases.get(&r).is_some_and(|a| a.1 > upto)
        };
        let rename = |r: u64| aliases.get(&r).map_or(r, |a| a.0);
        crate::metrics::inc(&self.counters.checkpoints, 1);
        write_checkpoint(&dir, upto, compress, &Filter { keep, rename, mint })?;
        for (n, path) in list_segments(&dir)? {
            if n <= upto {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                report.segments_deleted += 1;
            }
        }
        remove_checkpoints_before(&dir, upto)?;
        self.deleted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, s| *s > upto);
        self.aliases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, a| a.1 > upto);
        Ok(())
    }
}

/// Name of the checkpoint holding segments up to `n`.
pub(crate) fn checkpoint_name(n: u32) -> String {
    format!("checkpoint.{n:08}")
}

/// Writes `wal_dir/checkpoint.{upto}` from the last checkpoint before it
/// and the segments up to `upto`, keeping series records of series `keep`
/// accepts and samples, exemplars and histograms at or after `mint`.
fn write_checkpoint<K: Fn(u64) -> bool, R: Fn(u64) -> u64>(
    wal_dir: &Path,
    upto: u32,
    compress: bool,
    f: &Filter<K, R>,
) -> Result<(), Error> {
    let final_dir = wal_dir.join(checkpoint_name(upto));
    let tmp = wal_dir.join(format!("{}.tmp", checkpoint_name(upto)));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    let mut sources = Vec::new();
    let mut first = 0;
    if let Some((dir, n)) = super::replay::last_checkpoint(wal_dir)? {
        if n < upto {
            sources.extend(list_segments(&dir)?.into_iter().map(|(_, p)| p));
            first = n.saturating_add(1);
        }
    }
    for (n, p) in list_segments(wal_dir)? {
        if (first..=upto).contains(&n) {
            sources.push(p);
        }
    }
    let mut out = WalWriter::open(&tmp, None, compress)?;
    let mut buf = Vec::new();
    for path in sources {
        let data = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let mut r = SegmentReader::new(0, &data);
        loop {
            let rec = match r.next_record() {
                Ok(Some(rec)) => rec,
                Ok(None) => break,
                Err(c) => {
                    return Err(Error::Corrupt {
                        what: "WAL segment being checkpointed",
                        message: format!("{}: {c}", path.display()),
                    });
                }
            };
            buf.clear();
            if let Some(kept) = f.apply(rec, &mut buf) {
                out.log(&[kept])?;
            }
        }
    }
    out.sync()?;
    drop(out);
    crate::fsutil::sync_dir(&tmp)?;
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir).map_err(|e| Error::io(&final_dir, e))?;
    }
    std::fs::rename(&tmp, &final_dir).map_err(|e| Error::io(&tmp, e))?;
    crate::fsutil::sync_dir(wal_dir)
}

/// What a checkpoint keeps of the records it reads.
struct Filter<K, R> {
    /// Whether a series record's reference is kept.
    keep: K,
    /// The reference a sample of a reference is written under.
    rename: R,
    /// Samples before this are dropped.
    mint: i64,
}

impl<K: Fn(u64) -> bool, R: Fn(u64) -> u64> Filter<K, R> {
    /// What of record `rec` goes into a checkpoint: the record itself, a
    /// filtered copy in `buf`, or nothing. Records that do not decode are
    /// dropped (replay would skip them too).
    fn apply<'a>(&self, rec: &'a [u8], buf: &'a mut Vec<u8>) -> Option<&'a [u8]> {
        let mint = self.mint;
        match RecordType::of(rec)? {
            RecordType::Series => {
                let mut v: Vec<RefSeries> = Vec::new();
                decode_series(rec, &mut v).ok()?;
                let n = v.len();
                v.retain(|s| (self.keep)(s.series));
                reencode(rec, n, false, &v, buf, encode_series)
            }
            RecordType::Samples => {
                let mut v: Vec<RefSample> = Vec::new();
                decode_samples(rec, &mut v).ok()?;
                let n = v.len();
                v.retain(|s| s.t >= mint);
                let mut renamed = false;
                for s in &mut v {
                    let r = (self.rename)(s.series);
                    renamed |= r != s.series;
                    s.series = r;
                }
                reencode(rec, n, renamed, &v, buf, encode_samples)
            }
            // Kept whole when any entry is recent: re-encoding these would
            // have to reproduce each variant's layout, and replay drops what
            // is older than the head anyway.
            RecordType::HistogramSamples | RecordType::CustomBucketsHistogramSamples => {
                let mut v = Vec::new();
                decode_histogram_samples(rec, &mut v).ok()?;
                v.iter().any(|s| s.t >= mint).then_some(rec)
            }
            RecordType::FloatHistogramSamples | RecordType::CustomBucketsFloatHistogramSamples => {
                let mut v = Vec::new();
                decode_float_histogram_samples(rec, &mut v).ok()?;
                v.iter().any(|s| s.t >= mint).then_some(rec)
            }
            RecordType::Exemplars => {
                let mut v = Vec::new();
                decode_exemplars(rec, &mut v).ok()?;
                v.iter().any(|e| e.t >= mint).then_some(rec)
            }
            RecordType::Metadata => {
                let mut v = Vec::new();
                decode_metadata(rec, &mut v).ok()?;
                v.iter().any(|m| (self.keep)(m.series)).then_some(rec)
            }
            RecordType::Tombstones => {
                let mut v: Vec<RefTombstone> = Vec::new();
                decode_tombstones(rec, &mut v).ok()?;
                let n = v.len();
                v.retain(|t| t.maxt >= mint && (self.keep)(t.series));
                let mut renamed = false;
                for t in &mut v {
                    let r = (self.rename)(t.series);
                    renamed |= r != t.series;
                    t.series = r;
                }
                reencode(rec, n, renamed, &v, buf, encode_tombstones)
            }
            RecordType::MmapMarkers => None,
        }
    }
}

/// `rec` itself if nothing of its `n` entries was dropped or `changed`,
/// none if all were dropped, else the kept entries encoded into `buf`.
fn reencode<'a, T>(
    rec: &'a [u8],
    n: usize,
    changed: bool,
    kept: &[T],
    buf: &'a mut Vec<u8>,
    encode: fn(&mut Vec<u8>, &[T]),
) -> Option<&'a [u8]> {
    if kept.is_empty() {
        return None;
    }
    if kept.len() == n && !changed {
        return Some(rec);
    }
    encode(buf, kept);
    Some(buf)
}

/// Deletes the checkpoints numbered below `n` (and leftover temporary ones).
fn remove_checkpoints_before(wal_dir: &Path, n: u32) -> Result<(), Error> {
    let entries = std::fs::read_dir(wal_dir).map_err(|e| Error::io(wal_dir, e))?;
    let mut doomed = Vec::new();
    for e in entries {
        let e = e.map_err(|err| Error::io(wal_dir, err))?;
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|s| s.strip_prefix("checkpoint.")) else {
            continue;
        };
        let num = rest.trim_end_matches(".tmp");
        if num.parse::<u32>().is_ok_and(|k| k < n)
            || (rest.ends_with(".tmp") && num.parse::<u32>().is_ok_and(|k| k <= n))
        {
            doomed.push(e.path());
        }
    }
    for p in doomed {
        std::fs::remove_dir_all(&p).map_err(|e| Error::io(&p, e))?;
    }
    Ok(())
}

/// Series references removed by garbage collection, with the WAL segment
/// being written when they were removed.
pub(crate) type Deleted = HashMap<u64, u32>;

/// WAL reference → (the head's reference for the same labels, the newest
/// WAL segment that may name the WAL reference).
pub(crate) type Aliases = HashMap<u64, (u64, u32)>;
