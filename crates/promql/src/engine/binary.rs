//! Binary operators: scalar/scalar, vector/scalar and vector/vector with
//! vector matching (`on`, `ignoring`, `group_left`, `group_right`, `fill`),
//! set operators, and histogram arithmetic.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use vigil_model::histogram::HistogramError;
use vigil_model::{CounterResetHint, FloatHistogram, Labels, LabelsBuilder};

use super::eval::{EResult, Evaluator, Range, Val, err};
use super::labels::{METADATA_LABELS, match_labels};
use crate::ast::{BinaryExpr, BinaryOp, Cardinality, Expr, PosRange, VectorMatching};
use crate::value::{Sample, Vector};

/// Evaluates a binary expression at every step of `r`.
pub(crate) fn eval(ev: &mut Evaluator<'_>, b: &BinaryExpr, r: Range) -> EResult<Val> {
    // Trimming needs the buckets.
    let stats = ev.stats_decoding;
    if matches!(b.op, BinaryOp::TrimUpper | BinaryOp::TrimLower) {
        ev.stats_decoding = false;
    }
    let hint = ev.hint_func.take();
    let lhs = ev.eval(&b.lhs, r);
    let rhs = ev.eval(&b.rhs, r);
    ev.stats_decoding = stats;
    ev.hint_func = hint;
    let (lhs, rhs) = (lhs?, rhs?);
    let pos = Expr::Binary(b.clone()).pos();
    let delayed = ev.opts.enable_delayed_name_removal;
    let steps = |v: Val| match v {
        Val::Series(m) => Val::Vector(super::eval::series_to_steps(m, r)),
        v => v,
    };
    match (lhs, rhs) {
        (Val::Series(m), Val::Scalar(s)) => {
            series_scalar(ev, b, m, &s, false, pos, delayed, r).map(Val::Series)
        }
        (Val::Scalar(s), Val::Series(m)) => {
            series_scalar(ev, b, m, &s, true, pos, delayed, r).map(Val::Series)
        }
        (Val::Series(l), Val::Series(rv)) => {
            let matching = b.matching.clone().unwrap_or(VectorMatching {
                card: if b.op.is_set() {
                    Cardinality::ManyToMany
                } else {
                    Cardinality::OneToOne
                },
                ..Default::default()
            });
            let out = if b.op.is_set() {
                super::binary_series::set_op(b.op, l, rv, &matching, r)
            } else {
                super::binary_series::binop(ev, b, l, rv, &matching, pos, r)?
            };
            Ok(Val::Series(out))
        }
        (lhs, rhs) => eval_steps(ev, b, steps(lhs), steps(rhs), pos, delayed, r),
    }
}

#[allow(clippy::too_many_arguments)]
fn eval_steps(
    ev: &mut Evaluator<'_>,
    b: &BinaryExpr,
    lhs: Val,
    rhs: Val,
    pos: PosRange,
    delayed: bool,
    r: Range,
) -> EResult<Val> {
    match (lhs, rhs) {
        (Val::Scalar(l), Val::Scalar(r)) => Ok(Val::Scalar(
            l.iter()
                .zip(r.iter())
                .map(|(a, c)| scalar_binop(b.op, *a, *c))
                .collect(),
        )),
        (Val::Vector(l), Val::Scalar(s)) => {
            vector_scalar(ev, b, l, &s, false, pos, delayed, r).map(Val::Vector)
        }
        (Val::Scalar(s), Val::Vector(rv)) => {
            vector_scalar(ev, b, rv, &s, true, pos, delayed, r).map(Val::Vector)
        }
        (Val::Vector(l), Val::Vector(rv)) => {
            let matching = b.matching.clone().unwrap_or(VectorMatching {
                card: if b.op.is_set() {
                    Cardinality::ManyToMany
                } else {
                    Cardinality::OneToOne
                },
                ..Default::default()
            });
            let mut out = Vec::with_capacity(l.len());
            for (i, (lv, rv)) in l.into_iter().zip(rv).enumerate() {
                let ts = r.ts(i);
                let mut v = match b.op {
                    BinaryOp::And | BinaryOp::Or | BinaryOp::Unless => {
                        set_op(b.op, lv, rv, &matching)
                    }
                    _ => vector_binop(ev, b, lv, rv, &matching, pos, delayed)?,
                };
                for s in &mut v {
                    s.t = ts;
                }
                out.push(v);
            }
            Ok(Val::Vector(out))
        }
        _ => err("invalid operands of binary expression"),
    }
}

