//! The appender: buffers one batch of samples, checks them as Prometheus
//! does, and on commit logs them to the WAL before applying them.

mod kinds;

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::atomic::Ordering;

use vigil_model::Labels;

use super::exemplars::{ExemplarReject, StoredExemplar};
use super::series::{CreateError, IdHasher, Reject, SeriesHandle, SeriesState};
use super::{Head, SeriesRef};
use crate::record::{RefExemplar, RefFloatHistogramSample, RefHistogramSample, encode_exemplars};
use crate::record::{RefSample, RefSeries, encode_samples, encode_series};
use crate::series_data::HistRef;
use crate::wal::prepare_record;

/// Why a sample or a commit was refused. The messages use Prometheus'
/// words (`storage.ErrOutOfBounds`, `ErrOutOfOrderSample`,
/// `ErrDuplicateSampleForTimestamp`) so logs and API errors read the same.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Older than the head accepts (see [`Head::appendable_min_valid_time`]).
    #[error("out of bounds: timestamp {t} is before {min_valid}")]
    OutOfBounds {
        /// The sample's timestamp.
        t: i64,
        /// The oldest timestamp accepted.
        min_valid: i64,
    },
    /// Older than the series' newest sample. There is no out-of-order
    /// window yet: every such sample is refused.
    #[error("out of order sample: timestamp {t} is before the series' last {last}")]
    OutOfOrder {
        /// The sample's timestamp.
        t: i64,
        /// The series' newest timestamp.
        last: i64,
    },
    /// Same timestamp as the series' newest sample with another value (the
    /// same value again is accepted and ignored).
    #[error("duplicate sample for timestamp {t}")]
    DuplicateSample {
        /// The sample's timestamp.
        t: i64,
    },
    /// A series needs at least one label.
    #[error("empty label set")]
    EmptyLabels,
    /// [`Appender::append_ref`] with a reference the head does not know.
    #[error("unknown series reference {0}")]
    UnknownSeriesRef(SeriesRef),
    /// A native histogram that does not hold together (spans and buckets
    /// disagree, counts do not add up, …).
    #[error("invalid histogram: {0}")]
    InvalidHistogram(String),
    /// Out of order and older than the out-of-order window allows.
    #[error("too old sample: timestamp {t} is before {min_valid}")]
    TooOldSample {
        /// The sample's timestamp.
        t: i64,
        /// The oldest timestamp the window accepts.
        min_valid: i64,
    },
    /// An exemplar without a timestamp.
    #[error("exemplar without timestamp")]
    ExemplarNoTimestamp,
    /// Exemplar labels longer than OpenMetrics allows.
    #[error("exemplar label length exceeds maximum of 128 UTF-8 characters: {0}")]
    ExemplarLabelsTooLong(usize),
    /// An exemplar older than the series' newest one.
    #[error("out of order exemplar: timestamp {t}")]
    OutOfOrderExemplar {
        /// The exemplar's timestamp.
        t: i64,
    },
    /// The head ran out of series references (2³² series).
    #[error("too many series: series references exhausted")]
    TooManySeries,
    /// Writing the WAL failed; nothing of the batch was applied.
    #[error("writing the WAL: {0}")]
    Wal(#[from] crate::Error),
}

type RefMap<V> = HashMap<u32, V, BuildHasherDefault<IdHasher>>;

/// Most UTF-8 characters exemplar labels may hold together (OpenMetrics).
const MAX_EXEMPLAR_LABEL_CHARS: usize = 128;

/// Where a touched series is in the commit protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// The batch counts in the series' `pending`.
    Pending,
    /// Also claimed for applying (after logging).
    Claimed,
    /// Both given back.
    Released,
}

/// A series the batch touches.
#[derive(Debug)]
struct Touched {
    r: u32,
    handle: SeriesHandle,
    /// The newest sample of the series (the batch's own, or the stored one).
    last: Option<(i64, Option<f64>)>,
    /// Index of the batch's last sample of this series, if any.
    last_sample: Option<u32>,
    /// Whether its series record may not be in the WAL yet.
    unlogged: bool,
    hold: Hold,
    /// Kind of the batch's newest in-order sample of this series.
    kind: Kind,
}

/// What kind of sample a series last got in this batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    None,
    Float,
    Histogram,
}

