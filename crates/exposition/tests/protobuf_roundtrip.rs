//! Protobuf parser and encoder: entry sequences, errors, and
//! parse → encode → parse round trips.

use prost::Message as _;
use vigil_exposition::encode;
use vigil_exposition::protobuf::messages as pb;
use vigil_exposition::{
    Entry, FamilySample, MetricFamily, Parser, Position, ProtobufParser, SampleValue, collect,
};
use vigil_model::{
    CounterResetHint, Exemplar, FloatHistogram, Histogram, Labels, LabelsBuilder, MetricType, Span,
};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs)
}

fn sample(pairs: &[(&str, &str)], v: f64) -> FamilySample {
    FamilySample {
        labels: labels(pairs),
        value: SampleValue::Float(v),
        timestamp: None,
        exemplars: Vec::new(),
        created_timestamp: None,
    }
}

fn family(
    name: &str,
    kind: MetricType,
    help: Option<&str>,
    samples: Vec<FamilySample>,
) -> MetricFamily {
    MetricFamily {
        name: name.to_string(),
        kind,
        help: help.map(str::to_string),
        unit: None,
        samples,
    }
}

fn exemplar(pairs: &[(&str, &str)], v: f64, ts: Option<i64>) -> Exemplar {
    Exemplar {
        labels: labels(pairs),
        value: v,
        timestamp: ts,
    }
}

fn parse(body: &[u8], classic: bool) -> Vec<MetricFamily> {
    let mut p = ProtobufParser::new(body).with_classic_histograms(classic);
    collect(&mut p).expect("valid body")
}

fn encode_pb(fams: &[MetricFamily]) -> Vec<u8> {
    let mut out = Vec::new();
    encode::protobuf::write(&mut out, fams);
    out
}

/// NaN-aware comparison: `Debug` prints every NaN as `NaN`.
fn assert_same(a: &[MetricFamily], b: &[MetricFamily]) {
    assert_eq!(format!("{a:#?}"), format!("{b:#?}"));
}

fn body(fams: &[pb::MetricFamily]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fams {
        out.extend_from_slice(&f.encode_length_delimited_to_vec());
    }
    out
}

fn native_int() -> Histogram {
    Histogram {
        counter_reset_hint: CounterResetHint::Unknown,
        schema: 3,
        zero_threshold: 1e-128,
        zero_count: 2,
        count: 12,
        sum: 39.5,
        positive_spans: vec![
            Span {
                offset: -2,
                length: 2,
            },
            Span {
                offset: 3,
                length: 1,
            },
        ],
        negative_spans: vec![Span {
            offset: 0,
            length: 1,
        }],
        positive_buckets: vec![3, -1, 4],
        negative_buckets: vec![1],
        custom_values: Vec::new(),
    }
}

