use vigil_model::{CounterResetHint, FloatHistogram, Histogram, Labels, MetricType, Span};

use super::*;

fn ls(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs)
}

#[test]
fn series_samples_tombstones_round_trip() {
    let series = vec![
        RefSeries {
            series: 1,
            labels: ls(&[("__name__", "up"), ("job", "a")]),
        },
        RefSeries {
            series: 1 << 40,
            labels: ls(&[("__name__", "ü.x"), ("k", &"v".repeat(300))]),
        },
    ];
    let mut b = Vec::new();
    encode_series(&mut b, &series);
    let mut got = Vec::new();
    decode_series(&b, &mut got).unwrap();
    assert_eq!(got, series);

    // Deltas go both ways from the first sample.
    let samples = vec![
        RefSample {
            series: 10,
            t: 1000,
            v: 1.5,
        },
        RefSample {
            series: 3,
            t: 900,
            v: f64::INFINITY,
        },
        RefSample {
            series: 99,
            t: 5000,
            v: vigil_model::stale_nan(),
        },
    ];
    b.clear();
    encode_samples(&mut b, &samples);
    let mut got = Vec::new();
    decode_samples(&b, &mut got).unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].series, 3);
    assert_eq!(got[1].t, 900);
    assert!(vigil_model::is_stale_nan(got[2].v));

    let ts = vec![RefTombstone {
        series: 5,
        mint: -10,
        maxt: i64::MAX,
    }];
    b.clear();
    encode_tombstones(&mut b, &ts);
    let mut got = Vec::new();
    decode_tombstones(&b, &mut got).unwrap();
    assert_eq!(got, ts);
}

#[test]
fn samples_match_prometheus_bytes() {
    // type 2, ref 1 (8 bytes BE), t 1000 (8 bytes BE), then Δref 0, Δt 0, v.
    let mut b = Vec::new();
    encode_samples(
        &mut b,
        &[RefSample {
            series: 1,
            t: 1000,
            v: 1.0,
        }],
    );
    let mut want = vec![2u8];
    want.extend_from_slice(&1u64.to_be_bytes());
    want.extend_from_slice(&1000i64.to_be_bytes());
    want.extend_from_slice(&[0, 0]);
    want.extend_from_slice(&1.0f64.to_bits().to_be_bytes());
    assert_eq!(b, want);
}

#[test]
fn exemplars_metadata_mmap_round_trip() {
    let ex = vec![
        RefExemplar {
            series: 7,
            t: 10,
            v: 0.5,
            labels: ls(&[("trace_id", "abc")]),
        },
        RefExemplar {
            series: 8,
            t: 9,
            v: 1.0,
            labels: Labels::empty(),
        },
    ];
    let mut b = Vec::new();
    encode_exemplars(&mut b, &ex);
    let mut got = Vec::new();
    decode_exemplars(&b, &mut got).unwrap();
    assert_eq!(got, ex);

    let md = vec![RefMetadata {
        series: 3,
        kind: MetricType::Summary,
        unit: "seconds".into(),
        help: "Help\ntext".into(),
    }];
    b.clear();
    encode_metadata(&mut b, &md);
    let mut got = Vec::new();
    decode_metadata(&b, &mut got).unwrap();
    assert_eq!(got, md);

    let mm = vec![RefMmapMarker {
        series: 1,
        mmap_ref: 77,
    }];
    b.clear();
    encode_mmap_markers(&mut b, &mm);
    let mut got = Vec::new();
    decode_mmap_markers(&b, &mut got).unwrap();
    assert_eq!(got, mm);
}

#[test]
fn histograms_round_trip_both_bucket_kinds() {
    let h = Histogram {
        counter_reset_hint: CounterResetHint::NotCounterReset,
        schema: 3,
        zero_threshold: 1e-128,
        zero_count: 2,
        count: 12,
        sum: 18.4,
        positive_spans: vec![
            Span {
                offset: -2,
                length: 2,
            },
            Span {
                offset: 1,
                length: 1,
            },
        ],
        negative_spans: vec![Span {
            offset: 0,
            length: 1,
        }],
        positive_buckets: vec![1, 2, -1],
        negative_buckets: vec![3],
        custom_values: vec![],
    };
    let hs = vec![RefHistogramSample {
        series: 2,
        t: 100,
        h: h.clone(),
    }];
    let mut b = Vec::new();
    encode_histogram_samples(&mut b, &hs);
    assert_eq!(b[0], 7);
    let mut got = Vec::new();
    decode_histogram_samples(&b, &mut got).unwrap();
    assert_eq!(got, hs);

    let custom = Histogram {
        schema: -53,
        zero_threshold: 0.0,
        zero_count: 0,
        negative_spans: vec![],
        negative_buckets: vec![],
        custom_values: vec![0.1, 0.5, 1.0],
        ..h
    };
    let hs = vec![RefHistogramSample {
        series: 2,
        t: 100,
        h: custom,
    }];
    b.clear();
    encode_histogram_samples(&mut b, &hs);
    assert_eq!(b[0], 9);
    let mut got = Vec::new();
    decode_histogram_samples(&b, &mut got).unwrap();
    assert_eq!(got, hs);

    let fh = FloatHistogram {
        counter_reset_hint: CounterResetHint::Gauge,
        schema: -53,
        count: 3.5,
        sum: -1.0,
        positive_spans: vec![Span {
            offset: 0,
            length: 2,
        }],
        positive_buckets: vec![1.5, 2.0],
        custom_values: vec![1.0],
        ..FloatHistogram::default()
    };
    let fhs = vec![RefFloatHistogramSample {
        series: 4,
        t: -5,
        h: fh,
    }];
    b.clear();
    encode_float_histogram_samples(&mut b, &fhs);
    assert_eq!(b[0], 10);
    let mut got = Vec::new();
    decode_float_histogram_samples(&b, &mut got).unwrap();
    assert_eq!(got, fhs);
}

#[test]
fn truncated_and_hostile_records_are_errors() {
    let mut b = Vec::new();
    encode_series(
        &mut b,
        &[RefSeries {
            series: 1,
            labels: ls(&[("a", "b")]),
        }],
    );
    // A lone type byte is a valid empty record; any other cut is an error.
    for cut in 2..b.len() {
        let mut out = Vec::new();
        assert!(decode_series(&b[..cut], &mut out).is_err(), "cut at {cut}");
    }
    // A label count far beyond the record must not allocate or panic.
    let mut hostile = vec![1u8];
    hostile.extend_from_slice(&1u64.to_be_bytes());
    hostile.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    let err = decode_series(&hostile, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("exceeds"), "{err}");
    assert!(decode_samples(&[3], &mut Vec::new()).is_err());
}
