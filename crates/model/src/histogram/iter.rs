//! Bucket iteration with boundaries, following the bucket iterators of
//! Prometheus' `model/histogram/generic.go` and `float_histogram.go`.
//!
//! Positive bucket `i` covers `(bound(i-1), bound(i)]`, negative bucket `i`
//! covers `[-bound(i), -bound(i-1))`; custom buckets are `(cv[i-1], cv[i]]`
//! with the first one also including `-Inf`.

use std::fmt;

use super::bounds::bound;
use super::{CUSTOM_BUCKETS_SCHEMA, FloatHistogram, Histogram, Span};

mod sealed {
    pub trait Sealed {}
    impl Sealed for u64 {}
    impl Sealed for f64 {}
}

/// Count type of a bucket: `u64` for [`Histogram`], `f64` for [`FloatHistogram`].
pub trait BucketCount: Copy + fmt::Debug + PartialEq + sealed::Sealed {
    /// How counts are stored in the histogram (deltas for `u64`).
    type Stored: Copy + Default + fmt::Debug;
    /// Turns the next stored value into an absolute count, given the running
    /// state `acc` (the previous absolute count for delta encoding).
    fn decode(acc: &mut Self::Stored, stored: Self::Stored) -> Self;
    /// The count as Prometheus prints it (Go's `%v`).
    fn to_go_string(self) -> String;
}

impl BucketCount for u64 {
    type Stored = i64;
    fn decode(acc: &mut i64, stored: i64) -> u64 {
        // Wrapping like Go; a negative result only arises in invalid
        // histograms, which `validate` reports.
        *acc = acc.wrapping_add(stored);
        *acc as u64
    }
    fn to_go_string(self) -> String {
        self.to_string()
    }
}

impl BucketCount for f64 {
    type Stored = f64;
    fn decode(_acc: &mut f64, stored: f64) -> f64 {
        stored
    }
    fn to_go_string(self) -> String {
        super::format::go_float(self, 21)
    }
}

/// One bucket with its boundaries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket<C> {
    /// Lower boundary.
    pub lower: f64,
    /// Upper boundary.
    pub upper: f64,
    /// Whether `lower` itself belongs to the bucket.
    pub lower_inclusive: bool,
    /// Whether `upper` itself belongs to the bucket.
    pub upper_inclusive: bool,
    /// Number of observations.
    pub count: C,
    /// Bucket index in its schema (`i32::MIN` for the zero bucket).
    pub index: i32,
}

/// Walks spans, yielding `(bucket index, position in the bucket slice)`.
/// Stops early instead of panicking when spans and buckets disagree.
#[derive(Debug, Clone)]
pub(crate) struct SpanWalk<'a> {
    spans: &'a [Span],
    n_buckets: usize,
    span: usize,
    in_span: u32,
    pos: usize,
    idx: i32,
}

impl<'a> SpanWalk<'a> {
    pub(crate) fn new(spans: &'a [Span], n_buckets: usize) -> SpanWalk<'a> {
        SpanWalk {
            spans,
            n_buckets,
            span: 0,
            in_span: 0,
            pos: 0,
            idx: 0,
        }
    }
}

impl Iterator for SpanWalk<'_> {
    type Item = (i32, usize);

    fn next(&mut self) -> Option<(i32, usize)> {
        loop {
            let span = self.spans.get(self.span)?;
            if self.pos >= self.n_buckets {
                return None;
            }
            if self.in_span == 0 {
                self.idx = self.idx.wrapping_add(span.offset);
            }
            if self.in_span < span.length {
                let out = (self.idx, self.pos);
                self.in_span += 1;
                self.pos += 1;
                self.idx = self.idx.wrapping_add(1);
                return Some(out);
            }
            self.span += 1;
            self.in_span = 0;
        }
    }
}

/// Iterator over the positive or negative buckets of a histogram, in order
/// of increasing bucket index (increasing |value|).
#[derive(Debug, Clone)]
pub struct BucketIter<'a, C: BucketCount> {
    walk: SpanWalk<'a>,
    buckets: &'a [C::Stored],
    acc: C::Stored,
    schema: i32,
    custom_values: &'a [f64],
    positive: bool,
}

impl<'a, C: BucketCount> BucketIter<'a, C> {
    pub(crate) fn new(
        spans: &'a [Span],
        buckets: &'a [C::Stored],
        schema: i32,
        custom_values: &'a [f64],
        positive: bool,
    ) -> Self {
        BucketIter {
            walk: SpanWalk::new(spans, buckets.len()),
            buckets,
            acc: C::Stored::default(),
            schema,
            custom_values,
            positive,
        }
    }
}

impl<C: BucketCount> Iterator for BucketIter<'_, C> {
    type Item = Bucket<C>;

    fn next(&mut self) -> Option<Bucket<C>> {
        let (idx, pos) = self.walk.next()?;
        let count = C::decode(&mut self.acc, *self.buckets.get(pos)?);
        Some(make_bucket(
            idx,
            count,
            self.schema,
            self.custom_values,
            self.positive,
        ))
    }
}