fn hand_built() -> Vec<MetricFamily> {
    let mut c = sample(&[("__name__", "requests_total"), ("code", "200")], 1027.0);
    c.exemplars.push(exemplar(
        &[("trace_id", "abc")],
        1.0,
        Some(1_700_000_000_123),
    ));
    c.created_timestamp = Some(1_600_000_000_000);
    c.timestamp = Some(1_700_000_000_500);
    let c2 = sample(
        &[("__name__", "requests_total"), ("code", "500")],
        f64::INFINITY,
    );
    let g = sample(&[("__name__", "temp"), ("room", "a\"b\\c\nd")], f64::NAN);
    let g2 = sample(&[("__name__", "temp"), ("room", "x")], f64::NEG_INFINITY);
    let u = sample(&[("__name__", "my.metric"), ("ünï", "välue")], -0.5);

    let sm = |n: &str, extra: Option<(&str, &str)>, v: f64| {
        let mut p = vec![("__name__", n), ("job", "j")];
        p.extend(extra);
        let mut s = sample(&p, v);
        s.created_timestamp = Some(1_000);
        s
    };
    let summary = vec![
        sm("rpc_seconds_count", None, 7.0),
        sm("rpc_seconds_sum", None, 3.25),
        sm("rpc_seconds", Some(("quantile", "0.5")), 0.25),
        sm("rpc_seconds", Some(("quantile", "0.99")), f64::NAN),
    ];

    let hb = |n: &str, le: Option<&str>, v: f64| {
        let mut p = vec![("__name__", n)];
        p.extend(le.map(|l| ("le", l)));
        sample(&p, v)
    };
    let mut b1 = hb("lat_bucket", Some("0.1"), 3.0);
    b1.exemplars
        .push(exemplar(&[("trace_id", "t1")], 0.05, None));
    let classic = vec![
        hb("lat_count", None, 10.0),
        hb("lat_sum", None, 4.5),
        b1,
        hb("lat_bucket", Some("1.0"), 8.0),
        hb("lat_bucket", Some("+Inf"), 10.0),
    ];

    let mut nh = FamilySample {
        labels: labels(&[("__name__", "native"), ("svc", "a")]),
        value: SampleValue::Histogram(native_int()),
        timestamp: Some(1234),
        exemplars: vec![
            exemplar(&[("trace_id", "n1")], 0.7, Some(1_000_001)),
            exemplar(&[("trace_id", "n2")], 9.0, Some(1_000_002)),
        ],
        created_timestamp: Some(99_000),
    };
    nh.exemplars.truncate(2);
    let fh = FamilySample {
        labels: labels(&[("__name__", "native"), ("svc", "b")]),
        value: SampleValue::FloatHistogram(FloatHistogram {
            schema: 0,
            count: 5.5,
            sum: -1.5,
            positive_spans: vec![Span {
                offset: 1,
                length: 2,
            }],
            positive_buckets: vec![1.5, 4.0],
            ..FloatHistogram::default()
        }),
        timestamp: None,
        exemplars: Vec::new(),
        created_timestamp: None,
    };
    let empty_native = FamilySample {
        labels: labels(&[("__name__", "native"), ("svc", "c")]),
        value: SampleValue::Histogram(Histogram {
            schema: 1,
            ..Histogram::default()
        }),
        timestamp: None,
        exemplars: Vec::new(),
        created_timestamp: None,
    };
    let gauge_hist = FamilySample {
        labels: labels(&[("__name__", "queue")]),
        value: SampleValue::Histogram(Histogram {
            counter_reset_hint: CounterResetHint::Gauge,
            ..native_int()
        }),
        timestamp: None,
        exemplars: Vec::new(),
        created_timestamp: None,
    };

    let mut unit_fam = family(
        "disk_bytes",
        MetricType::Gauge,
        Some("Disk usage."),
        vec![sample(&[("__name__", "disk_bytes")], 1e21)],
    );
    unit_fam.unit = Some("bytes".to_string());
    vec![
        family(
            "requests_total",
            MetricType::Counter,
            Some("Requests served."),
            vec![c, c2],
        ),
        family("temp", MetricType::Gauge, None, vec![g, g2]),
        family(
            "my.metric",
            MetricType::Unknown,
            Some("UTF-8 ☃ help"),
            vec![u],
        ),
        family(
            "rpc_seconds",
            MetricType::Summary,
            Some("RPC latency."),
            summary,
        ),
        family("lat", MetricType::Histogram, None, classic),
        family(
            "native",
            MetricType::Histogram,
            Some("Native."),
            vec![nh, fh, empty_native],
        ),
        family("queue", MetricType::GaugeHistogram, None, vec![gauge_hist]),
        unit_fam,
    ]
}

#[test]
fn hand_built_families_round_trip() {
    let fams = hand_built();
    let parsed = parse(&encode_pb(&fams), false);
    assert_same(&parsed, &fams);
    // And once more through the encoder: stable bytes.
    assert_eq!(encode_pb(&parsed), encode_pb(&fams));
}

