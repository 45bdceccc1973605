//! `POST /api/v1/read`: the remote-read endpoint another Prometheus (its
//! `remote_read` configuration) or any remote-read client queries.
//!
//! The body is a snappy block-compressed protobuf `prometheus.ReadRequest`
//! (at most 32 MiB compressed or decoded). Each query's matchers select
//! series in its time range; matchers equal to an external label match the
//! label's absence instead, and the external labels are added to every
//! series returned, as Prometheus does. The response type is the first
//! the client accepts among the two Prometheus serves:
//!
//! - `SAMPLES`: one snappy-compressed `ReadResponse` with every sample,
//!   refused with 400 beyond `--storage.remote.read-sample-limit` samples
//!   in one query;
//! - `STREAMED_XOR_CHUNKS`: a stream of frames, each a uvarint length, the
//!   big-endian CRC32-Castagnoli of the message, and a `ChunkedReadResponse`
//!   holding one series (split over frames past
//!   `--storage.remote.read-max-bytes-in-frame`) with its samples encoded as
//!   XOR / histogram chunks.
//!
//! At most `--storage.remote.read-concurrent-limit` requests run at once;
//! further ones wait for a slot.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prost::Message as _;
use tokio::sync::mpsc;
use vigil_model::{FloatHistogram, Histogram, Labels, MatchType, Matcher, Span};
use vigil_tsdb::series_data::{HistogramValue, SeriesData, encode_chunks};

use crate::api::not_ready;
use crate::remote_write::{BucketSpan, Count, HistogramMsg, Label, Sample, ZeroCount};
use crate::state::WebState;

/// Largest request body, compressed or decoded (Prometheus' `decodeReadLimit`).
const DECODE_LIMIT: usize = 32 << 20;

/// `prometheus.ReadRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadRequest {
    /// The queries, answered in order.
    #[prost(message, repeated, tag = "1")]
    pub queries: Vec<Query>,
    /// Response types the client accepts, preferred first (0 `SAMPLES`,
    /// 1 `STREAMED_XOR_CHUNKS`).
    #[prost(int32, repeated, tag = "2")]
    pub accepted_response_types: Vec<i32>,
}

/// `prometheus.Query`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Query {
    /// Start of the range, milliseconds (inclusive).
    #[prost(int64, tag = "1")]
    pub start_timestamp_ms: i64,
    /// End of the range, milliseconds (inclusive).
    #[prost(int64, tag = "2")]
    pub end_timestamp_ms: i64,
    /// Series selectors.
    #[prost(message, repeated, tag = "3")]
    pub matchers: Vec<LabelMatcher>,
    /// Hints about the PromQL around the selector (ignored: they only
    /// allow optimisations).
    #[prost(message, optional, tag = "4")]
    pub hints: Option<ReadHints>,
}

/// `prometheus.LabelMatcher`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LabelMatcher {
    /// 0 `=`, 1 `!=`, 2 `=~`, 3 `!~`.
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    /// Label name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Value or regular expression.
    #[prost(string, tag = "3")]
    pub value: String,
}

/// `prometheus.ReadHints`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadHints {
    /// Query step.
    #[prost(int64, tag = "1")]
    pub step_ms: i64,
    /// Surrounding function.
    #[prost(string, tag = "2")]
    pub func: String,
    /// Start of the selection.
    #[prost(int64, tag = "3")]
    pub start_ms: i64,
    /// End of the selection.
    #[prost(int64, tag = "4")]
    pub end_ms: i64,
    /// Grouping labels of a surrounding aggregation.
    #[prost(string, repeated, tag = "5")]
    pub grouping: Vec<String>,
    /// Whether the grouping is `by` (else `without`).
    #[prost(bool, tag = "6")]
    pub by: bool,
    /// Range of a range selector.
    #[prost(int64, tag = "7")]
    pub range_ms: i64,
}

/// `prometheus.ReadResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadResponse {
    /// One result per query, in order.
    #[prost(message, repeated, tag = "1")]
    pub results: Vec<QueryResult>,
}

/// `prometheus.QueryResult`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryResult {
    /// The series with their samples.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<crate::remote_write::TimeSeries>,
}