pub(crate) fn make_bucket<C>(
    idx: i32,
    count: C,
    schema: i32,
    custom_values: &[f64],
    positive: bool,
) -> Bucket<C> {
    let hi = bound(idx, schema, custom_values);
    let lo = bound(idx.wrapping_sub(1), schema, custom_values);
    let (lower, upper) = if positive { (lo, hi) } else { (-hi, -lo) };
    let (lower_inclusive, upper_inclusive) = if schema == CUSTOM_BUCKETS_SCHEMA {
        (idx == 0, true)
    } else {
        // The boundary farther from zero is the inclusive one.
        (lower < 0.0, upper > 0.0)
    };
    Bucket {
        lower,
        upper,
        lower_inclusive,
        upper_inclusive,
        count,
        index: idx,
    }
}

/// Every bucket in order of increasing value: negative buckets (highest
/// index first), the zero bucket if it has observations, positive buckets.
/// Boundaries overlapping the zero bucket are clamped to its threshold.
fn all_buckets<C: BucketCount>(
    neg: BucketIter<'_, C>,
    zero: Option<Bucket<C>>,
    pos: BucketIter<'_, C>,
    threshold: f64,
) -> std::vec::IntoIter<Bucket<C>> {
    let clamp = |mut b: Bucket<C>| {
        if b.upper < 0.0 && b.upper > -threshold {
            b.upper = -threshold;
        } else if b.lower > 0.0 && b.lower < threshold {
            b.lower = threshold;
        }
        b
    };
    let mut out: Vec<Bucket<C>> = neg.map(clamp).collect();
    out.reverse();
    out.extend(zero);
    out.extend(pos.map(clamp));
    out.into_iter()
}

fn zero_bucket<C>(threshold: f64, count: C) -> Bucket<C> {
    Bucket {
        lower: -threshold,
        upper: threshold,
        lower_inclusive: true,
        upper_inclusive: true,
        count,
        index: i32::MIN,
    }
}

impl Histogram {
    /// Positive buckets with boundaries and absolute counts, ascending.
    pub fn positive_buckets(&self) -> BucketIter<'_, u64> {
        BucketIter::new(
            &self.positive_spans,
            &self.positive_buckets,
            self.schema,
            &self.custom_values,
            true,
        )
    }

    /// Negative buckets with boundaries and absolute counts, from the one
    /// closest to zero outwards.
    pub fn negative_buckets(&self) -> BucketIter<'_, u64> {
        BucketIter::new(
            &self.negative_spans,
            &self.negative_buckets,
            self.schema,
            &self.custom_values,
            false,
        )
    }

    /// The zero bucket `[-zero_threshold, zero_threshold]`; `None` for custom buckets.
    pub fn zero_bucket(&self) -> Option<Bucket<u64>> {
        (!self.uses_custom_buckets()).then(|| zero_bucket(self.zero_threshold, self.zero_count))
    }

    /// All buckets in order of increasing value (see [`FloatHistogram::all_buckets`]).
    pub fn all_buckets(&self) -> std::vec::IntoIter<Bucket<u64>> {
        let zero = self.zero_bucket().filter(|b| b.count > 0);
        all_buckets(
            self.negative_buckets(),
            zero,
            self.positive_buckets(),
            self.zero_threshold,
        )
    }
}

impl FloatHistogram {
    /// Positive buckets with boundaries, ascending.
    pub fn positive_buckets(&self) -> BucketIter<'_, f64> {
        BucketIter::new(
            &self.positive_spans,
            &self.positive_buckets,
            self.schema,
            &self.custom_values,
            true,
        )
    }

    /// Negative buckets with boundaries, from the one closest to zero outwards.
    pub fn negative_buckets(&self) -> BucketIter<'_, f64> {
        BucketIter::new(
            &self.negative_spans,
            &self.negative_buckets,
            self.schema,
            &self.custom_values,
            false,
        )
    }

    /// The zero bucket `[-zero_threshold, zero_threshold]`; `None` for custom buckets.
    pub fn zero_bucket(&self) -> Option<Bucket<f64>> {
        (!self.uses_custom_buckets()).then(|| zero_bucket(self.zero_threshold, self.zero_count))
    }

    /// All buckets in order of increasing value: negative buckets, the zero
    /// bucket (only if its count is positive), positive buckets — what
    /// Prometheus' `AllBucketIterator` yields, e.g. for quantile estimation.
    pub fn all_buckets(&self) -> std::vec::IntoIter<Bucket<f64>> {
        let zero = self.zero_bucket().filter(|b| b.count > 0.0);
        all_buckets(
            self.negative_buckets(),
            zero,
            self.positive_buckets(),
            self.zero_threshold,
        )
    }
}
