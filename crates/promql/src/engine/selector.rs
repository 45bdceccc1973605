//! Selectors: instant vector selectors (with lookback, staleness,
//! `offset`, `@`, `smoothed`), and range-vector arguments (matrix selectors
//! with `anchored`/`smoothed`, and subqueries aligned to their step).
//! Storage is read once per selector for the whole query range.

use std::sync::Arc;

use vigil_model::{CounterResetHint, Labels, is_stale_nan};

use super::eval::{EResult, Evaluator, Range, Val, err, steps_to_matrix};
use crate::ast::{Expr, VectorSelector};
use crate::storage::SelectHints;
use crate::value::{FPoint, HPoint, Matrix, Sample, Series, Vector};

/// The series of a range-vector argument, one at a time, each with its
/// samples' start timestamps (empty lists when unknown).
pub(crate) type InputStream<'s> =
    Box<dyn Iterator<Item = EResult<(Series, crate::storage::StartTimes)>> + 's>;

/// A range-vector argument: series plus how to cut each step's window.
#[derive(Debug, Default)]
pub(crate) struct RangeInput {
    pub(crate) series: Vec<Series>,
    /// Start timestamps parallel to `series` (empty when not read).
    pub(crate) starts: Vec<crate::storage::StartTimes>,
    /// Window length in ms: a window is `(end - range, end]`.
    pub(crate) range: i64,
    pub(crate) offset: i64,
    pub(crate) at: Option<i64>,
    /// The `anchored` modifier: windows also hold the last sample up to a
    /// lookback before their start.
    pub(crate) anchored: bool,
    /// The `smoothed` modifier: windows also reach a lookback beyond both
    /// ends, for interpolation at the edges.
    pub(crate) smoothed: bool,
    /// The lookback delta, for the two modifiers above.
    pub(crate) lookback: i64,
}

impl RangeInput {
    /// `(exclusive start, inclusive end)` of the window at step time `ts`.
    pub(crate) fn window(&self, ts: i64) -> (i64, i64) {
        let end = self.at.unwrap_or(ts) - self.offset;
        (end - self.range, end)
    }

    /// The span of samples a window at `ts` hands to functions: the window
    /// itself, widened for the `anchored`/`smoothed` modifiers.
    pub(crate) fn slice_bounds(&self, ts: i64) -> (i64, i64) {
        let (lo, hi) = self.window(ts);
        if self.smoothed {
            (lo - self.lookback, hi + self.lookback)
        } else if self.anchored {
            (lo - self.lookback, hi)
        } else {
            (lo, hi)
        }
    }
}

/// Points of `s` in `(lo, hi]`.
pub(crate) fn window_slices(s: &Series, lo: i64, hi: i64) -> (&[FPoint], &[HPoint]) {
    let fa = s.floats.partition_point(|p| p.t <= lo);
    let fb = s.floats.partition_point(|p| p.t <= hi);
    let ha = s.histograms.partition_point(|p| p.t <= lo);
    let hb = s.histograms.partition_point(|p| p.t <= hi);
    (
        s.floats.get(fa..fb).unwrap_or_default(),
        s.histograms.get(ha..hb).unwrap_or_default(),
    )
}

/// Positions in a series' float and histogram lists, moved forward as
/// steps advance so that walking all steps costs one pass over the points
/// instead of a binary search per step. Falls back to a search when asked
/// to move backwards.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Cursor {
    f: usize,
    h: usize,
}

impl Cursor {
    /// Indices one past the last float and histogram at or before `t`.
    fn upto(&mut self, s: &Series, t: i64) -> (usize, usize) {
        let fwd = |i: &mut usize, ts: &dyn Fn(usize) -> Option<i64>, all: &dyn Fn() -> usize| {
            if *i > 0 && ts(*i - 1).is_some_and(|x| x > t) {
                *i = all();
                return;
            }
            while ts(*i).is_some_and(|x| x <= t) {
                *i += 1;
            }
        };
        fwd(&mut self.f, &|i| s.floats.get(i).map(|p| p.t), &|| {
            s.floats.partition_point(|p| p.t <= t)
        });
        fwd(&mut self.h, &|i| s.histograms.get(i).map(|p| p.t), &|| {
            s.histograms.partition_point(|p| p.t <= t)
        });
        (self.f, self.h)
    }
}

