//! WAL record payloads, as Prometheus' `tsdb/record` encodes them (the byte
//! diagrams are in `tsdb/docs/format/wal.md`; where the doc says `uvarint`
//! for sample deltas, Prometheus' code writes signed varints, and so do we).
//!
//! Every record starts with a type byte:
//!
//! | type | record | body (repeated per entry) |
//! |---|---|---|
//! | 1 | series | `ref <8b BE>`, `n <uvarint>`, n × (`name`, `value`) as uvarint-length strings |
//! | 2 | samples | first `ref <8b>`, `t <8b>`; then `Δref <varint>`, `Δt <varint>`, `v <8b>` |
//! | 3 | tombstones | `ref <8b>`, `mint <varint>`, `maxt <varint>` |
//! | 4 | exemplars | like samples, plus the exemplar's labels as in series |
//! | 5 | mmap markers | `ref <8b>`, `mmap_ref <8b>` |
//! | 6 | metadata | `ref <uvarint>`, `type <1b>`, `n <uvarint>`, n × (field, value) strings |
//! | 7 / 9 | integer native histograms (exponential / custom buckets) | like samples, then the histogram |
//! | 8 / 10 | float native histograms (exponential / custom buckets) | like samples, then the histogram |

use vigil_model::{CounterResetHint, FloatHistogram, Histogram, Labels, MetricType, Span};

/// The type byte of a WAL record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordType {
    /// New series and their labels.
    Series = 1,
    /// Float samples.
    Samples = 2,
    /// Deletion intervals.
    Tombstones = 3,
    /// Exemplars.
    Exemplars = 4,
    /// Where head chunks were memory-mapped (written by older Prometheus).
    MmapMarkers = 5,
    /// Metric metadata (type, unit, help) per series.
    Metadata = 6,
    /// Integer native histograms, exponential buckets.
    HistogramSamples = 7,
    /// Float native histograms, exponential buckets.
    FloatHistogramSamples = 8,
    /// Integer native histograms, custom buckets.
    CustomBucketsHistogramSamples = 9,
    /// Float native histograms, custom buckets.
    CustomBucketsFloatHistogramSamples = 10,
}

impl RecordType {
    /// The type of an encoded record, if it is one we know.
    pub fn of(rec: &[u8]) -> Option<RecordType> {
        Some(match rec.first()? {
            1 => RecordType::Series,
            2 => RecordType::Samples,
            3 => RecordType::Tombstones,
            4 => RecordType::Exemplars,
            5 => RecordType::MmapMarkers,
            6 => RecordType::Metadata,
            7 => RecordType::HistogramSamples,
            8 => RecordType::FloatHistogramSamples,
            9 => RecordType::CustomBucketsHistogramSamples,
            10 => RecordType::CustomBucketsFloatHistogramSamples,
            _ => return None,
        })
    }
}

/// A series and the reference the WAL knows it by.
#[derive(Debug, Clone, PartialEq)]
pub struct RefSeries {
    /// Head series reference.
    pub series: u64,
    /// Its labels.
    pub labels: Labels,
}

/// A float sample of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefSample {
    /// Head series reference.
    pub series: u64,
    /// Timestamp in ms.
    pub t: i64,
    /// Value.
    pub v: f64,
}

/// A deleted interval of a series (both ends inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefTombstone {
    /// Head series reference.
    pub series: u64,
    /// First deleted timestamp.
    pub mint: i64,
    /// Last deleted timestamp.
    pub maxt: i64,
}

/// An exemplar of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct RefExemplar {
    /// Head series reference.
    pub series: u64,
    /// Timestamp in ms.
    pub t: i64,
    /// Value.
    pub v: f64,
    /// Exemplar labels.
    pub labels: Labels,
}

/// Where a head chunk of a series was memory-mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefMmapMarker {
    /// Head series reference.
    pub series: u64,
    /// Reference of the mmapped chunk.
    pub mmap_ref: u64,
}

/// Metadata of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefMetadata {
    /// Head series reference.
    pub series: u64,
    /// Metric type.
    pub kind: MetricType,
    /// Unit.
    pub unit: String,
    /// Help text.
    pub help: String,
}

/// An integer native histogram sample of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct RefHistogramSample {
    /// Head series reference.
    pub series: u64,
    /// Timestamp in ms.
    pub t: i64,
    /// The histogram.
    pub h: Histogram,
}

/// A float native histogram sample of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct RefFloatHistogramSample {
    /// Head series reference.
    pub series: u64,
    /// Timestamp in ms.
    pub t: i64,
    /// The histogram.
    pub h: FloatHistogram,
}

