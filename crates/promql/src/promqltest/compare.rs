//! Comparing a query's value with an `eval`'s expectation, by the rules of
//! Prometheus' reference runner:
//!
//! - floats are equal within a relative tolerance of 1e-6 ([`almost_equal`]);
//!   NaN equals NaN, but the stale marker only equals itself;
//! - histograms are compared after compaction, field by field with the
//!   same tolerance, spans by the layout they describe, and the
//!   counter-reset hint only when the expectation wrote one;
//! - label sets must match exactly; vector results are unordered unless
//!   the order is expected, matrix results must be sorted by labels;
//! - a range result's points sit at `start + i*step` for the i-th
//!   expected value (`_` leaves a step without a point).

use std::collections::HashSet;

use vigil_model::{FloatHistogram, Labels, Span, is_stale_nan};

use super::histogram_desc::{HistogramDesc, test_expression};
use super::script::{EvalCmd, EvalKind, Expected, ExpectedSeries};
use super::series::SequenceValue;
use crate::value::{Sample, Series, Value};

/// The tolerance of sample comparisons.
pub const EPSILON: f64 = 1e-6;

/// The smallest positive normal `f64`.
const MIN_NORMAL: f64 = f64::MIN_POSITIVE;

/// Whether `a` and `b` differ by less than `epsilon` relative to their
/// magnitude (absolute near zero); NaNs are equal to each other, the stale
/// marker only to itself.
pub fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    if is_stale_nan(a) || is_stale_nan(b) {
        return is_stale_nan(a) && is_stale_nan(b);
    }
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < MIN_NORMAL {
        return diff < epsilon * MIN_NORMAL;
    }
    diff / abs_sum.min(f64::MAX) < epsilon
}

fn buckets_match(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| almost_equal(*x, *y, EPSILON))
}

/// Merges zero-length spans into the following span, then drops a
/// trailing run of them, so that equivalent layouts compare equal.
fn normalized_spans(spans: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut carry = 0i32;
    for s in spans {
        if s.length == 0 {
            carry = carry.saturating_add(s.offset);
            continue;
        }
        out.push(Span {
            offset: s.offset.saturating_add(carry),
            length: s.length,
        });
        carry = 0;
    }
    out
}

fn spans_match(a: &[Span], b: &[Span]) -> bool {
    normalized_spans(a) == normalized_spans(b)
}

/// Compares two histograms (both compacted first).
pub fn histograms_match(exp: &FloatHistogram, got: &FloatHistogram, check_hint: bool) -> bool {
    let mut exp = exp.clone();
    exp.compact(0);
    let mut got = got.clone();
    got.compact(0);
    if exp.schema != got.schema
        || !almost_equal(exp.count, got.count, EPSILON)
        || !almost_equal(exp.sum, got.sum, EPSILON)
    {
        return false;
    }
    if exp.uses_custom_buckets() && exp.custom_values != got.custom_values {
        return false;
    }
    if exp.zero_threshold != got.zero_threshold
        || !almost_equal(exp.zero_count, got.zero_count, EPSILON)
    {
        return false;
    }
    if !spans_match(&exp.negative_spans, &got.negative_spans)
        || !buckets_match(&exp.negative_buckets, &got.negative_buckets)
        || !spans_match(&exp.positive_spans, &got.positive_spans)
        || !buckets_match(&exp.positive_buckets, &got.positive_buckets)
    {
        return false;
    }
    !check_hint || exp.counter_reset_hint == got.counter_reset_hint
}

/// Formats a float as Go's `%v` would for the common cases.
pub(super) fn fmt_f(v: f64) -> String {
    if is_stale_nan(v) {
        "stale".into()
    } else if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

fn fmt_value(v: &SequenceValue) -> String {
    match v {
        SequenceValue::Omitted => "_".into(),
        SequenceValue::Float(f) => fmt_f(*f),
        SequenceValue::Histogram(h) => test_expression(&h.h),
    }
}

fn fmt_values(vals: &[SequenceValue]) -> String {
    vals.iter().map(fmt_value).collect::<Vec<_>>().join(" ")
}

/// Describes a result series' points for failure messages.
pub(super) fn fmt_series(s: &Series) -> String {
    let floats: Vec<String> = s
        .floats
        .iter()
        .map(|p| format!("{} @[{}]", fmt_f(p.f), p.t))
        .collect();
    let hists: Vec<String> = s
        .histograms
        .iter()
        .map(|p| format!("{} @[{}]", test_expression(&p.h), p.t))
        .collect();
    format!(
        "{} float point(s) [{}] and {} histogram point(s) [{}]",
        floats.len(),
        floats.join(", "),
        hists.len(),
        hists.join(", ")
    )
}

fn find<'a>(expected: &'a [ExpectedSeries], labels: &Labels) -> Option<&'a ExpectedSeries> {
    expected.iter().find(|e| &e.labels == labels)
}

