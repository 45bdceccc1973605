//! Aggregations fed series by series: when an aggregation's argument is a
//! range function over a range vector (`sum by (job) (rate(x[5m]))`), the
//! function hands each output series to the aggregation as soon as it is
//! computed instead of building the whole matrix of its outputs. Each step
//! keeps its groups' running state ([`StepAgg`]); since series arrive in the
//! order the matrix would have held them, every step sees its elements in
//! the same order and the results are bit-for-bit those of the
//! step-by-step path.

use vigil_model::Labels;

use super::aggregate::{AggCtx, AggGroup, Item, StepAgg, add_to_group};
use super::eval::{Evaluator, Range, step_invariant};
use super::labels::{FastMap, grouping_hash, grouping_labels};
use crate::ast::{AggregateExpr, AggregateOp, Expr};
use crate::value::Series;

/// Range functions that hand their output straight back (no post-pass
/// over the whole result), so their series can be streamed.
const STREAMABLE: [&str; 27] = [
    "rate",
    "increase",
    "delta",
    "irate",
    "idelta",
    "deriv",
    "predict_linear",
    "double_exponential_smoothing",
    "holt_winters",
    "resets",
    "changes",
    "last_over_time",
    "first_over_time",
    "quantile_over_time",
    "avg_over_time",
    "sum_over_time",
    "count_over_time",
    "min_over_time",
    "max_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "present_over_time",
    "mad_over_time",
    "ts_of_first_over_time",
    "ts_of_last_over_time",
    "ts_of_max_over_time",
    "ts_of_min_over_time",
];

/// Whether aggregation `a` over `r` can take its input series by series.
pub(crate) fn can_stream(a: &AggregateExpr, r: Range) -> bool {
    if a.op == AggregateOp::CountValues || r.len() == 0 || step_invariant(&a.expr) {
        return false;
    }
    matches!(super::functions::unparen(&a.expr), Expr::Call(c) if STREAMABLE.contains(&c.func.name))
}

/// An aggregation's state while series stream in.
pub(crate) struct StreamAgg {
    /// The steps the aggregation is evaluated at; a range function
    /// evaluated over other steps must not feed it.
    pub(crate) range: Range,
    ctx: AggCtx,
    /// The argument's position (what most annotations point at).
    arg_pos: crate::ast::PosRange,
    grouping: Vec<String>,
    without: bool,
    /// `topk` and friends keep input series, not group labels.
    keeps_series: bool,
    index: FastMap<u64, usize>,
    group_labels: Vec<Labels>,
    /// Per step: `topk`'s `k`, the ratio, whether it selects nothing.
    params: Vec<(usize, f64, bool)>,
    /// Running state by group, then by step: a series walks its group's
    /// steps in order through contiguous memory.
    groups: Vec<Vec<AggGroup>>,
    /// Whether a range function fed it (else the input came the usual way).
    pub(crate) used: bool,
    /// Series held (with their groups) until streaming is decided on.
    pending: Vec<(usize, Series)>,
    /// Whether series are aggregated as they come (`None`: not decided).
    decided: Option<bool>,
}

/// Series looked at before deciding whether to stream.
const DECIDE_AFTER: usize = 256;

/// Up to this many groups streaming is always worth it.
const FEW_GROUPS: usize = 16;

impl StreamAgg {
    /// State for `a` over `r`; `grouping` sorted, `params` one per step
    /// (for `topk`'s `k` and the like).
    pub(crate) fn new(
        a: &AggregateExpr,
        grouping: &[&str],
        r: Range,
        params: Option<&[f64]>,
    ) -> StreamAgg {
        let param_at = |i: usize| params.and_then(|p| p.get(i).copied()).unwrap_or(f64::NAN);
        StreamAgg {
            range: r,
            ctx: AggCtx::of(a),
            arg_pos: a.expr.pos(),
            grouping: grouping.iter().map(|s| s.to_string()).collect(),
            without: a.without,
            keeps_series: matches!(
                a.op,
                AggregateOp::Topk
                    | AggregateOp::Bottomk
                    | AggregateOp::Limitk
                    | AggregateOp::LimitRatio
            ),
            index: FastMap::default(),
            group_labels: Vec::new(),
            params: (0..r.len())
                .map(|i| StepAgg::new(a.op, 0, None, param_at(i)).params())
                .collect(),
            groups: Vec::new(),
            used: false,
            pending: Vec::new(),
            decided: None,
        }
    }

    /// Takes one input series: aggregated (or held until streaming is
    /// decided on), or handed back when streaming was declined.
    pub(crate) fn push(&mut self, ev: &mut Evaluator<'_>, s: Series) -> Option<Vec<Series>> {
        let g = self.group_of(&s);
        match self.decided {
            Some(true) => {
                self.aggregate(ev, g, &s);
                None
            }
            Some(false) => Some(vec![s]),
            None => {
                self.pending.push((g, s));
                if self.pending.len() >= DECIDE_AFTER {
                    self.decide(ev)
                } else {
                    None
                }
            }
        }
    }

