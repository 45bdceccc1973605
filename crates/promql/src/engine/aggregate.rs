//! Aggregation operators (`sum`, `avg`, `topk`, `quantile`, ...), step by
//! step, with Prometheus' numerics (Kahan summation, the direct-then-
//! incremental mean, Welford's variance) so results match to the bit.

use std::sync::Arc;

use vigil_model::{CounterResetHint, FloatHistogram, Labels};

use super::count_values::{count_values, go_float, go_quote_bytes};
use super::eval::{EResult, Evaluator, Range, Val, err};
use super::hist::{HistMean, HistSum};
use super::labels::{grouping_hash, grouping_labels};
pub(crate) use super::numeric::{kahan_inc, quantile};
use crate::ast::{AggregateExpr, AggregateOp, Expr};
use crate::value::{FPoint, HPoint, Sample, Series, Vector};

#[derive(Default)]
pub(super) struct AggGroup {
    f: f64,
    mean: f64,
    c: f64,
    // Boxed: most groups hold floats, and streamed aggregations keep a
    // group per step.
    hsum: Option<Box<HistSum>>,
    hmean: Option<Box<HistMean>>,
    count: f64,
    has_float: bool,
    has_hist: bool,
    incompatible: bool,
    incremental: bool,
    reset_seen: bool,
    not_reset_seen: bool,
    drop_name: bool,
    values: Vec<f64>,
    samples: Vec<Sample>,
    seen: bool,
}

/// Evaluates an aggregation at every step of `r`.
pub(crate) fn eval(ev: &mut Evaluator<'_>, a: &AggregateExpr, r: Range) -> EResult<Val> {
    let hint = ev.hint_func.replace(a.op.as_str());
    let res = eval_agg(ev, a, r);
    ev.hint_func = hint;
    res
}

