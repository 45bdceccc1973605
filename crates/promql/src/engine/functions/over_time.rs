//! `*_over_time` functions, `absent`, `absent_over_time`.

use std::sync::Arc;

use vigil_model::{CounterResetHint, Labels, LabelsBuilder, MatchType};

use super::{FnCtx, Out, Window, qname, range_fn, unparen};
use crate::ast::{Call, Expr, PosRange};
use crate::engine::aggregate::{kahan_inc, quantile};
use crate::engine::annotations::fmt_g;
use crate::engine::eval::{EResult, Evaluator, Range, Val};
use crate::engine::hist::{HistMean, HistSum};
use crate::value::FPoint;
use crate::value::Sample;

/// Dispatches the functions of this family; `None` if `c` is not one.
pub(super) fn call(
    ev: &mut Evaluator<'_>,
    c: &Call,
    r: Range,
    _arg_pos: PosRange,
) -> EResult<Option<Val>> {
    let name = c.func.name;
    let (keep_name, matrix_arg) = match name {
        "last_over_time" | "first_over_time" => (true, 0),
        "quantile_over_time" => (false, 1),
        "absent" => return absent(ev, c, r).map(Some),
        "absent_over_time" => return absent_over_time(ev, c, r).map(Some),
        "avg_over_time"
        | "sum_over_time"
        | "count_over_time"
        | "min_over_time"
        | "max_over_time"
        | "stddev_over_time"
        | "stdvar_over_time"
        | "present_over_time"
        | "mad_over_time"
        | "ts_of_first_over_time"
        | "ts_of_last_over_time"
        | "ts_of_max_over_time"
        | "ts_of_min_over_time" => (false, 0),
        _ => return Ok(None),
    };
    let batch: Option<&super::BatchFn<'_>> = match name {
        "avg_over_time" => Some(&|fl, wins, out| kahan_windows(fl, wins, true, out)),
        "sum_over_time" => Some(&|fl, wins, out| kahan_windows(fl, wins, false, out)),
        _ => None,
    };
    let out = super::range_fn_batched(
        ev,
        c,
        r,
        matrix_arg,
        keep_name,
        &mut |fx, w, s| over_time(fx, name, w, s),
        batch,
        None,
    )?;
    Ok(Some(Val::Series(out)))
}

fn ignored_mixed(fx: &mut FnCtx<'_, '_>, w: &Window<'_>) {
    fx.info(format!(
        "ignored histograms in a range containing both floats and histograms for metric name {}",
        qname(w.metric)
    ));
}

/// Floats only; an info when histograms were ignored.
fn floats_only(fx: &mut FnCtx<'_, '_>, w: &Window<'_>) -> bool {
    if w.floats.is_empty() {
        return false;
    }
    if !w.hists.is_empty() {
        ignored_mixed(fx, w);
    }
    true
}