    /// Decides (if not yet done) between streaming and declining, on the
    /// series seen so far. Streaming keeps a group state per step, which
    /// is larger than a function output point, so it is chosen only when
    /// groups are few enough for their states to take less memory than the
    /// series would; declined, the buffered series are handed back and the
    /// aggregation reads the function's whole result instead.
    pub(crate) fn decide(&mut self, ev: &mut Evaluator<'_>) -> Option<Vec<Series>> {
        if self.decided.is_some() {
            return None;
        }
        let state = self.group_labels.len() * std::mem::size_of::<AggGroup>();
        let points = self.pending.len() * 2 * std::mem::size_of::<crate::value::FPoint>();
        let stream = state <= points || self.group_labels.len() <= FEW_GROUPS;
        self.decided = Some(stream);
        let pending = std::mem::take(&mut self.pending);
        if !stream {
            self.used = false;
            return Some(pending.into_iter().map(|(_, s)| s).collect());
        }
        self.used = true;
        for (g, s) in pending {
            self.aggregate(ev, g, &s);
        }
        None
    }

    /// Whether the aggregation took the series (else they went back).
    pub(crate) fn declined(&self) -> bool {
        self.decided == Some(false)
    }

    /// The group of `s`, registered if new.
    fn group_of(&mut self, s: &Series) -> usize {
        let grouping: Vec<&str> = self.grouping.iter().map(String::as_str).collect();
        let key = grouping_hash(&s.metric, &grouping, self.without);
        let labels = &mut self.group_labels;
        let keeps_series = self.keeps_series;
        let without = self.without;
        *self.index.entry(key).or_insert_with(|| {
            labels.push(if keeps_series {
                Labels::empty()
            } else {
                grouping_labels(&s.metric, &grouping, without)
            });
            labels.len() - 1
        })
    }

    /// Adds every point of one input series to its group's steps.
    fn aggregate(&mut self, ev: &mut Evaluator<'_>, g: usize, s: &Series) {
        let r = self.range;
        let n = self.params.len();
        if self.groups.len() <= g {
            self.groups
                .resize_with(g + 1, || (0..n).map(|_| AggGroup::default()).collect());
        }
        let Some(steps) = self.groups.get_mut(g) else {
            return;
        };
        let (mut fi, mut hi) = (0, 0);
        loop {
            let (f, h) = (s.floats.get(fi), s.histograms.get(hi));
            let (t, item) = match (f, h) {
                (Some(fp), Some(hp)) if hp.t < fp.t => {
                    hi += 1;
                    (hp.t, Item::new(g, &s.metric, 0.0, Some(&hp.h), s.drop_name))
                }
                (Some(fp), _) => {
                    fi += 1;
                    (fp.t, Item::new(g, &s.metric, fp.f, None, s.drop_name))
                }
                (None, Some(hp)) => {
                    hi += 1;
                    (hp.t, Item::new(g, &s.metric, 0.0, Some(&hp.h), s.drop_name))
                }
                (None, None) => break,
            };
            let Some(i) = usize::try_from((t - r.start) / r.step).ok() else {
                continue;
            };
            if let (Some(state), Some(&(k, ratio, nothing))) =
                (steps.get_mut(i), self.params.get(i))
            {
                if !nothing {
                    add_to_group(state, k, ratio, ev, self.ctx, &item, self.arg_pos);
                }
            }
        }
    }

    /// The per-step states and the groups' labels.
    pub(crate) fn into_parts(self) -> (Vec<StepAgg>, Vec<Labels>, AggCtx) {
        let mut by_group: Vec<std::vec::IntoIter<AggGroup>> =
            self.groups.into_iter().map(Vec::into_iter).collect();
        let steps = self
            .params
            .into_iter()
            .map(|p| {
                let groups = by_group
                    .iter_mut()
                    .map(|g| g.next().unwrap_or_default())
                    .collect();
                StepAgg::from_parts(p, groups)
            })
            .collect();
        (steps, self.group_labels, self.ctx)
    }
}

#[cfg(test)]
mod tests {
    use vigil_model::Labels;
    use vigil_tsdb::head::{Head, HeadOptions};

    use crate::engine::{Engine, EngineOptions};