fn eval_agg(ev: &mut Evaluator<'_>, a: &AggregateExpr, r: Range) -> EResult<Val> {
    let mut grouping: Vec<&str> = a.grouping.iter().map(String::as_str).collect();
    grouping.sort_unstable();
    if a.op == AggregateOp::CountValues {
        let Some(Expr::StringLiteral(sl)) = a.param.as_deref().map(strip_parens) else {
            return err("count_values needs a string parameter");
        };
        if let Some(b) = &sl.bytes {
            if std::str::from_utf8(b).is_err() {
                return err(format!("invalid label name {}", go_quote_bytes(b)));
            }
        }
        if sl.val.is_empty() {
            return err("invalid label name \"\"");
        }
        let label = sl.val.clone();
        let steps = ev.eval_vector(&a.expr, r)?;
        return Ok(Val::Vector(
            steps
                .into_iter()
                .map(|v| count_values(&v, &label, &grouping, a.without))
                .collect(),
        ));
    }
    let params = match &a.param {
        Some(p) if a.op.has_param() => Some(ev.eval_scalar(p, r)?),
        _ => None,
    };
    let streaming = super::agg_stream::can_stream(a, r);
    if streaming {
        let sink = super::agg_stream::StreamAgg::new(a, &grouping, r, params.as_deref());
        ev.agg_sink = Some(Box::new(sink));
    }
    let input = ev.eval(&a.expr, r);
    // Taken back whatever happened, so no other node ever sees it.
    let sink = ev.agg_sink.take().filter(|s| s.used);
    let input = input?;
    let pos = a.expr.pos();
    let q = ev.query;
    let param_pos = a.param.as_ref().map(|p| p.pos()).unwrap_or(a.pos);
    if let Some(ps) = &params {
        let any_nan = ps.iter().any(|p| p.is_nan());
        let max = ps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min = ps.iter().copied().fold(f64::INFINITY, f64::min);
        match a.op {
            AggregateOp::Topk | AggregateOp::Bottomk | AggregateOp::Limitk => {
                // Go's math.Max propagates NaN, so a NaN parameter never
                // takes the "nothing to select" shortcut.
                if max < 1.0 && !any_nan {
                    return Ok(Val::Vector(vec![Vec::new(); r.len()]));
                }
                if any_nan {
                    return err("Parameter value is NaN");
                }
                if min <= -9.223_372_036_854_776e18 {
                    return err(format!("Scalar value {} underflows int64", go_float(min)));
                }
                if max >= 9.223_372_036_854_776e18 {
                    return err(format!("Scalar value {} overflows int64", go_float(max)));
                }
            }
            AggregateOp::LimitRatio => {
                if max == 0.0 && min == 0.0 && !any_nan {
                    return Ok(Val::Vector(vec![Vec::new(); r.len()]));
                }
                if any_nan {
                    return err("Ratio value is NaN");
                }
                let fg = super::annotations::fmt_g;
                if max > 1.0 {
                    let m = format!(
                        "ratio value should be between -1 and 1, got {}, capping to 1",
                        fg(max)
                    );
                    ev.annos.warn(q, param_pos, m);
                }
                if min < -1.0 {
                    let m = format!(
                        "ratio value should be between -1 and 1, got {}, capping to -1",
                        fg(min)
                    );
                    ev.annos.warn(q, param_pos, m);
                }
            }
            AggregateOp::Quantile => {
                let fg = super::annotations::fmt_g;
                let msg =
                    |v: f64| format!("quantile value should be between 0 and 1, got {}", fg(v));
                if any_nan {
                    ev.annos.warn(q, param_pos, msg(f64::NAN));
                }
                if max > 1.0 {
                    ev.annos.warn(q, param_pos, msg(max));
                }
                if min < 0.0 {
                    ev.annos.warn(q, param_pos, msg(min));
                }
            }
            _ => {}
        }
    }
    let labels_of = |m: &Labels| match a.op {
        AggregateOp::Topk
        | AggregateOp::Bottomk
        | AggregateOp::Limitk
        | AggregateOp::LimitRatio => Labels::empty(),
        _ => grouping_labels(m, &grouping, a.without),
    };
    let mut index: super::labels::FastMap<u64, usize> = Default::default();
    let mut group_labels: Vec<Labels> = Vec::new();
    let mut group_of = |m: &Labels| {
        let key = grouping_hash(m, &grouping, a.without);
        *index.entry(key).or_insert_with(|| {
            group_labels.push(labels_of(m));
            group_labels.len() - 1
        })
    };
    let n = r.len();
    let mut out = Collect {
        k_op: matches!(
            a.op,
            AggregateOp::Topk
                | AggregateOp::Bottomk
                | AggregateOp::Limitk
                | AggregateOp::LimitRatio
        ),
        steps: Vec::with_capacity(n),
        series: Vec::new(),
    };
    let param_at = |i: usize| {
        params
            .as_ref()
            .and_then(|p| p.get(i).copied())
            .unwrap_or(f64::NAN)
    };
    if let Some(sink) = sink {
        let (steps, labels, ctx) = sink.into_parts();
        for (i, st) in steps.into_iter().enumerate() {
            let res = st.finish(ev, ctx, param_at(i), pos);
            out.push(res, r.ts(i));
        }
        return Ok(out.finish(labels));
    }
    match input {
        Val::Series(m) => {
            // Series-major input: each series' group is computed once, and
            // steps walk the series with a cursor each.
            let groups: Vec<usize> = m.iter().map(|s| group_of(&s.metric)).collect();
            let mut cursors = vec![(0usize, 0usize); m.len()];
            for i in 0..n {
                let ts = r.ts(i);
                let mut items = Vec::with_capacity(m.len());
                for (k, s) in m.iter().enumerate() {
                    let Some(c) = cursors.get_mut(k) else {
                        continue;
                    };
                    let g = groups.get(k).copied().unwrap_or(0);
                    if let Some(p) = s.floats.get(c.0).filter(|p| p.t == ts) {
                        c.0 += 1;
                        items.push(Item::new(g, &s.metric, p.f, None, s.drop_name));
                    } else if let Some(p) = s.histograms.get(c.1).filter(|p| p.t == ts) {
                        c.1 += 1;
                        items.push(Item::new(g, &s.metric, 0.0, Some(&p.h), s.drop_name));
                    }
                }
                let res =
                    aggregate_step(ev, a, group_labels.len(), items, m.len(), param_at(i), pos)?;
                out.push(res, ts);
            }
        }
        other => {
            let steps = match other {
                Val::Vector(v) => v,
                _ => return err("expected instant vector"),
            };
            let gids: Vec<Vec<usize>> = steps
                .iter()
                .map(|v| v.iter().map(|s| group_of(&s.metric)).collect())
                .collect();
            for (i, v) in steps.iter().enumerate() {
                let items: Vec<Item<'_>> = v
                    .iter()
                    .zip(gids.get(i).into_iter().flatten())
                    .map(|(s, g)| Item::new(*g, &s.metric, s.f, s.h.as_ref(), s.drop_name))
                    .collect();
                let res =
                    aggregate_step(ev, a, group_labels.len(), items, v.len(), param_at(i), pos)?;
                out.push(res, r.ts(i));
            }
        }
    }
    Ok(out.finish(group_labels))
}