/// `prometheus.ChunkedReadResponse`: one frame of a streamed answer.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ChunkedReadResponse {
    /// Series (Prometheus sends one per frame).
    #[prost(message, repeated, tag = "1")]
    pub chunked_series: Vec<ChunkedSeries>,
    /// Which query of the request this answers.
    #[prost(int64, tag = "2")]
    pub query_index: i64,
}

/// `prometheus.ChunkedSeries`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ChunkedSeries {
    /// Labels, external labels included.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Chunks by increasing time.
    #[prost(message, repeated, tag = "2")]
    pub chunks: Vec<Chunk>,
}

/// `prometheus.Chunk`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Chunk {
    /// First timestamp.
    #[prost(int64, tag = "1")]
    pub min_time_ms: i64,
    /// Last timestamp.
    #[prost(int64, tag = "2")]
    pub max_time_ms: i64,
    /// 1 XOR, 2 histogram, 3 float histogram (the TSDB's encodings).
    #[prost(int32, tag = "3")]
    pub r#type: i32,
    /// The chunk's bytes as the TSDB stores them.
    #[prost(bytes = "vec", tag = "4")]
    pub data: Vec<u8>,
}

/// Response type numbers of `ReadRequest.ResponseType`.
const SAMPLES: i32 = 0;
const STREAMED_XOR_CHUNKS: i32 = 1;

/// A failure answered as Prometheus' `http.Error`: status and plain text.
type ReadError = (StatusCode, String);

fn error(code: StatusCode, text: impl Into<String>) -> Response {
    let mut r = (code, format!("{}\n", text.into())).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.headers_mut().insert(
        "X-Content-Type-Options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// Decodes a request body as `DecodeReadRequest` does.
pub fn decode_request(body: &[u8]) -> Result<ReadRequest, String> {
    let len = snap::raw::decompress_len(body).map_err(|e| format!("snappy: {e}"))?;
    if len > DECODE_LIMIT {
        return Err(format!(
            "snappy: decoded length {len} exceeds limit {DECODE_LIMIT}"
        ));
    }
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| format!("snappy: {e}"))?;
    ReadRequest::decode(raw.as_slice()).map_err(|e| format!("proto: {e}"))
}

/// Picks the response type (`NegotiateResponseType`).
fn negotiate(accepted: &[i32]) -> Result<i32, String> {
    if accepted.is_empty() {
        return Ok(SAMPLES);
    }
    accepted
        .iter()
        .copied()
        .find(|t| *t == SAMPLES || *t == STREAMED_XOR_CHUNKS)
        .ok_or_else(|| {
            let names: Vec<String> = accepted.iter().map(|t| t.to_string()).collect();
            format!(
                "server does not support any of the requested response types: [{}]; supported: [SAMPLES STREAMED_XOR_CHUNKS]",
                names.join(" ")
            )
        })
}

/// The query's matchers, with those equal to an external label turned into
/// "label absent" (`filterExtLabelsFromMatchers`).
fn matchers(q: &Query, external: &Labels) -> Result<Vec<Matcher>, String> {
    q.matchers
        .iter()
        .map(|m| {
            let kind = match m.r#type {
                0 => MatchType::Equal,
                1 => MatchType::NotEqual,
                2 => MatchType::Regexp,
                3 => MatchType::NotRegexp,
                _ => return Err("invalid matcher type".to_string()),
            };
            let ext = external.get(&m.name).unwrap_or("");
            let value = if kind == MatchType::Equal && ext == m.value {
                ""
            } else {
                m.value.as_str()
            };
            Matcher::new(kind, m.name.clone(), value).map_err(|e| e.to_string())
        })
        .collect()
}