fn over_time(fx: &mut FnCtx<'_, '_>, name: &str, w: &Window<'_>, s: &[f64]) -> Option<Out> {
    let fl = w.floats;
    let v = match name {
        "count_over_time" => (fl.len() + w.hists.len()) as f64,
        "present_over_time" => 1.0,
        "last_over_time" => {
            let f = fl.last();
            let h = w.hists.last();
            return match (f, h) {
                (Some(f), Some(h)) if h.t < f.t => Some(Out::F(f.f)),
                (_, Some(h)) => Some(Out::H(h.h.clone())),
                (Some(f), None) => Some(Out::F(f.f)),
                (None, None) => None,
            };
        }
        "first_over_time" => {
            let f = fl.first();
            let h = w.hists.first();
            return match (f, h) {
                (Some(f), Some(h)) if f.t < h.t => Some(Out::F(f.f)),
                (_, Some(h)) => Some(Out::H(h.h.clone())),
                (Some(f), None) => Some(Out::F(f.f)),
                (None, None) => None,
            };
        }
        "ts_of_first_over_time" => {
            let tf = fl.first().map_or(i64::MAX, |p| p.t);
            let th = w.hists.first().map_or(i64::MAX, |p| p.t);
            tf.min(th) as f64 / 1000.0
        }
        "ts_of_last_over_time" => {
            let tf = fl.last().map_or(0, |p| p.t);
            let th = w.hists.last().map_or(0, |p| p.t);
            tf.max(th) as f64 / 1000.0
        }
        "sum_over_time" | "avg_over_time" => {
            if !fl.is_empty() && !w.hists.is_empty() {
                fx.warn(format!(
                    "encountered a mix of histograms and floats for metric name {}",
                    qname(w.metric)
                ));
                return None;
            }
            if fl.is_empty() {
                return hist_sum_avg(fx, w, name == "avg_over_time");
            }
            if name == "sum_over_time" {
                let (mut sum, mut c) = (0.0, 0.0);
                for p in fl {
                    (sum, c) = kahan_inc(p.f, sum, c);
                }
                if sum.is_infinite() { sum } else { sum + c }
            } else {
                avg_floats(fl.iter().map(|p| p.f))
            }
        }
        "min_over_time" | "max_over_time" | "ts_of_min_over_time" | "ts_of_max_over_time" => {
            if !floats_only(fx, w) {
                return None;
            }
            let first = fl.first()?;
            let (mut best, mut best_t) = (first.f, first.t);
            for p in fl {
                let better = match name {
                    "max_over_time" => p.f > best,
                    "min_over_time" => p.f < best,
                    "ts_of_max_over_time" => p.f >= best,
                    _ => p.f <= best,
                } || best.is_nan();
                if better {
                    best = p.f;
                    best_t = p.t;
                }
            }
            if name.starts_with("ts_of") {
                best_t as f64 / 1000.0
            } else {
                best
            }
        }
        "stddev_over_time" | "stdvar_over_time" => {
            if !floats_only(fx, w) {
                return None;
            }
            let (mut count, mut mean, mut cm, mut aux, mut ca) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for p in fl {
                count += 1.0;
                let delta = p.f - (mean + cm);
                (mean, cm) = kahan_inc(delta / count, mean, cm);
                (aux, ca) = kahan_inc(delta * (p.f - (mean + cm)), aux, ca);
            }
            let var = (aux + ca) / count;
            if name == "stddev_over_time" {
                var.sqrt()
            } else {
                var
            }
        }
        "quantile_over_time" => {
            let q = s.first().copied().unwrap_or(f64::NAN);
            if fl.is_empty() {
                return None;
            }
            if q.is_nan() || !(0.0..=1.0).contains(&q) {
                fx.warn(format!(
                    "quantile value should be between 0 and 1, got {}",
                    fmt_g(q)
                ));
            }
            if !w.hists.is_empty() {
                ignored_mixed(fx, w);
            }
            let mut vals: Vec<f64> = fl.iter().map(|p| p.f).collect();
            quantile(q, &mut vals)
        }
        "mad_over_time" => {
            if !floats_only(fx, w) {
                return None;
            }
            if fl.iter().any(|p| p.f.is_nan()) {
                f64::NAN
            } else {
                let mut vals: Vec<f64> = fl.iter().map(|p| p.f).collect();
                let median = quantile(0.5, &mut vals);
                for v in &mut vals {
                    *v = (*v - median).abs();
                }
                quantile(0.5, &mut vals)
            }
        }
        _ => return None,
    };
    Some(Out::F(v))
}

/// Mean of `vals` as Prometheus computes it: a Kahan-compensated direct
/// sum, switching to an incremental mean only if the sum would overflow.
pub(crate) fn avg_floats(vals: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut count, mut mean, mut c) = (0.0, 0.0, 0.0, 0.0);
    let mut incremental = false;
    for (i, f) in vals.enumerate() {
        if i == 0 {
            sum = f;
            count = 1.0;
            continue;
        }
        count = (i + 1) as f64;
        if !incremental {
            let (ns, nc) = kahan_inc(f, sum, c);
            if !ns.is_infinite() {
                (sum, c) = (ns, nc);
                continue;
            }
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        (mean, c) = kahan_inc(f / count, q * mean, q * c);
    }
    if incremental {
        mean + c
    } else {
        sum / count + c / count
    }
}

