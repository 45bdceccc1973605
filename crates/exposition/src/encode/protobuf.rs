//! Writer for the delimited protobuf format: each family becomes one
//! `io.prometheus.client.MetricFamily` message preceded by its varint length.
//!
//! Flat samples are regrouped into `Metric` messages the way client_golang
//! builds them: one per series for counters, gauges and untyped families
//! (info and stateset families are written as untyped); for summaries one
//! per label set (without `quantile`) gathering the quantile series, `_sum`
//! and `_count`; for histograms and gauge histograms one per label set
//! (without `le`) gathering `_bucket`, `_sum`/`_gsum`, `_count`/`_gcount`
//! and a native histogram of that label set. `_created` samples become the
//! created timestamp of their metric. Samples whose name matches none of
//! these shapes cannot be expressed in this format and are dropped, as are
//! families without samples and custom-bucket (schema -53) native
//! histograms, which `metrics.proto` has no field for.
//!
//! A sample timestamp of 0 is written but reads back as "no timestamp",
//! as Prometheus reads it.
//!
//! A native histogram with neither spans nor a zero bucket gets a no-op
//! span (offset 0, length 0), as client_golang writes it, so readers do
//! not mistake it for a classic histogram.

use std::collections::HashMap;

use prost::Message as _;
use vigil_model::histogram::CUSTOM_BUCKETS_SCHEMA;
use vigil_model::{
    BUCKET_LABEL, Exemplar, FloatHistogram, Histogram, Labels, METRIC_NAME, MetricType,
    QUANTILE_LABEL, Span,
};

use crate::family::{FamilySample, MetricFamily, SampleValue};
use crate::protobuf::messages as pb;

/// Appends `families` to `out` as length-delimited `MetricFamily` messages.
pub fn write(out: &mut Vec<u8>, families: &[MetricFamily]) {
    for fam in families {
        if let Some(msg) = to_message(fam) {
            out.extend_from_slice(&msg.encode_length_delimited_to_vec());
        }
    }
}

/// Builds the `MetricFamily` message for one family; `None` when no
/// sample of it can be expressed.
pub fn to_message(fam: &MetricFamily) -> Option<pb::MetricFamily> {
    let (kind, name) = match fam.kind {
        MetricType::Counter => {
            // OpenMetrics families are named without `_total`; the protobuf
            // family carries the full sample name.
            let total = fam
                .samples
                .iter()
                .any(|s| metric_name(s).strip_suffix("_total") == Some(fam.name.as_str()));
            let name = if total {
                format!("{}_total", fam.name)
            } else {
                fam.name.clone()
            };
            (pb::MetricType::Counter, name)
        }
        MetricType::Gauge => (pb::MetricType::Gauge, fam.name.clone()),
        MetricType::Summary => (pb::MetricType::Summary, fam.name.clone()),
        MetricType::Histogram => (pb::MetricType::Histogram, fam.name.clone()),
        MetricType::GaugeHistogram => (pb::MetricType::GaugeHistogram, fam.name.clone()),
        MetricType::Info | MetricType::StateSet | MetricType::Unknown => {
            (pb::MetricType::Untyped, fam.name.clone())
        }
    };
    let mut g = Grouper {
        metrics: Vec::new(),
        index: HashMap::new(),
    };
    let base = name
        .strip_suffix("_total")
        .filter(|_| kind == pb::MetricType::Counter);
    for s in &fam.samples {
        let metric = metric_name(s);
        match kind {
            pb::MetricType::Counter | pb::MetricType::Gauge | pb::MetricType::Untyped => {
                add_simple(&mut g, kind, &name, base, s, metric);
            }
            pb::MetricType::Summary => add_summary(&mut g, &name, s, metric),
            pb::MetricType::Histogram | pb::MetricType::GaugeHistogram => {
                add_histogram(&mut g, &name, s, metric);
            }
        }
    }
    if g.metrics.is_empty() {
        return None;
    }
    Some(pb::MetricFamily {
        name: Some(name),
        help: fam.help.clone(),
        r#type: Some(kind as i32),
        metric: g.metrics,
        unit: fam.unit.clone().filter(|u| !u.is_empty()),
    })
}

fn metric_name(s: &FamilySample) -> &str {
    s.labels.get(METRIC_NAME).unwrap_or_default()
}

