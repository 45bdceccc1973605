//! Float-histogram arithmetic and comparison, following `FloatHistogram` in
//! Prometheus' `model/histogram/float_histogram.go`: resolution reduction,
//! `Add`/`Sub` (with schema and zero-threshold reconciliation), scalar
//! `Mul`/`Div`, counter-reset detection, compaction and `Equals`.
//!
//! Deliberate differences: custom-bucket histograms only combine when their
//! bounds are identical (an error otherwise), as in Prometheus 3.0–3.4,
//! rather than intersecting mismatched bounds; and `add`/`sub` never count a
//! bucket swallowed by a widened zero bucket twice (see `combine`).

use super::bounds::exponential_bound;
use super::buckets::{self, checked_items, items, merge, reduce};
use super::error::{HistogramError, Side};
use super::{CUSTOM_BUCKETS_SCHEMA, CounterResetHint, FloatHistogram, Histogram};

/// Custom bounds compare with `==` (so NaN never matches), like Go.
fn bounds_match(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

fn check_reduce(from: i32, to: i32) -> Result<(), HistogramError> {
    if from == CUSTOM_BUCKETS_SCHEMA || to == CUSTOM_BUCKETS_SCHEMA || to >= from {
        return Err(HistogramError::CannotReduceResolution { from, to });
    }
    Ok(())
}

impl FloatHistogram {
    /// Merges buckets to the coarser `target_schema` (each step down halves
    /// the resolution). Errors for custom buckets, for a target that is not
    /// lower than the current schema, and for inconsistent spans.
    pub fn reduce_resolution(&mut self, target_schema: i32) -> Result<(), HistogramError> {
        check_reduce(self.schema, target_schema)?;
        let pos = checked_items(Side::Positive, &self.positive_spans, &self.positive_buckets)?;
        let neg = checked_items(Side::Negative, &self.negative_spans, &self.negative_buckets)?;
        (self.positive_spans, self.positive_buckets) =
            buckets::build(&reduce(&pos, self.schema, target_schema), 0);
        (self.negative_spans, self.negative_buckets) =
            buckets::build(&reduce(&neg, self.schema, target_schema), 0);
        self.schema = target_schema;
        Ok(())
    }

    /// Removes empty buckets and joins spans separated by at most
    /// `max_empty_buckets` empty buckets.
    pub fn compact(&mut self, max_empty_buckets: u32) {
        (self.positive_spans, self.positive_buckets) = buckets::compact(
            &self.positive_spans,
            &self.positive_buckets,
            max_empty_buckets,
        );
        (self.negative_spans, self.negative_buckets) = buckets::compact(
            &self.negative_spans,
            &self.negative_buckets,
            max_empty_buckets,
        );
    }

    /// Multiplies every count and the sum by `factor`; a negative factor makes
    /// the result a gauge histogram.
    pub fn mul(&mut self, factor: f64) {
        self.zero_count *= factor;
        self.count *= factor;
        self.sum *= factor;
        self.positive_buckets.iter_mut().for_each(|b| *b *= factor);
        self.negative_buckets.iter_mut().for_each(|b| *b *= factor);
        if factor < 0.0 {
            self.counter_reset_hint = CounterResetHint::Gauge;
        }
    }

    /// Divides every count and the sum by `scalar`. Division by zero leaves
    /// count, zero count and sum as ±Inf/NaN and drops all buckets, as
    /// Prometheus does.
    pub fn div(&mut self, scalar: f64) {
        self.zero_count /= scalar;
        self.count /= scalar;
        self.sum /= scalar;
        if scalar == 0.0 {
            self.positive_buckets.clear();
            self.negative_buckets.clear();
            self.positive_spans.clear();
            self.negative_spans.clear();
            return;
        }
        self.positive_buckets.iter_mut().for_each(|b| *b /= scalar);
        self.negative_buckets.iter_mut().for_each(|b| *b /= scalar);
        if scalar < 0.0 {
            self.counter_reset_hint = CounterResetHint::Gauge;
        }
    }

    /// Adds `other` into `self`, converting to the lower of the two schemas
    /// and the wider of the two zero buckets. Returns whether the counter
    /// reset hints collided (`CounterReset` vs `NotCounterReset`), which
    /// PromQL reports as a warning.
    pub fn add(&mut self, other: &FloatHistogram) -> Result<bool, HistogramError> {
        self.combine(other, false)
    }

    /// Subtracts `other` from `self`; see [`FloatHistogram::add`].
    pub fn sub(&mut self, other: &FloatHistogram) -> Result<bool, HistogramError> {
        self.combine(other, true)
    }

    fn combine(&mut self, other: &FloatHistogram, negate: bool) -> Result<bool, HistogramError> {
        let custom = self.uses_custom_buckets();
        if custom != other.uses_custom_buckets() {
            return Err(HistogramError::IncompatibleSchema);
        }
        if custom && !bounds_match(&self.custom_values, &other.custom_values) {
            return Err(HistogramError::CustomBoundsMismatch);
        }
        // Check both layouts before changing anything.
        let pos_side = if custom { Side::Custom } else { Side::Positive };
        checked_items(pos_side, &self.positive_spans, &self.positive_buckets)?;
        checked_items(Side::Negative, &self.negative_spans, &self.negative_buckets)?;
        let mut other_pos =
            checked_items(pos_side, &other.positive_spans, &other.positive_buckets)?;
        let mut other_neg = checked_items(
            Side::Negative,
            &other.negative_spans,
            &other.negative_buckets,
        )?;

        let collision = self.adjust_counter_reset(other);
        let sign = if negate { -1.0 } else { 1.0 };
        if !custom {
            let other_zero = self.reconcile_zero_buckets(other);
            self.zero_count += sign * other_zero;
        }
        self.count += sign * other.count;
        self.sum += sign * other.sum;

        let mut pos = items(&self.positive_spans, &self.positive_buckets);
        let mut neg = items(&self.negative_spans, &self.negative_buckets);
        if !custom {
            // Buckets of `other` inside the (possibly widened) zero bucket
            // were counted in its zero count. Prometheus drops them after
            // converting to the common schema, which counts twice a bucket
            // that only straddles the threshold once merged; dropping them
            // at `other`'s own schema gives the same result otherwise.
            let threshold = self.zero_threshold;
            let outside = |b: &(i32, f64)| exponential_bound(b.0, other.schema) > threshold;
            other_pos = skip_leading(other_pos, outside);
            other_neg = skip_leading(other_neg, outside);
            let target = self.schema.min(other.schema);
            if self.schema > target {
                pos = reduce(&pos, self.schema, target);
                neg = reduce(&neg, self.schema, target);
                self.schema = target;
            }
            if other.schema > target {
                other_pos = reduce(&other_pos, other.schema, target);
                other_neg = reduce(&other_neg, other.schema, target);
            }
        }
        let signed = |v: Vec<(i32, f64)>| -> Vec<(i32, f64)> {
            v.into_iter().map(|(i, c)| (i, sign * c)).collect()
        };
        (self.positive_spans, self.positive_buckets) =
            buckets::build(&merge(&pos, &signed(other_pos)), 0);
        (self.negative_spans, self.negative_buckets) =
            buckets::build(&merge(&neg, &signed(other_neg)), 0);
        Ok(collision)
    }

    /// Combines counter reset hints like Prometheus' `adjustCounterReset`;
    /// returns true on a `CounterReset`/`NotCounterReset` collision.
    fn adjust_counter_reset(&mut self, other: &FloatHistogram) -> bool {
        use CounterResetHint::*;
        match (self.counter_reset_hint, other.counter_reset_hint) {
            (a, b) if a == b => false,
            (Gauge, _) | (Unknown, _) => false,
            (_, Gauge) => {
                self.counter_reset_hint = Gauge;
                false
            }
            (_, Unknown) => {
                self.counter_reset_hint = Unknown;
                false
            }
            _ => {
                self.counter_reset_hint = Unknown;
                true
            }
        }
    }

    /// Zero count this histogram would have with a zero bucket of (at least)
    /// `larger` width, and the threshold actually needed: a populated bucket
    /// straddling the new threshold is swallowed whole, widening it further.
    fn zero_count_for_larger_threshold(&self, mut larger: f64) -> (f64, f64) {
        // Not larger (or NaN): nothing to widen.
        if larger.partial_cmp(&self.zero_threshold) != Some(std::cmp::Ordering::Greater) {
            return (self.zero_count, self.zero_threshold.max(larger));
        }
        'outer: loop {
            let mut zero = self.zero_count;
            for b in self.positive_buckets() {
                if b.lower >= larger {
                    break;
                }
                zero += b.count;
                if b.upper > larger {
                    if b.count != 0.0 {
                        larger = b.upper;
                    }
                    break;
                }
            }
            for b in self.negative_buckets() {
                if b.upper <= -larger {
                    break;
                }
                zero += b.count;
                if b.lower < -larger {
                    if b.count != 0.0 {
                        // Widening may pull in more positive buckets.
                        larger = -b.lower;
                        continue 'outer;
                    }
                    break;
                }
            }
            return (zero, larger);
        }
    }

    /// Sets buckets now inside the zero bucket to zero and compacts them away.
    fn trim_buckets_in_zero_bucket(&mut self) {
        let threshold = self.zero_threshold;
        let n = self
            .positive_buckets()
            .take_while(|b| b.lower < threshold)
            .count();
        self.positive_buckets
            .iter_mut()
            .take(n)
            .for_each(|b| *b = 0.0);
        let n = self
            .negative_buckets()
            .take_while(|b| b.upper > -threshold)
            .count();
        self.negative_buckets
            .iter_mut()
            .take(n)
            .for_each(|b| *b = 0.0);
        self.compact(0);
    }

    /// Widens whichever zero bucket is narrower until both match; returns
    /// `other`'s zero count for the common threshold.
    fn reconcile_zero_buckets(&mut self, other: &FloatHistogram) -> f64 {
        let mut other_zero = other.zero_count;
        let mut other_threshold = other.zero_threshold;
        // Thresholds only grow, each time to a bucket boundary, so this
        // terminates; the cap guards against NaN thresholds.
        let cap = 4
            + self.positive_buckets.len()
            + self.negative_buckets.len()
            + other.positive_buckets.len()
            + other.negative_buckets.len();
        for _ in 0..cap {
            if other_threshold == self.zero_threshold {
                break;
            }
            if self.zero_threshold > other_threshold {
                (other_zero, other_threshold) =
                    other.zero_count_for_larger_threshold(self.zero_threshold);
            }
            if other_threshold > self.zero_threshold {
                (self.zero_count, self.zero_threshold) =
                    self.zero_count_for_larger_threshold(other_threshold);
                self.trim_buckets_in_zero_bucket();
            }
        }
        other_zero
    }

    /// Whether a counter reset happened between `previous` and `self`, by
    /// Prometheus' rules: the hint decides if it is `CounterReset` or
    /// `NotCounterReset`; otherwise any decrease (total count, zero bucket,
    /// any bucket after converting `previous` to `self`'s schema and zero
    /// threshold), an increase in resolution, a narrower zero bucket, or
    /// changed custom bounds count as a reset.
    pub fn detect_reset(&self, previous: &FloatHistogram) -> bool {
        match self.counter_reset_hint {
            CounterResetHint::CounterReset => return true,
            CounterResetHint::NotCounterReset => return false,
            CounterResetHint::Unknown | CounterResetHint::Gauge => {}
        }
        if self.count < previous.count {
            return true;
        }
        if self.uses_custom_buckets()
            && (!previous.uses_custom_buckets()
                || !bounds_match(&self.custom_values, &previous.custom_values))
        {
            return true;
        }
        if self.schema > previous.schema || self.zero_threshold < previous.zero_threshold {
            return true;
        }
        let (prev_zero, threshold) = previous.zero_count_for_larger_threshold(self.zero_threshold);
        if threshold != self.zero_threshold || self.zero_count < prev_zero {
            return true;
        }
        let sides = [
            (
                &self.positive_spans,
                &self.positive_buckets,
                &previous.positive_spans,
                &previous.positive_buckets,
            ),
            (
                &self.negative_spans,
                &self.negative_buckets,
                &previous.negative_spans,
                &previous.negative_buckets,
            ),
        ];
        sides.into_iter().any(|(cs, cb, ps, pb)| {
            let curr = self.comparable(items(cs, cb), self.schema);
            let prev = self.comparable(
                reduce_to(items(ps, pb), previous.schema, self.schema),
                self.schema,
            );
            buckets_decreased(&curr, &prev)
        })
    }

    /// Drops leading exponential buckets inside `self`'s zero bucket.
    fn comparable(&self, v: Vec<(i32, f64)>, schema: i32) -> Vec<(i32, f64)> {
        if schema == CUSTOM_BUCKETS_SCHEMA {
            return v;
        }
        let threshold = self.zero_threshold;
        skip_leading(v, |b| exponential_bound(b.0, schema) > threshold)
    }

    /// Compares like Prometheus' `Equals`: counts, sum and bucket values
    /// bit for bit (so NaN equals the same NaN), the zero threshold and
    /// custom bounds numerically, spans by the layout they describe.
    pub fn equals(&self, other: &FloatHistogram) -> bool {
        let bits = |a: f64, b: f64| a.to_bits() == b.to_bits();
        let all_bits =
            |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| bits(*x, *y));
        self.schema == other.schema
            && bits(self.count, other.count)
            && bits(self.sum, other.sum)
            && (!self.uses_custom_buckets()
                || bounds_match(&self.custom_values, &other.custom_values))
            && self.zero_threshold == other.zero_threshold
            && bits(self.zero_count, other.zero_count)
            && buckets::spans_match(&self.negative_spans, &other.negative_spans)
            && all_bits(&self.negative_buckets, &other.negative_buckets)
            && buckets::spans_match(&self.positive_spans, &other.positive_spans)
            && all_bits(&self.positive_buckets, &other.positive_buckets)
    }
}