/// `avg_over_time` (`avg`) or `sum_over_time` of many windows of one
/// series: the same Kahan sums as the one-window code, four windows at a
/// time so that their dependency chains overlap. A window whose sum
/// overflows is redone by the one-window code (the mean then switches to
/// its incremental form).
fn kahan_windows(
    fl: &[FPoint],
    wins: &[super::BatchWindow],
    avg: bool,
    out: &mut Vec<Option<f64>>,
) {
    const LANES: usize = 4;
    let one = |w: &super::BatchWindow| {
        let vals = fl.get(w.idx.clone()).unwrap_or_default();
        if avg {
            avg_floats(vals.iter().map(|p| p.f))
        } else {
            let (mut sum, mut c) = (0.0, 0.0);
            for p in vals {
                (sum, c) = kahan_inc(p.f, sum, c);
            }
            if sum.is_infinite() { sum } else { sum + c }
        }
    };
    let mut quads = wins.chunks_exact(LANES);
    for quad in &mut quads {
        let mut lane: [&[FPoint]; LANES] = [&[]; LANES];
        for (l, w) in lane.iter_mut().zip(quad) {
            *l = fl.get(w.idx.clone()).unwrap_or_default();
        }
        // The mean starts from the first value, the sum from zero (which
        // differs for -0).
        let skip = usize::from(avg);
        let mut sum = [0.0f64; LANES];
        let mut c = [0.0f64; LANES];
        if avg {
            for (s, l) in sum.iter_mut().zip(&lane) {
                *s = l.first().map_or(0.0, |p| p.f);
            }
        }
        let common = lane.iter().map(|l| l.len()).min().unwrap_or(0);
        let mut overflow = false;
        // Indexes stay below `common`, the shortest lane's length.
        #[allow(clippy::needless_range_loop)]
        for j in skip..common {
            for k in 0..LANES {
                let f = lane[k][j].f;
                let s = sum[k];
                let t = s + f;
                overflow |= t.is_infinite();
                c[k] += if s.abs() >= f.abs() {
                    (s - t) + f
                } else {
                    (f - t) + s
                };
                sum[k] = t;
            }
        }
        for k in 0..LANES {
            let l = lane[k];
            let mut lane_overflow = overflow;
            for p in l.iter().skip(common.max(skip)) {
                let (s, f) = (sum[k], p.f);
                let t = s + f;
                lane_overflow |= t.is_infinite();
                c[k] += if s.abs() >= f.abs() {
                    (s - t) + f
                } else {
                    (f - t) + s
                };
                sum[k] = t;
            }
            out.push(Some(if lane_overflow {
                quad.get(k).map_or(f64::NAN, one)
            } else if avg {
                let n = l.len() as f64;
                sum[k] / n + c[k] / n
            } else {
                sum[k] + c[k]
            }));
        }
    }
    out.extend(quads.remainder().iter().map(|w| Some(one(w))));
}

fn hist_sum_avg(fx: &mut FnCtx<'_, '_>, w: &Window<'_>, avg: bool) -> Option<Out> {
    let first = w.hists.first()?;
    let mut sum = HistSum::new(&first.h);
    let mut mean = HistMean::new(&first.h);
    let (mut reset, mut not_reset) = (false, false);
    for p in w.hists {
        match p.h.counter_reset_hint {
            CounterResetHint::CounterReset => reset = true,
            CounterResetHint::NotCounterReset => not_reset = true,
            _ => {}
        }
    }
    for p in w.hists.iter().skip(1) {
        let res = if avg { mean.add(&p.h) } else { sum.add(&p.h) };
        if res.as_ref().is_ok_and(|c| c.reconciled) {
            fx.info("mismatched custom buckets were reconciled during aggregation");
        }
        if res.is_err() {
            fx.warn(format!(
                "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {}",
                qname(w.metric)
            ));
            return None;
        }
    }
    if reset && not_reset {
        fx.warn("conflicting counter resets during histogram aggregation");
    }
    let mut res = if avg { mean.finish()? } else { sum.finish() };
    res.compact(0);
    Some(Out::H(Arc::new(res)))
}