/// Gathers an aggregation's per-step results: `topk` and friends keep the
/// input's series (one vector per step); the others produce one series per
/// group, built series-major so group labels are not copied per step.
pub(super) struct Collect {
    k_op: bool,
    steps: Vec<Vector>,
    series: Vec<Series>,
}

impl Collect {
    fn push(&mut self, res: Vec<(usize, Sample)>, ts: i64) {
        if self.k_op {
            self.steps.push(
                res.into_iter()
                    .map(|(_, mut s)| {
                        s.t = ts;
                        s
                    })
                    .collect(),
            );
            return;
        }
        for (g, s) in res {
            if self.series.len() <= g {
                self.series.resize_with(g + 1, Series::default);
            }
            if let Some(out) = self.series.get_mut(g) {
                out.drop_name |= s.drop_name;
                match s.h {
                    Some(h) => out.histograms.push(HPoint { t: ts, h }),
                    None => out.floats.push(FPoint { t: ts, f: s.f }),
                }
            }
        }
    }

    fn finish(self, group_labels: Vec<Labels>) -> Val {
        if self.k_op {
            return Val::Vector(self.steps);
        }
        Val::Series(
            self.series
                .into_iter()
                .zip(group_labels)
                .filter(|(s, _)| !s.floats.is_empty() || !s.histograms.is_empty())
                .map(|(mut s, l)| {
                    s.metric = l;
                    s
                })
                .collect(),
        )
    }
}

/// One input element of an aggregation at one step.
pub(super) struct Item<'a> {
    group: usize,
    metric: &'a Labels,
    f: f64,
    h: Option<&'a Arc<FloatHistogram>>,
    drop_name: bool,
}

impl<'a> Item<'a> {
    pub(super) fn new(
        group: usize,
        metric: &'a Labels,
        f: f64,
        h: Option<&'a Arc<FloatHistogram>>,
        drop_name: bool,
    ) -> Item<'a> {
        Item {
            group,
            metric,
            f,
            h,
            drop_name,
        }
    }

    /// The element as an output sample (for `topk` and friends).
    fn to_sample(&self) -> Sample {
        Sample {
            metric: self.metric.clone(),
            t: 0,
            f: self.f,
            h: self.h.cloned(),
            drop_name: self.drop_name,
        }
    }
}

fn strip_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip_parens(&p.expr),
        e => e,
    }
}

/// Go's `container/heap` on a slice, with `less` as the heap order.
fn heap_up(h: &mut [Sample], mut j: usize, less: &dyn Fn(&Sample, &Sample) -> bool) {
    while j > 0 {
        let i = (j - 1) / 2;
        if !less(&h[j], &h[i]) {
            break;
        }
        h.swap(i, j);
        j = i;
    }
}

fn heap_down(h: &mut [Sample], i0: usize, less: &dyn Fn(&Sample, &Sample) -> bool) -> bool {
    let n = h.len();
    let mut i = i0;
    loop {
        let j1 = 2 * i + 1;
        if j1 >= n {
            break;
        }
        let mut j = j1;
        let j2 = j1 + 1;
        if j2 < n && less(&h[j2], &h[j1]) {
            j = j2;
        }
        if !less(&h[j], &h[i]) {
            break;
        }
        h.swap(i, j);
        i = j;
    }
    i > i0
}

fn less_top(a: &Sample, b: &Sample) -> bool {
    a.f.is_nan() || a.f < b.f
}

fn less_bottom(a: &Sample, b: &Sample) -> bool {
    a.f.is_nan() || a.f > b.f
}

fn ratio_offset(l: &Labels) -> f64 {
    super::labels::prometheus_hash(l) as f64 / u64::MAX as f64
}

