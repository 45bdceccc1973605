//! Histogram functions: `histogram_quantile` (classic `le` buckets and
//! native histograms), `histogram_fraction`, `histogram_count/sum/avg`,
//! `histogram_stddev/stdvar`; and `info` (without enrichment for now).

use vigil_model::{FloatHistogram, Labels};

use super::hist_input::{Classified, HistInput};
use super::{FnCtx, Out, map_vector};
use crate::ast::{Call, PosRange};
use crate::engine::aggregate::kahan_inc;
use crate::engine::annotations::{fmt_g, quote};
use crate::engine::eval::{EResult, Evaluator, Range, Val};
use crate::value::{Sample, Vector};

/// Dispatches the functions of this family; `None` if `c` is not one.
pub(super) fn call(
    ev: &mut Evaluator<'_>,
    c: &Call,
    r: Range,
    _arg_pos: PosRange,
) -> EResult<Option<Val>> {
    let name = c.func.name;
    let out = match name {
        "histogram_count" | "histogram_sum" | "histogram_avg" | "histogram_stddev"
        | "histogram_stdvar" => {
            let Some(arg) = c.args.first() else {
                return Ok(None);
            };
            return map_vector(ev, arg, r, &mut |_, s, _| {
                let h = s.h?;
                Some(Out::F(match name {
                    "histogram_count" => h.count,
                    "histogram_sum" => h.sum,
                    "histogram_avg" => h.sum / h.count,
                    "histogram_stddev" => variance(h).sqrt(),
                    _ => variance(h),
                }))
            })
            .map(Some);
        }
        "histogram_fraction" => {
            let (Some(lo), Some(hi), Some(arg)) = (c.args.first(), c.args.get(1), c.args.get(2))
            else {
                return Ok(None);
            };
            let lo = ev.eval_scalar(lo, r)?;
            let hi = ev.eval_scalar(hi, r)?;
            let mut input = HistInput::new(ev.eval(arg, r)?)?;
            let apos = arg.pos();
            let mut out = Vec::with_capacity(r.len());
            for i in 0..r.len() {
                let v = input.step(ev, r, i, apos);
                let (l, u) = (
                    lo.get(i).copied().unwrap_or(f64::NAN),
                    hi.get(i).copied().unwrap_or(f64::NAN),
                );
                let mut res = fraction_step(ev, l, u, v, apos);
                for s in &mut res {
                    s.t = r.ts(i);
                }
                out.push(res);
            }
            out
        }
        "histogram_quantile" | "histogram_quantiles" => {
            let multi = name == "histogram_quantiles";
            let (arg, q_args, label) = if multi {
                let (Some(arg), Some(l)) = (c.args.first(), c.args.get(1)) else {
                    return Ok(None);
                };
                (
                    arg,
                    c.args.get(2..).unwrap_or_default(),
                    Some(super::string_arg(l)?),
                )
            } else {
                let (Some(qa), Some(arg)) = (c.args.first(), c.args.get(1)) else {
                    return Ok(None);
                };
                (arg, std::slice::from_ref(qa), None)
            };
            let mut qs = Vec::with_capacity(q_args.len());
            for qa in q_args {
                qs.push((ev.eval_scalar(qa, r)?, qa.pos()));
            }
            let mut input = HistInput::new(ev.eval(arg, r)?)?;
            let apos = arg.pos();
            let mut out = Vec::with_capacity(r.len());
            for i in 0..r.len() {
                let mut step_qs = Vec::with_capacity(qs.len());
                for (vals, qpos) in &qs {
                    let q = vals.get(i).copied().unwrap_or(f64::NAN);
                    if q.is_nan() || !(0.0..=1.0).contains(&q) {
                        let qq = ev.query;
                        ev.annos.warn(
                            qq,
                            *qpos,
                            format!("quantile value should be between 0 and 1, got {}", fmt_g(q)),
                        );
                    }
                    step_qs.push(q);
                }
                let v = input.step(ev, r, i, apos);
                let mut res = quantile_step(ev, &step_qs, label.as_deref(), v, apos)?;
                for s in &mut res {
                    s.t = r.ts(i);
                }
                out.push(res);
            }
            out
        }
        _ => return Ok(None),
    };
    Ok(Some(Val::Vector(out)))
}

