//! Histogram tests; cases follow the behaviour exercised by Prometheus'
//! `model/histogram/*_test.go` (expected values worked out by hand).

use super::*;

fn sp(v: &[(i32, u32)]) -> Vec<Span> {
    v.iter()
        .map(|&(offset, length)| Span { offset, length })
        .collect()
}

fn int_hist() -> Histogram {
    Histogram {
        schema: 0,
        zero_threshold: 0.001,
        zero_count: 2,
        count: 21,
        sum: 42.0,
        positive_spans: sp(&[(0, 2), (1, 2)]),
        positive_buckets: vec![1, 1, -1, 0], // 1, 2, 1, 1
        negative_spans: sp(&[(0, 2)]),
        negative_buckets: vec![2, 10], // 2, 12
        ..Histogram::default()
    }
}

fn custom_hist() -> FloatHistogram {
    FloatHistogram {
        schema: CUSTOM_BUCKETS_SCHEMA,
        count: 10.0,
        sum: 20.0,
        positive_spans: sp(&[(0, 2), (1, 1)]),
        positive_buckets: vec![1.0, 2.0, 7.0],
        custom_values: vec![1.0, 2.0, 5.0],
        ..FloatHistogram::default()
    }
}

#[test]
fn validate_accepts_valid_histograms() {
    int_hist().validate().unwrap();
    int_hist().to_float().validate().unwrap();
    custom_hist().validate().unwrap();
    Histogram::default().validate().unwrap();
    // A NaN sum allows uncounted (NaN) observations.
    let h = Histogram {
        sum: f64::NAN,
        count: 25,
        ..int_hist()
    };
    h.validate().unwrap();
    // custom_hist populates the implicit +Inf bucket (index 3).
}

#[test]
fn validate_rejects_like_prometheus() {
    use HistogramError as E;
    let err = |h: Histogram| h.validate().unwrap_err();
    assert_eq!(
        err(Histogram {
            schema: 9,
            ..int_hist()
        }),
        E::InvalidSchema(9)
    );
    assert_eq!(
        err(Histogram {
            schema: -5,
            ..int_hist()
        }),
        E::InvalidSchema(-5)
    );
    assert_eq!(
        err(Histogram {
            count: 18,
            ..int_hist()
        }),
        E::CountMismatch {
            buckets: 21,
            count: 18
        }
    );
    assert_eq!(
        err(Histogram {
            count: 18,
            sum: f64::NAN,
            ..int_hist()
        }),
        E::CountNotBigEnough {
            buckets: 21,
            count: 18
        }
    );
    assert_eq!(
        err(Histogram {
            positive_buckets: vec![1, 1, -3, 0],
            ..int_hist()
        }),
        E::NegativeBucketCount {
            side: Side::Positive,
            bucket: 3,
            count: -1.0
        }
    );
    assert_eq!(
        err(Histogram {
            negative_spans: sp(&[(0, 3)]),
            ..int_hist()
        }),
        E::SpansBucketsMismatch {
            side: Side::Negative,
            need: 3,
            have: 2
        }
    );
    assert_eq!(
        err(Histogram {
            positive_spans: sp(&[(0, 2), (-1, 2)]),
            ..int_hist()
        }),
        E::SpanNegativeOffset {
            side: Side::Positive,
            span: 2,
            offset: -1
        }
    );
    // A negative first offset is fine for exponential schemas.
    Histogram {
        positive_spans: sp(&[(-5, 2), (1, 2)]),
        ..int_hist()
    }
    .validate()
    .unwrap();
    assert_eq!(
        err(Histogram {
            custom_values: vec![1.0],
            ..int_hist()
        }),
        E::ExponentialSchemaCustomBounds
    );

    let ferr = |h: FloatHistogram| h.validate().unwrap_err();
    let f = int_hist().to_float();
    assert_eq!(
        ferr(FloatHistogram {
            zero_count: -1.0,
            ..f.clone()
        }),
        E::NegativeZeroCount(-1.0)
    );
    assert_eq!(
        ferr(FloatHistogram {
            count: -1.0,
            ..f.clone()
        }),
        E::NegativeCount(-1.0)
    );
    assert_eq!(
        ferr(FloatHistogram {
            negative_buckets: vec![1.0, -0.5],
            ..f.clone()
        }),
        E::NegativeBucketCount {
            side: Side::Negative,
            bucket: 2,
            count: -0.5
        }
    );
    // Float histograms do not compare count with the bucket totals.
    FloatHistogram { count: 1.0, ..f }.validate().unwrap();

    let c = custom_hist();
    assert_eq!(
        ferr(FloatHistogram {
            zero_count: 1.0,
            ..c.clone()
        }),
        E::CustomBucketsZeroCount
    );
    assert_eq!(
        ferr(FloatHistogram {
            zero_threshold: 0.1,
            ..c.clone()
        }),
        E::CustomBucketsZeroThreshold
    );
    assert_eq!(
        ferr(FloatHistogram {
            negative_spans: sp(&[(0, 1)]),
            ..c.clone()
        }),
        E::CustomBucketsNegativeSpans
    );
    assert_eq!(
        ferr(FloatHistogram {
            negative_buckets: vec![1.0],
            ..c.clone()
        }),
        E::CustomBucketsNegativeBuckets
    );
    assert_eq!(
        ferr(FloatHistogram {
            custom_values: vec![1.0, 1.0, 5.0],
            ..c.clone()
        }),
        E::CustomBoundsNotIncreasing {
            prev: 1.0,
            curr: 1.0
        }
    );
    assert_eq!(
        ferr(FloatHistogram {
            custom_values: vec![1.0, f64::NAN, 5.0],
            ..c.clone()
        }),
        E::CustomBoundsNaN
    );
    assert_eq!(
        ferr(FloatHistogram {
            custom_values: vec![1.0, 2.0, f64::INFINITY],
            ..c.clone()
        }),
        E::CustomBoundsInfinite
    );
    assert_eq!(
        ferr(FloatHistogram {
            positive_spans: sp(&[(0, 2), (3, 1)]),
            ..c.clone()
        }),
        E::CustomBoundsTooFew {
            bounds: 3,
            needed: 6
        }
    );
    assert_eq!(
        ferr(FloatHistogram {
            positive_spans: sp(&[(-1, 2), (1, 1)]),
            ..c.clone()
        }),
        E::SpanNegativeOffset {
            side: Side::Custom,
            span: 1,
            offset: -1
        }
    );
    assert!(
        ferr(FloatHistogram { schema: 9, ..c })
            .to_string()
            .contains("got schema 9")
    );
}

