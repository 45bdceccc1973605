//! Native-histogram summation helpers shared by `sum`/`avg` and
//! `sum_over_time`/`avg_over_time`: Kahan-compensated totals (so that
//! `1e100 + x - 1e100` keeps `x`, as Prometheus' `KahanAdd` does), and the
//! direct-then-incremental mean.

use vigil_model::histogram::HistogramError;
use vigil_model::{CounterResetHint, FloatHistogram};

use super::aggregate::kahan_inc;

/// A running histogram sum with compensation for count, sum and zero count.
pub(crate) struct HistSum {
    acc: FloatHistogram,
    comp: [f64; 3],
}

impl HistSum {
    /// Starts with `h`.
    pub(crate) fn new(h: &FloatHistogram) -> HistSum {
        HistSum {
            acc: h.clone(),
            comp: [0.0; 3],
        }
    }

    /// Adds `h`.
    pub(crate) fn add(&mut self, h: &FloatHistogram) -> Result<Combined, HistogramError> {
        let (oc, os, oz, othr) = (
            self.acc.count,
            self.acc.sum,
            self.acc.zero_count,
            self.acc.zero_threshold,
        );
        let res = add(&mut self.acc, h)?;
        (self.acc.count, self.comp[0]) = kahan_inc(h.count, oc, self.comp[0]);
        (self.acc.sum, self.comp[1]) = kahan_inc(h.sum, os, self.comp[1]);
        if self.acc.zero_threshold == othr && h.zero_threshold == othr {
            (self.acc.zero_count, self.comp[2]) = kahan_inc(h.zero_count, oz, self.comp[2]);
        }
        Ok(res)
    }

    /// Whether any total overflowed to infinity.
    pub(crate) fn overflowed(&self) -> bool {
        has_overflow(&self.acc)
    }

    /// The compensated total.
    pub(crate) fn finish(mut self) -> FloatHistogram {
        let fix = |v: &mut f64, c: f64| {
            if v.is_finite() && c.is_finite() {
                *v += c;
            }
        };
        fix(&mut self.acc.count, self.comp[0]);
        fix(&mut self.acc.sum, self.comp[1]);
        fix(&mut self.acc.zero_count, self.comp[2]);
        self.acc
    }
}

/// Whether a histogram has an infinite count, sum or bucket.
pub(crate) fn has_overflow(h: &FloatHistogram) -> bool {
    h.count.is_infinite()
        || h.sum.is_infinite()
        || h.zero_count.is_infinite()
        || h.positive_buckets.iter().any(|b| b.is_infinite())
        || h.negative_buckets.iter().any(|b| b.is_infinite())
}

/// Mean of histograms: a compensated direct sum divided by the count,
/// switching to an incremental mean once the sum would overflow.
pub(crate) struct HistMean {
    sum: Option<HistSum>,
    /// The running mean (with its compensation) once the sum overflowed.
    mean: Option<HistSum>,
    count: f64,
}

impl HistMean {
    /// Starts with `h`.
    pub(crate) fn new(h: &FloatHistogram) -> HistMean {
        HistMean {
            sum: Some(HistSum::new(h)),
            mean: None,
            count: 1.0,
        }
    }

    /// Adds `h`.
    pub(crate) fn add(&mut self, h: &FloatHistogram) -> Result<Combined, HistogramError> {
        self.count += 1.0;
        if let Some(sum) = &self.sum {
            let mut next = HistSum {
                acc: sum.acc.clone(),
                comp: sum.comp,
            };
            let res = next.add(h)?;
            if !next.overflowed() {
                self.sum = Some(next);
                return Ok(res);
            }
            if let Some(mut sum) = self.sum.take() {
                let n = self.count - 1.0;
                sum.acc.div(n);
                sum.comp.iter_mut().for_each(|c| *c /= n);
                self.mean = Some(sum);
            }
        }
        let Some(mean) = &mut self.mean else {
            return Ok(Combined::default());
        };
        let q = (self.count - 1.0) / self.count;
        mean.acc.mul(q);
        mean.comp.iter_mut().for_each(|c| *c *= q);
        let mut d = h.clone();
        d.div(self.count);
        mean.add(&d)
    }

    /// The mean.
    pub(crate) fn finish(self) -> Option<FloatHistogram> {
        match (self.sum, self.mean) {
            (Some(s), _) => {
                let mut h = s.finish();
                h.div(self.count);
                Some(h)
            }
            (None, m) => m.map(HistSum::finish),
        }
    }
}

/// Whether both histograms use custom buckets with different bounds (which
/// Prometheus reconciles to the bounds they share).
fn mismatched_custom(a: &FloatHistogram, b: &FloatHistogram) -> bool {
    a.uses_custom_buckets()
        && b.uses_custom_buckets()
        && (a.custom_values.len() != b.custom_values.len()
            || a.custom_values
                .iter()
                .zip(&b.custom_values)
                .any(|(x, y)| x != y))
}

