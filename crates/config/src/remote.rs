//! `remote_write`, `remote_read` and `alerting`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value;
use vigil_model::ValidationScheme;

use crate::auth::{AzureAdConfig, GoogleIamConfig, SigV4Config};
use crate::discovery::{ServiceDiscoveryConfigs, is_sd_key};
use crate::http::{HTTP_KEYS, HttpClientConfig};
use crate::relabel::{self, RelabelConfig};
use crate::scrape::insert_list;
use crate::types::{Duration, Url};
use crate::yaml;

/// Request headers Prometheus manages itself (`authorization` has its own message).
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "www-authenticate",
    "accept-encoding",
    "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version",
    "x-prometheus-scrape-timeout-seconds",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

pub(crate) fn validate_headers(h: &BTreeMap<String, String>, tracing: bool) -> Result<(), String> {
    for name in h.keys() {
        let lower = name.to_lowercase();
        if lower == "authorization" {
            return Err(if tracing {
                "authorization header configuration is not yet supported".into()
            } else {
                "authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or google_iam parameter".into()
            });
        }
        if RESERVED_HEADERS.contains(&lower.as_str()) {
            return Err(format!(
                "{name} is a reserved header. It must not be changed"
            ));
        }
    }
    Ok(())
}

fn yes() -> bool {
    true
}

/// `queue_config` of a remote write.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// `capacity` (10000).
    pub capacity: i64,
    /// `max_shards` (50).
    pub max_shards: i64,
    /// `min_shards` (1).
    pub min_shards: i64,
    /// `max_samples_per_send` (2000).
    pub max_samples_per_send: i64,
    /// `batch_send_deadline` (5s).
    pub batch_send_deadline: Duration,
    /// `min_backoff` (30ms).
    pub min_backoff: Duration,
    /// `max_backoff` (5s).
    pub max_backoff: Duration,
    /// `retry_on_http_429`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool")]
    pub retry_on_http_429: bool,
    /// `sample_age_limit`.
    pub sample_age_limit: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: 10000,
            max_shards: 50,
            min_shards: 1,
            max_samples_per_send: 2000,
            batch_send_deadline: Duration::from_secs(5),
            min_backoff: Duration::from_millis(30),
            max_backoff: Duration::from_secs(5),
            retry_on_http_429: false,
            sample_age_limit: Duration::default(),
        }
    }
}

impl QueueConfig {
    fn validate(&self) -> Result<(), String> {
        if self.max_shards <= 0 {
            return Err("remote write queue max_shards must be positive".into());
        }
        if self.min_shards <= 0 {
            return Err("remote write queue min_shards must be positive".into());
        }
        if self.min_shards > self.max_shards {
            return Err("remote write queue min_shards must not be greater than max_shards".into());
        }
        if self.max_samples_per_send <= 0 {
            return Err("remote write queue max_samples_per_send must be positive".into());
        }
        if self.capacity <= 0 {
            return Err("remote write queue capacity must be positive".into());
        }
        if self.max_backoff < self.min_backoff {
            return Err("remote write queue max_backoff must not be less than min_backoff".into());
        }
        Ok(())
    }
}

/// `metadata_config` of a remote write.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetadataConfig {
    /// `send` (true).
    #[serde(deserialize_with = "crate::yaml::yaml11_bool")]
    pub send: bool,
    /// `send_interval` (1m).
    pub send_interval: Duration,
    /// `max_samples_per_send` (2000).
    pub max_samples_per_send: i64,
}

impl Default for MetadataConfig {
    fn default() -> Self {
        MetadataConfig {
            send: true,
            send_interval: Duration::from_secs(60),
            max_samples_per_send: 2000,
        }
    }
}