/// `a op b` for two scalars; comparisons give 0 or 1.
pub(crate) fn scalar_binop(op: BinaryOp, a: f64, b: f64) -> f64 {
    let bool_f = |c: bool| if c { 1.0 } else { 0.0 };
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Pow => a.powf(b),
        BinaryOp::Mod => a % b,
        BinaryOp::Atan2 => a.atan2(b),
        BinaryOp::Eql => bool_f(a == b),
        BinaryOp::Neq => bool_f(a != b),
        BinaryOp::Gtr => bool_f(a > b),
        BinaryOp::Lss => bool_f(a < b),
        BinaryOp::Gte => bool_f(a >= b),
        BinaryOp::Lte => bool_f(a <= b),
        _ => f64::NAN,
    }
}

/// Whether the operator changes what the value means (so the metric name
/// goes).
pub(super) fn changes_schema(op: BinaryOp) -> bool {
    use BinaryOp::*;
    matches!(op, Add | Sub | Mul | Div | Pow | Mod | Atan2)
}

/// Outcome of one element operation.
pub(super) enum Elem {
    /// Keep (or, for comparisons, the comparison held) with this value.
    Keep(f64, Option<Arc<FloatHistogram>>),
    /// A comparison that did not hold (value kept for `bool`).
    Drop,
    /// Not defined for these operand types: dropped with an annotation.
    Skip,
}

#[derive(Default)]
pub(super) struct ElemNote {
    info: Option<String>,
    warn: Option<String>,
}

fn type_name(h: &Option<Arc<FloatHistogram>>) -> &'static str {
    if h.is_some() { "histogram" } else { "float" }
}

fn compacted(mut h: FloatHistogram) -> Option<Arc<FloatHistogram>> {
    h.compact(0);
    Some(Arc::new(h))
}

pub(super) fn elem_binop(
    op: BinaryOp,
    lf: f64,
    lh: &Option<Arc<FloatHistogram>>,
    rf: f64,
    rh: &Option<Arc<FloatHistogram>>,
    note: &mut ElemNote,
) -> Elem {
    use BinaryOp::*;
    let cmp = |keep: bool, v: f64| {
        if keep {
            Elem::Keep(v, None)
        } else {
            Elem::Drop
        }
    };
    let incompatible = |note: &mut ElemNote| {
        note.info = Some(format!(
            "incompatible sample types encountered for binary operator \"{}\": {} {} {}",
            op.as_str(),
            type_name(lh),
            op.as_str(),
            type_name(rh)
        ));
        Elem::Skip
    };
    match (lh, rh) {
        (None, None) => match op {
            Eql => cmp(lf == rf, lf),
            Neq => cmp(lf != rf, lf),
            Gtr => cmp(lf > rf, lf),
            Lss => cmp(lf < rf, lf),
            Gte => cmp(lf >= rf, lf),
            Lte => cmp(lf <= rf, lf),
            TrimUpper | TrimLower => incompatible(note),
            _ => Elem::Keep(scalar_binop(op, lf, rf), None),
        },
        (None, Some(h)) => match op {
            Mul => {
                let mut h2 = (**h).clone();
                h2.mul(lf);
                Elem::Keep(0.0, compacted(h2))
            }
            _ => incompatible(note),
        },
        (Some(h), None) => match op {
            TrimUpper | TrimLower => Elem::Keep(
                0.0,
                Some(Arc::new(super::trim::trim_buckets(h, rf, op == TrimUpper))),
            ),
            Mul | Div => {
                let mut h2 = (**h).clone();
                if op == Mul {
                    h2.mul(rf);
                } else {
                    h2.div(rf);
                }
                Elem::Keep(0.0, compacted(h2))
            }
            _ => incompatible(note),
        },
        (Some(a), Some(b)) => match op {
            Add | Sub => {
                let mut h2 = (**a).clone();
                let res = if op == Add {
                    super::hist::add(&mut h2, b)
                } else {
                    super::hist::sub(&mut h2, b)
                };
                let what = if op == Add { "addition" } else { "subtraction" };
                match res {
                    Ok(super::hist::Combined {
                        collision,
                        reconciled,
                    }) => {
                        if reconciled {
                            note.info = Some(format!(
                                "mismatched custom buckets were reconciled during {what}"
                            ));
                        }
                        if op == Sub {
                            h2.counter_reset_hint = CounterResetHint::Gauge;
                        }
                        if collision {
                            note.warn = Some(format!(
                                "conflicting counter resets during histogram {what}"
                            ));
                        }
                        Elem::Keep(0.0, compacted(h2))
                    }
                    Err(HistogramError::IncompatibleSchema) => {
                        note.warn = Some(format!(
                            "incompatible bucket layout encountered for binary operator {}",
                            op.as_str()
                        ));
                        Elem::Skip
                    }
                    Err(_) => Elem::Skip,
                }
            }
            Eql => {
                if a.equals(b) {
                    Elem::Keep(0.0, Some(a.clone()))
                } else {
                    Elem::Drop
                }
            }
            Neq => {
                if !a.equals(b) {
                    Elem::Keep(0.0, Some(a.clone()))
                } else {
                    Elem::Drop
                }
            }
            _ => incompatible(note),
        },
    }
}