fn variance(h: &FloatHistogram) -> f64 {
    let mean = h.sum / h.count;
    let (mut var, mut c) = (0.0, 0.0);
    let custom = h.uses_custom_buckets();
    for b in h.all_buckets() {
        if b.count == 0.0 {
            continue;
        }
        let val = if custom {
            (b.upper + b.lower) / 2.0
        } else if b.lower <= 0.0 && b.upper >= 0.0 {
            0.0
        } else {
            let v = (b.upper * b.lower).sqrt();
            if b.upper < 0.0 { -v } else { v }
        };
        let d = val - mean;
        (var, c) = kahan_inc(b.count * d * d, var, c);
    }
    (var + c) / h.count
}

fn name_suffix(metric: &Labels) -> String {
    match metric.metric_name() {
        Some(n) => format!(" for metric name {}", quote(n)),
        None => String::new(),
    }
}

/// Share of a bucket's observations below `v` (inside the bucket),
/// interpolating linearly or, for exponential buckets, in log space.
fn fraction_below(lower: f64, upper: f64, v: f64, linear: bool) -> f64 {
    if linear {
        return (v - lower) / (upper - lower);
    }
    let (ll, lu, lv) = (lower.abs().log2(), upper.abs().log2(), v.abs().log2());
    if v > 0.0 {
        (lv - ll) / (lu - ll)
    } else {
        1.0 - (lv - lu) / (ll - lu)
    }
}

fn fraction(fx: &mut FnCtx<'_, '_>, lower: f64, upper: f64, h: &FloatHistogram, m: &Labels) -> f64 {
    if h.count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let custom = h.uses_custom_buckets();
    let no_neg = h.negative_buckets.is_empty();
    let no_pos = h.positive_buckets.is_empty();
    let (mut count, mut rank, mut lr, mut ur) = (0.0, 0.0, 0.0, 0.0);
    let (mut lset, mut uset) = (false, false);
    let buckets: Vec<_> = h.all_buckets().collect();
    let mut idx = 0;
    while let Some(b) = buckets.get(idx) {
        idx += 1;
        count += b.count;
        let (mut bl, mut bu) = (b.lower, b.upper);
        let mut zero = false;
        if bl <= 0.0 && bu >= 0.0 {
            zero = true;
            if no_neg && !no_pos {
                bl = 0.0;
            } else if no_pos && !no_neg {
                bu = 0.0;
            }
        }
        let interp = |v: f64| {
            if bl == f64::NEG_INFINITY {
                b.count
            } else {
                rank + b.count * fraction_below(bl, bu, v, custom || zero)
            }
        };
        if !lset && bl >= lower {
            lr = rank;
            lset = true;
        }
        if !uset && bl >= upper {
            ur = rank;
            uset = true;
        }
        if lset && uset {
            break;
        }
        if !lset && bl < lower && bu > lower {
            lr = interp(lower);
            lset = true;
        }
        if !uset && bl < upper && bu > upper {
            ur = interp(upper);
            uset = true;
        }
        if lset && uset {
            break;
        }
        rank += b.count;
    }
    if h.sum.is_nan() {
        for b in buckets.iter().skip(idx) {
            count += b.count;
        }
        if count < h.count {
            fx.info(format!(
                "input to histogram_fraction has NaN observations, which are excluded from all fractions{}",
                name_suffix(m)
            ));
        }
    } else {
        count = h.count;
    }
    if !lset || lr > count {
        lr = count;
    }
    if !uset || ur > count {
        ur = count;
    }
    (ur - lr) / h.count
}

