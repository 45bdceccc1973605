//! Counter and gauge change functions: `rate`, `increase`, `delta` (with
//! Prometheus' extrapolation to the window edges), `irate`, `idelta`,
//! `deriv`, `predict_linear`, `double_exponential_smoothing`, `resets`,
//! `changes`.

use std::sync::Arc;

use vigil_model::{CounterResetHint, FloatHistogram};

use super::{BatchWindow, FnCtx, Out, Window, qname, range_fn, range_fn_batched};
use crate::ast::Call;
use crate::engine::aggregate::kahan_inc;
use crate::engine::eval::{EResult, Evaluator, Range, Val, err};
use crate::engine::hist;
use crate::value::{FPoint, HPoint};

/// Dispatches the functions of this family; `None` if `c` is not one.
pub(super) fn call(
    ev: &mut Evaluator<'_>,
    c: &Call,
    r: Range,
    _arg_pos: crate::ast::PosRange,
) -> EResult<Option<Val>> {
    let name = c.func.name;
    let res = match name {
        "rate" | "increase" | "delta" => {
            let counter = name != "delta";
            let is_rate = name == "rate";
            let warned_names = std::cell::RefCell::new(std::collections::HashSet::new());
            let name_check = |fx: &mut FnCtx<'_, '_>, metric: &vigil_model::Labels| {
                if let Some(n) = metric.metric_name() {
                    if !n.ends_with("_total")
                        && !n.ends_with("_sum")
                        && !n.ends_with("_count")
                        && !n.ends_with("_bucket")
                        && warned_names.borrow_mut().insert(n.to_string())
                    {
                        fx.info(format!(
                            "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: {}",
                            qname(metric)
                        ));
                    }
                }
            };
            // The name check runs once per series, not per window.
            let mut checked: *const vigil_model::Labels = std::ptr::null();
            let mut per_window = |fx: &mut FnCtx<'_, '_>, w: &Window<'_>, _: &[f64]| {
                let res = extrapolated_rate(fx, w, counter, is_rate);
                if counter
                    && res.is_some()
                    && w.hists.is_empty()
                    && !std::ptr::eq(checked, w.metric)
                {
                    checked = w.metric;
                    name_check(fx, w.metric);
                }
                res
            };
            let batch = move |fl: &[FPoint], wins: &[BatchWindow], out: &mut Vec<Option<f64>>| {
                float_rates(fl, wins, counter, is_rate, out)
            };
            let mut after = |fx: &mut FnCtx<'_, '_>, metric: &vigil_model::Labels| {
                if counter {
                    name_check(fx, metric);
                }
            };
            range_fn_batched(
                ev,
                c,
                r,
                0,
                false,
                &mut per_window,
                Some(&batch),
                Some(&mut after),
            )?
        }
        "irate" | "idelta" => {
            let is_rate = name == "irate";
            range_fn(ev, c, r, 0, false, &mut |fx, w, _| {
                instant_value(fx, w, is_rate)
            })?
        }
        "deriv" => range_fn(ev, c, r, 0, false, &mut |fx, w, _| {
            let first = w.floats.first()?.t;
            regression_fn(fx, w, first).map(|(slope, _)| Out::F(slope))
        })?,
        "predict_linear" => range_fn(ev, c, r, 0, false, &mut |fx, w, s| {
            let d = s.first().copied().unwrap_or(f64::NAN);
            regression_fn(fx, w, w.ts).map(|(slope, intercept)| Out::F(slope * d + intercept))
        })?,
        "double_exponential_smoothing" | "holt_winters" => {
            let mut bad = None;
            let out = range_fn(ev, c, r, 0, false, &mut |fx, w, s| {
                let sf = s.first().copied().unwrap_or(f64::NAN);
                let tf = s.get(1).copied().unwrap_or(f64::NAN);
                if sf.is_nan() || sf <= 0.0 || sf >= 1.0 {
                    bad = Some(format!(
                        "invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:.6}"
                    ));
                    return None;
                }
                if tf.is_nan() || tf <= 0.0 || tf >= 1.0 {
                    bad = Some(format!(
                        "invalid trend factor. Expected: 0 < tf < 1, got: {tf:.6}"
                    ));
                    return None;
                }
                smoothing(fx, w, sf, tf)
            })?;
            if let Some(m) = bad {
                return err(m);
            }
            out
        }
        "resets" => range_fn(ev, c, r, 0, false, &mut |_, w, _| {
            count_transitions(w, true).map(Out::F)
        })?,
        "changes" => range_fn(ev, c, r, 0, false, &mut |_, w, _| {
            count_transitions(w, false).map(Out::F)
        })?,
        _ => return Ok(None),
    };
    Ok(Some(Val::Series(res)))
}