fn aggregate_step(
    ev: &mut Evaluator<'_>,
    a: &AggregateExpr,
    n_groups: usize,
    items: Vec<Item<'_>>,
    total: usize,
    param: f64,
    pos: crate::ast::PosRange,
) -> EResult<Vec<(usize, Sample)>> {
    let ctx = AggCtx::of(a);
    let mut st = StepAgg::new(a.op, n_groups, Some(total), param);
    for s in items {
        st.add(ev, ctx, &s, pos);
    }
    Ok(st.finish(ev, ctx, param, pos))
}

/// What a step of an aggregation needs of its expression.
#[derive(Debug, Clone, Copy)]
pub(super) struct AggCtx {
    pub(super) op: AggregateOp,
    /// The whole aggregation's position (some annotations point at it).
    pub(super) pos: crate::ast::PosRange,
}

impl AggCtx {
    pub(super) fn of(a: &AggregateExpr) -> AggCtx {
        AggCtx {
            op: a.op,
            pos: a.pos,
        }
    }
}

/// One step of an aggregation, fed one element at a time: the groups'
/// running state, and `topk`'s `k` / `limit_ratio`'s ratio.
pub(super) struct StepAgg {
    groups: Vec<AggGroup>,
    k: usize,
    ratio: f64,
    /// The parameter selects nothing at this step.
    nothing: bool,
}

impl StepAgg {
    /// A step with `n_groups` groups known so far (more are added as
    /// elements name them); `total`, when known, caps `topk`'s `k` at the
    /// number of inputs (which changes nothing but the heap's capacity).
    pub(super) fn new(
        op: AggregateOp,
        n_groups: usize,
        total: Option<usize>,
        param: f64,
    ) -> StepAgg {
        use AggregateOp::*;
        let mut groups: Vec<AggGroup> = Vec::new();
        groups.resize_with(n_groups, AggGroup::default);
        let mut nothing = op == LimitRatio && param == 0.0;
        let k = match op {
            Topk | Bottomk | Limitk => {
                let k = match total {
                    Some(t) => (param as i64).min(t as i64),
                    None => param as i64,
                };
                if k < 1 {
                    nothing = true;
                }
                usize::try_from(k).unwrap_or(0)
            }
            _ => 0,
        };
        StepAgg {
            groups,
            k,
            ratio: param.clamp(-1.0, 1.0),
            nothing,
        }
    }

    /// Adds one element.
    pub(super) fn add(
        &mut self,
        ev: &mut Evaluator<'_>,
        a: AggCtx,
        s: &Item<'_>,
        pos: crate::ast::PosRange,
    ) {
        if self.nothing {
            return;
        }
        let gi = s.group;
        if self.groups.len() <= gi {
            self.groups.resize_with(gi + 1, AggGroup::default);
        }
        if let Some(g) = self.groups.get_mut(gi) {
            add_to_group(g, self.k, self.ratio, ev, a, s, pos);
        }
    }

    /// The step's `k`/ratio and whether it selects nothing, with no groups:
    /// for callers that keep the groups themselves.
    pub(super) fn params(&self) -> (usize, f64, bool) {
        (self.k, self.ratio, self.nothing)
    }

    /// A step from its parameters ([`StepAgg::params`]) and groups.
    pub(super) fn from_parts(params: (usize, f64, bool), groups: Vec<AggGroup>) -> StepAgg {
        let (k, ratio, nothing) = params;
        StepAgg {
            groups,
            k,
            ratio,
            nothing,
        }
    }

