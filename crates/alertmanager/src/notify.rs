//! Sending notifications: one module per integration builds its request
//! from the receiver's config and the notification's template [`Data`];
//! [`Notifier`] runs an integration with retries and keeps Alertmanager's
//! `alertmanager_notification*` metrics ([`Metrics`]).
//!
//! Each HTTP integration is a pure function from (config, templates,
//! notification) to an [`Outgoing`] request, so payloads are tested
//! without a network; [`http`] sends it with the integration's
//! `http_config`. Email speaks SMTP itself ([`smtp`]).
//!
//! Integrations: webhook, email, Slack, PagerDuty (Events v2 and v1),
//! OpsGenie, Discord, Microsoft Teams (both kinds), Telegram, Webex,
//! Mattermost, Rocket.Chat, Pushover, VictorOps, WeChat, SNS (signed with
//! Signature V4), incident.io. Jira reports [`NotifyError::Unsupported`].

mod chat;
mod email;
pub mod http;
mod metrics;
mod opsgenie;
mod pagerduty;
mod paging;
mod slack;
pub mod smtp;
mod sns;
mod team;
mod webhook;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::{Value, json};

use crate::alert::Alert;
use crate::config::Receiver;
use crate::matcher::LabelSet;
use crate::template::{Data, TemplateError, Templates};
use crate::time::format_rfc3339;

pub use http::{Body, Outgoing};
pub use metrics::{Metrics, Reason};
pub use webhook::{send_webhook, webhook_payload};

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

impl Notification {
    /// The template data of the notification.
    pub fn data(&self) -> Data {
        Data::new(
            &self.receiver,
            &self.group_labels,
            &self.alerts,
            &self.external_url,
            self.now,
        )
    }

    /// The group key's SHA-256 in hex: the deduplication key integrations
    /// get, as some limit its length.
    pub fn key_hash(&self) -> String {
        use sha2::Digest as _;
        let d = sha2::Sha256::digest(self.group_key.as_bytes());
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether every alert is resolved.
    pub fn resolved(&self) -> bool {
        self.alerts.iter().all(|a| a.resolved_at(self.now))
    }
}

/// Why a notification failed.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Worth retrying (network error).
    #[error("{0}")]
    Retry(String),
    /// Not worth retrying (bad configuration, template error).
    #[error("{0}")]
    Permanent(String),
    /// The integration is not implemented yet.
    #[error("{0} notifications are not supported yet")]
    Unsupported(&'static str),
    /// The receiver answered with an unsuccessful status.
    #[error("{msg}")]
    Status {
        /// The HTTP status code.
        code: u16,
        /// Whether the integration retries this status.
        retry: bool,
        /// The message, with what the receiver said.
        msg: String,
    },
    /// The request timed out.
    #[error("{0}")]
    Timeout(String),
}

impl NotifyError {
    /// Whether a later attempt may succeed.
    pub fn retriable(&self) -> bool {
        match self {
            NotifyError::Retry(_) | NotifyError::Timeout(_) => true,
            NotifyError::Status { retry, .. } => *retry,
            NotifyError::Permanent(_) | NotifyError::Unsupported(_) => false,
        }
    }

    /// The `reason` label of `alertmanager_notifications_failed_total`.
    pub fn reason(&self) -> Reason {
        match self {
            NotifyError::Status { code, .. } => Reason::from_status(*code),
            NotifyError::Timeout(_) => Reason::ContextDeadlineExceeded,
            _ => Reason::Other,
        }
    }
}

impl From<TemplateError> for NotifyError {
    fn from(e: TemplateError) -> NotifyError {
        NotifyError::Permanent(format!("template: {e}"))
    }
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

/// Reads a secret kept in a file, trimmed as Alertmanager trims it.
pub(crate) fn read_secret_file(path: &str) -> Result<String, NotifyError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| NotifyError::Permanent(format!("reading {path}: {e}")))
}

/// A secret given inline or as a file.
pub(crate) fn secret(inline: &vigil_config::Secret, file: &str) -> Result<String, NotifyError> {
    if inline.is_empty() && !file.is_empty() {
        read_secret_file(file)
    } else {
        Ok(inline.expose().to_string())
    }
}

/// Cuts `s` to at most `n` characters, the last one `…` when cut, as
/// Alertmanager truncates titles and messages.
pub(crate) fn truncate_runes(s: String, n: usize) -> String {
    if s.chars().count() <= n {
        return s;
    }
    if n <= 3 {
        return s.chars().take(n).collect();
    }
    let mut out: String = s.chars().take(n - 1).collect();
    out.push('…');
    out
}

