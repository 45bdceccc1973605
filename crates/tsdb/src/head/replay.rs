//! Opening a head: replaying `<dir>/wal`, repairing a damaged tail, and
//! opening the WAL for new appends.
//!
//! The head numbers series densely in the order the WAL introduces them;
//! a WAL reference means whatever its latest series record said (Prometheus
//! may reuse one after a restart, and so may Vigil), so samples are
//! resolved through that map in WAL order. Series whose new reference
//! differs from the WAL's get a fresh series record with their next commit.
//!
//! Records are read in order in batches. Each batch is decoded on
//! short-lived threads, its series records are then applied in WAL order on
//! the reading thread, and its samples are routed to long-lived workers
//! (`replay/workers.rs`), each owning the series whose `ref % workers` is
//! its number — so every series sees its samples in WAL order, exactly as
//! the appender applied them — while the reading thread goes on with the
//! next batch.
//!
//! A Prometheus checkpoint (`wal/checkpoint.N/`) is read first, then the
//! segments after `N`, as Prometheus does.
//!
//! Damage (a torn write, a bad checksum) ends replay: everything before it
//! is kept, the damaged segment is cut at the damaged record (the good
//! prefix is copied to a new file that is renamed over it, as Prometheus'
//! repair does) and later segments are deleted, so the next start is clean.

mod workers;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::exemplars::StoredExemplar;
use super::mmap::{FoundChunk, LoadedChunks};
use super::{Head, HeadOptions};
use crate::error::Error;
use crate::record::{
    RecordType, RefExemplar, RefSample, RefSeries, RefTombstone, decode_exemplars,
    decode_float_histogram_samples, decode_histogram_samples, decode_samples, decode_series,
    decode_tombstones,
};
use crate::series_data::HistogramValue;
use crate::wal::{Corruption, SegmentReader, WalWriter, list_segments, segment_name};
use workers::Workers;

/// Bytes of records decoded per batch.
const BATCH_BYTES: usize = 16 << 20;

/// What replaying the WAL found.
#[derive(Debug, Default, Clone)]
pub struct ReplayReport {
    /// Segments read (checkpoint segments included).
    pub segments: usize,
    /// Records read.
    pub records: u64,
    /// Series records' entries applied.
    pub series: u64,
    /// Samples added to series.
    pub samples: u64,
    /// Samples whose series reference no series record introduced.
    pub unknown_refs: u64,
    /// Samples refused as their series refused them when appended (out of
    /// order or duplicate; a lost race between commits).
    pub rejected_samples: u64,
    /// Exemplars read (kept if exemplar storage is on).
    pub exemplars: u64,
    /// Records of types the head does not keep (metadata, mmap markers) or
    /// of unknown type.
    pub skipped_records: u64,
    /// Records with a valid checksum that failed to decode, skipped.
    pub bad_records: u64,
    /// Series entries refused (empty label set, or the head is out of references).
    pub bad_series: u64,
    /// Where the WAL was damaged, if it was; it has been repaired.
    pub corruption: Option<Corruption>,
    /// Out-of-order samples read back from the write-behind log.
    pub ooo_samples: u64,
    /// Where the write-behind log was damaged, if it was; it has been
    /// repaired.
    pub wbl_corruption: Option<Corruption>,
    /// Chunks read back from `chunks_head/` and attached to series.
    pub mmapped_chunks: u64,
    /// Chunks in `chunks_head/` the head does not keep yet (out-of-order
    /// chunks; their samples are not restored).
    pub skipped_chunks: u64,
    /// Chunks in `chunks_head/` of series no WAL series record names (or
    /// overlapping another chunk of their series), dropped.
    pub unattached_chunks: u64,
    /// WAL samples not applied because a chunk from `chunks_head/` already
    /// holds their time.
    pub samples_in_chunks: u64,
    /// Where `chunks_head/` was damaged, if it was; it has been cut there.
    pub chunks_corruption: Option<crate::chunks_head::Corruption>,
}

/// Hasher for WAL references: small dense integers, spread by a multiply.
#[derive(Debug, Default, Clone, Copy)]
struct RefHasher(u64);

impl Hasher for RefHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type RefMap = HashMap<u64, u32, BuildHasherDefault<RefHasher>>;

/// WAL references below this are mapped through a plain vector (they are
/// dense in practice: Prometheus and Vigil count up from 1); others through
/// a hash map.
const DENSE_REFS: u64 = 1 << 24;

/// WAL reference → head reference.
#[derive(Debug, Default)]
struct RefTable {
    /// Indexed by WAL reference; 0 (never a head reference) means none.
    dense: Vec<u32>,
    sparse: RefMap,
}

