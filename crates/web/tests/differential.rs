//! Differential test against Debian's Prometheus 2.42 (`/usr/bin/prometheus`):
//! the same WAL-backed data directory is opened by Vigil and by
//! Prometheus, the same API requests go to both, and the JSON answers are
//! compared after parsing.
//!
//! Where Prometheus 3.x (Vigil's specification) differs from 2.42, Vigil
//! follows 3.x and the comparison makes room for the difference:
//! - 3.x adds `infos` annotations (e.g. "metric might not be a counter")
//!   and PromQL warning annotations (e.g. a missing `le` label) that 2.42
//!   does not have: `infos` are always dropped from Vigil's answers, and
//!   warnings where [`Diff::Annotations`] says so.
//! - 3.x range selectors are left-open (`(t-r, t]`), so `x[1m]` holds one
//!   sample less on a sample-aligned grid and `*_over_time` values move;
//!   those queries compare series and timestamps' shape only
//!   ([`Diff::Windows`]). `rate` values are compared to 1e-9 relative.
//! - 3.x words some errors differently: `invalid time value` (2.42:
//!   `Invalid time value`), and a range query of the wrong type is an
//!   `invalid parameter "query"` (2.42: no prefix) ([`Diff::Message`]).
//! - The order of the two series named in a many-to-many matching error
//!   follows Go's map order; only the error type is compared.
//! - 3.x answers a canceled query with 499 (2.42 with 503); not exercised.
//!
//! When `CI` is set the test fails if the peer binary is missing;
//! otherwise it prints that it skipped.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use vigil_model::Labels;
use vigil_promql::engine::{Engine, EngineOptions};
use vigil_tsdb::db::{Db, DbOptions};
use vigil_web::{WebOptions, WebState, router, serve};

const PROMETHEUS: &str = "/usr/bin/prometheus";
/// Base of the samples' timestamps (2023-11-14T22:13:20Z), in ms.
const BASE: i64 = 1_700_000_000_000;

/// Kills the peer when the test ends, however it ends.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn fill(dir: &Path) {
    let (db, _) = Db::open(dir, DbOptions::default()).unwrap();
    let mut app = db.head().appender();
    let series = [
        Labels::from_pairs(&[("__name__", "up"), ("job", "api"), ("instance", "a:1")]),
        Labels::from_pairs(&[("__name__", "up"), ("job", "db"), ("instance", "b:1")]),
    ];
    let counters = [
        Labels::from_pairs(&[
            ("__name__", "http_requests_total"),
            ("job", "api"),
            ("code", "200"),
        ]),
        Labels::from_pairs(&[
            ("__name__", "http_requests_total"),
            ("job", "api"),
            ("code", "500"),
        ]),
        Labels::from_pairs(&[
            ("__name__", "http_requests_total"),
            ("job", "db"),
            ("code", "200"),
        ]),
    ];
    let gauge = Labels::from_pairs(&[("__name__", "temperature"), ("room", "hall")]);
    for i in 0..=120i64 {
        let t = BASE + i * 15_000;
        for (k, s) in series.iter().enumerate() {
            app.append(s, t, if k == 1 && i > 100 { 0.0 } else { 1.0 })
                .unwrap();
        }
        for (k, s) in counters.iter().enumerate() {
            // A counter reset half way for the last one.
            let v = if k == 2 && i > 60 {
                (i - 60) as f64
            } else {
                (i * (k as i64 + 1) * 3) as f64
            };
            app.append(s, t, v).unwrap();
        }
        app.append(&gauge, t, 20.0 + (i as f64 / 7.0).sin() * 3.25)
            .unwrap();
    }
    app.commit().unwrap();
}

fn secs(ms: i64) -> String {
    format!("{}", ms as f64 / 1000.0)
}

/// How a request's answers may differ (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Diff {
    /// Same JSON, numbers equal to 1e-9 relative.
    Same,
    /// Vigil adds 3.x warning annotations.
    Annotations,
    /// 3.x window semantics: same series, values may differ.
    Windows,
    /// Same status and error type; Vigil's message is this 3.x text.
    Message(&'static str),
    /// Same status and error type only.
    ErrorType,
}

