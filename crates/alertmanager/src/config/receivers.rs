//! Receivers: a name and lists of integration configs. Each integration's
//! struct holds its YAML fields with Alertmanager's defaults (the default
//! notification templates are named by `{{ template "…" . }}` calls) and
//! the checks Alertmanager makes on it alone; the checks that involve
//! `global` are in [`super::Config::validate`].

mod chat;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vigil_config::http::TlsConfig;
use vigil_config::{HttpClientConfig, Secret};

pub use chat::*;

use super::types::{
    GoDuration, HostPort, HttpUrl, SecretTemplateUrl, SecretUrl, lenient_map, lenient_string,
    yaml_bool, yaml_opt_bool,
};

/// Declares an integration config: a struct whose fields are the YAML keys,
/// unknown keys refused, and a `Default` holding Alertmanager's defaults.
macro_rules! integration {
    ($(#[$m:meta])* $name:ident { $( $(#[$fm:meta])* $field:ident : $ty:ty = $default:expr ),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
        #[serde(default, deny_unknown_fields)]
        #[allow(missing_docs)] // each field is the YAML key of the same name
        pub struct $name { $( $(#[$fm])* pub $field: $ty, )* }
        impl Default for $name {
            fn default() -> Self { $name { $( $field: $default, )* } }
        }
    };
}
pub(crate) use integration;

/// `{{ template "name" . }}`, the default value of templated fields.
pub(crate) fn tmpl(name: &str) -> String {
    format!("{{{{ template \"{name}\" . }}}}")
}

/// Refuses a value given both inline and as a file.
pub(crate) fn at_most_one(inline: bool, file: &str, a: &str) -> Result<(), String> {
    if inline && !file.is_empty() {
        return Err(format!("at most one of {a} & {a}_file must be configured"));
    }
    Ok(())
}

/// A receiver: where notifications of a route go.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // each list is the YAML key of the same name
pub struct Receiver {
    /// `name`, unique among receivers.
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub discord_configs: Vec<DiscordConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub email_configs: Vec<EmailConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incidentio_configs: Vec<IncidentioConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pagerduty_configs: Vec<PagerdutyConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slack_configs: Vec<Option<SlackConfig>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webhook_configs: Vec<WebhookConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub opsgenie_configs: Vec<Option<OpsGenieConfig>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wechat_configs: Vec<Option<WechatConfig>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pushover_configs: Vec<PushoverConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub victorops_configs: Vec<VictorOpsConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sns_configs: Vec<SnsConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telegram_configs: Vec<TelegramConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webex_configs: Vec<WebexConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub msteams_configs: Vec<MsTeamsConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub msteamsv2_configs: Vec<MsTeamsV2Config>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jira_configs: Vec<JiraConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rocketchat_configs: Vec<Option<RocketchatConfig>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mattermost_configs: Vec<MattermostConfig>,
}

impl Receiver {
    /// How many integrations the receiver has (0 is allowed: a sink).
    pub fn integration_count(&self) -> usize {
        self.discord_configs.len()
            + self.email_configs.len()
            + self.incidentio_configs.len()
            + self.pagerduty_configs.len()
            + self.slack_configs.len()
            + self.webhook_configs.len()
            + self.opsgenie_configs.len()
            + self.wechat_configs.len()
            + self.pushover_configs.len()
            + self.victorops_configs.len()
            + self.sns_configs.len()
            + self.telegram_configs.len()
            + self.webex_configs.len()
            + self.msteams_configs.len()
            + self.msteamsv2_configs.len()
            + self.jira_configs.len()
            + self.rocketchat_configs.len()
            + self.mattermost_configs.len()
    }
}

integration!(
    /// `webhook_configs`: POSTs Alertmanager's JSON payload to a URL.
    WebhookConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<SecretTemplateUrl> = None,
        url_file: String = String::new(),
        /// Most alerts per message; 0 means all.
        max_alerts: u64 = 0,
        /// Request timeout; 0 means none beyond the notification's.
        timeout: GoDuration = GoDuration::default(),
        #[serde(skip_serializing_if = "Option::is_none")]
        payload: Option<serde_yaml_ng::Value> = None,
    }
);

impl WebhookConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        let url = self.url.as_ref().is_some_and(|u| !u.0.is_empty());
        if !url && self.url_file.is_empty() {
            return Err("one of url or url_file must be configured".into());
        }
        if url && !self.url_file.is_empty() {
            return Err("at most one of url & url_file must be configured".into());
        }
        Ok(())
    }
}

/// `email_configs[].threading`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThreadingConfig {
    /// `enabled`.
    #[serde(deserialize_with = "yaml_bool")]
    pub enabled: bool,
    /// `thread_by_date`: `none` or `daily`.
    pub thread_by_date: String,
}