#[test]
fn entry_sequence_and_identity() {
    let fams = hand_built();
    let b = encode_pb(&fams[..2]);
    let mut p = ProtobufParser::new(&b);
    let mut seen = Vec::new();
    let mut builder = LabelsBuilder::new();
    while let Some(e) = p.next().unwrap() {
        match e {
            Entry::Help => seen.push(format!("help {}", p.help().0)),
            Entry::Type => seen.push(format!("type {} {}", p.metric_type().0, p.metric_type().1)),
            Entry::Series => {
                let (id, ts, _) = p.series();
                p.labels(&mut builder);
                let l = builder.build();
                seen.push(format!(
                    "series {} {ts:?} {}",
                    String::from_utf8_lossy(id).replace('\u{fffd}', "|"),
                    l.len()
                ));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        seen,
        [
            "help requests_total",
            "type requests_total counter",
            "series requests_total|code|200 Some(1700000000500) 2",
            "series requests_total|code|500 None 2",
            "type temp gauge",
            "series temp|room|a\"b\\c\nd None 2",
            "series temp|room|x None 2",
        ]
    );
}

#[test]
fn classic_histogram_without_inf_bucket_and_native_with_classic() {
    let h = pb::Histogram {
        sample_count: Some(4),
        sample_sum: Some(2.0),
        bucket: vec![
            pb::Bucket {
                cumulative_count: Some(1),
                upper_bound: Some(0.5),
                ..Default::default()
            },
            pb::Bucket {
                cumulative_count: Some(3),
                upper_bound: Some(1.0),
                ..Default::default()
            },
        ],
        schema: Some(0),
        zero_threshold: Some(0.001),
        positive_span: vec![pb::BucketSpan {
            offset: Some(0),
            length: Some(1),
        }],
        positive_delta: vec![4],
        ..Default::default()
    };
    let classic_only = pb::Histogram {
        schema: None,
        zero_threshold: None,
        positive_span: Vec::new(),
        positive_delta: Vec::new(),
        ..h.clone()
    };
    let fam = |name: &str, h: pb::Histogram| pb::MetricFamily {
        name: Some(name.to_string()),
        help: None,
        r#type: Some(pb::MetricType::Histogram as i32),
        metric: vec![pb::Metric {
            histogram: Some(h),
            ..Default::default()
        }],
        unit: None,
    };
    let b = body(&[fam("a", classic_only), fam("b", h)]);
    let names = |fams: &[MetricFamily]| -> Vec<String> {
        fams.iter()
            .flat_map(|f| f.samples.iter())
            .map(|s| {
                let le = s.labels.get("le").unwrap_or("");
                let kind = if matches!(s.value, SampleValue::Float(_)) {
                    "f"
                } else {
                    "h"
                };
                format!("{}{{{le}}}{kind}", s.labels.metric_name().unwrap_or(""))
            })
            .collect()
    };
    let without = parse(&b, false);
    assert_eq!(
        names(&without),
        [
            "a_count{}f",
            "a_sum{}f",
            "a_bucket{0.5}f",
            "a_bucket{1.0}f",
            "a_bucket{+Inf}f",
            "b{}h"
        ]
    );
    let with = parse(&b, true);
    assert_eq!(
        names(&with),
        [
            "a_count{}f",
            "a_sum{}f",
            "a_bucket{0.5}f",
            "a_bucket{1.0}f",
            "a_bucket{+Inf}f",
            "b{}h",
            "b_count{}f",
            "b_sum{}f",
            "b_bucket{0.5}f",
            "b_bucket{1.0}f",
            "b_bucket{+Inf}f",
        ]
    );
    // The synthetic +Inf bucket carries the total count.
    assert_eq!(with[0].samples[4].value, SampleValue::Float(4.0));
    // parse → encode → parse is stable, with and without the classic option.
    for classic in [false, true] {
        let first = parse(&b, classic);
        assert_same(&parse(&encode_pb(&first), classic), &first);
    }
}

#[test]
fn units_and_empty_families() {
    let fams = vec![
        pb::MetricFamily {
            name: Some("empty".into()),
            r#type: Some(0),
            ..Default::default()
        },
        pb::MetricFamily {
            name: Some("up_seconds_total".into()),
            help: Some("h".into()),
            r#type: Some(pb::MetricType::Counter as i32),
            unit: Some("seconds".into()),
            metric: vec![pb::Metric {
                counter: Some(pb::Counter {
                    value: Some(1.0),
                    ..Default::default()
                }),
                ..Default::default()
            }],
        },
    ];
    let b = body(&fams);
    let mut p = ProtobufParser::new(&b);
    let mut entries = Vec::new();
    while let Some(e) = p.next().unwrap() {
        entries.push(e);
    }
    assert_eq!(
        entries,
        [Entry::Help, Entry::Unit, Entry::Type, Entry::Series]
    );
    assert_eq!(p.unit(), ("up_seconds_total", "seconds"));
}

fn parse_err(b: &[u8]) -> (usize, String) {
    let mut p = ProtobufParser::new(b);
    loop {
        match p.next() {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("expected an error"),
            Err(e) => {
                let Position::Offset(o) = e.position else {
                    panic!("not an offset")
                };
                return (o, e.message);
            }
        }
    }
}

#[test]
fn errors_name_the_problem() {
    let good = encode_pb(&hand_built()[..1]);
    // Length prefix larger than the body.
    let (o, m) = parse_err(&good[..good.len() - 3]);
    assert_eq!(o, 0);
    assert!(m.contains("truncated message"), "{m}");
    // A length prefix that never ends.
    let (_, m) = parse_err(&[0xff, 0xff]);
    assert!(m.contains("length prefix"), "{m}");
    // Garbage inside the message.
    let (o, m) = parse_err(&[3, 0xff, 0xff, 0xff]);
    assert_eq!(o, 1);
    assert!(m.contains("invalid MetricFamily"), "{m}");
    // Invalid UTF-8 in the name: field 1, length 2.
    let (_, m) = parse_err(&[4, 0x0a, 2, 0xc3, 0x28]);
    assert!(m.contains("invalid MetricFamily"), "{m}");

    let hist = |h: pb::Histogram| {
        body(&[pb::MetricFamily {
            name: Some("h".into()),
            r#type: Some(pb::MetricType::Histogram as i32),
            metric: vec![pb::Metric {
                histogram: Some(h),
                ..Default::default()
            }],
            ..Default::default()
        }])
    };
    let span = |l| {
        vec![pb::BucketSpan {
            offset: Some(0),
            length: Some(l),
        }]
    };
    let (_, m) = parse_err(&hist(pb::Histogram {
        positive_span: span(2),
        positive_delta: vec![1],
        ..Default::default()
    }));
    assert!(m.contains("spans cover 2 buckets but 1"), "{m}");
    let (_, m) = parse_err(&hist(pb::Histogram {
        positive_span: span(2),
        positive_delta: vec![1, -2],
        ..Default::default()
    }));
    assert!(m.contains("negative"), "{m}");
    let (_, m) = parse_err(&hist(pb::Histogram {
        schema: Some(9),
        positive_span: span(0),
        ..Default::default()
    }));
    assert!(m.contains("invalid schema 9"), "{m}");
    let (_, m) = parse_err(&body(&[pb::MetricFamily {
        name: Some("x".into()),
        r#type: Some(42),
        metric: vec![pb::Metric::default()],
        ..Default::default()
    }]));
    assert!(m.contains("unknown metric type 42"), "{m}");
    let (_, m) = parse_err(&body(&[pb::MetricFamily {
        r#type: Some(1),
        metric: vec![pb::Metric::default()],
        ..Default::default()
    }]));
    assert!(m.contains("without a name"), "{m}");
    let (_, m) = parse_err(&body(&[pb::MetricFamily {
        name: Some("x_total".into()),
        unit: Some("seconds".into()),
        r#type: Some(0),
        metric: vec![pb::Metric::default()],
        ..Default::default()
    }]));
    assert!(m.contains("not a suffix"), "{m}");
}

/// A small deterministic generator, so the test needs no extra crates.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn mutated_bodies_never_panic() {
    let good = encode_pb(&hand_built());
    let mut rng = Lcg(7);
    let mut builder = LabelsBuilder::new();
    let mut ex = Exemplar::default();
    for round in 0..3000 {
        let mut b = good.clone();
        for _ in 0..1 + round % 4 {
            let i = (rng.next() as usize) % b.len();
            b[i] = rng.next() as u8;
        }
        if round % 7 == 0 {
            b.truncate((rng.next() as usize) % b.len());
        }
        let mut p = ProtobufParser::new(&b).with_classic_histograms(round % 2 == 0);
        while let Ok(Some(e)) = p.next() {
            match e {
                Entry::Series => {
                    let _ = p.series();
                }
                Entry::Histogram => {
                    let _ = p.histogram();
                }
                _ => continue,
            }
            p.labels(&mut builder);
            let _ = builder.build();
            let _ = p.created_timestamp();
            while p.exemplar(&mut ex) {}
        }
    }
}

#[test]
fn native_histogram_exemplars_need_timestamps() {
    let ex = |v: f64, ts: Option<i64>| pb::Exemplar {
        label: vec![pb::LabelPair {
            name: Some("id".into()),
            value: Some(v.to_string()),
        }],
        value: Some(v),
        timestamp: ts.map(pb::Timestamp::from_millis),
    };
    let native = |exemplars: Vec<pb::Exemplar>, bucket_ex: Vec<pb::Exemplar>| pb::Histogram {
        schema: Some(0),
        positive_span: vec![pb::BucketSpan {
            offset: Some(0),
            length: Some(0),
        }],
        bucket: bucket_ex
            .into_iter()
            .enumerate()
            .map(|(i, e)| pb::Bucket {
                upper_bound: Some(i as f64),
                exemplar: Some(e),
                ..Default::default()
            })
            .collect(),
        exemplars,
        created_timestamp: Some(pb::Timestamp {
            seconds: 12,
            nanos: 345_000_000,
        }),
        ..Default::default()
    };
    let values = |h: pb::Histogram| -> Vec<(f64, Option<i64>)> {
        let b = body(&[pb::MetricFamily {
            name: Some("h".into()),
            r#type: Some(pb::MetricType::Histogram as i32),
            metric: vec![pb::Metric {
                histogram: Some(h),
                ..Default::default()
            }],
            ..Default::default()
        }]);
        let mut p = ProtobufParser::new(&b);
        while let Some(e) = p.next().unwrap() {
            if e == Entry::Histogram {
                assert_eq!(p.created_timestamp(), Some(12_345));
                let mut out = Vec::new();
                let mut x = Exemplar::default();
                while p.exemplar(&mut x) {
                    out.push((x.value, x.timestamp));
                }
                return out;
            }
        }
        panic!("no histogram entry");
    };
    assert_eq!(
        values(native(
            vec![ex(1.0, None), ex(2.0, Some(5)), ex(3.0, None)],
            vec![]
        )),
        [(2.0, Some(5))]
    );
    // Without an exemplars list, timestamped bucket exemplars are used.
    assert_eq!(
        values(native(
            vec![],
            vec![ex(4.0, Some(7)), ex(5.0, None), ex(6.0, Some(-1500))]
        )),
        [(4.0, Some(7)), (6.0, Some(-1500))]
    );
}
