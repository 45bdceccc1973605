//! `vigil tool push metrics` into `vigil server` and into Debian's
//! `prometheus`, both with `--web.enable-remote-write-receiver`; the pushed
//! samples are then found through each server's query API. Debian's
//! promtool 2.42 has no `push` command, so the printed lines are checked
//! against promtool 3.x's texts (`cmd/promtool/metrics.go`).

#[path = "server_support/mod.rs"]
mod server_support;
#[path = "pushgateway_support/mod.rs"]
mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use server_support::{api, start_server};
use support::{DEBIAN_PROMETHEUS, Proc, free_port, have_peer, start_other, wait_for};

const METRICS: &str = "# HELP pushed_requests Requests.\n# TYPE pushed_requests counter\npushed_requests{job=\"app\",code=\"200\"} 42\n# TYPE pushed_latency summary\npushed_latency{quantile=\"0.5\"} 0.25\npushed_latency_sum 3\npushed_latency_count 7\n";

fn push(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["tool", "push", "metrics"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vigil tool push");
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.unwrap_or_default().as_bytes())
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait for vigil tool push");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Pushes into the receiver on `port` (by file, with the 3.x base URL, and
/// by stdin, with a 2.x-style full URL) and finds the samples.
fn push_and_find(port: u16, dir: &std::path::Path) {
    let file = dir.join("metrics.prom");
    std::fs::write(&file, METRICS).expect("write metrics");
    let file = file.to_string_lossy().into_owned();
    let url = format!("http://127.0.0.1:{port}");
    let got = push(
        &[&url, &file, "--label", "job=tool", "--label", "env=test"],
        None,
    );
    assert_eq!(
        got,
        (
            0,
            format!(
                "Parsing metrics file {file}\n  SUCCESS: metrics file {file} pushed to remote write.\n"
            ),
            String::new()
        )
    );
    let full = format!("{url}/api/v1/write");
    let got = push(&[&full], Some("stdin_pushed 7\n"));
    assert_eq!(
        got,
        (
            0,
            "Parsing standard input\n  SUCCESS: metrics pushed to remote write.\n".into(),
            String::new()
        )
    );
    let find = |q: &str| {
        let mut found = serde_json::Value::Null;
        let ok = wait_for(30, || {
            found = api(port, &format!("/api/v1/query?query={q}"));
            found["data"]["result"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
        });
        assert!(ok, "{q} not found on port {port}: {found}");
        found["data"]["result"].clone()
    };
    let r = find("pushed_requests");
    assert_eq!(
        r[0]["metric"],
        serde_json::json!({"__name__": "pushed_requests", "code": "200",
                           "env": "test", "exported_job": "app", "job": "tool"})
    );
    assert_eq!(r[0]["value"][1], "42");
    let r = find("pushed_latency");
    assert_eq!(r[0]["metric"]["quantile"], "0.5");
    assert_eq!(find("pushed_latency_count")[0]["value"][1], "7");
    let r = find("stdin_pushed");
    assert_eq!(r[0]["metric"]["job"], "promtool");

    // A malformed exposition and a missing file fail with exit code 1.
    let bad = dir.join("bad.prom");
    std::fs::write(&bad, "not a sample\n").expect("write");
    let bad = bad.to_string_lossy().into_owned();
    let got = push(&[&url, &bad, "/nonexistent.prom"], None);
    assert_eq!(got.0, 1, "{got:?}");
    assert_eq!(got.1, format!("Parsing metrics file {bad}\n"));
    assert!(got.2.starts_with("  FAILED: "), "{got:?}");
    assert!(
        got.2
            .ends_with("  FAILED: open /nonexistent.prom: no such file or directory\n"),
        "{got:?}"
    );
}

#[test]
fn pushed_metrics_arrive_in_vigil_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1m\n").expect("config");
    let _server = start_server(
        &config,
        &dir.path().join("data"),
        port,
        &dir.path().join("log"),
        &["--web.enable-remote-write-receiver"],
    );
    push_and_find(port, dir.path());
}

#[test]
fn pushed_metrics_arrive_in_debian_prometheus() {
    if !have_peer(DEBIAN_PROMETHEUS) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1m\n").expect("config");
    let args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--web.enable-remote-write-receiver".to_string(),
    ];
    let _prometheus: Proc = start_other(DEBIAN_PROMETHEUS, &args, port, "/-/ready");
    push_and_find(port, dir.path());
}

#[test]
fn an_unreachable_receiver_fails() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let got = push(&[&url, "--timeout", "5s"], Some("x 1\n"));
    assert_eq!(got.0, 1, "{got:?}");
    assert!(got.2.contains("connection refused"), "{got:?}");
}
