//! Integration configs for chat tools, AWS SNS, Jira and incident.io.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vigil_config::auth::SigV4Config;
use vigil_config::{Duration, HttpClientConfig, Secret};

use super::{at_most_one, integration, tmpl};
use crate::config::types::{GoDuration, HttpUrl, SecretUrl, lenient_map, yaml_bool, yaml_opt_bool};

integration!(
    /// `sns_configs`: AWS SNS publish.
    SnsConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        api_url: String = String::new(),
        sigv4: SigV4Config = SigV4Config::default(),
        topic_arn: String = String::new(),
        phone_number: String = String::new(),
        target_arn: String = String::new(),
        subject: String = tmpl("sns.default.subject"),
        message: String = tmpl("sns.default.message"),
        #[serde(deserialize_with = "lenient_map")]
        attributes: BTreeMap<String, String> = BTreeMap::new(),
        #[serde(deserialize_with = "yaml_bool")]
        use_aws_http_client: bool = false,
    }
);

impl SnsConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        // Alertmanager's test, kept as it is: (a == "") != (b == "") != (c == "").
        let (t, p, a) = (
            self.target_arn.is_empty(),
            self.topic_arn.is_empty(),
            self.phone_number.is_empty(),
        );
        if (t != p) != a {
            return Err(
                "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config"
                    .into(),
            );
        }
        Ok(())
    }
}

integration!(
    /// `telegram_configs`: Telegram Bot API messages.
    TelegramConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        api_url: Option<HttpUrl> = None,
        bot_token: Secret = Secret::default(),
        bot_token_file: String = String::new(),
        chat_id: i64 = 0,
        chat_id_file: String = String::new(),
        message_thread_id: i64 = 0,
        message: String = tmpl("telegram.default.message"),
        #[serde(deserialize_with = "yaml_bool")]
        disable_notifications: bool = false,
        parse_mode: String = "HTML".into(),
    }
);

impl TelegramConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        at_most_one(
            !self.bot_token.is_empty(),
            &self.bot_token_file,
            "bot_token",
        )?;
        if self.chat_id == 0 && self.chat_id_file.is_empty() {
            return Err("missing chat_id or chat_id_file on telegram_config".into());
        }
        at_most_one(self.chat_id != 0, &self.chat_id_file, "chat_id")?;
        if !["", "Markdown", "MarkdownV2", "HTML"].contains(&self.parse_mode.as_str()) {
            return Err("unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string".into());
        }
        Ok(())
    }
}

/// The checks shared by integrations addressed by one webhook URL.
fn webhook_url(url: bool, file: &str, name: &str) -> Result<(), String> {
    if !url && file.is_empty() {
        return Err(format!("one of {name} or {name}_file must be configured"));
    }
    at_most_one(url, file, name)
}

integration!(
    /// `discord_configs`: Discord webhooks.
    DiscordConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        webhook_url: Option<SecretUrl> = None,
        webhook_url_file: String = String::new(),
        content: String = String::new(),
        title: String = tmpl("discord.default.title"),
        message: String = tmpl("discord.default.message"),
        username: String = String::new(),
        avatar_url: String = String::new(),
    }
);

impl DiscordConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        webhook_url(
            self.webhook_url.is_some(),
            &self.webhook_url_file,
            "webhook_url",
        )
    }
}

integration!(
    /// `webex_configs`: Webex Teams messages.
    WebexConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        api_url: Option<HttpUrl> = None,
        message: String = tmpl("webex.default.message"),
        room_id: String = String::new(),
    }
);

impl WebexConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.room_id.is_empty() {
            return Err("missing room_id on webex_config".into());
        }
        if self
            .http_config
            .as_ref()
            .is_none_or(|h| h.authorization.is_none())
        {
            return Err("missing webex_configs.http_config.authorization".into());
        }
        Ok(())
    }
}

integration!(
    /// `msteams_configs`: Microsoft Teams incoming webhooks (connector cards).
    MsTeamsConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        webhook_url: Option<SecretUrl> = None,
        webhook_url_file: String = String::new(),
        title: String = tmpl("msteams.default.title"),
        summary: String = tmpl("msteams.default.summary"),
        text: String = tmpl("msteams.default.text"),
    }
);