impl Histogram {
    /// Merges buckets to the coarser `target_schema`; see
    /// [`FloatHistogram::reduce_resolution`].
    pub fn reduce_resolution(&mut self, target_schema: i32) -> Result<(), HistogramError> {
        check_reduce(self.schema, target_schema)?;
        let pos_abs = buckets::decode_deltas(&self.positive_buckets);
        let neg_abs = buckets::decode_deltas(&self.negative_buckets);
        let pos = checked_items(Side::Positive, &self.positive_spans, &pos_abs)?;
        let neg = checked_items(Side::Negative, &self.negative_spans, &neg_abs)?;
        let (ps, pb) = buckets::build(&reduce(&pos, self.schema, target_schema), 0);
        let (ns, nb) = buckets::build(&reduce(&neg, self.schema, target_schema), 0);
        self.positive_spans = ps;
        self.positive_buckets = buckets::encode_deltas(&pb);
        self.negative_spans = ns;
        self.negative_buckets = buckets::encode_deltas(&nb);
        self.schema = target_schema;
        Ok(())
    }

    /// Removes empty buckets and joins spans separated by at most
    /// `max_empty_buckets` empty buckets, keeping the delta encoding.
    pub fn compact(&mut self, max_empty_buckets: u32) {
        let compact = |spans: &[super::Span], deltas: &[i64]| {
            let (s, abs) =
                buckets::compact(spans, &buckets::decode_deltas(deltas), max_empty_buckets);
            (s, buckets::encode_deltas(&abs))
        };
        (self.positive_spans, self.positive_buckets) =
            compact(&self.positive_spans, &self.positive_buckets);
        (self.negative_spans, self.negative_buckets) =
            compact(&self.negative_spans, &self.negative_buckets);
    }

