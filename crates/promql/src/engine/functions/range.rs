//! Applying a range function to every window of its range-vector
//! argument, series by series as storage hands them over; output series go
//! to an aggregation waiting for them (`agg_stream.rs`) or into a matrix.
//! Functions with a batch form (`avg_over_time`, `sum_over_time`) compute
//! float-only series on two threads.

use vigil_model::Labels;

use super::{FnCtx, Out, RangeFn, Window, check_unique_series};
use crate::ast::Call;
use crate::engine::eval::{EResult, Evaluator, Range, err};
use crate::engine::selector::{RangeInput, WindowCursor};
use crate::storage::StartTimes;
use crate::value::{FPoint, HPoint, Matrix, Series};

/// Series taken at a time when a batch function splits them over threads.
const BATCH_SERIES: usize = 64;

/// Below this much work (points held plus windows, summed over a batch's
/// series) a batch is computed on the calling thread alone: starting a
/// thread costs about as much as a few thousand points, so an instant
/// query's windows (rule evaluation: ~20 points per series) never gain.
const PARALLEL_MIN_WORK: usize = 16_384;

/// Applies a range function to every window of its range-vector argument
/// (`c.args[matrix_arg]`); `scalars` are the other arguments' per-step
/// values. The metric name is dropped unless `keep_name`.
pub(crate) fn range_fn(
    ev: &mut Evaluator<'_>,
    c: &Call,
    r: Range,
    matrix_arg: usize,
    keep_name: bool,
    f: &mut RangeFn<'_>,
) -> EResult<Matrix> {
    range_fn_batched(ev, c, r, matrix_arg, keep_name, f, None, None)
}

/// One window of a batch: the index range of its samples in the series'
/// floats, its exclusive start and inclusive end.
pub(crate) struct BatchWindow {
    pub(crate) idx: std::ops::Range<usize>,
    pub(crate) start: i64,
    pub(crate) end: i64,
}

/// A range function's body over all windows of one float-only series
/// without start timestamps at once (one output, or none, per window), for
/// functions that gain from seeing windows together; it must give exactly
/// what the per-window body gives, and raises no annotations.
pub(crate) type BatchFn<'f> = dyn Fn(&[FPoint], &[BatchWindow], &mut Vec<Option<f64>>) + Sync + 'f;

/// Called with each series a batch function gave values for (where the
/// per-window body would have raised a per-series annotation).
pub(crate) type AfterBatch<'f> = dyn FnMut(&mut FnCtx<'_, '_>, &Labels) + 'f;

