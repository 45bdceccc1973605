//! The evaluator core: every node is evaluated for all steps of the query
//! at once. An instant vector becomes one [`Vector`] per step, a scalar one
//! float per step; range vectors only exist as function arguments
//! ([`RangeInput`]) or as the top-level result of an instant query.
//!
//! Selectors read storage once for the whole query range and then walk the
//! steps, so a range query costs one `select` per selector.

use std::sync::Arc;

use vigil_model::Labels;

use super::labels::{FastMap, FastSet};
use super::selector::window_slices;

use super::annotations::Annotations;
use super::{EngineOptions, QueryError, QueryResult};
use crate::ast::{AtModifier, DurationOp, Expr, UnaryOp};
use crate::storage::Queryable;
use crate::value::{FPoint, HPoint, Matrix, Sample, Series, Value, Vector};

/// Result of evaluating an expression over all steps.
#[derive(Debug)]
pub(crate) enum Val {
    /// One float per step.
    Scalar(Vec<f64>),
    /// A string literal.
    String(String),
    /// One vector per step.
    Vector(Vec<Vector>),
    /// An instant vector over all steps, series-major: each series' points
    /// are at step times. Cheaper than [`Val::Vector`] (labels are held
    /// once per series), produced by selectors and range functions.
    Series(Matrix),
    /// A range vector (top level of an instant query only).
    Matrix(Matrix),
}

/// The steps an expression is evaluated at: `start..=end` by `step`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Range {
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) step: i64,
}

impl Range {
    /// Number of steps.
    pub(crate) fn len(&self) -> usize {
        if self.end < self.start || self.step <= 0 {
            return 0;
        }
        let n = (self.end as i128 - self.start as i128) / self.step as i128 + 1;
        usize::try_from(n).unwrap_or(usize::MAX)
    }

    /// Timestamp of step `i`.
    pub(crate) fn ts(&self, i: usize) -> i64 {
        self.start
            .saturating_add((i as i64).saturating_mul(self.step))
    }

    /// The last step's timestamp.
    pub(crate) fn last(&self) -> i64 {
        self.ts(self.len().saturating_sub(1))
    }
}

/// Evaluation state of one query.
pub(crate) struct Evaluator<'a> {
    pub(crate) opts: &'a EngineOptions,
    pub(crate) storage: &'a dyn Queryable,
    pub(crate) query: &'a str,
    pub(crate) q_start: i64,
    pub(crate) q_end: i64,
    /// Query step (0 for instant queries), for `step()`.
    pub(crate) q_step: i64,
    pub(crate) annos: Annotations,
    /// Samples currently held, for `max_samples`.
    samples: usize,
    /// Most samples held at once, and all ever accounted (stats).
    peak_samples: usize,
    total_samples: u64,
    /// When the query must stop, and who may cancel it.
    deadline: Option<std::time::Instant>,
    ctl: &'a crate::engine::QueryControl,
    /// Selectors feed only `histogram_count/sum/avg`: histograms lose
    /// their buckets and get counter-reset hints from comparing
    /// consecutive samples (Prometheus' `HistogramStatsIterator`).
    pub(crate) stats_decoding: bool,
    /// The innermost function or aggregation around the node being
    /// evaluated (none past a binary operator): Prometheus' `Func` select
    /// hint, which lets storage skip work (e.g. only series for `count`).
    pub(crate) hint_func: Option<&'static str>,
    /// An aggregation waiting for its range-function argument's series
    /// (see `agg_stream.rs`); taken by the first range function reached.
    pub(crate) agg_sink: Option<Box<super::agg_stream::StreamAgg>>,
}

pub(crate) type EResult<T> = Result<T, QueryError>;

/// An evaluation error with Prometheus' text.
pub(crate) fn err<T>(msg: impl Into<String>) -> EResult<T> {
    Err(QueryError::Eval(msg.into()))
}

const TOO_MANY_SAMPLES: &str =
    "query processing would load too many samples into memory in query execution";