/// Native-histogram quantile, interpolating exponentially inside
/// exponential buckets.
fn native_quantile(
    ev: &mut Evaluator<'_>,
    q: f64,
    h: &FloatHistogram,
    m: &Labels,
    pos: PosRange,
) -> f64 {
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    if h.count == 0.0 || q.is_nan() {
        return f64::NAN;
    }
    let mut buckets: Vec<_> = h.all_buckets().collect();
    let forward = h.sum.is_nan() || q < 0.5;
    let mut rank = if forward {
        q * h.count
    } else {
        (1.0 - q) * h.count
    };
    if !forward {
        buckets.reverse();
    }
    let mut count = 0.0;
    let mut idx = 0;
    let mut cur = None;
    while let Some(b) = buckets.get(idx) {
        idx += 1;
        if b.count == 0.0 {
            continue;
        }
        cur = Some(*b);
        count += b.count;
        if count >= rank {
            break;
        }
    }
    // Like Go's zero-valued bucket when no bucket has observations.
    let mut b = cur.unwrap_or(vigil_model::Bucket {
        lower: 0.0,
        upper: 0.0,
        lower_inclusive: false,
        upper_inclusive: false,
        count: 0.0,
        index: 0,
    });
    let custom = h.uses_custom_buckets();
    if !custom && b.lower < 0.0 && b.upper > 0.0 {
        if h.negative_buckets.is_empty() && !h.positive_buckets.is_empty() {
            b.lower = 0.0;
        } else if h.positive_buckets.is_empty() && !h.negative_buckets.is_empty() {
            b.upper = 0.0;
        }
    } else if custom {
        if b.lower == f64::NEG_INFINITY {
            if b.upper <= 0.0 {
                return b.upper;
            }
            b.lower = 0.0;
        } else if b.upper == f64::INFINITY {
            return b.lower;
        }
    }
    if count > h.count {
        count = h.count;
    }
    let qq = ev.query;
    if count < rank {
        if h.sum.is_nan() {
            ev.annos.info(
                qq,
                pos,
                format!(
                    "input to histogram_quantile has NaN observations, result is NaN{}",
                    name_suffix(m)
                ),
            );
            return f64::NAN;
        }
        return b.upper;
    }
    if forward {
        rank -= count - b.count;
    } else {
        rank = count - rank;
    }
    if h.sum.is_nan() {
        for x in buckets.iter().skip(idx) {
            count += x.count;
        }
        if count < h.count {
            ev.annos.info(
                qq,
                pos,
                format!(
                    "input to histogram_quantile has NaN observations, result is skewed higher{}",
                    name_suffix(m)
                ),
            );
        }
    }
    let fr = rank / b.count;
    if custom || (b.lower <= 0.0 && b.upper >= 0.0) {
        return b.lower + (b.upper - b.lower) * fr;
    }
    let (ll, lu) = (b.lower.abs().log2(), b.upper.abs().log2());
    if b.lower > 0.0 {
        (ll + (lu - ll) * fr).exp2()
    } else {
        -((lu + (ll - lu) * (1.0 - fr)).exp2())
    }
}

fn almost_equal(a: f64, b: f64, eps: f64) -> bool {
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < f64::MIN_POSITIVE {
        return diff < eps * f64::MIN_POSITIVE;
    }
    diff / abs_sum.min(f64::MAX) < eps
}

/// Classic-bucket quantile; also reports whether monotonicity was forced.
pub(crate) fn bucket_quantile(q: f64, buckets: &mut [(f64, f64)]) -> (f64, bool) {
    if q.is_nan() {
        return (f64::NAN, false);
    }
    if q < 0.0 {
        return (f64::NEG_INFINITY, false);
    }
    if q > 1.0 {
        return (f64::INFINITY, false);
    }
    buckets.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return (f64::NAN, false);
    }
    // Coalesce equal bounds.
    let mut co: Vec<(f64, f64)> = Vec::with_capacity(buckets.len());
    for b in buckets.iter() {
        match co.last_mut() {
            Some(l) if l.0 == b.0 => l.1 += b.1,
            _ => co.push(*b),
        }
    }
    let mut forced = false;
    if let Some(first) = co.first() {
        let mut prev = first.1;
        for b in co.iter_mut().skip(1) {
            let cur = b.1;
            if cur == prev {
                continue;
            }
            if almost_equal(prev, cur, 1e-12) {
                b.1 = prev;
                continue;
            }
            if cur < prev {
                b.1 = prev;
                forced = true;
                continue;
            }
            prev = cur;
        }
    }
    let n = co.len();
    if n < 2 {
        return (f64::NAN, forced);
    }
    let obs = co[n - 1].1;
    if obs == 0.0 {
        return (f64::NAN, forced);
    }
    let mut rank = q * obs;
    let b = co[..n - 1].partition_point(|x| x.1 < rank);
    let v = if b == n - 1 {
        co[n - 2].0
    } else if b == 0 && co[0].0 <= 0.0 {
        co[0].0
    } else {
        let (mut start, end, mut count) = (0.0, co[b].0, co[b].1);
        if b > 0 {
            start = co[b - 1].0;
            count -= co[b - 1].1;
            rank -= co[b - 1].1;
        }
        start + (end - start) * (rank / count)
    };
    (v, forced)
}

fn out_sample(ev: &Evaluator<'_>, metric: Labels, f: f64) -> Sample {
    let mut o = Sample {
        metric,
        t: 0,
        f,
        h: None,
        drop_name: false,
    };
    ev.mark_drop_name(&mut o, ev.opts.enable_delayed_name_removal);
    o
}

fn monotonicity_info(ev: &mut Evaluator<'_>, metric: &Labels, pos: PosRange) {
    let mut msg = "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)".to_string();
    if ev.opts.enable_delayed_name_removal {
        if let Some(n) = metric.metric_name() {
            msg.push_str(&format!(" for metric name {}", quote(n)));
        }
    }
    let qq = ev.query;
    ev.annos.info(qq, pos, msg);
}