fn mixed_warning(fx: &mut FnCtx<'_, '_>, w: &Window<'_>) {
    fx.warn(format!(
        "encountered a mix of histograms and floats for metric name {}",
        qname(w.metric)
    ));
}

/// `rate`/`increase`/`delta` of every window of one float series without
/// start timestamps: exactly [`extrapolated_rate`]'s arithmetic, with the
/// reset scan skipped for windows a running count shows to have none.
fn float_rates(
    fl: &[FPoint],
    wins: &[BatchWindow],
    counter: bool,
    is_rate: bool,
    out: &mut Vec<Option<f64>>,
) {
    // resets_upto[i]: drops in value among the first i + 1 samples.
    let mut resets_upto = Vec::with_capacity(fl.len());
    let mut n = 0u32;
    let mut prev = f64::NAN;
    for p in fl {
        if p.f < prev {
            n += 1;
        }
        prev = p.f;
        resets_upto.push(n);
    }
    for w in wins {
        let v = fl.get(w.idx.clone()).unwrap_or_default();
        let (Some(first), Some(last)) = (v.first(), v.last()) else {
            out.push(None);
            continue;
        };
        let n_minus_one = v.len() - 1;
        let (first_t, last_t, first_f) = (first.t, last.t, first.f);
        let mut result_f = last.f - first_f;
        let drops = resets_upto
            .get(w.idx.end.saturating_sub(1))
            .copied()
            .unwrap_or(0)
            - resets_upto.get(w.idx.start).copied().unwrap_or(0);
        if counter && drops > 0 {
            let mut prev = first_f;
            for p in v.iter().skip(1) {
                if p.f < prev {
                    result_f += prev;
                }
                prev = p.f;
            }
        }
        let mut to_start = (first_t - w.start) as f64 / 1000.0;
        let mut to_end = (w.end - last_t) as f64 / 1000.0;
        let sampled = (last_t - first_t) as f64 / 1000.0;
        let avg = if n_minus_one > 0 {
            sampled / n_minus_one as f64
        } else {
            0.0
        };
        let threshold = avg * 1.1;
        if n_minus_one == 0 {
            out.push(None);
            continue;
        } else if to_start >= threshold {
            to_start = avg / 2.0;
        }
        if counter {
            let mut to_zero = to_start;
            if result_f > 0.0 && first_f >= 0.0 {
                to_zero = sampled * (first_f / result_f);
            }
            if to_zero < to_start {
                to_start = to_zero;
            }
        }
        if to_end >= threshold {
            to_end = avg / 2.0;
        }
        let mut factor = if sampled != 0.0 {
            (sampled + to_start + to_end) / sampled
        } else {
            1.0
        };
        if is_rate {
            factor /= (w.end - w.start) as f64 / 1000.0;
        }
        out.push(Some(result_f * factor));
    }
}