#[test]
fn to_float_decodes_deltas() {
    let f = int_hist().to_float();
    assert_eq!(f.positive_buckets, vec![1.0, 2.0, 1.0, 1.0]);
    assert_eq!(f.negative_buckets, vec![2.0, 12.0]);
    assert_eq!(
        (f.count, f.zero_count, f.sum, f.zero_threshold),
        (21.0, 2.0, 42.0, 0.001)
    );
    assert_eq!(f.positive_spans, int_hist().positive_spans);
    let h = Histogram {
        schema: CUSTOM_BUCKETS_SCHEMA,
        count: 3,
        positive_spans: sp(&[(0, 2)]),
        positive_buckets: vec![1, 1],
        custom_values: vec![1.0],
        ..Histogram::default()
    };
    let f = h.to_float();
    assert_eq!(f.positive_buckets, vec![1.0, 2.0]);
    assert_eq!(f.custom_values, vec![1.0]);
}

#[test]
fn bucket_iterators_with_bounds() {
    let h = int_hist();
    let pos: Vec<_> = h
        .positive_buckets()
        .map(|b| (b.index, b.lower, b.upper, b.count))
        .collect();
    assert_eq!(
        pos,
        vec![
            (0, 0.5, 1.0, 1),
            (1, 1.0, 2.0, 2),
            (3, 4.0, 8.0, 1),
            (4, 8.0, 16.0, 1)
        ]
    );
    let b = h.positive_buckets().next().unwrap();
    assert!(!b.lower_inclusive && b.upper_inclusive);
    let neg: Vec<_> = h
        .negative_buckets()
        .map(|b| (b.index, b.lower, b.upper, b.count))
        .collect();
    assert_eq!(neg, vec![(0, -1.0, -0.5, 2), (1, -2.0, -1.0, 12)]);
    let b = h.negative_buckets().next().unwrap();
    assert!(b.lower_inclusive && !b.upper_inclusive);

    let all: Vec<_> = h
        .to_float()
        .all_buckets()
        .map(|b| (b.lower, b.upper, b.count))
        .collect();
    assert_eq!(
        all,
        vec![
            (-2.0, -1.0, 12.0),
            (-1.0, -0.5, 2.0),
            (-0.001, 0.001, 2.0),
            (0.5, 1.0, 1.0),
            (1.0, 2.0, 2.0),
            (4.0, 8.0, 1.0),
            (8.0, 16.0, 1.0)
        ]
    );
    assert_eq!(h.zero_bucket().unwrap().index, i32::MIN);

    let c = custom_hist();
    let buckets: Vec<_> = c.positive_buckets().collect();
    assert_eq!(buckets.len(), 3);
    assert_eq!(
        (buckets[0].lower, buckets[0].upper),
        (f64::NEG_INFINITY, 1.0)
    );
    assert!(buckets[0].lower_inclusive && buckets[0].upper_inclusive);
    assert_eq!((buckets[1].lower, buckets[1].upper), (1.0, 2.0));
    assert!(!buckets[1].lower_inclusive);
    assert_eq!(
        (buckets[2].lower, buckets[2].upper, buckets[2].index),
        (5.0, f64::INFINITY, 3)
    );
    assert!(c.zero_bucket().is_none());
    assert_eq!(c.all_buckets().count(), 3);

    // Inconsistent spans end the iteration instead of panicking.
    let bad = FloatHistogram {
        positive_spans: sp(&[(0, 9)]),
        ..custom_hist()
    };
    assert_eq!(bad.positive_buckets().count(), 3);
}

