//! `alertmanager.yml`: the whole schema, loaded as Alertmanager loads it.
//!
//! The document is decoded strictly (unknown keys and repeated keys are
//! errors, yaml.v2's scalar-to-string leniency kept where Alertmanager's
//! fields are strings), then [`Config::validate`] applies Alertmanager's
//! rules in its order and words: the per-integration checks, `global`
//! conflicts, defaults inherited from `global` (HTTP client, SMTP, API URLs
//! and keys), unique receiver and time-interval names, the root route's
//! restrictions and references to undefined receivers or intervals.
//! Relative file references are resolved against the file's directory.
//! Secrets print as `<secret>` ([`Config::to_yaml`]).

pub mod global;
pub mod receivers;
pub mod route;
pub mod timeinterval;
pub mod types;

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use vigil_config::http::Authorization;

pub use global::GlobalConfig;
pub use receivers::Receiver;
pub use route::{InhibitRule, Route};
pub use timeinterval::{NamedTimeInterval, TimeInterval};

use crate::error::ConfigError;

/// A loaded and validated `alertmanager.yml`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `global` (defaults applied when absent).
    #[serde(default)]
    pub global: Option<GlobalConfig>,
    /// `route`: the root of the routing tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    /// `inhibit_rules`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inhibit_rules: Vec<InhibitRule>,
    /// `receivers`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receivers: Vec<Receiver>,
    /// `templates`: glob patterns of notification template files.
    #[serde(default)]
    pub templates: Vec<String>,
    /// `mute_time_intervals` (deprecated spelling of `time_intervals`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mute_time_intervals: Vec<NamedTimeInterval>,
    /// `time_intervals`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time_intervals: Vec<NamedTimeInterval>,
    /// `tracing`: accepted and kept, not used (Vigil exports no traces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing: Option<serde_yaml_ng::Value>,
}

impl Config {
    /// Parses and validates a configuration.
    pub fn load(text: &str) -> Result<Config, ConfigError> {
        // An empty document (or one holding only comments) has no route.
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(yaml_error)?;
        if doc.is_null() {
            return Err(ConfigError::Invalid("no route provided in config".into()));
        }
        let mut cfg: Config = serde_yaml_ng::from_str(text).map_err(yaml_error)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads, parses and validates a file, resolving relative paths against
    /// its directory.
    pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut cfg = Config::load(&text)?;
        cfg.resolve_paths(path.parent().unwrap_or(Path::new(".")));
        Ok(cfg)
    }

    /// The `global` section (present after validation).
    pub fn global(&self) -> GlobalConfig {
        self.global.clone().unwrap_or_default()
    }