/// `rate`/`increase`/`delta` of one window, extrapolated towards the
/// window's edges as Prometheus does.
pub(crate) fn extrapolated_rate(
    fx: &mut FnCtx<'_, '_>,
    w: &Window<'_>,
    counter: bool,
    is_rate: bool,
) -> Option<Out> {
    if !w.hists.is_empty() && !w.floats.is_empty() {
        mixed_warning(fx, w);
        return None;
    }
    if w.anchored || w.smoothed {
        return super::extended::extended_rate(fx, w, counter, is_rate);
    }
    let (first_t, last_t, n_minus_one, mut result_f, mut result_h, first_f, first_hc);
    let is_hist = !w.hists.is_empty();
    if is_hist {
        n_minus_one = w.hists.len() - 1;
        first_t = w.hists.first()?.t;
        last_t = w.hists.last()?.t;
        // One histogram is enough when its start time says where the
        // counter started (checked below).
        result_h = if w.hists.len() > 1 {
            Some(histogram_rate(fx, w, w.hists, counter)?)
        } else {
            None
        };
        result_f = 0.0;
        first_f = 0.0;
        first_hc = w.hists.first()?.h.count;
    } else {
        // One sample is enough when its start timestamp shows where the
        // counter started (checked below).
        if w.floats.is_empty() {
            return None;
        }
        n_minus_one = w.floats.len() - 1;
        first_t = w.floats.first()?.t;
        last_t = w.floats.last()?.t;
        first_f = w.floats.first()?.f;
        first_hc = 0.0;
        result_h = None;
        result_f = w.floats.last()?.f - first_f;
        if counter && w.st_floats.is_empty() {
            // No start timestamps: a reset is a drop in value.
            let mut prev = first_f;
            for p in w.floats.iter().skip(1) {
                if p.f < prev {
                    result_f += prev;
                }
                prev = p.f;
            }
        } else if counter {
            let sts = w.st_floats;
            let mut overlap = false;
            for (i, p) in w.floats.windows(2).enumerate() {
                let (prev_st, cur_st) = (sts.get(i).copied(), sts.get(i + 1).copied());
                if let (false, Some(a), Some(b)) = (overlap, prev_st, cur_st) {
                    if b != 0 && b < p[0].t && b != a {
                        fx.warn(format!(
                            "sample has start time that overlaps with previous sample timestamp for metric {}",
                            qname(w.metric)
                        ));
                        overlap = true;
                    }
                }
                let st_reset = matches!((prev_st, cur_st), (Some(a), Some(b)) if start_time_reset(a, p[0].t, b, p[1].t));
                if p[1].f < p[0].f || st_reset {
                    result_f += p[0].f;
                }
            }
        }
    }
    let mut to_start = (first_t - w.start) as f64 / 1000.0;
    let mut to_end = (w.end - last_t) as f64 / 1000.0;
    let mut sampled = (last_t - first_t) as f64 / 1000.0;
    let avg = if n_minus_one > 0 {
        sampled / n_minus_one as f64
    } else {
        0.0
    };
    let threshold = avg * 1.1;
    let first_st = if is_hist {
        w.st_hists.first().copied().unwrap_or(0)
    } else {
        w.st_floats.first().copied().unwrap_or(0)
    };
    if counter && first_st != 0 && first_st > w.start && first_st < first_t {
        // The first sample's start time lies in the window: the counter
        // was zero then, so count from there instead of extrapolating.
        to_start = 0.0;
        sampled = (last_t - first_st) as f64 / 1000.0;
        if is_hist {
            let first = &w.hists.first()?.h;
            result_h = match result_h.take() {
                None => Some((**first).clone()),
                Some(mut h) => {
                    if hist::add(&mut h, first).is_err() {
                        fx.warn(format!(
                            "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {}",
                            qname(w.metric)
                        ));
                        return None;
                    }
                    Some(h)
                }
            };
        } else {
            result_f += first_f;
        }
    } else if n_minus_one == 0 {
        return None;
    } else if to_start >= threshold {
        to_start = avg / 2.0;
    }
    if counter && !(first_st != 0 && first_st > w.start && first_st < first_t) {
        let mut to_zero = to_start;
        if let Some(h) = &result_h {
            if h.count > 0.0 && first_hc >= 0.0 {
                to_zero = sampled * (first_hc / h.count);
            }
        } else if result_f > 0.0 && first_f >= 0.0 {
            to_zero = sampled * (first_f / result_f);
        }
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    if to_end >= threshold {
        to_end = avg / 2.0;
    }
    let mut factor = if sampled != 0.0 {
        (sampled + to_start + to_end) / sampled
    } else {
        1.0
    };
    if is_rate {
        factor /= w.range as f64 / 1000.0;
    }
    if is_hist {
        let mut h = result_h.take()?;
        h.mul(factor);
        h.counter_reset_hint = CounterResetHint::Gauge;
        return Some(Out::H(Arc::new(h)));
    }
    result_f *= factor;
    Some(Out::F(result_f))
}

/// The raw increase of histogram samples over a window (reset-corrected for
/// counters), or `None` with a warning if they do not combine.
fn histogram_rate(
    fx: &mut FnCtx<'_, '_>,
    w: &Window<'_>,
    points: &[HPoint],
    counter: bool,
) -> Option<FloatHistogram> {
    let first = points.first()?;
    let last = points.last()?;
    let mut prev: FloatHistogram = (*first.h).clone();
    let mut custom = prev.uses_custom_buckets();
    if counter
        && (first.h.counter_reset_hint == CounterResetHint::Gauge
            || last.h.counter_reset_hint == CounterResetHint::Gauge)
    {
        fx.warn(format!(
            "this native histogram metric is not a counter: {}",
            qname(w.metric)
        ));
    }
    let sts = w.st_hists;
    let st_reset = |i: usize| -> bool {
        match (sts.get(i), sts.get(i + 1), points.get(i), points.get(i + 1)) {
            (Some(&a), Some(&b), Some(p), Some(c)) => start_time_reset(a, p.t, b, c.t),
            _ => false,
        }
    };
    if counter {
        if let Some(second) = points.get(1) {
            if st_reset(0) || hist::detect_reset(&second.h, &prev) {
                prev = FloatHistogram {
                    schema: second.h.schema,
                    custom_values: second.h.custom_values.clone(),
                    ..Default::default()
                };
                custom = second.h.uses_custom_buckets();
            }
        }
    }
    let mixed = |fx: &mut FnCtx<'_, '_>| {
        fx.warn(format!(
            "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {}",
            qname(w.metric)
        ));
    };
    if last.h.uses_custom_buckets() != custom {
        mixed(fx);
        return None;
    }
    let mut min_schema = last.h.schema.min(prev.schema);
    for p in points.iter().skip(1).take(points.len().saturating_sub(2)) {
        if !counter {
            continue;
        }
        if p.h.counter_reset_hint == CounterResetHint::Gauge {
            fx.warn(format!(
                "this native histogram metric is not a counter: {}",
                qname(w.metric)
            ));
        }
        min_schema = min_schema.min(p.h.schema);
        if p.h.uses_custom_buckets() != custom {
            mixed(fx);
            return None;
        }
    }
    let mut h: FloatHistogram = (*last.h).clone();
    if h.schema > min_schema && !h.uses_custom_buckets() {
        let _ = h.reduce_resolution(min_schema);
    }
    match hist::sub(&mut h, &prev) {
        Ok(c) if c.reconciled => {
            fx.info("mismatched custom buckets were reconciled during subtraction")
        }
        Ok(_) => {}
        Err(_) => {
            mixed(fx);
            return None;
        }
    }
    if counter {
        let mut prev_h: &FloatHistogram = &prev;
        for (i, p) in points.iter().enumerate().skip(1) {
            if st_reset(i - 1) || hist::detect_reset(&p.h, prev_h) {
                match hist::add(&mut h, prev_h) {
                    Ok(c) if c.reconciled => {
                        fx.info("mismatched custom buckets were reconciled during addition")
                    }
                    Ok(_) => {}
                    Err(_) => {
                        mixed(fx);
                        return None;
                    }
                }
            }
            prev_h = &p.h;
        }
    } else if first.h.counter_reset_hint != CounterResetHint::Gauge
        || last.h.counter_reset_hint != CounterResetHint::Gauge
    {
        fx.warn(format!(
            "this native histogram metric is not a gauge: {}",
            qname(w.metric)
        ));
    }
    h.counter_reset_hint = CounterResetHint::Gauge;
    h.compact(0);
    Some(h)
}

/// Whether the start timestamps of two consecutive samples show a counter
/// reset between them (Prometheus' `isStartTimestampReset`).
pub(crate) fn start_time_reset(prev_st: i64, prev_t: i64, cur_st: i64, cur_t: i64) -> bool {
    if cur_st == 0 || cur_st >= cur_t || cur_st < prev_t {
        return false;
    }
    if cur_st > prev_t {
        return true;
    }
    if prev_st > prev_t {
        return false;
    }
    prev_st != 0 && prev_st != prev_t
}

/// `irate`/`idelta`: from the last two samples of the window.
fn instant_value(fx: &mut FnCtx<'_, '_>, w: &Window<'_>, is_rate: bool) -> Option<Out> {
    if w.floats.len() + w.hists.len() < 2 {
        return None;
    }
    // The last two samples, floats and histograms merged by time.
    // (time, value, histogram, start time) of the last two floats and
    // histograms, merged by time.
    type Pt<'p> = (i64, f64, Option<&'p Arc<FloatHistogram>>, i64);
    let nf = w.floats.len();
    let mut pts: Vec<Pt<'_>> = w
        .floats
        .iter()
        .enumerate()
        .skip(nf.saturating_sub(2))
        .map(|(i, p)| (p.t, p.f, None, w.st_floats.get(i).copied().unwrap_or(0)))
        .chain({
            let nh = w.hists.len();
            w.hists
                .iter()
                .enumerate()
                .skip(nh.saturating_sub(2))
                .map(|(i, p)| {
                    (
                        p.t,
                        0.0,
                        Some(&p.h),
                        w.st_hists.get(i).copied().unwrap_or(0),
                    )
                })
        })
        .collect();
    pts.sort_by_key(|p| p.0);
    let n = pts.len();
    let (a, b) = (pts.get(n - 2)?, pts.get(n - 1)?);
    let interval = b.0 - a.0;
    if interval == 0 {
        return None;
    }
    let out = match (a.2, b.2) {
        (None, None) => {
            // A decrease is a counter reset for irate: the rate starts from zero.
            let reset = b.1 < a.1 || start_time_reset(a.3, a.0, b.3, b.0);
            let v = if !is_rate || !reset { b.1 - a.1 } else { b.1 };
            if is_rate {
                Out::F(v / (interval as f64 / 1000.0))
            } else {
                Out::F(v)
            }
        }
        (Some(ha), Some(hb)) => {
            let mut res: FloatHistogram = (**hb).clone();
            if is_rate
                && (hb.counter_reset_hint == CounterResetHint::Gauge
                    || ha.counter_reset_hint == CounterResetHint::Gauge)
            {
                fx.warn(format!(
                    "this native histogram metric is not a counter: {}",
                    qname(w.metric)
                ));
            }
            if !is_rate
                && (hb.counter_reset_hint != CounterResetHint::Gauge
                    || ha.counter_reset_hint != CounterResetHint::Gauge)
            {
                fx.warn(format!(
                    "this native histogram metric is not a gauge: {}",
                    qname(w.metric)
                ));
            }
            if !is_rate || (!start_time_reset(a.3, a.0, b.3, b.0) && !hist::detect_reset(hb, ha)) {
                match hist::sub(&mut res, ha) {
                    Ok(c) if c.reconciled => {
                        fx.info("mismatched custom buckets were reconciled during subtraction")
                    }
                    Ok(_) => {}
                    Err(_) => {
                        fx.warn(format!(
                            "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {}",
                            qname(w.metric)
                        ));
                        return None;
                    }
                }
            }
            res.counter_reset_hint = CounterResetHint::Gauge;
            res.compact(0);
            if is_rate {
                res.div(interval as f64 / 1000.0);
            }
            Out::H(Arc::new(res))
        }
        _ => {
            mixed_warning(fx, w);
            return None;
        }
    };
    Some(out)
}

