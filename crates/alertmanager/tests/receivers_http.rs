//! Slack-, PagerDuty-, OpsGenie-, Discord-, Telegram-, SNS- and webhook-shaped
//! receivers sending to a local capture server through
//! [`Notifier::send`]: the requests arrive with their payloads and
//! credentials, a 5xx answer is retried, a 4xx is not, and the
//! `alertmanager_notification*` metrics count all of it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vigil_alertmanager::Config;
use vigil_alertmanager::alert::Alert;
use vigil_alertmanager::matcher::LabelSet;
use vigil_alertmanager::notify::{Notification, Notifier};

#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: serde_json::Value,
}

type Got = Arc<Mutex<Vec<Req>>>;

/// A server answering each request with the next scripted
/// `(status, content type, body)`, then `200 ok`.
fn capture(script: Vec<(u16, &'static str, &'static str)>) -> (u16, Got) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got: Got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    let mut script: VecDeque<_> = script.into();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut r = BufReader::new(stream);
            let mut first = String::new();
            let _ = r.read_line(&mut first);
            let mut parts = first.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("").to_string();
            let mut headers = Vec::new();
            let mut len = 0;
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.trim_end().split_once(':') {
                    let (k, v) = (k.to_ascii_lowercase(), v.trim().to_string());
                    if k == "content-length" {
                        len = v.parse().unwrap_or(0);
                    }
                    headers.push((k, v));
                }
                line.clear();
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            let body = serde_json::from_slice(&body).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&body).into())
            });
            sink.lock().unwrap().push(Req {
                method,
                path,
                headers,
                body,
            });
            let (code, ctype, text) = script.pop_front().unwrap_or((200, "text/plain", "ok"));
            let _ = r.get_mut().write_all(
                format!(
                    "HTTP/1.1 {code} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                )
                .as_bytes(),
            );
        }
    });
    (port, got)
}

