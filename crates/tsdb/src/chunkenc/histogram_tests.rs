use vigil_model::{CounterResetHint, FloatHistogram, Histogram, Span, stale_nan};

use super::*;

fn hist(i: i64) -> Histogram {
    Histogram {
        counter_reset_hint: CounterResetHint::NotCounterReset,
        schema: 1,
        zero_threshold: 2f64.powi(-128),
        zero_count: 2 + i as u64,
        count: 20 + 7 * i as u64,
        sum: 18.4 + i as f64 * 3.3,
        positive_spans: vec![
            Span {
                offset: -1,
                length: 2,
            },
            Span {
                offset: 3,
                length: 2,
            },
        ],
        negative_spans: vec![Span {
            offset: 0,
            length: 1,
        }],
        positive_buckets: vec![1 + i, 2, -1, i % 3],
        negative_buckets: vec![3 + 2 * i],
        custom_values: vec![],
    }
}

#[test]
fn integer_chunk_round_trip_with_stale_markers() {
    let mut c = HistogramChunk::new(CounterResetHeader::CounterReset);
    let mut want = Vec::new();
    let mut t = 1_000i64;
    for i in 0..50 {
        t += 15_000 + (i * 37) % 101;
        let h = if i % 17 == 9 {
            Histogram {
                sum: stale_nan(),
                ..Histogram::default()
            }
        } else {
            hist(i)
        };
        c.append(t, &h).unwrap();
        want.push((t, h));
    }
    let got: Vec<_> = c.iter().unwrap().collect();
    assert_eq!(got.len(), want.len());
    for (i, ((gt, gh), (wt, wh))) in got.iter().zip(&want).enumerate() {
        assert_eq!(gt, wt);
        if is_stale_nan(wh.sum) {
            assert!(is_stale_nan(gh.sum), "sample {i} should be stale");
            continue;
        }
        let mut w = wh.clone();
        w.counter_reset_hint = if i == 0 {
            CounterResetHint::CounterReset
        } else {
            CounterResetHint::NotCounterReset
        };
        assert_eq!(gh, &w, "sample {i}");
    }
    // A different layout does not fit.
    let mut other = hist(1);
    other.positive_spans[1].length = 3;
    other.positive_buckets.push(0);
    assert!(matches!(
        c.append(t + 1, &other),
        Err(Error::LayoutMismatch)
    ));
}

#[test]
fn float_chunk_round_trip_custom_buckets() {
    let mut c = FloatHistogramChunk::new(CounterResetHeader::Gauge);
    let mut want = Vec::new();
    for i in 0..40 {
        let h = FloatHistogram {
            schema: -53,
            count: 10.5 + i as f64,
            sum: -3.25 * i as f64,
            positive_spans: vec![Span {
                offset: 0,
                length: 3,
            }],
            positive_buckets: vec![1.5, i as f64, 0.125],
            custom_values: vec![0.1, 0.5, 2.5],
            ..FloatHistogram::default()
        };
        let h = if i == 20 {
            FloatHistogram {
                sum: stale_nan(),
                ..FloatHistogram::default()
            }
        } else {
            h
        };
        c.append(i * 1000, &h).unwrap();
        want.push(h);
    }
    let mut it = c.iter().unwrap();
    assert_eq!(it.header(), CounterResetHeader::Gauge);
    let got: Vec<_> = it.by_ref().collect();
    assert!(it.take_err().is_none());
    assert_eq!(got.len(), 40);
    for (i, (t, h)) in got.iter().enumerate() {
        assert_eq!(*t, i as i64 * 1000);
        if i == 20 {
            assert!(is_stale_nan(h.sum));
        } else {
            let mut w = want[i].clone();
            w.counter_reset_hint = CounterResetHint::Gauge;
            assert_eq!(h, &w, "sample {i}");
        }
    }
}

#[test]
fn truncated_chunks_are_errors() {
    let mut c = HistogramChunk::new(CounterResetHeader::Unknown);
    for i in 0..5 {
        c.append(i * 10, &hist(i)).unwrap();
    }
    for cut in 0..c.bytes().len() {
        if let Ok(mut it) = HistogramIter::new(&c.bytes()[..cut]) {
            let n = it.by_ref().count();
            assert!(n < 5 || cut == c.bytes().len());
        }
    }
}
