//! [`MemStorage`]: an in-memory [`Queryable`] holding what `load` commands
//! add, read back the way Prometheus' TSDB head would return it.
//!
//! Two TSDB behaviours matter to the scripts and are reproduced here:
//!
//! - Samples of a series must be appended in time order; an older sample
//!   is refused ("out of order sample") and a second sample at the same
//!   time is refused unless it repeats the same float exactly.
//! - A native histogram read back carries the counter-reset hint its chunk
//!   position implies: `gauge` in a gauge chunk, `unknown` for the first
//!   histogram of a chunk and `not_reset` after it. A new chunk starts when
//!   the sample type changes (float/histogram), the gauge-ness changes, the
//!   layout cannot be extended (schema, zero threshold or custom bounds
//!   change), a counter reset is detected or hinted, or a 24 h chunk range
//!   (the test storage's block length) is crossed. (Chunks the TSDB cuts
//!   because they grew large are not modelled.)

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_model::{CounterResetHint, FloatHistogram, Labels, Matcher, is_stale_nan};

use crate::storage::{Queryable, SelectHints, StartTimes, StorageError};
use crate::value::{FPoint, HPoint, Series};

/// The chunk range of the reference test storage (its minimum block
/// duration): histogram chunks never span a multiple of it.
const CHUNK_RANGE_MS: i64 = 24 * 3600 * 1000;

/// Refusal to add a sample.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppendError {
    /// The sample is older than the series' newest sample.
    #[error("out of order sample for series {labels} at {t}")]
    OutOfOrder {
        /// The series.
        labels: String,
        /// Its timestamp.
        t: i64,
    },
    /// A different sample already exists at this time.
    #[error("duplicate sample for timestamp {t} in series {labels}")]
    Duplicate {
        /// The series.
        labels: String,
        /// Its timestamp.
        t: i64,
    },
}

/// Which kind of chunk the newest histogram went into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkKind {
    Float,
    Counter,
    Gauge,
}

#[derive(Debug, Default, Clone)]
struct MemSeries {
    floats: Vec<FPoint>,
    histograms: Vec<HPoint>,
    /// Start timestamps by sample time (kept for when the engine can use
    /// them; the `Queryable` contract has no place for them yet).
    start_times: BTreeMap<i64, i64>,
    last_t: Option<i64>,
    last_float: Option<f64>,
    chunk: Option<ChunkKind>,
    chunk_min_t: i64,
    /// The newest histogram as appended (hint as written), for layout and
    /// reset checks against the next one.
    last_hist: Option<FloatHistogram>,
}

/// An in-memory series store. Series are kept sorted by labels.
#[derive(Debug, Default, Clone)]
pub struct MemStorage {
    series: BTreeMap<Labels, MemSeries>,
}

impl MemStorage {
    /// An empty store.
    pub fn new() -> MemStorage {
        MemStorage::default()
    }

    /// Drops everything.
    pub fn clear(&mut self) {
        self.series.clear();
    }

    /// Every series with its float and histogram samples, in label order.
    pub fn series_samples(&self) -> impl Iterator<Item = (&Labels, &[FPoint], &[HPoint])> {
        self.series
            .iter()
            .map(|(l, s)| (l, s.floats.as_slice(), s.histograms.as_slice()))
    }

    /// Number of series.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// Whether no series is stored.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The start timestamp recorded for the sample of `labels` at `t`.
    pub fn start_time(&self, labels: &Labels, t: i64) -> Option<i64> {
        self.series.get(labels)?.start_times.get(&t).copied()
    }

    fn check_order(
        s: &MemSeries,
        labels: &Labels,
        t: i64,
        f: Option<f64>,
    ) -> Result<bool, AppendError> {
        match s.last_t {
            Some(last) if t < last => Err(AppendError::OutOfOrder {
                labels: labels.to_string(),
                t,
            }),
            Some(last) if t == last => match (f, s.last_float) {
                (Some(a), Some(b)) if a.to_bits() == b.to_bits() => Ok(false),
                _ => Err(AppendError::Duplicate {
                    labels: labels.to_string(),
                    t,
                }),
            },
            _ => Ok(true),
        }
    }

    /// Appends a float sample (a stale marker is a stale-NaN float).
    pub fn append_float(&mut self, labels: &Labels, t: i64, f: f64) -> Result<(), AppendError> {
        let s = self.series.entry(labels.clone()).or_default();
        if !Self::check_order(s, labels, t, Some(f))? {
            return Ok(());
        }
        s.floats.push(FPoint { t, f });
        s.last_t = Some(t);
        s.last_float = Some(f);
        // A float after a histogram ends that histogram's chunk (a stale
        // marker included: the TSDB would refuse to continue the chunk
        // after it either).
        s.chunk = Some(ChunkKind::Float);
        s.last_hist = None;
        Ok(())
    }