/// An appender's working memory, reused across batches through the head's
/// pool so a steady stream of commits does not allocate.
#[derive(Debug, Default)]
pub(super) struct Buffers {
    samples: Vec<RefSample>,
    /// Per sample, its series' index into `touched`.
    slots: Vec<u32>,
    touched: Vec<Touched>,
    /// Series reference → index into `touched`, built only when a series
    /// turns out to be held by another appender too (each series otherwise
    /// remembers which batch touched it, see [`SeriesState::batch`]).
    by_ref: RefMap<u32>,
    by_ref_built: bool,
    series_rec: Vec<u8>,
    samples_rec: Vec<u8>,
    compressed: [Vec<u8>; 2],
    encoder: Option<snap::raw::Encoder>,
    /// Native-histogram samples, each with its index into `touched`.
    hists: Vec<RefHistogramSample>,
    hist_slots: Vec<u32>,
    fhists: Vec<RefFloatHistogramSample>,
    fhist_slots: Vec<u32>,
    /// Encoded histogram records (exponential and custom buckets are
    /// separate record types) and their compression buffers.
    hist_recs: Vec<Vec<u8>>,
    hist_compressed: Vec<Vec<u8>>,
    exemplars: Vec<RefExemplar>,
    exemplars_rec: Vec<u8>,
    exemplars_compressed: Vec<u8>,
    /// Out-of-order float samples (logged to the write-behind log).
    ooo: Vec<RefSample>,
}

impl Buffers {
    /// Most samples a pooled buffer may keep room for (larger batches
    /// allocate afresh rather than pin their memory).
    const MAX_POOLED: usize = 1 << 20;

    fn clear(&mut self) {
        self.samples.clear();
        self.slots.clear();
        self.touched.clear();
        self.by_ref.clear();
        self.by_ref_built = false;
        self.hists.clear();
        self.hist_slots.clear();
        self.fhists.clear();
        self.fhist_slots.clear();
        self.exemplars.clear();
        self.ooo.clear();
    }
}

/// A batch of samples for a [`Head`], applied atomically-per-WAL-record by
/// [`Appender::commit`] or dropped by [`Appender::rollback`] (or by dropping
/// the appender).
///
/// Checks happen in `append`, so a refused sample never reaches the WAL.
/// Series are created in memory on first `append` (as in Prometheus); their
/// series record is written with the first commit that carries them.
#[derive(Debug)]
pub struct Appender<'a> {
    head: &'a Head,
    min_valid: i64,
    /// This batch's number (see [`SeriesState::batch`]).
    id: u32,
    b: Buffers,
}

/// Numbers batches; 0 is never handed out (a series' "no batch").
static NEXT_BATCH: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

fn next_batch() -> u32 {
    match NEXT_BATCH.fetch_add(1, Ordering::Relaxed) {
        0 => NEXT_BATCH.fetch_add(1, Ordering::Relaxed),
        n => n,
    }
}

impl Drop for Appender<'_> {
    fn drop(&mut self) {
        // Series a commit did not already give back (rollback, rejected
        // samples, an error, unwinding).
        self.release_all();
        let mut b = std::mem::take(&mut self.b);
        if b.samples.capacity() <= Buffers::MAX_POOLED {
            b.clear();
            self.head.return_buffers(b);
        }
    }
}

impl<'a> Appender<'a> {
    /// Gives back every series the batch still holds.
    fn release_all(&mut self) {
        for t in self.b.touched.iter_mut() {
            if t.hold != Hold::Released {
                let mut st = t.handle.lock();
                st.pending = st.pending.saturating_sub(1);
                drop(st);
                if t.hold == Hold::Claimed {
                    t.handle.applying.store(false, Ordering::Release);
                }
                t.hold = Hold::Released;
            }
        }
    }

