//! In-memory series and the table that finds them by reference or by labels.
//!
//! A series' labels never change; its samples live behind its own mutex so
//! appenders to different series never contend. The reference → series table
//! is a list of fixed-size segments of slots, allocated once and never
//! moved; a slot holds an `Arc` of its series, so a [`SeriesHandle`] stays
//! valid after the series is removed from the table (garbage collection
//! after head truncation). Lookup by labels goes through one of [`STRIPES`]
//! striped hash maps keyed by [`Labels::hash64`]; equal hashes of different
//! label sets are told apart by comparing the labels. References are the
//! WAL's (replay keeps them) and grow from there; they are never reused
//! while the head lives, so a reference names one series in the WAL and in
//! `chunks_head/`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use vigil_model::Labels;

use super::mmap::ChunkStore;
use crate::chunkenc::{Encoding, XorChunk, decode_xor_into};
use crate::chunks_head::HeadChunkRef;

/// Samples after which the open chunk is cut (Prometheus' target for
/// 15 s scrape intervals: 120 samples = 30 min).
pub const SAMPLES_PER_CHUNK: usize = 120;
/// Number of series slots per table segment.
const SEGMENT_LEN: usize = 1024;
/// Number of stripe locks for creation by labels.
pub(crate) const STRIPES: usize = 1024;
/// Largest series reference the head accepts (postings hold `u32`).
pub(crate) const MAX_REF: u64 = u32::MAX as u64;

/// Why a sample cannot be appended to a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reject {
    /// Older than the series' last sample.
    OutOfOrder { last: i64 },
    /// Same timestamp as the last sample, different value.
    Duplicate,
}

/// Where a closed chunk's bytes are, and how they are encoded.
#[derive(Debug)]
pub(crate) enum ChunkData {
    /// In memory: heads without a directory, or a chunk whose write to
    /// `chunks_head/` failed (kept rather than lost; the WAL has it too).
    Mem(Encoding, Box<[u8]>),
    /// In `chunks_head/`.
    Disk(Encoding, HeadChunkRef),
}

impl ChunkData {
    pub(crate) fn encoding(&self) -> Encoding {
        match self {
            ChunkData::Mem(e, _) | ChunkData::Disk(e, _) => *e,
        }
    }
}

/// A closed chunk of a series.
#[derive(Debug)]
pub(crate) struct CutChunk {
    pub(crate) mint: i64,
    pub(crate) maxt: i64,
    pub(crate) data: ChunkData,
}

impl CutChunk {
    /// Calls `f` with the chunk's bytes; `None` if they cannot be read.
    pub(crate) fn with_bytes<T>(
        &self,
        store: Option<&ChunkStore>,
        f: impl FnOnce(&[u8]) -> T,
    ) -> Option<T> {
        match (&self.data, store) {
            (ChunkData::Mem(_, b), _) => Some(f(b)),
            (ChunkData::Disk(_, r), Some(st)) => st.with_chunk(*r, f).ok(),
            (ChunkData::Disk(..), None) => None,
        }
    }
}

/// The mutable part of a series.
#[derive(Debug, Default)]
pub(crate) struct SeriesState {
    /// The chunk being appended to; `None` until the first sample, never
    /// empty.
    pub(crate) open: Option<XorChunk>,
    /// Timestamp of the open chunk's first sample.
    pub(crate) open_mint: i64,
    /// The open native-histogram chunk (boxed: most series never have
    /// one); at most one of `open` and `hist` is set.
    pub(crate) hist: Option<Box<super::hist::HistHead>>,
    /// Closed chunks, oldest first.
    pub(crate) cut: Vec<CutChunk>,
    /// Whether the series record is known to be in the WAL.
    pub(crate) logged: bool,
    /// Set when garbage collection took the series out of the table:
    /// appenders holding it must look the labels up again.
    pub(crate) removed: bool,
    /// Appenders with uncommitted samples for this series (garbage
    /// collection leaves such series alone).
    pub(crate) pending: u16,
    /// Number of the last appender batch that touched the series, and the
    /// series' index in that batch: an appender finds a series it already
    /// holds without a map of its own.
    /// (Batch numbers wrap after 2³² batches; the appender checks that the
    /// index names this series before trusting it.)
    pub(crate) batch: u32,
    pub(crate) batch_idx: u32,
}

