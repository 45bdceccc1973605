//! `vigil server` end to end, with real peers: it scrapes itself, Debian's
//! `prometheus-node-exporter` and a Python app instrumented with
//! `prometheus_client`; Debian's `promtool query instant|range|labels|series`
//! reads it through the HTTP API; Debian's Prometheus federates from it; and
//! a restart on the same data directory keeps what was scraped.

#[path = "server_support/mod.rs"]
mod server_support;
#[path = "pushgateway_support/mod.rs"]
mod support;

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use server_support::{api, start_python_app, start_server};
use support::{free_port, have_peer, start_other, wait_for};

const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";
const PROMETHEUS: &str = "/usr/bin/prometheus";
const PROMTOOL: &str = "/usr/bin/promtool";

fn encode(q: &str) -> String {
    let mut out = String::new();
    for b in q.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The instant vector `q` evaluates to, as `(metric labels, value)`.
fn instant(port: u16, q: &str) -> Vec<(serde_json::Value, String)> {
    let v = api(port, &format!("/api/v1/query?query={}", encode(q)));
    assert_eq!(v["status"], "success", "{q}: {v}");
    v["data"]["result"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| {
                    (
                        r["metric"].clone(),
                        r["value"][1].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn promtool(args: &[&str]) -> String {
    let out = Command::new(PROMTOOL)
        .args(args)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn server_scrapes_peers_answers_promtool_and_federates() {
    if !have_peer(NODE_EXPORTER) || !have_peer(PROMETHEUS) || !have_peer(PROMTOOL) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let node_port = free_port();
    let _node = start_other(
        NODE_EXPORTER,
        &[
            format!("--web.listen-address=127.0.0.1:{node_port}"),
            // Keep the exporter light and independent of the machine.
            "--collector.disable-defaults".to_string(),
            "--collector.cpu".to_string(),
            "--collector.meminfo".to_string(),
            "--collector.loadavg".to_string(),
        ],
        node_port,
        "/metrics",
    );
    let app_port = free_port();
    let _app = start_python_app(
        app_port,
        "c = p.Counter('e2e_requests', 'Requests handled.', ['path'])\n\
         c.labels('/a').inc(5)\n\
         c.labels('/b').inc(7)\n\
         g = p.Gauge('e2e_temperature_celsius', 'A gauge.')\n\
         g.set(21.5)",
    );

    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  external_labels:\n    replica: a\n\
             scrape_configs:\n\
             - job_name: vigil\n  static_configs:\n  - targets: ['127.0.0.1:{port}']\n\
             - job_name: node\n  static_configs:\n  - targets: ['127.0.0.1:{node_port}']\n\
             - job_name: app\n  static_configs:\n  - targets: ['127.0.0.1:{app_port}']\n    labels:\n      team: e2e\n"
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("vigil.log");
    let mut server = start_server(&config, &data, port, &log, &["--web.enable-lifecycle"]);

    // Every target is up, and the app's series carry the target labels.
    let all_up = wait_for(60, || {
        let up = instant(port, "up == 1");
        up.len() == 3
    });
    assert!(
        all_up,
        "targets not up: {:?}\n{}",
        api(port, "/api/v1/targets"),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let app = instant(port, "e2e_requests_total");
    assert_eq!(app.len(), 2, "{app:?}");
    for (m, v) in &app {
        assert_eq!(m["job"], "app");
        assert_eq!(m["team"], "e2e");
        assert_eq!(m["instance"], format!("127.0.0.1:{app_port}"));
        assert!(v == "5" || v == "7", "{v}");
    }
    assert!(!instant(port, "node_load1").is_empty());
    assert!(!instant(port, "prometheus_tsdb_head_series").is_empty());
    let synth = instant(port, "scrape_samples_scraped{job=\"app\"}");
    assert_eq!(synth.len(), 1);

    // promtool reads the HTTP API.
    let url = format!("http://127.0.0.1:{port}");
    let out = promtool(&["query", "instant", &url, "sum(e2e_requests_total)"]);
    assert!(out.contains("=> 12 @["), "{out}");
    // The newest sample is older than the next whole second.
    let end = now_secs() + 1;
    let out = promtool(&[
        "query",
        "range",
        &format!("--start={}", end - 30),
        &format!("--end={end}"),
        "--step=1s",
        &url,
        "e2e_temperature_celsius",
    ]);
    assert!(out.contains("21.5 @["), "{out}");
    let out = promtool(&["query", "labels", &url, "job"]);
    for job in ["app", "node", "vigil"] {
        assert!(out.lines().any(|l| l == job), "{job} missing in {out}");
    }
    let out = promtool(&["query", "series", "--match=e2e_temperature_celsius", &url]);
    assert!(out.contains("e2e_temperature_celsius"), "{out}");
    assert!(out.contains("team=\"e2e\""), "{out}");

    // Debian's Prometheus federates the app's series from Vigil.
    let fed_port = free_port();
    let fed_config = dir.path().join("federate.yml");
    std::fs::write(
        &fed_config,
        format!(
            "global:\n  scrape_interval: 1s\n\
             scrape_configs:\n\
             - job_name: federate\n  honor_labels: true\n  metrics_path: /federate\n\
             \x20 params:\n    'match[]': ['{{job=\"app\"}}']\n\
             \x20 static_configs:\n  - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .unwrap();
    let _prom = start_other(
        PROMETHEUS,
        &[
            format!("--config.file={}", fed_config.display()),
            format!("--storage.tsdb.path={}", dir.path().join("prom").display()),
            format!("--web.listen-address=127.0.0.1:{fed_port}"),
        ],
        fed_port,
        "/-/ready",
    );
    let federated = wait_for(60, || {
        let v = api(fed_port, "/api/v1/query?query=e2e_requests_total");
        v["data"]["result"].as_array().is_some_and(|r| r.len() == 2)
    });
    assert!(federated, "Prometheus got no federated series");
    let v = api(
        fed_port,
        "/api/v1/query?query=e2e_requests_total%7Bpath%3D%22%2Fb%22%7D",
    );
    let m = &v["data"]["result"][0]["metric"];
    assert_eq!(m["job"], "app", "{v}");
    assert_eq!(m["team"], "e2e", "{v}");
    assert_eq!(m["replica"], "a", "external labels are added: {v}");
    assert_eq!(v["data"]["result"][0]["value"][1], "7");

    // A clean stop and a restart keep what was scraped.
    let before = instant(port, "count_over_time(e2e_temperature_celsius[10m])");
    let n_before: f64 = before[0].1.parse().unwrap();
    server.signal_and_wait("TERM");
    drop(server);
    let log2 = dir.path().join("vigil2.log");
    let server = start_server(&config, &data, port, &log2, &["--web.enable-lifecycle"]);
    let after = instant(port, "count_over_time(e2e_temperature_celsius[10m])");
    let n_after: f64 = after[0].1.parse().unwrap();
    assert!(n_after >= n_before, "{n_after} < {n_before}");
    drop(server);
    std::thread::sleep(Duration::from_millis(10));
}