impl RefTable {
    fn get(&self, wal_ref: u64) -> Option<u32> {
        if wal_ref < DENSE_REFS {
            let r = *self.dense.get(wal_ref as usize)?;
            (r != 0).then_some(r)
        } else {
            self.sparse.get(&wal_ref).copied()
        }
    }

    fn insert(&mut self, wal_ref: u64, r: u32) {
        if wal_ref < DENSE_REFS {
            let i = wal_ref as usize;
            if self.dense.len() <= i {
                self.dense.resize((i + 1).max(self.dense.len() * 2), 0);
            }
            self.dense[i] = r;
        } else {
            self.sparse.insert(wal_ref, r);
        }
    }

    fn for_each(&self, mut f: impl FnMut(u64, u32)) {
        for (i, &r) in self.dense.iter().enumerate() {
            if r != 0 {
                f(i as u64, r);
            }
        }
        for (&w, &r) in &self.sparse {
            f(w, r);
        }
    }
}

enum Decoded {
    Series(Vec<RefSeries>),
    Samples(Vec<RefSample>),
    Histograms(Vec<(u64, i64, HistogramValue)>),
    Exemplars(Vec<RefExemplar>),
    Tombstones(Vec<RefTombstone>),
    Skipped,
    Bad,
}

impl Head {
    /// Opens the head stored in `dir`: reads back the chunks in
    /// `dir/chunks_head/`, replays `dir/wal` (created if missing) on top of
    /// them, repairs damage in either, then starts a new WAL segment for
    /// appends. Returns the head and what replay found.
    ///
    /// Series keep the references the WAL gives them (`chunks_head/` files
    /// name series by those references, Prometheus' and Vigil's alike), and
    /// a WAL sample is skipped when a chunk read back already covers its
    /// time. Chunks the head cuts from now on go to new files in
    /// `dir/chunks_head/` (flushed to the page cache per chunk; the WAL,
    /// not these files, is what makes a committed sample durable).
    ///
    /// Damage in the WAL or in `chunks_head/` is not an error: what comes
    /// before it is kept, the report says where it was, and the file is cut
    /// there. Errors are I/O failures, and damage inside a checkpoint
    /// (which cannot be cut without losing series).
    pub fn open(dir: &Path, opts: HeadOptions) -> Result<(Head, ReplayReport), Error> {
        let wal_dir = dir.join("wal");
        std::fs::create_dir_all(&wal_dir).map_err(|e| Error::io(&wal_dir, e))?;
        let mut head = Head::with_wal(opts, None);
        let (store, loaded) = super::mmap::ChunkStore::load(&dir.join("chunks_head"))?;
        head.chunks = Some(store);
        let wbl_dir = dir.join("wbl");
        let report = replay(&head, &wal_dir, &wbl_dir, loaded)?;
        if let Some(c) = &report.corruption {
            crate::metrics::inc(&head.counters.wal_corruptions, 1);
            repair(&wal_dir, c)?;
        }
        if let Some(c) = &report.wbl_corruption {
            repair(&wbl_dir, c)?;
        }
        let w = WalWriter::open(
            &wal_dir,
            head.opts.wal_segment_size,
            head.opts.wal_compression,
        )?;
        head.wal = Some(Mutex::new(w));
        if head.opts.out_of_order_time_window > 0 || wbl_dir.exists() {
            let w = WalWriter::open(
                &wbl_dir,
                head.opts.wal_segment_size,
                head.opts.wal_compression,
            )?;
            head.wbl = Some(Mutex::new(w));
        }
        Ok((head, report))
    }
}

