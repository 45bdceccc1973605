//! Native-histogram summation helpers shared by `sum`/`avg` and
//! `sum_over_time`/`avg_over_time`: Kahan-compensated totals (so that
//! `1e100 + x - 1e100` keeps `x`, as Prometheus' `KahanAdd` does), and the
//! direct-then-incremental mean.

use vigil_model::FloatHistogram;
use vigil_model::histogram::HistogramError;

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

    /// Adds `h`; returns whether counter-reset hints collided.
    pub(crate) fn add(&mut self, h: &FloatHistogram) -> Result<bool, HistogramError> {
        let (oc, os, oz, othr) = (
            self.acc.count,
            self.acc.sum,
            self.acc.zero_count,
            self.acc.zero_threshold,
        );
        let collision = self.acc.add(h)?;
        (self.acc.count, self.comp[0]) = kahan_inc(h.count, oc, self.comp[0]);
        (self.acc.sum, self.comp[1]) = kahan_inc(h.sum, os, self.comp[1]);
        if self.acc.zero_threshold == othr && h.zero_threshold == othr {
            (self.acc.zero_count, self.comp[2]) = kahan_inc(h.zero_count, oz, self.comp[2]);
        }
        Ok(collision)
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
    mean: Option<FloatHistogram>,
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

    /// Adds `h`; returns whether counter-reset hints collided.
    pub(crate) fn add(&mut self, h: &FloatHistogram) -> Result<bool, HistogramError> {
        self.count += 1.0;
        if let Some(sum) = &self.sum {
            let mut next = HistSum {
                acc: sum.acc.clone(),
                comp: sum.comp,
            };
            let collision = next.add(h)?;
            if !next.overflowed() {
                self.sum = Some(next);
                return Ok(collision);
            }
            if let Some(sum) = self.sum.take() {
                let mut m = sum.finish();
                m.div(self.count - 1.0);
                self.mean = Some(m);
            }
        }
        let Some(mean) = &mut self.mean else {
            return Ok(false);
        };
        mean.mul((self.count - 1.0) / self.count);
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
            (None, m) => m,
        }
    }
}
