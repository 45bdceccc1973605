//! `vigil server` configuration handling: a bad configuration stops the
//! start with an error naming the file and the field; SIGHUP and
//! `POST /-/reload` apply a new configuration; a bad one keeps the running
//! configuration and sets `prometheus_config_last_reload_successful` to 0;
//! lifecycle endpoints are refused without `--web.enable-lifecycle`.

#[path = "server_support/mod.rs"]
mod server_support;
#[path = "pushgateway_support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;

use server_support::start_server;
use support::{Proc, free_port, request, wait_for};

fn start(config: &Path, data: &Path, port: u16, extra: &[&str]) -> Proc {
    let log = data.with_extension("log");
    start_server(config, data, port, &log, extra)
}

fn metric(port: u16, name: &str) -> Option<f64> {
    let r = request(port, "GET", "/metrics", &[("Accept", "text/plain")], b"").ok()?;
    r.text().lines().find_map(|l| {
        let rest = l.strip_prefix(name)?;
        let value = rest.strip_prefix(' ')?;
        value.trim().parse().ok()
    })
}

fn pools(port: u16) -> Vec<String> {
    let r = request(port, "GET", "/api/v1/scrape_pools", &[], b"").unwrap();
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    v["data"]["scrapePools"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Texts of `/api/v1/notifications` (Prometheus 3.x).
fn notices(port: u16) -> Vec<String> {
    let r = request(port, "GET", "/api/v1/notifications", &[], b"").unwrap();
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap().to_string())
        .collect()
}

fn config_with_jobs(jobs: &[&str]) -> String {
    let mut s = String::from("global:\n  scrape_interval: 1h\nscrape_configs:\n");
    for j in jobs {
        s.push_str(&format!(
            "- job_name: {j}\n  static_configs:\n  - targets: ['127.0.0.1:1']\n"
        ));
    }
    s
}

#[test]
fn a_bad_config_stops_the_start_with_the_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 15x\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "server".to_string(),
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{}", free_port()),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&config.display().to_string()), "{err}");
    assert!(err.contains("15x"), "{err}");
}

#[test]
fn reloads_apply_good_configs_and_keep_the_old_one_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, config_with_jobs(&["one"])).unwrap();
    let port = free_port();
    let mut server = start(
        &config,
        &dir.path().join("data"),
        port,
        &["--web.enable-lifecycle"],
    );
    assert_eq!(pools(port), ["one"]);
    assert_eq!(
        metric(port, "prometheus_config_last_reload_successful"),
        Some(1.0)
    );

    // POST /-/reload with a good file.
    std::fs::write(&config, config_with_jobs(&["one", "two"])).unwrap();
    let r = request(port, "POST", "/-/reload", &[], b"").unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(pools(port), ["one", "two"]);

    // A bad file: 500 with the reason, the old configuration keeps running.
    std::fs::write(&config, "scrape_configs:\n- job_name: ''\n").unwrap();
    let r = request(port, "POST", "/-/reload", &[], b"").unwrap();
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(r.text().contains("failed to reload config"), "{}", r.text());
    assert_eq!(pools(port), ["one", "two"]);
    assert_eq!(
        metric(port, "prometheus_config_last_reload_successful"),
        Some(0.0)
    );
    let status = request(port, "GET", "/api/v1/status/config", &[], b"").unwrap();
    assert!(status.text().contains("job_name: two"), "{}", status.text());
    // The UI's notice, raised as 3.x raises it.
    assert_eq!(notices(port), ["Configuration reload has failed."]);

    // A rule file that does not load fails the reload as a whole.
    let rules = dir.path().join("rules.yml");
    std::fs::write(
        &rules,
        "groups:\n- name: g\n  rules:\n  - record: x\n    expr: sum(\n",
    )
    .unwrap();
    std::fs::write(
        &config,
        format!(
            "rule_files: ['{}']\n{}",
            rules.display(),
            config_with_jobs(&["three"])
        ),
    )
    .unwrap();
    let r = request(port, "POST", "/-/reload", &[], b"").unwrap();
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(pools(port), ["one", "two"]);

    // SIGHUP with a good file.
    std::fs::write(&config, config_with_jobs(&["three"])).unwrap();
    Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(wait_for(20, || pools(port) == ["three"]));
    assert!(wait_for(20, || metric(
        port,
        "prometheus_config_last_reload_successful"
    ) == Some(1.0)));
    // A good reload clears the notice.
    assert!(notices(port).is_empty());

    // /-/quit stops the server.
    let r = request(port, "POST", "/-/quit", &[], b"").unwrap();
    assert_eq!(r.status, 200);
    assert!(wait_for(20, || matches!(
        server.child.try_wait(),
        Ok(Some(_))
    )));
}

#[test]
fn a_client_stalling_past_the_read_timeout_is_disconnected() {
    use std::io::{Read as _, Write as _};
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, config_with_jobs(&["one"])).unwrap();
    let port = free_port();
    let _server = start(
        &config,
        &dir.path().join("data"),
        port,
        &["--web.read-timeout=1s"],
    );
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    // Far beyond the read timeout: only a server that ignored it hits this.
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    s.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut out = Vec::new();
    let closed = s.read_to_end(&mut out);
    assert!(closed.is_ok(), "connection kept open: {closed:?}");
    assert!(!out.starts_with(b"HTTP/1.1 200"), "{out:?}");
    // A prompt request is still served.
    let r = request(port, "GET", "/-/healthy", &[], b"").unwrap();
    assert_eq!(r.status, 200);
}

#[test]
fn an_open_notification_stream_sees_the_shutdown_and_does_not_hold_it() {
    use std::io::{Read as _, Write as _};
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, config_with_jobs(&["one"])).unwrap();
    let port = free_port();
    let mut server = start(&config, &dir.path().join("data"), port, &[]);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    s.write_all(b"GET /api/v1/notifications/live HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    // The stream carries the shutdown notice, then ends.
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    let text = String::from_utf8_lossy(&rest);
    assert!(
        text.contains("Prometheus is shutting down and gracefully stopping all operations."),
        "{text}"
    );
    assert!(wait_for(30, || matches!(
        server.child.try_wait(),
        Ok(Some(_))
    )));
}

#[test]
fn lifecycle_endpoints_need_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, config_with_jobs(&["one"])).unwrap();
    let port = free_port();
    let _server = start(&config, &dir.path().join("data"), port, &[]);
    for path in ["/-/reload", "/-/quit"] {
        let r = request(port, "POST", path, &[], b"").unwrap();
        assert_eq!(r.status, 403, "{path}: {}", r.text());
    }
    assert_eq!(
        request(port, "GET", "/-/healthy", &[], b"").unwrap().status,
        200
    );
}