/// Labels `absent`/`absent_over_time` give their result: the equality
/// matchers of a plain selector argument (a name matched twice is left out).
fn absent_labels(e: &Expr) -> Labels {
    let vs = match unparen(e) {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => match ms.vector.as_ref() {
            Expr::VectorSelector(vs) => vs,
            _ => return Labels::empty(),
        },
        _ => return Labels::empty(),
    };
    let mut b = LabelsBuilder::new();
    let mut has = std::collections::HashSet::new();
    for m in &vs.matchers {
        if m.name() == vigil_model::METRIC_NAME {
            continue;
        }
        if m.kind() == MatchType::Equal && !has.contains(m.name()) {
            b.set(m.name(), m.value());
            has.insert(m.name().to_string());
        } else {
            b.del(m.name());
        }
    }
    b.build()
}

fn one(metric: &Labels) -> Vec<Sample> {
    vec![Sample {
        metric: metric.clone(),
        t: 0,
        f: 1.0,
        h: None,
        drop_name: false,
    }]
}

fn absent(ev: &mut Evaluator<'_>, c: &Call, r: Range) -> EResult<Val> {
    let Some(arg) = c.args.first() else {
        return Ok(Val::Vector(Vec::new()));
    };
    let steps = ev.eval_vector(arg, r)?;
    let labels = absent_labels(arg);
    Ok(Val::Vector(
        steps
            .into_iter()
            .map(|v| {
                if v.is_empty() {
                    one(&labels)
                } else {
                    Vec::new()
                }
            })
            .collect(),
    ))
}

fn absent_over_time(ev: &mut Evaluator<'_>, c: &Call, r: Range) -> EResult<Val> {
    let Some(arg) = c.args.first() else {
        return Ok(Val::Vector(Vec::new()));
    };
    let present = range_fn(ev, c, r, 0, false, &mut |_, _, _| Some(Out::F(1.0)))?;
    let mut seen = vec![false; r.len()];
    for s in &present {
        for p in &s.floats {
            let idx = usize::try_from((p.t - r.start) / r.step).ok();
            if let Some(x) = idx.and_then(|i| seen.get_mut(i)) {
                *x = true;
            }
        }
    }
    let labels = absent_labels(arg);
    Ok(Val::Vector(
        seen.into_iter()
            .map(|v| if v { Vec::new() } else { one(&labels) })
            .collect(),
    ))
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    /// The four-lane sums give exactly the one-window results, overflow,
    /// NaN, infinities and -0 included.
    #[test]
    fn kahan_windows_equal_one_window_sums() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut vals = Vec::new();
        for i in 0..600 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = match i % 97 {
                13 => 1.7e308,
                29 => -1.7e308,
                41 if i > 300 => f64::NAN,
                53 => -0.0,
                71 if i > 500 => f64::INFINITY,
                _ => (x % 100_000) as f64 / 7.0 - 5000.0,
            };
            vals.push(FPoint { t: i, f });
        }
        let mut wins = Vec::new();
        for start in 0..580 {
            wins.push(super::super::BatchWindow {
                idx: start..(start + 1 + (start * 7) % 19).min(600),
                start: 0,
                end: 0,
            });
        }
        for avg in [true, false] {
            let mut got = Vec::new();
            kahan_windows(&vals, &wins, avg, &mut got);
            assert_eq!(got.len(), wins.len());
            for (w, g) in wins.iter().zip(&got) {
                let w = &w.idx;
                let g = &g.unwrap();
                let fl = &vals[w.clone()];
                let want = if avg {
                    avg_floats(fl.iter().map(|p| p.f))
                } else {
                    let (mut sum, mut c) = (0.0, 0.0);
                    for p in fl {
                        (sum, c) = kahan_inc(p.f, sum, c);
                    }
                    if sum.is_infinite() { sum } else { sum + c }
                };
                assert!(
                    want.to_bits() == g.to_bits() || (want.is_nan() && g.is_nan()),
                    "avg {avg} window {w:?}: {g} != {want}"
                );
            }
        }
    }
}