impl SeriesState {
    /// The last sample's timestamp and, when known cheaply, its value.
    ///
    /// Reads only the open chunk's inline appender state, not its bytes
    /// (which would cost a cache miss per sample): an open chunk is never
    /// empty. A series whose chunks are all cut (just after replay read
    /// them from `chunks_head/`) knows only the last chunk's end time.
    pub(crate) fn last(&self) -> Option<(i64, Option<f64>)> {
        if let Some(h) = &self.hist {
            return Some((h.maxt, None));
        }
        match (&self.open, self.cut.last()) {
            (Some(c), _) => Some((c.last_timestamp(), Some(c.last_value()))),
            (None, Some(c)) => Some((c.maxt, None)),
            (None, None) => None,
        }
    }

    /// Whether `(t, v)` may follow `last`: `Ok(true)` to append, `Ok(false)`
    /// for an exact repeat of the last sample (a silent no-op). A sample at
    /// the time of a last sample whose value is not at hand is taken as a
    /// repeat: that time is already stored.
    pub(crate) fn check(last: Option<(i64, Option<f64>)>, t: i64, v: f64) -> Result<bool, Reject> {
        match last {
            None => Ok(true),
            Some((lt, _)) if t > lt => Ok(true),
            Some((lt, _)) if t < lt => Err(Reject::OutOfOrder { last: lt }),
            Some((_, None)) => Ok(false),
            // Same timestamp: compare bit patterns, so a repeated staleness
            // marker (a NaN) is a repeat, and a NaN after a number is not.
            Some((_, Some(lv))) if lv.to_bits() == v.to_bits() => Ok(false),
            Some(_) => Err(Reject::Duplicate),
        }
    }

    /// Drops the chunks that end before `mint` (the open one too); returns
    /// how many.
    pub(crate) fn truncate_before(&mut self, mint: i64) -> usize {
        let before = self.cut.len();
        self.cut.retain(|c| c.maxt >= mint);
        let mut dropped = before - self.cut.len();
        if self
            .open
            .as_ref()
            .is_some_and(|c| c.last_timestamp() < mint)
        {
            self.open = None;
            dropped += 1;
        }
        if self.hist.as_ref().is_some_and(|h| h.maxt < mint) {
            self.hist = None;
            dropped += 1;
        }
        dropped
    }

    /// Takes chunks found in `chunks_head/` as this series' cut chunks
    /// (replay, before any sample is applied); returns their time range.
    /// Chunks are kept in time order and overlapping ones dropped, so the
    /// series stays strictly ordered.
    pub(crate) fn attach_disk_chunks(
        &mut self,
        mut found: Vec<super::mmap::FoundChunk>,
    ) -> Option<(i64, i64)> {
        if self.open.is_some() || self.hist.is_some() || !self.cut.is_empty() {
            return None;
        }
        found.sort_by_key(|c| c.mint);
        let mut last = i64::MIN;
        for c in found {
            if (last != i64::MIN && c.mint <= last) || c.mint > c.maxt {
                continue;
            }
            last = c.maxt;
            self.cut.push(CutChunk {
                mint: c.mint,
                maxt: c.maxt,
                data: ChunkData::Disk(c.encoding, c.r),
            });
        }
        Some((self.cut.first()?.mint, self.cut.last()?.maxt))
    }

    /// Appends `(t, v)` if it may follow the last sample; returns whether it
    /// did. Cuts the open chunk first when it holds [`SAMPLES_PER_CHUNK`]
    /// samples or `t` falls past the chunk-range boundary after its start.
    pub(crate) fn append(&mut self, t: i64, v: f64, chunk_range: i64) -> bool {
        match Self::check(self.last(), t, v) {
            Ok(true) => {}
            Ok(false) | Err(_) => return false,
        }
        if self.hist.is_some() {
            // A float after histograms: the kinds live in separate chunks.
            self.cut_hist();
        }
        let must_cut = match &self.open {
            None => false,
            Some(c) => {
                c.num_samples() >= SAMPLES_PER_CHUNK
                    || boundary_after(self.open_mint, chunk_range).is_some_and(|b| t >= b)
            }
        };
        if must_cut {
            self.cut_open();
        }
        match &mut self.open {
            Some(c) => c.append(t, v).is_ok(),
            None => {
                // Only a chunk holding a sample becomes the open chunk.
                let mut c = XorChunk::new();
                if c.append(t, v).is_err() {
                    return false;
                }
                self.open = Some(c);
                self.open_mint = t;
                true
            }
        }
    }

    /// Closes the open float chunk before a histogram follows.
    pub(crate) fn cut_float_for_histogram(&mut self) {
        self.cut_open();
    }