fn numbers_close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            x == y
                || match (x.parse::<f64>(), y.parse::<f64>()) {
                    (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
                    _ => false,
                }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| numbers_close(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| numbers_close(v, w)))
        }
        _ => a == b,
    }
}

/// The label sets of a query result, in order.
fn result_metrics(v: &Value) -> Vec<Value> {
    v["data"]["result"]
        .as_array()
        .map(|r| r.iter().map(|s| s["metric"].clone()).collect())
        .unwrap_or_default()
}

fn agree(diff: Diff, (pc, pv): (u16, &Value), (vc, vv): (u16, &Value)) -> bool {
    if pc != vc {
        return false;
    }
    match diff {
        Diff::Same => numbers_close(pv, vv),
        Diff::Annotations => {
            let mut vv = vv.clone();
            if let Some(o) = vv.as_object_mut() {
                o.remove("warnings");
            }
            numbers_close(pv, &vv)
        }
        Diff::Windows => {
            pv["data"]["resultType"] == vv["data"]["resultType"]
                && result_metrics(pv) == result_metrics(vv)
        }
        Diff::Message(m) => pv["errorType"] == vv["errorType"] && vv["error"] == m,
        Diff::ErrorType => pv["errorType"] == vv["errorType"] && pv["status"] == "error",
    }
}

async fn fetch(base: &str, path: &str) -> (u16, Value) {
    let r = common::client()
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    let code = r.status().as_u16();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (code, v)
}