integration!(
    /// `email_configs`: SMTP notifications.
    EmailConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = false,
        to: String = String::new(),
        from: String = String::new(),
        hello: String = String::new(),
        smarthost: HostPort = HostPort::default(),
        auth_username: String = String::new(),
        auth_password: Secret = Secret::default(),
        auth_password_file: String = String::new(),
        auth_secret: Secret = Secret::default(),
        auth_secret_file: String = String::new(),
        auth_identity: String = String::new(),
        #[serde(deserialize_with = "lenient_map")]
        headers: BTreeMap<String, String> = BTreeMap::new(),
        html: String = tmpl("email.default.html"),
        text: String = String::new(),
        #[serde(deserialize_with = "yaml_opt_bool", skip_serializing_if = "Option::is_none")]
        require_tls: Option<bool> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        tls_config: Option<TlsConfig> = None,
        #[serde(deserialize_with = "yaml_opt_bool", skip_serializing_if = "Option::is_none")]
        force_implicit_tls: Option<bool> = None,
        threading: ThreadingConfig = ThreadingConfig::default(),
    }
);

/// Go's `textproto.CanonicalMIMEHeaderKey` for ASCII keys: each word capitalised.
fn canonical_header(h: &str) -> String {
    let mut out = String::with_capacity(h.len());
    let mut upper = true;
    for c in h.chars() {
        out.push(if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        upper = c == '-';
    }
    out
}

impl EmailConfig {
    pub(crate) fn check(&mut self) -> Result<(), String> {
        if self.to.is_empty() {
            return Err("missing to address in email config".into());
        }
        let mut normalized = BTreeMap::new();
        for (h, v) in std::mem::take(&mut self.headers) {
            let key = canonical_header(&h);
            if normalized.insert(key.clone(), v).is_some() {
                return Err(format!("duplicate header {key:?} in email config"));
            }
        }
        self.headers = normalized;
        if self.threading.enabled {
            for h in ["References", "In-Reply-To"] {
                if self.headers.contains_key(h) {
                    return Err(format!(
                        "conflicting configuration: threading.enabled conflicts with custom {h} header"
                    ));
                }
            }
            if !["none", "daily"].contains(&self.threading.thread_by_date.as_str()) {
                return Err("threading.thread_by_date must be either 'none' or 'daily'".into());
            }
        }
        Ok(())
    }
}

/// A PagerDuty link.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PagerdutyLink {
    /// `href`.
    pub href: String,
    /// `text`.
    pub text: String,
}

/// A PagerDuty image.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PagerdutyImage {
    /// `src`.
    pub src: String,
    /// `alt`.
    pub alt: String,
    /// `href`.
    pub href: String,
}

integration!(
    /// `pagerduty_configs`: PagerDuty Events API v1 (service key) or v2 (routing key).
    PagerdutyConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        service_key: Secret = Secret::default(),
        service_key_file: String = String::new(),
        routing_key: Secret = Secret::default(),
        routing_key_file: String = String::new(),
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<HttpUrl> = None,
        client: String = tmpl("pagerduty.default.client"),
        client_url: String = tmpl("pagerduty.default.clientURL"),
        description: String = tmpl("pagerduty.default.description"),
        details: BTreeMap<String, serde_yaml_ng::Value> = BTreeMap::new(),
        images: Vec<PagerdutyImage> = Vec::new(),
        links: Vec<PagerdutyLink> = Vec::new(),
        source: String = String::new(),
        severity: String = String::new(),
        class: String = String::new(),
        component: String = String::new(),
        group: String = String::new(),
        timeout: GoDuration = GoDuration::default(),
    }
);