    /// Closes the open chunk, keeping its bytes at their exact size.
    fn cut_open(&mut self) {
        if let Some(c) = self.open.take() {
            if c.num_samples() > 0 {
                self.cut.push(CutChunk {
                    mint: self.open_mint,
                    maxt: c.last_timestamp(),
                    data: ChunkData::Mem(Encoding::Xor, c.bytes().into()),
                });
            }
        }
    }

    /// Whether the newest cut chunk is still only in memory.
    pub(crate) fn has_unpersisted(&self) -> bool {
        matches!(
            self.cut.last(),
            Some(CutChunk {
                data: ChunkData::Mem(..),
                ..
            })
        )
    }

    /// Writes chunks cut in memory to `store`, keeping only their
    /// references. A failed write leaves the chunk in memory.
    pub(crate) fn persist_cut(&mut self, series_ref: u64, store: &ChunkStore) {
        for c in self.cut.iter_mut().rev() {
            let ChunkData::Mem(enc, b) = &c.data else {
                break;
            };
            let enc = *enc;
            match store.write(series_ref, c.mint, c.maxt, enc, b) {
                Ok(r) => c.data = ChunkData::Disk(enc, r),
                Err(_) => break,
            }
        }
    }

    /// Pushes the samples with `mint <= t <= maxt` to `out`, oldest first.
    /// Chunks on disk are read through `store`; a chunk that cannot be read
    /// (damaged file) contributes no samples.
    pub(crate) fn samples_in(
        &self,
        mint: i64,
        maxt: i64,
        store: Option<&ChunkStore>,
        out: &mut Vec<(i64, f64)>,
    ) {
        for c in &self.cut {
            if c.maxt < mint || c.mint > maxt || c.data.encoding() != Encoding::Xor {
                continue;
            }
            c.with_bytes(store, |b| push_range(b, mint, maxt, out));
        }
        if let Some(c) = &self.open {
            if c.num_samples() > 0 && self.open_mint <= maxt && c.last_timestamp() >= mint {
                push_range(c.bytes(), mint, maxt, out);
            }
        }
    }

    /// Number of samples held.
    pub(crate) fn num_samples(&self, store: Option<&ChunkStore>) -> usize {
        let cut: usize = self
            .cut
            .iter()
            .filter_map(|c| c.with_bytes(store, crate::chunkenc::xor::num_samples))
            .sum();
        cut + self.open.as_ref().map_or(0, XorChunk::num_samples)
            + self.hist.as_ref().map_or(0, |h| h.num_samples())
    }
}

fn push_range(bytes: &[u8], mint: i64, maxt: i64, out: &mut Vec<(i64, f64)>) {
    // Chunks are built by this module, so decoding cannot fail; if it did,
    // the samples decoded so far are what we have.
    let _ = decode_xor_into(bytes, mint, maxt, out);
}

/// The first multiple of `range` after `t` (chunks do not cross it, so they
/// fit the blocks compaction cuts); `None` on overflow or a bad range.
pub(crate) fn boundary_after(t: i64, range: i64) -> Option<i64> {
    if range <= 0 {
        return None;
    }
    t.div_euclid(range).checked_add(1)?.checked_mul(range)
}

/// One series: immutable labels and the lock-protected samples.
#[derive(Debug)]
pub(crate) struct MemSeries {
    pub(crate) labels: Labels,
    pub(crate) state: Mutex<SeriesState>,
    /// Set while a commit that logged samples of this series applies them
    /// outside the WAL lock; the next commit waits for it, so series see
    /// samples in WAL order. Outside the state's mutex: claiming under the
    /// WAL lock is then one atomic swap, not a lock and an unlock.
    pub(crate) applying: AtomicBool,
}

impl MemSeries {
    /// Locks the series' state. A poisoned lock (a panic elsewhere while
    /// holding it) still yields the state: every update keeps it consistent.
    pub(crate) fn lock(&self) -> MutexGuard<'_, SeriesState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Debug)]
struct Segment {
    slots: Box<[Mutex<Option<Arc<MemSeries>>>]>,
}

impl Segment {
    fn new() -> Segment {
        Segment {
            slots: (0..SEGMENT_LEN).map(|_| Mutex::new(None)).collect(),
        }
    }

    fn slot(&self, idx: usize) -> Option<MutexGuard<'_, Option<Arc<MemSeries>>>> {
        Some(
            self.slots
                .get(idx)?
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        )
    }
}

