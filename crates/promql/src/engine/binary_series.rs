//! Vector/vector binary operators on series-major operands: signatures,
//! result labels and output series are computed once per series (or per
//! matched pair), and each step only looks up ordinals, so no label set is
//! hashed or copied per step. Semantics are those of `binary.rs`'s
//! step-by-step implementation.

use std::sync::Arc;

use vigil_model::{FloatHistogram, Labels};

use super::binary::{Elem, ElemNote, elem_binop, emit_note, result_metric, signature};
use super::eval::{EResult, Evaluator, Range, err};
use super::labels::{FastMap, match_labels};
use crate::ast::{BinaryExpr, BinaryOp, Cardinality, PosRange, VectorMatching};
use crate::value::{FPoint, HPoint, Matrix, Series};

/// Cursor over one series' points in step order.
#[derive(Clone, Copy, Default)]
struct Cursor {
    f: usize,
    h: usize,
}

type Value<'a> = (f64, Option<&'a Arc<FloatHistogram>>);

impl Cursor {
    /// The series' value at `ts`, advancing past it.
    fn at<'a>(&mut self, s: &'a Series, ts: i64) -> Option<Value<'a>> {
        if let Some(p) = s.floats.get(self.f).filter(|p| p.t == ts) {
            self.f += 1;
            return Some((p.f, None));
        }
        if let Some(p) = s.histograms.get(self.h).filter(|p| p.t == ts) {
            self.h += 1;
            return Some((0.0, Some(&p.h)));
        }
        None
    }
}

/// Assigns each signature a dense ordinal.
fn ordinals(sides: [&Matrix; 2], m: &VectorMatching, names: &[&str]) -> [Vec<usize>; 2] {
    let mut ords: FastMap<u64, usize> = FastMap::default();
    sides.map(|side| {
        side.iter()
            .map(|s| {
                let n = ords.len();
                *ords.entry(signature(&s.metric, m, names)).or_insert(n)
            })
            .collect()
    })
}

/// `and`, `or`, `unless` on series-major operands.
pub(crate) fn set_op(
    op: BinaryOp,
    lhs: Matrix,
    rhs: Matrix,
    m: &VectorMatching,
    r: Range,
) -> Matrix {
    let names: Vec<&str> = m.matching_labels.iter().map(String::as_str).collect();
    let [lo, ro] = ordinals([&lhs, &rhs], m, &names);
    let n_ord = lo.iter().chain(&ro).max().map_or(0, |x| x + 1);
    let mut stamp = vec![usize::MAX; n_ord];
    let mut lcur = vec![Cursor::default(); lhs.len()];
    let mut rcur = vec![Cursor::default(); rhs.len()];
    let mut lout: Vec<Series> = lhs.iter().map(empty_like).collect();
    let mut rout: Vec<Series> = rhs.iter().map(empty_like).collect();
    for i in 0..r.len() {
        let ts = r.ts(i);
        let lvals: Vec<Option<Value<'_>>> = lhs
            .iter()
            .zip(lcur.iter_mut())
            .map(|(s, c)| c.at(s, ts))
            .collect();
        let rvals: Vec<Option<Value<'_>>> = rhs
            .iter()
            .zip(rcur.iter_mut())
            .map(|(s, c)| c.at(s, ts))
            .collect();
        let any_l = lvals.iter().any(Option::is_some);
        let any_r = rvals.iter().any(Option::is_some);
        // Mark the signatures present on the side being looked up.
        let (marks, vals) = if op == BinaryOp::Or {
            (&lo, &lvals)
        } else {
            (&ro, &rvals)
        };
        for (k, v) in vals.iter().enumerate() {
            if let (Some(_), Some(&o)) = (v, marks.get(k)) {
                if let Some(x) = stamp.get_mut(o) {
                    *x = i;
                }
            }
        }
        let seen = |o: usize| stamp.get(o).is_some_and(|x| *x == i);
        for (k, v) in lvals.iter().enumerate() {
            let Some(v) = v else { continue };
            let o = lo.get(k).copied().unwrap_or(0);
            let keep = match op {
                BinaryOp::And => any_r && seen(o),
                BinaryOp::Unless => !any_r || !seen(o),
                _ => true,
            };
            if keep {
                if let Some(s) = lout.get_mut(k) {
                    push(s, ts, *v);
                }
            }
        }
        if op == BinaryOp::Or {
            for (k, v) in rvals.iter().enumerate() {
                let Some(v) = v else { continue };
                let o = ro.get(k).copied().unwrap_or(0);
                if !any_l || !seen(o) {
                    if let Some(s) = rout.get_mut(k) {
                        push(s, ts, *v);
                    }
                }
            }
        }
    }
    lout.into_iter()
        .chain(rout)
        .filter(|s| !s.floats.is_empty() || !s.histograms.is_empty())
        .collect()
}