/// Checks that a matrix is sorted by labels.
pub fn assert_sorted(m: &[Series]) -> Result<(), String> {
    for w in m.windows(2) {
        if let [a, b] = w {
            if a.metric > b.metric {
                return Err(format!(
                    "matrix results should always be sorted by labels, but matrix is not \
                     sorted: {} sorts before {}",
                    b.metric, a.metric
                ));
            }
        }
    }
    Ok(())
}

/// The timestamps of expected range points: start, end (`None`: no range,
/// so any point is too many) and step.
fn range_of(cmd: &EvalCmd) -> (i64, Option<i64>, i64) {
    match (cmd.kind, cmd.range_vector) {
        (EvalKind::Range { start, end, step }, _) => (start, Some(end), step),
        (EvalKind::Instant { .. }, Some((start, end, step))) => (start, Some(end), step),
        (EvalKind::Instant { at }, None) => (at, None, 0),
    }
}

fn compare_matrix(cmd: &EvalCmd, m: &[Series]) -> Result<(), String> {
    if cmd.is_ordered() {
        return Err("expected ordered result, but query returned a matrix".into());
    }
    let expected = match &cmd.expected {
        Expected::Scalar(_) => {
            return Err("expected scalar result, but got matrix".into());
        }
        Expected::Series(e) => e,
    };
    assert_sorted(m)?;
    let (start, end, step) = range_of(cmd);
    let mut seen: HashSet<&Labels> = HashSet::new();
    for s in m {
        let exp = find(expected, &s.metric).ok_or_else(|| {
            format!(
                "unexpected metric {} in result, has {}",
                s.metric,
                fmt_series(s)
            )
        })?;
        seen.insert(&exp.labels);
        let mut exp_floats: Vec<(i64, f64)> = Vec::new();
        let mut exp_hists: Vec<(i64, &HistogramDesc)> = Vec::new();
        for (i, v) in exp.values.iter().enumerate() {
            let t = i64::try_from(i)
                .ok()
                .and_then(|i| i.checked_mul(step))
                .and_then(|d| d.checked_add(start));
            let t = match (t, end) {
                (Some(t), Some(end)) if t <= end => t,
                _ => {
                    return Err(format!(
                        "expected {} points for {}, but query time range cannot return this many points",
                        exp.values.len(),
                        exp.labels
                    ));
                }
            };
            match v {
                SequenceValue::Histogram(h) => exp_hists.push((t, h)),
                SequenceValue::Float(f) => exp_floats.push((t, *f)),
                SequenceValue::Omitted => {}
            }
        }
        if exp_floats.len() != s.floats.len() || exp_hists.len() != s.histograms.len() {
            return Err(format!(
                "expected {} float points and {} histogram points for {}, but got {}",
                exp_floats.len(),
                exp_hists.len(),
                exp.labels,
                fmt_series(s)
            ));
        }
        for (i, ((t, f), got)) in exp_floats.iter().zip(&s.floats).enumerate() {
            if *t != got.t {
                return Err(format!(
                    "expected float value at index {i} for {} to have timestamp {t}, but it had \
                     timestamp {} (result has {})",
                    exp.labels,
                    got.t,
                    fmt_series(s)
                ));
            }
            if !almost_equal(got.f, *f, EPSILON) {
                return Err(format!(
                    "expected float value at index {i} (t={t}) for {} to be {}, but got {} \
                     (result has {})",
                    exp.labels,
                    fmt_f(*f),
                    fmt_f(got.f),
                    fmt_series(s)
                ));
            }
        }
        for (i, ((t, h), got)) in exp_hists.iter().zip(&s.histograms).enumerate() {
            if *t != got.t {
                return Err(format!(
                    "expected histogram value at index {i} for {} to have timestamp {t}, but it \
                     had timestamp {} (result has {})",
                    exp.labels,
                    got.t,
                    fmt_series(s)
                ));
            }
            if !histograms_match(&h.h, &got.h, h.hint_set) {
                return Err(format!(
                    "expected histogram value at index {i} (t={t}) for {} to be {}, but got {} \
                     (result has {})",
                    exp.labels,
                    test_expression(&h.h),
                    test_expression(&got.h),
                    fmt_series(s)
                ));
            }
        }
    }
    for e in expected {
        if !seen.contains(&e.labels) {
            return Err(format!("expected metric {} not found", e.labels));
        }
    }
    Ok(())
}