impl MsTeamsConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        webhook_url(
            self.webhook_url.is_some(),
            &self.webhook_url_file,
            "webhook_url",
        )
    }
}

integration!(
    /// `msteamsv2_configs`: Microsoft Teams Workflows (adaptive cards).
    MsTeamsV2Config {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        webhook_url: Option<SecretUrl> = None,
        webhook_url_file: String = String::new(),
        title: String = tmpl("msteamsv2.default.title"),
        text: String = tmpl("msteamsv2.default.text"),
    }
);

impl MsTeamsV2Config {
    pub(crate) fn check(&self) -> Result<(), String> {
        webhook_url(
            self.webhook_url.is_some(),
            &self.webhook_url_file,
            "webhook_url",
        )
    }
}

/// A Jira field: a template string, or `{template, enable_update}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum JiraField {
    /// Just the template.
    Template(String),
    /// The template and whether updates rewrite the field.
    Full {
        /// `template`.
        #[serde(default)]
        template: String,
        /// `enable_update` (default true).
        #[serde(default, deserialize_with = "yaml_opt_bool")]
        enable_update: Option<bool>,
    },
}

integration!(
    /// `jira_configs`: Jira issues.
    JiraConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        api_url: Option<HttpUrl> = None,
        api_type: String = "auto".into(),
        project: String = String::new(),
        summary: JiraField = JiraField::Template(tmpl("jira.default.summary")),
        description: JiraField = JiraField::Template(tmpl("jira.default.description")),
        labels: Vec<String> = Vec::new(),
        priority: String = tmpl("jira.default.priority"),
        issue_type: String = String::new(),
        reopen_transition: String = String::new(),
        resolve_transition: String = String::new(),
        wont_fix_resolution: String = String::new(),
        reopen_duration: Duration = Duration::default(),
        fields: BTreeMap<String, serde_yaml_ng::Value> = BTreeMap::new(),
    }
);

impl JiraConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.project.is_empty() {
            return Err("missing project in jira_config".into());
        }
        if self.issue_type.is_empty() {
            return Err("missing issue_type in jira_config".into());
        }
        if !["auto", "cloud", "datacenter"].contains(&self.api_type.as_str()) {
            return Err(
                "unknown api_type on jira_config, must be auto, cloud or datacenter".into(),
            );
        }
        Ok(())
    }
}

/// A Rocket.Chat attachment field.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // the YAML keys
pub struct RocketchatField {
    #[serde(deserialize_with = "yaml_opt_bool")]
    pub short: Option<bool>,
    pub title: String,
    pub value: String,
}

/// A Rocket.Chat attachment action.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // the YAML keys
pub struct RocketchatAction {
    #[serde(rename = "type")]
    pub type_: String,
    pub text: String,
    pub url: String,
    pub image_url: String,
    #[serde(deserialize_with = "yaml_bool")]
    pub is_webview: bool,
    pub webview_height_ratio: String,
    pub msg: String,
    #[serde(deserialize_with = "yaml_bool")]
    pub msg_in_chat_window: bool,
    pub msg_processing_type: String,
}

integration!(
    /// `rocketchat_configs`: Rocket.Chat messages.
    RocketchatConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = false,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        api_url: Option<HttpUrl> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        token_id: Option<Secret> = None,
        token_id_file: String = String::new(),
        #[serde(skip_serializing_if = "Option::is_none")]
        token: Option<Secret> = None,
        token_file: String = String::new(),
        channel: String = String::new(),
        color: String = "{{ if eq .Status \"firing\" }}red{{ else }}green{{ end }}".into(),
        title: String = tmpl("rocketchat.default.title"),
        title_link: String = tmpl("rocketchat.default.titlelink"),
        text: String = tmpl("rocketchat.default.text"),
        fields: Vec<RocketchatField> = Vec::new(),
        #[serde(deserialize_with = "yaml_bool")]
        short_fields: bool = false,
        emoji: String = tmpl("rocketchat.default.emoji"),
        icon_url: String = tmpl("rocketchat.default.iconurl"),
        image_url: String = String::new(),
        thumb_url: String = String::new(),
        #[serde(deserialize_with = "yaml_bool")]
        link_names: bool = false,
        actions: Vec<RocketchatAction> = Vec::new(),
    }
);