    /// The configuration as YAML with every secret shown as `<secret>`.
    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(self)
            .unwrap_or_else(|e| format!("<error creating config string: {e}>"))
    }

    /// Alertmanager's rules, in its order; defaults from `global` are
    /// copied into every integration.
    pub fn validate(&mut self) -> Result<(), ConfigError> {
        let Some(route) = &self.route else {
            return Err(ConfigError::Invalid("no route provided in config".into()));
        };
        route.validate()?;
        if route.continue_ {
            return Err(ConfigError::Invalid(
                "cannot have continue in root route".into(),
            ));
        }
        for r in &self.inhibit_rules {
            r.validate()?;
        }
        for ti in self.mute_time_intervals.iter() {
            if ti.name.is_empty() {
                return Err(ConfigError::Invalid(
                    "missing name in mute time interval".into(),
                ));
            }
        }
        for ti in self.time_intervals.iter() {
            if ti.name.is_empty() {
                return Err(ConfigError::Invalid("missing name in time interval".into()));
            }
        }
        let mut global = self.global.take().unwrap_or_default();
        global.validate()?;
        let mut names = BTreeSet::new();
        for rcv in &mut self.receivers {
            if rcv.name.is_empty() {
                return Err(ConfigError::Invalid("missing name in receiver".into()));
            }
            if names.contains(&rcv.name) {
                return Err(ConfigError::Invalid(format!(
                    "notification config name {:?} is not unique",
                    rcv.name
                )));
            }
            inherit(rcv, &global).map_err(ConfigError::Invalid)?;
            names.insert(rcv.name.clone());
        }
        self.global = Some(global);
        let Some(route) = &self.route else {
            return Err(ConfigError::Invalid("no routes provided".into()));
        };
        if route.receiver.is_empty() {
            return Err(ConfigError::Invalid(
                "root route must specify a default receiver".into(),
            ));
        }
        if !route.match_.is_empty() || !route.match_re.is_empty() || !route.matchers.0.is_empty() {
            return Err(ConfigError::Invalid(
                "root route must not have any matchers".into(),
            ));
        }
        if !route.mute_time_intervals.is_empty() {
            return Err(ConfigError::Invalid(
                "root route must not have any mute time intervals".into(),
            ));
        }
        if !route.active_time_intervals.is_empty() {
            return Err(ConfigError::Invalid(
                "root route must not have any active time intervals".into(),
            ));
        }
        route.walk(&mut |r| {
            if !r.receiver.is_empty() && !names.contains(&r.receiver) {
                return Err(ConfigError::Invalid(format!(
                    "undefined receiver {:?} used in route",
                    r.receiver
                )));
            }
            Ok(())
        })?;
        let mut intervals = BTreeSet::new();
        for ti in &self.mute_time_intervals {
            if !intervals.insert(ti.name.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "mute time interval {:?} is not unique",
                    ti.name
                )));
            }
        }
        for ti in &self.time_intervals {
            if !intervals.insert(ti.name.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "time interval {:?} is not unique",
                    ti.name
                )));
            }
        }
        route.walk(&mut |r| {
            for name in r.active_time_intervals.iter().chain(&r.mute_time_intervals) {
                if !intervals.contains(name.as_str()) {
                    return Err(ConfigError::Invalid(format!(
                        "undefined time interval {name:?} used in route"
                    )));
                }
            }
            Ok(())
        })
    }

    /// Joins relative template globs and HTTP client files with `dir`.
    pub fn resolve_paths(&mut self, dir: &Path) {
        for t in &mut self.templates {
            if !t.is_empty() && !Path::new(t.as_str()).is_absolute() {
                *t = dir.join(&*t).to_string_lossy().into_owned();
            }
        }
        if let Some(g) = &mut self.global {
            g.http_config.set_directory(dir);
        }
        for r in &mut self.receivers {
            macro_rules! each {
                ($($list:ident),*) => {$(
                    for c in r.$list.iter_mut() {
                        if let Some(h) = &mut c.http_config { h.set_directory(dir); }
                    }
                )*};
            }
            macro_rules! each_opt {
                ($($list:ident),*) => {$(
                    for c in r.$list.iter_mut().flatten() {
                        if let Some(h) = &mut c.http_config { h.set_directory(dir); }
                    }
                )*};
            }
            each!(
                discord_configs,
                incidentio_configs,
                pagerduty_configs,
                webhook_configs,
                pushover_configs,
                victorops_configs,
                sns_configs,
                telegram_configs,
                webex_configs,
                msteams_configs,
                msteamsv2_configs,
                jira_configs,
                mattermost_configs
            );
            each_opt!(
                slack_configs,
                opsgenie_configs,
                wechat_configs,
                rocketchat_configs
            );
        }
    }

    /// Every time interval by name (`time_intervals` and `mute_time_intervals`).
    pub fn named_intervals(&self) -> impl Iterator<Item = &NamedTimeInterval> {
        self.mute_time_intervals.iter().chain(&self.time_intervals)
    }
}

/// Turns serde's message into one that names the field: serde_yaml_ng
/// already prefixes the path (`route.routes[0]: …`) and appends the position.
fn yaml_error(e: serde_yaml_ng::Error) -> ConfigError {
    ConfigError::Yaml(e.to_string())
}

