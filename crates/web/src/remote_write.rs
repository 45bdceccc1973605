//! `POST /api/v1/write`: the remote-write 1.0 receiver (behind
//! `--web.enable-remote-write-receiver`, 404 otherwise as upstream).
//!
//! The body is a snappy block-compressed protobuf `prometheus.WriteRequest`;
//! the messages are declared here with `prost` derives (only the fields
//! the receiver reads; the metadata field is skipped as unknown). All
//! series of a request go through one head appender and one commit, so a
//! request is applied whole or not at all. Sample errors a retry cannot
//! fix (out of order, out of bounds, duplicate, too old, bad histograms)
//! answer 400 so senders drop the batch; storage failures answer 500.
//! Exemplar errors are ignored, as upstream does.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use vigil_model::{
    CounterResetHint, Exemplar, FloatHistogram, Histogram as ModelHistogram, Labels, Span,
};
use vigil_tsdb::head::AppendError;

use crate::api::not_ready;
use crate::params::system_time_ms;
use crate::state::WebState;

/// `prometheus.WriteRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    /// The series with their samples.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

/// `prometheus.TimeSeries`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    /// Labels, `__name__` included.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Float samples.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    /// Exemplars.
    #[prost(message, repeated, tag = "3")]
    pub exemplars: Vec<ExemplarMsg>,
    /// Native histograms.
    #[prost(message, repeated, tag = "4")]
    pub histograms: Vec<HistogramMsg>,
}

/// `prometheus.Label`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Label {
    /// Label name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Label value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `prometheus.Sample`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    /// The value.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// `prometheus.Exemplar`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExemplarMsg {
    /// Exemplar labels.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// The value.
    #[prost(double, tag = "2")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// `prometheus.BucketSpan`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BucketSpan {
    /// Gap to the previous span.
    #[prost(sint32, tag = "1")]
    pub offset: i32,
    /// Consecutive buckets.
    #[prost(uint32, tag = "2")]
    pub length: u32,
}

/// The `count` oneof of `prometheus.Histogram`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Count {
    /// Integer histogram count.
    #[prost(uint64, tag = "1")]
    CountInt(u64),
    /// Float histogram count.
    #[prost(double, tag = "2")]
    CountFloat(f64),
}

/// The `zero_count` oneof of `prometheus.Histogram`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum ZeroCount {
    /// Integer zero-bucket count.
    #[prost(uint64, tag = "6")]
    ZeroCountInt(u64),
    /// Float zero-bucket count.
    #[prost(double, tag = "7")]
    ZeroCountFloat(f64),
}

/// `prometheus.Histogram`: integer histograms carry `count_int` and
/// bucket deltas, float histograms `count_float` and absolute counts.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HistogramMsg {
    /// Observation count.
    #[prost(oneof = "Count", tags = "1, 2")]
    pub count: Option<Count>,
    /// Sum of observations.
    #[prost(double, tag = "3")]
    pub sum: f64,
    /// Resolution.
    #[prost(sint32, tag = "4")]
    pub schema: i32,
    /// Zero-bucket width.
    #[prost(double, tag = "5")]
    pub zero_threshold: f64,
    /// Zero-bucket count.
    #[prost(oneof = "ZeroCount", tags = "6, 7")]
    pub zero_count: Option<ZeroCount>,
    /// Negative spans.
    #[prost(message, repeated, tag = "8")]
    pub negative_spans: Vec<BucketSpan>,
    /// Negative bucket deltas (integer histograms).
    #[prost(sint64, repeated, tag = "9")]
    pub negative_deltas: Vec<i64>,
    /// Negative bucket counts (float histograms).
    #[prost(double, repeated, tag = "10")]
    pub negative_counts: Vec<f64>,
    /// Positive spans.
    #[prost(message, repeated, tag = "11")]
    pub positive_spans: Vec<BucketSpan>,
    /// Positive bucket deltas (integer histograms).
    #[prost(sint64, repeated, tag = "12")]
    pub positive_deltas: Vec<i64>,
    /// Positive bucket counts (float histograms).
    #[prost(double, repeated, tag = "13")]
    pub positive_counts: Vec<f64>,
    /// 0 unknown, 1 reset, 2 no reset, 3 gauge.
    #[prost(int32, tag = "14")]
    pub reset_hint: i32,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "15")]
    pub timestamp: i64,
    /// Custom bucket bounds (schema -53).
    #[prost(double, repeated, tag = "16")]
    pub custom_values: Vec<f64>,
}

fn spans(s: &[BucketSpan]) -> Vec<Span> {
    s.iter()
        .map(|s| Span {
            offset: s.offset,
            length: s.length,
        })
        .collect()
}