#[test]
fn reduce_resolution_merges_buckets() {
    let mut f = FloatHistogram {
        schema: 0,
        positive_spans: sp(&[(0, 4), (0, 0), (3, 2)]),
        positive_buckets: vec![1.0, 2.0, 3.0, 1.0, 3.0, 1.0],
        negative_spans: sp(&[(-1, 2)]),
        negative_buckets: vec![1.0, 2.0],
        ..FloatHistogram::default()
    };
    f.reduce_resolution(-1).unwrap();
    assert_eq!(f.schema, -1);
    assert_eq!(f.positive_spans, sp(&[(0, 3), (1, 1)]));
    assert_eq!(f.positive_buckets, vec![1.0, 5.0, 1.0, 4.0]);
    assert_eq!(f.negative_spans, sp(&[(0, 1)]));
    assert_eq!(f.negative_buckets, vec![3.0]);

    let mut h = Histogram {
        schema: 0,
        positive_spans: sp(&[(0, 4), (0, 0), (3, 2)]),
        positive_buckets: vec![1, 1, 1, -2, 2, -2],
        ..Histogram::default()
    };
    h.reduce_resolution(-1).unwrap();
    assert_eq!(h.positive_spans, sp(&[(0, 3), (1, 1)]));
    assert_eq!(h.positive_buckets, vec![1, 4, -4, 3]);

    // Two steps at once: schema 2 to 0 merges groups of four.
    let mut f = FloatHistogram {
        schema: 2,
        positive_spans: sp(&[(1, 8)]),
        positive_buckets: vec![1.0; 8],
        ..FloatHistogram::default()
    };
    f.reduce_resolution(0).unwrap();
    assert_eq!(f.positive_spans, sp(&[(1, 2)]));
    assert_eq!(f.positive_buckets, vec![4.0, 4.0]);

    assert!(custom_hist().reduce_resolution(-1).is_err());
    assert!(int_hist().to_float().reduce_resolution(0).is_err());
    assert!(int_hist().to_float().reduce_resolution(1).is_err());
    let mut bad = FloatHistogram {
        positive_spans: sp(&[(0, 1), (-2, 1)]),
        ..int_hist().to_float()
    };
    assert!(bad.reduce_resolution(-1).is_err());
}

fn fh(
    schema: i32,
    zt: f64,
    zc: f64,
    pos: &[(i32, u32)],
    pb: &[f64],
    neg: &[(i32, u32)],
    nb: &[f64],
) -> FloatHistogram {
    FloatHistogram {
        schema,
        zero_threshold: zt,
        zero_count: zc,
        count: zc + pb.iter().sum::<f64>() + nb.iter().sum::<f64>(),
        sum: 1.5,
        positive_spans: sp(pos),
        positive_buckets: pb.to_vec(),
        negative_spans: sp(neg),
        negative_buckets: nb.to_vec(),
        ..FloatHistogram::default()
    }
}