impl PagerdutyConfig {
    pub(crate) fn check(&mut self) -> Result<(), String> {
        if self.routing_key.is_empty()
            && self.service_key.is_empty()
            && self.routing_key_file.is_empty()
            && self.service_key_file.is_empty()
        {
            return Err("missing service or routing key in PagerDuty config".into());
        }
        at_most_one(
            !self.routing_key.is_empty(),
            &self.routing_key_file,
            "routing_key",
        )?;
        at_most_one(
            !self.service_key.is_empty(),
            &self.service_key_file,
            "service_key",
        )?;
        if self.source.is_empty() {
            self.source = self.client.clone();
        }
        for (k, v) in [
            ("firing", "{{ .Alerts.Firing | toJson }}"),
            ("resolved", "{{ .Alerts.Resolved | toJson }}"),
            ("num_firing", "{{ .Alerts.Firing | len }}"),
            ("num_resolved", "{{ .Alerts.Resolved | len }}"),
        ] {
            self.details
                .entry(k.to_string())
                .or_insert_with(|| serde_yaml_ng::Value::String(v.into()));
        }
        Ok(())
    }
}

/// A Slack message field.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlackField {
    /// `title` (required).
    pub title: String,
    /// `value` (required).
    pub value: String,
    /// `short`.
    #[serde(
        deserialize_with = "yaml_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub short: Option<bool>,
}

/// A Slack confirmation dialog.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // the YAML keys
pub struct SlackConfirmationField {
    pub text: String,
    pub title: String,
    pub ok_text: String,
    pub dismiss_text: String,
}

/// A Slack message action (button).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // the YAML keys
pub struct SlackAction {
    #[serde(rename = "type")]
    pub type_: String,
    pub text: String,
    pub url: String,
    pub style: String,
    pub name: String,
    pub value: String,
    #[serde(rename = "confirm", skip_serializing_if = "Option::is_none")]
    pub confirm: Option<SlackConfirmationField>,
}

integration!(
    /// `slack_configs`: incoming webhooks or the Web API with an app token.
    SlackConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = false,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        api_url: Option<SecretUrl> = None,
        api_url_file: String = String::new(),
        app_token: Secret = Secret::default(),
        app_token_file: String = String::new(),
        #[serde(skip_serializing_if = "Option::is_none")]
        app_url: Option<HttpUrl> = None,
        channel: String = String::new(),
        username: String = tmpl("slack.default.username"),
        color: String = tmpl("slack.default.color"),
        title: String = tmpl("slack.default.title"),
        title_link: String = tmpl("slack.default.titlelink"),
        pretext: String = tmpl("slack.default.pretext"),
        text: String = tmpl("slack.default.text"),
        message_text: String = String::new(),
        fields: Vec<SlackField> = Vec::new(),
        #[serde(deserialize_with = "yaml_bool")]
        short_fields: bool = false,
        footer: String = tmpl("slack.default.footer"),
        fallback: String = tmpl("slack.default.fallback"),
        callback_id: String = tmpl("slack.default.callbackid"),
        icon_emoji: String = tmpl("slack.default.iconemoji"),
        icon_url: String = tmpl("slack.default.iconurl"),
        image_url: String = String::new(),
        thumb_url: String = String::new(),
        #[serde(deserialize_with = "yaml_bool")]
        link_names: bool = false,
        mrkdwn_in: Vec<String> = Vec::new(),
        actions: Vec<SlackAction> = Vec::new(),
        #[serde(deserialize_with = "yaml_bool")]
        update_message: bool = false,
        timeout: GoDuration = GoDuration::default(),
    }
);