/// One `remote_write` entry.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteWriteConfig {
    /// `url` (required).
    #[serde(default)]
    pub url: Option<Url>,
    /// `remote_timeout` (30s).
    #[serde(default = "thirty_seconds")]
    pub remote_timeout: Duration,
    /// `headers`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// `name` (unique when set).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `send_exemplars`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool", default)]
    pub send_exemplars: bool,
    /// `send_native_histograms`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool", default)]
    pub send_native_histograms: bool,
    /// `round_robin_dns`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool", default)]
    pub round_robin_dns: bool,
    /// `protobuf_message` (`prometheus.WriteRequest` or `io.prometheus.write.v2.Request`).
    #[serde(default = "default_message")]
    pub protobuf_message: String,
    /// `failed_request_logging`: log failed requests' details.
    #[serde(
        default,
        deserialize_with = "crate::yaml::yaml11_bool",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub failed_request_logging: bool,
    /// `queue_config`.
    #[serde(default)]
    pub queue_config: QueueConfig,
    /// `metadata_config`.
    #[serde(default)]
    pub metadata_config: MetadataConfig,
    /// `sigv4` (AWS request signing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigv4: Option<SigV4Config>,
    /// `azuread`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azuread: Option<AzureAdConfig>,
    /// `google_iam`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google_iam: Option<GoogleIamConfig>,
    /// The inline HTTP client options.
    #[serde(skip)]
    pub http: HttpClientConfig,
    /// `write_relabel_configs`.
    #[serde(skip)]
    pub write_relabel_configs: Vec<RelabelConfig>,
}

fn thirty_seconds() -> Duration {
    Duration::from_secs(30)
}
fn one_minute() -> Duration {
    Duration::from_secs(60)
}
fn default_message() -> String {
    "prometheus.WriteRequest".into()
}

impl RemoteWriteConfig {
    pub(crate) fn parse(v: Value, scheme: ValidationScheme) -> Result<Self, String> {
        if v.is_null() {
            return Err("empty or null remote write config section".into());
        }
        let mut map = yaml::as_mapping(v, "config.RemoteWriteConfig")?;
        let http_map = yaml::take_keys(&mut map, |k| HTTP_KEYS.contains(&k));
        let relabel = map.remove("write_relabel_configs").unwrap_or(Value::Null);
        let mut c: RemoteWriteConfig = yaml::decode_map(map, "config.plain")?;
        // Remote write defaults to HTTP/1.1 (upstream's DefaultRemoteWriteHTTPClientConfig).
        let http2_given = http_map.contains_key("enable_http2");
        c.http = yaml::decode_map(http_map, "config.plain")?;
        if !http2_given {
            c.http.enable_http2 = false;
        }
        match &c.url {
            None => return Err("url for remote_write is empty".into()),
            Some(u) => {
                if let Some(e) = u.parse_error() {
                    return Err(e);
                }
            }
        }
        let items = yaml::as_sequence(relabel, "[]*relabel.Config")?;
        if items.iter().any(Value::is_null) {
            return Err("empty or null relabeling rule in remote write config".into());
        }
        validate_headers(&c.headers, false)?;
        match c.protobuf_message.as_str() {
            "prometheus.WriteRequest" | "io.prometheus.write.v2.Request" => {}
            m => {
                return Err(format!(
                    "invalid protobuf_message value: unknown type for remote write protobuf message {m}, supported: prometheus.WriteRequest, io.prometheus.write.v2.Request"
                ));
            }
        }
        c.http.validate()?;
        c.queue_config.validate()?;
        let http_auth = c.http.basic_auth.is_some()
            || c.http.authorization.is_some()
            || c.http.oauth2.is_some();
        let n = [
            http_auth,
            c.sigv4.is_some(),
            c.azuread.is_some(),
            c.google_iam.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if n > 1 {
            return Err("at most one of basic_auth, authorization, oauth2, sigv4, azuread or google_iam must be configured".into());
        }
        if let Some(v) = &c.sigv4 {
            v.validate()?;
        }
        if let Some(a) = &mut c.azuread {
            a.validate()?;
        }
        c.write_relabel_configs = relabel::parse_list(
            Value::Sequence(items),
            "empty or null relabeling rule in remote write config",
            scheme,
        )?;
        Ok(c)
    }

    /// Resolves file references.
    pub fn set_directory(&mut self, dir: &Path) {
        self.http.set_directory(dir);
        if let Some(a) = &mut self.azuread {
            a.set_directory(dir);
        }
        if let Some(g) = &mut self.google_iam {
            crate::types::resolve(dir, &mut g.credentials_file);
        }
    }

    /// The entry as YAML with the inline sections merged back.
    pub fn to_yaml_value(&self) -> Value {
        let mut v = yaml::to_value(self);
        yaml::merge_into(&mut v, yaml::to_value(&self.http));
        if let Value::Mapping(m) = &mut v {
            insert_list(m, "write_relabel_configs", &self.write_relabel_configs);
        }
        v
    }
}

/// One `remote_read` entry.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteReadConfig {
    /// `url` (required).
    #[serde(default)]
    pub url: Option<Url>,
    /// `remote_timeout` (1m).
    #[serde(default = "one_minute")]
    pub remote_timeout: Duration,
    /// `chunked_read_limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunked_read_limit: Option<u64>,
    /// `headers`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// `read_recent`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool", default)]
    pub read_recent: bool,
    /// `name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `required_matchers`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub required_matchers: BTreeMap<String, String>,
    /// `filter_external_labels` (true).
    #[serde(deserialize_with = "crate::yaml::yaml11_bool", default = "yes")]
    pub filter_external_labels: bool,
    /// The inline HTTP client options.
    #[serde(skip)]
    pub http: HttpClientConfig,
}