fn empty_like(s: &Series) -> Series {
    Series {
        metric: s.metric.clone(),
        drop_name: s.drop_name,
        ..Default::default()
    }
}

fn push(s: &mut Series, t: i64, v: Value<'_>) {
    match v.1 {
        Some(h) => s.histograms.push(HPoint { t, h: h.clone() }),
        None => s.floats.push(FPoint { t, f: v.0 }),
    }
}

/// Index standing for a fill value instead of a series.
const FILL: usize = usize::MAX;

/// Arithmetic and comparison operators on series-major operands.
pub(crate) fn binop(
    ev: &mut Evaluator<'_>,
    b: &BinaryExpr,
    lhs: Matrix,
    rhs: Matrix,
    m: &VectorMatching,
    pos: PosRange,
    r: Range,
) -> EResult<Matrix> {
    let delayed = ev.opts.enable_delayed_name_removal;
    let names: Vec<&str> = m.matching_labels.iter().map(String::as_str).collect();
    let swapped = m.card == Cardinality::OneToMany;
    let (many, one) = if swapped { (rhs, lhs) } else { (lhs, rhs) };
    let (fill_many, fill_one) = (m.fill_lhs, m.fill_rhs);
    let [mo, oo] = ordinals([&many, &one], m, &names);
    let n_ord = mo.iter().chain(&oo).max().map_or(0, |x| x + 1);
    // Per signature ordinal: the step it was last seen on the "one" side,
    // and by which series; the step it was last matched.
    let mut one_stamp = vec![usize::MAX; n_ord];
    let mut one_idx = vec![0usize; n_ord];
    let mut matched = vec![usize::MAX; n_ord];
    let mut mcur = vec![Cursor::default(); many.len()];
    let mut ocur = vec![Cursor::default(); one.len()];
    // Output series by result labels, and the pair -> output cache.
    let mut out: Vec<Series> = Vec::new();
    let mut out_stamp: Vec<usize> = Vec::new();
    let mut by_labels: FastMap<Labels, usize> = FastMap::default();
    let mut pairs: FastMap<(usize, usize), usize> = FastMap::default();
    let mut last = vec![(FILL - 1, 0usize); many.len()];
    let mut note = ElemNote::default();
    for i in 0..r.len() {
        let ts = r.ts(i);
        let ovals: Vec<Option<Value<'_>>> = one
            .iter()
            .zip(ocur.iter_mut())
            .map(|(s, c)| c.at(s, ts))
            .collect();
        let mvals: Vec<Option<Value<'_>>> = many
            .iter()
            .zip(mcur.iter_mut())
            .map(|(s, c)| c.at(s, ts))
            .collect();
        let any_o = ovals.iter().any(Option::is_some);
        let any_m = mvals.iter().any(Option::is_some);
        if !any_o && !any_m || ((!any_o || !any_m) && fill_many.is_none() && fill_one.is_none()) {
            continue;
        }
        for (j, v) in ovals.iter().enumerate() {
            if v.is_none() {
                continue;
            }
            let o = oo.get(j).copied().unwrap_or(0);
            if one_stamp.get(o) == Some(&i) {
                let k = one_idx.get(o).copied().unwrap_or(0);
                let side = if swapped { "left" } else { "right" };
                let (a, c) = (&one[j].metric, &one[k].metric);
                let matched_l = match_labels(a, m.on, &names);
                let (mut d1, mut d2) = (a.to_string(), c.to_string());
                if d1 > d2 {
                    std::mem::swap(&mut d1, &mut d2);
                }
                return err(format!(
                    "found duplicate series for the match group {matched_l} on the {side} hand-side of the operation: [{d1}, {d2}];many-to-many matching not allowed: matching labels must be unique on one side"
                ));
            }
            one_stamp[o] = i;
            one_idx[o] = j;
        }
        let mut cx = PairCx {
            ev: &mut *ev,
            b,
            m,
            names: &names,
            delayed,
            swapped,
            pos,
            many: &many,
            one: &one,
            out: &mut out,
            out_stamp: &mut out_stamp,
            by_labels: &mut by_labels,
            pairs: &mut pairs,
            last: &mut last,
            note: &mut note,
            step: i,
            ts,
        };
        for (k, v) in mvals.iter().enumerate() {
            let Some(mv) = v else { continue };
            let o = mo.get(k).copied().unwrap_or(0);
            if one_stamp.get(o) == Some(&i) {
                let j = one_idx[o];
                let Some(ov) = ovals.get(j).copied().flatten() else {
                    continue;
                };
                cx.apply(k, *mv, j, ov, o, &mut matched)?;
            } else if let Some(fv) = fill_one {
                cx.apply(k, *mv, FILL, (fv, None), o, &mut matched)?;
            }
        }
        if let Some(fv) = fill_many {
            for (j, v) in ovals.iter().enumerate() {
                let Some(ov) = v else { continue };
                let o = oo.get(j).copied().unwrap_or(0);
                if matched.get(o) == Some(&i) {
                    continue;
                }
                cx.apply(FILL, (fv, None), j, *ov, o, &mut matched)?;
            }
        }
    }
    Ok(out
        .into_iter()
        .filter(|s| !s.floats.is_empty() || !s.histograms.is_empty())
        .collect())
}