#[tokio::test]
async fn same_json_as_prometheus() {
    if !Path::new(PROMETHEUS).exists() {
        if std::env::var_os("CI").is_some() {
            panic!("{PROMETHEUS} is missing (CI must install the prometheus package)");
        }
        eprintln!("skipped: {PROMETHEUS} is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let vigil_dir = tmp.path().join("vigil");
    let prom_dir = tmp.path().join("prom");
    fill(&vigil_dir);
    // Prometheus replays the WAL Vigil wrote (same format).
    let copy = Command::new("cp")
        .arg("-a")
        .arg(&vigil_dir)
        .arg(&prom_dir)
        .status()
        .unwrap();
    assert!(copy.success());
    let config = tmp.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1h\n").unwrap();
    let port = free_port();
    let log = std::fs::File::create(tmp.path().join("prometheus.log")).unwrap();
    let _peer = Peer(
        Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", prom_dir.display()))
            .arg("--storage.tsdb.retention.time=10y")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let prom = format!("http://127.0.0.1:{port}");

    let (db, _) = Db::open(&vigil_dir, DbOptions::default()).unwrap();
    let state = Arc::new(WebState::new(
        Arc::new(db),
        Arc::new(Engine::new(EngineOptions::default())),
        WebOptions::default(),
    ));
    state.set_ready();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let vigil = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, router(state), std::future::pending()));

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ok = common::client()
            .get(format!("{prom}/-/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "prometheus did not become ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let t = secs(BASE + 1_500_000);
    let (start, end) = (secs(BASE), secs(BASE + 1_800_000));
    let enc = |q: &str| {
        q.replace('%', "%25")
            .replace('+', "%2B")
            .replace(' ', "%20")
            .replace('#', "%23")
            .replace('&', "%26")
    };
    let mut paths: Vec<(String, Diff)> = Vec::new();
    let windows = [
        "http_requests_total[1m]",
        "avg_over_time(temperature[10m])",
        "quantile_over_time(0.9, temperature[10m])",
    ];
    let instant = [
        "up",
        "up == 1",
        "sum by (job) (rate(http_requests_total[5m]))",
        "increase(http_requests_total{code=\"200\"}[10m])",
        "topk(2, http_requests_total)",
        "label_replace(up, \"x\", \"$1\", \"instance\", \"(.*):.*\")",
        "http_requests_total[1m]",
        "temperature offset 5m",
        "avg_over_time(temperature[10m])",
        "quantile_over_time(0.9, temperature[10m])",
        "scalar(sum(up))",
        "1/0",
        "-1/0",
        "0/0",
        "1e-7",
        "123456789012345678901234",
        "\"hello <world>\"",
        "time()",
        "absent(nonexistent)",
        "count_values(\"value\", up)",
        "histogram_quantile(0.5, http_requests_total)",
        "sum(",
        "foo{a=~\"(\"}",
        "rate(up)",
        "up + on(job) group_left http_requests_total",
    ];
    for q in instant {
        let diff = if windows.contains(&q) {
            Diff::Windows
        } else {
            match q {
                "histogram_quantile(0.5, http_requests_total)" => Diff::Annotations,
                "up + on(job) group_left http_requests_total" | "foo{a=~\"(\"}" => Diff::ErrorType,
                _ => Diff::Same,
            }
        };
        paths.push((format!("/api/v1/query?query={}&time={t}", enc(q)), diff));
    }
    for q in [
        "rate(http_requests_total[1m])",
        "up",
        "temperature * 2",
        "1",
        "avg_over_time(temperature[2m])",
    ] {
        let diff = if q.starts_with("avg_over_time") {
            Diff::Windows
        } else {
            Diff::Same
        };
        paths.push((
            format!(
                "/api/v1/query_range?query={}&start={start}&end={end}&step=60",
                enc(q)
            ),
            diff,
        ));
    }
    paths.push((
        format!("/api/v1/query_range?query=http_requests_total%5B1m%5D&start={start}&end={end}&step=60"),
        Diff::Message(
            "invalid parameter \"query\": invalid expression type \"range vector\" for range query, must be Scalar or instant Vector",
        ),
    ));
    paths.push((
        "/api/v1/query?query=up&time=tomorrow".to_string(),
        Diff::Message(
            "invalid parameter \"time\": invalid time value for 'time': cannot parse \"tomorrow\" to a valid timestamp",
        ),
    ));
    paths.push((
        "/api/v1/label/job/values?start=x".to_string(),
        Diff::Message(
            "invalid parameter \"start\": invalid time value for 'start': cannot parse \"x\" to a valid timestamp",
        ),
    ));
    for p in [
        format!("/api/v1/query_range?query=up&start={start}&end={end}&step=0"),
        format!("/api/v1/query_range?query=up&start={start}&end={end}&step=0.1"),
        format!("/api/v1/query_range?query=up&start=x&end={end}&step=15"),
        format!("/api/v1/query_range?query=up&start={end}&end={start}&step=15"),
        format!("/api/v1/query_range?query=up&start={start}&end={end}&step=1m"),
        "/api/v1/query?query=up&time=2023-11-14T22:30:00.5Z".to_string(),
        "/api/v1/series?match[]=up".to_string(),
        "/api/v1/series?match[]=http_requests_total%7Bcode%3D%22200%22%7D&match[]=temperature"
            .to_string(),
        "/api/v1/series".to_string(),
        "/api/v1/series?match[]=%7Ba%3D~%22.*%22%7D".to_string(),
        "/api/v1/labels".to_string(),
        "/api/v1/labels?match[]=up".to_string(),
        "/api/v1/label/job/values".to_string(),
        "/api/v1/label/__name__/values".to_string(),
        "/api/v1/label/code/values?match[]=http_requests_total%7Bjob%3D%22db%22%7D".to_string(),
        "/api/v1/query?query=up&time=1".to_string(),
    ] {
        paths.push((p, Diff::Same));
    }

    let mut failures = Vec::new();
    for (p, diff) in &paths {
        let (pc, pv) = fetch(&prom, p).await;
        let (vc, mut vv) = fetch(&vigil, p).await;
        // 3.x info annotations 2.42 does not know.
        if let Some(o) = vv.as_object_mut() {
            o.remove("infos");
        }
        if !agree(*diff, (pc, &pv), (vc, &vv)) {
            failures.push(format!(
                "{p} ({diff:?})\n  prometheus {pc}: {pv}\n  vigil      {vc}: {vv}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}
