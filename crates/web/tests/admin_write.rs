//! End-to-end tests of the admin API, the remote-write receiver, the
//! providers' endpoints, status endpoints and the route prefix.

mod common;

use std::sync::Arc;

use common::{client, get, post_form, start};
use prost::Message;
use vigil_model::Labels;
use vigil_web::remote_write::{Label, Sample, TimeSeries, WriteRequest};
use vigil_web::{ActiveTarget, DroppedTarget, TargetHealth, TargetMetadata, TargetsProvider};

#[tokio::test]
async fn admin_api_is_guarded_and_deletes() {
    let s = start(|_| {}, |st| st).await;
    let (code, body) = post_form(&s, "/api/v1/admin/tsdb/delete_series", "match[]=up").await;
    assert_eq!(
        (code, body.as_str()),
        (
            500,
            r#"{"status":"error","errorType":"unavailable","error":"admin APIs disabled"}"#
        )
    );
    s.stop().await;

    let s = start(|o| o.enable_admin_api = true, |st| st).await;
    let (code, body) = post_form(&s, "/api/v1/admin/tsdb/delete_series", "").await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            r#"{"status":"error","errorType":"bad_data","error":"no match[] parameter provided"}"#
        )
    );
    let (code, _) = post_form(
        &s,
        "/api/v1/admin/tsdb/delete_series",
        "match[]=up%7Bjob%3D%22a%22%7D",
    )
    .await;
    assert_eq!(code, 204);
    let (_, body) = get(&s, "/api/v1/query?query=up&time=600").await;
    assert!(!body.contains("\"job\":\"a\""), "{body}");
    assert!(body.contains("\"job\":\"b\""), "{body}");
    let (code, _) = post_form(&s, "/api/v1/admin/tsdb/clean_tombstones", "").await;
    assert_eq!(code, 204);
    let (code, body) = post_form(&s, "/api/v1/admin/tsdb/snapshot", "skip_head=x").await;
    assert_eq!(code, 400, "{body}");
    let (code, body) = post_form(&s, "/api/v1/admin/tsdb/snapshot", "").await;
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let name = v["data"]["name"].as_str().unwrap();
    assert!(s.dir.path().join("snapshots").join(name).is_dir());
    // Admin endpoints take POST and PUT only.
    let (code, _) = get(&s, "/api/v1/admin/tsdb/snapshot").await;
    assert_eq!(code, 405);
    s.stop().await;
}

fn write_body(name: &str, t: i64, v: f64) -> Vec<u8> {
    let req = WriteRequest {
        timeseries: vec![TimeSeries {
            labels: vec![
                Label {
                    name: "__name__".into(),
                    value: name.into(),
                },
                Label {
                    name: "src".into(),
                    value: "rw".into(),
                },
            ],
            samples: vec![Sample {
                value: v,
                timestamp: t,
            }],
            exemplars: vec![],
            histograms: vec![],
        }],
    };
    snap::raw::Encoder::new()
        .compress_vec(&req.encode_to_vec())
        .unwrap()
}

