//! `vigil alertmanager` delivering through receivers other than webhooks,
//! end to end: an alert posted to the API reaches a real SMTP server on
//! loopback (PyPI's `aiosmtpd`) as an email built from the default
//! templates, and a Slack-shaped endpoint as Slack's JSON; the resolution
//! follows (`send_resolved`), and `/metrics` counts both integrations.
//! Without Python's `aiosmtpd` the test says it skipped, or fails under CI.

#[path = "pushgateway_support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use support::{free_port, request, start_other, wait_for};

const SMTP: &str = r#"
import email, json, sys, time
from aiosmtpd.controller import Controller
port, out = int(sys.argv[1]), sys.argv[2]
class Sink:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content)
        parts = [p.get_payload(decode=True).decode("utf-8", "replace")
                 for p in msg.walk() if not p.is_multipart()]
        with open(out, "a") as f:
            f.write(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                                "subject": msg["Subject"], "body": "\n".join(parts),
                                "data": envelope.content.decode("utf-8", "replace")}) + "\n")
        return "250 OK"
Controller(Sink(), hostname="127.0.0.1", port=port).start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"#;

/// Records every POSTed JSON body; answers Slack's `ok`.
fn slack() -> (u16, Arc<Mutex<Vec<serde_json::Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut r = BufReader::new(stream);
            let (mut len, mut line) = (0, String::new());
            while r.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_ok()
                && let Ok(v) = serde_json::from_slice(&body)
            {
                sink.lock().expect("lock").push(v);
            }
            let _ = r.get_mut().write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}",
            );
        }
    });
    (port, got)
}

/// A helper process, killed and reaped when dropped.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have_aiosmtpd() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with aiosmtpd is needed for this test under CI"
        );
        eprintln!("skipped: python3 with aiosmtpd is not available");
    }
    ok
}

fn post_alert(port: u16, ends_at: Option<&str>) {
    let mut a = serde_json::json!({
        "labels": {"alertname": "DiskFull", "instance": "db-1", "severity": "critical"},
        "annotations": {"summary": "Disk of db-1 is 97% full"},
    });
    if let Some(t) = ends_at {
        a["endsAt"] = serde_json::json!(t);
    }
    let body = serde_json::json!([a]).to_string();
    let r = request(
        port,
        "POST",
        "/api/v2/alerts",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .expect("post alert");
    assert_eq!(r.status, 200, "{}", r.text());
}

fn mails(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn email_and_slack_notifications_fire_and_resolve() {
    if !have_aiosmtpd() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let smtp_port = free_port();
    let out = dir.path().join("mail.jsonl");
    std::fs::write(dir.path().join("smtp.py"), SMTP).expect("write script");
    let mut smtp = Command::new("python3")
        .arg(dir.path().join("smtp.py"))
        .arg(smtp_port.to_string())
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    let mut ready = String::new();
    if let Some(o) = smtp.stdout.as_mut() {
        let _ = BufReader::new(o).read_line(&mut ready);
    }
    let _smtp = Killed(smtp);
    assert_eq!(ready.trim(), "ready", "the SMTP server did not start");

    let (slack_port, slack_got) = slack();
    let am_port = free_port();
    std::fs::write(
        dir.path().join("am.yml"),
        format!(
            r##"
global:
  smtp_smarthost: 127.0.0.1:{smtp_port}
  smtp_from: alertmanager@example.com
  smtp_require_tls: false
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: ops
    email_configs:
      - to: oncall@example.com
        send_resolved: true
    slack_configs:
      - api_url: http://127.0.0.1:{slack_port}/hook
        channel: "#alerts"
        send_resolved: true
"##
        ),
    )
    .expect("write config");
    let args = vec![
        "alertmanager".to_string(),
        format!("--config.file={}", dir.path().join("am.yml").display()),
        format!("--storage.path={}", dir.path().join("data").display()),
        format!("--web.listen-address=127.0.0.1:{am_port}"),
        format!("--web.external-url=http://127.0.0.1:{am_port}"),
    ];
    let _am = start_other(env!("CARGO_BIN_EXE_vigil"), &args, am_port, "/-/ready");

    post_alert(am_port, None);
    assert!(
        wait_for(30, || !mails(&out).is_empty()
            && !slack_got.lock().expect("lock").is_empty()),
        "no notification arrived: mails {:?}, slack {:?}",
        mails(&out),
        slack_got.lock().expect("lock")
    );
    let mail = &mails(&out)[0];
    assert_eq!(mail["from"], "alertmanager@example.com");
    assert_eq!(mail["to"], serde_json::json!(["oncall@example.com"]));
    let data = mail["data"].as_str().unwrap_or_default();
    assert!(data.contains("Subject: [FIRING:1] DiskFull"), "{data}");
    assert!(data.contains("text/html"), "{data}");
    let body = mail["body"].as_str().unwrap_or_default();
    assert!(body.contains("Disk of db-1 is 97% full"), "{body}");
    let first = slack_got.lock().expect("lock")[0].clone();
    assert_eq!(first["channel"], "#alerts", "{first}");
    assert!(first.to_string().contains("[FIRING:1] DiskFull"), "{first}");

    // Resolve it: both integrations say so.
    post_alert(am_port, Some("2020-01-01T00:00:00Z"));
    assert!(
        wait_for(30, || mails(&out).len() >= 2
            && slack_got.lock().expect("lock").len() >= 2),
        "no resolution arrived"
    );
    let resolved = mails(&out)[1]["data"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(resolved.contains("[RESOLVED] DiskFull"), "{resolved}");

    let metrics = request(am_port, "GET", "/metrics", &[], b"")
        .expect("metrics")
        .text();
    for integration in ["email", "slack"] {
        let line = format!("alertmanager_notifications_total{{integration=\"{integration}\"}} 2");
        assert!(metrics.contains(&line), "{line} missing:\n{metrics}");
    }
}