impl RemoteReadConfig {
    pub(crate) fn parse(v: Value) -> Result<Self, String> {
        if v.is_null() {
            return Err("empty or null remote read config section".into());
        }
        let mut map = yaml::as_mapping(v, "config.RemoteReadConfig")?;
        let http_map = yaml::take_keys(&mut map, |k| HTTP_KEYS.contains(&k));
        let mut c: RemoteReadConfig = yaml::decode_map(map, "config.plain")?;
        c.http = yaml::decode_map(http_map, "config.plain")?;
        c.chunked_read_limit.get_or_insert(50_000_000);
        match &c.url {
            None => return Err("url for remote_read is empty".into()),
            Some(u) => {
                if let Some(e) = u.parse_error() {
                    return Err(e);
                }
            }
        }
        validate_headers(&c.headers, false)?;
        c.http.validate()?;
        Ok(c)
    }

    /// Resolves file references.
    pub fn set_directory(&mut self, dir: &Path) {
        self.http.set_directory(dir);
    }

    /// The entry as YAML with the inline HTTP options merged back.
    pub fn to_yaml_value(&self) -> Value {
        let mut v = yaml::to_value(self);
        yaml::merge_into(&mut v, yaml::to_value(&self.http));
        v
    }
}

/// `alerting`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertingConfig {
    /// `alert_relabel_configs`.
    pub alert_relabel_configs: Vec<RelabelConfig>,
    /// `alertmanagers`.
    pub alertmanagers: Vec<AlertmanagerConfig>,
}

/// One `alertmanagers` entry.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerConfig {
    /// `scheme` (http).
    #[serde(default = "http_scheme")]
    pub scheme: String,
    /// `path_prefix`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path_prefix: String,
    /// `timeout` (10s).
    #[serde(default = "ten_seconds")]
    pub timeout: Duration,
    /// `api_version` (v2; v1 is no longer supported).
    #[serde(default = "v2")]
    pub api_version: String,
    /// `sigv4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigv4: Option<SigV4Config>,
    /// The inline HTTP client options.
    #[serde(skip)]
    pub http: HttpClientConfig,
    /// The inline service discovery lists.
    #[serde(skip)]
    pub sd: ServiceDiscoveryConfigs,
    /// `relabel_configs`.
    #[serde(skip)]
    pub relabel_configs: Vec<RelabelConfig>,
    /// `alert_relabel_configs`.
    #[serde(skip)]
    pub alert_relabel_configs: Vec<RelabelConfig>,
}

fn http_scheme() -> String {
    "http".into()
}
fn ten_seconds() -> Duration {
    Duration::from_secs(10)
}
fn v2() -> String {
    "v2".into()
}

