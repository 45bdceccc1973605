//! Histogram validation with the checks and error kinds of Prometheus'
//! `Histogram.Validate` / `FloatHistogram.Validate`
//! (`model/histogram/histogram.go`, `float_histogram.go`, `generic.go`).

use super::error::{HistogramError, Side};
use super::{CUSTOM_BUCKETS_SCHEMA, FloatHistogram, Histogram, MAX_SCHEMA, MIN_SCHEMA, Span};

fn is_exponential(schema: i32) -> bool {
    (MIN_SCHEMA..=MAX_SCHEMA).contains(&schema)
}

/// Offsets after the first span must be non-negative, and the spans must
/// describe exactly `n_buckets` buckets.
fn check_spans(side: Side, spans: &[Span], n_buckets: usize) -> Result<(), HistogramError> {
    let mut need = 0usize;
    for (n, span) in spans.iter().enumerate() {
        if n > 0 && span.offset < 0 {
            return Err(HistogramError::SpanNegativeOffset {
                side,
                span: n + 1,
                offset: span.offset,
            });
        }
        need = need.saturating_add(span.length as usize);
    }
    if need != n_buckets {
        return Err(HistogramError::SpansBucketsMismatch {
            side,
            need,
            have: n_buckets,
        });
    }
    Ok(())
}

/// Delta-decodes integer buckets, rejecting negative counts; returns their
/// total (wrapping, as Go's uint64 arithmetic does).
fn check_int_buckets(side: Side, deltas: &[i64]) -> Result<u64, HistogramError> {
    let (mut abs, mut total) = (0i64, 0u64);
    for (i, d) in deltas.iter().enumerate() {
        abs = abs.wrapping_add(*d);
        if abs < 0 {
            return Err(HistogramError::NegativeBucketCount {
                side,
                bucket: i + 1,
                count: abs as f64,
            });
        }
        total = total.wrapping_add(abs as u64);
    }
    Ok(total)
}

fn check_float_buckets(side: Side, buckets: &[f64]) -> Result<(), HistogramError> {
    match buckets.iter().position(|c| *c < 0.0) {
        Some(i) => Err(HistogramError::NegativeBucketCount {
            side,
            bucket: i + 1,
            count: buckets[i],
        }),
        None => Ok(()),
    }
}

/// Custom bounds: no NaN, strictly increasing, no explicit `+Inf`; spans all
/// non-negative and covered by the bounds (plus the implicit `+Inf` bucket).
fn check_custom_bounds(
    bounds: &[f64],
    spans: &[Span],
    n_buckets: usize,
) -> Result<(), HistogramError> {
    let mut prev = f64::NEG_INFINITY;
    for (i, &curr) in bounds.iter().enumerate() {
        if curr.is_nan() {
            return Err(HistogramError::CustomBoundsNaN);
        }
        if i > 0 && curr <= prev {
            return Err(HistogramError::CustomBoundsNotIncreasing { prev, curr });
        }
        prev = curr;
    }
    if prev == f64::INFINITY {
        return Err(HistogramError::CustomBoundsInfinite);
    }
    let (mut need, mut reach) = (0usize, 0i64);
    for (n, span) in spans.iter().enumerate() {
        if span.offset < 0 {
            return Err(HistogramError::SpanNegativeOffset {
                side: Side::Custom,
                span: n + 1,
                offset: span.offset,
            });
        }
        need = need.saturating_add(span.length as usize);
        reach = reach.saturating_add(i64::from(span.length) + i64::from(span.offset));
    }
    if need != n_buckets {
        return Err(HistogramError::SpansBucketsMismatch {
            side: Side::Custom,
            need,
            have: n_buckets,
        });
    }
    if (bounds.len() as i64).saturating_add(1) < reach {
        return Err(HistogramError::CustomBoundsTooFew {
            bounds: bounds.len(),
            needed: usize::try_from(reach).unwrap_or(usize::MAX),
        });
    }
    Ok(())
}