/// What applying the operator to one pair needs.
struct PairCx<'c, 'e, 'a> {
    ev: &'c mut Evaluator<'e>,
    b: &'c BinaryExpr,
    m: &'c VectorMatching,
    names: &'c [&'c str],
    delayed: bool,
    swapped: bool,
    pos: PosRange,
    many: &'a Matrix,
    one: &'a Matrix,
    out: &'c mut Vec<Series>,
    out_stamp: &'c mut Vec<usize>,
    by_labels: &'c mut FastMap<Labels, usize>,
    pairs: &'c mut FastMap<(usize, usize), usize>,
    /// Per "many" series: its last partner and their output series.
    last: &'c mut Vec<(usize, usize)>,
    note: &'c mut ElemNote,
    step: usize,
    ts: i64,
}

impl PairCx<'_, '_, '_> {
    /// The output series of the pair `(many, one)` (either may be `FILL`).
    fn output(&mut self, mi: usize, oi: usize) -> usize {
        // A series usually keeps its partner from step to step.
        if let Some(&(o, x)) = self.last.get(mi) {
            if o == oi {
                return x;
            }
        }
        if let Some(&x) = self.pairs.get(&(mi, oi)) {
            if let Some(l) = self.last.get_mut(mi) {
                *l = (oi, x);
            }
            return x;
        }
        let (ml, ol) = match (self.many.get(mi), self.one.get(oi)) {
            (Some(ms), Some(os)) => (ms.metric.clone(), os.metric.clone()),
            (Some(ms), None) => (
                ms.metric.clone(),
                match_labels(&ms.metric, self.m.on, self.names),
            ),
            (None, Some(os)) => (
                match_labels(&os.metric, self.m.on, self.names),
                os.metric.clone(),
            ),
            (None, None) => (Labels::empty(), Labels::empty()),
        };
        let metric = result_metric(
            &ml,
            &ol,
            self.b.op,
            self.m,
            self.names,
            !self.delayed && self.b.return_bool,
        );
        let idx = match self.by_labels.get(&metric) {
            Some(&x) => x,
            None => {
                self.by_labels.insert(metric.clone(), self.out.len());
                self.out.push(Series {
                    metric,
                    drop_name: self.b.return_bool,
                    ..Default::default()
                });
                self.out_stamp.push(usize::MAX);
                self.out.len() - 1
            }
        };
        self.pairs.insert((mi, oi), idx);
        if let Some(l) = self.last.get_mut(mi) {
            *l = (oi, idx);
        }
        idx
    }

    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        mi: usize,
        mv: Value<'_>,
        oi: usize,
        ov: Value<'_>,
        ord: usize,
        matched: &mut [usize],
    ) -> EResult<()> {
        let ((lf, lh), (rf, rh)) = if self.swapped { (ov, mv) } else { (mv, ov) };
        let (lh, rh) = (lh.cloned(), rh.cloned());
        let e = elem_binop(self.b.op, lf, &lh, rf, &rh, self.note);
        emit_note(self.ev, self.note, self.pos);
        let res = self.output(mi, oi);
        if self.m.card == Cardinality::OneToOne {
            if matched.get(ord) == Some(&self.step) {
                return err(
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
                );
            }
        } else if self.out_stamp.get(res) == Some(&self.step) {
            return err("multiple matches for labels: grouping labels must ensure unique matches");
        }
        if let Some(x) = matched.get_mut(ord) {
            *x = self.step;
        }
        if let Some(x) = self.out_stamp.get_mut(res) {
            *x = self.step;
        }
        let (keep, f, h) = match e {
            Elem::Keep(f, h) => (true, f, h),
            Elem::Drop => (false, lf, None),
            Elem::Skip => return Ok(()),
        };
        let (f, h) = if self.b.return_bool {
            (if keep { 1.0 } else { 0.0 }, None)
        } else if keep {
            (f, h)
        } else {
            return Ok(());
        };
        if let Some(s) = self.out.get_mut(res) {
            match h {
                Some(h) => s.histograms.push(HPoint { t: self.ts, h }),
                None => s.floats.push(FPoint { t: self.ts, f }),
            }
        }
        Ok(())
    }
}