impl SlackConfig {
    pub(crate) fn check(&mut self) -> Result<(), String> {
        for f in &self.fields {
            if f.title.is_empty() {
                return Err("missing title in Slack field configuration".into());
            }
            if f.value.is_empty() {
                return Err("missing value in Slack field configuration".into());
            }
        }
        for a in &mut self.actions {
            if a.type_.is_empty() {
                return Err("missing type in Slack action configuration".into());
            }
            if a.text.is_empty() {
                return Err("missing text in Slack action configuration".into());
            }
            if !a.url.is_empty() {
                a.name.clear();
                a.value.clear();
                a.confirm = None;
            } else if a.name.is_empty() {
                return Err("missing name or url in Slack action configuration".into());
            }
            if a.confirm.as_ref().is_some_and(|c| c.text.is_empty()) {
                return Err("missing text in Slack confirmation configuration".into());
            }
        }
        at_most_one(self.api_url.is_some(), &self.api_url_file, "api_url")?;
        at_most_one(
            !self.app_token.is_empty(),
            &self.app_token_file,
            "app_token",
        )?;
        if (self.api_url.is_some() || !self.api_url_file.is_empty())
            && (!self.app_token.is_empty() || !self.app_token_file.is_empty())
        {
            return Err(
                "at most one of api_url/api_url_file & app_token/app_token_file must be configured"
                    .into(),
            );
        }
        if self.update_message
            && self.api_url.as_ref().map(SecretUrl::expose)
                != Some("https://slack.com/api/chat.postMessage")
        {
            return Err("update_message can only be used with bot tokens. api_url must be set to https://slack.com/api/chat.postMessage".into());
        }
        Ok(())
    }
}

/// An OpsGenie responder.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // the YAML keys
pub struct OpsGenieResponder {
    pub id: String,
    pub name: String,
    pub username: String,
    #[serde(rename = "type")]
    pub type_: String,
}

integration!(
    /// `opsgenie_configs`: OpsGenie Alert API.
    OpsGenieConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        api_key: Secret = Secret::default(),
        api_key_file: String = String::new(),
        #[serde(skip_serializing_if = "Option::is_none")]
        api_url: Option<HttpUrl> = None,
        message: String = tmpl("opsgenie.default.message"),
        description: String = tmpl("opsgenie.default.description"),
        source: String = tmpl("opsgenie.default.source"),
        #[serde(deserialize_with = "lenient_map")]
        details: BTreeMap<String, String> = BTreeMap::new(),
        entity: String = String::new(),
        responders: Vec<OpsGenieResponder> = Vec::new(),
        actions: String = String::new(),
        tags: String = String::new(),
        note: String = String::new(),
        priority: String = String::new(),
        #[serde(deserialize_with = "yaml_bool")]
        update_alerts: bool = false,
    }
);

impl OpsGenieConfig {
    pub(crate) fn check(&mut self) -> Result<(), String> {
        at_most_one(!self.api_key.is_empty(), &self.api_key_file, "api_key")?;
        for r in &mut self.responders {
            if r.id.is_empty() && r.username.is_empty() && r.name.is_empty() {
                return Err(format!(
                    "opsGenieConfig responder {r:?} has to have at least one of id, username or name specified"
                ));
            }
            if !r.type_.contains("{{") {
                r.type_ = r.type_.to_lowercase();
                if !["team", "teams", "user", "escalation", "schedule"].contains(&r.type_.as_str())
                {
                    return Err(format!(
                        "opsGenieConfig responder {r:?} type does not match valid options ^(team|teams|user|escalation|schedule)$"
                    ));
                }
            }
        }
        Ok(())
    }
}