#[test]
fn add_and_sub_same_schema() {
    let a = fh(
        0,
        0.01,
        11.0,
        &[(-2, 2), (1, 3)],
        &[1.0, 0.0, 3.0, 4.0, 7.0],
        &[(3, 2), (3, 2)],
        &[3.0, 1.0, 5.0, 6.0],
    );
    let b = fh(
        0,
        0.01,
        8.0,
        &[(-2, 2), (2, 3)],
        &[0.0, 0.0, 2.0, 3.0, 6.0],
        &[(5, 4)],
        &[3.0, 1.0, 5.0, 6.0],
    );
    let mut r = a.clone();
    assert!(!r.add(&b).unwrap());
    assert_eq!(r.zero_count, 19.0);
    assert_eq!(r.count, a.count + b.count);
    assert_eq!(r.sum, 3.0);
    assert_eq!(r.positive_spans, sp(&[(-2, 2), (1, 4)]));
    assert_eq!(r.positive_buckets, vec![1.0, 0.0, 3.0, 6.0, 10.0, 6.0]);
    assert_eq!(r.negative_spans, sp(&[(3, 7)]));
    assert_eq!(r.negative_buckets, vec![3.0, 1.0, 3.0, 1.0, 5.0, 11.0, 6.0]);
    r.validate().unwrap();

    // Subtracting b again gives a back (with b's buckets now present as zeros).
    r.sub(&b).unwrap();
    r.compact(0);
    let mut a0 = a.clone();
    a0.compact(0);
    assert!(r.equals(&a0), "{r:?}");
}

#[test]
fn add_converts_to_lower_schema() {
    let a = fh(1, 0.0, 0.0, &[(0, 4)], &[1.0, 2.0, 3.0, 4.0], &[], &[]);
    let b = fh(0, 0.0, 0.0, &[(1, 2)], &[10.0, 20.0], &[], &[]);
    for (x, y) in [(&a, &b), (&b, &a)] {
        let mut r = x.clone();
        r.add(y).unwrap();
        assert_eq!(r.schema, 0);
        assert_eq!(r.positive_spans, sp(&[(0, 3)]));
        assert_eq!(r.positive_buckets, vec![1.0, 15.0, 24.0]);
    }
}

#[test]
fn add_widens_zero_bucket() {
    // a's bucket -3 (0.0625, 0.125] straddles b's threshold 0.1, so the
    // common zero bucket grows to 0.125 and swallows it.
    let a = fh(0, 0.01, 1.0, &[(-3, 1)], &[3.0], &[], &[]);
    let b = fh(0, 0.1, 2.0, &[(-2, 1)], &[5.0], &[], &[]);
    for (x, y) in [(&a, &b), (&b, &a)] {
        let mut r = x.clone();
        r.add(y).unwrap();
        assert_eq!(r.zero_threshold, 0.125);
        assert_eq!(r.zero_count, 6.0);
        assert_eq!(r.positive_spans, sp(&[(-2, 1)]));
        assert_eq!(r.positive_buckets, vec![5.0]);
        assert_eq!(r.count, 11.0);
    }
}

#[test]
fn add_rejects_incompatible_histograms() {
    let mut e = int_hist().to_float();
    assert_eq!(
        e.add(&custom_hist()),
        Err(HistogramError::IncompatibleSchema)
    );
    let mut c = custom_hist();
    let other = FloatHistogram {
        custom_values: vec![1.0, 2.0, 6.0],
        ..custom_hist()
    };
    assert_eq!(c.add(&other), Err(HistogramError::CustomBoundsMismatch));
    assert_eq!(c, custom_hist(), "unchanged on error");
    c.add(&custom_hist()).unwrap();
    assert_eq!(c.positive_buckets, vec![2.0, 4.0, 14.0]);
    assert_eq!(c.count, 20.0);
}

#[test]
fn counter_reset_hint_collisions() {
    let mut a = FloatHistogram {
        counter_reset_hint: CounterResetHint::CounterReset,
        ..custom_hist()
    };
    let b = FloatHistogram {
        counter_reset_hint: CounterResetHint::NotCounterReset,
        ..custom_hist()
    };
    assert!(a.add(&b).unwrap());
    assert_eq!(a.counter_reset_hint, CounterResetHint::Unknown);
    let mut g = FloatHistogram {
        counter_reset_hint: CounterResetHint::Gauge,
        ..custom_hist()
    };
    assert!(!g.add(&b).unwrap());
    assert_eq!(g.counter_reset_hint, CounterResetHint::Gauge);
}

#[test]
fn scalar_mul_div() {
    let mut f = int_hist().to_float();
    f.mul(2.0);
    assert_eq!(f.positive_buckets, vec![2.0, 4.0, 2.0, 2.0]);
    assert_eq!((f.count, f.zero_count, f.sum), (42.0, 4.0, 84.0));
    f.div(4.0);
    assert_eq!(f.negative_buckets, vec![1.0, 6.0]);
    assert_eq!(f.counter_reset_hint, CounterResetHint::Unknown);
    f.mul(-1.0);
    assert_eq!(f.counter_reset_hint, CounterResetHint::Gauge);
    f.div(0.0);
    assert!(f.positive_buckets.is_empty() && f.positive_spans.is_empty());
    assert_eq!(f.count, f64::NEG_INFINITY);
}

