//! The appender: buffers one batch of samples, checks them as Prometheus
//! does, and on commit logs them to the WAL before applying them.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use vigil_model::Labels;

use super::series::{CreateError, IdHasher, Reject, SeriesHandle, SeriesState};
use super::{Head, SeriesRef};
use crate::record::{RefSample, RefSeries, encode_samples, encode_series};

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
    /// The head ran out of series references (2³² series).
    #[error("too many series: series references exhausted")]
    TooManySeries,
    /// Writing the WAL failed; nothing of the batch was applied.
    #[error("writing the WAL: {0}")]
    Wal(#[from] crate::Error),
}

type RefMap<V> = HashMap<u32, V, BuildHasherDefault<IdHasher>>;

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
    samples: Vec<RefSample>,
    handles: Vec<SeriesHandle>,
    /// Newest pending `(t, value bits)` per series in this batch.
    pending: RefMap<(i64, u64)>,
    /// Series whose series record may not be in the WAL yet.
    unlogged: Vec<(u32, SeriesHandle)>,
    /// Series this batch counts in their `pending` (released on drop).
    touched: Vec<SeriesHandle>,
}

impl Drop for Appender<'_> {
    fn drop(&mut self) {
        for h in &self.touched {
            let mut st = h.lock();
            st.pending = st.pending.saturating_sub(1);
        }
    }
}

impl<'a> Appender<'a> {
    pub(super) fn new(head: &'a Head) -> Appender<'a> {
        Appender {
            head,
            min_valid: head.appendable_min_valid_time(),
            samples: Vec::new(),
            handles: Vec::new(),
            pending: RefMap::default(),
            unlogged: Vec::new(),
            touched: Vec::new(),
        }
    }

    /// Adds sample `(t, v)` of the series `labels` (created if new) to the
    /// batch and returns the series' reference, usable with
    /// [`Appender::append_ref`] from then on. A staleness marker
    /// ([`vigil_model::stale_nan`]) is an ordinary value here.
    pub fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<SeriesRef, AppendError> {
        self.check_bounds(t)?;
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
            if let Some(r) = self.add(c.series_ref, c.handle, t, v)? {
                return Ok(r);
            }
        }
        Err(AppendError::TooManySeries)
    }

    /// Adds sample `(t, v)` of the series with reference `r`.
    pub fn append_ref(&mut self, r: SeriesRef, t: i64, v: f64) -> Result<SeriesRef, AppendError> {
        self.check_bounds(t)?;
        let handle = self
            .head
            .series
            .get(r)
            .ok_or(AppendError::UnknownSeriesRef(r))?;
        match self.add(r as u32, handle.clone(), t, v)? {
            Some(r) => Ok(r),
            // Removed meanwhile: the series comes back under a new reference.
            None => {
                let labels = handle.labels.clone();
                self.append(&labels, t, v)
            }
        }
    }

    /// Number of samples in the batch.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether the batch holds no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    fn check_bounds(&self, t: i64) -> Result<(), AppendError> {
        if t < self.min_valid {
            return Err(AppendError::OutOfBounds {
                t,
                min_valid: self.min_valid,
            });
        }
        Ok(())
    }

    fn add(
        &mut self,
        r: u32,
        handle: SeriesHandle,
        t: i64,
        v: f64,
    ) -> Result<Option<SeriesRef>, AppendError> {
        let last = match self.pending.get(&r) {
            Some(&(pt, pv)) => Some((pt, Some(f64::from_bits(pv)))),
            None => {
                let mut st = handle.lock();
                if st.removed {
                    return Ok(None);
                }
                // From here until this appender drops, garbage collection
                // keeps the series.
                st.pending = st.pending.saturating_add(1);
                self.touched.push(handle.clone());
                if !st.logged {
                    self.unlogged.push((r, handle.clone()));
                }
                st.last()
            }
        };
        match SeriesState::check(last, t, v) {
            Ok(true) => {}
            Ok(false) => return Ok(Some(SeriesRef::from(r))),
            Err(Reject::OutOfOrder { last }) => return Err(AppendError::OutOfOrder { t, last }),
            Err(Reject::Duplicate) => return Err(AppendError::DuplicateSample { t }),
        }
        self.pending.insert(r, (t, v.to_bits()));
        self.samples.push(RefSample {
            series: SeriesRef::from(r),
            t,
            v,
        });
        self.handles.push(handle);
        Ok(Some(SeriesRef::from(r)))
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
        if self.samples.is_empty() && self.unlogged.is_empty() {
            return Ok(());
        }
        let mut samples_rec = Vec::new();
        if !self.samples.is_empty() {
            encode_samples(&mut samples_rec, &self.samples);
        }
        self.unlogged.sort_unstable_by_key(|(r, _)| *r);
        self.unlogged.dedup_by_key(|(r, _)| *r);
        let head = self.head;
        // Logging and applying happen under one lock, so samples reach the
        // series in WAL order and replay rebuilds exactly this state.
        match &head.wal {
            Some(wal) => {
                let mut wal = wal.lock().unwrap_or_else(|e| e.into_inner());
                let new: Vec<RefSeries> = self
                    .unlogged
                    .iter()
                    .filter(|(_, h)| !h.lock().logged)
                    .map(|(r, h)| RefSeries {
                        series: SeriesRef::from(*r),
                        labels: h.labels.clone(),
                    })
                    .collect();
                let mut series_rec = Vec::new();
                let mut recs: Vec<&[u8]> = Vec::with_capacity(2);
                if !new.is_empty() {
                    encode_series(&mut series_rec, &new);
                    recs.push(&series_rec);
                }
                if !samples_rec.is_empty() {
                    recs.push(&samples_rec);
                }
                wal.log(&recs)?;
                self.apply();
            }
            None => {
                let _g = head.apply.lock().unwrap_or_else(|e| e.into_inner());
                self.apply();
            }
        }
        Ok(())
    }

    fn apply(&mut self) {
        for (_, h) in &self.unlogged {
            h.lock().logged = true;
        }
        let range = self.head.opts.chunk_range;
        let (mut mint, mut maxt) = (i64::MAX, i64::MIN);
        for (h, s) in self.handles.iter().zip(&self.samples) {
            let mut st = h.lock();
            if st.append(s.t, s.v, range) {
                mint = mint.min(s.t);
                maxt = maxt.max(s.t);
                if let Some(store) = &self.head.chunks {
                    st.persist_cut(s.series, store);
                }
            }
        }
        self.head.note_time_range(mint, maxt);
    }

    /// Drops the batch: nothing is written or applied. Series created by
    /// `append` stay in memory without samples, as in Prometheus.
    pub fn rollback(self) {}
}