/// [`range_fn`], with `batch` used instead of `f` for series that hold
/// floats only (and ranges without `anchored`/`smoothed`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn range_fn_batched(
    ev: &mut Evaluator<'_>,
    c: &Call,
    r: Range,
    matrix_arg: usize,
    keep_name: bool,
    f: &mut RangeFn<'_>,
    batch: Option<&BatchFn<'_>>,
    mut after: Option<&mut AfterBatch<'_>>,
) -> EResult<Matrix> {
    // An aggregation right above may take the output series one by one
    // (taken first: the arguments below may hold aggregations of their own).
    let mut sink = ev
        .agg_sink
        .take()
        .filter(|s| s.range.start == r.start && s.range.end == r.end && s.range.step == r.step);
    let mut scalars: Vec<Vec<f64>> = Vec::new();
    for (i, a) in c.args.iter().enumerate() {
        if i != matrix_arg && a.type_of() == crate::ValueType::Scalar {
            scalars.push(ev.eval_scalar(a, r)?);
        }
    }
    let Some(arg) = c.args.get(matrix_arg) else {
        return err("missing range argument");
    };
    let (input, stream) = ev.range_input_stream(arg, r)?;
    let name = c.func.name;
    if input.anchored && !matches!(name, "changes" | "delta" | "increase" | "rate" | "resets") {
        return err(format!(
            "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with {name}"
        ));
    }
    if input.smoothed && !matches!(name, "delta" | "increase" | "rate") {
        return err(format!(
            "smoothed modifier can only be used with: delta, increase, rate - not with {name}"
        ));
    }
    let delayed = ev.opts.enable_delayed_name_removal;
    let mut out: Matrix = Vec::new();
    let mut fx = FnCtx {
        ev,
        arg_pos: arg.pos(),
    };
    let mut sv = vec![0.0; scalars.len()];
    let mut seen = SeenSteps::default();
    let mut stream = stream;
    let mut pending: Vec<(Series, StartTimes)> = Vec::new();
    let batch = batch.filter(|_| !input.anchored && !input.smoothed);
    loop {
        // Series are taken in small batches so that a batch function can
        // work on two cores; without one, one series at a time.
        pending.clear();
        let want = if batch.is_some() { BATCH_SERIES } else { 1 };
        for item in stream.by_ref() {
            pending.push(item?);
            if pending.len() >= want {
                break;
            }
        }
        if pending.is_empty() {
            break;
        }
        let mut pre = match batch {
            Some(b) => batch_outputs(&pending, b, &input, r),
            None => Vec::new(),
        }
        .into_iter();
        for (s, starts) in pending.drain(..) {
            let s = &s;
            let drop = !keep_name || s.drop_name;
            let (floats, histograms) = match pre.next().flatten() {
                Some(floats) => {
                    if let Some(a) = after.as_mut().filter(|_| !floats.is_empty()) {
                        a(&mut fx, &s.metric);
                    }
                    (floats, Vec::new())
                }
                None => per_window(&mut fx, f, s, &starts, &input, r, &scalars, &mut sv),
            };
            if floats.is_empty() && histograms.is_empty() {
                continue;
            }
            // Account as we go so a huge result fails before it is built.
            fx.ev.add_samples(floats.len() + histograms.len())?;
            let metric = if drop && !delayed {
                crate::engine::labels::drop_metric_name(&s.metric)
            } else {
                s.metric.clone()
            };
            let series = Series {
                metric,
                floats,
                histograms,
                drop_name: drop && delayed,
            };
            match sink.as_mut() {
                Some(agg) => {
                    if !delayed {
                        seen.check(&series, r)?;
                    }
                    let n = series.floats.len() + series.histograms.len();
                    if let Some(back) = agg.push(fx.ev, series) {
                        out.extend(back);
                    } else {
                        fx.ev.release_samples(n);
                    }
                }
                None => out.push(series),
            }
        }
    }
    if let Some(mut agg) = sink {
        if let Some(back) = agg.decide(fx.ev) {
            out.extend(back);
        }
        if !agg.declined() {
            fx.ev.agg_sink = Some(agg);
            return Ok(out);
        }
    }
    // absent_over_time only looks at presence, so Prometheus skips the check.
    if !delayed && name != "absent_over_time" {
        check_unique_series(&out)?;
    }
    Ok(out)
}

/// The steps at which each output label set of a streamed range function
/// had a value: the streaming form of [`check_unique_series`].
#[derive(Default)]
struct SeenSteps(crate::engine::labels::FastMap<Labels, Vec<u64>>);

impl SeenSteps {
    fn check(&mut self, s: &Series, r: Range) -> EResult<()> {
        let words = r.len().div_ceil(64);
        let bits = self
            .0
            .entry(s.metric.clone())
            .or_insert_with(|| vec![0; words]);
        let times = s
            .floats
            .iter()
            .map(|p| p.t)
            .chain(s.histograms.iter().map(|p| p.t));
        for t in times {
            let Ok(i) = usize::try_from((t - r.start) / r.step) else {
                continue;
            };
            if let Some(w) = bits.get_mut(i / 64) {
                let bit = 1u64 << (i % 64);
                if *w & bit != 0 {
                    return err("vector cannot contain metrics with the same labelset");
                }
                *w |= bit;
            }
        }
        Ok(())
    }
}

