//! An in-memory store for unit tests: what rules read and write, with
//! every appended sample kept in order.

use std::sync::{Arc, Mutex};

use vigil_model::{FloatHistogram, Labels, Matcher};
use vigil_promql::engine::Engine;
use vigil_promql::storage::{Queryable, SelectHints, StorageError};
use vigil_promql::value::{FPoint, Series};

use crate::rule::{Querier, lock};
use crate::storage::{AppendRefusal, Appendable, RuleAppender};

type Points = Vec<(i64, f64)>;

#[derive(Debug, Default)]
pub(crate) struct MemStore {
    pub(crate) series: Mutex<Vec<(Labels, Points)>>,
}

impl MemStore {
    pub(crate) fn add(&self, labels: &[(&str, &str)], t: i64, v: f64) {
        let l = Labels::from_pairs(labels);
        self.push(&l, t, v).expect("in order");
    }

    fn push(&self, l: &Labels, t: i64, v: f64) -> Result<(), AppendRefusal> {
        let mut s = lock(&self.series);
        match s.iter_mut().find(|(k, _)| k == l) {
            Some((_, pts)) => {
                if pts.last().is_some_and(|&(lt, _)| lt >= t) {
                    return Err(AppendRefusal::OutOfOrder("out of order sample".into()));
                }
                pts.push((t, v));
            }
            None => s.push((l.clone(), vec![(t, v)])),
        }
        Ok(())
    }

    /// The samples of the series `labels` (as written).
    pub(crate) fn samples(&self, labels: &[(&str, &str)]) -> Vec<(i64, f64)> {
        let l = Labels::from_pairs(labels);
        lock(&self.series)
            .iter()
            .find(|(k, _)| *k == l)
            .map(|(_, p)| p.clone())
            .unwrap_or_default()
    }

    pub(crate) fn querier(self: &Arc<Self>) -> Querier {
        Querier {
            engine: Arc::new(Engine::default()),
            queryable: self.clone(),
        }
    }
}

impl Queryable for MemStore {
    fn select(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        _hints: &SelectHints,
    ) -> Result<Vec<Series>, StorageError> {
        let s = lock(&self.series);
        let mut out: Vec<Series> = s
            .iter()
            .filter(|(l, _)| {
                matchers
                    .iter()
                    .all(|m| m.matches(l.get(m.name()).unwrap_or("")))
            })
            .map(|(l, pts)| Series {
                metric: l.clone(),
                floats: pts
                    .iter()
                    .filter(|(t, _)| *t >= mint && *t <= maxt)
                    .map(|&(t, f)| FPoint { t, f })
                    .collect(),
                histograms: Vec::new(),
                drop_name: false,
            })
            .collect();
        out.sort_by(|a, b| a.metric.cmp(&b.metric));
        Ok(out)
    }
}

pub(crate) struct MemAppender<'a> {
    store: &'a MemStore,
    batch: Vec<(Labels, i64, f64)>,
}

impl RuleAppender for MemAppender<'_> {
    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), AppendRefusal> {
        let last = lock(&self.store.series)
            .iter()
            .find(|(k, _)| k == labels)
            .and_then(|(_, p)| p.last().map(|&(t, _)| t));
        if last.is_some_and(|lt| lt >= t) {
            return Err(AppendRefusal::OutOfOrder("out of order sample".into()));
        }
        self.batch.push((labels.clone(), t, v));
        Ok(())
    }

    fn append_histogram(
        &mut self,
        _labels: &Labels,
        _t: i64,
        _h: &FloatHistogram,
    ) -> Result<(), AppendRefusal> {
        Err(AppendRefusal::Other("histograms not kept".into()))
    }

    fn commit(self: Box<Self>) -> Result<(), String> {
        for (l, t, v) in &self.batch {
            self.store
                .push(l, *t, *v)
                .map_err(|e| e.message().to_string())?;
        }
        Ok(())
    }
}

impl Appendable for MemStore {
    fn appender(&self) -> Box<dyn RuleAppender + '_> {
        Box::new(MemAppender {
            store: self,
            batch: Vec::new(),
        })
    }
}