/// Cursors for a window's start and end.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct WindowCursor {
    lo: Cursor,
    hi: Cursor,
}

impl WindowCursor {
    /// Index ranges of the floats and histograms of `s` in `(lo, hi]`.
    pub(crate) fn ranges(
        &mut self,
        s: &Series,
        lo: i64,
        hi: i64,
    ) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let (fa, ha) = self.lo.upto(s, lo);
        let (fb, hb) = self.hi.upto(s, hi);
        (fa..fb.max(fa), ha..hb.max(ha))
    }
}

impl<'a> Evaluator<'a> {
    /// Reads the series `matchers` select, with samples in `mint..=maxt`.
    pub(crate) fn select_matchers(
        &mut self,
        matchers: &[vigil_model::Matcher],
        mint: i64,
        maxt: i64,
        step: i64,
    ) -> EResult<Vec<Series>> {
        let hints = SelectHints {
            start: mint,
            end: maxt,
            step,
            func: Some("info".into()),
        };
        Ok(self.storage.select(mint, maxt, matchers, &hints)?)
    }

    /// Reads the series a selector names, with samples in `mint..=maxt`.
    pub(crate) fn select(
        &mut self,
        vs: &VectorSelector,
        mint: i64,
        maxt: i64,
        step: i64,
        func: Option<&str>,
    ) -> EResult<Vec<Series>> {
        let hints = SelectHints {
            start: mint,
            end: maxt,
            step,
            func: func.or(self.hint_func).map(str::to_string),
        };
        let mut series = self.storage.select(mint, maxt, &vs.matchers, &hints)?;
        if self.stats_decoding {
            for s in &mut series {
                stats_decode(&mut s.histograms);
            }
        }
        Ok(series)
    }

    /// An instant vector selector at every step, series-major: one output
    /// series per selected series, one point per step it has a value at.
    /// With `sample_time`, each point's value is the time (in seconds) of
    /// the sample it came from (what `timestamp()` reports).
    pub(crate) fn vector_selector(
        &mut self,
        vs: &VectorSelector,
        r: Range,
        sample_time: bool,
    ) -> EResult<Matrix> {
        let offset = self.duration_ms(vs.offset, vs.offset_expr.as_deref(), true)?;
        let at = self.at_time(vs.at);
        let lookback = self.opts.lookback_delta;
        let (lo, hi) = match at {
            Some(a) => (a, a),
            None => (r.start, r.last()),
        };
        if vs.smoothed {
            let steps = self.smoothed_selector(vs, r, offset, lookback, at)?;
            return Ok(steps_to_matrix(steps, r));
        }
        let series = self.select(vs, lo - offset - lookback + 1, hi - offset, r.step, None)?;
        let n = r.len();
        let mut out: Matrix = Vec::with_capacity(series.len());
        for s in series {
            let mut floats = Vec::new();
            let mut histograms = Vec::new();
            let mut cur = Cursor::default();
            for i in 0..n {
                let ts = r.ts(i);
                let rt = at.unwrap_or(ts) - offset;
                match lookup_with(&s, rt, lookback, &mut cur) {
                    Some((t, _, _)) if sample_time => floats.push(FPoint {
                        t: ts,
                        f: t as f64 / 1000.0,
                    }),
                    Some((_, _, Some(h))) => histograms.push(HPoint { t: ts, h }),
                    Some((_, f, None)) => floats.push(FPoint { t: ts, f }),
                    None => {}
                }
            }
            if floats.is_empty() && histograms.is_empty() {
                continue;
            }
            // Account as we go so a huge result fails before it is built.
            self.add_samples(floats.len() + histograms.len())?;
            out.push(Series {
                metric: s.metric,
                floats,
                histograms,
                drop_name: false,
            });
        }
        Ok(out)
    }