impl RocketchatConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        at_most_one(self.token.is_some(), &self.token_file, "token")?;
        at_most_one(self.token_id.is_some(), &self.token_id_file, "token_id")
    }
}

/// A Mattermost attachment field.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // the YAML keys
pub struct MattermostField {
    pub title: String,
    pub value: String,
    #[serde(deserialize_with = "yaml_opt_bool")]
    pub short: Option<bool>,
}

/// A Mattermost attachment.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // the YAML keys
pub struct MattermostAttachment {
    pub fallback: String,
    pub color: String,
    pub pretext: String,
    pub text: String,
    pub author_name: String,
    pub author_link: String,
    pub author_icon: String,
    pub title: String,
    pub title_link: String,
    pub fields: Vec<MattermostField>,
    pub thumb_url: String,
    pub footer: String,
    pub footer_icon: String,
    pub image_url: String,
}

/// Mattermost message priority.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // the YAML keys
pub struct MattermostPriority {
    pub priority: String,
    #[serde(deserialize_with = "yaml_bool")]
    pub requested_ack: bool,
    #[serde(deserialize_with = "yaml_bool")]
    pub persistent_notifications: bool,
}

/// Mattermost message properties.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MattermostProps {
    /// `card`.
    pub card: String,
}

integration!(
    /// `mattermost_configs`: Mattermost incoming webhooks.
    MattermostConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        webhook_url: Option<SecretUrl> = None,
        webhook_url_file: String = String::new(),
        channel: String = String::new(),
        username: String = tmpl("mattermost.default.username"),
        text: String = tmpl("mattermost.default.text"),
        fallback: String = tmpl("mattermost.default.fallback"),
        color: String = tmpl("mattermost.default.color"),
        pretext: String = String::new(),
        author_name: String = String::new(),
        author_link: String = String::new(),
        author_icon: String = String::new(),
        title: String = tmpl("mattermost.default.title"),
        title_link: String = tmpl("mattermost.default.titlelink"),
        fields: Vec<MattermostField> = Vec::new(),
        thumb_url: String = String::new(),
        footer: String = String::new(),
        footer_icon: String = String::new(),
        image_url: String = String::new(),
        icon_url: String = String::new(),
        icon_emoji: String = String::new(),
        attachments: Vec<MattermostAttachment> = Vec::new(),
        #[serde(rename = "type")]
        type_: String = String::new(),
        #[serde(skip_serializing_if = "Option::is_none")]
        props: Option<MattermostProps> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        priority: Option<MattermostPriority> = None,
    }
);

impl MattermostConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        let fields = self
            .fields
            .iter()
            .chain(self.attachments.iter().flat_map(|a| a.fields.iter()));
        for f in fields {
            if f.title.is_empty() {
                return Err("missing title in Mattermost field configuration".into());
            }
            if f.value.is_empty() {
                return Err("missing value in Mattermost field configuration".into());
            }
        }
        at_most_one(
            self.webhook_url.is_some(),
            &self.webhook_url_file,
            "webhook_url",
        )
    }
}

integration!(
    /// `incidentio_configs`: incident.io alert sources.
    IncidentioConfig {
        #[serde(deserialize_with = "yaml_bool")]
        send_resolved: bool = true,
        #[serde(skip_serializing_if = "Option::is_none")]
        http_config: Option<HttpClientConfig> = None,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<HttpUrl> = None,
        url_file: String = String::new(),
        alert_source_token: Secret = Secret::default(),
        alert_source_token_file: String = String::new(),
        max_alerts: u64 = 0,
        timeout: GoDuration = GoDuration::default(),
    }
);

impl IncidentioConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        webhook_url(self.url.is_some(), &self.url_file, "url")?;
        let token = !self.alert_source_token.is_empty() || !self.alert_source_token_file.is_empty();
        at_most_one(
            !self.alert_source_token.is_empty(),
            &self.alert_source_token_file,
            "alert_source_token",
        )?;
        match &self.http_config {
            Some(h) if h.authorization.is_some() && token => Err("cannot specify alert_source_token or alert_source_token_file when using http_config.authorization".into()),
            Some(h) if h.authorization.is_none() && !token => Err("at least one of alert_source_token, alert_source_token_file or http_config.authorization must be configured".into()),
            _ => Ok(()),
        }
    }
}
