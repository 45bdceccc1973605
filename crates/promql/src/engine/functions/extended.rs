//! The experimental `anchored` and `smoothed` range modifiers: rates from
//! the window's edge values (the last sample before the window for
//! `anchored`, values interpolated at the edges for `smoothed`) instead of
//! extrapolation.

use std::sync::Arc;

use vigil_model::{CounterResetHint, FloatHistogram};

use super::{FnCtx, Out, Window, qname};
use crate::engine::hist;
use crate::value::{FPoint, HPoint};

/// Index of the last point at or before `start` (or 0), searching the
/// first `n` points only, as Go's `sort.Search(n, ...) - 1`.
fn first_index(ts: impl Fn(usize) -> i64, n: usize, start: i64) -> usize {
    let mut lo = 0;
    let mut hi = n;
    while lo < hi {
        let mid = (lo + hi) / 2;
        if ts(mid) > start {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo.saturating_sub(1)
}

/// Index of the first point at or after `end` among the first `n`
/// (or `n`).
fn last_index(ts: impl Fn(usize) -> i64, n: usize, end: i64) -> usize {
    let mut lo = 0;
    let mut hi = n;
    while lo < hi {
        let mid = (lo + hi) / 2;
        if ts(mid) >= end {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

fn interpolate(p1: &FPoint, p2: &FPoint, t: i64, counter: bool) -> f64 {
    let y1 = if counter && p2.f < p1.f { 0.0 } else { p1.f };
    y1 + (p2.f - y1) * (t - p1.t) as f64 / (p2.t - p1.t) as f64
}

fn left_value(f: &[FPoint], first: usize, start: i64, smoothed: bool, counter: bool) -> f64 {
    match (f.get(first), f.get(first + 1)) {
        (Some(a), Some(b)) if smoothed && a.t < start => interpolate(a, b, start, counter),
        (Some(a), _) => a.f,
        _ => f64::NAN,
    }
}

fn right_value(f: &[FPoint], last: usize, end: i64, smoothed: bool, counter: bool) -> f64 {
    match (last.checked_sub(1).and_then(|i| f.get(i)), f.get(last)) {
        (Some(a), Some(b)) if smoothed && b.t > end => interpolate(a, b, end, counter),
        (_, Some(b)) => b.f,
        _ => f64::NAN,
    }
}

/// Floats of a window extended to its edges: a point at `start` and one at
/// `end` holding the edge values, and the samples strictly inside.
pub(crate) fn extend_floats(f: &[FPoint], start: i64, end: i64, smoothed: bool) -> Vec<FPoint> {
    let Some(n) = f.len().checked_sub(1) else {
        return Vec::new();
    };
    let mut first = first_index(|i| f[i].t, n, start);
    let mut last = if smoothed {
        last_index(|i| f[i].t, n, end)
    } else {
        n
    };
    if f.get(last).is_none_or(|p| p.t <= start) {
        return Vec::new();
    }
    let left = left_value(f, first, start, smoothed, false);
    let right = right_value(f, last, end, smoothed, false);
    if f.get(first).is_some_and(|p| p.t <= start) {
        first += 1;
    }
    if f.get(last).is_some_and(|p| p.t >= end) {
        last = last.wrapping_sub(1);
    }
    let mut out = Vec::with_capacity(last.wrapping_sub(first).wrapping_add(3).min(f.len() + 2));
    out.push(FPoint { t: start, f: left });
    if first <= last && last < f.len() {
        out.extend_from_slice(&f[first..=last]);
    }
    out.push(FPoint { t: end, f: right });
    out
}

/// Where `resets`/`changes` start: with `anchored`, at the newest sample
/// (float or histogram) at or before the window start; `None` if no sample
/// follows the start.
pub(crate) fn first_indices(w: &Window<'_>) -> Option<(usize, usize)> {
    if !w.anchored {
        return Some((0, 0));
    }
    let fl = w.floats.partition_point(|p| p.t <= w.start);
    let hl = w.hists.partition_point(|p| p.t <= w.start);
    if fl >= w.floats.len() && hl >= w.hists.len() {
        return None;
    }
    match (fl.checked_sub(1), hl.checked_sub(1)) {
        (None, None) => Some((0, 0)),
        (Some(f), None) => Some((f, hl)),
        (Some(f), Some(h)) if w.floats[f].t >= w.hists[h].t => Some((f, hl)),
        (_, Some(h)) => Some((fl, h)),
    }
}

fn counter_corrections(left: f64, right: f64, points: &[FPoint]) -> f64 {
    let mut c = 0.0;
    let mut prev = left;
    for p in points {
        if p.f < prev {
            c += prev;
        }
        prev = p.f;
    }
    if right < prev {
        c += prev;
    }
    c
}

/// `rate`/`increase`/`delta` with the `anchored` or `smoothed` modifier.
pub(crate) fn extended_rate(
    fx: &mut FnCtx<'_, '_>,
    w: &Window<'_>,
    counter: bool,
    is_rate: bool,
) -> Option<Out> {
    if !w.hists.is_empty() {
        return extended_histogram_rate(fx, w, counter, is_rate);
    }
    let f = w.floats;
    let n = f.len().checked_sub(1)?;
    let mut first = first_index(|i| f[i].t, n, w.start);
    let mut last = if w.smoothed {
        last_index(|i| f[i].t, n, w.end)
    } else {
        n
    };
    if f.get(last)?.t <= w.start {
        return None;
    }
    if w.smoothed && f.get(first)?.t > w.end {
        return None;
    }
    let left = left_value(f, first, w.start, w.smoothed, counter);
    let right = right_value(f, last, w.end, w.smoothed, counter);
    let mut result = right - left;
    if counter {
        if f.get(first)?.t <= w.start {
            first += 1;
        }
        if f.get(last)?.t >= w.end {
            last = last.wrapping_sub(1);
        }
        let inner = if first <= last && last < f.len() {
            &f[first..=last]
        } else {
            &[]
        };
        result += counter_corrections(left, right, inner);
    }
    if is_rate {
        result /= w.range as f64 / 1000.0;
    }
    Some(Out::F(result))
}

/// Value of a `smoothed` instant selector at `t` from the samples
/// around it (within a lookback on either side): the sample at `t`, a
/// linear interpolation between its neighbours, or the last one before.
pub(crate) fn smoothed_value(
    fx: &mut FnCtx<'_, '_>,
    metric: &vigil_model::Labels,
    f: &[FPoint],
    h: &[HPoint],
    t: i64,
) -> Option<(f64, Option<Arc<FloatHistogram>>)> {
    if f.is_empty() && h.is_empty() {
        return None;
    }
    if !f.is_empty() && !h.is_empty() {
        fx.warn(format!(
            "encountered a mix of histograms and floats for metric name {}",
            qname(metric)
        ));
        return None;
    }
    if !h.is_empty() {
        let i = h.partition_point(|p| p.t < t);
        return match (i.checked_sub(1).and_then(|j| h.get(j)), h.get(i)) {
            (_, Some(b)) if b.t == t => Some((0.0, Some(b.h.clone()))),
            (Some(a), Some(b)) => {
                if a.h.uses_custom_buckets() != b.h.uses_custom_buckets() {
                    fx.warn(format!(
                        "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {}",
                        qname(metric)
                    ));
                    return None;
                }
                let counter = a.h.counter_reset_hint != CounterResetHint::Gauge
                    || b.h.counter_reset_hint != CounterResetHint::Gauge;
                let r = interpolate_hist(a, b, t, counter)?;
                Some((0.0, Some(Arc::new(r))))
            }
            (Some(a), None) => {
                let mut x = (*a.h).clone();
                x.counter_reset_hint = CounterResetHint::Unknown;
                Some((0.0, Some(Arc::new(x))))
            }
            (None, _) => None,
        };
    }
    let i = f.partition_point(|p| p.t < t);
    match (i.checked_sub(1).and_then(|j| f.get(j)), f.get(i)) {
        (_, Some(b)) if b.t == t => Some((b.f, None)),
        (Some(a), Some(b)) => Some((interpolate(a, b, t, false), None)),
        (Some(a), None) => Some((a.f, None)),
        (None, _) => None,
    }
}

fn interpolate_hist(a: &HPoint, b: &HPoint, t: i64, counter: bool) -> Option<FloatHistogram> {
    if t == a.t {
        return Some((*a.h).clone());
    }
    if t == b.t {
        return Some((*b.h).clone());
    }
    let fraction = (t - a.t) as f64 / (b.t - a.t) as f64;
    let mut res = (*b.h).clone();
    if counter && hist::detect_reset(&b.h, &a.h) {
        res.mul(fraction);
        return Some(res);
    }
    hist::sub(&mut res, &a.h).ok()?;
    res.mul(fraction);
    hist::add(&mut res, &a.h).ok()?;
    Some(res)
}

fn extended_histogram_rate(
    fx: &mut FnCtx<'_, '_>,
    w: &Window<'_>,
    counter: bool,
    is_rate: bool,
) -> Option<Out> {
    let h = w.hists;
    let n = h.len().checked_sub(1)?;
    let first = first_index(|i| h[i].t, n, w.start);
    let last = if w.smoothed {
        last_index(|i| h[i].t, n, w.end)
    } else {
        n
    };
    if h.get(last)?.t <= w.start {
        return None;
    }
    if w.smoothed && h.get(first)?.t > w.end {
        return None;
    }
    let mixed = |fx: &mut FnCtx<'_, '_>| {
        fx.warn(format!(
            "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {}",
            qname(w.metric)
        ));
    };
    let range = h.get(first..=last)?;
    let custom = range.first()?.h.uses_custom_buckets();
    for p in range {
        if p.h.uses_custom_buckets() != custom {
            mixed(fx);
            return None;
        }
        if counter && p.h.counter_reset_hint == CounterResetHint::Gauge {
            fx.warn(format!(
                "this native histogram metric is not a counter: {}",
                qname(w.metric)
            ));
        }
    }
    let left = match (h.get(first), h.get(first + 1)) {
        (Some(a), Some(b)) if w.smoothed && a.t < w.start => {
            interpolate_hist(a, b, w.start, counter)
        }
        (Some(a), _) => Some((*a.h).clone()),
        _ => None,
    };
    let right = match (last.checked_sub(1).and_then(|i| h.get(i)), h.get(last)) {
        (Some(a), Some(b)) if w.smoothed && b.t > w.end => interpolate_hist(a, b, w.end, counter),
        (_, Some(b)) => Some((*b.h).clone()),
        _ => None,
    };
    let (Some(left), Some(right)) = (left, right) else {
        mixed(fx);
        return None;
    };
    if !counter
        && (left.counter_reset_hint != CounterResetHint::Gauge
            || right.counter_reset_hint != CounterResetHint::Gauge)
    {
        fx.warn(format!(
            "this native histogram metric is not a gauge: {}",
            qname(w.metric)
        ));
    }
    let mut result = right.clone();
    if hist::sub(&mut result, &left).is_err() {
        mixed(fx);
        return None;
    }
    if counter {
        let mut start = first + 1;
        let mut prev: &FloatHistogram = &left;
        if w.smoothed {
            if let (Some(a), Some(b)) = (h.get(first), h.get(first + 1)) {
                if a.t < w.start && hist::detect_reset(&b.h, &a.h) {
                    prev = &b.h;
                    start += 1;
                }
            }
        }
        let end = last.wrapping_sub(1);
        let mut correction: Option<FloatHistogram> = None;
        let add = |c: &mut Option<FloatHistogram>, x: &FloatHistogram| -> bool {
            match c {
                None => {
                    *c = Some(x.clone());
                    true
                }
                Some(acc) => hist::add(acc, x).is_ok(),
            }
        };
        if start <= end.wrapping_add(1) {
            for p in h.get(start..=end).unwrap_or_default() {
                if hist::detect_reset(&p.h, prev) && !add(&mut correction, prev) {
                    mixed(fx);
                    return None;
                }
                prev = &p.h;
            }
            if hist::detect_reset(&right, prev) && !add(&mut correction, prev) {
                mixed(fx);
                return None;
            }
        }
        if let Some(c) = correction {
            if hist::add(&mut result, &c).is_err() {
                mixed(fx);
                return None;
            }
        }
    }
    if is_rate {
        result.div(w.range as f64 / 1000.0);
    }
    result.counter_reset_hint = CounterResetHint::Gauge;
    result.compact(0);
    Some(Out::H(Arc::new(result)))
}
