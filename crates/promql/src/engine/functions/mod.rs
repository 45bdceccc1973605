//! Function calls: dispatch by name to one file per family.
//!
//! Range-vector functions get one window of one series at a time
//! ([`Window`]); instant-vector functions get one step's vector.

mod extended;
mod histogram;
mod info;
mod label;
mod math;
mod over_time;
mod rate;
mod sort;
mod time;

use std::sync::Arc;

use vigil_model::{FloatHistogram, Labels};

use super::eval::{EResult, Evaluator, Range, Val, err};
use super::selector::window_slices;
use crate::ast::{Call, Expr, PosRange};
use crate::value::{FPoint, HPoint, Sample, Vector};

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
    let res = dispatch(ev, c, r, arg_pos);
    ev.stats_decoding = stats;
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

/// A range function's body: one window (and the scalar arguments) in,
/// maybe a value out.
pub(crate) type RangeFn<'f> =
    dyn FnMut(&mut FnCtx<'_, '_>, &Window<'_>, &[f64]) -> Option<Out> + 'f;

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
) -> EResult<Vec<Vector>> {
    let mut scalars: Vec<Vec<f64>> = Vec::new();
    for (i, a) in c.args.iter().enumerate() {
        if i != matrix_arg && a.type_of() == crate::ValueType::Scalar {
            scalars.push(ev.eval_scalar(a, r)?);
        }
    }
    let Some(arg) = c.args.get(matrix_arg) else {
        return err("missing range argument");
    };
    let input = ev.range_input(arg, r)?;
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
    let n = r.len();
    let mut out: Vec<Vector> = (0..n).map(|_| Vec::new()).collect();
    let mut fx = FnCtx {
        ev,
        arg_pos: arg.pos(),
    };
    let mut sv = vec![0.0; scalars.len()];
    for s in &input.series {
        let drop = !keep_name || s.drop_name;
        let metric = if drop && !delayed {
            super::labels::drop_metric_name(&s.metric)
        } else {
            s.metric.clone()
        };
        for (i, o) in out.iter_mut().enumerate() {
            let ts = r.ts(i);
            let (lo, hi) = input.window(ts);
            let (slo, shi) = input.slice_bounds(ts);
            let (floats, hists) = window_slices(s, slo, shi);
            if floats.is_empty() && hists.is_empty() {
                continue;
            }
            for (k, v) in scalars.iter().enumerate() {
                if let (Some(d), Some(x)) = (sv.get_mut(k), v.get(i)) {
                    *d = *x;
                }
            }
            let w = Window {
                floats,
                hists,
                start: lo,
                end: hi,
                range: input.range,
                ts,
                anchored: input.anchored,
                smoothed: input.smoothed,
                metric: &s.metric,
            };
            if let Some(res) = f(&mut fx, &w, &sv) {
                let (fv, h) = match res {
                    Out::F(v) => (v, None),
                    Out::H(h) => (0.0, Some(h)),
                };
                o.push(Sample {
                    metric: metric.clone(),
                    t: ts,
                    f: fv,
                    h,
                    drop_name: drop && delayed,
                });
            }
        }
    }
    if !delayed {
        for v in &out {
            super::eval::check_unique(v)?;
        }
    }
    Ok(out)
}

/// Applies `f` to every sample of an instant-vector argument; samples for
/// which `f` returns `None` are dropped. The metric name is dropped.
pub(crate) fn map_vector(
    ev: &mut Evaluator<'_>,
    arg: &Expr,
    r: Range,
    f: &mut dyn FnMut(&mut FnCtx<'_, '_>, &Sample, usize) -> Option<Out>,
) -> EResult<Vec<Vector>> {
    let steps = ev.eval_vector(arg, r)?;
    let delayed = ev.opts.enable_delayed_name_removal;
    let mut fx = FnCtx {
        ev,
        arg_pos: arg.pos(),
    };
    let mut out = Vec::with_capacity(steps.len());
    for (i, v) in steps.into_iter().enumerate() {
        let mut res = Vec::with_capacity(v.len());
        for mut s in v {
            let Some(o) = f(&mut fx, &s, i) else {
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
    Ok(out)
}