/// The series' labels with the external labels it lacks (`MergeLabels`).
fn merged_labels(l: &Labels, external: &Labels) -> Vec<Label> {
    let mut out: Vec<Label> = l
        .iter()
        .map(|l| Label {
            name: l.name.to_string(),
            value: l.value.to_string(),
        })
        .collect();
    for e in external.iter() {
        if l.get(e.name).is_none() {
            out.push(Label {
                name: e.name.to_string(),
                value: e.value.to_string(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn spans(s: &[Span]) -> Vec<BucketSpan> {
    s.iter()
        .map(|s| BucketSpan {
            offset: s.offset,
            length: s.length,
        })
        .collect()
}

fn hint(h: vigil_model::CounterResetHint) -> i32 {
    use vigil_model::CounterResetHint::*;
    match h {
        Unknown => 0,
        CounterReset => 1,
        NotCounterReset => 2,
        Gauge => 3,
    }
}

fn int_histogram(t: i64, h: &Histogram) -> HistogramMsg {
    HistogramMsg {
        count: Some(Count::CountInt(h.count)),
        sum: h.sum,
        schema: h.schema,
        zero_threshold: h.zero_threshold,
        zero_count: Some(ZeroCount::ZeroCountInt(h.zero_count)),
        negative_spans: spans(&h.negative_spans),
        negative_deltas: h.negative_buckets.clone(),
        negative_counts: Vec::new(),
        positive_spans: spans(&h.positive_spans),
        positive_deltas: h.positive_buckets.clone(),
        positive_counts: Vec::new(),
        reset_hint: hint(h.counter_reset_hint),
        timestamp: t,
        custom_values: h.custom_values.clone(),
    }
}

fn float_histogram(t: i64, h: &FloatHistogram) -> HistogramMsg {
    HistogramMsg {
        count: Some(Count::CountFloat(h.count)),
        sum: h.sum,
        schema: h.schema,
        zero_threshold: h.zero_threshold,
        zero_count: Some(ZeroCount::ZeroCountFloat(h.zero_count)),
        negative_spans: spans(&h.negative_spans),
        negative_deltas: Vec::new(),
        negative_counts: h.negative_buckets.clone(),
        positive_spans: spans(&h.positive_spans),
        positive_deltas: Vec::new(),
        positive_counts: h.positive_buckets.clone(),
        reset_hint: hint(h.counter_reset_hint),
        timestamp: t,
        custom_values: h.custom_values.clone(),
    }
}

fn select(
    state: &WebState,
    q: &Query,
    m: &[Matcher],
) -> Result<Vec<(Labels, SeriesData)>, ReadError> {
    state
        .db
        .select_data(q.start_timestamp_ms, q.end_timestamp_ms, m)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// Answers every query with samples (`remoteReadSamples`): the
/// snappy-compressed `ReadResponse`.
pub fn read_samples(
    state: &WebState,
    req: &ReadRequest,
    external: &Labels,
    sample_limit: usize,
) -> Result<Vec<u8>, ReadError> {
    let mut resp = ReadResponse::default();
    for q in &req.queries {
        let m = matchers(q, external).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))?;
        let mut result = QueryResult::default();
        let mut n = 0usize;
        for (labels, data) in select(state, q, &m)? {
            n += data.floats.len() + data.histograms.len();
            if sample_limit > 0 && n > sample_limit {
                return Err((
                    StatusCode::BAD_REQUEST,
                    format!("exceeded sample limit ({sample_limit})"),
                ));
            }
            result.timeseries.push(crate::remote_write::TimeSeries {
                labels: merged_labels(&labels, external),
                samples: data
                    .floats
                    .iter()
                    .map(|&(timestamp, value)| Sample { value, timestamp })
                    .collect(),
                exemplars: Vec::new(),
                histograms: data
                    .histograms
                    .iter()
                    .map(|(t, h)| match h {
                        HistogramValue::Int(h) => int_histogram(*t, h),
                        HistogramValue::Float(h) => float_histogram(*t, h),
                    })
                    .collect(),
            });
        }
        resp.results.push(result);
    }
    Ok(snap::raw::Encoder::new()
        .compress_vec(&resp.encode_to_vec())
        .unwrap_or_default())
}

/// Appends one frame: uvarint length, big-endian CRC32C, message.
pub fn push_frame(out: &mut Vec<u8>, msg: &[u8]) {
    let mut n = msg.len() as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(&crc32c::crc32c(msg).to_be_bytes());
    out.extend_from_slice(msg);
}

/// The frames of one query (`StreamChunkedReadResponses`): one series per
/// frame, cut when its chunks pass `max_bytes` (less its labels' size), a
/// series without samples sends none. `send` gets each encoded frame and
/// returns false when the client went away.
pub fn stream_query(
    state: &WebState,
    index: usize,
    q: &Query,
    external: &Labels,
    max_bytes: usize,
    send: &mut dyn FnMut(Vec<u8>) -> bool,
) -> Result<(), ReadError> {
    let m = matchers(q, external).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let internal = |e: vigil_tsdb::Error| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    for (labels, data) in select(state, q, &m)? {
        let labels = merged_labels(&labels, external);
        let label_bytes: usize = labels.iter().map(prost::Message::encoded_len).sum();
        let budget = max_bytes.saturating_sub(label_bytes);
        let chunks = encode_chunks(&data).map_err(internal)?;
        let mut batch: Vec<Chunk> = Vec::new();
        let mut used = 0usize;
        let total = chunks.len();
        for (i, c) in chunks.into_iter().enumerate() {
            let chunk = Chunk {
                min_time_ms: c.mint,
                max_time_ms: c.maxt,
                r#type: c.encoding as i32,
                data: c.data,
            };
            used += chunk.encoded_len();
            batch.push(chunk);
            if used < budget && i + 1 < total {
                continue;
            }
            let msg = ChunkedReadResponse {
                chunked_series: vec![ChunkedSeries {
                    labels: labels.clone(),
                    chunks: std::mem::take(&mut batch),
                }],
                query_index: i64::try_from(index).unwrap_or(i64::MAX),
            };
            let mut frame = Vec::new();
            push_frame(&mut frame, &msg.encode_to_vec());
            if !send(frame) {
                return Ok(());
            }
            used = 0;
        }
    }
    Ok(())
}

/// Frames handed from the blocking reader to the response body.
struct Frames(mpsc::Receiver<Vec<u8>>);

impl futures_core::Stream for Frames {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|f| f.map(|f| Ok(Bytes::from(f))))
    }
}

/// The handler.
pub async fn handler(State(state): State<Arc<WebState>>, req: axum::extract::Request) -> Response {
    if let Some(r) = not_ready(state.readiness()) {
        return r;
    }
    let Ok(body) = axum::body::to_bytes(req.into_body(), DECODE_LIMIT).await else {
        return error(
            StatusCode::BAD_REQUEST,
            format!("request body larger than {DECODE_LIMIT} bytes or unreadable"),
        );
    };
    let _slot = match &state.remote_read_slots {
        Some(s) => match Arc::clone(s).acquire_owned().await {
            Ok(p) => Some(p),
            Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
        None => None,
    };
    state.remote_read_queries.fetch_add(1, Ordering::Relaxed);
    let resp = serve(&state, &body).await;
    state.remote_read_queries.fetch_sub(1, Ordering::Relaxed);
    resp
}

async fn serve(state: &Arc<WebState>, body: &[u8]) -> Response {
    let req = match decode_request(body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let config = state.config();
    let pairs: Vec<(&str, &str)> = config
        .global
        .external_labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let external = Labels::from_pairs(&pairs);
    let kind = match negotiate(&req.accepted_response_types) {
        Ok(k) => k,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let opts = state.options.remote_read;
    if kind == SAMPLES {
        let st = Arc::clone(state);
        let res = tokio::task::spawn_blocking(move || {
            read_samples(&st, &req, &external, opts.sample_limit)
        })
        .await
        .unwrap_or_else(|e| Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())));
        return match res {
            Ok(b) => {
                let mut r = Response::new(Body::from(b));
                let h = r.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-protobuf"),
                );
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("snappy"));
                r
            }
            Err((code, text)) => error(code, text),
        };
    }
    // Bad matchers are refused before the stream starts, while a status
    // can still say so.
    for q in &req.queries {
        if let Err(e) = matchers(q, &external) {
            return error(StatusCode::INTERNAL_SERVER_ERROR, e);
        }
    }
    let (tx, rx) = mpsc::channel::<Vec<u8>>(4);
    let st = Arc::clone(state);
    tokio::task::spawn_blocking(move || {
        let mut send = |f: Vec<u8>| tx.blocking_send(f).is_ok();
        for (i, q) in req.queries.iter().enumerate() {
            if let Err((_, e)) =
                stream_query(&st, i, q, &external, opts.max_bytes_in_frame, &mut send)
            {
                // Headers are gone: ending the stream early is all that
                // is left, and the client sees a short read.
                log::warn!("remote read stream failed err={e}");
                return;
            }
        }
    });
    let mut r = Response::new(Body::from_stream(Frames(rx)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse",
        ),
    );
    r
}

/// Remote-read limits (`--storage.remote.read-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteReadOptions {
    /// Most samples one query of a `SAMPLES` answer may hold (0: none).
    pub sample_limit: usize,
    /// Most requests served at once (0: no limit).
    pub concurrent_limit: usize,
    /// Bytes of chunks after which a streamed frame is cut.
    pub max_bytes_in_frame: usize,
}

impl Default for RemoteReadOptions {
    fn default() -> RemoteReadOptions {
        RemoteReadOptions {
            sample_limit: 50_000_000,
            concurrent_limit: 10,
            max_bytes_in_frame: 1_048_576,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(&[]), Ok(SAMPLES));
        assert_eq!(negotiate(&[1, 0]), Ok(STREAMED_XOR_CHUNKS));
        assert_eq!(negotiate(&[7, 0]), Ok(SAMPLES));
        assert!(negotiate(&[7]).unwrap_err().contains("does not support"));
    }

    #[test]
    fn external_label_matchers_match_absence() {
        let ext = Labels::from_pairs(&[("region", "eu")]);
        let q = Query {
            matchers: vec![
                LabelMatcher {
                    r#type: 0,
                    name: "region".into(),
                    value: "eu".into(),
                },
                LabelMatcher {
                    r#type: 2,
                    name: "job".into(),
                    value: "a.*".into(),
                },
            ],
            ..Query::default()
        };
        let m = matchers(&q, &ext).unwrap();
        assert_eq!(m[0].value(), "");
        assert_eq!(m[1].value(), "a.*");
        let bad = Query {
            matchers: vec![LabelMatcher {
                r#type: 9,
                ..LabelMatcher::default()
            }],
            ..Query::default()
        };
        assert_eq!(matchers(&bad, &ext).unwrap_err(), "invalid matcher type");
        let l = merged_labels(&Labels::from_pairs(&[("__name__", "up")]), &ext);
        let names: Vec<&str> = l.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["__name__", "region"]);
    }

    #[tokio::test]
    async fn requests_beyond_the_concurrency_limit_wait_for_a_slot() {
        use vigil_promql::engine::{Engine, EngineOptions};
        use vigil_tsdb::db::{Db, DbOptions};
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = Db::open(dir.path(), DbOptions::default()).unwrap();
        let mut opts = crate::state::WebOptions::default();
        opts.remote_read.concurrent_limit = 1;
        let state = Arc::new(WebState::new(
            Arc::new(db),
            Arc::new(Engine::new(EngineOptions::default())),
            opts,
        ));
        state.set_ready();
        let body = snap::raw::Encoder::new()
            .compress_vec(&ReadRequest::default().encode_to_vec())
            .unwrap();
        let call = |st: Arc<WebState>, body: Vec<u8>| {
            let req = axum::extract::Request::new(Body::from(body));
            tokio::spawn(handler(State(st), req))
        };
        let slots = state.remote_read_slots.clone().unwrap();
        let held = slots.acquire().await.unwrap();
        let mut waiting = call(Arc::clone(&state), body.clone());
        // Held back while the only slot is taken...
        let early = tokio::time::timeout(std::time::Duration::from_millis(300), &mut waiting).await;
        assert!(early.is_err(), "served without a free slot");
        drop(held);
        // ...and served once it is free.
        let resp = waiting.await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let resp = call(Arc::clone(&state), b"junk".to_vec()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn frames_are_length_and_crc_prefixed() {
        let mut out = Vec::new();
        push_frame(&mut out, &[7u8; 200]);
        // uvarint 200 = 0xc8 0x01.
        assert_eq!(&out[..2], &[0xc8, 0x01]);
        assert_eq!(&out[2..6], &crc32c::crc32c(&[7u8; 200]).to_be_bytes());
        assert_eq!(out.len(), 2 + 4 + 200);
    }
}