async fn post_write(s: &common::Server, body: Vec<u8>) -> (u16, String) {
    let r = client()
        .post(s.url("/api/v1/write"))
        .header("Content-Type", "application/x-protobuf")
        .header("Content-Encoding", "snappy")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn remote_write_receiver() {
    let s = start(|_| {}, |st| st).await;
    let (code, body) = post_write(&s, write_body("w", 1000, 1.0)).await;
    assert_eq!(
        (code, body.as_str()),
        (
            404,
            "remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n"
        )
    );
    s.stop().await;

    let s = start(|o| o.enable_remote_write_receiver = true, |st| st).await;
    assert_eq!(post_write(&s, write_body("w", 600_000, 4.5)).await.0, 204);
    let (_, body) = get(&s, "/api/v1/query?query=w&time=600").await;
    assert!(
        body.contains(r#"{"metric":{"__name__":"w","src":"rw"},"value":[600,"4.5"]}"#),
        "{body}"
    );
    // Out of order: 400 with the storage's message.
    let (code, body) = post_write(&s, write_body("w", 500_000, 1.0)).await;
    assert_eq!(code, 400);
    assert!(body.starts_with("out of order sample"), "{body}");
    // Garbage: 400.
    assert_eq!(post_write(&s, b"not snappy".to_vec()).await.0, 400);
    let junk = snap::raw::Encoder::new()
        .compress_vec(&[0xff, 0xff, 0xff])
        .unwrap();
    assert_eq!(post_write(&s, junk).await.0, 400);
    s.stop().await;
}

struct Targets;

impl TargetsProvider for Targets {
    fn active(&self) -> Vec<ActiveTarget> {
        vec![ActiveTarget {
            discovered_labels: Labels::from_pairs(&[
                ("__address__", "localhost:9100"),
                ("job", "node"),
            ]),
            labels: Labels::from_pairs(&[("instance", "localhost:9100"), ("job", "node")]),
            scrape_pool: "node".into(),
            scrape_url: "http://localhost:9100/metrics".into(),
            health: TargetHealth::Up,
            last_scrape: Some(std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_500)),
            last_scrape_duration: 0.25,
            scrape_interval: "15s".into(),
            scrape_timeout: "10s".into(),
            ..ActiveTarget::default()
        }]
    }
    fn dropped(&self) -> Vec<DroppedTarget> {
        vec![DroppedTarget {
            discovered_labels: Labels::from_pairs(&[("__address__", "x:1")]),
            scrape_pool: "node".into(),
        }]
    }
    fn scrape_pools(&self) -> Vec<String> {
        vec!["node".into(), "api".into()]
    }
    fn metadata(&self, metric: Option<&str>) -> Vec<TargetMetadata> {
        let all = vec![vigil_web::MetricMetadata {
            metric: "node_load1".into(),
            kind: vigil_model::MetricType::Gauge,
            help: "1m load average.".into(),
            unit: String::new(),
        }];
        vec![TargetMetadata {
            target: Labels::from_pairs(&[("instance", "localhost:9100"), ("job", "node")]),
            metadata: all
                .into_iter()
                .filter(|m| metric.is_none_or(|n| n == m.metric))
                .collect(),
        }]
    }
}

#[tokio::test]
async fn targets_rules_and_status() {
    let s = start(
        |o| {
            o.flags = vec![
                ("web.enable-lifecycle".into(), "false".into()),
                ("log.level".into(), "info".into()),
            ];
            o.build_info.version = "0.1.0".into();
        },
        |st| st.with_targets(Arc::new(Targets)),
    )
    .await;
    let (_, body) = get(&s, "/api/v1/targets").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":{"activeTargets":[{"discoveredLabels":{"__address__":"localhost:9100","job":"node"},"labels":{"instance":"localhost:9100","job":"node"},"scrapePool":"node","scrapeUrl":"http://localhost:9100/metrics","globalUrl":"http://localhost:9100/metrics","lastError":"","lastScrape":"1970-01-01T00:00:01.5Z","lastScrapeDuration":0.25,"health":"up","scrapeInterval":"15s","scrapeTimeout":"10s"}],"droppedTargets":[{"discoveredLabels":{"__address__":"x:1"},"scrapePool":"node"}],"droppedTargetCounts":{"node":1}}}"#
    );
    let (_, body) = get(&s, "/api/v1/targets?state=active&scrapePool=other").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":{"activeTargets":[],"droppedTargets":[],"droppedTargetCounts":null}}"#
    );
    let (_, body) = get(&s, "/api/v1/scrape_pools").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":{"scrapePools":["api","node"]}}"#
    );
    let (_, body) = get(
        &s,
        "/api/v1/targets/metadata?match_target=%7Bjob%3D%22node%22%7D",
    )
    .await;
    assert_eq!(
        body,
        r#"{"status":"success","data":[{"target":{"instance":"localhost:9100","job":"node"},"metric":"node_load1","type":"gauge","help":"1m load average.","unit":""}]}"#
    );
    let (_, body) = get(&s, "/api/v1/metadata").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":{"node_load1":[{"type":"gauge","help":"1m load average.","unit":""}]}}"#
    );
    let (code, body) = get(&s, "/api/v1/metadata?limit=x").await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            r#"{"status":"error","errorType":"bad_data","error":"limit must be a number"}"#
        )
    );
    // No rule manager: empty answers, as Prometheus without rule files.
    assert_eq!(
        get(&s, "/api/v1/rules").await.1,
        r#"{"status":"success","data":{"groups":[]}}"#
    );
    assert_eq!(
        get(&s, "/api/v1/alerts").await.1,
        r#"{"status":"success","data":{"alerts":[]}}"#
    );
    assert_eq!(
        get(&s, "/api/v1/alertmanagers").await.1,
        r#"{"status":"success","data":{"activeAlertmanagers":[],"droppedAlertmanagers":[]}}"#
    );
    assert_eq!(
        get(&s, "/api/v1/status/flags").await.1,
        r#"{"status":"success","data":{"log.level":"info","web.enable-lifecycle":"false"}}"#
    );
    let (_, body) = get(&s, "/api/v1/status/buildinfo").await;
    assert!(body.contains(r#""version":"0.1.0""#), "{body}");
    let (_, body) = get(&s, "/api/v1/status/config").await;
    assert!(
        body.starts_with(r#"{"status":"success","data":{"yaml":"global:"#),
        "{body}"
    );
    let (_, body) = get(&s, "/api/v1/status/runtimeinfo").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["data"]["startTime"].as_str().unwrap().ends_with('Z'));
    let (_, body) = get(&s, "/api/v1/status/tsdb?limit=2").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"]["headStats"]["numSeries"], 5);
    // Every series has at least its open chunk.
    assert!(
        v["data"]["headStats"]["chunkCount"].as_i64().unwrap() >= 5,
        "{v}"
    );
    assert_eq!(
        v["data"]["seriesCountByMetricName"],
        serde_json::json!([{"name":"up","value":2},{"name":"hist","value":1}])
    );
    assert_eq!(
        v["data"]["labelValueCountByLabelName"][0],
        serde_json::json!({"name":"__name__","value":4})
    );
    let (code, _) = get(&s, "/api/v1/status/tsdb?limit=0").await;
    assert_eq!(code, 400);
    s.stop().await;
}

#[tokio::test]
async fn route_prefix_and_page() {
    let s = start(
        |o| {
            o.route_prefix = vigil_web::normalize_prefix("/prom/");
            o.external_url = "http://example.com:9090/prom".into();
        },
        |st| st,
    )
    .await;
    let r = client().get(s.url("/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(r.headers()["location"], "/prom");
    let r = client().get(s.url("/prom/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 302, "{:?}", r.text().await);
    assert_eq!(r.headers()["location"], "/prom/query");
    let r = client()
        .get(s.url("/prom/graph?g0.expr=up"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/prom/query?g0.expr=up");
    let (code, body) = get(&s, "/prom/query").await;
    assert_eq!(code, 200);
    assert!(body.contains("api/v1/query_range") && !body.contains("src=\"http"));
    assert_eq!(get(&s, "/prom/api/v1/query?query=1&time=1").await.0, 200);
    assert_eq!(get(&s, "/api/v1/query?query=1").await.0, 404);
    // CORS preflight.
    let r = client()
        .request(reqwest::Method::OPTIONS, s.url("/prom/api/v1/query"))
        .header("Origin", "http://a")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    s.stop().await;
}