    /// `start_timestamp(selector)`: the start time (in seconds) of the
    /// sample the selector sees at each step; nothing for series whose
    /// start times storage does not keep.
    pub(crate) fn start_time_selector(&mut self, vs: &VectorSelector, r: Range) -> EResult<Matrix> {
        let offset = self.duration_ms(vs.offset, vs.offset_expr.as_deref(), true)?;
        let at = self.at_time(vs.at);
        let lookback = self.opts.lookback_delta;
        let (lo, hi) = at.map_or((r.start, r.last()), |a| (a, a));
        let (mint, maxt) = (lo - offset - lookback + 1, hi - offset);
        let hints = SelectHints {
            start: mint,
            end: maxt,
            step: r.step,
            func: Some("start_timestamp".into()),
        };
        let got = self
            .storage
            .select_with_start_times(mint, maxt, &vs.matchers, &hints)?;
        let mut out = Vec::new();
        for (s, st) in got {
            let known_f = st.floats.len() == s.floats.len() && !s.floats.is_empty();
            let known_h = st.histograms.len() == s.histograms.len() && !s.histograms.is_empty();
            if !known_f && !known_h {
                continue;
            }
            let mut floats = Vec::new();
            let mut cur = Cursor::default();
            for i in 0..r.len() {
                let ts = r.ts(i);
                let rt = at.unwrap_or(ts) - offset;
                let (fi, hi) = cur.upto(&s, rt);
                let f = fi
                    .checked_sub(1)
                    .and_then(|k| s.floats.get(k).map(|p| (k, p)));
                let h = hi
                    .checked_sub(1)
                    .and_then(|k| s.histograms.get(k).map(|p| (k, p.t)));
                let found = match (f, h) {
                    (Some((_, fp)), Some((k, ht))) if ht > fp.t => Some((ht, st.histograms.get(k))),
                    (Some((k, fp)), _) if !is_stale_nan(fp.f) => Some((fp.t, st.floats.get(k))),
                    (Some(_), _) => None,
                    (None, Some((k, ht))) => Some((ht, st.histograms.get(k))),
                    (None, None) => None,
                };
                if let Some((t, Some(&start))) = found {
                    if t > rt - lookback {
                        floats.push(FPoint {
                            t: ts,
                            f: start as f64 / 1000.0,
                        });
                    }
                }
            }
            if !floats.is_empty() {
                self.add_samples(floats.len())?;
                out.push(Series {
                    metric: s.metric,
                    floats,
                    histograms: Vec::new(),
                    drop_name: false,
                });
            }
        }
        Ok(out)
    }

    /// An instant selector with the `smoothed` modifier: values are
    /// interpolated between the samples around each step.
    pub(crate) fn smoothed_selector(
        &mut self,
        vs: &VectorSelector,
        r: Range,
        offset: i64,
        lookback: i64,
        at: Option<i64>,
    ) -> EResult<Vec<Vector>> {
        let (lo, hi) = at.map_or((r.start, r.last()), |a| (a, a));
        let mut series = self.select(
            vs,
            lo - offset - lookback + 1,
            hi - offset + lookback,
            r.step,
            None,
        )?;
        for s in &mut series {
            s.floats.retain(|p| !is_stale_nan(p.f));
        }
        let mut out: Vec<Vector> = (0..r.len()).map(|_| Vec::new()).collect();
        let pos = vs.pos;
        let mut fx = super::functions::FnCtx {
            ev: self,
            arg_pos: pos,
        };
        for s in &series {
            for (i, v) in out.iter_mut().enumerate() {
                let t = at.unwrap_or(r.ts(i)) - offset;
                let (f, h) = window_slices(s, t - lookback, t + lookback);
                if let Some((fv, hv)) =
                    super::functions::smoothed_value(&mut fx, &s.metric, f, h, t)
                {
                    v.push(Sample {
                        metric: s.metric.clone(),
                        t: r.ts(i),
                        f: fv,
                        h: hv,
                        drop_name: false,
                    });
                }
            }
        }
        Ok(out)
    }

    /// A range-vector argument (matrix selector or subquery), all series
    /// read.
    pub(crate) fn range_input(&mut self, e: &Expr, r: Range) -> EResult<RangeInput> {
        let (mut input, stream) = self.range_input_stream(e, r)?;
        for item in stream {
            let (s, st) = item?;
            input.series.push(s);
            input.starts.push(st);
        }
        if input
            .starts
            .iter()
            .all(|st| st.floats.is_empty() && st.histograms.is_empty())
        {
            input.starts.clear();
        }
        Ok(input)
    }