/// A cheap, clonable reference to a series; it stays usable after the
/// series leaves the table (check [`SeriesState::removed`]).
#[derive(Debug, Clone)]
pub(crate) struct SeriesHandle(Arc<MemSeries>);

impl Deref for SeriesHandle {
    type Target = MemSeries;
    fn deref(&self) -> &MemSeries {
        &self.0
    }
}

/// Hasher for keys that are already hashes (`u64`, used as is) or
/// series references (`u32`, multiplied to spread their bits).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn write_u32(&mut self, n: u32) {
        // Series references are small and dense; spread them over all 64
        // bits (the map uses the low bits for the slot, the top 7 as a tag).
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// One stripe of the labels → reference index.
#[derive(Debug, Default)]
struct Stripe {
    /// The first series seen with a hash.
    by_hash: IdMap<u32>,
    /// Further series whose labels hash the same (rare).
    collisions: IdMap<Vec<u32>>,
}

/// What [`SeriesTable::get_or_create`] found or made.
#[derive(Debug)]
pub(crate) struct Created {
    pub(crate) handle: SeriesHandle,
    pub(crate) series_ref: u32,
    pub(crate) created: bool,
}

/// Why a series could not be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CreateError {
    /// All references up to [`MAX_REF`] are used.
    RefTooLarge,
    /// Another series already holds the reference.
    RefTaken,
}

/// Segments per directory of the two-level reference table.
const DIR_LEN: usize = 1024;
/// Directories: together they cover every reference up to [`MAX_REF`].
const DIRS: usize = ((MAX_REF as usize) >> 20) + 1;

/// One directory: `DIR_LEN` segments, each allocated on first use.
type Dir = Box<[OnceLock<Box<Segment>>]>;

/// The reference → series table plus the labels → reference index.
///
/// References map to slots through two fixed levels of `OnceLock`s
/// (directory, segment), so a lookup is two plain loads and the slot's
/// lock: no table-wide lock for appenders on different cores to contend on.
#[derive(Debug)]
pub(crate) struct SeriesTable {
    dirs: Box<[OnceLock<Dir>]>,
    stripes: Box<[Mutex<Stripe>]>,
    next_ref: AtomicU64,
    count: AtomicUsize,
}

impl Default for SeriesTable {
    fn default() -> SeriesTable {
        SeriesTable {
            dirs: (0..DIRS).map(|_| OnceLock::new()).collect(),
            stripes: (0..STRIPES).map(|_| Mutex::default()).collect(),
            next_ref: AtomicU64::new(1),
            count: AtomicUsize::new(0),
        }
    }
}

impl SeriesTable {
    /// Number of series.
    pub(crate) fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// The segment holding reference `r`, if allocated.
    fn segment(&self, r: u64) -> Option<&Segment> {
        let seg = usize::try_from(r / SEGMENT_LEN as u64).ok()?;
        let dir = self.dirs.get(seg / DIR_LEN)?.get()?;
        dir.get(seg % DIR_LEN)?.get().map(|b| &**b)
    }

    /// The segment holding reference `r`, allocated if needed.
    fn segment_or_create(&self, r: u64) -> Option<&Segment> {
        let seg = usize::try_from(r / SEGMENT_LEN as u64).ok()?;
        let dir = self
            .dirs
            .get(seg / DIR_LEN)?
            .get_or_init(|| (0..DIR_LEN).map(|_| OnceLock::new()).collect());
        Some(
            dir.get(seg % DIR_LEN)?
                .get_or_init(|| Box::new(Segment::new())),
        )
    }

    /// The series with reference `r`.
    pub(crate) fn get(&self, r: u64) -> Option<SeriesHandle> {
        let slot = self.segment(r)?.slot((r % SEGMENT_LEN as u64) as usize)?;
        slot.clone().map(SeriesHandle)
    }

    /// Whether reference `r` names a series (without taking a handle).
    fn contains(&self, r: u64) -> bool {
        self.segment(r)
            .and_then(|seg| seg.slot((r % SEGMENT_LEN as u64) as usize))
            .is_some_and(|slot| slot.is_some())
    }

    /// Runs `f` on the series with reference `r` under the slot's lock,
    /// without taking a handle (two atomic operations fewer than
    /// [`SeriesTable::get`]); `None` if there is no such series.
    pub(crate) fn with<T>(&self, r: u64, f: impl FnOnce(&MemSeries) -> T) -> Option<T> {
        let slot = self.segment(r)?.slot((r % SEGMENT_LEN as u64) as usize)?;
        slot.as_deref().map(f)
    }