    /// The step's results: `(group, sample)` in group order.
    pub(super) fn finish(
        self,
        ev: &mut Evaluator<'_>,
        a: AggCtx,
        param: f64,
        pos: crate::ast::PosRange,
    ) -> Vec<(usize, Sample)> {
        use AggregateOp::*;
        if self.nothing {
            return Vec::new();
        }
        let q = ev.query;
        let op = a.op;
        let groups = self.groups;
        let mut out = Vec::with_capacity(groups.len());
        for (gi, mut g) in groups.into_iter().enumerate() {
            if !g.seen {
                continue;
            }
            let mut h = None;
            match op {
                Topk | Bottomk => {
                    let less: fn(&Sample, &Sample) -> bool =
                        if op == Topk { less_top } else { less_bottom };
                    // Largest first for topk, smallest first for bottomk.
                    g.samples.sort_by(|x, y| {
                        if less(y, x) {
                            std::cmp::Ordering::Less
                        } else if less(x, y) {
                            std::cmp::Ordering::Greater
                        } else {
                            std::cmp::Ordering::Equal
                        }
                    });
                    out.extend(g.samples.into_iter().map(|s| (gi, s)));
                    continue;
                }
                Limitk | LimitRatio => {
                    out.extend(g.samples.into_iter().map(|s| (gi, s)));
                    continue;
                }
                Avg | Sum => {
                    if g.has_float && g.has_hist {
                        ev.annos.warn(
                            q,
                            pos,
                            "encountered a mix of histograms and floats for aggregation",
                        );
                        continue;
                    }
                    if g.incompatible {
                        continue;
                    }
                    if g.has_hist {
                        let acc = match (g.hsum.take(), g.hmean.take()) {
                            (Some(s), _) => Some((*s).finish()),
                            (None, Some(m)) => (*m).finish(),
                            (None, None) => None,
                        };
                        if let Some(mut acc) = acc {
                            acc.compact(0);
                            h = Some(Arc::new(acc));
                        }
                    } else if op == Sum {
                        g.f += g.c;
                    } else if g.incremental {
                        g.f = g.mean + g.c;
                    } else {
                        g.f = g.f / g.count + g.c / g.count;
                    }
                    if g.reset_seen && g.not_reset_seen {
                        ev.annos.warn(
                            q,
                            pos,
                            "conflicting counter resets during histogram aggregation",
                        );
                    }
                }
                Count => g.f = g.count,
                Stdvar => g.f /= g.count,
                Stddev => g.f = (g.f / g.count).sqrt(),
                Quantile => g.f = quantile(param, &mut g.values),
                _ => {}
            }
            out.push((
                gi,
                Sample {
                    metric: Labels::empty(),
                    t: 0,
                    f: g.f,
                    h,
                    drop_name: g.drop_name,
                },
            ));
        }
        out
    }
}