/// The byte Prometheus stores for a metric type in metadata records.
pub fn metric_type_byte(t: MetricType) -> u8 {
    match t {
        MetricType::Unknown => 0,
        MetricType::Counter => 1,
        MetricType::Gauge => 2,
        MetricType::Histogram => 3,
        MetricType::GaugeHistogram => 4,
        MetricType::Summary => 5,
        MetricType::Info => 6,
        MetricType::StateSet => 7,
    }
}

fn metric_type_from_byte(b: u8) -> MetricType {
    match b {
        1 => MetricType::Counter,
        2 => MetricType::Gauge,
        3 => MetricType::Histogram,
        4 => MetricType::GaugeHistogram,
        5 => MetricType::Summary,
        6 => MetricType::Info,
        7 => MetricType::StateSet,
        _ => MetricType::Unknown,
    }
}

fn hint_byte(h: CounterResetHint) -> u8 {
    match h {
        CounterResetHint::Unknown => 0,
        CounterResetHint::CounterReset => 1,
        CounterResetHint::NotCounterReset => 2,
        CounterResetHint::Gauge => 3,
    }
}

fn hint_from_byte(b: u8) -> CounterResetHint {
    match b {
        1 => CounterResetHint::CounterReset,
        2 => CounterResetHint::NotCounterReset,
        3 => CounterResetHint::Gauge,
        _ => CounterResetHint::Unknown,
    }
}

// ---------------------------------------------------------------- encoding

fn put_uvarint(b: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        b.push((v as u8) | 0x80);
        v >>= 7;
    }
    b.push(v as u8);
}