/// Metrics in order of first appearance, indexed by label set.
struct Grouper {
    metrics: Vec<pb::Metric>,
    index: HashMap<Labels, usize>,
}

impl Grouper {
    /// The metric for the sample's labels minus `__name__` and `magic`.
    fn metric(&mut self, s: &FamilySample, magic: &str) -> &mut pb::Metric {
        let key = s.labels.without(&[METRIC_NAME, magic]);
        let next = self.metrics.len();
        let i = *self.index.entry(key.clone()).or_insert(next);
        if i == next {
            self.metrics.push(pb::Metric {
                label: label_pairs(&key),
                timestamp_ms: s.timestamp,
                ..pb::Metric::default()
            });
        }
        // `i` is either an existing index or the one just pushed.
        let last = self.metrics.len() - 1;
        &mut self.metrics[i.min(last)]
    }
}

fn label_pairs(labels: &Labels) -> Vec<pb::LabelPair> {
    labels
        .iter()
        .map(|l| pb::LabelPair {
            name: Some(l.name.to_string()),
            value: Some(l.value.to_string()),
        })
        .collect()
}

fn exemplar(e: &Exemplar) -> pb::Exemplar {
    pb::Exemplar {
        label: label_pairs(&e.labels),
        value: Some(e.value),
        timestamp: e.timestamp.map(pb::Timestamp::from_millis),
    }
}

fn float_sample(s: &FamilySample) -> Option<f64> {
    match s.value {
        SampleValue::Float(v) => Some(v),
        _ => None,
    }
}

/// A `_created` sample's value (seconds) as a created timestamp.
fn created(v: f64) -> Option<pb::Timestamp> {
    v.is_finite()
        .then(|| pb::Timestamp::from_millis((v * 1000.0).round() as i64))
}

fn add_simple(
    g: &mut Grouper,
    kind: pb::MetricType,
    name: &str,
    base: Option<&str>,
    s: &FamilySample,
    metric: &str,
) {
    let Some(v) = float_sample(s) else { return };
    if kind == pb::MetricType::Counter
        && base.is_some_and(|b| metric.strip_suffix("_created") == Some(b))
    {
        let ct = created(v);
        let m = g.metric(s, "");
        m.counter
            .get_or_insert_with(Default::default)
            .created_timestamp = ct;
        return;
    }
    if metric != name {
        return;
    }
    let m = g.metric(s, "");
    match kind {
        pb::MetricType::Counter => {
            let c = m.counter.get_or_insert_with(Default::default);
            c.value = Some(v);
            c.exemplar = s.exemplars.first().map(exemplar);
            if let Some(ct) = s.created_timestamp {
                c.created_timestamp = Some(pb::Timestamp::from_millis(ct));
            }
        }
        pb::MetricType::Gauge => m.gauge = Some(pb::Gauge { value: Some(v) }),
        _ => m.untyped = Some(pb::Untyped { value: Some(v) }),
    }
}

fn add_summary(g: &mut Grouper, name: &str, s: &FamilySample, metric: &str) {
    let Some(v) = float_sample(s) else { return };
    let suffix = metric.strip_prefix(name).unwrap_or("?");
    let quantile = s.labels.get(QUANTILE_LABEL).map(parse_float);
    if !matches!(suffix, "" | "_sum" | "_count" | "_created") {
        return;
    }
    let m = g.metric(s, QUANTILE_LABEL);
    let sum = m.summary.get_or_insert_with(Default::default);
    match suffix {
        "_sum" => sum.sample_sum = Some(v),
        "_count" => sum.sample_count = Some(v.max(0.0) as u64),
        "_created" => sum.created_timestamp = created(v),
        _ => {
            if let Some(q) = quantile {
                sum.quantile.push(pb::Quantile {
                    quantile: Some(q),
                    value: Some(v),
                });
            }
        }
    }
    if let Some(ct) = s.created_timestamp {
        sum.created_timestamp = Some(pb::Timestamp::from_millis(ct));
    }
}