/// Runs a parsed query and shapes the result as the API returns it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    opts: &EngineOptions,
    storage: &dyn Queryable,
    query: &str,
    expr: &Expr,
    start: i64,
    end: i64,
    step: i64,
    ctl: &crate::engine::QueryControl,
) -> Result<QueryResult, QueryError> {
    let began = std::time::Instant::now();
    let mut ev = Evaluator {
        peak_samples: 0,
        total_samples: 0,
        deadline: opts.timeout.and_then(|t| began.checked_add(t)),
        ctl,
        opts,
        storage,
        query,
        q_start: start,
        q_end: end,
        q_step: step,
        annos: Annotations::default(),
        samples: 0,
        stats_decoding: false,
        hint_func: None,
        agg_sink: None,
    };
    let r = Range {
        start,
        end,
        step: step.max(1),
    };
    let val = ev.eval(expr, r)?;
    let value = if step == 0 {
        match val {
            Val::Scalar(v) => Value::Scalar {
                t: start,
                v: v.first().copied().unwrap_or(f64::NAN),
            },
            Val::String(s) => Value::String { t: start, s },
            Val::Series(m) => {
                let mut v = series_to_steps(m, r).pop().unwrap_or_default();
                for s in &mut v {
                    s.t = start;
                }
                Value::Vector(ev.cleanup_vector(v)?)
            }
            Val::Vector(mut steps) => {
                let mut v = steps.pop().unwrap_or_default();
                for s in &mut v {
                    s.t = start;
                }
                Value::Vector(ev.cleanup_vector(v)?)
            }
            Val::Matrix(m) => Value::Matrix(ev.cleanup_matrix(m)?),
        }
    } else {
        let m = match val {
            Val::Scalar(v) => vec![Series {
                metric: Labels::empty(),
                floats: v
                    .iter()
                    .enumerate()
                    .map(|(i, f)| FPoint { t: r.ts(i), f: *f })
                    .collect(),
                ..Default::default()
            }],
            Val::Vector(steps) => steps_to_matrix(steps, r),
            Val::Series(m) => m,
            _ => return err("invalid expression type for range query"),
        };
        let mut m = ev.cleanup_matrix(m)?;
        m.sort_by(|a, b| a.metric.cmp(&b.metric));
        Value::Matrix(m)
    };
    let Annotations {
        warnings, infos, ..
    } = ev.annos;
    Ok(QueryResult {
        value,
        warnings,
        infos,
        stats: crate::engine::QueryStats {
            total_samples: ev.total_samples,
            peak_samples: ev.peak_samples as u64,
            eval_seconds: began.elapsed().as_secs_f64(),
        },
    })
}

/// Functions whose value depends on the evaluation time even when their
/// arguments do not (Prometheus' `AtModifierUnsafeFunctions`).
const TIME_DEPENDENT: [&str; 15] = [
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "end",
    "hour",
    "minute",
    "month",
    "year",
    "predict_linear",
    "range",
    "start",
    "step",
    "time",
    "timestamp",
];

/// Whether `e` has the same value at every step (Prometheus'
/// step-invariance rules: `@` pins selectors and subqueries).
pub(crate) fn step_invariant(e: &Expr) -> bool {
    match e {
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => true,
        Expr::VectorSelector(vs) => vs.at.is_some(),
        Expr::MatrixSelector(ms) => step_invariant(&ms.vector),
        Expr::Subquery(sq) => sq.at.is_some(),
        Expr::Paren(p) => step_invariant(&p.expr),
        Expr::Unary(u) => step_invariant(&u.expr),
        Expr::Aggregate(a) => step_invariant(&a.expr),
        Expr::Binary(b) => step_invariant(&b.lhs) && step_invariant(&b.rhs),
        Expr::Call(c) => {
            let args = c.args.iter().all(step_invariant);
            let timestamp_of_pinned = c.func.name == "timestamp"
                && c.args
                    .iter()
                    .all(|a| matches!(super::functions::unparen(a), Expr::VectorSelector(vs) if vs.at.is_some()));
            (args && !TIME_DEPENDENT.contains(&c.func.name)) || timestamp_of_pinned
        }
        Expr::Duration(_) => false,
    }
}