fn compare_vector(cmd: &EvalCmd, v: &[Sample]) -> Result<(), String> {
    let expected = match &cmd.expected {
        Expected::Scalar(_) => {
            return Err("expected scalar result, but got vector".into());
        }
        Expected::Series(e) => e,
    };
    let mut seen: HashSet<&Labels> = HashSet::new();
    for (pos, s) in v.iter().enumerate() {
        let Some(exp) = find(expected, &s.metric) else {
            let val = match &s.h {
                Some(h) => test_expression(h),
                None => fmt_f(s.f),
            };
            return Err(format!(
                "unexpected metric {} in result, has value {val}",
                s.metric
            ));
        };
        if cmd.is_ordered() && exp.pos != pos + 1 {
            return Err(format!(
                "expected metric {} with [{}] at position {} but was at {}",
                s.metric,
                fmt_values(&exp.values),
                exp.pos,
                pos + 1
            ));
        }
        let Some(exp0) = exp.values.first() else {
            return Err(format!(
                "expected metric {} has no value to compare with",
                exp.labels
            ));
        };
        match (exp0, &s.h) {
            (SequenceValue::Histogram(h), Some(got)) => {
                if !histograms_match(&h.h, got, h.hint_set) {
                    return Err(format!(
                        "expected {} for {} but got {}",
                        test_expression(&h.h),
                        s.metric,
                        test_expression(got)
                    ));
                }
            }
            (SequenceValue::Histogram(h), None) => {
                return Err(format!(
                    "expected histogram {} for {} but got float value {}",
                    test_expression(&h.h),
                    s.metric,
                    fmt_f(s.f)
                ));
            }
            (_, Some(got)) => {
                return Err(format!(
                    "expected float value {} for {} but got histogram {}",
                    fmt_value(exp0),
                    s.metric,
                    test_expression(got)
                ));
            }
            (SequenceValue::Float(f), None) => {
                if !almost_equal(*f, s.f, EPSILON) {
                    return Err(format!(
                        "expected {} for {} but got {}",
                        fmt_f(*f),
                        s.metric,
                        fmt_f(s.f)
                    ));
                }
            }
            // An omitted expected value counts as 0, as upstream.
            (SequenceValue::Omitted, None) => {
                if !almost_equal(0.0, s.f, EPSILON) {
                    return Err(format!(
                        "expected 0 for {} but got {}",
                        s.metric,
                        fmt_f(s.f)
                    ));
                }
            }
        }
        seen.insert(&exp.labels);
    }
    for e in expected {
        if !seen.contains(&e.labels) {
            return Err(format!(
                "expected metric {} with [{}] not found",
                e.labels,
                fmt_values(&e.values)
            ));
        }
    }
    Ok(())
}

fn compare_scalar(cmd: &EvalCmd, v: f64) -> Result<(), String> {
    match &cmd.expected {
        Expected::Scalar(exp) => {
            if almost_equal(*exp, v, EPSILON) {
                Ok(())
            } else {
                Err(format!(
                    "expected scalar {} but got {}",
                    fmt_f(*exp),
                    fmt_f(v)
                ))
            }
        }
        Expected::Series(_) => Err(format!(
            "expected vector or matrix result, but got scalar {}",
            fmt_f(v)
        )),
    }
}

/// Compares a query's value with what `cmd` expects.
pub fn compare_result(cmd: &EvalCmd, value: &Value) -> Result<(), String> {
    match value {
        Value::Matrix(m) => compare_matrix(cmd, m),
        Value::Vector(v) => compare_vector(cmd, v),
        Value::Scalar { v, .. } => compare_scalar(cmd, *v),
        Value::String { s, .. } => {
            let exp = cmd.expected_string.as_deref().unwrap_or("");
            if exp == s {
                Ok(())
            } else {
                Err(format!("expected string {exp:?} but got {s:?}"))
            }
        }
    }
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