pub(super) fn emit_note(ev: &mut Evaluator<'_>, note: &mut ElemNote, pos: PosRange) {
    let q = ev.query;
    if let Some(i) = note.info.take() {
        ev.annos.info(q, pos, i);
    }
    if let Some(w) = note.warn.take() {
        ev.annos.warn(q, pos, w);
    }
}

#[allow(clippy::too_many_arguments)]
fn vector_scalar(
    ev: &mut Evaluator<'_>,
    b: &BinaryExpr,
    steps: Vec<Vector>,
    scalars: &[f64],
    swap: bool,
    pos: PosRange,
    delayed: bool,
    r: Range,
) -> EResult<Vec<Vector>> {
    let mut out = Vec::with_capacity(steps.len());
    let mut note = ElemNote {
        info: None,
        warn: None,
    };
    let none = None;
    for (i, v) in steps.into_iter().enumerate() {
        let sv = scalars.get(i).copied().unwrap_or(f64::NAN);
        let mut res = Vec::with_capacity(v.len());
        for mut s in v {
            let e = if swap {
                elem_binop(b.op, sv, &none, s.f, &s.h, &mut note)
            } else {
                elem_binop(b.op, s.f, &s.h, sv, &none, &mut note)
            };
            emit_note(ev, &mut note, pos);
            let (keep, mut f, mut h) = match e {
                Elem::Keep(f, h) => (true, f, h),
                Elem::Drop => (false, s.f, s.h.clone()),
                Elem::Skip => continue,
            };
            if b.op.is_comparison() {
                // The vector's own value survives a filter, whichever side it is on.
                f = s.f;
                h = s.h.clone();
            }
            if b.return_bool {
                f = if keep { 1.0 } else { 0.0 };
                h = None;
            } else if !keep {
                continue;
            }
            s.f = f;
            s.h = h;
            s.t = r.ts(i);
            if changes_schema(b.op) || b.return_bool {
                ev.mark_drop_name(&mut s, delayed);
            }
            res.push(s);
        }
        out.push(res);
    }
    Ok(out)
}

/// Vector/scalar operation on series-major values (no per-step label
/// copies).
#[allow(clippy::too_many_arguments)]
fn series_scalar(
    ev: &mut Evaluator<'_>,
    b: &BinaryExpr,
    m: crate::value::Matrix,
    scalars: &[f64],
    swap: bool,
    pos: PosRange,
    delayed: bool,
    r: Range,
) -> EResult<crate::value::Matrix> {
    let mut note = ElemNote {
        info: None,
        warn: None,
    };
    let none = None;
    let step_val = |t: i64| {
        usize::try_from((t - r.start) / r.step)
            .ok()
            .and_then(|i| scalars.get(i).copied())
            .unwrap_or(f64::NAN)
    };
    let mut out = Vec::with_capacity(m.len());
    for mut s in m {
        let mut floats = Vec::with_capacity(s.floats.len());
        let mut hists = Vec::new();
        let points = s
            .floats
            .iter()
            .map(|p| (p.t, p.f, None))
            .chain(s.histograms.iter().map(|p| (p.t, 0.0, Some(p.h.clone()))));
        for (t, f, h) in points {
            let sv = step_val(t);
            let e = if swap {
                elem_binop(b.op, sv, &none, f, &h, &mut note)
            } else {
                elem_binop(b.op, f, &h, sv, &none, &mut note)
            };
            emit_note(ev, &mut note, pos);
            let (keep, mut rf, mut rh) = match e {
                Elem::Keep(f, h) => (true, f, h),
                Elem::Drop => (false, f, h.clone()),
                Elem::Skip => continue,
            };
            if b.op.is_comparison() {
                rf = f;
                rh = h;
            }
            if b.return_bool {
                rf = if keep { 1.0 } else { 0.0 };
                rh = None;
            } else if !keep {
                continue;
            }
            match rh {
                Some(h) => hists.push(crate::value::HPoint { t, h }),
                None => floats.push(crate::value::FPoint { t, f: rf }),
            }
        }
        if floats.is_empty() && hists.is_empty() {
            continue;
        }
        hists.sort_by_key(|p| p.t);
        floats.sort_by_key(|p| p.t);
        s.floats = floats;
        s.histograms = hists;
        if changes_schema(b.op) || b.return_bool {
            super::eval::mark_series_drop_name(&mut s, delayed);
        }
        out.push(s);
    }
    Ok(out)
}