    /// Every series with its reference, in reference order (a snapshot:
    /// series created meanwhile may be missed).
    pub(crate) fn all(&self) -> Vec<(u64, SeriesHandle)> {
        let mut out = Vec::with_capacity(self.len());
        for (d, dir) in self.dirs.iter().enumerate() {
            let Some(dir) = dir.get() else { continue };
            for (i, seg) in dir.iter().enumerate() {
                let Some(seg) = seg.get() else { continue };
                let base = ((d * DIR_LEN + i) * SEGMENT_LEN) as u64;
                for (j, slot) in seg.slots.iter().enumerate() {
                    if let Some(s) = &*slot.lock().unwrap_or_else(|e| e.into_inner()) {
                        out.push((base + j as u64, SeriesHandle(s.clone())));
                    }
                }
            }
        }
        out
    }

    /// Takes series `r` out of the table if `doomed` says so, deciding
    /// under the labels stripe's lock and the series' own lock, so no
    /// appender can find it by labels or start a batch on it meanwhile.
    /// Returns the removed series.
    pub(crate) fn remove_if(
        &self,
        r: u64,
        doomed: impl FnOnce(&mut SeriesState) -> bool,
    ) -> Option<SeriesHandle> {
        let h = self.get(r)?;
        let hash = h.labels.hash64();
        let mut stripe = self.stripe(hash);
        let mut st = h.lock();
        if st.removed || !doomed(&mut st) {
            return None;
        }
        st.removed = true;
        let r32 = u32::try_from(r).ok()?;
        if stripe.by_hash.get(&hash) == Some(&r32) {
            match stripe.collisions.get_mut(&hash).and_then(Vec::pop) {
                Some(next) => {
                    stripe.by_hash.insert(hash, next);
                }
                None => {
                    stripe.by_hash.remove(&hash);
                }
            }
        } else if let Some(more) = stripe.collisions.get_mut(&hash) {
            more.retain(|x| *x != r32);
        }
        if stripe.collisions.get(&hash).is_some_and(Vec::is_empty) {
            stripe.collisions.remove(&hash);
        }
        drop(st);
        drop(stripe);
        if let Some(seg) = self.segment(r) {
            if let Some(mut slot) = seg.slot((r % SEGMENT_LEN as u64) as usize) {
                *slot = None;
            }
        }
        self.count.fetch_sub(1, Ordering::Relaxed);
        Some(h)
    }

