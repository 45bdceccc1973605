//! Remote read from `vigil server` (`POST /api/v1/read`): Debian's
//! Prometheus, configured with `remote_read` pointing at Vigil, queries
//! Vigil's data through it (Prometheus 2.42's client asks for `SAMPLES`);
//! the streamed `STREAMED_XOR_CHUNKS` answer is read frame by frame here
//! and must hold the same samples; the sample limit is enforced.

#[path = "server_support/mod.rs"]
mod server_support;
#[path = "pushgateway_support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use prost::Message as _;
use server_support::{api, start_server};
use support::{DEBIAN_PROMETHEUS, free_port, have_peer, request, start_other, wait_for};
use vigil_web::remote_read::{ChunkedReadResponse, LabelMatcher, Query, ReadRequest, ReadResponse};

type SeriesSamples = BTreeMap<Vec<(String, String)>, Vec<(i64, f64)>>;

fn read(port: u16, req: &ReadRequest) -> support::Response {
    let body = snap::raw::Encoder::new()
        .compress_vec(&req.encode_to_vec())
        .unwrap();
    request(
        port,
        "POST",
        "/api/v1/read",
        &[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "snappy"),
        ],
        &body,
    )
    .unwrap()
}

fn up_query(end: i64, kinds: &[i32]) -> ReadRequest {
    ReadRequest {
        queries: vec![Query {
            start_timestamp_ms: 0,
            end_timestamp_ms: end,
            matchers: vec![LabelMatcher {
                r#type: 0,
                name: "__name__".into(),
                value: "up".into(),
            }],
            hints: None,
        }],
        accepted_response_types: kinds.to_vec(),
    }
}

fn samples_answer(port: u16, end: i64) -> SeriesSamples {
    let r = read(port, &up_query(end, &[0]));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("Content-Encoding"), Some("snappy"));
    let raw = snap::raw::Decoder::new().decompress_vec(&r.body).unwrap();
    let resp = ReadResponse::decode(raw.as_slice()).unwrap();
    assert_eq!(resp.results.len(), 1);
    resp.results[0]
        .timeseries
        .iter()
        .map(|ts| {
            let labels = ts
                .labels
                .iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect();
            let samples = ts.samples.iter().map(|s| (s.timestamp, s.value)).collect();
            (labels, samples)
        })
        .collect()
}

fn streamed_answer(port: u16, end: i64) -> (SeriesSamples, usize) {
    let r = read(port, &up_query(end, &[1, 0]));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("Content-Type"),
        Some("application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse")
    );
    let mut out = SeriesSamples::new();
    let mut frames = 0;
    let mut rest = r.body.as_slice();
    while !rest.is_empty() {
        // uvarint length, big-endian CRC32C, message.
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let b = rest[0];
            rest = &rest[1..];
            len |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b < 0x80 {
                break;
            }
        }
        let crc = u32::from_be_bytes(rest[..4].try_into().unwrap());
        let msg = &rest[4..4 + len];
        assert_eq!(crc, crc32c::crc32c(msg), "frame checksum");
        rest = &rest[4 + len..];
        frames += 1;
        let resp = ChunkedReadResponse::decode(msg).unwrap();
        assert_eq!(resp.query_index, 0);
        assert_eq!(resp.chunked_series.len(), 1, "one series per frame");
        let s = &resp.chunked_series[0];
        let labels: Vec<(String, String)> = s
            .labels
            .iter()
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect();
        let entry = out.entry(labels).or_default();
        for c in &s.chunks {
            assert_eq!(c.r#type, 1, "XOR chunk");
            let enc = vigil_tsdb::chunkenc::Encoding::from_byte(1).unwrap();
            let mut data = vigil_tsdb::series_data::SeriesData::default();
            vigil_tsdb::series_data::decode_chunk(enc, &c.data, i64::MIN, i64::MAX, &mut data)
                .unwrap();
            assert_eq!(data.floats.first().map(|f| f.0), Some(c.min_time_ms));
            assert_eq!(data.floats.last().map(|f| f.0), Some(c.max_time_ms));
            entry.extend(data.floats);
        }
    }
    (out, frames)
}

fn write_config(path: &Path, body: &str) {
    std::fs::write(path, body).unwrap();
}