#[test]
fn detect_reset_rules() {
    let prev = fh(0, 0.01, 2.0, &[(0, 3)], &[1.0, 2.0, 3.0], &[(0, 1)], &[1.0]);
    let same = prev.clone();
    assert!(!same.detect_reset(&prev));
    let hinted = |h: CounterResetHint| FloatHistogram {
        counter_reset_hint: h,
        ..same.clone()
    };
    assert!(hinted(CounterResetHint::CounterReset).detect_reset(&prev));
    assert!(
        !hinted(CounterResetHint::NotCounterReset).detect_reset(&FloatHistogram {
            count: 1e9,
            ..prev.clone()
        })
    );

    let grown = fh(
        0,
        0.01,
        3.0,
        &[(0, 4)],
        &[1.0, 2.0, 4.0, 1.0],
        &[(0, 1)],
        &[1.0],
    );
    assert!(!grown.detect_reset(&prev));
    let dropped_bucket = fh(0, 0.01, 9.0, &[(0, 2)], &[1.0, 2.0], &[(0, 1)], &[1.0]);
    assert!(dropped_bucket.detect_reset(&prev));
    let smaller_bucket = fh(0, 0.01, 9.0, &[(0, 3)], &[1.0, 1.0, 3.0], &[(0, 1)], &[1.0]);
    assert!(smaller_bucket.detect_reset(&prev));
    let smaller_zero = fh(0, 0.01, 1.0, &[(0, 3)], &[1.0, 2.0, 9.0], &[(0, 1)], &[1.0]);
    assert!(smaller_zero.detect_reset(&prev));
    let smaller_count = FloatHistogram {
        count: 1.0,
        ..grown.clone()
    };
    assert!(smaller_count.detect_reset(&prev));
    // An empty bucket that disappears is no reset.
    let prev0 = fh(0, 0.01, 2.0, &[(0, 3)], &[1.0, 0.0, 3.0], &[], &[]);
    let curr0 = fh(0, 0.01, 2.0, &[(0, 1), (1, 1)], &[1.0, 3.0], &[], &[]);
    assert!(!curr0.detect_reset(&prev0));

    // Higher resolution than before: reset. Lower: compare merged buckets.
    let finer = FloatHistogram {
        schema: 1,
        ..grown.clone()
    };
    assert!(finer.detect_reset(&prev));
    let coarse = fh(-1, 0.01, 2.0, &[(0, 2)], &[1.0, 5.0], &[(0, 1)], &[1.0]);
    assert!(!coarse.detect_reset(&prev));
    let coarse_less = fh(-1, 0.01, 2.0, &[(0, 2)], &[1.0, 4.0], &[(0, 1)], &[1.0]);
    assert!(coarse_less.detect_reset(&prev));

    // Narrower zero bucket: reset. Wider one swallowing buckets: compare.
    let narrower = FloatHistogram {
        zero_threshold: 0.001,
        ..grown.clone()
    };
    assert!(narrower.detect_reset(&prev));
    let wide_prev = fh(0, 0.01, 1.0, &[(-3, 1), (3, 1)], &[3.0, 1.0], &[], &[]);
    let wide = fh(0, 0.125, 4.0, &[(1, 1)], &[1.0], &[], &[]);
    assert!(!wide.detect_reset(&wide_prev));
    let wide_less = fh(0, 0.125, 3.0, &[(1, 1)], &[2.0], &[], &[]);
    assert!(wide_less.detect_reset(&wide_prev));
    // A threshold that does not fall on the boundary the previous histogram needs.
    let odd = fh(0, 0.1, 4.0, &[(1, 1)], &[1.0], &[], &[]);
    assert!(odd.detect_reset(&wide_prev));

    // Custom buckets: changed bounds are a reset.
    let c = custom_hist();
    assert!(!c.detect_reset(&custom_hist()));
    let changed = FloatHistogram {
        custom_values: vec![1.0, 2.0, 6.0],
        ..custom_hist()
    };
    assert!(changed.detect_reset(&c));
    assert!(c.detect_reset(&int_hist().to_float()));
}

