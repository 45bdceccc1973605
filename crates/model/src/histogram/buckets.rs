//! Bucket-list plumbing shared by the histogram operations: spans + counts
//! are flattened to sorted `(index, count)` lists, transformed, and turned
//! back into spans. Working on flat lists keeps each operation short and
//! obviously correct; the span layouts it produces are canonical (adjacent
//! spans joined), which Prometheus treats as equal to any other layout of the
//! same buckets (see `spansMatch` in `model/histogram/histogram.go`).

use super::Span;
use super::bounds::target_idx;
use super::error::{HistogramError, Side};
use super::iter::SpanWalk;

/// Counts that can be summed without panicking.
pub(crate) trait Count: Copy + Default + PartialEq {
    fn plus(self, other: Self) -> Self;
    fn is_zero(self) -> bool;
}

impl Count for f64 {
    fn plus(self, other: f64) -> f64 {
        self + other
    }
    fn is_zero(self) -> bool {
        self == 0.0
    }
}

impl Count for i64 {
    fn plus(self, other: i64) -> i64 {
        self.wrapping_add(other)
    }
    fn is_zero(self) -> bool {
        self == 0
    }
}

/// Flattens spans and absolute counts; stops early on a length mismatch.
pub(crate) fn items<T: Copy>(spans: &[Span], buckets: &[T]) -> Vec<(i32, T)> {
    SpanWalk::new(spans, buckets.len())
        .filter_map(|(idx, pos)| buckets.get(pos).map(|c| (idx, *c)))
        .collect()
}

/// Like [`items`], but rejects layouts that would make the list unsorted or
/// lose buckets (the checks of Prometheus' `reduceResolution`).
pub(crate) fn checked_items<T: Copy>(
    side: Side,
    spans: &[Span],
    buckets: &[T],
) -> Result<Vec<(i32, T)>, HistogramError> {
    let mut need = 0usize;
    for (n, s) in spans.iter().enumerate() {
        if n > 0 && s.offset < 0 {
            return Err(HistogramError::SpanNegativeOffset {
                side,
                span: n + 1,
                offset: s.offset,
            });
        }
        need = need.saturating_add(s.length as usize);
    }
    if need != buckets.len() {
        return Err(HistogramError::SpansBucketsMismatch {
            side,
            need,
            have: buckets.len(),
        });
    }
    Ok(items(spans, buckets))
}

/// Delta-decodes integer bucket counts.
pub(crate) fn decode_deltas(deltas: &[i64]) -> Vec<i64> {
    let mut acc = 0i64;
    deltas
        .iter()
        .map(|d| {
            acc = acc.wrapping_add(*d);
            acc
        })
        .collect()
}

/// Delta-encodes absolute integer bucket counts.
pub(crate) fn encode_deltas(abs: &[i64]) -> Vec<i64> {
    let mut prev = 0i64;
    abs.iter()
        .map(|a| {
            let d = a.wrapping_sub(prev);
            prev = *a;
            d
        })
        .collect()
}

/// Maps every bucket to its index in the coarser `to` schema and sums the
/// buckets that land in the same one.
pub(crate) fn reduce<T: Count>(items: &[(i32, T)], from: i32, to: i32) -> Vec<(i32, T)> {
    let mut out: Vec<(i32, T)> = Vec::with_capacity(items.len());
    for &(idx, c) in items {
        let t = target_idx(idx, from, to);
        match out.last_mut() {
            Some((last, acc)) if *last == t => *acc = acc.plus(c),
            _ => out.push((t, c)),
        }
    }
    out
}

/// Builds spans from a sorted list, joining runs separated by at most
/// `max_gap` missing buckets (filled with zero counts). Unsorted input (only
/// from invalid histograms) yields a new span with a negative offset rather
/// than a panic.
pub(crate) fn build<T: Count>(items: &[(i32, T)], max_gap: u32) -> (Vec<Span>, Vec<T>) {
    let mut spans: Vec<Span> = Vec::new();
    let mut buckets: Vec<T> = Vec::with_capacity(items.len());
    let mut next = 0i64; // Index right after the last bucket emitted.
    for &(idx, c) in items {
        let gap = i64::from(idx) - next;
        match spans.last_mut() {
            Some(span) if (0..=i64::from(max_gap)).contains(&gap) => {
                for _ in 0..gap {
                    buckets.push(T::default());
                }
                span.length = span
                    .length
                    .saturating_add(u32::try_from(gap + 1).unwrap_or(u32::MAX));
            }
            last => {
                let offset = if last.is_none() { i64::from(idx) } else { gap };
                spans.push(Span {
                    offset: offset.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
                    length: 1,
                });
            }
        }
        buckets.push(c);
        next = i64::from(idx) + 1;
    }
    (spans, buckets)
}

