//! Element-wise math on instant vectors (`abs`, `ln`, trig, `clamp*`,
//! `round`, `sgn`...), plus `scalar`, `vector`, `timestamp`, `min_of`,
//! `max_of`.

use vigil_model::Labels;

use super::{Out, map_vector};
use crate::ast::{Call, PosRange};
use crate::engine::eval::{EResult, Evaluator, Range, Val};
use crate::value::Sample;

fn simple(name: &str) -> Option<fn(f64) -> f64> {
    Some(match name {
        "abs" => f64::abs,
        "ceil" => f64::ceil,
        "floor" => f64::floor,
        "exp" => f64::exp,
        "sqrt" => f64::sqrt,
        "ln" => f64::ln,
        "log2" => f64::log2,
        "log10" => f64::log10,
        "sin" => f64::sin,
        "cos" => f64::cos,
        "tan" => f64::tan,
        "asin" => f64::asin,
        "acos" => f64::acos,
        "atan" => f64::atan,
        "sinh" => f64::sinh,
        "cosh" => f64::cosh,
        "tanh" => f64::tanh,
        "asinh" => f64::asinh,
        "acosh" => f64::acosh,
        "atanh" => f64::atanh,
        "rad" => |v| v * std::f64::consts::PI / 180.0,
        "deg" => |v| v * 180.0 / std::f64::consts::PI,
        "sgn" => |v: f64| {
            if v < 0.0 {
                -1.0
            } else if v > 0.0 {
                1.0
            } else {
                v
            }
        },
        _ => return None,
    })
}

/// Dispatches the functions of this family; `None` if `c` is not one.
pub(super) fn call(
    ev: &mut Evaluator<'_>,
    c: &Call,
    r: Range,
    _arg_pos: PosRange,
) -> EResult<Option<Val>> {
    let name = c.func.name;
    let Some(arg) = c.args.first() else {
        return Ok(None);
    };
    if let Some(f) = simple(name) {
        let out = map_vector(ev, arg, r, &mut |_, s, _| {
            if s.h.is_some() {
                None
            } else {
                Some(Out::F(f(s.f)))
            }
        })?;
        return Ok(Some(out));
    }
    let out = match name {
        "clamp" | "clamp_min" | "clamp_max" => {
            let a = match c.args.get(1) {
                Some(e) => ev.eval_scalar(e, r)?,
                None => vec![f64::NAN; r.len()],
            };
            let b = match c.args.get(2) {
                Some(e) => ev.eval_scalar(e, r)?,
                None => vec![f64::NAN; r.len()],
            };
            map_vector(ev, arg, r, &mut |_, s, i| {
                if s.h.is_some() {
                    return None;
                }
                let x = a.get(i).copied().unwrap_or(f64::NAN);
                let y = b.get(i).copied().unwrap_or(f64::NAN);
                let v = match name {
                    "clamp" => {
                        if y < x {
                            return None;
                        }
                        go_max(x, go_min(y, s.f))
                    }
                    "clamp_min" => go_max(x, s.f),
                    _ => go_min(x, s.f),
                };
                Some(Out::F(v))
            })?
        }
        "round" => {
            let to = match c.args.get(1) {
                Some(e) => ev.eval_scalar(e, r)?,
                None => vec![1.0; r.len()],
            };
            map_vector(ev, arg, r, &mut |_, s, i| {
                if s.h.is_some() {
                    return None;
                }
                let inv = 1.0 / to.get(i).copied().unwrap_or(1.0);
                Some(Out::F((s.f * inv + 0.5).floor() / inv))
            })?
        }
        "timestamp" => {
            // Of a plain selector: the time of the sample, not the step.
            if let crate::ast::Expr::VectorSelector(vs) = super::unparen(arg) {
                let mut m = ev.vector_selector(vs, r, true)?;
                let delayed = ev.opts.enable_delayed_name_removal;
                for s in &mut m {
                    crate::engine::eval::mark_series_drop_name(s, delayed);
                }
                return Ok(Some(Val::Series(m)));
            }
            map_vector(ev, arg, r, &mut |_, s, _| Some(Out::F(s.t as f64 / 1000.0)))?
        }
        "start_timestamp" => {
            // Only a plain selector carries start times (as in Prometheus).
            if let crate::ast::Expr::VectorSelector(vs) = super::unparen(arg) {
                if ev.opts.use_start_timestamps {
                    let mut m = ev.start_time_selector(vs, r)?;
                    let delayed = ev.opts.enable_delayed_name_removal;
                    for s in &mut m {
                        crate::engine::eval::mark_series_drop_name(s, delayed);
                    }
                    return Ok(Some(Val::Series(m)));
                }
            }
            map_vector(ev, arg, r, &mut |_, _, _| None)?
        }
        "scalar" => {
            let steps = ev.eval_vector(arg, r)?;
            let vals = steps
                .iter()
                .map(|v| {
                    let mut floats = v.iter().filter(|s| s.h.is_none());
                    match (floats.next(), floats.next()) {
                        (Some(s), None) => s.f,
                        _ => f64::NAN,
                    }
                })
                .collect();
            return Ok(Some(Val::Scalar(vals)));
        }
        "vector" => {
            let vals = ev.eval_scalar(arg, r)?;
            return Ok(Some(Val::Vector(
                vals.into_iter()
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
            )));
        }
        "min_of" | "max_of" => {
            let a = ev.eval_scalar(arg, r)?;
            let b = match c.args.get(1) {
                Some(e) => ev.eval_scalar(e, r)?,
                None => vec![f64::NAN; r.len()],
            };
            let f = if name == "min_of" { go_min } else { go_max };
            return Ok(Some(Val::Scalar(
                a.iter().zip(b.iter()).map(|(x, y)| f(*x, *y)).collect(),
            )));
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// Go's `math.Max`: NaN wins.
pub(crate) fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Go's `math.Min`: NaN wins.
pub(crate) fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}