fn hint(h: i32) -> CounterResetHint {
    match h {
        1 => CounterResetHint::CounterReset,
        2 => CounterResetHint::NotCounterReset,
        3 => CounterResetHint::Gauge,
        _ => CounterResetHint::Unknown,
    }
}

/// A message histogram in model form: integer or float by its count.
enum AnyHistogram {
    Int(ModelHistogram),
    Float(FloatHistogram),
}

fn to_model(h: &HistogramMsg) -> AnyHistogram {
    if let Some(Count::CountFloat(count)) = h.count {
        let zero_count = match h.zero_count {
            Some(ZeroCount::ZeroCountFloat(z)) => z,
            Some(ZeroCount::ZeroCountInt(z)) => z as f64,
            None => 0.0,
        };
        return AnyHistogram::Float(FloatHistogram {
            counter_reset_hint: hint(h.reset_hint),
            schema: h.schema,
            zero_threshold: h.zero_threshold,
            zero_count,
            count,
            sum: h.sum,
            positive_spans: spans(&h.positive_spans),
            negative_spans: spans(&h.negative_spans),
            positive_buckets: h.positive_counts.clone(),
            negative_buckets: h.negative_counts.clone(),
            custom_values: h.custom_values.clone(),
        });
    }
    let count = match h.count {
        Some(Count::CountInt(c)) => c,
        _ => 0,
    };
    let zero_count = match h.zero_count {
        Some(ZeroCount::ZeroCountInt(z)) => z,
        Some(ZeroCount::ZeroCountFloat(z)) => z as u64,
        None => 0,
    };
    AnyHistogram::Int(ModelHistogram {
        counter_reset_hint: hint(h.reset_hint),
        schema: h.schema,
        zero_threshold: h.zero_threshold,
        zero_count,
        count,
        sum: h.sum,
        positive_spans: spans(&h.positive_spans),
        negative_spans: spans(&h.negative_spans),
        positive_buckets: h.positive_deltas.clone(),
        negative_buckets: h.negative_deltas.clone(),
        custom_values: h.custom_values.clone(),
    })
}

/// How far ahead of now a sample may be (Prometheus' `maxAheadTime`).
const MAX_AHEAD_MS: i64 = 10 * 60 * 1000;

/// Why a write failed: the status and the text.
type WriteError = (StatusCode, String);