integration!(
    /// `wechat_configs`: WeChat Work messages.
    WechatConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = false,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        api_secret: Secret = Secret::default(),
        api_secret_file: String = String::new(),
        #[serde(deserialize_with = "lenient_string")]
        corp_id: String = String::new(),
        message: String = tmpl("wechat.default.message"),
        #[serde(skip_serializing_if = "Option::is_none")]
        api_url: Option<HttpUrl> = None,
        #[serde(deserialize_with = "lenient_string")]
        to_user: String = tmpl("wechat.default.to_user"),
        #[serde(deserialize_with = "lenient_string")]
        to_party: String = tmpl("wechat.default.to_party"),
        #[serde(deserialize_with = "lenient_string")]
        to_tag: String = tmpl("wechat.default.to_tag"),
        #[serde(deserialize_with = "lenient_string")]
        agent_id: String = tmpl("wechat.default.agent_id"),
        message_type: String = String::new(),
    }
);

impl WechatConfig {
    pub(crate) fn check(&mut self) -> Result<(), String> {
        if self.message_type.is_empty() {
            self.message_type = "text".into();
        }
        if !["text", "markdown"].contains(&self.message_type.as_str()) {
            return Err(format!(
                "weChat message type {:?} does not match valid options ^(text|markdown)$",
                self.message_type
            ));
        }
        at_most_one(
            !self.api_secret.is_empty(),
            &self.api_secret_file,
            "api_secret",
        )
    }
}

integration!(
    /// `victorops_configs`: Splunk On-Call (VictorOps) REST endpoint.
    VictorOpsConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        api_key: Secret = Secret::default(),
        api_key_file: String = String::new(),
        #[serde(skip_serializing_if = "Option::is_none")]
        api_url: Option<HttpUrl> = None,
        routing_key: String = String::new(),
        message_type: String = "CRITICAL".into(),
        state_message: String = tmpl("victorops.default.state_message"),
        entity_display_name: String = tmpl("victorops.default.entity_display_name"),
        monitoring_tool: String = tmpl("victorops.default.monitoring_tool"),
        #[serde(deserialize_with = "lenient_map")]
        custom_fields: BTreeMap<String, String> = BTreeMap::new(),
    }
);

impl VictorOpsConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.routing_key.is_empty() {
            return Err("missing Routing key in VictorOps config".into());
        }
        at_most_one(!self.api_key.is_empty(), &self.api_key_file, "api_key")?;
        for f in [
            "routing_key",
            "message_type",
            "state_message",
            "entity_display_name",
            "monitoring_tool",
            "entity_id",
            "entity_state",
        ] {
            if self.custom_fields.contains_key(f) {
                return Err(format!(
                    "victorOps config contains custom field {f} which cannot be used as it conflicts with the fixed/static fields"
                ));
            }
        }
        Ok(())
    }
}

integration!(
    /// `pushover_configs`: Pushover messages.
    PushoverConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        user_key: Secret = Secret::default(),
        user_key_file: String = String::new(),
        token: Secret = Secret::default(),
        token_file: String = String::new(),
        title: String = tmpl("pushover.default.title"),
        message: String = tmpl("pushover.default.message"),
        url: String = tmpl("pushover.default.url"),
        url_title: String = String::new(),
        device: String = String::new(),
        sound: String = String::new(),
        priority: String = "{{ if eq .Status \"firing\" }}2{{ else }}0{{ end }}".into(),
        retry: GoDuration = GoDuration(std::time::Duration::from_secs(60)),
        expire: GoDuration = GoDuration(std::time::Duration::from_secs(3600)),
        ttl: GoDuration = GoDuration::default(),
        #[serde(deserialize_with = "yaml_bool")]
        html: bool = false,
        #[serde(deserialize_with = "yaml_bool")]
        monospace: bool = false,
    }
);

impl PushoverConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.user_key.is_empty() && self.user_key_file.is_empty() {
            return Err("one of user_key or user_key_file must be configured".into());
        }
        at_most_one(!self.user_key.is_empty(), &self.user_key_file, "user_key")?;
        if self.token.is_empty() && self.token_file.is_empty() {
            return Err("one of token or token_file must be configured".into());
        }
        at_most_one(!self.token.is_empty(), &self.token_file, "token")?;
        if self.html && self.monospace {
            return Err("at most one of monospace & html must be configured".into());
        }
        Ok(())
    }
}