    /// A range-vector argument whose series are handed over one at a time
    /// (the returned input's `series` is empty): a matrix selector reads
    /// storage lazily, so only the series being evaluated is held.
    pub(crate) fn range_input_stream(
        &mut self,
        e: &Expr,
        r: Range,
    ) -> EResult<(RangeInput, InputStream<'a>)> {
        match e {
            Expr::Paren(p) => self.range_input_stream(&p.expr, r),
            Expr::MatrixSelector(ms) => {
                let Expr::VectorSelector(vs) = ms.vector.as_ref() else {
                    return err("matrix selector must wrap a vector selector");
                };
                let range = self.duration_ms(ms.range, ms.range_expr.as_deref(), false)?;
                let offset = self.duration_ms(vs.offset, vs.offset_expr.as_deref(), true)?;
                let at = self.at_time(vs.at);
                let (lo, hi) = match at {
                    Some(a) => (a, a),
                    None => (r.start, r.last()),
                };
                let lookback = self.opts.lookback_delta;
                let (extra_lo, extra_hi) = if vs.smoothed {
                    (lookback, lookback)
                } else if vs.anchored {
                    (lookback, 0)
                } else {
                    (0, 0)
                };
                let (mint, maxt) = (lo - offset - range - extra_lo + 1, hi - offset + extra_hi);
                let wants_starts = self.opts.use_start_timestamps
                    && matches!(
                        self.hint_func,
                        Some("rate" | "increase" | "irate" | "resets")
                    );
                let hints = SelectHints {
                    start: mint,
                    end: maxt,
                    step: r.step,
                    func: self.hint_func.map(str::to_string),
                };
                let raw =
                    self.storage
                        .select_stream(mint, maxt, &vs.matchers, &hints, wants_starts)?;
                let stats = self.stats_decoding;
                let stream = raw.map(move |item| {
                    let (mut s, mut st) = item?;
                    if stats {
                        stats_decode(&mut s.histograms);
                    }
                    if st.floats.len() == s.floats.len() && !st.floats.is_empty() {
                        let mut keep = s.floats.iter().map(|p| !is_stale_nan(p.f));
                        st.floats.retain(|_| keep.next().unwrap_or(false));
                    }
                    s.floats.retain(|p| !is_stale_nan(p.f));
                    Ok((s, st))
                });
                // Like Prometheus, only what functions produce counts towards
                // `max_samples`, not the raw points read for their windows
                // (a day of raw samples is fine for a `rate` range query).
                Ok((
                    RangeInput {
                        series: Vec::new(),
                        starts: Vec::new(),
                        range,
                        offset,
                        at,
                        anchored: vs.anchored,
                        smoothed: vs.smoothed,
                        lookback,
                    },
                    Box::new(stream),
                ))
            }
            Expr::Subquery(sq) => {
                let range = self.duration_ms(sq.range, sq.range_expr.as_deref(), false)?;
                let offset = self.duration_ms(sq.offset, sq.offset_expr.as_deref(), true)?;
                let step = if sq.step == 0 && sq.step_expr.is_none() {
                    self.opts.default_subquery_step
                } else {
                    self.duration_ms(sq.step, sq.step_expr.as_deref(), false)?
                };
                if step <= 0 {
                    return err("subquery step must be positive");
                }
                let at = self.at_time(sq.at);
                let (lo, hi) = match at {
                    Some(a) => (a, a),
                    None => (r.start, r.last()),
                };
                let from = lo - offset - range;
                let mut start = step * (from / step);
                if start <= from {
                    start += step;
                }
                let inner = Range {
                    start,
                    end: hi - offset,
                    step,
                };
                // Counter-reset detection needs the buckets inside a subquery.
                let stats = std::mem::replace(&mut self.stats_decoding, false);
                let inner_val = if inner.len() == 0 {
                    None
                } else {
                    Some(self.eval(&sq.expr, inner))
                };
                self.stats_decoding = stats;
                let series = match inner_val {
                    None => Vec::new(),
                    Some(v) => match v? {
                        Val::Series(mut m) => {
                            unknown_hints(&mut m);
                            m
                        }
                        Val::Scalar(v) => vec![Series {
                            metric: Labels::empty(),
                            floats: v
                                .iter()
                                .enumerate()
                                .map(|(i, f)| FPoint {
                                    t: inner.ts(i),
                                    f: *f,
                                })
                                .collect(),
                            ..Default::default()
                        }],
                        Val::Vector(steps) => {
                            let mut m = steps_to_matrix(steps, inner);
                            unknown_hints(&mut m);
                            m
                        }
                        _ => return err("subquery of a non-vector"),
                    },
                };
                let stream = series
                    .into_iter()
                    .map(|s| Ok((s, crate::storage::StartTimes::default())));
                Ok((
                    RangeInput {
                        range,
                        offset,
                        at,
                        ..Default::default()
                    },
                    Box::new(stream),
                ))
            }
            _ => err(format!(
                "expected range vector, got {}",
                e.type_of().documented()
            )),
        }
    }
}

