//! The webhook integration: Alertmanager's JSON payload (version 4:
//! receiver, status, alerts with their fingerprints, group/common labels
//! and annotations, external URL, group key, `truncatedAlerts` when
//! `max_alerts` cuts the list). Firing alerts show Go's zero time as
//! `endsAt`, as Alertmanager hides an end that has not been reached.

use serde_json::{Value, json};

use super::http::{Http, Outgoing};
use super::{Ctx, Notification, NotifyError, alert_json, read_secret_file};
use crate::config::receivers::WebhookConfig;
use crate::template::common;

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

/// The request a webhook makes; a templated URL is executed first.
pub(crate) fn build(ctx: &Ctx<'_>, cfg: &WebhookConfig) -> Result<Outgoing, NotifyError> {
    let url = match &cfg.url {
        Some(u) if !u.0.is_empty() => u.0.expose().to_string(),
        _ => read_secret_file(&cfg.url_file)?,
    };
    let url = if url.contains("{{") {
        ctx.text(&url)?.trim().to_string()
    } else {
        url
    };
    let mut out = Outgoing::post_json(url, webhook_payload(ctx.n, cfg.max_alerts));
    out.timeout = cfg.timeout.0;
    Ok(out)
}

pub(crate) async fn send(ctx: &Ctx<'_>, cfg: &WebhookConfig, ua: &str) -> Result<(), NotifyError> {
    let out = build(ctx, cfg)?;
    Http::new(cfg.http_config.as_ref(), ua)?.send(&out).await
}

/// Posts the payload to a webhook with the default templates (the
/// server's entry point before [`super::Notifier`]).
pub async fn send_webhook(
    _client: &reqwest::Client,
    cfg: &WebhookConfig,
    n: &Notification,
    user_agent: &str,
) -> Result<(), NotifyError> {
    let tmpl = crate::template::Templates::defaults()?;
    let data = n.data();
    let ctx = Ctx {
        tmpl: &tmpl,
        data: &data,
        n,
    };
    let ua = user_agent.to_string();
    send(&ctx, cfg, &ua).await
}

/// incident.io: the webhook payload, authorised by the alert source token
/// (or the `http_config` authorization); 429 is retried.
pub(crate) fn incidentio(
    ctx: &Ctx<'_>,
    c: &crate::config::receivers::IncidentioConfig,
) -> Result<Outgoing, NotifyError> {
    let url = match &c.url {
        Some(u) => u.as_str().to_string(),
        None => read_secret_file(&c.url_file)?,
    };
    let mut out = Outgoing::post_json(url, webhook_payload(ctx.n, c.max_alerts));
    let token = super::secret(&c.alert_source_token, &c.alert_source_token_file)?;
    if !token.is_empty() {
        out = out.header("Authorization", format!("Bearer {token}"));
    }
    out.retry_codes = vec![429];
    out.timeout = c.timeout.0;
    Ok(out)
}
