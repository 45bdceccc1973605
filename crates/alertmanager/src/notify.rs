//! Sending notifications. The webhook integration posts Alertmanager's
//! JSON payload (version 4: receiver, status, alerts with their
//! fingerprints, group/common labels and annotations, external URL, group
//! key, `truncatedAlerts` when `max_alerts` cuts the list). Firing alerts
//! show Go's zero time as `endsAt`, as Alertmanager hides an end that has
//! not been reached.
//!
//! Only webhooks are sent so far; other integrations report
//! [`NotifyError::Unsupported`].

use std::time::Duration;

use serde_json::{Value, json};

use crate::alert::Alert;
use crate::config::receivers::WebhookConfig;
use crate::matcher::LabelSet;
use crate::time::format_rfc3339;

/// Go's zero `time.Time` as JSON.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// What one notification is about.
#[derive(Debug, Clone)]
pub struct Notification {
    /// The receiver's name.
    pub receiver: String,
    /// The aggregation group's key.
    pub group_key: String,
    /// The grouping labels.
    pub group_labels: LabelSet,
    /// The alerts, firing and resolved.
    pub alerts: Vec<Alert>,
    /// `--web.external-url`.
    pub external_url: String,
    /// When the notification is built (ns).
    pub now: i64,
}

/// Why a notification failed.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Worth retrying (network error, 5xx).
    #[error("{0}")]
    Retry(String),
    /// Not worth retrying (4xx, bad configuration).
    #[error("{0}")]
    Permanent(String),
    /// The integration is not implemented yet.
    #[error("{0} notifications are not supported yet")]
    Unsupported(&'static str),
}

fn common(maps: impl Iterator<Item = LabelSet>) -> LabelSet {
    let mut acc: Option<LabelSet> = None;
    for m in maps {
        acc = Some(match acc {
            None => m,
            Some(a) => a.into_iter().filter(|(k, v)| m.get(k) == Some(v)).collect(),
        });
    }
    acc.unwrap_or_default()
}

/// An alert as notifications show it.
pub fn alert_json(a: &Alert, now: i64) -> Value {
    let resolved = a.resolved_at(now);
    json!({
        "status": if resolved { "resolved" } else { "firing" },
        "labels": a.labels,
        "annotations": a.annotations,
        "startsAt": format_rfc3339(a.starts_at),
        "endsAt": if resolved { format_rfc3339(a.ends_at) } else { ZERO_TIME.to_string() },
        "generatorURL": a.generator_url,
        "fingerprint": format!("{:016x}", a.fingerprint()),
    })
}

/// The webhook payload, with at most `max_alerts` alerts (0: all).
pub fn webhook_payload(n: &Notification, max_alerts: u64) -> Value {
    let firing = n.alerts.iter().any(|a| !a.resolved_at(n.now));
    let limit = usize::try_from(max_alerts).unwrap_or(usize::MAX);
    let shown = if max_alerts == 0 {
        n.alerts.len()
    } else {
        limit.min(n.alerts.len())
    };
    let alerts: Vec<Value> = n
        .alerts
        .iter()
        .take(shown)
        .map(|a| alert_json(a, n.now))
        .collect();
    json!({
        "receiver": n.receiver,
        "status": if firing { "firing" } else { "resolved" },
        "alerts": alerts,
        "groupLabels": n.group_labels,
        "commonLabels": common(n.alerts.iter().map(|a| a.labels.clone())),
        "commonAnnotations": common(n.alerts.iter().map(|a| a.annotations.clone())),
        "externalURL": n.external_url,
        "version": "4",
        "groupKey": n.group_key,
        "truncatedAlerts": n.alerts.len() - shown,
    })
}

/// Reads a secret kept in a file, trimmed as Alertmanager trims it.
fn read_secret_file(path: &str) -> Result<String, NotifyError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| NotifyError::Permanent(format!("reading {path}: {e}")))
}

/// Posts the payload to a webhook.
pub async fn send_webhook(
    client: &reqwest::Client,
    cfg: &WebhookConfig,
    n: &Notification,
    user_agent: &str,
) -> Result<(), NotifyError> {
    let url = match &cfg.url {
        Some(u) if !u.0.is_empty() => u.0.expose().to_string(),
        _ => read_secret_file(&cfg.url_file)?,
    };
    if url.contains("{{") {
        return Err(NotifyError::Permanent(
            "templated webhook URLs are not supported yet".into(),
        ));
    }
    let body = webhook_payload(n, cfg.max_alerts).to_string();
    let mut req = client
        .post(&url)
        .header("Content-Type", "application/json")
        .header("User-Agent", user_agent)
        .body(body);
    if !cfg.timeout.0.is_zero() {
        req = req.timeout(cfg.timeout.0);
    }
    if let Some(h) = &cfg.http_config {
        if let Some(b) = &h.basic_auth {
            let pw = if b.password_file.is_empty() {
                b.password.expose().to_string()
            } else {
                read_secret_file(&b.password_file)?
            };
            req = req.basic_auth(&b.username, Some(pw));
        }
        if let Some(a) = &h.authorization {
            let cred = if a.credentials_file.is_empty() {
                a.credentials.expose().to_string()
            } else {
                read_secret_file(&a.credentials_file)?
            };
            let kind = if a.kind.is_empty() { "Bearer" } else { &a.kind };
            req = req.header("Authorization", format!("{kind} {cred}"));
        }
        for (k, v) in h.http_headers.iter().flatten() {
            for val in &v.values {
                req = req.header(k.as_str(), val.as_str());
            }
        }
    }
    let resp = req
        .send()
        .await
        .map_err(|e| NotifyError::Retry(format!("Post \"<redacted>\": {e}")))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let msg = format!("unexpected status code {}", status.as_u16());
    if status.is_server_error() {
        Err(NotifyError::Retry(msg))
    } else {
        Err(NotifyError::Permanent(msg))
    }
}