#[test]
fn prometheus_reads_vigil_through_remote_read() {
    if !have_peer(DEBIAN_PROMETHEUS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let vport = free_port();
    let vconfig = dir.path().join("vigil.yml");
    write_config(
        &vconfig,
        &format!(
            "global:\n  scrape_interval: 1s\n  external_labels:\n    region: eu\n\
             scrape_configs:\n- job_name: vigil\n  static_configs:\n  - targets: ['127.0.0.1:{vport}']\n"
        ),
    );
    let _vigil = start_server(
        &vconfig,
        &dir.path().join("vdata"),
        vport,
        &dir.path().join("vigil.log"),
        &[],
    );
    // A few scrapes of itself.
    assert!(wait_for(60, || {
        api(vport, "/api/v1/query?query=count_over_time(up[1m])")["data"]["result"][0]["value"][1]
            .as_str()
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(|n| n >= 3.0)
    }));

    // SAMPLES and STREAMED_XOR_CHUNKS agree, and carry the external label.
    let end = i64::MAX / 2;
    let samples = samples_answer(vport, end);
    assert_eq!(samples.len(), 1, "{samples:?}");
    let (labels, points) = samples.iter().next().unwrap();
    assert!(labels.contains(&("region".to_string(), "eu".to_string())));
    assert!(points.len() >= 3);
    let (streamed, _) = streamed_answer(vport, end);
    // The stream may hold a scrape more than the earlier answer.
    let (_, spoints) = streamed.iter().next().unwrap();
    assert_eq!(
        streamed.keys().collect::<Vec<_>>(),
        samples.keys().collect::<Vec<_>>()
    );
    assert_eq!(&spoints[..points.len()], points.as_slice());

    // A matcher on the external label matches it.
    let mut q = up_query(end, &[0]);
    q.queries[0].matchers.push(LabelMatcher {
        r#type: 0,
        name: "region".into(),
        value: "eu".into(),
    });
    let r = read(vport, &q);
    let raw = snap::raw::Decoder::new().decompress_vec(&r.body).unwrap();
    assert_eq!(
        ReadResponse::decode(raw.as_slice()).unwrap().results[0]
            .timeseries
            .len(),
        1
    );

    // Debian's Prometheus with remote_read to Vigil and no data of its own.
    let pport = free_port();
    let pconfig = dir.path().join("prometheus.yml");
    write_config(
        &pconfig,
        &format!(
            "remote_read:\n- url: http://127.0.0.1:{vport}/api/v1/read\n  read_recent: true\n"
        ),
    );
    let _prom = start_other(
        DEBIAN_PROMETHEUS,
        &[
            format!("--config.file={}", pconfig.display()),
            format!("--storage.tsdb.path={}", dir.path().join("pdata").display()),
            format!("--web.listen-address=127.0.0.1:{pport}"),
        ],
        pport,
        "/-/ready",
    );
    let v = api(pport, "/api/v1/query?query=up");
    assert_eq!(v["status"], "success", "{v}");
    let result = v["data"]["result"].as_array().unwrap();
    assert_eq!(result.len(), 1, "{v}");
    assert_eq!(result[0]["metric"]["job"], "vigil");
    assert_eq!(result[0]["metric"]["region"], "eu");
    assert_eq!(result[0]["value"][1], "1");
    let v = api(pport, "/api/v1/query?query=count_over_time(up%5B10m%5D)");
    let n: f64 = v["data"]["result"][0]["value"][1]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(n >= points.len() as f64, "{v}");
}

#[test]
fn limits_and_bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let vport = free_port();
    let vconfig = dir.path().join("vigil.yml");
    write_config(
        &vconfig,
        &format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n- job_name: vigil\n  static_configs:\n  - targets: ['127.0.0.1:{vport}']\n"
        ),
    );
    let _vigil = start_server(
        &vconfig,
        &dir.path().join("vdata"),
        vport,
        &dir.path().join("vigil.log"),
        &[
            "--storage.remote.read-sample-limit=2",
            "--storage.remote.read-max-bytes-in-frame=1",
        ],
    );
    assert!(wait_for(60, || {
        api(vport, "/api/v1/query?query=count_over_time(up[1m])")["data"]["result"][0]["value"][1]
            .as_str()
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(|n| n >= 3.0)
    }));
    let end = i64::MAX / 2;
    let r = read(vport, &up_query(end, &[0]));
    assert_eq!(r.status, 400);
    assert_eq!(r.text(), "exceeded sample limit (2)\n");
    // Streams ignore the sample limit; a 1-byte frame budget sends each
    // chunk in its own frame.
    let (streamed, frames) = streamed_answer(vport, end);
    assert_eq!(streamed.len(), 1);
    assert!(frames >= 1);
    // Garbage and unsupported response types are 400.
    let r = request(vport, "POST", "/api/v1/read", &[], b"not snappy").unwrap();
    assert_eq!(r.status, 400, "{}", r.text());
    let r = read(vport, &up_query(end, &[5]));
    assert_eq!(r.status, 400);
    assert!(
        r.text()
            .starts_with("server does not support any of the requested response types")
    );
}