/// What an integration needs to build its request.
pub(crate) struct Ctx<'a> {
    /// The templates.
    pub tmpl: &'a Templates,
    /// The template data.
    pub data: &'a Data,
    /// The notification.
    pub n: &'a Notification,
}

impl Ctx<'_> {
    /// Executes a text template field.
    pub(crate) fn text(&self, t: &str) -> Result<String, NotifyError> {
        Ok(self.tmpl.execute_text(t, &self.data.value)?)
    }

    /// Executes an HTML template field.
    pub(crate) fn html(&self, t: &str) -> Result<String, NotifyError> {
        Ok(self.tmpl.execute_html(t, &self.data.value)?)
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
            Err(e) if e.retriable() && start.elapsed() + wait < budget => {
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

/// Every integration kind, as the `integration` label names them.
pub const KINDS: [&str; 18] = [
    "discord",
    "email",
    "incidentio",
    "pagerduty",
    "slack",
    "webhook",
    "opsgenie",
    "wechat",
    "pushover",
    "victorops",
    "sns",
    "telegram",
    "webex",
    "msteams",
    "msteamsv2",
    "jira",
    "rocketchat",
    "mattermost",
];

/// The integrations of a receiver, as `(kind, index)`, for the
/// notification log keys and metrics.
pub fn integrations(r: &Receiver) -> Vec<(&'static str, usize)> {
    let counts = [
        r.discord_configs.len(),
        r.email_configs.len(),
        r.incidentio_configs.len(),
        r.pagerduty_configs.len(),
        r.slack_configs.len(),
        r.webhook_configs.len(),
        r.opsgenie_configs.len(),
        r.wechat_configs.len(),
        r.pushover_configs.len(),
        r.victorops_configs.len(),
        r.sns_configs.len(),
        r.telegram_configs.len(),
        r.webex_configs.len(),
        r.msteams_configs.len(),
        r.msteamsv2_configs.len(),
        r.jira_configs.len(),
        r.rocketchat_configs.len(),
        r.mattermost_configs.len(),
    ];
    KINDS
        .iter()
        .zip(counts)
        .flat_map(|(k, n)| (0..n).map(move |i| (*k, i)))
        .collect()
}

/// Whether an integration sends resolved alerts.
pub fn send_resolved(r: &Receiver, kind: &str, i: usize) -> bool {
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

/// Sends notifications for the server: the current templates, the
/// `User-Agent`, and the metrics of every attempt.
///
/// The server holds one, calls [`Notifier::load_templates`] when the
/// configuration is (re)loaded, [`Notifier::send`] for each integration
/// of a flush, and appends [`Metrics::render`] to `/metrics`.
#[derive(Debug)]
pub struct Notifier {
    templates: RwLock<Arc<Templates>>,
    metrics: Metrics,
    user_agent: String,
}

impl Notifier {
    /// A notifier with the default templates; `version` goes into `User-Agent`.
    pub fn new(version: &str) -> Result<Notifier, TemplateError> {
        Ok(Notifier {
            templates: RwLock::new(Arc::new(Templates::defaults()?)),
            metrics: Metrics::default(),
            user_agent: user_agent(version),
        })
    }

    /// Loads the defaults and the configuration's `templates` files; on
    /// error the templates in use stay.
    pub fn load_templates(&self, patterns: &[String]) -> Result<(), TemplateError> {
        self.set_templates(Templates::from_globs(patterns)?);
        Ok(())
    }

    /// Replaces the templates in use with ones already parsed (the server
    /// parses them once, while validating a configuration).
    pub fn set_templates(&self, t: Templates) {
        *self.templates.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(t);
    }

    /// The templates in use.
    pub fn templates(&self) -> Arc<Templates> {
        self.templates
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The notification metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Sends `n` through integration `kind`/`idx` of `receiver`, retrying
    /// within `budget`; records `alertmanager_notifications_total`,
    /// `_failed_total{reason}`, `alertmanager_notification_requests_*`
    /// and the latency of each attempt.
    pub async fn send(
        &self,
        kind: &'static str,
        idx: usize,
        receiver: &Receiver,
        n: &Notification,
        budget: Duration,
    ) -> Result<(), NotifyError> {
        let tmpl = self.templates();
        let data = n.data();
        self.metrics.notification(kind);
        let (result, _) = with_retries(budget, || async {
            let start = std::time::Instant::now();
            let r = self.send_once(&tmpl, &data, kind, idx, receiver, n).await;
            self.metrics.request(kind, r.is_ok(), start.elapsed());
            r
        })
        .await;
        if let Err(e) = &result {
            self.metrics.failed(kind, e.reason());
            log::warn!(
                "notify failed: receiver={} integration={kind}[{idx}] err={e}",
                n.receiver
            );
        }
        result
    }

    /// One attempt, without retries or metrics.
    pub async fn send_once(
        &self,
        tmpl: &Templates,
        data: &Data,
        kind: &'static str,
        idx: usize,
        r: &Receiver,
        n: &Notification,
    ) -> Result<(), NotifyError> {
        let ctx = Ctx { tmpl, data, n };
        let ua = self.user_agent.as_str();
        let missing = || NotifyError::Permanent(format!("no {kind} integration {idx}"));
        match kind {
            "webhook" => {
                let c = r.webhook_configs.get(idx).ok_or_else(missing)?;
                webhook::send(&ctx, c, ua).await
            }
            "email" => {
                let c = r.email_configs.get(idx).ok_or_else(missing)?;
                email::send(&ctx, c).await
            }
            "wechat" => {
                let c = r
                    .wechat_configs
                    .get(idx)
                    .and_then(Option::as_ref)
                    .ok_or_else(missing)?;
                paging::wechat_send(&ctx, c, ua).await
            }
            _ => {
                let (out, h) = build(&ctx, kind, idx, r)?;
                http::Http::new(h, ua)?.deliver(out).await
            }
        }
    }
}

fn opt<T>(c: Option<&Option<T>>) -> Option<&T> {
    c.and_then(Option::as_ref)
}

/// The request an HTTP integration makes, with its client options.
pub(crate) fn build<'r>(
    ctx: &Ctx<'_>,
    kind: &'static str,
    idx: usize,
    r: &'r Receiver,
) -> Result<(Outgoing, Option<&'r vigil_config::HttpClientConfig>), NotifyError> {
    let missing = || NotifyError::Permanent(format!("no {kind} integration {idx}"));
    Ok(match kind {
        "slack" => {
            let c = opt(r.slack_configs.get(idx)).ok_or_else(missing)?;
            (slack::build(ctx, c)?, c.http_config.as_ref())
        }
        "pagerduty" => {
            let c = r.pagerduty_configs.get(idx).ok_or_else(missing)?;
            (pagerduty::build(ctx, c)?, c.http_config.as_ref())
        }
        "opsgenie" => {
            let c = opt(r.opsgenie_configs.get(idx)).ok_or_else(missing)?;
            (opsgenie::build(ctx, c)?, c.http_config.as_ref())
        }
        "discord" => {
            let c = r.discord_configs.get(idx).ok_or_else(missing)?;
            (chat::discord(ctx, c)?, c.http_config.as_ref())
        }
        "msteams" => {
            let c = r.msteams_configs.get(idx).ok_or_else(missing)?;
            (chat::msteams(ctx, c)?, c.http_config.as_ref())
        }
        "msteamsv2" => {
            let c = r.msteamsv2_configs.get(idx).ok_or_else(missing)?;
            (chat::msteamsv2(ctx, c)?, c.http_config.as_ref())
        }
        "telegram" => {
            let c = r.telegram_configs.get(idx).ok_or_else(missing)?;
            (chat::telegram(ctx, c)?, c.http_config.as_ref())
        }
        "webex" => {
            let c = r.webex_configs.get(idx).ok_or_else(missing)?;
            (chat::webex(ctx, c)?, c.http_config.as_ref())
        }
        "mattermost" => {
            let c = r.mattermost_configs.get(idx).ok_or_else(missing)?;
            (team::mattermost(ctx, c)?, c.http_config.as_ref())
        }
        "rocketchat" => {
            let c = opt(r.rocketchat_configs.get(idx)).ok_or_else(missing)?;
            (team::rocketchat(ctx, c)?, c.http_config.as_ref())
        }
        "pushover" => {
            let c = r.pushover_configs.get(idx).ok_or_else(missing)?;
            (paging::pushover(ctx, c)?, c.http_config.as_ref())
        }
        "victorops" => {
            let c = r.victorops_configs.get(idx).ok_or_else(missing)?;
            (paging::victorops(ctx, c)?, c.http_config.as_ref())
        }
        "incidentio" => {
            let c = r.incidentio_configs.get(idx).ok_or_else(missing)?;
            (webhook::incidentio(ctx, c)?, c.http_config.as_ref())
        }
        "sns" => {
            let c = r.sns_configs.get(idx).ok_or_else(missing)?;
            (sns::build(ctx, c)?, c.http_config.as_ref())
        }
        "wechat" => {
            let c = opt(r.wechat_configs.get(idx)).ok_or_else(missing)?;
            (paging::wechat(ctx, c)?, c.http_config.as_ref())
        }
        other => return Err(NotifyError::Unsupported(other)),
    })
}

#[cfg(test)]
mod tests;