/// Least-squares fit of the window's floats; `(slope, intercept)` with the
/// intercept at `intercept_t`.
pub(crate) fn linear_regression(samples: &[FPoint], intercept_t: i64) -> (f64, f64) {
    let init_y = samples.first().map(|p| p.f).unwrap_or(f64::NAN);
    let mut const_y = true;
    let (mut n, mut sx, mut cx, mut sy, mut cy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sxy, mut cxy, mut sx2, mut cx2) = (0.0, 0.0, 0.0, 0.0);
    for (i, p) in samples.iter().enumerate() {
        if const_y && i > 0 && p.f != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (p.t - intercept_t) as f64 / 1e3;
        (sx, cx) = kahan_inc(x, sx, cx);
        (sy, cy) = kahan_inc(p.f, sy, cy);
        (sxy, cxy) = kahan_inc(x * p.f, sxy, cxy);
        (sx2, cx2) = kahan_inc(x * x, sx2, cx2);
    }
    if const_y {
        if init_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init_y);
    }
    sx += cx;
    sy += cy;
    sxy += cxy;
    sx2 += cx2;
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

fn ignored_mixed(fx: &mut FnCtx<'_, '_>, w: &Window<'_>) {
    fx.info(format!(
        "ignored histograms in a range containing both floats and histograms for metric name {}",
        qname(w.metric)
    ));
}