/// Merges two sorted lists, combining counts of equal indexes.
pub(crate) fn merge<T: Count>(a: &[(i32, T)], b: &[(i32, T)]) -> Vec<(i32, T)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                out.push((x.0, x.1.plus(y.1)));
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                out.push(*x);
                i += 1;
            }
            (Some(_), Some(y)) | (None, Some(y)) => {
                out.push(*y);
                j += 1;
            }
            (Some(x), None) => {
                out.push(*x);
                i += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// Compacts a bucket list: drops empty buckets, then joins spans separated
/// by at most `max_empty` empty buckets (Prometheus' `compactBuckets`).
pub(crate) fn compact<T: Count>(
    spans: &[Span],
    buckets: &[T],
    max_empty: u32,
) -> (Vec<Span>, Vec<T>) {
    let kept: Vec<(i32, T)> = items(spans, buckets)
        .into_iter()
        .filter(|(_, c)| !c.is_zero())
        .collect();
    build(&kept, max_empty)
}

/// Whether two span lists describe the same bucket layout, ignoring how runs
/// are split into spans (Prometheus' `spansMatch`).
pub(crate) fn spans_match(a: &[Span], b: &[Span]) -> bool {
    fn runs(spans: &[Span]) -> Vec<(i64, i64)> {
        let mut out: Vec<(i64, i64)> = Vec::new();
        let mut next = 0i64;
        for s in spans {
            let start = next + i64::from(s.offset);
            next = start + i64::from(s.length);
            if s.length == 0 {
                continue;
            }
            match out.last_mut() {
                Some((_, end)) if *end == start => *end = next,
                _ => out.push((start, next)),
            }
        }
        out
    }
    runs(a) == runs(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(v: &[(i32, u32)]) -> Vec<Span> {
        v.iter()
            .map(|&(offset, length)| Span { offset, length })
            .collect()
    }

    #[test]
    fn compact_like_prometheus() {
        // Empty buckets at span edges go, interior runs longer than max_empty
        // split the span, gaps up to max_empty are filled.
        let spans = sp(&[(-2, 4), (3, 3)]);
        let b = [0.0, 1.0, 0.0, 2.0, 3.0, 0.0, 0.0];
        assert_eq!(
            compact(&spans, &b, 0),
            (sp(&[(-1, 1), (1, 1), (3, 1)]), vec![1.0, 2.0, 3.0])
        );
        assert_eq!(
            compact(&spans, &b, 1),
            (sp(&[(-1, 3), (3, 1)]), vec![1.0, 0.0, 2.0, 3.0])
        );
        assert_eq!(
            compact(&spans, &b, 3),
            (sp(&[(-1, 7)]), vec![1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0])
        );
        assert_eq!(compact(&sp(&[(0, 2)]), &[0.0, 0.0], 5), (vec![], vec![]));
    }

    #[test]
    fn spans_match_ignores_splits() {
        assert!(spans_match(&sp(&[(0, 2), (0, 1)]), &sp(&[(0, 3)])));
        assert!(spans_match(&sp(&[(1, 0), (2, 2)]), &sp(&[(3, 2)])));
        assert!(spans_match(&sp(&[(1, 2), (0, 0)]), &sp(&[(1, 2)])));
        assert!(!spans_match(&sp(&[(0, 2), (1, 1)]), &sp(&[(0, 3)])));
    }

    #[test]
    fn deltas_round_trip() {
        let abs = decode_deltas(&[2, -1, 3, -4]);
        assert_eq!(abs, vec![2, 1, 4, 0]);
        assert_eq!(encode_deltas(&abs), vec![2, -1, 3, -4]);
    }
}
