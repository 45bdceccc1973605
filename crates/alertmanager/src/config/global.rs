//! The `global` section: `resolve_timeout`, the HTTP client options every
//! receiver inherits, and per-integration defaults (SMTP, Slack, OpsGenie,
//! WeChat, VictorOps, Telegram, Webex, Rocket.Chat, Mattermost, Jira,
//! PagerDuty) that receivers fall back to.

use serde::{Deserialize, Serialize};
use vigil_config::http::TlsConfig;
use vigil_config::{Duration, HttpClientConfig, Secret};

use super::types::{HostPort, HttpUrl, SecretUrl, yaml_bool, yaml_opt_bool};
use crate::error::ConfigError;

fn is_empty(s: &str) -> bool {
    s.is_empty()
}

/// The `global` section, with Alertmanager's defaults.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // each field is the YAML key of the same name
pub struct GlobalConfig {
    /// Time after which an alert that is no longer updated is resolved (5m).
    pub resolve_timeout: Duration,
    /// HTTP client options for every receiver without its own `http_config`.
    pub http_config: HttpClientConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jira_api_url: Option<HttpUrl>,
    #[serde(skip_serializing_if = "is_empty")]
    pub smtp_from: String,
    #[serde(skip_serializing_if = "is_empty")]
    pub smtp_hello: String,
    #[serde(skip_serializing_if = "HostPort::is_empty")]
    pub smtp_smarthost: HostPort,
    #[serde(skip_serializing_if = "is_empty")]
    pub smtp_auth_username: String,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub smtp_auth_password: Secret,
    #[serde(skip_serializing_if = "is_empty")]
    pub smtp_auth_password_file: String,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub smtp_auth_secret: Secret,
    #[serde(skip_serializing_if = "is_empty")]
    pub smtp_auth_secret_file: String,
    #[serde(skip_serializing_if = "is_empty")]
    pub smtp_auth_identity: String,
    #[serde(deserialize_with = "yaml_bool")]
    pub smtp_require_tls: bool,
    pub smtp_tls_config: TlsConfig,
    #[serde(
        deserialize_with = "yaml_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub smtp_force_implicit_tls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack_api_url: Option<SecretUrl>,
    #[serde(skip_serializing_if = "is_empty")]
    pub slack_api_url_file: String,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub slack_app_token: Secret,
    #[serde(skip_serializing_if = "is_empty")]
    pub slack_app_token_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack_app_url: Option<HttpUrl>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagerduty_url: Option<HttpUrl>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opsgenie_api_url: Option<HttpUrl>,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub opsgenie_api_key: Secret,
    #[serde(skip_serializing_if = "is_empty")]
    pub opsgenie_api_key_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wechat_api_url: Option<HttpUrl>,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub wechat_api_secret: Secret,
    #[serde(skip_serializing_if = "is_empty")]
    pub wechat_api_secret_file: String,
    #[serde(skip_serializing_if = "is_empty")]
    pub wechat_api_corp_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victorops_api_url: Option<HttpUrl>,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub victorops_api_key: Secret,
    #[serde(skip_serializing_if = "is_empty")]
    pub victorops_api_key_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telegram_api_url: Option<HttpUrl>,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub telegram_bot_token: Secret,
    #[serde(skip_serializing_if = "is_empty")]
    pub telegram_bot_token_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webex_api_url: Option<HttpUrl>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rocketchat_api_url: Option<HttpUrl>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rocketchat_token: Option<Secret>,
    #[serde(skip_serializing_if = "is_empty")]
    pub rocketchat_token_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rocketchat_token_id: Option<Secret>,
    #[serde(skip_serializing_if = "is_empty")]
    pub rocketchat_token_id_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mattermost_webhook_url: Option<SecretUrl>,
    #[serde(skip_serializing_if = "is_empty")]
    pub mattermost_webhook_url_file: String,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        GlobalConfig {
            resolve_timeout: Duration::from_secs(300),
            http_config: HttpClientConfig::default(),
            jira_api_url: None,
            smtp_from: String::new(),
            smtp_hello: "localhost".into(),
            smtp_smarthost: HostPort::default(),
            smtp_auth_username: String::new(),
            smtp_auth_password: Secret::default(),
            smtp_auth_password_file: String::new(),
            smtp_auth_secret: Secret::default(),
            smtp_auth_secret_file: String::new(),
            smtp_auth_identity: String::new(),
            smtp_require_tls: true,
            smtp_tls_config: TlsConfig::default(),
            smtp_force_implicit_tls: None,
            slack_api_url: None,
            slack_api_url_file: String::new(),
            slack_app_token: Secret::default(),
            slack_app_token_file: String::new(),
            slack_app_url: Some(HttpUrl::fixed("https://slack.com/api/chat.postMessage")),
            pagerduty_url: Some(HttpUrl::fixed("https://events.pagerduty.com/v2/enqueue")),
            opsgenie_api_url: Some(HttpUrl::fixed("https://api.opsgenie.com/")),
            opsgenie_api_key: Secret::default(),
            opsgenie_api_key_file: String::new(),
            wechat_api_url: Some(HttpUrl::fixed("https://qyapi.weixin.qq.com/cgi-bin/")),
            wechat_api_secret: Secret::default(),
            wechat_api_secret_file: String::new(),
            wechat_api_corp_id: String::new(),
            victorops_api_url: Some(HttpUrl::fixed(
                "https://alert.victorops.com/integrations/generic/20131114/alert/",
            )),
            victorops_api_key: Secret::default(),
            victorops_api_key_file: String::new(),
            telegram_api_url: Some(HttpUrl::fixed("https://api.telegram.org")),
            telegram_bot_token: Secret::default(),
            telegram_bot_token_file: String::new(),
            webex_api_url: Some(HttpUrl::fixed("https://webexapis.com/v1/messages")),
            rocketchat_api_url: Some(HttpUrl::fixed("https://open.rocket.chat/")),
            rocketchat_token: None,
            rocketchat_token_file: String::new(),
            rocketchat_token_id: None,
            rocketchat_token_id_file: String::new(),
            mattermost_webhook_url: None,
            mattermost_webhook_url_file: String::new(),
        }
    }
}

