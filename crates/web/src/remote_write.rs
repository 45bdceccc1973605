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
use vigil_tsdb::db::Db;
use vigil_tsdb::head::{AppendError, Appender, Head, SeriesRef};

use crate::api::not_ready;
use crate::params::system_time_ms;
use crate::state::WebState;

mod refs;
mod wire;

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
    let pairs: Vec<(&str, &str)> = ls
        .iter()
        .map(|l| (l.name.as_str(), l.value.as_str()))
        .collect();
    labels_from_pairs(&pairs)
}

/// The label set of a series as sent, `None` if it has no name or repeats
/// a label name (empty values count: upstream checks before dropping them).
fn labels_from_pairs(pairs: &[(&str, &str)]) -> Option<Labels> {
    let mut names: Vec<&str> = pairs.iter().map(|p| p.0).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w.first() == w.get(1)) {
        return None;
    }
    let pairs: Vec<(&str, &str)> = pairs.iter().copied().filter(|p| !p.1.is_empty()).collect();
    let labels = Labels::from_pairs(&pairs);
    let valid = labels.metric_name().is_some() && labels.iter().all(|l| !l.name.is_empty());
    valid.then_some(labels)
}

/// Appends a decoded request through one appender and commits it.
pub fn write(state: &WebState, req: &WriteRequest) -> Result<(), WriteError> {
    write_head(state.db.head(), req)
}

/// [`write`] into `head`.
pub fn write_head(head: &Head, req: &WriteRequest) -> Result<(), WriteError> {
    let max_t = max_time();
    let mut app = head.appender();
    for ts in &req.timeseries {
        write_series(&mut app, ts, max_t)?;
    }
    app.commit().map_err(append_error)
}

/// The newest timestamp a request may carry now.
fn max_time() -> i64 {
    system_time_ms(SystemTime::now()).saturating_add(MAX_AHEAD_MS)
}

fn too_far() -> WriteError {
    (
        StatusCode::BAD_REQUEST,
        "out of bounds: timestamp is too far in the future".to_string(),
    )
}