fn add_histogram(g: &mut Grouper, name: &str, s: &FamilySample, metric: &str) {
    let suffix = metric.strip_prefix(name).unwrap_or("?");
    if !matches!(
        suffix,
        "" | "_bucket" | "_sum" | "_gsum" | "_count" | "_gcount" | "_created"
    ) {
        return;
    }
    let le = s.labels.get(BUCKET_LABEL).map(parse_float);
    let m = g.metric(
        s,
        if suffix == "_bucket" {
            BUCKET_LABEL
        } else {
            ""
        },
    );
    let h = m.histogram.get_or_insert_with(Default::default);
    if let Some(ct) = s.created_timestamp {
        h.created_timestamp = Some(pb::Timestamp::from_millis(ct));
    }
    match (&s.value, suffix) {
        (SampleValue::Histogram(nh), "") => set_native_int(h, nh, &s.exemplars),
        (SampleValue::FloatHistogram(nh), "") => set_native_float(h, nh, &s.exemplars),
        (SampleValue::Float(v), "_sum" | "_gsum") => h.sample_sum = Some(*v),
        (SampleValue::Float(v), "_count" | "_gcount") => {
            (h.sample_count, h.sample_count_float) = split_count(*v);
        }
        (SampleValue::Float(v), "_created") => h.created_timestamp = created(*v),
        (SampleValue::Float(v), "_bucket") => {
            let (cumulative_count, cumulative_count_float) = split_count(*v);
            h.bucket.push(pb::Bucket {
                cumulative_count,
                cumulative_count_float,
                upper_bound: le,
                exemplar: s.exemplars.first().map(exemplar),
            });
        }
        _ => {}
    }
}

/// An integral count goes into the integer field, anything else into the float one.
fn split_count(v: f64) -> (Option<u64>, Option<f64>) {
    match super::integral_count(v) {
        Some(n) => (Some(n), None),
        None => (None, Some(v)),
    }
}

fn spans(spans: &[Span]) -> Vec<pb::BucketSpan> {
    spans
        .iter()
        .map(|s| pb::BucketSpan {
            offset: Some(s.offset),
            length: Some(s.length),
        })
        .collect()
}

/// Adds the no-op span when nothing else marks the histogram as native.
fn mark_native(h: &mut pb::Histogram) {
    if h.positive_span.is_empty()
        && h.negative_span.is_empty()
        && h.zero_threshold.unwrap_or_default() <= 0.0
        && h.zero_count.unwrap_or_default() == 0
        && h.zero_count_float.unwrap_or_default() <= 0.0
    {
        h.positive_span.push(pb::BucketSpan {
            offset: Some(0),
            length: Some(0),
        });
    }
}

fn set_native_int(h: &mut pb::Histogram, nh: &Histogram, ex: &[Exemplar]) {
    if nh.schema == CUSTOM_BUCKETS_SCHEMA {
        return;
    }
    h.sample_count = Some(nh.count);
    h.sample_sum = Some(nh.sum);
    h.schema = Some(nh.schema);
    h.zero_threshold = Some(nh.zero_threshold);
    h.zero_count = Some(nh.zero_count);
    h.positive_span = spans(&nh.positive_spans);
    h.negative_span = spans(&nh.negative_spans);
    h.positive_delta = nh.positive_buckets.clone();
    h.negative_delta = nh.negative_buckets.clone();
    h.exemplars = ex.iter().map(exemplar).collect();
    mark_native(h);
}

fn set_native_float(h: &mut pb::Histogram, nh: &FloatHistogram, ex: &[Exemplar]) {
    if nh.schema == CUSTOM_BUCKETS_SCHEMA {
        return;
    }
    h.sample_count_float = Some(nh.count);
    h.sample_sum = Some(nh.sum);
    h.schema = Some(nh.schema);
    h.zero_threshold = Some(nh.zero_threshold);
    h.zero_count_float = Some(nh.zero_count);
    h.positive_span = spans(&nh.positive_spans);
    h.negative_span = spans(&nh.negative_spans);
    h.positive_count = nh.positive_buckets.clone();
    h.negative_count = nh.negative_buckets.clone();
    h.exemplars = ex.iter().map(exemplar).collect();
    mark_native(h);
}

/// Parses a `le` / `quantile` label value, including Go's spellings of the
/// special values.
fn parse_float(s: &str) -> f64 {
    match s {
        "+Inf" | "Inf" | "+inf" | "inf" => f64::INFINITY,
        "-Inf" | "-inf" => f64::NEG_INFINITY,
        "NaN" | "nan" => f64::NAN,
        _ => s.parse().unwrap_or(f64::NAN),
    }
}
