//! Function calls: dispatch by name to one file per family.
//!
//! Range-vector functions get one window of one series at a time
//! ([`Window`]); instant-vector functions get one step's vector.

mod extended;
mod hist_input;
mod histogram;
mod info;
mod label;
mod math;
mod over_time;
mod range;
mod rate;
mod sort;
mod time;

use std::sync::Arc;

use vigil_model::{FloatHistogram, Labels};

use super::eval::{EResult, Evaluator, Range, Val, err};
use crate::ast::{Call, Expr, PosRange};
use crate::value::{FPoint, HPoint, Matrix, Sample};

/// One step's window of one series of a range-vector argument.
pub(crate) struct Window<'a> {
    pub(crate) floats: &'a [FPoint],
    pub(crate) hists: &'a [HPoint],
    /// Exclusive start of the window.
    pub(crate) start: i64,
    /// Inclusive end of the window.
    pub(crate) end: i64,
    /// The window length in ms.
    pub(crate) range: i64,
    /// The evaluation step's time.
    pub(crate) ts: i64,
    /// The `anchored` modifier: `floats`/`hists` may start a lookback
    /// before `start`.
    pub(crate) anchored: bool,
    /// The `smoothed` modifier: `floats`/`hists` may reach a lookback
    /// beyond both ends.
    pub(crate) smoothed: bool,
    /// Start timestamps of `floats` (empty when unknown).
    pub(crate) st_floats: &'a [i64],
    /// Start timestamps of `hists` (empty when unknown).
    pub(crate) st_hists: &'a [i64],
    pub(crate) metric: &'a Labels,
}

/// What a range function computed for one window.
pub(crate) enum Out {
    F(f64),
    H(Arc<FloatHistogram>),
}

/// Context handed to function implementations: where to put annotations.
pub(crate) struct FnCtx<'e, 'a> {
    pub(crate) ev: &'e mut Evaluator<'a>,
    /// Position of the first argument (what most annotations point at).
    pub(crate) arg_pos: PosRange,
}

impl FnCtx<'_, '_> {
    pub(crate) fn warn(&mut self, msg: impl AsRef<str>) {
        let q = self.ev.query;
        self.ev.annos.warn(q, self.arg_pos, msg);
    }

    pub(crate) fn info(&mut self, msg: impl AsRef<str>) {
        let q = self.ev.query;
        self.ev.annos.info(q, self.arg_pos, msg);
    }
}

/// The metric name of `l`, quoted for messages.
pub(crate) fn qname(l: &Labels) -> String {
    super::annotations::quote(l.metric_name().unwrap_or(""))
}

/// Unwraps parentheses.
pub(crate) fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        e => e,
    }
}

/// A string argument's value.
pub(crate) fn string_arg(e: &Expr) -> EResult<String> {
    match unparen(e) {
        Expr::StringLiteral(s) => Ok(s.val.clone()),
        _ => err("expected string literal argument"),
    }
}

/// Whether a string argument is valid UTF-8 (Go strings need not be).
pub(crate) fn string_arg_valid(e: &Expr) -> bool {
    match unparen(e) {
        Expr::StringLiteral(s) => s
            .bytes
            .as_ref()
            .is_none_or(|b| std::str::from_utf8(b).is_ok()),
        _ => true,
    }
}

/// Evaluates `f`'s call at every step of `r`.
pub(crate) fn call(ev: &mut Evaluator<'_>, c: &Call, r: Range) -> EResult<Val> {
    let name = c.func.name;
    let arg_pos = c.args.first().map(|a| a.pos()).unwrap_or(c.pos);
    let n = r.len();
    match name {
        "time" => {
            return Ok(Val::Scalar(
                (0..n).map(|i| r.ts(i) as f64 / 1000.0).collect(),
            ));
        }
        "pi" => return Ok(Val::Scalar(vec![std::f64::consts::PI; n])),
        "start" => return Ok(Val::Scalar(vec![ev.q_start as f64 / 1000.0; n])),
        "end" => return Ok(Val::Scalar(vec![ev.q_end as f64 / 1000.0; n])),
        "step" => return Ok(Val::Scalar(vec![ev.q_step as f64 / 1000.0; n])),
        "range" => {
            let span = (ev.q_end - ev.q_start) as f64 / 1000.0;
            return Ok(Val::Scalar(vec![span; n]));
        }
        _ => {}
    }
    let stats = ev.stats_decoding;
    match name {
        "histogram_count" | "histogram_sum" | "histogram_avg" => ev.stats_decoding = true,
        "histogram_quantile" | "histogram_quantiles" | "histogram_fraction" => {
            ev.stats_decoding = false
        }
        _ => {}
    }
    let hint = ev.hint_func.replace(name);
    let res = dispatch(ev, c, r, arg_pos);
    ev.stats_decoding = stats;
    ev.hint_func = hint;
    res
}

