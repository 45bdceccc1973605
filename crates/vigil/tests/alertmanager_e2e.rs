//! `vigil alertmanager` end to end: Debian's `prometheus` (2.42) with an
//! always-firing alerting rule sends to it; a webhook receiver in this test
//! gets one grouped notification in Alertmanager's payload shape; Debian's
//! `amtool` (0.25) queries alerts and adds, queries and expires silences;
//! a silence survives a restart (SIGTERM) and a SIGKILL; a silenced alert
//! shows as suppressed.

#[path = "pushgateway_support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use support::{Proc, free_port, have_peer, request, start_other, wait_for};

const PROMETHEUS: &str = "/usr/bin/prometheus";
const AMTOOL: &str = "/usr/bin/amtool";

/// A webhook receiver: records every POSTed body, answers 200.
fn webhook() -> (u16, Arc<Mutex<Vec<serde_json::Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut r = BufReader::new(stream);
            let mut len = 0;
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_ok()
                && let Ok(v) = serde_json::from_slice(&body)
            {
                sink.lock().unwrap().push(v);
            }
            let _ = r
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (port, got)
}

fn start_am(dir: &Path, port: u16) -> Proc {
    let args = vec![
        "alertmanager".to_string(),
        format!("--config.file={}", dir.join("am.yml").display()),
        format!("--storage.path={}", dir.join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        format!("--web.external-url=http://127.0.0.1:{port}"),
    ];
    start_other(env!("CARGO_BIN_EXE_vigil"), &args, port, "/-/ready")
}

fn amtool(port: u16, args: &[&str]) -> (bool, String) {
    let out = Command::new(AMTOOL)
        .arg(format!("--alertmanager.url=http://127.0.0.1:{port}"))
        .args(args)
        .output()
        .expect("run amtool");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn api(port: u16, path: &str) -> serde_json::Value {
    let r = request(port, "GET", path, &[], b"").unwrap();
    serde_json::from_slice(&r.body).unwrap()
}

#[test]
fn prometheus_alerts_reach_webhook_and_amtool_works() {
    if !have_peer(PROMETHEUS) || !have_peer(AMTOOL) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (hook_port, got) = webhook();
    let am_port = free_port();
    std::fs::write(
        dir.path().join("am.yml"),
        format!(
            "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
             receivers:\n  - name: hook\n    webhook_configs:\n      - url: http://127.0.0.1:{hook_port}/hook\n"
        ),
    )
    .unwrap();
    let mut am = start_am(dir.path(), am_port);

    std::fs::write(
        dir.path().join("rules.yml"),
        "groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: AlwaysFiring\n        expr: vector(1)\n        labels: {severity: page}\n        annotations: {summary: always}\n      - alert: AlsoFiring\n        expr: vector(2)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("prometheus.yml"),
        format!(
            "global: {{evaluation_interval: 1s}}\nrule_files: [rules.yml]\n\
             alerting:\n  alertmanagers:\n    - static_configs: [{{targets: ['127.0.0.1:{am_port}']}}]\n"
        ),
    )
    .unwrap();
    let prom_port = free_port();
    let _prom = start_other(
        PROMETHEUS,
        &[
            format!(
                "--config.file={}",
                dir.path().join("prometheus.yml").display()
            ),
            format!("--storage.tsdb.path={}", dir.path().join("prom").display()),
            format!("--web.listen-address=127.0.0.1:{prom_port}"),
            // Alerts evaluated before the notifier has discovered the
            // Alertmanager are dropped; resend soon rather than after 1m.
            "--rules.alert.resend-delay=1s".to_string(),
        ],
        prom_port,
        "/-/ready",
    );

    // One grouped notification per alertname, in Alertmanager's shape.
    assert!(
        wait_for(60, || got
            .lock()
            .unwrap()
            .iter()
            .any(|n| n["groupLabels"]["alertname"] == "AlwaysFiring")),
        "no notification reached the webhook"
    );
    let n = got
        .lock()
        .unwrap()
        .iter()
        .find(|n| n["groupLabels"]["alertname"] == "AlwaysFiring")
        .cloned()
        .unwrap();
    assert_eq!(n["version"], "4");
    assert_eq!(n["status"], "firing");
    assert_eq!(n["receiver"], "hook");
    assert_eq!(n["groupKey"], "{}:{alertname=\"AlwaysFiring\"}");
    assert_eq!(n["externalURL"], format!("http://127.0.0.1:{am_port}"));
    assert_eq!(n["commonLabels"]["severity"], "page");
    assert_eq!(n["commonAnnotations"]["summary"], "always");
    assert_eq!(n["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(n["alerts"][0]["fingerprint"].as_str().unwrap().len(), 16);
    assert!(
        n["alerts"][0]["generatorURL"]
            .as_str()
            .unwrap()
            .contains("graph")
    );

    // amtool alert query.
    let (ok, out) = amtool(am_port, &["alert", "query"]);
    assert!(
        ok && out.contains("AlwaysFiring") && out.contains("always"),
        "{out}"
    );

    // amtool silence add / query; the silenced alert is suppressed.
    let (ok, id) = amtool(
        am_port,
        &[
            "silence",
            "add",
            "alertname=AlwaysFiring",
            "-c",
            "e2e",
            "-a",
            "test",
            "-d",
            "1h",
        ],
    );
    let id = id.trim().to_string();
    assert!(ok && id.len() == 36, "silence add: {id}");
    let (ok, out) = amtool(am_port, &["silence", "query"]);
    assert!(
        ok && out.contains(&id) && out.contains("alertname=\"AlwaysFiring\""),
        "{out}"
    );
    assert!(wait_for(10, || {
        api(am_port, "/api/v2/alerts")
            .as_array()
            .unwrap()
            .iter()
            .any(|a| {
                a["labels"]["alertname"] == "AlwaysFiring"
                    && a["status"]["state"] == "suppressed"
                    && a["status"]["silencedBy"][0] == id.as_str()
            })
    }));
    let (ok, out) = amtool(am_port, &["alert", "query", "alertname=AlwaysFiring"]);
    assert!(
        ok && !out.contains("AlwaysFiring"),
        "silenced alerts are hidden by default: {out}"
    );

    // The silence survives a clean restart and a SIGKILL.
    am.signal_and_wait("TERM");
    am = start_am(dir.path(), am_port);
    let (_, out) = amtool(am_port, &["silence", "query", "-q"]);
    assert_eq!(out.trim(), id, "after a restart");
    am.signal_and_wait("KILL");
    am = start_am(dir.path(), am_port);
    let (_, out) = amtool(am_port, &["silence", "query", "-q"]);
    assert_eq!(out.trim(), id, "after SIGKILL");

    // amtool silence expire.
    let (ok, _) = amtool(am_port, &["silence", "expire", &id]);
    assert!(ok);
    let (_, out) = amtool(am_port, &["silence", "query", "-q"]);
    assert!(
        out.trim().is_empty(),
        "expired silences are not active: {out}"
    );
    let (_, out) = amtool(am_port, &["silence", "query", "-q", "--expired"]);
    assert_eq!(out.trim(), id);

    // Status and receivers answer in the API's shape.
    let st = api(am_port, "/api/v2/status");
    assert_eq!(st["cluster"]["status"], "disabled");
    assert!(
        st["config"]["original"]
            .as_str()
            .unwrap()
            .contains("webhook_configs")
    );
    assert_eq!(
        api(am_port, "/api/v2/receivers"),
        serde_json::json!([{"name": "hook"}])
    );
    drop(am);
}