fn regression_fn(fx: &mut FnCtx<'_, '_>, w: &Window<'_>, t: i64) -> Option<(f64, f64)> {
    if w.floats.len() < 2 {
        if w.floats.len() == 1 && !w.hists.is_empty() {
            ignored_mixed(fx, w);
        }
        return None;
    }
    if !w.hists.is_empty() {
        ignored_mixed(fx, w);
    }
    Some(linear_regression(w.floats, t))
}

fn smoothing(fx: &mut FnCtx<'_, '_>, w: &Window<'_>, sf: f64, tf: f64) -> Option<Out> {
    let fl = w.floats;
    if fl.len() < 2 {
        if fl.len() == 1 && !w.hists.is_empty() {
            ignored_mixed(fx, w);
        }
        return None;
    }
    let mut s0 = 0.0;
    let mut s1 = fl.first()?.f;
    let mut b = fl.get(1)?.f - fl.first()?.f;
    for (i, p) in fl.iter().enumerate().skip(1) {
        let x = sf * p.f;
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    if !w.hists.is_empty() {
        ignored_mixed(fx, w);
    }
    Some(Out::F(s1))
}

/// `resets` (`reset == true`) or `changes` over floats and histograms in
/// time order.
fn count_transitions(w: &Window<'_>, reset: bool) -> Option<f64> {
    let (mut i, mut j) = super::extended::first_indices(w)?;
    // (value, histogram, time, start time)
    type Cur<'p> = (f64, Option<&'p Arc<FloatHistogram>>, i64, i64);
    let mut prev: Option<Cur<'_>> = None;
    let mut count = 0.0;
    while i < w.floats.len() || j < w.hists.len() {
        let take_float = match (w.floats.get(i), w.hists.get(j)) {
            (Some(f), Some(h)) => f.t < h.t,
            (Some(_), None) => true,
            _ => false,
        };
        let cur: Option<Cur<'_>> = if take_float {
            let st = w.st_floats.get(i).copied().unwrap_or(0);
            let p = w.floats.get(i).map(|p| (p.f, None, p.t, st));
            i += 1;
            p
        } else {
            let st = w.st_hists.get(j).copied().unwrap_or(0);
            let p = w.hists.get(j).map(|p| (0.0, Some(&p.h), p.t, st));
            j += 1;
            p
        };
        let Some(cur) = cur else { break };
        if let Some(p) = prev {
            let hit = match (p.1, cur.1) {
                (None, None) => {
                    if reset {
                        cur.0 < p.0 || start_time_reset(p.3, p.2, cur.3, cur.2)
                    } else {
                        cur.0 != p.0 && !(cur.0.is_nan() && p.0.is_nan())
                    }
                }
                (Some(a), Some(b)) => {
                    if reset {
                        start_time_reset(p.3, p.2, cur.3, cur.2) || hist::detect_reset(b, a)
                    } else {
                        !b.equals(a)
                    }
                }
                _ => true,
            };
            if hit {
                count += 1.0;
            }
        }
        prev = Some(cur);
    }
    Some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_of_a_line() {
        let pts: Vec<FPoint> = (0..5)
            .map(|i| FPoint {
                t: i * 1000,
                f: 2.0 * i as f64 + 1.0,
            })
            .collect();
        let (slope, intercept) = linear_regression(&pts, 0);
        assert!((slope - 2.0).abs() < 1e-12);
        assert!((intercept - 1.0).abs() < 1e-12);
        assert_eq!(linear_regression(&pts[..1], 0), (0.0, 1.0));
    }
}