fn dispatch(ev: &mut Evaluator<'_>, c: &Call, r: Range, arg_pos: PosRange) -> EResult<Val> {
    let name = c.func.name;
    if let Some(res) = info::call(ev, c, r)? {
        return Ok(res);
    }
    if let Some(res) = rate::call(ev, c, r, arg_pos)? {
        return Ok(res);
    }
    if let Some(res) = over_time::call(ev, c, r, arg_pos)? {
        return Ok(res);
    }
    if let Some(res) = math::call(ev, c, r, arg_pos)? {
        return Ok(res);
    }
    if let Some(res) = time::call(ev, c, r)? {
        return Ok(res);
    }
    if let Some(res) = label::call(ev, c, r)? {
        return Ok(res);
    }
    if let Some(res) = sort::call(ev, c, r)? {
        return Ok(res);
    }
    if let Some(res) = histogram::call(ev, c, r, arg_pos)? {
        return Ok(res);
    }
    err(format!("function {name} is not implemented"))
}

pub(crate) use extended::{extend_floats, smoothed_value};
pub(crate) use range::{BatchFn, BatchWindow, range_fn, range_fn_batched};

/// A range function's body: one window (and the scalar arguments) in,
/// maybe a value out.
pub(crate) type RangeFn<'f> =
    dyn FnMut(&mut FnCtx<'_, '_>, &Window<'_>, &[f64]) -> Option<Out> + 'f;

/// Errors if two series share a label set at some step (the series-major
/// form of "vector cannot contain metrics with the same labelset").
pub(crate) fn check_unique_series(m: &Matrix) -> EResult<()> {
    let mut seen: std::collections::HashMap<&Labels, usize> = std::collections::HashMap::new();
    for (i, s) in m.iter().enumerate() {
        if let Some(&j) = seen.get(&s.metric) {
            let other = &m[j];
            let ts: std::collections::HashSet<i64> = other
                .floats
                .iter()
                .map(|p| p.t)
                .chain(other.histograms.iter().map(|p| p.t))
                .collect();
            if s.floats
                .iter()
                .map(|p| p.t)
                .chain(s.histograms.iter().map(|p| p.t))
                .any(|t| ts.contains(&t))
            {
                return err("vector cannot contain metrics with the same labelset");
            }
        }
        seen.insert(&s.metric, i);
    }
    Ok(())
}

/// One element of an instant vector as element-wise functions see it.
pub(crate) struct Point<'a> {
    /// The sample's time (the step's, except straight from a selector).
    pub(crate) t: i64,
    pub(crate) f: f64,
    pub(crate) h: Option<&'a Arc<FloatHistogram>>,
}

/// An element-wise function's body: one element and its step index in,
/// maybe a value out.
pub(crate) type PointFn<'f> = dyn FnMut(&mut FnCtx<'_, '_>, &Point<'_>, usize) -> Option<Out> + 'f;

/// Applies `f` to every element of an instant-vector argument; elements for
/// which `f` returns `None` are dropped. The metric name is dropped.
pub(crate) fn map_vector(
    ev: &mut Evaluator<'_>,
    arg: &Expr,
    r: Range,
    f: &mut PointFn<'_>,
) -> EResult<Val> {
    let val = ev.eval(arg, r)?;
    let delayed = ev.opts.enable_delayed_name_removal;
    let mut fx = FnCtx {
        ev,
        arg_pos: arg.pos(),
    };
    if let Val::Series(m) = val {
        let mut out = Vec::with_capacity(m.len());
        for mut s in m {
            let mut floats = Vec::with_capacity(s.floats.len());
            let mut histograms = Vec::new();
            let points = s
                .floats
                .iter()
                .map(|p| (p.t, p.f, None))
                .chain(s.histograms.iter().map(|p| (p.t, 0.0, Some(&p.h))));
            for (t, fv, h) in points {
                let i = usize::try_from((t - r.start) / r.step).unwrap_or(0);
                let p = Point { t, f: fv, h };
                match f(&mut fx, &p, i) {
                    Some(Out::F(x)) => floats.push(FPoint { t, f: x }),
                    Some(Out::H(x)) => histograms.push(HPoint { t, h: x }),
                    None => {}
                }
            }
            if floats.is_empty() && histograms.is_empty() {
                continue;
            }
            floats.sort_by_key(|p| p.t);
            histograms.sort_by_key(|p| p.t);
            s.floats = floats;
            s.histograms = histograms;
            super::eval::mark_series_drop_name(&mut s, delayed);
            out.push(s);
        }
        if !delayed {
            check_unique_series(&out)?;
        }
        return Ok(Val::Series(out));
    }
    let steps = match val {
        Val::Vector(v) => v,
        Val::Scalar(v) => v
            .into_iter()
            .map(|f| {
                vec![Sample {
                    metric: Labels::empty(),
                    t: 0,
                    f,
                    h: None,
                    drop_name: false,
                }]
            })
            .collect(),
        _ => return err("expected instant vector"),
    };
    let mut out = Vec::with_capacity(steps.len());
    for (i, v) in steps.into_iter().enumerate() {
        let mut res = Vec::with_capacity(v.len());
        for mut s in v {
            let p = Point {
                t: s.t,
                f: s.f,
                h: s.h.as_ref(),
            };
            let Some(o) = f(&mut fx, &p, i) else {
                continue;
            };
            match o {
                Out::F(x) => {
                    s.f = x;
                    s.h = None;
                }
                Out::H(h) => s.h = Some(h),
            }
            s.t = r.ts(i);
            fx.ev.mark_drop_name(&mut s, delayed);
            res.push(s);
        }
        if !delayed {
            super::eval::check_unique(&res)?;
        }
        out.push(res);
    }
    Ok(Val::Vector(out))
}
