//! Golden tests for the text 0.0.4 and OpenMetrics encoders: hand-built
//! families against expected bytes written by hand from the format specs
//! (`tests/golden/*.prom`, `tests/golden/*.om`).

use vigil_exposition::encode;
use vigil_exposition::{FamilySample, MetricFamily, SampleValue};
use vigil_model::{Exemplar, Histogram, Labels, MetricType, Span};

fn sample(pairs: &[(&str, &str)], v: f64, ts: Option<i64>) -> FamilySample {
    FamilySample {
        labels: Labels::from_pairs(pairs),
        value: SampleValue::Float(v),
        timestamp: ts,
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

fn native(name: &str) -> FamilySample {
    FamilySample {
        labels: Labels::from_pairs(&[("__name__", name)]),
        value: SampleValue::Histogram(Histogram {
            schema: 0,
            count: 2,
            sum: 1.0,
            positive_spans: vec![Span {
                offset: 0,
                length: 1,
            }],
            positive_buckets: vec![2],
            ..Histogram::default()
        }),
        timestamp: None,
        exemplars: Vec::new(),
        created_timestamp: None,
    }
}

fn check(golden: &str, got: &[u8]) {
    let path = format!("{}/tests/golden/{golden}", env!("CARGO_MANIFEST_DIR"));
    let want = std::fs::read(&path).expect("golden file");
    if want != got {
        panic!(
            "{golden} differs\n--- want\n{}\n--- got\n{}",
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(got)
        );
    }
}

fn text_families() -> Vec<MetricFamily> {
    vec![
        family(
            "http_requests_total",
            MetricType::Counter,
            Some("Total requests.\nSecond line with \\ and \"quotes\"."),
            vec![
                sample(
                    &[
                        ("__name__", "http_requests_total"),
                        ("method", "get"),
                        ("code", "200"),
                    ],
                    1027.0,
                    Some(1395066363000),
                ),
                sample(
                    &[
                        ("__name__", "http_requests_total"),
                        ("method", "post"),
                        ("code", "400"),
                    ],
                    3.0,
                    None,
                ),
            ],
        ),
        family(
            "temperature",
            MetricType::Gauge,
            None,
            vec![
                sample(&[("__name__", "temperature"), ("i", "1")], 1e6, None),
                sample(&[("__name__", "temperature"), ("i", "2")], 0.1, None),
                sample(&[("__name__", "temperature"), ("i", "3")], 1.5e-7, None),
                sample(&[("__name__", "temperature"), ("i", "4")], f64::NAN, None),
                sample(
                    &[("__name__", "temperature"), ("i", "5")],
                    f64::INFINITY,
                    None,
                ),
                sample(
                    &[("__name__", "temperature"), ("i", "6")],
                    f64::NEG_INFINITY,
                    None,
                ),
                sample(
                    &[("__name__", "temperature"), ("i", "7")],
                    -123456.0,
                    Some(-5),
                ),
                sample(&[("__name__", "temperature"), ("i", "8")], 1234567.0, None),
            ],
        ),
        family(
            "my.metric",
            MetricType::Unknown,
            Some("UTF-8 ☃"),
            vec![
                sample(
                    &[("__name__", "my.metric"), ("ünï.x", "a\"b\\c\nd")],
                    12.5,
                    None,
                ),
                sample(&[("__name__", "my.metric")], 0.0, None),
            ],
        ),
        family(
            "up",
            MetricType::Unknown,
            None,
            vec![sample(&[("__name__", "up")], 1.0, None)],
        ),
        family(
            "rpc_duration_seconds",
            MetricType::Summary,
            Some("RPC latency."),
            vec![
                sample(
                    &[
                        ("__name__", "rpc_duration_seconds"),
                        ("quantile", "0.5"),
                        ("service", "a"),
                    ],
                    0.012,
                    None,
                ),
                sample(
                    &[
                        ("__name__", "rpc_duration_seconds"),
                        ("quantile", "0.99"),
                        ("service", "a"),
                    ],
                    0.25,
                    None,
                ),
                sample(
                    &[("__name__", "rpc_duration_seconds_sum"), ("service", "a")],
                    17.5,
                    None,
                ),
                sample(
                    &[("__name__", "rpc_duration_seconds_count"), ("service", "a")],
                    1234567.0,
                    None,
                ),
            ],
        ),
        family(
            "latency_seconds",
            MetricType::Histogram,
            None,
            vec![
                sample(
                    &[
                        ("__name__", "latency_seconds_bucket"),
                        ("le", "0.05"),
                        ("path", "/"),
                    ],
                    24054.0,
                    None,
                ),
                sample(
                    &[
                        ("__name__", "latency_seconds_bucket"),
                        ("le", "+Inf"),
                        ("path", "/"),
                    ],
                    144320.0,
                    None,
                ),
                sample(
                    &[("__name__", "latency_seconds_sum"), ("path", "/")],
                    53423.5,
                    None,
                ),
                sample(
                    &[("__name__", "latency_seconds_count"), ("path", "/")],
                    144320.0,
                    None,
                ),
                native("latency_seconds"),
            ],
        ),
        family(
            "queue_size",
            MetricType::GaugeHistogram,
            None,
            vec![
                sample(
                    &[("__name__", "queue_size_bucket"), ("le", "+Inf")],
                    2.5,
                    None,
                ),
                sample(&[("__name__", "queue_size_sum")], 7.0, None),
                sample(&[("__name__", "queue_size_count")], 2.5, None),
            ],
        ),
        // An OpenMetrics-style counter family: declared under the samples' name.
        family(
            "jobs",
            MetricType::Counter,
            Some("Jobs."),
            vec![sample(&[("__name__", "jobs_total")], 5.0, None)],
        ),
        family(
            "only_metadata",
            MetricType::Gauge,
            Some("No samples."),
            Vec::new(),
        ),
    ]
}

#[test]
fn text_golden() {
    let mut out = Vec::new();
    encode::text::write(&mut out, &text_families());
    check("text.prom", &out);
}

fn om_families() -> Vec<MetricFamily> {
    let mut req = sample(
        &[("__name__", "http_requests_total"), ("code", "200")],
        1027.0,
        Some(1395066363000),
    );
    req.exemplars.push(Exemplar {
        labels: Labels::from_pairs(&[("trace_id", "KOO5S4vxi0o")]),
        value: 0.67,
        timestamp: Some(1600000000123),
    });
    let mut bucket = sample(
        &[("__name__", "latency_seconds_bucket"), ("le", "0.5")],
        3.0,
        None,
    );
    bucket.exemplars.push(Exemplar {
        labels: Labels::empty(),
        value: 0.1,
        timestamp: None,
    });
    bucket.exemplars.push(Exemplar {
        labels: Labels::from_pairs(&[("id", "x")]),
        value: 0.25,
        timestamp: None,
    });
    let mut disk = family(
        "disk_usage_bytes",
        MetricType::Gauge,
        Some("Disk \"usage\" \\ in bytes.\nMore."),
        vec![
            sample(
                &[("__name__", "disk_usage_bytes"), ("dev", "sda")],
                1.0,
                None,
            ),
            sample(
                &[("__name__", "disk_usage_bytes"), ("dev", "sdb")],
                1e6,
                None,
            ),
            sample(
                &[("__name__", "disk_usage_bytes"), ("dev", "sdc")],
                f64::NAN,
                Some(1500),
            ),
            sample(
                &[("__name__", "disk_usage_bytes"), ("dev", "sdd")],
                -0.0,
                None,
            ),
        ],
    );
    disk.unit = Some("bytes".to_string());
    vec![
        family(
            "http_requests",
            MetricType::Counter,
            Some("Total requests."),
            vec![
                req,
                sample(
                    &[("__name__", "http_requests_created"), ("code", "200")],
                    1.6e9,
                    None,
                ),
            ],
        ),
        family(
            "jobs_total",
            MetricType::Counter,
            None,
            vec![sample(&[("__name__", "jobs_total")], 5.0, None)],
        ),
        family(
            "legacy_counter",
            MetricType::Counter,
            None,
            vec![sample(&[("__name__", "legacy_counter")], 2.0, None)],
        ),
        disk,
        family(
            "latency_seconds",
            MetricType::Histogram,
            None,
            vec![
                native("latency_seconds"),
                sample(&[("__name__", "latency_seconds_count")], 4.0, None),
                sample(&[("__name__", "latency_seconds_sum")], 0.0, None),
                bucket,
                sample(
                    &[("__name__", "latency_seconds_bucket"), ("le", "+Inf")],
                    4.0,
                    None,
                ),
            ],
        ),
        family(
            "queue_size",
            MetricType::GaugeHistogram,
            None,
            vec![
                sample(&[("__name__", "queue_size_count")], 2.0, None),
                sample(&[("__name__", "queue_size_sum")], 7.25, None),
                sample(
                    &[("__name__", "queue_size_bucket"), ("le", "+Inf")],
                    2.0,
                    None,
                ),
            ],
        ),
        family(
            "rpc_seconds",
            MetricType::Summary,
            None,
            vec![
                sample(
                    &[("__name__", "rpc_seconds"), ("quantile", "0.9")],
                    0.5,
                    None,
                ),
                sample(&[("__name__", "rpc_seconds_count")], 9.0, None),
                sample(&[("__name__", "rpc_seconds_sum")], 1.5, None),
            ],
        ),
        family(
            "build",
            MetricType::Info,
            None,
            vec![sample(
                &[("__name__", "build_info"), ("version", "1.2")],
                1.0,
                None,
            )],
        ),
        family(
            "state",
            MetricType::StateSet,
            None,
            vec![sample(&[("__name__", "state"), ("state", "ok")], 0.0, None)],
        ),
        family(
            "my.metric",
            MetricType::Unknown,
            Some("UTF-8 ☃"),
            vec![sample(
                &[("__name__", "my.metric"), ("ünï", "v")],
                42.0,
                None,
            )],
        ),
    ]
}

#[test]
fn openmetrics_golden() {
    let mut out = Vec::new();
    encode::openmetrics::write(&mut out, &om_families());
    check("openmetrics.om", &out);
}

#[test]
fn openmetrics_empty_is_just_eof() {
    let mut out = Vec::new();
    encode::openmetrics::write(&mut out, &[]);
    assert_eq!(out, b"# EOF\n");
}