    pub(super) fn new(head: &'a Head) -> Appender<'a> {
        Appender {
            head,
            min_valid: head.appendable_min_valid_time(),
            id: next_batch(),
            b: head.take_buffers(),
        }
    }

    /// Adds sample `(t, v)` of the series `labels` (created if new) to the
    /// batch and returns the series' reference, usable with
    /// [`Appender::append_ref`] from then on. A staleness marker
    /// ([`vigil_model::stale_nan`]) is an ordinary value here.
    pub fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<SeriesRef, AppendError> {
        self.check_bounds(t)?;
        let (r, idx) = self.resolve(labels)?;
        self.add(r, idx, t, v)
    }

    /// Adds sample `(t, v)` of the series with reference `r`.
    pub fn append_ref(&mut self, r: SeriesRef, t: i64, v: f64) -> Result<SeriesRef, AppendError> {
        self.check_bounds(t)?;
        let (r, idx) = self.resolve_ref(r)?;
        self.add(r, idx, t, v)
    }

    fn labels_of(&self, r: SeriesRef) -> Result<Labels, AppendError> {
        self.head
            .series
            .get(r)
            .map(|h| h.labels.clone())
            .ok_or(AppendError::UnknownSeriesRef(r))
    }

    /// The series `labels` (created if new) in this batch: its reference
    /// and index into `touched`.
    fn resolve(&mut self, labels: &Labels) -> Result<(u32, u32), AppendError> {
        if labels.is_empty() {
            return Err(AppendError::EmptyLabels);
        }
        // A series garbage collection removes between the lookup and the
        // batch taking hold of it is looked up (and created) again; the
        // second lookup cannot find the removed one.
        for _ in 0..3 {
            let c = self.head.get_or_create(labels).map_err(|e| match e {
                CreateError::RefTooLarge | CreateError::RefTaken => AppendError::TooManySeries,
            })?;
            if let Ok(idx) = self.touch(c.series_ref, c.handle)? {
                return Ok((c.series_ref, idx));
            }
        }
        Err(AppendError::TooManySeries)
    }

    /// The series with reference `r` in this batch (see [`Self::resolve`]).
    fn resolve_ref(&mut self, r: SeriesRef) -> Result<(u32, u32), AppendError> {
        let r32 = u32::try_from(r).map_err(|_| AppendError::UnknownSeriesRef(r))?;
        let handle = self
            .head
            .series
            .get(r)
            .ok_or(AppendError::UnknownSeriesRef(r))?;
        match self.touch(r32, handle)? {
            Ok(idx) => Ok((r32, idx)),
            // Removed meanwhile: the series comes back under a new reference.
            Err(handle) => {
                let labels = handle.labels.clone();
                self.resolve(&labels)
            }
        }
    }

    /// Checks a histogram at `t` for series `idx`: `Ok(true)` to add it,
    /// `Ok(false)` for a repeat of the last timestamp (ignored).
    fn add_hist(&mut self, idx: u32, t: i64) -> Result<bool, AppendError> {
        let idx = self.switch_kind(idx, Kind::Histogram)?;
        let Some(touched) = self.b.touched.get_mut(idx as usize) else {
            return Err(AppendError::TooManySeries);
        };
        match SeriesState::check(touched.last, t, f64::NAN) {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(Reject::OutOfOrder { last }) => return Err(AppendError::OutOfOrder { t, last }),
            Err(Reject::Duplicate) => return Err(AppendError::DuplicateSample { t }),
        }
        touched.last = Some((t, None));
        touched.kind = Kind::Histogram;
        Ok(true)
    }

    /// A commit applies a batch's floats before its histograms, so a
    /// series switching kind inside a batch would lose time order: the
    /// batch so far is committed first (Prometheus 3.x splits batches the
    /// same way) and the series is touched afresh. Returns its new index.
    fn switch_kind(&mut self, idx: u32, kind: Kind) -> Result<u32, AppendError> {
        let Some(t) = self.b.touched.get(idx as usize) else {
            return Ok(idx);
        };
        if t.kind == Kind::None || t.kind == kind {
            return Ok(idx);
        }
        let (r, handle) = (t.r, t.handle.clone());
        self.commit_batch()?;
        // The committed series are given back; what follows is a new batch.
        self.release_all();
        self.b.clear();
        self.id = next_batch();
        self.touch(r, handle)?
            .map_err(|_| AppendError::UnknownSeriesRef(SeriesRef::from(r)))
    }

    /// Number of samples in the batch.
    pub fn len(&self) -> usize {
        self.b.samples.len()
    }

    /// Whether the batch holds no samples.
    pub fn is_empty(&self) -> bool {
        self.b.samples.is_empty()
    }

    fn check_bounds(&self, t: i64) -> Result<(), AppendError> {
        if t < self.min_valid {
            crate::metrics::inc(&self.head.counters.out_of_bounds, 1);
            return Err(AppendError::OutOfBounds {
                t,
                min_valid: self.min_valid,
            });
        }
        Ok(())
    }

    /// The batch's entry for series `r` (an index into `touched`), made on
    /// first touch from `handle` (counting the batch in the series'
    /// `pending`); `Ok(Err(handle))` if the series was removed from the head
    /// meanwhile.
    fn touch(
        &mut self,
        r: u32,
        handle: SeriesHandle,
    ) -> Result<Result<u32, SeriesHandle>, AppendError> {
        let idx = u32::try_from(self.b.touched.len()).map_err(|_| AppendError::TooManySeries)?;
        let (last, logged) = {
            let mut st = handle.lock();
            if st.removed {
                drop(st);
                return Ok(Err(handle));
            }
            if st.batch == self.id
                && self
                    .b
                    .touched
                    .get(st.batch_idx as usize)
                    .is_some_and(|t| t.r == r)
            {
                return Ok(Ok(st.batch_idx));
            }
            if st.pending > 0 {
                // Another appender holds it too and may have overwritten
                // this batch's mark: look for it the slow way.
                let b = &mut self.b;
                if !b.by_ref_built {
                    b.by_ref.clear();
                    for (i, t) in b.touched.iter().enumerate() {
                        b.by_ref.insert(t.r, i as u32);
                    }
                    b.by_ref_built = true;
                }
                if let Some(&i) = b.by_ref.get(&r) {
                    st.batch = self.id;
                    st.batch_idx = i;
                    return Ok(Ok(i));
                }
            }
            // From here until this appender gives it back, garbage
            // collection keeps the series.
            st.pending = st.pending.saturating_add(1);
            st.batch = self.id;
            st.batch_idx = idx;
            (st.last(), st.logged)
        };
        self.b.touched.push(Touched {
            r,
            handle,
            last,
            last_sample: None,
            unlogged: !logged,
            hold: Hold::Pending,
            kind: Kind::None,
        });
        if self.b.by_ref_built {
            self.b.by_ref.insert(r, idx);
        }
        Ok(Ok(idx))
    }

    fn add(&mut self, r: u32, idx: u32, t: i64, v: f64) -> Result<SeriesRef, AppendError> {
        let idx = self.switch_kind(idx, Kind::Float)?;
        let n = u32::try_from(self.b.samples.len()).map_err(|_| AppendError::TooManySeries)?;
        let Some(touched) = self.b.touched.get_mut(idx as usize) else {
            return Err(AppendError::UnknownSeriesRef(SeriesRef::from(r)));
        };
        match SeriesState::check(touched.last, t, v) {
            Ok(true) => {}
            Ok(false) => return Ok(SeriesRef::from(r)),
            Err(Reject::OutOfOrder { last }) => {
                return match self.head.ooo_min_time() {
                    Some(min) if t >= min => {
                        self.b.ooo.push(RefSample {
                            series: SeriesRef::from(r),
                            t,
                            v,
                        });
                        Ok(SeriesRef::from(r))
                    }
                    Some(min) if t < min => {
                        crate::metrics::inc(&self.head.counters.too_old, 1);
                        Err(AppendError::TooOldSample { t, min_valid: min })
                    }
                    _ => {
                        crate::metrics::inc(&self.head.counters.out_of_order, 1);
                        Err(AppendError::OutOfOrder { t, last })
                    }
                };
            }
            Err(Reject::Duplicate) => return Err(AppendError::DuplicateSample { t }),
        }
        touched.last = Some((t, Some(v)));
        touched.last_sample = Some(n);
        touched.kind = Kind::Float;
        self.b.samples.push(RefSample {
            series: SeriesRef::from(r),
            t,
            v,
        });
        self.b.slots.push(idx);
        Ok(SeriesRef::from(r))
    }

    /// Writes the batch to the WAL, then adds it to the series.
    ///
    /// Durability: when this returns `Ok`, the batch's series and samples
    /// records are in the WAL in the operating system's page cache, so they
    /// survive the process being killed (not a machine crash; see
    /// [`Head::sync_wal`]). On `Err`, nothing of the batch was applied.
    ///
    /// A sample that another appender's commit overtook in the meantime (an
    /// older timestamp, or the same timestamp with another value) is
    /// logged but not applied — replaying the WAL drops it the same way.
    pub fn commit(mut self) -> Result<(), AppendError> {
        self.commit_batch()
    }

    /// Logs and applies the batch (see [`Appender::commit`]).
    fn commit_batch(&mut self) -> Result<(), AppendError> {
        if self.b.samples.is_empty()
            && self.b.hists.is_empty()
            && self.b.fhists.is_empty()
            && self.b.exemplars.is_empty()
            && self.b.ooo.is_empty()
            && !self.b.touched.iter().any(|t| t.unlogged)
        {
            return Ok(());
        }
        let head = self.head;
        let b = &mut self.b;
        b.samples_rec.clear();
        if !b.samples.is_empty() {
            encode_samples(&mut b.samples_rec, &b.samples);
        }
        match &head.wal {
            Some(wal) => {
                // Records are encoded and compressed before taking the WAL
                // lock, so concurrent appenders do that work in parallel.
                let compress = head.opts.wal_compression;
                let new: Vec<RefSeries> = b
                    .touched
                    .iter()
                    .filter(|t| t.unlogged)
                    .map(|t| RefSeries {
                        series: SeriesRef::from(t.r),
                        labels: t.handle.labels.clone(),
                    })
                    .collect();
                b.series_rec.clear();
                if !new.is_empty() {
                    encode_series(&mut b.series_rec, &new);
                }
                kinds::encode_histogram_records(b);
                let encoder = b.encoder.get_or_insert_with(snap::raw::Encoder::new);
                let [c0, c1] = &mut b.compressed;
                let mut recs = Vec::with_capacity(2 + b.hist_recs.len());
                if !b.series_rec.is_empty() {
                    recs.push(prepare_record(compress, &b.series_rec, encoder, c0)?);
                }
                if !b.samples_rec.is_empty() {
                    recs.push(prepare_record(compress, &b.samples_rec, encoder, c1)?);
                }
                if b.hist_compressed.len() < b.hist_recs.len() {
                    b.hist_compressed.resize_with(b.hist_recs.len(), Vec::new);
                }
                for (rec, buf) in b.hist_recs.iter().zip(b.hist_compressed.iter_mut()) {
                    recs.push(prepare_record(compress, rec, encoder, buf)?);
                }
                b.exemplars_rec.clear();
                if !b.exemplars.is_empty() {
                    encode_exemplars(&mut b.exemplars_rec, &b.exemplars);
                    recs.push(prepare_record(
                        compress,
                        &b.exemplars_rec,
                        encoder,
                        &mut b.exemplars_compressed,
                    )?);
                }
                // Samples must reach each series in WAL order, so replay
                // rebuilds exactly this state: under the WAL lock, after
                // logging, the batch claims its series (waiting for a
                // commit logged earlier to finish applying to them), then
                // applies outside the lock, in parallel with other
                // batches. A series record another batch logged meanwhile
                // is logged again, which replay takes as the same series.
                {
                    let mut wal = wal.lock().unwrap_or_else(|e| e.into_inner());
                    wal.log_prepared(&recs)?;
                    for t in b.touched.iter_mut() {
                        claim(&t.handle);
                        t.hold = Hold::Claimed;
                    }
                }
                drop(recs);
                log_ooo(head, b)?;
                Self::apply(head, b);
            }
            None => {
                let _g = head.apply.lock().unwrap_or_else(|e| e.into_inner());
                Self::apply(head, b);
            }
        }
        Ok(())
    }

    /// Applies the logged batch, giving each series back (pending count,
    /// claim) under the same lock as its last sample, so every series is
    /// locked once per sample and not again.
    fn apply(head: &Head, b: &mut Buffers) {
        let range = head.opts.chunk_range;
        let (mut mint, mut maxt) = (i64::MAX, i64::MIN);
        let (mut floats, mut hists, mut ooo, mut exemplars) = (0u64, 0u64, 0u64, 0u64);
        // With histograms in the batch, series are given back only after
        // those are applied too (floats first, as the WAL records go).
        let early = b.hists.is_empty() && b.fhists.is_empty();
        for (i, (s, &slot)) in b.samples.iter().zip(&b.slots).enumerate() {
            let Some(t) = b.touched.get_mut(slot as usize) else {
                continue;
            };
            let mut st = t.handle.lock();
            if t.unlogged {
                st.logged = true;
            }
            // Only a sample that cut a chunk can leave one to persist
            // (checking the chunk list itself costs a cache miss).
            let cuts = st.cut.len();
            if st.append(s.t, s.v, range) {
                floats += 1;
                mint = mint.min(s.t);
                maxt = maxt.max(s.t);
                if let Some(store) = &head.chunks {
                    if st.cut.len() != cuts && st.has_unpersisted() {
                        st.persist_cut(s.series, store);
                    }
                }
            }
            if early && t.last_sample == Some(i as u32) {
                st.pending = st.pending.saturating_sub(1);
                drop(st);
                t.handle.applying.store(false, Ordering::Release);
                t.hold = Hold::Released;
            }
        }
        let hist_samples = b
            .hists
            .iter()
            .zip(&b.hist_slots)
            .map(|(s, i)| (*i, s.series, s.t, HistRef::Int(&s.h)))
            .chain(
                b.fhists
                    .iter()
                    .zip(&b.fhist_slots)
                    .map(|(s, i)| (*i, s.series, s.t, HistRef::Float(&s.h))),
            );
        for (slot, series, t, h) in hist_samples {
            let Some(touched) = b.touched.get(slot as usize) else {
                continue;
            };
            let mut st = touched.handle.lock();
            if touched.unlogged {
                st.logged = true;
            }
            let cuts = st.cut.len();
            if st.append_histogram(t, h, range) {
                hists += 1;
                mint = mint.min(t);
                maxt = maxt.max(t);
                if let Some(store) = &head.chunks {
                    if st.cut.len() != cuts && st.has_unpersisted() {
                        st.persist_cut(series, store);
                    }
                }
            }
        }
        for s in &b.ooo {
            if head.ooo.insert(s.series, s.t, s.v) {
                ooo += 1;
                mint = mint.min(s.t);
                maxt = maxt.max(s.t);
            }
        }
        for e in &b.exemplars {
            // Checked at append; a concurrent batch may have won meanwhile,
            // and replay refuses the same way.
            let added = head.exemplars.add(
                e.series,
                StoredExemplar {
                    labels: e.labels.clone(),
                    value: e.v,
                    ts: e.t,
                },
            );
            exemplars += u64::from(added.is_ok());
        }
        let c = &head.counters;
        crate::metrics::inc(&c.float_samples, floats);
        crate::metrics::inc(&c.histogram_samples, hists);
        crate::metrics::inc(&c.ooo_appended, ooo);
        crate::metrics::inc(&c.exemplars_appended, exemplars);
        // Series without samples here: their record went out all the same.
        for t in b.touched.iter_mut().filter(|t| t.hold != Hold::Released) {
            let mut st = t.handle.lock();
            if t.unlogged {
                st.logged = true;
            }
            st.pending = st.pending.saturating_sub(1);
            drop(st);
            t.handle.applying.store(false, Ordering::Release);
            t.hold = Hold::Released;
        }
        head.note_time_range(mint, maxt);
    }

    /// Drops the batch: nothing is written or applied. Series created by
    /// `append` stay in memory without samples, as in Prometheus.
    pub fn rollback(self) {}
}

/// Marks `h` as being applied to, after any earlier commit finished.
fn claim(h: &SeriesHandle) {
    while h.applying.swap(true, Ordering::Acquire) {
        // The commit holding it applies without any lock this one holds.
        std::thread::yield_now();
    }
}

/// Logs the batch's out-of-order samples to the write-behind log (after
/// the WAL got any series record they need).
fn log_ooo(head: &Head, b: &Buffers) -> Result<(), AppendError> {
    if b.ooo.is_empty() {
        return Ok(());
    }
    let Some(wbl) = &head.wbl else {
        return Ok(());
    };
    let mut rec = Vec::new();
    encode_samples(&mut rec, &b.ooo);
    wbl.lock().unwrap_or_else(|e| e.into_inner()).log(&[&rec])?;
    Ok(())
}