/// Appends one decoded series.
fn write_series(app: &mut Appender<'_>, ts: &TimeSeries, max_t: i64) -> Result<(), WriteError> {
    // Series without a name or with repeated label names are skipped,
    // as upstream does for remote-write 1.0.
    let Some(labels) = labels_of(&ts.labels) else {
        return Ok(());
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
    Ok(())
}

/// Appends an encoded (decompressed) `WriteRequest` into `db` through one
/// appender, as [`write`] does for a decoded one, with the same outcome
/// and error texts. Float-only series are read in place and found by
/// their label bytes (see `refs`); a request the in-place walk does not
/// take is decoded by prost and written by [`write_head`].
pub fn ingest(db: &Arc<Db>, raw: &[u8]) -> Result<(), WriteError> {
    let refs = refs::for_db(db);
    let mut series = Vec::new();
    let mut cached = Vec::new();
    if !wire::scan(raw, &mut series) || !resolve(&refs, raw, &series, &mut cached) {
        let req = <WriteRequest as prost::Message>::decode(raw)
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        return write_head(db.head(), &req);
    }
    refs.maybe_rotate();
    let max_t = max_time();
    let mut app = db.head().appender();
    let mut key_buf = Vec::new();
    for (pos, known) in series.iter().zip(cached) {
        if pos.complex {
            let ts = raw
                .get(pos.msg.clone())
                .and_then(|b| <TimeSeries as prost::Message>::decode(b).ok())
                .unwrap_or_default();
            write_series(&mut app, &ts, max_t)?;
        } else if pos.has_samples {
            let key = label_key(raw, pos, &mut key_buf);
            write_float_series(&mut app, &refs, raw, pos, key, known, max_t)?;
        }
    }
    app.commit().map_err(append_error)
}

/// The label encoding of a series: its label fields, copied together
/// when something sits between them.
fn label_key<'a>(raw: &'a [u8], pos: &wire::SeriesPos, buf: &'a mut Vec<u8>) -> &'a [u8] {
    if pos.contiguous {
        return raw.get(pos.labels.clone()).unwrap_or_default();
    }
    buf.clear();
    for f in wire::Fields::new(raw, pos.msg.clone()).flatten() {
        if f.number == 1 {
            buf.extend_from_slice(raw.get(f.start..f.value.end).unwrap_or_default());
        }
    }
    buf
}

/// Looks every float series up in the cache before anything is appended,
/// checking the labels of those it does not know (which the walk left
/// unchecked): `false` if one is malformed, so prost decides what to say.
fn resolve(
    refs: &refs::SeriesRefs,
    raw: &[u8],
    series: &[wire::SeriesPos],
    out: &mut Vec<Option<(u64, SeriesRef)>>,
) -> bool {
    out.clear();
    let mut key_buf = Vec::new();
    for pos in series {
        // Series without samples are looked up too: their labels must be
        // checked all the same.
        if pos.complex {
            out.push(None);
            continue;
        }
        let key = label_key(raw, pos, &mut key_buf);
        let h = refs::hash(key);
        if let Some(r) = refs.get(h, key) {
            out.push(Some((h, r)));
            continue;
        }
        let labels_ok = wire::Fields::new(raw, pos.msg.clone())
            .flatten()
            .filter(|f| f.number == 1)
            .all(|f| wire::label(raw, f.value).is_some());
        if !labels_ok {
            return false;
        }
        out.push(None);
    }
    true
}

/// The labels of an encoded series, `None` if it is to be skipped (see
/// [`labels_of`]).
fn encoded_labels(raw: &[u8], pos: &wire::SeriesPos) -> Option<Labels> {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for f in wire::Fields::new(raw, pos.msg.clone()).flatten() {
        if f.number == 1 {
            pairs.push(wire::label(raw, f.value)?);
        }
    }
    labels_from_pairs(&pairs)
}

/// Appends the samples of a float-only series (label encoding `key`), by
/// the reference `known` when the cache had one.
fn write_float_series(
    app: &mut Appender<'_>,
    refs: &refs::SeriesRefs,
    raw: &[u8],
    pos: &wire::SeriesPos,
    key: &[u8],
    known: Option<(u64, SeriesRef)>,
    max_t: i64,
) -> Result<(), WriteError> {
    let (h, mut cached) = match known {
        Some((h, r)) => (h, Some(r)),
        None => (refs::hash(key), None),
    };
    let mut labels: Option<Labels> = None;
    if cached.is_none() {
        labels = encoded_labels(raw, pos);
        if labels.is_none() {
            return Ok(());
        }
    }
    let samples = wire::Fields::new(raw, pos.msg.clone())
        .flatten()
        .filter(|f| f.number == 2)
        .filter_map(|f| wire::sample(raw, f.value));
    for (t, v) in samples {
        if t > max_t {
            return Err(too_far());
        }
        let res = match cached {
            Some(r) => match app.append_ref(r, t, v) {
                // The head dropped the series since it was cached.
                Err(AppendError::UnknownSeriesRef(_)) => {
                    if labels.is_none() {
                        labels = encoded_labels(raw, pos);
                    }
                    match &labels {
                        Some(l) => app.append(l, t, v),
                        None => return Ok(()),
                    }
                }
                other => other,
            },
            None => match &labels {
                Some(l) => app.append(l, t, v),
                None => return Ok(()),
            },
        };
        let r = res.map_err(append_error)?;
        if cached != Some(r) {
            refs.insert(h, key, r);
            cached = Some(r);
        }
    }
    Ok(())
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
        ingest(&st.db, &raw)
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

    /// Everything a head holds, for comparing two heads.
    fn dump(db: &Db) -> Vec<(String, Option<usize>)> {
        let m =
            vigil_model::Matcher::new(vigil_model::MatchType::Regexp, "__name__", ".+").unwrap();
        let head = db.head();
        let mut v: Vec<_> = head
            .postings_for_matchers(&[m])
            .into_iter()
            .map(|r| {
                let l = head.series_labels(r).unwrap().to_string();
                (l, head.series_num_samples(r))
            })
            .collect();
        v.sort();
        v
    }

    fn series(labels: &[(&str, &str)], samples: &[(i64, f64)]) -> TimeSeries {
        TimeSeries {
            labels: labels.iter().map(|(n, v)| l(n, v)).collect(),
            samples: samples
                .iter()
                .map(|&(timestamp, value)| Sample { value, timestamp })
                .collect(),
            ..Default::default()
        }
    }

    fn l(n: &str, v: &str) -> Label {
        Label {
            name: n.into(),
            value: v.into(),
        }
    }

    #[test]
    fn in_place_ingest_matches_the_decoded_path() {
        let now = system_time_ms(SystemTime::now());
        let fast_dir = tempfile::tempdir().unwrap();
        let slow_dir = tempfile::tempdir().unwrap();
        let fast = Arc::new(Db::open(fast_dir.path(), Default::default()).unwrap().0);
        let slow = Db::open(slow_dir.path(), Default::default()).unwrap().0;
        let exemplar = TimeSeries {
            exemplars: vec![ExemplarMsg {
                labels: vec![l("trace_id", "abc")],
                value: 1.0,
                timestamp: now,
            }],
            ..series(&[("__name__", "ex")], &[(now, 1.0)])
        };
        let mut bodies = Vec::new();
        for step in 0..3 {
            let t = now - 10_000 + step * 1000;
            let req = WriteRequest {
                timeseries: vec![
                    series(
                        &[("__name__", "a"), ("job", "j")],
                        &[(t, 1.0), (t + 1, 2.0)],
                    ),
                    // Skipped: no name, a repeated name.
                    series(&[("job", "j")], &[(t, 1.0)]),
                    series(&[("__name__", "b"), ("x", ""), ("x", "1")], &[(t, 1.0)]),
                    // Empty values are dropped; label order is the sender's.
                    series(&[("job", "k"), ("__name__", "a"), ("e", "")], &[(t, 3.0)]),
                    series(&[("__name__", "none")], &[]),
                    exemplar.clone(),
                ],
            };
            bodies.push(req.encode_to_vec());
        }
        // Labels split by a sample (still one series), as prost allows.
        let mut split = Vec::new();
        for f in [
            l("__name__", "split").encode_to_vec(),
            Sample {
                value: 5.0,
                timestamp: now,
            }
            .encode_to_vec(),
            l("z", "1").encode_to_vec(),
        ]
        .iter()
        .enumerate()
        {
            split.push(if f.0 == 1 { 0x12 } else { 0x0a });
            split.push(f.1.len() as u8);
            split.extend_from_slice(f.1);
        }
        let mut body = vec![0x0a, split.len() as u8];
        body.extend_from_slice(&split);
        bodies.push(body.clone());
        bodies.push(body);
        // Errors: out of order, too far ahead, malformed, bad UTF-8.
        let bad = |ts: TimeSeries| {
            WriteRequest {
                timeseries: vec![ts],
            }
            .encode_to_vec()
        };
        bodies.push(bad(series(
            &[("__name__", "a"), ("job", "j")],
            &[(now - 60_000, 1.0)],
        )));
        bodies.push(bad(series(&[("__name__", "c")], &[(now + 3_600_000, 1.0)])));
        bodies.push(vec![0x0a, 0x05, 0x0a]);
        bodies.push(vec![0x0a, 0x07, 0x0a, 0x05, 0x0a, 0x01, 0xff, 0x12, 0x00]);
        for (i, body) in bodies.iter().enumerate() {
            let want = WriteRequest::decode(body.as_slice())
                .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))
                .and_then(|req| write_head(slow.head(), &req));
            assert_eq!(ingest(&fast, body), want, "request {i}");
            assert_eq!(dump(&fast), dump(&slow), "after request {i}");
        }
        assert!(dump(&fast).len() >= 4);
    }
}