fn put_varint(b: &mut Vec<u8>, v: i64) {
    put_uvarint(b, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    put_uvarint(b, s.len() as u64);
    b.extend_from_slice(s.as_bytes());
}

fn put_labels(b: &mut Vec<u8>, labels: &Labels) {
    put_uvarint(b, labels.len() as u64);
    for l in labels {
        put_str(b, l.name);
        put_str(b, l.value);
    }
}

fn put_spans(b: &mut Vec<u8>, spans: &[Span]) {
    put_uvarint(b, spans.len() as u64);
    for s in spans {
        put_varint(b, s.offset as i64);
        put_uvarint(b, s.length as u64);
    }
}

/// Appends a series record to `b`.
pub fn encode_series(b: &mut Vec<u8>, series: &[RefSeries]) {
    b.push(RecordType::Series as u8);
    for s in series {
        b.extend_from_slice(&s.series.to_be_bytes());
        put_labels(b, &s.labels);
    }
}

/// Appends a samples record to `b`.
pub fn encode_samples(b: &mut Vec<u8>, samples: &[RefSample]) {
    b.push(RecordType::Samples as u8);
    let Some(first) = samples.first() else { return };
    b.extend_from_slice(&first.series.to_be_bytes());
    b.extend_from_slice(&first.t.to_be_bytes());
    for s in samples {
        put_varint(b, s.series.wrapping_sub(first.series) as i64);
        put_varint(b, s.t.wrapping_sub(first.t));
        b.extend_from_slice(&s.v.to_bits().to_be_bytes());
    }
}

/// Appends a tombstones record to `b`.
pub fn encode_tombstones(b: &mut Vec<u8>, tombstones: &[RefTombstone]) {
    b.push(RecordType::Tombstones as u8);
    for t in tombstones {
        b.extend_from_slice(&t.series.to_be_bytes());
        put_varint(b, t.mint);
        put_varint(b, t.maxt);
    }
}

/// Appends an exemplars record to `b`.
pub fn encode_exemplars(b: &mut Vec<u8>, exemplars: &[RefExemplar]) {
    b.push(RecordType::Exemplars as u8);
    let Some(first) = exemplars.first() else {
        return;
    };
    b.extend_from_slice(&first.series.to_be_bytes());
    b.extend_from_slice(&first.t.to_be_bytes());
    for e in exemplars {
        put_varint(b, e.series.wrapping_sub(first.series) as i64);
        put_varint(b, e.t.wrapping_sub(first.t));
        b.extend_from_slice(&e.v.to_bits().to_be_bytes());
        put_labels(b, &e.labels);
    }
}

/// Appends an mmap-markers record to `b`.
pub fn encode_mmap_markers(b: &mut Vec<u8>, markers: &[RefMmapMarker]) {
    b.push(RecordType::MmapMarkers as u8);
    for m in markers {
        b.extend_from_slice(&m.series.to_be_bytes());
        b.extend_from_slice(&m.mmap_ref.to_be_bytes());
    }
}

/// Appends a metadata record to `b`.
pub fn encode_metadata(b: &mut Vec<u8>, metadata: &[RefMetadata]) {
    b.push(RecordType::Metadata as u8);
    for m in metadata {
        put_uvarint(b, m.series);
        b.push(metric_type_byte(m.kind));
        put_uvarint(b, 2);
        put_str(b, "UNIT");
        put_str(b, &m.unit);
        put_str(b, "HELP");
        put_str(b, &m.help);
    }
}

/// Appends an integer-histogram record to `b`. All histograms must use the
/// same kind of buckets: type 9 is written if the first one has custom
/// buckets, type 7 otherwise (split them before calling, as Prometheus does).
pub fn encode_histogram_samples(b: &mut Vec<u8>, hs: &[RefHistogramSample]) {
    let custom = hs
        .first()
        .is_some_and(|h| h.h.schema == vigil_model::histogram::CUSTOM_BUCKETS_SCHEMA);
    b.push(if custom {
        RecordType::CustomBucketsHistogramSamples
    } else {
        RecordType::HistogramSamples
    } as u8);
    let Some(first) = hs.first() else { return };
    b.extend_from_slice(&first.series.to_be_bytes());
    b.extend_from_slice(&first.t.to_be_bytes());
    for s in hs {
        put_varint(b, s.series.wrapping_sub(first.series) as i64);
        put_varint(b, s.t.wrapping_sub(first.t));
        let h = &s.h;
        b.push(hint_byte(h.counter_reset_hint));
        put_varint(b, h.schema as i64);
        b.extend_from_slice(&h.zero_threshold.to_bits().to_be_bytes());
        put_uvarint(b, h.zero_count);
        put_uvarint(b, h.count);
        b.extend_from_slice(&h.sum.to_bits().to_be_bytes());
        put_spans(b, &h.positive_spans);
        put_spans(b, &h.negative_spans);
        put_uvarint(b, h.positive_buckets.len() as u64);
        for v in &h.positive_buckets {
            put_varint(b, *v);
        }
        put_uvarint(b, h.negative_buckets.len() as u64);
        for v in &h.negative_buckets {
            put_varint(b, *v);
        }
        if custom {
            put_uvarint(b, h.custom_values.len() as u64);
            for v in &h.custom_values {
                b.extend_from_slice(&v.to_bits().to_be_bytes());
            }
        }
    }
}

/// Appends a float-histogram record to `b` (type 10 for custom buckets,
/// 8 otherwise; see [`encode_histogram_samples`]).
pub fn encode_float_histogram_samples(b: &mut Vec<u8>, hs: &[RefFloatHistogramSample]) {
    let custom = hs
        .first()
        .is_some_and(|h| h.h.schema == vigil_model::histogram::CUSTOM_BUCKETS_SCHEMA);
    b.push(if custom {
        RecordType::CustomBucketsFloatHistogramSamples
    } else {
        RecordType::FloatHistogramSamples
    } as u8);
    let Some(first) = hs.first() else { return };
    b.extend_from_slice(&first.series.to_be_bytes());
    b.extend_from_slice(&first.t.to_be_bytes());
    let f = |b: &mut Vec<u8>, v: f64| b.extend_from_slice(&v.to_bits().to_be_bytes());
    for s in hs {
        put_varint(b, s.series.wrapping_sub(first.series) as i64);
        put_varint(b, s.t.wrapping_sub(first.t));
        let h = &s.h;
        b.push(hint_byte(h.counter_reset_hint));
        put_varint(b, h.schema as i64);
        f(b, h.zero_threshold);
        f(b, h.zero_count);
        f(b, h.count);
        f(b, h.sum);
        put_spans(b, &h.positive_spans);
        put_spans(b, &h.negative_spans);
        put_uvarint(b, h.positive_buckets.len() as u64);
        for v in &h.positive_buckets {
            f(b, *v);
        }
        put_uvarint(b, h.negative_buckets.len() as u64);
        for v in &h.negative_buckets {
            f(b, *v);
        }
        if custom {
            put_uvarint(b, h.custom_values.len() as u64);
            for v in &h.custom_values {
                f(b, *v);
            }
        }
    }
}

mod decode;

pub(crate) use decode::Decbuf;

pub use decode::{
    decode_exemplars, decode_float_histogram_samples, decode_histogram_samples, decode_metadata,
    decode_mmap_markers, decode_samples, decode_series, decode_tombstones,
};

#[cfg(test)]
mod tests;