    /// Appends a native histogram sample.
    pub fn append_histogram(
        &mut self,
        labels: &Labels,
        t: i64,
        h: FloatHistogram,
    ) -> Result<(), AppendError> {
        let s = self.series.entry(labels.clone()).or_default();
        Self::check_order(s, labels, t, None)?;
        let gauge = h.counter_reset_hint == CounterResetHint::Gauge;
        let continues = match (s.chunk, &s.last_hist) {
            (Some(ChunkKind::Gauge), Some(prev)) if gauge => layout_compatible(prev, &h),
            (Some(ChunkKind::Counter), Some(prev)) if !gauge => {
                h.counter_reset_hint != CounterResetHint::CounterReset
                    && !is_stale_nan(prev.sum)
                    && layout_compatible(prev, &h)
                    && !counter_reset(prev, &h)
            }
            _ => false,
        };
        let crosses_range = t >= range_end(s.chunk_min_t);
        let mut stored = h.clone();
        if continues && !crosses_range {
            stored.counter_reset_hint = if gauge {
                CounterResetHint::Gauge
            } else {
                CounterResetHint::NotCounterReset
            };
        } else {
            s.chunk = Some(if gauge {
                ChunkKind::Gauge
            } else {
                ChunkKind::Counter
            });
            s.chunk_min_t = t;
            stored.counter_reset_hint = if gauge {
                CounterResetHint::Gauge
            } else {
                CounterResetHint::Unknown
            };
        }
        s.histograms.push(HPoint {
            t,
            h: Arc::new(stored),
        });
        s.last_t = Some(t);
        s.last_float = None;
        s.last_hist = Some(h);
        Ok(())
    }

    /// Records the start timestamp of the sample at `t`.
    pub fn set_start_time(&mut self, labels: &Labels, t: i64, st: i64) {
        if let Some(s) = self.series.get_mut(labels) {
            s.start_times.insert(t, st);
        }
    }
}

/// The first millisecond of the chunk range after the one holding `t`.
fn range_end(t: i64) -> i64 {
    t.div_euclid(CHUNK_RANGE_MS)
        .saturating_add(1)
        .saturating_mul(CHUNK_RANGE_MS)
}

/// Whether `next` can go into the chunk holding `prev` without a new
/// layout: same schema and zero threshold, and same custom bounds.
fn layout_compatible(prev: &FloatHistogram, next: &FloatHistogram) -> bool {
    prev.schema == next.schema
        && prev.zero_threshold == next.zero_threshold
        && (!next.uses_custom_buckets() || prev.custom_values == next.custom_values)
}

/// Whether `next` counts less than `prev` anywhere (a counter reset).
fn counter_reset(prev: &FloatHistogram, next: &FloatHistogram) -> bool {
    let mut a = next.clone();
    a.counter_reset_hint = CounterResetHint::Unknown;
    a.detect_reset(prev)
}

impl Queryable for MemStorage {
    fn select(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        _hints: &SelectHints,
    ) -> Result<Vec<Series>, StorageError> {
        let mut out = Vec::new();
        for (labels, s) in &self.series {
            let selected = matchers
                .iter()
                .all(|m| m.matches(labels.get(m.name()).unwrap_or("")));
            if !selected {
                continue;
            }
            let floats: Vec<FPoint> = s
                .floats
                .iter()
                .filter(|p| p.t >= mint && p.t <= maxt)
                .copied()
                .collect();
            let histograms: Vec<HPoint> = s
                .histograms
                .iter()
                .filter(|p| p.t >= mint && p.t <= maxt)
                .cloned()
                .collect();
            if floats.is_empty() && histograms.is_empty() {
                continue;
            }
            out.push(Series {
                metric: labels.clone(),
                floats,
                histograms,
                drop_name: false,
            });
        }
        Ok(out)
    }

    fn select_with_start_times(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        hints: &SelectHints,
    ) -> Result<Vec<(Series, StartTimes)>, StorageError> {
        let selected = self.select(mint, maxt, matchers, hints)?;
        Ok(selected
            .into_iter()
            .map(|s| {
                let Some(mem) = self.series.get(&s.metric) else {
                    return (s, StartTimes::default());
                };
                if mem.start_times.is_empty() {
                    return (s, StartTimes::default());
                }
                // 0 where a sample has no recorded start time.
                let at = |t: i64| mem.start_times.get(&t).copied().unwrap_or(0);
                let st = StartTimes {
                    floats: s.floats.iter().map(|p| at(p.t)).collect(),
                    histograms: s.histograms.iter().map(|p| at(p.t)).collect(),
                };
                (s, st)
            })
            .collect())
    }
}

#[cfg(test)]
#[path = "storage_tests.rs"]
mod tests;