#[test]
fn compact_keeps_buckets_and_drops_empties() {
    let mut f = fh(
        0,
        0.0,
        0.0,
        &[(-2, 4), (3, 3)],
        &[0.0, 1.0, 0.0, 2.0, 3.0, 0.0, 0.0],
        &[(0, 2)],
        &[0.0, 0.0],
    );
    let before: Vec<_> = f.positive_buckets().filter(|b| b.count != 0.0).collect();
    f.compact(0);
    assert_eq!(f.positive_spans, sp(&[(-1, 1), (1, 1), (3, 1)]));
    assert!(f.negative_spans.is_empty() && f.negative_buckets.is_empty());
    assert_eq!(f.positive_buckets().collect::<Vec<_>>(), before);
    f.compact(3);
    assert_eq!(f.positive_spans, sp(&[(-1, 7)]));

    let mut h = Histogram {
        positive_spans: sp(&[(0, 4)]),
        positive_buckets: vec![0, 2, -2, 3], // 0, 2, 0, 3
        count: 5,
        ..Histogram::default()
    };
    h.compact(0);
    assert_eq!(h.positive_spans, sp(&[(1, 1), (1, 1)]));
    assert_eq!(h.positive_buckets, vec![2, 1]);
    h.validate().unwrap();
}

#[test]
fn equals_is_bitwise_and_layout_aware() {
    let a = FloatHistogram {
        sum: f64::NAN,
        ..int_hist().to_float()
    };
    assert!(a.equals(&a.clone()));
    assert_ne!(a, a.clone(), "PartialEq follows IEEE NaN rules");
    let split = FloatHistogram {
        positive_spans: sp(&[(0, 1), (0, 1), (1, 2)]),
        ..a.clone()
    };
    assert!(a.equals(&split));
    let neg_zero = FloatHistogram {
        zero_count: -0.0,
        ..FloatHistogram::default()
    };
    assert!(!neg_zero.equals(&FloatHistogram::default()));
    let other_sum = FloatHistogram {
        sum: 1.0,
        ..a.clone()
    };
    assert!(!a.equals(&other_sum));
    assert!(int_hist().equals(&int_hist()));
    assert!(!int_hist().equals(&Histogram {
        zero_count: 3,
        ..int_hist()
    }));
}

#[test]
fn no_panics_on_garbage() {
    let garbage = [
        FloatHistogram {
            schema: i32::MIN,
            positive_spans: sp(&[(1, 1)]),
            positive_buckets: vec![1.0],
            ..FloatHistogram::default()
        },
        FloatHistogram {
            schema: i32::MAX,
            zero_threshold: 1.0,
            negative_spans: sp(&[(-3, 2)]),
            negative_buckets: vec![1.0, 2.0],
            ..FloatHistogram::default()
        },
        FloatHistogram {
            schema: 100,
            positive_spans: sp(&[(i32::MAX, 3)]),
            positive_buckets: vec![1.0],
            ..FloatHistogram::default()
        },
        FloatHistogram {
            schema: -100,
            negative_spans: sp(&[(i32::MIN, u32::MAX)]),
            negative_buckets: vec![f64::NAN; 2],
            ..FloatHistogram::default()
        },
        FloatHistogram {
            zero_threshold: f64::NAN,
            positive_spans: sp(&[(0, 1)]),
            positive_buckets: vec![1.0],
            ..FloatHistogram::default()
        },
        FloatHistogram {
            schema: CUSTOM_BUCKETS_SCHEMA,
            positive_spans: sp(&[(5, 5)]),
            positive_buckets: vec![1.0; 5],
            ..FloatHistogram::default()
        },
    ];
    for g in &garbage {
        let _ = g.validate();
        let _ = g.all_buckets().count();
        for o in &garbage {
            let mut x = g.clone();
            let _ = x.add(o);
            let _ = x.sub(o);
            let _ = g.detect_reset(o);
            let _ = g.equals(o);
        }
        let mut x = g.clone();
        let _ = x.reduce_resolution(-4);
        let _ = x.reduce_resolution(i32::MIN);
        x.compact(2);
        x.compact(u32::MAX);
        let _ = x.to_string();
    }
    let h = Histogram {
        positive_spans: sp(&[(0, 3)]),
        positive_buckets: vec![i64::MAX, i64::MAX, i64::MIN],
        count: u64::MAX,
        ..Histogram::default()
    };
    let _ = h.validate();
    let _ = h.to_float();
    let _ = h.positive_buckets().count();
    let mut h2 = h.clone();
    let _ = h2.reduce_resolution(-4);
    h2.compact(1);
}