/// Signature function of a matching clause.
pub(super) fn signature(l: &Labels, m: &VectorMatching, names: &[&str]) -> u64 {
    if m.on {
        l.hash_for_labels(names)
    } else {
        l.hash_without_labels(names)
    }
}

fn set_op(op: BinaryOp, lhs: Vector, rhs: Vector, m: &VectorMatching) -> Vector {
    let names: Vec<&str> = m.matching_labels.iter().map(String::as_str).collect();
    match op {
        BinaryOp::And => {
            if lhs.is_empty() || rhs.is_empty() {
                return Vec::new();
            }
            let right: HashSet<u64> = rhs
                .iter()
                .map(|s| signature(&s.metric, m, &names))
                .collect();
            lhs.into_iter()
                .filter(|s| right.contains(&signature(&s.metric, m, &names)))
                .collect()
        }
        BinaryOp::Unless => {
            if lhs.is_empty() || rhs.is_empty() {
                return lhs;
            }
            let right: HashSet<u64> = rhs
                .iter()
                .map(|s| signature(&s.metric, m, &names))
                .collect();
            lhs.into_iter()
                .filter(|s| !right.contains(&signature(&s.metric, m, &names)))
                .collect()
        }
        _ => {
            if lhs.is_empty() {
                return rhs;
            }
            let left: HashSet<u64> = lhs
                .iter()
                .map(|s| signature(&s.metric, m, &names))
                .collect();
            let mut out = lhs;
            out.extend(
                rhs.into_iter()
                    .filter(|s| !left.contains(&signature(&s.metric, m, &names))),
            );
            out
        }
    }
}

pub(super) fn result_metric(
    lhs: &Labels,
    rhs: &Labels,
    op: BinaryOp,
    m: &VectorMatching,
    names: &[&str],
    drop_name: bool,
) -> Labels {
    let mut b = LabelsBuilder::new();
    let drop_meta = drop_name || changes_schema(op);
    for l in lhs.iter() {
        if drop_meta && METADATA_LABELS.contains(&l.name) {
            continue;
        }
        if m.card == Cardinality::OneToOne && (m.on != names.contains(&l.name)) {
            continue;
        }
        b.push(l.name, l.value);
    }
    for n in &m.include {
        match rhs.get(n) {
            Some(v) => b.set(n, v),
            None => b.del(n),
        }
    }
    b.build()
}

#[allow(clippy::too_many_arguments)]
fn vector_binop(
    ev: &mut Evaluator<'_>,
    b: &BinaryExpr,
    lhs: Vector,
    rhs: Vector,
    m: &VectorMatching,
    pos: PosRange,
    delayed: bool,
) -> EResult<Vector> {
    let (fill_l, fill_r) = (m.fill_lhs, m.fill_rhs);
    if (lhs.is_empty() && rhs.is_empty())
        || ((lhs.is_empty() || rhs.is_empty()) && fill_l.is_none() && fill_r.is_none())
    {
        return Ok(Vec::new());
    }
    let names: Vec<&str> = m.matching_labels.iter().map(String::as_str).collect();
    let swapped = m.card == Cardinality::OneToMany;
    // `many` is the side whose series all appear in the result.
    let (many, one) = if swapped { (rhs, lhs) } else { (lhs, rhs) };
    // Prometheus applies the fill values after swapping the sides of a
    // `group_right` match: `fill_right` completes the "many" side's
    // partners, `fill_left` the unmatched "one" side.
    let (fill_many, fill_one) = (fill_l, fill_r);
    let mut one_by_sig: HashMap<u64, usize> = HashMap::with_capacity(one.len());
    for (i, s) in one.iter().enumerate() {
        let sig = signature(&s.metric, m, &names);
        if let Some(&j) = one_by_sig.get(&sig) {
            let side = if swapped { "left" } else { "right" };
            let matched = match_labels(&s.metric, m.on, &names);
            let (mut d1, mut d2) = (s.metric.to_string(), one[j].metric.to_string());
            if d1 > d2 {
                std::mem::swap(&mut d1, &mut d2);
            }
            return err(format!(
                "found duplicate series for the match group {matched} on the {side} hand-side of the operation: [{d1}, {d2}];many-to-many matching not allowed: matching labels must be unique on one side"
            ));
        }
        one_by_sig.insert(sig, i);
    }
    let mut st = MatchState {
        matched_one: HashSet::new(),
        matched_many: HashMap::new(),
        note: ElemNote {
            info: None,
            warn: None,
        },
        out: Vec::new(),
    };
    let cx = MatchCx {
        b,
        m,
        names: &names,
        delayed,
        swapped,
        pos,
    };
    for s in &many {
        let sig = signature(&s.metric, m, &names);
        match one_by_sig.get(&sig).and_then(|&i| one.get(i)) {
            Some(os) => apply(ev, &cx, &mut st, s, os, sig)?,
            None => {
                if let Some(fv) = fill_one {
                    let os = Sample {
                        metric: match_labels(&s.metric, m.on, &names),
                        t: 0,
                        f: fv,
                        h: None,
                        drop_name: false,
                    };
                    apply(ev, &cx, &mut st, s, &os, sig)?;
                }
            }
        }
    }
    if let Some(fv) = fill_many {
        for os in &one {
            let sig = signature(&os.metric, m, &names);
            let done = if m.card == Cardinality::OneToOne {
                st.matched_one.contains(&sig)
            } else {
                st.matched_many.get(&sig).is_some_and(|s| !s.is_empty())
            };
            if done {
                continue;
            }
            let ms = Sample {
                metric: match_labels(&os.metric, m.on, &names),
                t: 0,
                f: fv,
                h: None,
                drop_name: false,
            };
            apply(ev, &cx, &mut st, &ms, os, sig)?;
        }
    }
    Ok(st.out)
}