/// Whether evaluating `e` once and copying beats evaluating every step.
fn worth_once(e: &Expr) -> bool {
    !matches!(
        e,
        Expr::NumberLiteral(_)
            | Expr::StringLiteral(_)
            | Expr::MatrixSelector(_)
            | Expr::Subquery(_)
            | Expr::Duration(_)
    )
}

/// Copies a one-step value to every step of `r`.
fn replicate(v: Val, r: Range) -> Val {
    let n = r.len();
    match v {
        Val::Scalar(s) => Val::Scalar(vec![s.first().copied().unwrap_or(f64::NAN); n]),
        Val::Vector(mut steps) => {
            let first = steps.pop().unwrap_or_default();
            Val::Vector(
                (0..n)
                    .map(|i| {
                        let ts = r.ts(i);
                        first
                            .iter()
                            .map(|s| Sample { t: ts, ..s.clone() })
                            .collect()
                    })
                    .collect(),
            )
        }
        Val::Series(m) => Val::Series(
            m.into_iter()
                .map(|mut s| {
                    if let Some(p) = s.floats.first().copied() {
                        s.floats = (0..n).map(|i| FPoint { t: r.ts(i), f: p.f }).collect();
                    }
                    if let Some(p) = s.histograms.first().cloned() {
                        s.histograms = (0..n)
                            .map(|i| HPoint {
                                t: r.ts(i),
                                h: p.h.clone(),
                            })
                            .collect();
                    }
                    s
                })
                .collect(),
        ),
        other => other,
    }
}

/// Marks (delayed mode) or removes the metric name of a whole series.
pub(crate) fn mark_series_drop_name(s: &mut Series, delayed: bool) {
    if delayed {
        s.drop_name = true;
    } else {
        s.metric = super::labels::drop_metric_name(&s.metric);
    }
}

/// Splits series-major values into one vector per step.
pub(crate) fn series_to_steps(m: Matrix, r: Range) -> Vec<Vector> {
    let n = r.len();
    let mut out: Vec<Vector> = (0..n).map(|_| Vec::new()).collect();
    let step_of = |t: i64| usize::try_from((t - r.start) / r.step).ok();
    for s in m {
        for p in s.floats {
            if let Some(v) = step_of(p.t).and_then(|i| out.get_mut(i)) {
                v.push(Sample {
                    metric: s.metric.clone(),
                    t: p.t,
                    f: p.f,
                    h: None,
                    drop_name: s.drop_name,
                });
            }
        }
        for p in s.histograms {
            if let Some(v) = step_of(p.t).and_then(|i| out.get_mut(i)) {
                v.push(Sample {
                    metric: s.metric.clone(),
                    t: p.t,
                    f: 0.0,
                    h: Some(p.h),
                    drop_name: s.drop_name,
                });
            }
        }
    }
    out
}

/// Groups per-step vectors into series (first-seen order), stamping each
/// point with its step's time.
pub(crate) fn steps_to_matrix(steps: Vec<Vector>, r: Range) -> Matrix {
    let mut index: FastMap<Labels, usize> = FastMap::default();
    let mut out: Matrix = Vec::new();
    for (i, v) in steps.into_iter().enumerate() {
        let ts = r.ts(i);
        for s in v {
            let idx = match index.get(&s.metric) {
                Some(i) => *i,
                None => {
                    index.insert(s.metric.clone(), out.len());
                    out.push(Series {
                        metric: s.metric,
                        drop_name: s.drop_name,
                        ..Default::default()
                    });
                    out.len() - 1
                }
            };
            if let Some(series) = out.get_mut(idx) {
                match s.h {
                    Some(h) => series.histograms.push(HPoint { t: ts, h }),
                    None => series.floats.push(FPoint { t: ts, f: s.f }),
                }
            }
        }
    }
    out
}

