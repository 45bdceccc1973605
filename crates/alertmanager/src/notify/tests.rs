//! Golden payload tests: every HTTP integration's request for one fixed
//! group of alerts (one firing, one resolved), compared with
//! `testdata/<kind>.json`. `VIGIL_UPDATE_GOLDEN=1` rewrites the files.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::*;
use crate::config::Config;

const NOW: i64 = 1_700_000_600_000_000_000;

const CONFIG: &str = r#"
route:
  receiver: all
receivers:
- name: all
  slack_configs:
  - api_url: http://127.0.0.1:1/slack
    channel: '#alerts'
    fields:
    - title: Severity
      value: '{{ .CommonLabels.severity }}'
    actions:
    - type: button
      text: Runbook
      url: http://runbook/{{ .GroupLabels.alertname }}
  pagerduty_configs:
  - routing_key: rk-123
    url: http://127.0.0.1:1/pd
    severity: '{{ .CommonLabels.severity }}'
    links:
    - href: http://dash
      text: Dashboard
  - service_key: sk-456
  opsgenie_configs:
  - api_key: og-key
    api_url: http://127.0.0.1:1/og/
    tags: a,b,,c
    responders:
    - name: t1,t2
      type: teams
    update_alerts: true
  discord_configs:
  - webhook_url: http://127.0.0.1:1/discord
  msteams_configs:
  - webhook_url: http://127.0.0.1:1/teams
  msteamsv2_configs:
  - webhook_url: http://127.0.0.1:1/teams2
  telegram_configs:
  - bot_token: tg-token
    chat_id: -1001
    api_url: http://127.0.0.1:1/tg
  webex_configs:
  - room_id: room-1
    http_config:
      authorization:
        credentials: wx
  mattermost_configs:
  - webhook_url: http://127.0.0.1:1/mm
  rocketchat_configs:
  - token: rc-token
    token_id: rc-id
    channel: '#ops'
  pushover_configs:
  - user_key: po-user
    token: po-token
  victorops_configs:
  - api_key: vo-key
    routing_key: team-ops
  wechat_configs:
  - api_secret: wx-secret
    corp_id: corp
    to_user: '@all'
  webhook_configs:
  - url: http://127.0.0.1:1/hook
    max_alerts: 1
  incidentio_configs:
  - url: http://127.0.0.1:1/incident
    alert_source_token: inc-token
  sns_configs:
  - topic_arn: arn:aws:sns:eu-west-1:123456789012:alerts.fifo
    sigv4:
      region: eu-west-1
      access_key: AKIDEXAMPLE
      secret_key: wJalrXUtnFEMI
    attributes:
      team: ops
"#;