/// Adds one element to its group's running state at one step.
#[allow(clippy::too_many_arguments)]
pub(super) fn add_to_group(
    g: &mut AggGroup,
    k: usize,
    ratio: f64,
    ev: &mut Evaluator<'_>,
    a: AggCtx,
    s: &Item<'_>,
    pos: crate::ast::PosRange,
) {
    use AggregateOp::*;
    let q = ev.query;
    let op = a.op;
    let ignored = |ev: &mut Evaluator<'_>, name: &str, p| {
        ev.annos
            .info(q, p, format!("ignored histogram in {name} aggregation"));
    };
    let f = s.f;

    if !g.seen {
        g.seen = true;
        g.f = f;
        g.mean = f;
        g.count = 1.0;
        g.drop_name = s.drop_name;
        match op {
            Sum | Avg => match s.h {
                None => g.has_float = true,
                Some(h) => {
                    g.has_hist = true;
                    note_hint(g, h);
                    if op == Sum {
                        g.hsum = Some(Box::new(HistSum::new(h)));
                    } else {
                        g.hmean = Some(Box::new(HistMean::new(h)));
                    }
                }
            },
            Stddev | Stdvar => {
                if s.h.is_some() {
                    g.seen = false;
                    ignored(ev, op.as_str(), pos);
                } else if f.is_nan() || f.is_infinite() {
                    g.f = f64::NAN;
                } else {
                    g.f = 0.0;
                }
            }
            Quantile => {
                if s.h.is_some() {
                    g.seen = false;
                    ignored(ev, "quantile", pos);
                }
                g.values = vec![f];
            }
            Group => g.f = 1.0,
            Min | Max => {
                if s.h.is_some() {
                    g.seen = false;
                    ignored(ev, op.as_str(), pos);
                }
            }
            Topk | Bottomk => {
                if s.h.is_some() {
                    g.seen = false;
                    ignored(ev, op.as_str(), a.pos);
                } else {
                    g.samples.push(s.to_sample());
                }
            }
            Limitk => g.samples.push(s.to_sample()),
            LimitRatio => {
                if ratio_keep(ratio, s.metric) {
                    g.samples.push(s.to_sample());
                }
            }
            Count | CountValues => {}
        }
        return;
    }
    if g.incompatible {
        return;
    }
    if s.drop_name {
        g.drop_name = true;
    }
    match op {
        Sum => match s.h {
            Some(h) => {
                g.has_hist = true;
                note_hint(g, h);
                if let Some(acc) = &mut g.hsum {
                    match acc.add(h) {
                        Ok(c) => reconciled_info(ev, c, pos),
                        Err(_) => {
                            mixed_schema_warning(ev, s.metric, pos);
                            g.incompatible = true;
                        }
                    }
                }
            }
            None => {
                g.has_float = true;
                (g.f, g.c) = kahan_inc(f, g.f, g.c);
            }
        },
        Avg => {
            g.count += 1.0;
            match s.h {
                Some(h) => {
                    g.has_hist = true;
                    note_hint(g, h);
                    if let Some(acc) = &mut g.hmean {
                        match acc.add(h) {
                            Ok(c) => reconciled_info(ev, c, pos),
                            Err(_) => {
                                mixed_schema_warning(ev, s.metric, pos);
                                g.incompatible = true;
                            }
                        }
                    }
                }
                None => {
                    g.has_float = true;
                    if !g.incremental {
                        let (nv, nc) = kahan_inc(f, g.f, g.c);
                        if !nv.is_infinite() {
                            (g.f, g.c) = (nv, nc);
                            return;
                        }
                        g.incremental = true;
                        g.mean = g.f / (g.count - 1.0);
                        g.c /= g.count - 1.0;
                    }
                    let qn = (g.count - 1.0) / g.count;
                    (g.mean, g.c) = kahan_inc(f / g.count, qn * g.mean, qn * g.c);
                }
            }
        }
        Group => {}
        Max => {
            if s.h.is_some() {
                ignored(ev, "max", pos);
            } else if g.f < f || g.f.is_nan() {
                g.f = f;
            }
        }
        Min => {
            if s.h.is_some() {
                ignored(ev, "min", pos);
            } else if g.f > f || g.f.is_nan() {
                g.f = f;
            }
        }
        Count => g.count += 1.0,
        Stddev | Stdvar => {
            if s.h.is_some() {
                ignored(ev, op.as_str(), pos);
            } else {
                g.count += 1.0;
                let delta = f - g.mean;
                g.mean += delta / g.count;
                g.f += delta * (f - g.mean);
            }
        }
        Quantile => {
            if s.h.is_some() {
                ignored(ev, "quantile", pos);
            } else {
                g.values.push(f);
            }
        }
        Topk | Bottomk => {
            let less: &dyn Fn(&Sample, &Sample) -> bool =
                if op == Topk { &less_top } else { &less_bottom };
            if s.h.is_some() {
                ignored(ev, op.as_str(), a.pos);
            } else if g.samples.len() < k {
                g.samples.push(s.to_sample());
                let last = g.samples.len() - 1;
                heap_up(&mut g.samples, last, less);
            } else if let Some(top) = g.samples.first() {
                let replace = if op == Topk {
                    top.f < f || (top.f.is_nan() && !f.is_nan())
                } else {
                    top.f > f || (top.f.is_nan() && !f.is_nan())
                };
                if replace {
                    g.samples[0] = s.to_sample();
                    if k > 1 && !heap_down(&mut g.samples, 0, less) {
                        heap_up(&mut g.samples, 0, less);
                    }
                }
            }
        }
        Limitk => {
            if g.samples.len() < k {
                g.samples.push(s.to_sample());
            }
        }
        LimitRatio => {
            if ratio_keep(ratio, s.metric) {
                g.samples.push(s.to_sample());
            }
        }
        CountValues => {}
    }
}

fn ratio_keep(ratio: f64, l: &Labels) -> bool {
    let off = ratio_offset(l);
    if ratio >= 0.0 {
        off < ratio
    } else {
        off >= 1.0 + ratio
    }
}

fn note_hint(g: &mut AggGroup, h: &FloatHistogram) {
    match h.counter_reset_hint {
        CounterResetHint::CounterReset => g.reset_seen = true,
        CounterResetHint::NotCounterReset => g.not_reset_seen = true,
        _ => {}
    }
}

fn reconciled_info(ev: &mut Evaluator<'_>, c: super::hist::Combined, pos: crate::ast::PosRange) {
    if c.reconciled {
        let q = ev.query;
        ev.annos.info(
            q,
            pos,
            "mismatched custom buckets were reconciled during aggregation",
        );
    }
}

fn mixed_schema_warning(ev: &mut Evaluator<'_>, metric: &Labels, pos: crate::ast::PosRange) {
    let name = metric.metric_name().unwrap_or("");
    let q = ev.query;
    ev.annos.warn(
        q,
        pos,
        format!(
            "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {}",
            super::annotations::quote(name)
        ),
    );
}