/// The per-integration checks and what each integration takes from `global`.
fn inherit(rcv: &mut Receiver, g: &GlobalConfig) -> Result<(), String> {
    fn http(
        h: &mut Option<vigil_config::HttpClientConfig>,
        g: &GlobalConfig,
    ) -> Result<(), String> {
        match h {
            Some(h) => h.validate(),
            None => {
                *h = Some(g.http_config.clone());
                Ok(())
            }
        }
    }
    for c in &mut rcv.webhook_configs {
        c.check()?;
        http(&mut c.http_config, g)?;
    }
    for c in &mut rcv.email_configs {
        c.check()?;
        if c.tls_config.is_none() {
            c.tls_config = Some(g.smtp_tls_config.clone());
        }
        if c.smarthost.is_empty() {
            c.smarthost = g.smtp_smarthost.clone();
        }
        if c.smarthost.is_empty() {
            return Err("no global SMTP smarthost set".into());
        }
        if c.from.is_empty() {
            c.from = g.smtp_from.clone();
        }
        if c.from.is_empty() {
            return Err("no global SMTP from set".into());
        }
        if c.hello.is_empty() {
            c.hello = g.smtp_hello.clone();
        }
        if c.auth_username.is_empty() {
            c.auth_username = g.smtp_auth_username.clone();
        }
        if c.auth_password.is_empty() && c.auth_password_file.is_empty() {
            c.auth_password = g.smtp_auth_password.clone();
            c.auth_password_file = g.smtp_auth_password_file.clone();
        }
        if c.auth_secret.is_empty() && c.auth_secret_file.is_empty() {
            c.auth_secret = g.smtp_auth_secret.clone();
            c.auth_secret_file = g.smtp_auth_secret_file.clone();
        }
        if c.auth_identity.is_empty() {
            c.auth_identity = g.smtp_auth_identity.clone();
        }
        c.require_tls.get_or_insert(g.smtp_require_tls);
        if c.force_implicit_tls.is_none() {
            c.force_implicit_tls = g.smtp_force_implicit_tls;
        }
    }
    for c in rcv.slack_configs.iter_mut() {
        let c = c.get_or_insert_with(Default::default);
        c.check()?;
        if c.app_url.is_none() {
            c.app_url = g.slack_app_url.clone();
        }
        let Some(app_url) = c.app_url.clone() else {
            return Err("no global Slack App URL set".into());
        };
        let local_auth = c
            .http_config
            .as_ref()
            .is_some_and(|h| h.authorization.is_some());
        if c.app_token.is_empty()
            && c.app_token_file.is_empty()
            && !local_auth
            && c.api_url.is_none()
        {
            c.app_token = g.slack_app_token.clone();
            c.app_token_file = g.slack_app_token_file.clone();
        }
        if c.api_url.is_none() && c.api_url_file.is_empty() {
            c.api_url = g.slack_api_url.clone();
            c.api_url_file = g.slack_api_url_file.clone();
        }
        if c.api_url.is_none()
            && c.api_url_file.is_empty()
            && c.app_token.is_empty()
            && c.app_token_file.is_empty()
        {
            return Err("no Slack API URL nor App token set either inline or in a file".into());
        }
        http(&mut c.http_config, g)?;
        if !c.app_token.is_empty() || !c.app_token_file.is_empty() {
            let h = c.http_config.get_or_insert_with(Default::default);
            if h.authorization.is_some() {
                return Err("http authorization can't be set when using Slack App tokens".into());
            }
            h.authorization = Some(Authorization {
                kind: "Bearer".into(),
                credentials: c.app_token.clone(),
                credentials_file: c.app_token_file.clone(),
                credentials_ref: String::new(),
            });
            c.api_url = Some(types::SecretUrl(vigil_config::Secret::new(app_url.0)));
        }
    }
    for c in &mut rcv.pushover_configs {
        c.check()?;
        http(&mut c.http_config, g)?;
    }
    for c in &mut rcv.pagerduty_configs {
        c.check()?;
        http(&mut c.http_config, g)?;
        if c.url.is_none() {
            c.url = g.pagerduty_url.clone();
        }
        if c.url.is_none() {
            return Err("no global PagerDuty URL set".into());
        }
    }
    for c in &mut rcv.incidentio_configs {
        c.check()?;
        http(&mut c.http_config, g)?;
    }
    for c in rcv.opsgenie_configs.iter_mut() {
        let c = c.get_or_insert_with(Default::default);
        c.check()?;
        http(&mut c.http_config, g)?;
        let Some(url) = c.api_url.clone().or_else(|| g.opsgenie_api_url.clone()) else {
            return Err("no global OpsGenie URL set".into());
        };
        c.api_url = Some(url.with_trailing_slash());
        if c.api_key.is_empty() {
            c.api_key = g.opsgenie_api_key.clone();
        }
        if c.api_key_file.is_empty() {
            c.api_key_file = g.opsgenie_api_key_file.clone();
        }
        if c.api_key.is_empty() && c.api_key_file.is_empty() {
            return Err("no global OpsGenie API Key set either inline or in a file".into());
        }
    }
    for c in rcv.wechat_configs.iter_mut() {
        let c = c.get_or_insert_with(Default::default);
        c.check()?;
        http(&mut c.http_config, g)?;
        let Some(url) = c.api_url.clone().or_else(|| g.wechat_api_url.clone()) else {
            return Err("no global Wechat URL set".into());
        };
        if c.api_secret.is_empty() && c.api_secret_file.is_empty() {
            if g.wechat_api_secret.is_empty() && g.wechat_api_secret_file.is_empty() {
                return Err("no global Wechat Api Secret set either inline or in a file".into());
            }
            c.api_secret = g.wechat_api_secret.clone();
            c.api_secret_file = g.wechat_api_secret_file.clone();
        }
        if c.corp_id.is_empty() {
            c.corp_id = g.wechat_api_corp_id.clone();
        }
        if c.corp_id.is_empty() {
            return Err("no global Wechat CorpID set".into());
        }
        c.api_url = Some(url.with_trailing_slash());
    }
    for c in &mut rcv.victorops_configs {
        c.check()?;
        http(&mut c.http_config, g)?;
        let Some(url) = c.api_url.clone().or_else(|| g.victorops_api_url.clone()) else {
            return Err("no global VictorOps URL set".into());
        };
        c.api_url = Some(url.with_trailing_slash());
        if c.api_key.is_empty() {
            c.api_key = g.victorops_api_key.clone();
        }
        if c.api_key_file.is_empty() {
            c.api_key_file = g.victorops_api_key_file.clone();
        }
        if c.api_key.is_empty() && c.api_key_file.is_empty() {
            return Err("no global VictorOps API Key set".into());
        }
    }
    for c in &mut rcv.sns_configs {
        c.check()?;
        http(&mut c.http_config, g)?;
    }
    for c in &mut rcv.telegram_configs {
        c.check()?;
        http(&mut c.http_config, g)?;
        if c.api_url.is_none() {
            c.api_url = g.telegram_api_url.clone();
        }
        if c.bot_token.is_empty() && c.bot_token_file.is_empty() {
            if g.telegram_bot_token.is_empty() && g.telegram_bot_token_file.is_empty() {
                return Err("missing bot_token or bot_token_file on telegram_config".into());
            }
            c.bot_token = g.telegram_bot_token.clone();
            c.bot_token_file = g.telegram_bot_token_file.clone();
        }
    }
    for c in &mut rcv.discord_configs {
        c.check()?;
        http(&mut c.http_config, g)?;
    }
    for c in &mut rcv.webex_configs {
        c.check()?;
        http(&mut c.http_config, g)?;
        if c.api_url.is_none() {
            c.api_url = g.webex_api_url.clone();
        }
        if c.api_url.is_none() {
            return Err("no global Webex URL set".into());
        }
    }
    for c in &mut rcv.msteams_configs {
        c.check()?;
        http(&mut c.http_config, g)?;
    }
    for c in &mut rcv.msteamsv2_configs {
        c.check()?;
        match &mut c.http_config {
            None => c.http_config = Some(g.http_config.clone()),
            Some(h) => {
                h.validate()?;
                // A partial http_config still takes the global proxy.
                if h.proxy_url.is_none() {
                    h.proxy_url = g.http_config.proxy_url.clone();
                }
            }
        }
    }
    for c in &mut rcv.jira_configs {
        c.check()?;
        http(&mut c.http_config, g)?;
        if c.api_url.is_none() {
            c.api_url = g.jira_api_url.clone();
        }
        if c.api_url.is_none() {
            return Err("no global Jira Cloud URL set".into());
        }
    }
    for c in rcv.rocketchat_configs.iter_mut() {
        let c = c.get_or_insert_with(Default::default);
        c.check()?;
        http(&mut c.http_config, g)?;
        if c.api_url.is_none() {
            c.api_url = g.rocketchat_api_url.clone();
        }
        if c.token_id.is_none() {
            c.token_id = g.rocketchat_token_id.clone();
        }
        if c.token_id_file.is_empty() {
            c.token_id_file = g.rocketchat_token_id_file.clone();
        }
        if c.token_id.is_none() && c.token_id_file.is_empty() {
            return Err("no global Rocketchat TokenID set either inline or in a file".into());
        }
        if c.token.is_none() {
            c.token = g.rocketchat_token.clone();
        }
        if c.token_file.is_empty() {
            c.token_file = g.rocketchat_token_file.clone();
        }
        if c.token.is_none() && c.token_file.is_empty() {
            return Err("no global Rocketchat Token set either inline or in a file".into());
        }
    }
    for c in &mut rcv.mattermost_configs {
        c.check()?;
        http(&mut c.http_config, g)?;
        if c.webhook_url.is_none() && c.webhook_url_file.is_empty() {
            if g.mattermost_webhook_url.is_none() && g.mattermost_webhook_url_file.is_empty() {
                return Err("missing webhook_url or webhook_url_file on mattermost_config".into());
            }
            c.webhook_url = g.mattermost_webhook_url.clone();
            c.webhook_url_file = g.mattermost_webhook_url_file.clone();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