fn labels(pairs: &[(&str, &str)]) -> LabelSet {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn notification(resolved: bool) -> Notification {
    let now = 1_700_000_600_000_000_000;
    Notification {
        receiver: "r".into(),
        group_key: "{}:{alertname=\"Down\"}".into(),
        group_labels: labels(&[("alertname", "Down")]),
        alerts: vec![Alert {
            labels: labels(&[("alertname", "Down"), ("job", "node")]),
            annotations: labels(&[("summary", "node down")]),
            starts_at: now - 60_000_000_000,
            ends_at: if resolved { now - 1 } else { 0 },
            generator_url: "http://prom/g".into(),
            updated_at: 0,
            timeout: false,
        }],
        external_url: "http://am:9093".into(),
        now,
    }
}

fn config(port: u16) -> Config {
    let base = format!("http://127.0.0.1:{port}");
    Config::load(&format!(
        r#"
global:
  slack_api_url: {base}/slack
  pagerduty_url: {base}/pd
  opsgenie_api_url: {base}/og/
  opsgenie_api_key: og-secret
  telegram_api_url: {base}/tg
route: {{receiver: r}}
receivers:
- name: r
  slack_configs:
  - channel: '#ops'
    send_resolved: true
  pagerduty_configs:
  - routing_key: rk
  opsgenie_configs:
  - update_alerts: true
  discord_configs:
  - webhook_url: {base}/discord
  telegram_configs:
  - bot_token: tok
    chat_id: 42
  sns_configs:
  - api_url: {base}/sns
    topic_arn: arn:aws:sns:us-east-1:1:t
    sigv4: {{region: us-east-1, access_key: AKID, secret_key: s3cr3t}}
  webhook_configs:
  - url: {base}/hook
    http_config:
      basic_auth: {{username: u, password: p}}
"#
    ))
    .unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn receivers_post_their_payloads() {
    let (port, got) = capture(vec![
        // Slack: the first answer is a server error, retried.
        (503, "text/plain", "busy"),
    ]);
    let cfg = config(port);
    let r = &cfg.receivers[0];
    let notifier = Notifier::new("0.27.0").unwrap();
    let n = notification(false);
    let budget = Duration::from_secs(30);
    rt().block_on(async {
        for kind in [
            "slack",
            "pagerduty",
            "opsgenie",
            "discord",
            "telegram",
            "webhook",
            "sns",
        ] {
            notifier
                .send(kind, 0, r, &n, budget)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
    });
    let got = got.lock().unwrap().clone();
    let paths: Vec<&str> = got.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths[0], "/slack");
    assert_eq!(paths[1], "/slack", "503 is retried");
    assert_eq!(paths[2], "/pd");
    assert!(paths[3].starts_with("/og/v2/alerts"), "{paths:?}");
    assert!(
        paths[4].ends_with("/message?identifierType=alias"),
        "{paths:?}"
    );
    assert!(
        paths[5].ends_with("/description?identifierType=alias"),
        "{paths:?}"
    );
    assert_eq!(
        &paths[6..],
        ["/discord", "/tg/bottok/sendMessage", "/hook", "/sns"]
    );

    let slack = &got[1].body;
    assert_eq!(slack["channel"], "#ops");
    assert_eq!(slack["attachments"][0]["title"], "[FIRING:1] Down (node)");
    assert_eq!(slack["attachments"][0]["color"], "danger");
    let header = |i: usize, k: &str| {
        got[i]
            .headers
            .iter()
            .find(|(h, _)| h == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(header(1, "user-agent"), "Alertmanager/0.27.0");
    assert_eq!(header(1, "content-type"), "application/json");
    let pd = &got[2].body;
    assert_eq!(pd["routing_key"], "rk");
    assert_eq!(pd["event_action"], "trigger");
    assert_eq!(pd["payload"]["summary"], "[FIRING:1] Down (node)");
    assert_eq!(pd["payload"]["custom_details"]["num_firing"], "1");
    assert_eq!(header(3, "authorization"), "GenieKey og-secret");
    assert_eq!(got[3].body["message"], "[FIRING:1] Down (node)");
    assert_eq!(got[4].method, "PUT");
    assert_eq!(got[6].body["embeds"][0]["title"], "[FIRING:1] Down (node)");
    assert_eq!(got[7].body["chat_id"], 42);
    assert_eq!(got[8].body["version"], "4");
    assert_eq!(header(8, "authorization"), "Basic dTpw");
    assert_eq!(got[9].path, "/sns");
    let form = got[9].body.as_str().unwrap_or_default();
    assert!(
        form.starts_with("Action=Publish&Version=2010-03-31&Message="),
        "{form}"
    );
    assert!(
        form.contains("TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At"),
        "{form}"
    );
    assert!(
        header(9, "authorization").starts_with("AWS4-HMAC-SHA256 Credential=AKID/"),
        "{:?}",
        got[9].headers
    );
    assert!(!header(9, "authorization").contains("s3cr3t"));

    let mut metrics = String::new();
    notifier.metrics().render(&mut metrics);
    assert!(
        metrics.contains("alertmanager_notifications_total{integration=\"slack\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("alertmanager_notification_requests_total{integration=\"slack\"} 2\n")
    );
    assert!(
        metrics
            .contains("alertmanager_notification_requests_failed_total{integration=\"slack\"} 1\n")
    );
    assert!(metrics.contains(
        "alertmanager_notification_latency_seconds_count{integration=\"pagerduty\"} 1\n"
    ));
}

#[test]
fn client_errors_fail_without_retry_and_are_counted() {
    let (port, got) = capture(vec![
        (401, "text/plain", "no"),
        (
            200,
            "application/json",
            r#"{"ok":false,"error":"channel_not_found"}"#,
        ),
    ]);
    let cfg = config(port);
    let r = &cfg.receivers[0];
    let notifier = Notifier::new("x").unwrap();
    let n = notification(true);
    rt().block_on(async {
        let e = notifier
            .send("discord", 0, r, &n, Duration::from_secs(30))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("401"), "{e}");
        let e = notifier
            .send("slack", 0, r, &n, Duration::from_secs(30))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("channel_not_found"), "{e}");
    });
    assert_eq!(got.lock().unwrap().len(), 2, "nothing retried");
    assert_eq!(
        got.lock().unwrap()[1].body["attachments"][0]["color"],
        "good"
    );
    let mut metrics = String::new();
    notifier.metrics().render(&mut metrics);
    assert!(metrics.contains(
        "alertmanager_notifications_failed_total{integration=\"discord\",reason=\"authError\"} 1\n"
    ));
    assert!(metrics.contains(
        "alertmanager_notifications_failed_total{integration=\"slack\",reason=\"clientError\"} 1\n"
    ));
}