fn labels(pairs: &[(&str, &str)]) -> crate::matcher::LabelSet {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Two alerts of group `alertname=DiskFull`: one firing, one resolved.
pub(crate) fn notification() -> Notification {
    let mk = |instance: &str, ends_at: i64| Alert {
        labels: labels(&[
            ("alertname", "DiskFull"),
            ("instance", instance),
            ("severity", "critical"),
        ]),
        annotations: labels(&[("summary", "Disk almost full")]),
        starts_at: 1_700_000_000_000_000_000,
        ends_at,
        generator_url: "http://prometheus:9090/graph?g0.expr=disk".into(),
        updated_at: 0,
        timeout: false,
    };
    Notification {
        receiver: "all".into(),
        group_key: "{}:{alertname=\"DiskFull\"}".into(),
        group_labels: labels(&[("alertname", "DiskFull")]),
        alerts: vec![mk("db1:9100", 0), mk("db2:9100", NOW - 1_000_000_000)],
        external_url: "http://alertmanager:9093".into(),
        now: NOW,
    }
}

fn outgoing_json(o: &Outgoing) -> Value {
    let body = match &o.body {
        Body::Json(v) => v.clone(),
        Body::Form(f) => json!(f),
    };
    json!({
        "method": o.method,
        "url": o.url,
        "headers": o.headers,
        "body": body,
        "then": o.then.iter().map(outgoing_json).collect::<Vec<_>>(),
    })
}

fn golden(name: &str, got: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/notify/testdata")
        .join(name);
    if std::env::var_os("VIGIL_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (VIGIL_UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(got, want, "payload of {name} differs from the golden file");
}

#[test]
fn golden_payloads() {
    let cfg = Config::load(CONFIG).unwrap();
    let r = &cfg.receivers[0];
    let tmpl = Templates::defaults().unwrap();
    let n = notification();
    let data = n.data();
    let ctx = Ctx {
        tmpl: &tmpl,
        data: &data,
        n: &n,
    };
    let mut seen = Vec::new();
    for (kind, idx) in integrations(r) {
        let name = format!("{kind}-{idx}.json");
        let out = match kind {
            "webhook" => webhook::build(&ctx, &r.webhook_configs[idx]).unwrap(),
            "email" => continue,
            // Signed at a fixed time so the signature is reproducible.
            "sns" => sns::build_at(
                &ctx,
                &r.sns_configs[idx],
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_600),
            )
            .unwrap(),
            _ => build(&ctx, kind, idx, r).unwrap().0,
        };
        let text = serde_json::to_string_pretty(&outgoing_json(&out)).unwrap() + "\n";
        golden(&name, &text);
        seen.push(name);
    }
    assert_eq!(seen.len(), 17, "{seen:?}");
}

#[test]
fn resolved_groups_switch_event_kinds() {
    let cfg = Config::load(CONFIG).unwrap();
    let r = &cfg.receivers[0];
    let tmpl = Templates::defaults().unwrap();
    let mut n = notification();
    n.alerts.retain(|a| a.resolved_at(n.now));
    let data = n.data();
    let ctx = Ctx {
        tmpl: &tmpl,
        data: &data,
        n: &n,
    };
    let body = |kind, idx| match build(&ctx, kind, idx, r).unwrap().0 {
        Outgoing {
            body: Body::Json(v),
            url,
            ..
        } => (url, v),
        o => panic!("{o:?}"),
    };
    assert_eq!(body("pagerduty", 0).1["event_action"], "resolve");
    assert_eq!(body("pagerduty", 1).1["event_type"], "resolve");
    let (url, og) = body("opsgenie", 0);
    assert!(url.ends_with("/close?identifierType=alias"), "{url}");
    assert_eq!(
        og,
        json!({"source": "http://alertmanager:9093/#/alerts?receiver=all"})
    );
    assert_eq!(body("victorops", 0).1["message_type"], "RECOVERY");
    assert_eq!(body("discord", 0).1["embeds"][0]["color"], 0x2ECC71);
    assert_eq!(body("slack", 0).1["attachments"][0]["color"], "good");
}

#[test]
fn template_errors_are_permanent() {
    let cfg = Config::load(&CONFIG.replace("channel: '#alerts'", "channel: '{{ .Nope.Deeper }}'"))
        .unwrap();
    let tmpl = Templates::defaults().unwrap();
    let n = notification();
    let data = n.data();
    let ctx = Ctx {
        tmpl: &tmpl,
        data: &data,
        n: &n,
    };
    let e = build(&ctx, "slack", 0, &cfg.receivers[0]).unwrap_err();
    assert!(!e.retriable(), "{e}");
    assert!(e.to_string().starts_with("template:"), "{e}");
}

#[test]
fn email_message() {
    let cfg = Config::load(
        r#"
global:
  smtp_smarthost: 127.0.0.1:25
  smtp_from: 'Alertmanager <am@example.org>'
route: {receiver: m}
receivers:
- name: m
  email_configs:
  - to: 'ops@example.org, Dev <dev@example.org>'
    text: '{{ template "__subject" . }} — text'
    headers:
      x-team: '{{ .GroupLabels.alertname }}'
"#,
    )
    .unwrap();
    let c = &cfg.receivers[0].email_configs[0];
    let tmpl = Templates::defaults().unwrap();
    let n = notification();
    let data = n.data();
    let ctx = Ctx {
        tmpl: &tmpl,
        data: &data,
        n: &n,
    };
    let (from, to, msg) = email::message(&ctx, c).unwrap();
    assert_eq!(from, "am@example.org");
    assert_eq!(to, ["ops@example.org", "dev@example.org"]);
    assert!(
        msg.contains("Subject: [FIRING:1] DiskFull (critical)\r\n"),
        "{msg}"
    );
    assert!(msg.contains("X-Team: DiskFull\r\n"), "{msg}");
    assert!(
        msg.contains("To: ops@example.org, Dev <dev@example.org>\r\n"),
        "{msg}"
    );
    assert!(
        msg.contains("Content-Type: text/plain; charset=UTF-8"),
        "{msg}"
    );
    assert!(
        msg.contains("Content-Type: text/html; charset=UTF-8"),
        "{msg}"
    );
    assert!(
        msg.contains("Date: Tue, 14 Nov 2023 22:23:20 +0000\r\n"),
        "{msg}"
    );
}