/// Subquery results forget explicit counter-reset hints: the subquery may
/// skip or repeat samples, so resets are detected from the values instead.
fn unknown_hints(m: &mut Matrix) {
    for s in m {
        for p in &mut s.histograms {
            if matches!(
                p.h.counter_reset_hint,
                CounterResetHint::CounterReset | CounterResetHint::NotCounterReset
            ) {
                let mut h = (*p.h).clone();
                h.counter_reset_hint = CounterResetHint::Unknown;
                p.h = Arc::new(h);
            }
        }
    }
}

/// Strips histograms to count and sum and sets each one's counter-reset
/// hint from a comparison with the previous one, as Prometheus does when
/// only `histogram_count`/`histogram_sum`/`histogram_avg` read them.
fn stats_decode(hs: &mut [HPoint]) {
    let mut last: Option<Arc<vigil_model::FloatHistogram>> = None;
    for p in hs.iter_mut() {
        let hint = match (p.h.counter_reset_hint, &last) {
            (CounterResetHint::Unknown, Some(prev)) => {
                if super::hist::detect_reset(&p.h, prev) {
                    CounterResetHint::CounterReset
                } else {
                    CounterResetHint::NotCounterReset
                }
            }
            (h, _) => h,
        };
        let mut full = (*p.h).clone();
        full.counter_reset_hint = hint;
        let stripped = vigil_model::FloatHistogram {
            counter_reset_hint: hint,
            schema: p.h.schema,
            count: p.h.count,
            sum: p.h.sum,
            ..Default::default()
        };
        last = Some(Arc::new(full));
        p.h = Arc::new(stripped);
    }
}

/// The sample an instant selector sees at `rt`: the newest at or before
/// `rt` and after `rt - lookback`, unless it is a staleness marker.
pub(crate) fn lookup(
    s: &Series,
    rt: i64,
    lookback: i64,
) -> Option<(i64, f64, Option<Arc<vigil_model::FloatHistogram>>)> {
    lookup_with(s, rt, lookback, &mut Cursor::default())
}

/// [`lookup`] with a cursor carried from step to step.
pub(crate) fn lookup_with(
    s: &Series,
    rt: i64,
    lookback: i64,
    cur: &mut Cursor,
) -> Option<(i64, f64, Option<Arc<vigil_model::FloatHistogram>>)> {
    let (fi, hi) = cur.upto(s, rt);
    let f = fi.checked_sub(1).and_then(|i| s.floats.get(i));
    let h = hi.checked_sub(1).and_then(|i| s.histograms.get(i));
    let (t, f, h) = match (f, h) {
        (Some(f), Some(h)) if h.t > f.t => (h.t, 0.0, Some(h.h.clone())),
        (Some(f), _) => (f.t, f.f, None),
        (None, Some(h)) => (h.t, 0.0, Some(h.h.clone())),
        (None, None) => return None,
    };
    if t <= rt - lookback || (h.is_none() && is_stale_nan(f)) {
        return None;
    }
    Some((t, f, h))
}