    /// Compares like Prometheus' `Histogram.Equals` (sum bit for bit, spans
    /// by layout).
    pub fn equals(&self, other: &Histogram) -> bool {
        self.schema == other.schema
            && self.count == other.count
            && self.sum.to_bits() == other.sum.to_bits()
            && (!self.uses_custom_buckets()
                || bounds_match(&self.custom_values, &other.custom_values))
            && self.zero_threshold == other.zero_threshold
            && self.zero_count == other.zero_count
            && buckets::spans_match(&self.negative_spans, &other.negative_spans)
            && self.negative_buckets == other.negative_buckets
            && buckets::spans_match(&self.positive_spans, &other.positive_spans)
            && self.positive_buckets == other.positive_buckets
    }
}

fn reduce_to(v: Vec<(i32, f64)>, from: i32, to: i32) -> Vec<(i32, f64)> {
    if from > to && from != CUSTOM_BUCKETS_SCHEMA && to != CUSTOM_BUCKETS_SCHEMA {
        reduce(&v, from, to)
    } else {
        v
    }
}

/// Drops elements from the front until `keep` holds for one.
fn skip_leading(v: Vec<(i32, f64)>, keep: impl Fn(&(i32, f64)) -> bool) -> Vec<(i32, f64)> {
    match v.iter().position(&keep) {
        Some(0) => v,
        Some(n) => v[n..].to_vec(),
        None => Vec::new(),
    }
}

/// Whether any bucket of `prev` is missing from `curr` while populated, or
/// has a larger count than in `curr` (both sorted by index).
fn buckets_decreased(curr: &[(i32, f64)], prev: &[(i32, f64)]) -> bool {
    let mut c = curr.iter().peekable();
    for &(idx, count) in prev {
        while c.next_if(|b| b.0 < idx).is_some() {}
        match c.peek() {
            Some(&&(ci, cc)) if ci == idx => {
                if cc < count {
                    return true;
                }
            }
            _ => {
                if count != 0.0 {
                    return true;
                }
            }
        }
    }
    false
}