/// The outputs of the range function `f` for every window of `s`.
#[allow(clippy::too_many_arguments)]
fn per_window(
    fx: &mut FnCtx<'_, '_>,
    f: &mut RangeFn<'_>,
    s: &Series,
    starts: &StartTimes,
    input: &RangeInput,
    r: Range,
    scalars: &[Vec<f64>],
    sv: &mut [f64],
) -> (Vec<FPoint>, Vec<HPoint>) {
    let st_floats: &[i64] = Some(starts.floats.as_slice())
        .filter(|x| x.len() == s.floats.len())
        .unwrap_or_default();
    let st_hists: &[i64] = Some(starts.histograms.as_slice())
        .filter(|x| x.len() == s.histograms.len())
        .unwrap_or_default();
    let mut floats = Vec::new();
    let mut histograms = Vec::new();
    let mut cur = WindowCursor::default();
    for i in 0..r.len() {
        let ts = r.ts(i);
        let (lo, hi) = input.window(ts);
        let (slo, shi) = input.slice_bounds(ts);
        let (fr, hr) = cur.ranges(s, slo, shi);
        let wf = s.floats.get(fr.clone()).unwrap_or_default();
        let wh = s.histograms.get(hr.clone()).unwrap_or_default();
        if wf.is_empty() && wh.is_empty() {
            continue;
        }
        for (k, v) in scalars.iter().enumerate() {
            if let (Some(d), Some(x)) = (sv.get_mut(k), v.get(i)) {
                *d = *x;
            }
        }
        let w = Window {
            floats: wf,
            hists: wh,
            start: lo,
            end: hi,
            range: input.range,
            ts,
            anchored: input.anchored,
            smoothed: input.smoothed,
            st_floats: st_floats.get(fr).unwrap_or_default(),
            st_hists: st_hists.get(hr).unwrap_or_default(),
            metric: &s.metric,
        };
        match f(fx, &w, sv) {
            Some(Out::F(v)) => floats.push(FPoint { t: ts, f: v }),
            Some(Out::H(h)) => histograms.push(HPoint { t: ts, h }),
            None => {}
        }
    }
    (floats, histograms)
}

/// The batch function's outputs for the float-only series of `pending`
/// (`None` for the others), half of them on a second thread.
fn batch_outputs(
    pending: &[(Series, StartTimes)],
    b: &BatchFn<'_>,
    input: &RangeInput,
    r: Range,
) -> Vec<Option<Vec<FPoint>>> {
    // Window lists are reused from series to series (one set per thread):
    // rule evaluation runs this for every selected series.
    let one = |s: &Series,
               st: &StartTimes,
               wins: &mut Vec<BatchWindow>,
               times: &mut Vec<i64>,
               vals: &mut Vec<Option<f64>>|
     -> Option<Vec<FPoint>> {
        if !s.histograms.is_empty() || !st.floats.is_empty() {
            return None;
        }
        wins.clear();
        times.clear();
        vals.clear();
        let mut cur = WindowCursor::default();
        for i in 0..r.len() {
            let ts = r.ts(i);
            let (lo, hi) = input.window(ts);
            let (fr, _) = cur.ranges(s, lo, hi);
            if !fr.is_empty() {
                wins.push(BatchWindow {
                    idx: fr,
                    start: lo,
                    end: hi,
                });
                times.push(ts);
            }
        }
        b(&s.floats, wins, vals);
        Some(
            times
                .iter()
                .zip(vals.iter())
                .filter_map(|(&t, &f)| f.map(|f| FPoint { t, f }))
                .collect(),
        )
    };
    let all = |part: &[(Series, StartTimes)]| -> Vec<Option<Vec<FPoint>>> {
        let (mut wins, mut times, mut vals) = (Vec::new(), Vec::new(), Vec::new());
        part.iter()
            .map(|(s, st)| one(s, st, &mut wins, &mut times, &mut vals))
            .collect()
    };
    let work: usize = pending.iter().map(|(s, _)| s.floats.len() + r.len()).sum();
    if pending.len() < 2 || work < PARALLEL_MIN_WORK {
        return all(pending);
    }
    let (left, right) = pending.split_at(pending.len() / 2);
    std::thread::scope(|sc| {
        let other = std::thread::Builder::new()
            .name("promql-eval".into())
            .spawn_scoped(sc, || all(left));
        let mut tail = all(right);
        // Without a second thread (or if it failed) the left half is left
        // to the per-window code (`None`).
        let mut out = match other.map(|h| h.join()) {
            Ok(Ok(v)) => v,
            _ => left.iter().map(|_| None).collect(),
        };
        out.append(&mut tail);
        out
    })
}