fn threads(opts: &HeadOptions) -> usize {
    match opts.replay_threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

struct Replayer<'a, 's> {
    head: &'a Head,
    workers: Workers<'s>,
    /// WAL reference → the head's reference, as defined by the latest series
    /// record for it read so far.
    refs: RefTable,
    report: ReplayReport,
    /// Chunks read back from `chunks_head/`, by WAL series reference, not
    /// yet attached to a series.
    mmapped: HashMap<u64, Vec<FoundChunk>>,
    /// Number of the newest WAL segment.
    last_segment: u32,
    /// Records read but not yet applied.
    batch: Vec<Vec<u8>>,
    batch_bytes: usize,
}

/// The newest `checkpoint.NNNNNNNN` directory in `wal_dir` and its number
/// (names that do not parse, like `checkpoint.00000003.tmp`, are ignored).
pub(crate) fn last_checkpoint(wal_dir: &Path) -> Result<Option<(PathBuf, u32)>, Error> {
    let mut best: Option<(PathBuf, u32)> = None;
    let entries = std::fs::read_dir(wal_dir).map_err(|e| Error::io(wal_dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(wal_dir, e))?;
        let name = entry.file_name();
        let Some(n) = name
            .to_str()
            .and_then(|n| n.strip_prefix("checkpoint."))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if entry.path().is_dir() && best.as_ref().is_none_or(|(_, b)| n > *b) {
            best = Some((entry.path(), n));
        }
    }
    Ok(best)
}

fn replay(
    head: &Head,
    wal_dir: &Path,
    wbl_dir: &Path,
    loaded: LoadedChunks,
) -> Result<ReplayReport, Error> {
    let last_segment = list_segments(wal_dir)?.last().map_or(0, |(n, _)| *n);
    std::thread::scope(|scope| {
        let mut rp = Replayer {
            head,
            workers: Workers::start(scope, head, threads(&head.opts)),
            refs: RefTable::default(),
            report: ReplayReport {
                skipped_chunks: loaded.skipped,
                chunks_corruption: loaded.corruption,
                ..ReplayReport::default()
            },
            mmapped: loaded.by_series,
            last_segment,
            batch: Vec::new(),
            batch_bytes: 0,
        };
        let mut read = rp.read_wal(wal_dir);
        rp.workers.drain();
        if read.is_ok() {
            rp.mark_logged();
            if wbl_dir.exists() {
                match rp.wbl(wbl_dir) {
                    Ok(c) => rp.report.wbl_corruption = c,
                    Err(e) => read = Err(e),
                }
            }
        }
        // Whatever happened, the workers finish what they were handed.
        let Replayer {
            workers,
            mut report,
            mmapped,
            ..
        } = rp;
        for r in workers.finish() {
            report.samples += r.applied;
            report.samples_in_chunks += r.in_chunks;
            report.unknown_refs += r.unknown;
            report.rejected_samples += r.rejected;
            head.note_time_range(r.mint, r.maxt);
        }
        read?;
        report.unattached_chunks += mmapped.values().map(|v| v.len() as u64).sum::<u64>();
        Ok(report)
    })
}

fn decode(rec: &[u8]) -> Decoded {
    match RecordType::of(rec) {
        Some(RecordType::Series) => {
            let mut v = Vec::new();
            match decode_series(rec, &mut v) {
                Ok(()) => Decoded::Series(v),
                Err(_) => Decoded::Bad,
            }
        }
        Some(RecordType::Samples) => {
            let mut v = Vec::new();
            match decode_samples(rec, &mut v) {
                Ok(()) => Decoded::Samples(v),
                Err(_) => Decoded::Bad,
            }
        }
        Some(RecordType::Tombstones) => {
            let mut v = Vec::new();
            match decode_tombstones(rec, &mut v) {
                Ok(()) => Decoded::Tombstones(v),
                Err(_) => Decoded::Bad,
            }
        }
        Some(RecordType::HistogramSamples | RecordType::CustomBucketsHistogramSamples) => {
            let mut v = Vec::new();
            match decode_histogram_samples(rec, &mut v) {
                Ok(()) => Decoded::Histograms(
                    v.into_iter()
                        .map(|s| (s.series, s.t, HistogramValue::Int(s.h)))
                        .collect(),
                ),
                Err(_) => Decoded::Bad,
            }
        }
        Some(
            RecordType::FloatHistogramSamples | RecordType::CustomBucketsFloatHistogramSamples,
        ) => {
            let mut v = Vec::new();
            match decode_float_histogram_samples(rec, &mut v) {
                Ok(()) => Decoded::Histograms(
                    v.into_iter()
                        .map(|s| (s.series, s.t, HistogramValue::Float(s.h)))
                        .collect(),
                ),
                Err(_) => Decoded::Bad,
            }
        }
        Some(RecordType::Exemplars) => {
            let mut v = Vec::new();
            match decode_exemplars(rec, &mut v) {
                Ok(()) => Decoded::Exemplars(v),
                Err(_) => Decoded::Bad,
            }
        }
        _ => Decoded::Skipped,
    }
}

impl Replayer<'_, '_> {
    /// Reads the checkpoint, then the segments after it, applying their
    /// records; the WAL's damage, if any, lands in the report.
    fn read_wal(&mut self, wal_dir: &Path) -> Result<(), Error> {
        // A checkpoint (written by Prometheus when it truncates the WAL)
        // holds the series and samples of the segments up to its number.
        let mut first = 0;
        if let Some((dir, n)) = last_checkpoint(wal_dir)? {
            if let Some(c) = self.segments(&dir, 0)? {
                return Err(Error::Corrupt {
                    what: "WAL checkpoint",
                    message: format!("{}: {c}", dir.display()),
                });
            }
            first = n.saturating_add(1);
        }
        self.report.corruption = self.segments(wal_dir, first)?;
        self.flush();
        Ok(())
    }

    /// Reads the segments numbered `first` and up in `dir`, queueing their
    /// records; stops at damage and returns where it is.
    fn segments(&mut self, dir: &Path, first: u32) -> Result<Option<Corruption>, Error> {
        for (n, path) in list_segments(dir)? {
            if n < first {
                continue;
            }
            let data = map_segment(&path)?;
            self.report.segments += 1;
            let mut r = SegmentReader::new(n, &data);
            loop {
                match r.next_record() {
                    Ok(Some(rec)) => {
                        self.batch_bytes += rec.len();
                        self.batch.push(rec.to_vec());
                        if self.batch_bytes >= BATCH_BYTES {
                            self.flush();
                        }
                    }
                    Ok(None) => break,
                    Err(c) => return Ok(Some(c)),
                }
            }
        }
        Ok(None)
    }

    /// Applies the queued records.
    fn flush(&mut self) {
        let records = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        self.batch(records);
    }

    fn batch(&mut self, records: Vec<Vec<u8>>) {
        if records.is_empty() {
            return;
        }
        self.report.records += records.len() as u64;
        let decoded = self.decode_parallel(&records);
        drop(records);
        let mut shards = self.workers.shards();
        let n = shards.len().max(1);
        for d in decoded {
            match d {
                Decoded::Series(series) => self.series(series),
                Decoded::Samples(samples) => {
                    for mut s in samples {
                        // Resolved here, in WAL order, so a reference that
                        // a later series record redefines maps right.
                        let Some(r) = self.refs.get(s.series) else {
                            self.report.unknown_refs += 1;
                            continue;
                        };
                        s.series = u64::from(r);
                        if let Some(shard) = shards.get_mut(r as usize % n) {
                            shard.floats.push(s);
                        }
                    }
                }
                Decoded::Histograms(hs) => {
                    for (series, t, h) in hs {
                        let Some(r) = self.refs.get(series) else {
                            self.report.unknown_refs += 1;
                            continue;
                        };
                        if let Some(shard) = shards.get_mut(r as usize % n) {
                            let at = shard.floats.len();
                            shard.hists.push((at, u64::from(r), t, h));
                        }
                    }
                }
                Decoded::Exemplars(exemplars) => {
                    for e in exemplars {
                        let Some(r) = self.refs.get(e.series) else {
                            self.report.unknown_refs += 1;
                            continue;
                        };
                        // Refused ones (out of order, or beyond a smaller
                        // capacity than before) were refused live too.
                        let _ = self.head.exemplars.add(
                            u64::from(r),
                            StoredExemplar {
                                labels: e.labels,
                                value: e.v,
                                ts: e.t,
                            },
                        );
                        self.report.exemplars += 1;
                    }
                }
                Decoded::Tombstones(mut stones) => {
                    // Resolved in WAL order like samples; the samples
                    // queued so far are not affected by the order, as
                    // tombstones hide samples whenever they arrive.
                    stones.retain_mut(|t| match self.refs.get(t.series) {
                        Some(r) => {
                            t.series = u64::from(r);
                            true
                        }
                        None => false,
                    });
                    self.head.add_tombstones(&stones);
                }
                Decoded::Skipped => self.report.skipped_records += 1,
                Decoded::Bad => self.report.bad_records += 1,
            }
        }
        self.workers.send(shards);
    }

    fn decode_parallel(&self, records: &[Vec<u8>]) -> Vec<Decoded> {
        let threads = self.workers.len();
        if threads <= 1 || records.len() < 2 {
            return records.iter().map(|r| decode(r)).collect();
        }
        let per = records.len().div_ceil(threads);
        std::thread::scope(|s| {
            let jobs: Vec<_> = records
                .chunks(per)
                .map(|part| s.spawn(move || part.iter().map(|r| decode(r)).collect::<Vec<_>>()))
                .collect();
            jobs.into_iter()
                .flat_map(|j| j.join().unwrap_or_default())
                .collect()
        })
    }

    /// Reads the write-behind log (after the WAL, whose series records its
    /// samples name) into the out-of-order store; returns any damage.
    fn wbl(&mut self, dir: &Path) -> Result<Option<Corruption>, Error> {
        let mut samples = Vec::new();
        for (n, path) in list_segments(dir)? {
            let data = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            let mut r = SegmentReader::new(n, &data);
            loop {
                let rec = match r.next_record() {
                    Ok(Some(rec)) => rec,
                    Ok(None) => break,
                    Err(c) => return Ok(Some(c)),
                };
                if RecordType::of(rec) != Some(RecordType::Samples) {
                    // Mmap markers and anything else: the samples are all
                    // here too.
                    continue;
                }
                samples.clear();
                if decode_samples(rec, &mut samples).is_err() {
                    self.report.bad_records += 1;
                    continue;
                }
                for s in &samples {
                    let Some(r) = self.refs.get(s.series) else {
                        self.report.unknown_refs += 1;
                        continue;
                    };
                    if self.head.ooo.insert(u64::from(r), s.t, s.v) {
                        self.report.ooo_samples += 1;
                        self.head.note_time_range(s.t, s.t);
                    }
                }
            }
        }
        Ok(None)
    }

    fn series(&mut self, series: Vec<RefSeries>) {
        let mut created = Vec::new();
        for s in series {
            if s.labels.is_empty() {
                self.report.bad_series += 1;
                continue;
            }
            match self.head.get_or_create_with_ref(&s.labels, s.series) {
                Ok(c) => {
                    self.report.series += 1;
                    self.refs.insert(s.series, c.series_ref);
                    if c.created {
                        created.push((c.series_ref, c.handle.clone()));
                    }
                    if u64::from(c.series_ref) != s.series {
                        // A second reference for labels the head already
                        // has (a series removed and created again):
                        // checkpoints rename its samples to the head's
                        // reference while segments written so far name it.
                        self.head
                            .aliases
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(s.series, (u64::from(c.series_ref), self.last_segment));
                    }
                    // (Most WALs come without `chunks_head/`: skip hashing.)
                    let found = match self.mmapped.is_empty() {
                        true => None,
                        false => self.mmapped.remove(&s.series),
                    };
                    if let Some(found) = found {
                        if !c.created {
                            // Samples routed earlier may still be on their
                            // way to this series; they come first.
                            self.workers.drain();
                        }
                        let n = found.len() as u64;
                        let mut st = c.handle.lock();
                        match st.attach_disk_chunks(found) {
                            Some((mint, maxt)) => {
                                let kept = st.cut.len() as u64;
                                self.report.mmapped_chunks += kept;
                                self.report.unattached_chunks += n - kept;
                                self.head.note_time_range(mint, maxt);
                            }
                            None => self.report.unattached_chunks += n,
                        }
                    }
                }
                Err(_) => self.report.bad_series += 1,
            }
        }
        self.workers.add_postings(created);
    }

    /// Marks as logged the series whose own reference the WAL's last series
    /// record for that reference gives them; every other series gets a
    /// series record under its new reference with its next commit.
    fn mark_logged(&self) {
        self.refs.for_each(|wal_ref, r| {
            if wal_ref == u64::from(r) {
                if let Some(h) = self.head.series.get(wal_ref) {
                    h.lock().logged = true;
                }
            }
        });
    }
}

/// The bytes of a WAL segment, mapped rather than read: replay reads each
/// once, and a copy of a 128 MiB segment costs as much as decoding it.
fn map_segment(path: &Path) -> Result<SegmentBytes, Error> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    if len == 0 {
        // Mapping an empty file fails on some systems; there is nothing to map.
        return Ok(SegmentBytes::Empty);
    }
    // SAFETY: segments are only ever appended to (which leaves the mapped
    // length valid), deleted whole (the mapping outlives the unlink) or cut
    // by the repair of a head opening them — and two heads never open one
    // directory (the DB's lock file refuses the second).
    let map = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| Error::io(path, e))?;
    Ok(SegmentBytes::Mapped(map))
}

/// A mapped WAL segment.
enum SegmentBytes {
    Empty,
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for SegmentBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            SegmentBytes::Empty => &[],
            SegmentBytes::Mapped(m) => m,
        }
    }
}

/// Cuts segment `c.segment` at `c.offset` and deletes the segments after it.
fn repair(wal_dir: &Path, c: &Corruption) -> Result<(), Error> {
    for (n, path) in list_segments(wal_dir)? {
        if n > c.segment {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    let path = wal_dir.join(segment_name(c.segment));
    let data = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let keep = &data[..c.offset.min(data.len())];
    let tmp = wal_dir.join(format!("{}.repair", segment_name(c.segment)));
    crate::fsutil::write_atomic(&tmp, &path, keep)
}