/// Retries a send with exponential backoff (from 50 ms, at most 10 s
/// apart) until it succeeds, fails permanently, or `budget` is spent.
pub async fn with_retries<F, Fut>(budget: Duration, mut send: F) -> (Result<(), NotifyError>, u32)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), NotifyError>>,
{
    let start = tokio::time::Instant::now();
    let mut wait = Duration::from_millis(50);
    let mut attempts = 0;
    loop {
        attempts += 1;
        match send().await {
            Err(NotifyError::Retry(_)) if start.elapsed() + wait < budget => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
            r => return (r, attempts),
        }
    }
}

/// The Alertmanager version string notifications carry in `User-Agent`.
pub fn user_agent(version: &str) -> String {
    format!("Alertmanager/{version}")
}

/// The integrations of a receiver, as `(kind, index)`, for the
/// notification log keys and metrics.
pub fn integrations(r: &crate::config::Receiver) -> Vec<(&'static str, usize)> {
    let mut out = Vec::new();
    let mut add = |kind: &'static str, n: usize| out.extend((0..n).map(|i| (kind, i)));
    add("discord", r.discord_configs.len());
    add("email", r.email_configs.len());
    add("incidentio", r.incidentio_configs.len());
    add("pagerduty", r.pagerduty_configs.len());
    add("slack", r.slack_configs.len());
    add("webhook", r.webhook_configs.len());
    add("opsgenie", r.opsgenie_configs.len());
    add("wechat", r.wechat_configs.len());
    add("pushover", r.pushover_configs.len());
    add("victorops", r.victorops_configs.len());
    add("sns", r.sns_configs.len());
    add("telegram", r.telegram_configs.len());
    add("webex", r.webex_configs.len());
    add("msteams", r.msteams_configs.len());
    add("msteamsv2", r.msteamsv2_configs.len());
    add("jira", r.jira_configs.len());
    add("rocketchat", r.rocketchat_configs.len());
    add("mattermost", r.mattermost_configs.len());
    out
}

/// Whether an integration sends resolved alerts.
pub fn send_resolved(r: &crate::config::Receiver, kind: &str, i: usize) -> bool {
    macro_rules! get {
        ($list:ident) => {
            r.$list.get(i).map(|c| c.send_resolved)
        };
        (opt $list:ident) => {
            r.$list
                .get(i)
                .and_then(|c| c.as_ref())
                .map(|c| c.send_resolved)
        };
    }
    let v = match kind {
        "discord" => get!(discord_configs),
        "email" => get!(email_configs),
        "incidentio" => get!(incidentio_configs),
        "pagerduty" => get!(pagerduty_configs),
        "slack" => get!(opt slack_configs),
        "webhook" => get!(webhook_configs),
        "opsgenie" => get!(opt opsgenie_configs),
        "wechat" => get!(opt wechat_configs),
        "pushover" => get!(pushover_configs),
        "victorops" => get!(victorops_configs),
        "sns" => get!(sns_configs),
        "telegram" => get!(telegram_configs),
        "webex" => get!(webex_configs),
        "msteams" => get!(msteams_configs),
        "msteamsv2" => get!(msteamsv2_configs),
        "jira" => get!(jira_configs),
        "rocketchat" => get!(opt rocketchat_configs),
        "mattermost" => get!(mattermost_configs),
        _ => None,
    };
    v.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_shape() {
        let mk = |i: &str, end: i64| Alert {
            labels: [
                ("alertname".to_string(), "A".to_string()),
                ("i".to_string(), i.to_string()),
            ]
            .into(),
            annotations: [("summary".to_string(), "s".to_string())].into(),
            starts_at: 1_000_000_000,
            ends_at: end,
            generator_url: "http://g".into(),
            updated_at: 0,
            timeout: false,
        };
        let n = Notification {
            receiver: "r".into(),
            group_key: "{}:{alertname=\"A\"}".into(),
            group_labels: [("alertname".to_string(), "A".to_string())].into(),
            alerts: vec![mk("1", 0), mk("2", 2_000_000_000)],
            external_url: "http://am:9093".into(),
            now: 3_000_000_000,
        };
        let p = webhook_payload(&n, 1);
        assert_eq!(p["status"], "firing");
        assert_eq!(p["version"], "4");
        assert_eq!(p["truncatedAlerts"], 1);
        assert_eq!(p["alerts"][0]["endsAt"], ZERO_TIME);
        assert_eq!(p["alerts"][0]["startsAt"], "1970-01-01T00:00:01Z");
        assert_eq!(p["commonLabels"], json!({"alertname": "A"}));
        assert_eq!(p["commonAnnotations"], json!({"summary": "s"}));
        let all = webhook_payload(&n, 0);
        assert_eq!(all["alerts"][1]["status"], "resolved");
        assert_eq!(all["alerts"][1]["endsAt"], "1970-01-01T00:00:02Z");
    }
}
