//! The Alertmanager's web UI in a real browser (see `browser_support`),
//! under a route prefix: alert groups with labels and annotations; a
//! silence created from an alert's "Silence" link, which mutes it; the
//! silence listed and expired from the list; the status page. The API is
//! checked after each step. Screenshots go to `<target>/ui-screenshots/`.

mod browser_support;

use std::process::{Command, Stdio};
use std::time::Duration;

use browser_support::{Browser, Proc, free_port, have_browser, http, http_raw, wait_for};

const CONFIG: &str = r#"
route:
  receiver: "null"
  group_by: [alertname]
receivers:
  - name: "null"
"#;

/// `vigil alertmanager` on a free port, its external URL under `/am`.
fn start_am(dir: &std::path::Path) -> (Proc, u16) {
    std::fs::write(dir.join("am.yml"), CONFIG).expect("write config");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "alertmanager".to_string(),
            format!("--config.file={}", dir.join("am.yml").display()),
            format!("--storage.path={}", dir.join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            format!("--web.external-url=http://127.0.0.1:{port}/am"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vigil alertmanager");
    let proc = Proc(child);
    let ready = wait_for(30, || {
        matches!(http(port, "GET", "/am/-/ready", None), Ok((200, _)))
    });
    assert!(ready, "vigil alertmanager did not become ready");
    (proc, port)
}

fn silences(port: u16) -> Vec<serde_json::Value> {
    let (code, body) = http(port, "GET", "/am/api/v2/silences", None).expect("silences");
    assert_eq!(code, 200, "{body}");
    serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

#[test]
fn alerts_grouped_silence_created_and_expired_status_shown() {
    if !have_browser("alerts_grouped_silence_created_and_expired_status_shown") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (_am, port) = start_am(dir.path());
    let alerts = serde_json::json!([
        {"labels": {"alertname": "DiskFull", "instance": "db-1", "severity": "page"},
         "annotations": {"summary": "Disk of db-1 is 97% full"}},
        {"labels": {"alertname": "DiskFull", "instance": "db-2", "severity": "page"}},
        {"labels": {"alertname": "HighLatency", "service": "api"},
         "annotations": {"description": "p99 above 2s"}},
    ]);
    let (code, text) = http_raw(
        port,
        "POST",
        "/am/api/v2/alerts",
        "application/json",
        alerts.to_string().as_bytes(),
        Duration::from_secs(10),
    )
    .expect("post alerts");
    assert_eq!(code, 200, "{text}");

    let b = Browser::start();
    // The bare prefix redirects to the shell at `<prefix>/`.
    b.goto(&format!("http://127.0.0.1:{port}/am"));
    let main = b.wait_text(
        "main",
        &[
            "alertname=\"DiskFull\"",
            "alertname=\"HighLatency\"",
            "instance=\"db-1\"",
            "instance=\"db-2\"",
            "Disk of db-1 is 97% full",
            "p99 above 2s",
            "2 alerts",
            "receiver: null",
        ],
    );
    assert!(main.contains("service=\"api\""), "{main}");
    b.screenshot("alertmanager-alerts");

    // Silence db-1's alert from its row: the form comes pre-filled.
    b.click("a[href*='instance%3D%22db-1%22']");
    b.find("form.silence #s-matchers");
    let matchers = b.js("return document.querySelector('#s-matchers').value");
    assert_eq!(
        matchers.as_str(),
        Some("{alertname=\"DiskFull\", instance=\"db-1\", severity=\"page\"}")
    );
    b.clear("#s-creator");
    b.type_into("#s-creator", "ops@example.com");
    b.type_into("#s-comment", "disk being replaced");
    b.click("form.silence button[type=submit]");
    b.wait_text(
        "main",
        &[
            "Silence",
            "active",
            "Affected alerts (1)",
            "disk being replaced",
        ],
    );
    b.screenshot("alertmanager-silence");
    let s = silences(port);
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0]["createdBy"], "ops@example.com");
    assert_eq!(s[0]["status"]["state"], "active");
    let id = s[0]["id"].as_str().unwrap_or_default().to_string();

    // The alerts page no longer shows the muted alert, unless asked to.
    b.click("nav a[data-page=alerts]");
    let gone = wait_for(20, || {
        let t = b.text("main");
        t.contains("instance=\"db-2\"") && !t.contains("instance=\"db-1\"")
    });
    assert!(gone, "{}", b.text("main"));
    b.click("#f-silenced");
    b.wait_text("main", &["instance=\"db-1\"", "suppressed"]);

    // The silence list: one active; expire it there.
    b.click("nav a[data-page=silences]");
    b.wait_text("main", &["Active (1)", "Expired (0)", "ops@example.com"]);
    b.find(&format!("section.silence[data-id='{id}']"));
    b.click("section.silence button.link");
    b.wait_text("main", &["No active silences.", "Expired (1)"]);
    let s = silences(port);
    assert_eq!(s[0]["status"]["state"], "expired", "{s:?}");
    b.screenshot("alertmanager-silences");

    b.click("nav a[data-page=status]");
    b.wait_text(
        "main",
        &["Cluster status", "Version information", "receiver: 'null'"],
    );
    b.screenshot("alertmanager-status");
    b.assert_no_console_errors();
}