impl AlertmanagerConfig {
    fn parse(v: Value, scheme: ValidationScheme) -> Result<Self, String> {
        let mut map = yaml::as_mapping(v, "config.AlertmanagerConfig")?;
        let http_map = yaml::take_keys(&mut map, |k| HTTP_KEYS.contains(&k));
        let sd_map = yaml::take_keys(&mut map, is_sd_key);
        let relabel = map.remove("relabel_configs").unwrap_or(Value::Null);
        let alert_relabel = map.remove("alert_relabel_configs").unwrap_or(Value::Null);
        let mut c: AlertmanagerConfig = yaml::decode_map(map, "config.plain")?;
        c.sd = ServiceDiscoveryConfigs::from_mapping(sd_map, "config.plain")?;
        c.http = yaml::decode_map(http_map, "config.plain")?;
        if c.api_version != "v2" {
            return Err(format!(
                "expected Alertmanager api version to be one of [v2] but got {}",
                c.api_version
            ));
        }
        c.http.validate()?;
        let auth = c.http.basic_auth.is_some()
            || c.http.authorization.is_some()
            || c.http.oauth2.is_some();
        if auth && c.sigv4.is_some() {
            return Err(
                "at most one of basic_auth, authorization, oauth2, & sigv4 must be configured"
                    .into(),
            );
        }
        if let Some(v) = &c.sigv4 {
            v.validate()?;
        }
        let relabel = yaml::as_sequence(relabel, "[]*relabel.Config")?;
        if relabel.is_empty() {
            c.sd.check_static_targets()?;
        }
        c.relabel_configs = relabel::parse_list(
            Value::Sequence(relabel),
            "empty or null Alertmanager target relabeling rule",
            scheme,
        )?;
        c.alert_relabel_configs = relabel::parse_list(
            alert_relabel,
            "empty or null Alertmanager alert relabeling rule",
            scheme,
        )?;
        Ok(c)
    }

    /// Resolves file references.
    pub fn set_directory(&mut self, dir: &Path) {
        self.sd.set_directory(dir);
        self.http.set_directory(dir);
    }

    /// The entry as YAML with the inline sections merged back.
    pub fn to_yaml_value(&self) -> Value {
        let mut v = yaml::to_value(self);
        yaml::merge_into(&mut v, yaml::to_value(&self.http));
        yaml::merge_into(&mut v, yaml::to_value(&self.sd));
        if let Value::Mapping(m) = &mut v {
            insert_list(m, "relabel_configs", &self.relabel_configs);
            insert_list(m, "alert_relabel_configs", &self.alert_relabel_configs);
        }
        v
    }
}

impl AlertingConfig {
    pub(crate) fn parse(v: Value, scheme: ValidationScheme) -> Result<Self, String> {
        let mut map = yaml::as_mapping(v, "config.AlertingConfig")?;
        let mut out = AlertingConfig::default();
        if let Some(r) = map.remove("alert_relabel_configs") {
            out.alert_relabel_configs =
                relabel::parse_list(r, "empty or null alert relabeling rule", scheme)?;
        }
        if let Some(a) = map.remove("alertmanagers") {
            for item in yaml::as_sequence(a, "[]*config.AlertmanagerConfig")? {
                if item.is_null() {
                    return Err("empty or null alertmanager config section".into());
                }
                out.alertmanagers
                    .push(AlertmanagerConfig::parse(item, scheme)?);
            }
        }
        if let Some(k) = map.keys().next() {
            let k = k.as_str().unwrap_or("?");
            return Err(format!("field {k} not found in type config.plain"));
        }
        Ok(out)
    }

    /// The section as YAML.
    pub fn to_yaml_value(&self) -> Value {
        let mut m = serde_yaml_ng::Mapping::new();
        insert_list(&mut m, "alert_relabel_configs", &self.alert_relabel_configs);
        if !self.alertmanagers.is_empty() {
            let list: Vec<Value> = self
                .alertmanagers
                .iter()
                .map(AlertmanagerConfig::to_yaml_value)
                .collect();
            m.insert(Value::from("alertmanagers"), Value::Sequence(list));
        }
        Value::Mapping(m)
    }
}