impl Evaluator<'_> {
    /// Removes names marked for removal and rejects duplicate label sets.
    fn cleanup_vector(&mut self, mut v: Vector) -> EResult<Vector> {
        for s in &mut v {
            if s.drop_name {
                s.metric = super::labels::drop_metric_name(&s.metric);
                s.drop_name = false;
            }
        }
        check_unique(&v)?;
        Ok(v)
    }

    fn cleanup_matrix(&mut self, m: Matrix) -> EResult<Matrix> {
        let mut index: FastMap<Labels, usize> = FastMap::default();
        let mut out: Matrix = Vec::with_capacity(m.len());
        let mut merged = false;
        for mut s in m {
            if s.drop_name {
                s.metric = super::labels::drop_metric_name(&s.metric);
                s.drop_name = false;
            }
            match index.get(&s.metric) {
                Some(&i) => {
                    merged = true;
                    if let Some(t) = out.get_mut(i) {
                        t.floats.extend(s.floats);
                        t.histograms.extend(s.histograms);
                    }
                }
                None => {
                    index.insert(s.metric.clone(), out.len());
                    out.push(s);
                }
            }
        }
        if merged {
            for s in &mut out {
                s.floats.sort_by_key(|p| p.t);
                s.histograms.sort_by_key(|p| p.t);
                let dup_f = s.floats.windows(2).any(|w| w[0].t == w[1].t);
                let dup_h = s.histograms.windows(2).any(|w| w[0].t == w[1].t);
                let ft: FastSet<i64> = s.floats.iter().map(|p| p.t).collect();
                let cross = s.histograms.iter().any(|p| ft.contains(&p.t));
                if dup_f || dup_h || cross {
                    return err("vector cannot contain metrics with the same labelset");
                }
            }
        }
        Ok(out)
    }

    /// Accounts for `n` more samples held; errors past `max_samples`.
    pub(crate) fn add_samples(&mut self, n: usize) -> EResult<()> {
        self.samples += n;
        self.total_samples += n as u64;
        self.peak_samples = self.peak_samples.max(self.samples);
        if self.samples > self.opts.max_samples {
            return err(TOO_MANY_SAMPLES);
        }
        self.check_limits()
    }

    /// Gives back `n` samples accounted by [`Evaluator::add_samples`] that
    /// are no longer held (a series streamed into an aggregation).
    pub(crate) fn release_samples(&mut self, n: usize) {
        self.samples = self.samples.saturating_sub(n);
    }

    /// Stops the query when it was canceled or ran out of time.
    pub(crate) fn check_limits(&self) -> EResult<()> {
        if self.ctl.is_canceled() {
            return Err(QueryError::Canceled);
        }
        if self.deadline.is_some_and(|d| std::time::Instant::now() > d) {
            return Err(QueryError::Timeout);
        }
        Ok(())
    }

    /// Evaluates `e` at every step of `r`.
    pub(crate) fn eval(&mut self, e: &Expr, r: Range) -> EResult<Val> {
        // Every node holds at least one value per step: refuse before
        // allocating for a range that could never fit.
        if r.len() > self.opts.max_samples {
            return err(TOO_MANY_SAMPLES);
        }
        self.check_limits()?;
        let held = self.samples;
        let v = if r.len() > 1 && worth_once(e) && step_invariant(e) {
            // Same value at every step (`@`-pinned): evaluate once.
            let once = Range {
                start: r.start,
                end: r.start,
                step: r.step,
            };
            let v = self.eval_inner(e, once)?;
            replicate(v, r)
        } else {
            self.eval_inner(e, r)?
        };
        // Children's samples are released once their parent has its value.
        self.samples = held;
        let n = match &v {
            Val::Scalar(s) => s.len(),
            Val::String(_) => 0,
            Val::Vector(steps) => steps.iter().map(Vec::len).sum(),
            Val::Series(m) => m.iter().map(|s| s.floats.len() + s.histograms.len()).sum(),
            Val::Matrix(m) => m.iter().map(|s| s.floats.len() + s.histograms.len()).sum(),
        };
        self.add_samples(n)?;
        Ok(v)
    }

    fn eval_inner(&mut self, e: &Expr, r: Range) -> EResult<Val> {
        match e {
            Expr::NumberLiteral(n) => Ok(Val::Scalar(vec![n.val; r.len()])),
            Expr::StringLiteral(s) => Ok(Val::String(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr, r),
            Expr::Duration(_) => {
                let secs = self.duration_secs(e)?;
                Ok(Val::Scalar(vec![secs; r.len()]))
            }
            Expr::Unary(u) => {
                let v = self.eval(&u.expr, r)?;
                if u.op == UnaryOp::Add {
                    return Ok(v);
                }
                Ok(match v {
                    Val::Scalar(s) => Val::Scalar(s.into_iter().map(|f| -f).collect()),
                    Val::Vector(mut steps) => {
                        let delayed = self.opts.enable_delayed_name_removal;
                        for (i, v) in steps.iter_mut().enumerate() {
                            for s in v.iter_mut() {
                                s.t = r.ts(i);
                                s.f = -s.f;
                                if let Some(h) = &s.h {
                                    let mut h2 = (**h).clone();
                                    h2.mul(-1.0);
                                    s.h = Some(Arc::new(h2));
                                }
                                self.mark_drop_name(s, delayed);
                            }
                        }
                        Val::Vector(steps)
                    }
                    Val::Series(mut m) => {
                        let delayed = self.opts.enable_delayed_name_removal;
                        for s in &mut m {
                            s.floats.iter_mut().for_each(|p| p.f = -p.f);
                            for p in &mut s.histograms {
                                let mut h2 = (*p.h).clone();
                                h2.mul(-1.0);
                                p.h = Arc::new(h2);
                            }
                            mark_series_drop_name(s, delayed);
                        }
                        Val::Series(m)
                    }
                    other => other,
                })
            }
            Expr::VectorSelector(vs) => Ok(Val::Series(self.vector_selector(vs, r, false)?)),
            Expr::MatrixSelector(_) | Expr::Subquery(_) => {
                let input = self.range_input(e, r)?;
                let (lo, hi) = input.window(r.start);
                let (slo, shi) = input.slice_bounds(r.start);
                let mut out = Vec::new();
                for s in &input.series {
                    let (f, h) = window_slices(s, slo, shi);
                    if f.is_empty() && h.is_empty() {
                        continue;
                    }
                    let floats = if input.anchored || input.smoothed {
                        if !h.is_empty() {
                            let which = if input.smoothed {
                                "smoothed"
                            } else {
                                "anchored"
                            };
                            return err(format!(
                                "{which} modifier is not supported with histograms"
                            ));
                        }
                        let ext = super::functions::extend_floats(f, lo, hi, input.smoothed);
                        if ext.is_empty() {
                            continue;
                        }
                        ext
                    } else {
                        f.to_vec()
                    };
                    out.push(Series {
                        metric: s.metric.clone(),
                        floats,
                        histograms: h.to_vec(),
                        drop_name: s.drop_name,
                    });
                }
                Ok(Val::Matrix(out))
            }
            Expr::Call(c) => super::functions::call(self, c, r),
            Expr::Aggregate(a) => super::aggregate::eval(self, a, r),
            Expr::Binary(b) => super::binary::eval(self, b, r),
        }
    }

    /// Marks (delayed mode) or removes the metric name of `s`.
    pub(crate) fn mark_drop_name(&self, s: &mut Sample, delayed: bool) {
        if delayed {
            s.drop_name = true;
        } else {
            s.metric = super::labels::drop_metric_name(&s.metric);
        }
    }

    /// Evaluates `e` and expects a scalar.
    pub(crate) fn eval_scalar(&mut self, e: &Expr, r: Range) -> EResult<Vec<f64>> {
        match self.eval(e, r)? {
            Val::Scalar(v) => Ok(v),
            _ => err("expected scalar"),
        }
    }

    /// Evaluates `e` and expects an instant vector.
    pub(crate) fn eval_vector(&mut self, e: &Expr, r: Range) -> EResult<Vec<Vector>> {
        match self.eval(e, r)? {
            Val::Vector(v) => Ok(v),
            Val::Series(m) => Ok(series_to_steps(m, r)),
            Val::Scalar(v) => Ok(v
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
                .collect()),
            _ => err("expected instant vector"),
        }
    }

    /// Time of an `@` modifier.
    pub(crate) fn at_time(&self, at: Option<AtModifier>) -> Option<i64> {
        at.map(|a| match a {
            AtModifier::Timestamp(t) => t,
            AtModifier::Start => self.q_start,
            AtModifier::End => self.q_end,
        })
    }

    /// Value of a duration expression, in seconds.
    fn duration_secs(&self, e: &Expr) -> EResult<f64> {
        match e {
            Expr::NumberLiteral(n) => Ok(n.val),
            Expr::Paren(p) => self.duration_secs(&p.expr),
            Expr::Unary(u) => {
                let v = self.duration_secs(&u.expr)?;
                Ok(if u.op == UnaryOp::Sub { -v } else { v })
            }
            Expr::Duration(d) => {
                let lhs = match &d.lhs {
                    Some(l) => Some(self.duration_secs(l)?),
                    None => None,
                };
                let rhs = match &d.rhs {
                    Some(r) => self.duration_secs(r)?,
                    None => 0.0,
                };
                let pos = format!("{}:{}", d.pos.start, d.pos.end);
                Ok(match d.op {
                    DurationOp::Step => self.q_step as f64 / 1000.0,
                    DurationOp::Range => (self.q_end - self.q_start) as f64 / 1000.0,
                    DurationOp::MinOf => lhs.unwrap_or(0.0).min(rhs),
                    DurationOp::MaxOf => lhs.unwrap_or(0.0).max(rhs),
                    DurationOp::Add => lhs.unwrap_or(0.0) + rhs,
                    DurationOp::Sub => match lhs {
                        Some(l) => l - rhs,
                        None => -rhs,
                    },
                    DurationOp::Mul => lhs.unwrap_or(0.0) * rhs,
                    DurationOp::Div => {
                        if rhs == 0.0 {
                            return err(format!("{pos}: division by zero"));
                        }
                        lhs.unwrap_or(0.0) / rhs
                    }
                    DurationOp::Mod => {
                        if rhs == 0.0 {
                            return err(format!("{pos}: modulo by zero"));
                        }
                        lhs.unwrap_or(0.0) % rhs
                    }
                    DurationOp::Pow => lhs.unwrap_or(0.0).powf(rhs),
                })
            }
            _ => err("unexpected duration expression"),
        }
    }

    /// A duration in ms: the literal (ns in the AST) or the expression.
    pub(crate) fn duration_ms(
        &self,
        ns: i64,
        expr: Option<&Expr>,
        allow_negative: bool,
    ) -> EResult<i64> {
        let Some(e) = expr else {
            return Ok(ns / 1_000_000);
        };
        let d = self.duration_secs(e)?;
        let p = e.pos();
        if d.is_nan() || d.is_infinite() {
            return err(format!(
                "{}:{}: duration is NaN or infinite",
                p.start, p.end
            ));
        }
        if d <= 0.0 && !allow_negative {
            return err(format!(
                "{}:{}: duration must be greater than 0",
                p.start, p.end
            ));
        }
        if d.abs() > 9_223_372_036.854_775 {
            return err(format!("{}:{}: duration is out of range", p.start, p.end));
        }
        Ok((d * 1000.0) as i64)
    }
}

/// Errors if two samples share a label set.
pub(crate) fn check_unique(v: &Vector) -> EResult<()> {
    if v.len() < 2 {
        return Ok(());
    }
    let mut seen: super::labels::FastSet<&Labels> = FastSet::default();
    for s in v {
        if !seen.insert(&s.metric) {
            return err("vector cannot contain metrics with the same labelset");
        }
    }
    Ok(())
}