struct MatchState {
    matched_one: HashSet<u64>,
    matched_many: HashMap<u64, HashSet<Labels>>,
    note: ElemNote,
    out: Vector,
}

struct MatchCx<'a> {
    b: &'a BinaryExpr,
    m: &'a VectorMatching,
    names: &'a [&'a str],
    delayed: bool,
    swapped: bool,
    pos: PosRange,
}

/// Applies the operator to one matched pair (`ms` from the "many" side).
fn apply(
    ev: &mut Evaluator<'_>,
    cx: &MatchCx<'_>,
    st: &mut MatchState,
    ms: &Sample,
    os: &Sample,
    sig: u64,
) -> EResult<()> {
    let (b, m) = (cx.b, cx.m);
    let (l, r) = if cx.swapped { (os, ms) } else { (ms, os) };
    let e = elem_binop(b.op, l.f, &l.h, r.f, &r.h, &mut st.note);
    emit_note(ev, &mut st.note, cx.pos);
    let metric = result_metric(
        &ms.metric,
        &os.metric,
        b.op,
        m,
        cx.names,
        !cx.delayed && b.return_bool,
    );
    if m.card == Cardinality::OneToOne {
        if !st.matched_one.insert(sig) {
            return err(
                "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
            );
        }
    } else if !st
        .matched_many
        .entry(sig)
        .or_default()
        .insert(metric.clone())
    {
        return err("multiple matches for labels: grouping labels must ensure unique matches");
    }
    let (keep, f, h) = match e {
        Elem::Keep(f, h) => (true, f, h),
        Elem::Drop => (false, l.f, None),
        Elem::Skip => return Ok(()),
    };
    let (f, h) = if b.return_bool {
        (if keep { 1.0 } else { 0.0 }, None)
    } else if keep {
        (f, h)
    } else {
        return Ok(());
    };
    st.out.push(Sample {
        metric,
        t: 0,
        f,
        h,
        drop_name: b.return_bool,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_ops() {
        assert_eq!(scalar_binop(BinaryOp::Mod, 5.0, 3.0), 2.0);
        assert_eq!(scalar_binop(BinaryOp::Pow, 2.0, 10.0), 1024.0);
        assert_eq!(scalar_binop(BinaryOp::Gtr, 2.0, 1.0), 1.0);
        assert_eq!(scalar_binop(BinaryOp::Eql, f64::NAN, f64::NAN), 0.0);
    }

    #[test]
    fn one_to_one_result_labels() {
        let l = Labels::from_pairs(&[("__name__", "a"), ("x", "1"), ("y", "2")]);
        let m = VectorMatching {
            on: true,
            matching_labels: vec!["x".into()],
            ..Default::default()
        };
        let out = result_metric(&l, &l, BinaryOp::Add, &m, &["x"], false);
        assert_eq!(out, Labels::from_pairs(&[("x", "1")]));
        let m = VectorMatching::default();
        let out = result_metric(&l, &l, BinaryOp::Gtr, &m, &[], false);
        assert_eq!(out, l);
    }
}