/// Refuses a secret given both inline and as a file.
fn at_most_one(inline: bool, file: &str, a: &str) -> Result<(), ConfigError> {
    if inline && !file.is_empty() {
        return Err(ConfigError::Invalid(format!(
            "at most one of {a} & {a}_file must be configured"
        )));
    }
    Ok(())
}

impl GlobalConfig {
    /// The checks Alertmanager makes on `global` before looking at receivers.
    pub fn validate(&mut self) -> Result<(), ConfigError> {
        at_most_one(
            !self.slack_app_token.is_empty(),
            &self.slack_app_token_file,
            "slack_app_token",
        )?;
        at_most_one(
            self.slack_api_url.is_some(),
            &self.slack_api_url_file,
            "slack_api_url",
        )?;
        let token = !self.slack_app_token.is_empty() || !self.slack_app_token_file.is_empty();
        let url = self.slack_api_url.is_some() || !self.slack_api_url_file.is_empty();
        // Setting the API URL to the app URL was the documented way to use
        // bot tokens before `slack_app_token` existed; it stays accepted.
        let same = match (&self.slack_api_url, &self.slack_app_url) {
            (Some(a), Some(b)) => a.expose() == b.as_str(),
            (None, None) => true,
            _ => false,
        };
        if token && url && !same {
            return Err(ConfigError::Invalid(
                "at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured".into(),
            ));
        }
        at_most_one(
            !self.opsgenie_api_key.is_empty(),
            &self.opsgenie_api_key_file,
            "opsgenie_api_key",
        )?;
        at_most_one(
            !self.victorops_api_key.is_empty(),
            &self.victorops_api_key_file,
            "victorops_api_key",
        )?;
        at_most_one(
            !self.telegram_bot_token.is_empty(),
            &self.telegram_bot_token_file,
            "telegram_bot_token",
        )?;
        at_most_one(
            !self.smtp_auth_password.is_empty(),
            &self.smtp_auth_password_file,
            "smtp_auth_password",
        )?;
        at_most_one(
            self.rocketchat_token.is_some(),
            &self.rocketchat_token_file,
            "rocketchat_token",
        )?;
        at_most_one(
            self.rocketchat_token_id.is_some(),
            &self.rocketchat_token_id_file,
            "rocketchat_token_id",
        )?;
        at_most_one(
            !self.smtp_auth_secret.is_empty(),
            &self.smtp_auth_secret_file,
            "smtp_auth_secret",
        )?;
        at_most_one(
            !self.wechat_api_secret.is_empty(),
            &self.wechat_api_secret_file,
            "wechat_api_secret",
        )?;
        at_most_one(
            self.mattermost_webhook_url.is_some(),
            &self.mattermost_webhook_url_file,
            "mattermost_webhook_url",
        )?;
        self.http_config
            .validate()
            .map_err(|e| ConfigError::Invalid(format!("global.http_config: {e}")))?;
        Ok(())
    }
}