fn append_error(e: AppendError) -> WriteError {
    let code = match e {
        AppendError::OutOfBounds { .. }
        | AppendError::OutOfOrder { .. }
        | AppendError::DuplicateSample { .. }
        | AppendError::TooOldSample { .. }
        | AppendError::InvalidHistogram(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (code, e.to_string())
}

fn labels_of(ls: &[Label]) -> Option<Labels> {
    let mut names: Vec<&str> = ls.iter().map(|l| l.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w.first() == w.get(1)) {
        return None;
    }
    let pairs: Vec<(&str, &str)> = ls
        .iter()
        .filter(|l| !l.value.is_empty())
        .map(|l| (l.name.as_str(), l.value.as_str()))
        .collect();
    let labels = Labels::from_pairs(&pairs);
    let valid = labels.metric_name().is_some() && labels.iter().all(|l| !l.name.is_empty());
    valid.then_some(labels)
}

/// Appends a decoded request through one appender and commits it.
pub fn write(state: &WebState, req: &WriteRequest) -> Result<(), WriteError> {
    let max_t = system_time_ms(SystemTime::now()).saturating_add(MAX_AHEAD_MS);
    let too_far = || {
        (
            StatusCode::BAD_REQUEST,
            "out of bounds: timestamp is too far in the future".to_string(),
        )
    };
    let mut app = state.db.head().appender();
    for ts in &req.timeseries {
        // Series without a name or with repeated label names are skipped,
        // as upstream does for remote-write 1.0.
        let Some(labels) = labels_of(&ts.labels) else {
            continue;
        };
        let mut series_ref = None;
        for s in &ts.samples {
            if s.timestamp > max_t {
                return Err(too_far());
            }
            series_ref = Some(
                app.append(&labels, s.timestamp, s.value)
                    .map_err(append_error)?,
            );
        }
        for e in &ts.exemplars {
            let Some(r) = series_ref else { break };
            let pairs: Vec<(&str, &str)> = e
                .labels
                .iter()
                .filter(|l| !l.value.is_empty())
                .map(|l| (l.name.as_str(), l.value.as_str()))
                .collect();
            let ex = Exemplar {
                labels: Labels::from_pairs(&pairs),
                value: e.value,
                timestamp: Some(e.timestamp),
            };
            // Exemplar storage is best effort, as upstream.
            let _ = app.append_exemplar(r, &ex);
        }
        for h in &ts.histograms {
            if h.timestamp > max_t {
                return Err(too_far());
            }
            match to_model(h) {
                AnyHistogram::Int(m) => app.append_histogram(&labels, h.timestamp, &m),
                AnyHistogram::Float(f) => app.append_float_histogram(&labels, h.timestamp, &f),
            }
            .map_err(append_error)?;
        }
    }
    app.commit().map_err(append_error)
}

fn plain(code: StatusCode, msg: &str) -> Response {
    let mut r = (code, format!("{msg}\n")).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Checks `Content-Type` and `Content-Encoding` as client_golang's
/// remote-write handler does for remote-write 1.0.
fn check_headers(headers: &HeaderMap) -> Result<(), String> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.is_empty() {
        let mut parts = ct.split(';');
        let media = parts.next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case("application/x-protobuf") {
            return Err(format!(
                "expected application/x-protobuf as the first (media) part, got {ct} content-type"
            ));
        }
        for p in parts {
            if let Some((k, v)) = p.split_once('=')
                && k.trim().eq_ignore_ascii_case("proto")
                && v.trim() != "prometheus.WriteRequest"
            {
                return Err(format!("unknown remote write content type: {ct}"));
            }
        }
    }
    let enc = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !enc.is_empty() && !enc.eq_ignore_ascii_case("snappy") {
        return Err(format!(
            "{enc} encoding (compression) is not accepted by this server; only snappy is acceptable"
        ));
    }
    Ok(())
}

/// `POST /api/v1/write`.
pub(crate) async fn handler(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !state.options.enable_remote_write_receiver {
        return plain(
            StatusCode::NOT_FOUND,
            "remote write receiver needs to be enabled with --web.enable-remote-write-receiver",
        );
    }
    if let Some(r) = not_ready(state.readiness()) {
        return r;
    }
    if let Err(msg) = check_headers(&headers) {
        return plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, &msg);
    }
    let max = state.options.max_remote_write_bytes;
    let Ok(compressed) = axum::body::to_bytes(body, max).await else {
        return plain(StatusCode::BAD_REQUEST, "request body too large");
    };
    let st = Arc::clone(&state);
    let result = tokio::task::spawn_blocking(move || {
        let len = snap::raw::decompress_len(&compressed)
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        if len > max {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("decompressed body of {len} bytes exceeds the limit of {max}"),
            ));
        }
        let raw = snap::raw::Decoder::new()
            .decompress_vec(&compressed)
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        let req = <WriteRequest as prost::Message>::decode(raw.as_slice())
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        write(&st, &req)
    })
    .await
    .unwrap_or_else(|e| Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())));
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err((code, msg)) => plain(code, &msg),
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn histogram_messages_round_trip_into_model_form() {
        let h = HistogramMsg {
            count: Some(Count::CountInt(3)),
            sum: 2.5,
            schema: 1,
            zero_count: Some(ZeroCount::ZeroCountInt(1)),
            positive_spans: vec![BucketSpan {
                offset: 0,
                length: 2,
            }],
            positive_deltas: vec![1, 0],
            timestamp: 1000,
            ..Default::default()
        };
        let bytes = h.encode_to_vec();
        let back = HistogramMsg::decode(bytes.as_slice()).unwrap();
        assert_eq!(back, h);
        match to_model(&back) {
            AnyHistogram::Int(m) => {
                assert_eq!(m.count, 3);
                assert_eq!(m.zero_count, 1);
                assert_eq!(m.positive_buckets, vec![1, 0]);
            }
            AnyHistogram::Float(_) => panic!("expected an integer histogram"),
        }
    }

    #[test]
    fn labels_need_a_name_and_unique_names() {
        let l = |n: &str, v: &str| Label {
            name: n.into(),
            value: v.into(),
        };
        assert!(labels_of(&[l("__name__", "x"), l("a", "b")]).is_some());
        assert!(labels_of(&[l("a", "b")]).is_none());
        assert!(labels_of(&[l("__name__", "x"), l("a", "b"), l("a", "c")]).is_none());
    }

    #[test]
    fn content_headers() {
        let mut h = HeaderMap::new();
        assert!(check_headers(&h).is_ok());
        h.insert(
            header::CONTENT_TYPE,
            "application/x-protobuf;proto=io.prometheus.write.v2.Request"
                .parse()
                .unwrap(),
        );
        assert!(check_headers(&h).is_err());
        h.insert(
            header::CONTENT_TYPE,
            "application/x-protobuf".parse().unwrap(),
        );
        h.insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
        assert!(check_headers(&h).is_err());
    }
}