/// `histogram_quantile` (one `q`) or `histogram_quantiles` (several, each
/// result labelled `label="<q>"`) at one step.
fn quantile_step(
    ev: &mut Evaluator<'_>,
    qs: &[f64],
    label: Option<&str>,
    c: Classified,
    pos: PosRange,
) -> EResult<Vector> {
    let mut out = Vec::new();
    for &q in qs {
        let with_q = |m: &Labels| -> Labels {
            match label {
                Some(l) => {
                    let mut b = m.to_builder();
                    b.set(l, &openmetrics_float(q));
                    b.build()
                }
                None => m.clone(),
            }
        };
        for s in &c.natives {
            let Some(h) = &s.h else { continue };
            let f = native_quantile(ev, q, h, &s.metric, pos);
            out.push(out_sample(ev, with_q(&s.metric), f));
        }
        for (metric, buckets) in &c.classic {
            let mut b = buckets.clone();
            let (f, forced) = bucket_quantile(q, &mut b);
            if forced {
                monotonicity_info(ev, metric, pos);
            }
            out.push(out_sample(ev, with_q(metric), f));
        }
    }
    Ok(out)
}

/// Prometheus' `FormatOpenMetricsFloat`: like `%g`, but integral values
/// get a `.0`.
fn openmetrics_float(f: f64) -> String {
    let s = fmt_g(f);
    if f.is_finite() && !s.contains(['e', '.']) {
        format!("{s}.0")
    } else {
        s
    }
}

/// Fraction of observations between `lower` and `upper` of classic
/// buckets (interpolating linearly inside a bucket).
fn bucket_fraction(lower: f64, upper: f64, buckets: &mut [(f64, f64)]) -> f64 {
    buckets.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return f64::NAN;
    }
    let mut co: Vec<(f64, f64)> = Vec::with_capacity(buckets.len());
    for b in buckets.iter() {
        match co.last_mut() {
            Some(l) if l.0 == b.0 => l.1 += b.1,
            _ => co.push(*b),
        }
    }
    let count = co.last().map_or(0.0, |b| b.1);
    if count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let (mut rank, mut lr, mut ur) = (0.0, 0.0, 0.0);
    let (mut lset, mut uset) = (false, false);
    let mut lb = if co.first().is_some_and(|b| b.0 <= 0.0) {
        f64::NEG_INFINITY
    } else {
        0.0
    };
    for (i, b) in co.iter().enumerate() {
        if i > 0 {
            lb = co[i - 1].0;
        }
        let ub = b.0;
        let interp = |v: f64| {
            if lb == f64::NEG_INFINITY {
                b.1
            } else {
                rank + (b.1 - rank) * (v - lb) / (ub - lb)
            }
        };
        if !lset && lb >= lower {
            lr = rank;
            lset = true;
        }
        if !uset && lb >= upper {
            ur = rank;
            uset = true;
        }
        if lset && uset {
            break;
        }
        if !lset && lb < lower && ub > lower {
            lr = interp(lower);
            lset = true;
        }
        if !uset && lb < upper && ub > upper {
            ur = interp(upper);
            uset = true;
        }
        if lset && uset {
            break;
        }
        rank = b.1;
    }
    if !lset || lr > count {
        lr = count;
    }
    if !uset || ur > count {
        ur = count;
    }
    (ur - lr) / count
}

fn fraction_step(
    ev: &mut Evaluator<'_>,
    lower: f64,
    upper: f64,
    c: Classified,
    pos: PosRange,
) -> Vector {
    let mut out = Vec::new();
    for s in &c.natives {
        let Some(h) = &s.h else { continue };
        let mut fx = super::FnCtx { ev, arg_pos: pos };
        let f = fraction(&mut fx, lower, upper, h, &s.metric);
        out.push(out_sample(ev, s.metric.clone(), f));
    }
    for (metric, buckets) in c.classic {
        let mut b = buckets;
        let f = bucket_fraction(lower, upper, &mut b);
        out.push(out_sample(ev, metric, f));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_quantile() {
        let mut b = vec![(0.1, 10.0), (0.2, 20.0), (f64::INFINITY, 20.0)];
        let (v, forced) = bucket_quantile(0.5, &mut b);
        assert!(!forced);
        assert!((v - 0.1).abs() < 1e-12);
        let mut b = vec![(1.0, 5.0), (2.0, 4.0), (f64::INFINITY, 10.0)];
        assert!(bucket_quantile(0.5, &mut b).1);
    }
}
