//! The storage a rule unit test runs over: an in-memory TSDB head that
//! receives the input series lazily, up to each evaluation time, as
//! promtool's lazy loader does (so `offset -1m` or `@` cannot see input
//! samples "from the future" of the evaluation), and that the rule
//! manager writes its results into.

use std::collections::BTreeMap;
use std::sync::Mutex;

use vigil_model::{FloatHistogram, Labels};
use vigil_promql::promqltest::SequenceValue;
use vigil_promql::storage::{Queryable, SelectHints, StorageError};
use vigil_promql::value::Series;
use vigil_rules::storage::{Appendable, RuleAppender};
use vigil_tsdb::head::{Head, HeadOptions};

/// One input sample.
#[derive(Debug, Clone)]
enum Point {
    Float(f64),
    Histogram(FloatHistogram),
}

/// An in-memory head plus the input samples not yet appended to it.
#[derive(Debug)]
pub(crate) struct TestStorage {
    head: Head,
    /// Per series, its remaining samples in time order.
    pending: Mutex<BTreeMap<Labels, Vec<(i64, Point)>>>,
}

impl TestStorage {
    /// A storage that will receive `series` (value `i` at
    /// `start + i * interval`). A label set given twice keeps the last
    /// line, as the reference loader keys its series by labels.
    pub(crate) fn new(
        series: Vec<(Labels, Vec<SequenceValue>)>,
        start: i64,
        interval: i64,
    ) -> TestStorage {
        let mut pending = BTreeMap::new();
        for (labels, values) in series {
            let mut pts = Vec::with_capacity(values.len());
            for (i, v) in values.into_iter().enumerate() {
                let t = start.saturating_add((i as i64).saturating_mul(interval));
                match v {
                    SequenceValue::Omitted => {}
                    SequenceValue::Float(f) => pts.push((t, Point::Float(f))),
                    SequenceValue::Histogram(h) => pts.push((t, Point::Histogram(h.h))),
                }
            }
            // Drain from the back: keep the samples reversed.
            pts.reverse();
            pending.insert(labels, pts);
        }
        TestStorage {
            head: Head::in_memory(HeadOptions::default()),
            pending: Mutex::new(pending),
        }
    }

    /// Appends every pending input sample at or before `ts` (ms).
    pub(crate) fn load_till(&self, ts: i64) -> Result<(), String> {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let mut app = self.head.appender();
        for (labels, pts) in pending.iter_mut() {
            while let Some((t, _)) = pts.last() {
                if *t > ts {
                    break;
                }
                let Some((t, p)) = pts.pop() else { break };
                let r = match &p {
                    Point::Float(f) => app.append(labels, t, *f),
                    Point::Histogram(h) => app.append_float_histogram(labels, t, h),
                };
                r.map_err(|e| e.to_string())?;
            }
        }
        app.commit().map_err(|e| e.to_string())
    }
}

impl Queryable for TestStorage {
    fn select(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[vigil_model::Matcher],
        hints: &SelectHints,
    ) -> Result<Vec<Series>, StorageError> {
        Queryable::select(&self.head, mint, maxt, matchers, hints)
    }

    fn select_with_start_times(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[vigil_model::Matcher],
        hints: &SelectHints,
    ) -> Result<Vec<(Series, vigil_promql::storage::StartTimes)>, StorageError> {
        Queryable::select_with_start_times(&self.head, mint, maxt, matchers, hints)
    }
}

/// Rule results go into the same head the inputs are in.
impl Appendable for TestStorage {
    fn appender(&self) -> Box<dyn RuleAppender + '_> {
        vigil_rules::storage::head_appender(&self.head)
    }
}