    /// 30 counters (some with resets and a gap) in 3 jobs over 2 h at 15 s,
    /// plus gauges.
    fn head() -> Head {
        let head = Head::in_memory(HeadOptions::default());
        let mut app = head.appender();
        for i in 0..30 {
            let c = Labels::from_pairs(&[
                ("__name__", "c_total"),
                ("i", &i.to_string()),
                ("job", &format!("j{}", i % 3)),
            ]);
            let g = Labels::from_pairs(&[("__name__", "g"), ("i", &i.to_string())]);
            let mut v = 0.0;
            for k in 0..480i64 {
                if i == 7 && (200..240).contains(&k) {
                    continue;
                }
                v = if k % (50 + i) == 0 {
                    0.0
                } else {
                    v + ((k * 7 + i) % 11) as f64 * 0.1
                };
                app.append(&c, k * 15_000, v).unwrap();
                app.append(&g, k * 15_000, ((k * 13 + i * 5) % 17) as f64 / 3.0)
                    .unwrap();
            }
        }
        app.commit().unwrap();
        head
    }

    /// Every aggregation over a streamed range function gives what the
    /// same aggregation gives over the materialised function (`* 1`
    /// keeps values and defeats streaming).
    #[test]
    fn streamed_aggregations_equal_the_materialised_ones() {
        let head = head();
        for delayed in [false, true] {
            let engine = Engine::new(EngineOptions {
                enable_delayed_name_removal: delayed,
                enable_experimental_functions: true,
                ..EngineOptions::default()
            });
            for agg in [
                "sum by (job)",
                "avg by (job)",
                "count",
                "min without (i)",
                "max",
                "group by (job)",
                "stddev",
                "stdvar by (job)",
                "topk(3,",
                "bottomk(2,",
                "limitk(4,",
                "limit_ratio(0.5,",
                "quantile(0.9,",
                // One group per series: declined, read as a whole.
                "sum by (i)",
                "count by (i, job)",
            ] {
                for func in [
                    "rate(c_total[5m])",
                    "increase(c_total[2m])",
                    "avg_over_time(g[10m])",
                    "max_over_time(g[1m])",
                    "quantile_over_time(0.5, g[5m])",
                    "changes(g[5m])",
                ] {
                    let (open, close) = match agg.strip_suffix(',') {
                        Some(_) => (format!("{agg} "), ")".to_string()),
                        None => (format!("{agg} ("), ")".to_string()),
                    };
                    let streamed = format!("{open}{func}{close}");
                    let plain = format!("{open}{func} * 1{close}");
                    let a = engine
                        .range_query(&head, &streamed, 0, 7_200_000, 60_000)
                        .unwrap();
                    let b = engine
                        .range_query(&head, &plain, 0, 7_200_000, 60_000)
                        .unwrap();
                    assert_eq!(a.value, b.value, "{streamed} (delayed {delayed})");
                }
            }
        }
    }

    /// A name clash after `rate` drops the name is still an error when
    /// streamed into an aggregation.
    #[test]
    fn duplicate_series_after_name_drop_still_fail() {
        let head = Head::in_memory(HeadOptions::default());
        let mut app = head.appender();
        for name in ["a_total", "b_total"] {
            let l = Labels::from_pairs(&[("__name__", name), ("x", "1")]);
            for k in 0..40 {
                app.append(&l, k * 15_000, k as f64).unwrap();
            }
        }
        app.commit().unwrap();
        let engine = Engine::new(EngineOptions {
            enable_delayed_name_removal: false,
            ..EngineOptions::default()
        });
        let q = r#"sum(rate({__name__=~"a_total|b_total"}[1m]))"#;
        let e = engine
            .range_query(&head, q, 300_000, 600_000, 60_000)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "vector cannot contain metrics with the same labelset"
        );
    }

    /// Past the first series looked at, streaming is declined for an
    /// aggregation that keeps most series apart (the held series go back
    /// to the plain path) and kept for one that merges them.
    #[test]
    fn many_series_decide_midway() {
        let head = Head::in_memory(HeadOptions::default());
        let mut app = head.appender();
        for i in 0..600 {
            let l = Labels::from_pairs(&[
                ("__name__", "c_total"),
                ("i", &format!("{i:03}")),
                ("j", &(i % 4).to_string()),
            ]);
            for k in 0..40i64 {
                app.append(&l, k * 15_000, (k * (i % 7 + 1)) as f64)
                    .unwrap();
            }
        }
        app.commit().unwrap();
        let engine = Engine::new(EngineOptions::default());
        for agg in ["sum by (i)", "sum by (j)", "max without (j)"] {
            let streamed = format!("{agg} (rate(c_total[2m]))");
            let plain = format!("{agg} (rate(c_total[2m]) * 1)");
            let a = engine
                .range_query(&head, &streamed, 120_000, 600_000, 30_000)
                .unwrap();
            let b = engine
                .range_query(&head, &plain, 120_000, 600_000, 30_000)
                .unwrap();
            assert_eq!(a.value, b.value, "{streamed}");
        }
    }
}