    fn stripe(&self, hash: u64) -> MutexGuard<'_, Stripe> {
        // High bits pick the stripe; the stripe's map uses the low bits.
        let i = ((hash >> 40) as usize) % self.stripes.len();
        self.stripes[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    fn find(&self, stripe: &Stripe, hash: u64, labels: &Labels) -> Option<(u32, SeriesHandle)> {
        let first = stripe.by_hash.get(&hash)?;
        let more = stripe
            .collisions
            .get(&hash)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        std::iter::once(first).chain(more).find_map(|&r| {
            let h = self.get(u64::from(r))?;
            (h.labels == *labels).then_some((r, h))
        })
    }

    fn index(stripe: &mut Stripe, hash: u64, r: u32) {
        match stripe.by_hash.entry(hash) {
            std::collections::hash_map::Entry::Occupied(_) => {
                stripe.collisions.entry(hash).or_default().push(r);
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(r);
            }
        }
    }

    /// The series with these labels, created with the next free reference
    /// if there is none.
    pub(crate) fn get_or_create(&self, labels: &Labels) -> Result<Created, CreateError> {
        let hash = labels.hash64();
        let mut stripe = self.stripe(hash);
        if let Some((series_ref, handle)) = self.find(&stripe, hash, labels) {
            return Ok(Created {
                handle,
                series_ref,
                created: false,
            });
        }
        let r = self.next_ref.fetch_add(1, Ordering::Relaxed);
        if r > MAX_REF {
            return Err(CreateError::RefTooLarge);
        }
        let handle = self.insert(r, labels.clone())?;
        let series_ref = r as u32;
        Self::index(&mut stripe, hash, series_ref);
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(Created {
            handle,
            series_ref,
            created: true,
        })
    }

    /// The series with these labels; if there is none, it is created with
    /// reference `want` when that is free (WAL replay keeps the WAL's
    /// references, which `chunks_head/` files also name), else with the
    /// next free reference.
    pub(crate) fn get_or_create_with_ref(
        &self,
        labels: &Labels,
        want: u64,
    ) -> Result<Created, CreateError> {
        let hash = labels.hash64();
        let mut stripe = self.stripe(hash);
        if let Some((series_ref, handle)) = self.find(&stripe, hash, labels) {
            return Ok(Created {
                handle,
                series_ref,
                created: false,
            });
        }
        let free = want > 0 && want <= MAX_REF && !self.contains(want);
        let r = if free {
            // Later series are numbered after every reference replay used,
            // so no reference ever names two series in one WAL.
            self.next_ref.fetch_max(want + 1, Ordering::Relaxed);
            want
        } else {
            self.next_ref.fetch_add(1, Ordering::Relaxed)
        };
        if r > MAX_REF {
            return Err(CreateError::RefTooLarge);
        }
        let handle = self.insert(r, labels.clone())?;
        let series_ref = r as u32;
        Self::index(&mut stripe, hash, series_ref);
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(Created {
            handle,
            series_ref,
            created: true,
        })
    }

    fn insert(&self, r: u64, labels: Labels) -> Result<SeriesHandle, CreateError> {
        let idx = (r % SEGMENT_LEN as u64) as usize;
        let seg = self.segment_or_create(r).ok_or(CreateError::RefTooLarge)?;
        let mut slot = seg.slot(idx).ok_or(CreateError::RefTaken)?;
        if slot.is_some() {
            return Err(CreateError::RefTaken);
        }
        let series = Arc::new(MemSeries {
            labels,
            state: Mutex::new(SeriesState::default()),
            applying: AtomicBool::new(false),
        });
        *slot = Some(series.clone());
        Ok(SeriesHandle(series))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_find_and_collide() {
        let t = SeriesTable::default();
        let a = Labels::from_pairs(&[("a", "1")]);
        let b = Labels::from_pairs(&[("a", "2")]);
        let ca = t.get_or_create(&a).unwrap();
        assert!(ca.created);
        let again = t.get_or_create(&a).unwrap();
        assert!(!again.created);
        assert_eq!(again.series_ref, ca.series_ref);
        // Force a collision: index `b` under `a`'s hash by hand.
        let hash = a.hash64();
        let cb = t.get_or_create(&b).unwrap();
        {
            let mut s = t.stripe(hash);
            SeriesTable::index(&mut s, hash, cb.series_ref);
        }
        let s = t.stripe(hash);
        assert_eq!(t.find(&s, hash, &b).map(|x| x.0), Some(cb.series_ref));
        assert_eq!(t.find(&s, hash, &a).map(|x| x.0), Some(ca.series_ref));
        drop(s);
        assert_eq!(t.len(), 2);
        assert!(t.get(5000).is_none());
        assert_eq!(
            t.get_or_create(&Labels::from_pairs(&[("x", "y")]))
                .map(|c| c.series_ref)
                .ok(),
            Some(3)
        );
    }

    #[test]
    fn chunks_cut_at_120_and_at_range_boundary() {
        let mut s = SeriesState::default();
        for i in 0..300 {
            assert!(s.append(i * 1000, i as f64, 7_200_000));
        }
        assert_eq!(s.cut.len(), 2);
        assert_eq!(s.num_samples(None), 300);
        let mut out = Vec::new();
        s.samples_in(100_000, 130_000, None, &mut out);
        assert_eq!(out.first(), Some(&(100_000, 100.0)));
        assert_eq!(out.len(), 31);
        let mut s = SeriesState::default();
        s.append(7_199_000, 1.0, 7_200_000);
        s.append(7_200_000, 2.0, 7_200_000);
        assert_eq!(s.cut.len(), 1);
        assert!(!s.append(7_100_000, 3.0, 7_200_000));
        assert!(!s.append(7_200_000, 2.0, 7_200_000));
    }
}
#[cfg(test)]
mod size_tests {
    /// The per-series memory budget depends on these sizes; see
    /// `docs/design/2026-11-25-head.md`.
    #[test]
    fn series_slot_stays_small() {
        // 136 until appenders gained the per-series batch mark and the
        // lock-free `applying` flag (16 bytes that save a hash lookup, a
        // hash insert and a lock round trip per sample).
        assert!(std::mem::size_of::<super::MemSeries>() <= 152);
        assert!(
            std::mem::size_of::<std::sync::Mutex<Option<std::sync::Arc<super::MemSeries>>>>() <= 16
        );
    }
}