/// Checks shared by both flavours for custom-bucket histograms.
fn check_custom_common(
    custom_values: &[f64],
    positive_spans: &[Span],
    n_positive: usize,
    zero_count_is_zero: bool,
    zero_threshold: f64,
    negative_spans: &[Span],
    n_negative: usize,
) -> Result<(), HistogramError> {
    check_custom_bounds(custom_values, positive_spans, n_positive)?;
    if !zero_count_is_zero {
        return Err(HistogramError::CustomBucketsZeroCount);
    }
    if zero_threshold != 0.0 {
        return Err(HistogramError::CustomBucketsZeroThreshold);
    }
    if !negative_spans.is_empty() {
        return Err(HistogramError::CustomBucketsNegativeSpans);
    }
    if n_negative > 0 {
        return Err(HistogramError::CustomBucketsNegativeBuckets);
    }
    Ok(())
}

impl Histogram {
    /// Checks the histogram for consistency, like Prometheus' `Validate`.
    ///
    /// Without NaN observations (`sum` not NaN) `count` must equal the
    /// observations in all buckets; with a NaN sum it may be larger, because
    /// NaN observations are counted but land in no bucket.
    pub fn validate(&self) -> Result<(), HistogramError> {
        let mut n_count = 0u64;
        if self.schema == CUSTOM_BUCKETS_SCHEMA {
            check_custom_common(
                &self.custom_values,
                &self.positive_spans,
                self.positive_buckets.len(),
                self.zero_count == 0,
                self.zero_threshold,
                &self.negative_spans,
                self.negative_buckets.len(),
            )?;
        } else if is_exponential(self.schema) {
            check_spans(
                Side::Positive,
                &self.positive_spans,
                self.positive_buckets.len(),
            )?;
            check_spans(
                Side::Negative,
                &self.negative_spans,
                self.negative_buckets.len(),
            )?;
            n_count = check_int_buckets(Side::Negative, &self.negative_buckets)?;
            if !self.custom_values.is_empty() {
                return Err(HistogramError::ExponentialSchemaCustomBounds);
            }
        } else {
            return Err(HistogramError::InvalidSchema(self.schema));
        }
        // Prometheus reports bucket counts as "positive side" for custom
        // buckets too (only bound and span problems say "custom buckets").
        let p_count = check_int_buckets(Side::Positive, &self.positive_buckets)?;
        let buckets = n_count.wrapping_add(p_count).wrapping_add(self.zero_count);
        if self.sum.is_nan() {
            if buckets > self.count {
                return Err(HistogramError::CountNotBigEnough {
                    buckets,
                    count: self.count,
                });
            }
        } else if buckets != self.count {
            return Err(HistogramError::CountMismatch {
                buckets,
                count: self.count,
            });
        }
        Ok(())
    }
}

impl FloatHistogram {
    /// Checks the histogram for consistency, like Prometheus' `Validate`.
    ///
    /// Unlike the integer flavour, `count` is not compared with the bucket
    /// totals: float rounding makes exact equality meaningless.
    pub fn validate(&self) -> Result<(), HistogramError> {
        if self.schema == CUSTOM_BUCKETS_SCHEMA {
            check_custom_common(
                &self.custom_values,
                &self.positive_spans,
                self.positive_buckets.len(),
                self.zero_count == 0.0,
                self.zero_threshold,
                &self.negative_spans,
                self.negative_buckets.len(),
            )?;
        } else if is_exponential(self.schema) {
            check_spans(
                Side::Positive,
                &self.positive_spans,
                self.positive_buckets.len(),
            )?;
            check_spans(
                Side::Negative,
                &self.negative_spans,
                self.negative_buckets.len(),
            )?;
            check_float_buckets(Side::Negative, &self.negative_buckets)?;
            if self.zero_count < 0.0 {
                return Err(HistogramError::NegativeZeroCount(self.zero_count));
            }
            if !self.custom_values.is_empty() {
                return Err(HistogramError::ExponentialSchemaCustomBounds);
            }
        } else {
            return Err(HistogramError::InvalidSchema(self.schema));
        }
        if self.count < 0.0 {
            return Err(HistogramError::NegativeCount(self.count));
        }
        check_float_buckets(Side::Positive, &self.positive_buckets)
    }
}