/// Bounds present in both sorted lists.
fn intersect(a: &[f64], b: &[f64]) -> Vec<f64> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        if x == y {
            out.push(*x);
            i += 1;
            j += 1;
        } else if x < y {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// `h` re-bucketed onto the custom `bounds` (a subset of its own): each
/// bucket's count moves to the first bound at or above its upper bound.
fn rebucket(h: &FloatHistogram, bounds: &[f64]) -> FloatHistogram {
    let mut counts = vec![0.0; bounds.len() + 1];
    for b in h.positive_buckets() {
        let idx = bounds.partition_point(|x| *x < b.upper);
        if let Some(c) = counts.get_mut(idx) {
            *c += b.count;
        }
    }
    let mut out = h.clone();
    out.custom_values = bounds.to_vec();
    out.positive_spans = vec![vigil_model::Span {
        offset: 0,
        length: counts.len() as u32,
    }];
    out.positive_buckets = counts;
    out.compact(0);
    out
}

/// Both histograms on the bounds they share.
fn on_shared_bounds(a: &FloatHistogram, b: &FloatHistogram) -> (FloatHistogram, FloatHistogram) {
    let common = intersect(&a.custom_values, &b.custom_values);
    (rebucket(a, &common), rebucket(b, &common))
}

/// What combining two histograms did besides the arithmetic.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Combined {
    /// `CounterReset` met `NotCounterReset`.
    pub(crate) collision: bool,
    /// Mismatched custom bounds were reduced to the shared ones.
    pub(crate) reconciled: bool,
}

fn combine(
    a: &mut FloatHistogram,
    b: &FloatHistogram,
    sub: bool,
) -> Result<Combined, HistogramError> {
    let mut reconciled = false;
    let other;
    let b = if mismatched_custom(a, b) {
        let (ra, rb) = on_shared_bounds(a, b);
        *a = ra;
        other = rb;
        reconciled = true;
        &other
    } else {
        b
    };
    let before = a.counter_reset_hint;
    let collision = if sub { a.sub(b)? } else { a.add(b)? };
    // Prometheus: adding a gauge to anything but a gauge gives a gauge
    // (vigil_model keeps an `Unknown` receiver's hint here).
    if before == CounterResetHint::Unknown && b.counter_reset_hint == CounterResetHint::Gauge {
        a.counter_reset_hint = CounterResetHint::Gauge;
    }
    Ok(Combined {
        collision,
        reconciled,
    })
}

/// `a += b`, reconciling mismatched custom bounds like Prometheus.
pub(crate) fn add(a: &mut FloatHistogram, b: &FloatHistogram) -> Result<Combined, HistogramError> {
    combine(a, b, false)
}

/// `a -= b`, reconciling mismatched custom bounds like Prometheus.
pub(crate) fn sub(a: &mut FloatHistogram, b: &FloatHistogram) -> Result<Combined, HistogramError> {
    combine(a, b, true)
}

/// Counter-reset detection that compares mismatched custom-bucket
/// histograms on their shared bounds instead of calling every bound change
/// a reset.
pub(crate) fn detect_reset(cur: &FloatHistogram, prev: &FloatHistogram) -> bool {
    if mismatched_custom(cur, prev) {
        match cur.counter_reset_hint {
            vigil_model::CounterResetHint::CounterReset => return true,
            vigil_model::CounterResetHint::NotCounterReset => return false,
            _ => {}
        }
        if cur.count < prev.count {
            return true;
        }
        let (c, p) = on_shared_bounds(cur, prev);
        return c.detect_reset(&p);
    }
    cur.detect_reset(prev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::Span;

    fn nhcb(bounds: &[f64], counts: &[f64]) -> FloatHistogram {
        FloatHistogram {
            schema: vigil_model::histogram::CUSTOM_BUCKETS_SCHEMA,
            count: counts.iter().sum(),
            custom_values: bounds.to_vec(),
            positive_spans: vec![Span {
                offset: 0,
                length: counts.len() as u32,
            }],
            positive_buckets: counts.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn mismatched_bounds_reconcile() {
        let mut a = nhcb(&[1.0, 2.0, 5.0], &[1.0, 1.0, 1.0, 1.0]);
        let b = nhcb(&[2.0, 10.0], &[3.0, 1.0, 1.0]);
        let r = add(&mut a, &b).unwrap();
        assert!(r.reconciled);
        assert_eq!(a.custom_values, vec![2.0]);
        assert_eq!(a.count, 9.0);
        let buckets: Vec<f64> = a.positive_buckets().map(|b| b.count).collect();
        assert_eq!(buckets, vec![5.0, 4.0]);
    }
}
