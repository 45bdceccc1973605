//! `scrape_configs` entries.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_yaml_ng::{Mapping, Value};
use vigil_model::ValidationScheme;

use crate::discovery::{ServiceDiscoveryConfigs, is_sd_key};
use crate::global::{
    DEFAULT_SCRAPE_PROTOCOLS, GlobalConfig, PROTO_FIRST_SCRAPE_PROTOCOLS, parse_validation_scheme,
    scheme_name, validate_escaping, validate_protocol, validate_protocols,
};
use crate::http::{HTTP_KEYS, HttpClientConfig};
use crate::relabel::{self, RelabelConfig};
use crate::types::{ByteSize, Duration, resolve};
use crate::yaml;

fn yes() -> bool {
    true
}

/// One scrape job.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScrapeConfig {
    /// `job_name` (required, unique).
    #[serde(default)]
    pub job_name: String,
    /// `honor_labels`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool", default)]
    pub honor_labels: bool,
    /// `honor_timestamps` (default true).
    #[serde(deserialize_with = "crate::yaml::yaml11_bool", default = "yes")]
    pub honor_timestamps: bool,
    /// `track_timestamps_staleness`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool", default)]
    pub track_timestamps_staleness: bool,
    /// `params`: URL query parameters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, Vec<String>>,
    /// `scrape_interval` (global's if unset).
    #[serde(default)]
    pub scrape_interval: Duration,
    /// `scrape_timeout` (global's, at most the interval).
    #[serde(default)]
    pub scrape_timeout: Duration,
    /// `scrape_protocols`.
    #[serde(default)]
    pub scrape_protocols: Option<Vec<String>>,
    /// `fallback_scrape_protocol`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fallback_scrape_protocol: String,
    /// `scrape_native_histograms`.
    #[serde(
        deserialize_with = "crate::yaml::yaml11_opt_bool",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub scrape_native_histograms: Option<bool>,
    /// `always_scrape_classic_histograms`.
    #[serde(
        deserialize_with = "crate::yaml::yaml11_opt_bool",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub always_scrape_classic_histograms: Option<bool>,
    /// `convert_classic_histograms_to_nhcb`.
    #[serde(
        deserialize_with = "crate::yaml::yaml11_opt_bool",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub convert_classic_histograms_to_nhcb: Option<bool>,
    /// `scrape_failure_log_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scrape_failure_log_file: String,
    /// `metrics_path` (default `/metrics`).
    #[serde(default = "default_metrics_path")]
    pub metrics_path: String,
    /// `scheme` (default `http`).
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// `enable_compression` (default true).
    #[serde(deserialize_with = "crate::yaml::yaml11_bool", default = "yes")]
    pub enable_compression: bool,
    /// `body_size_limit`.
    #[serde(default, skip_serializing_if = "is_zero_size")]
    pub body_size_limit: ByteSize,
    /// `sample_limit`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sample_limit: u64,
    /// `target_limit`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub target_limit: u64,
    /// `label_limit`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub label_limit: u64,
    /// `label_name_length_limit`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub label_name_length_limit: u64,
    /// `label_value_length_limit`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub label_value_length_limit: u64,
    /// `native_histogram_bucket_limit`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub native_histogram_bucket_limit: u64,
    /// `native_histogram_min_bucket_factor`.
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub native_histogram_min_bucket_factor: f64,
    /// `keep_dropped_targets`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub keep_dropped_targets: u64,
    /// `metric_name_validation_scheme`.
    #[serde(default)]
    pub metric_name_validation_scheme: String,
    /// `metric_name_escaping_scheme`.
    #[serde(default)]
    pub metric_name_escaping_scheme: String,
    /// `extra_scrape_metrics`.
    #[serde(
        deserialize_with = "crate::yaml::yaml11_opt_bool",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub extra_scrape_metrics: Option<bool>,
    /// The inline HTTP client options.
    #[serde(skip)]
    pub http: HttpClientConfig,
    /// The inline service discovery lists.
    #[serde(skip)]
    pub sd: ServiceDiscoveryConfigs,
    /// `relabel_configs`.
    #[serde(skip)]
    pub relabel_configs: Vec<RelabelConfig>,
    /// `metric_relabel_configs`.
    #[serde(skip)]
    pub metric_relabel_configs: Vec<RelabelConfig>,
    /// The `scrape_config_files` file this job was read from; `None` for
    /// jobs of the main file. Only main-file jobs are printed, as
    /// Prometheus' `/api/v1/status/config` shows them.
    #[serde(skip)]
    pub source_file: Option<std::path::PathBuf>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
fn is_zero_f(n: &f64) -> bool {
    *n == 0.0
}
fn is_zero_size(n: &ByteSize) -> bool {
    n.0 == 0
}
fn default_metrics_path() -> String {
    "/metrics".into()
}
fn default_scheme() -> String {
    "http".into()
}

impl ScrapeConfig {
    /// Decodes one entry of `scrape_configs` and validates it against `global`.
    pub(crate) fn parse(v: Value, global: &GlobalConfig) -> Result<ScrapeConfig, String> {
        if v.is_null() {
            return Err("empty or null scrape config section".into());
        }
        let mut map = yaml::as_mapping(v, "config.ScrapeConfig")?;
        let http_map = yaml::take_keys(&mut map, |k| HTTP_KEYS.contains(&k));
        let sd_map = yaml::take_keys(&mut map, is_sd_key);
        let relabel = map.remove("relabel_configs").unwrap_or(Value::Null);
        let metric_relabel = map.remove("metric_relabel_configs").unwrap_or(Value::Null);
        // Decoding order follows upstream: the inline SD configs are decoded
        // (and validated) together with the rest of the mapping.
        let mut c: ScrapeConfig = yaml::decode_map(map, "config.plain")?;
        c.sd = ServiceDiscoveryConfigs::from_mapping(sd_map, "config.plain")?;
        c.http = yaml::decode_map(http_map, "config.plain")?;
        if c.job_name.is_empty() {
            return Err("job_name is empty".into());
        }
        c.http.validate()?;
        let relabel_items = yaml::as_sequence(relabel, "[]*relabel.Config")?;
        if relabel_items.is_empty() {
            c.sd.check_static_targets()?;
        }
        if relabel_items.iter().any(Value::is_null) {
            return Err("empty or null target relabeling rule in scrape config".into());
        }
        let metric_items = yaml::as_sequence(metric_relabel, "[]*relabel.Config")?;
        if metric_items.iter().any(Value::is_null) {
            return Err("empty or null metric relabeling rule in scrape config".into());
        }
        let scheme = c.validate(global)?;
        let null = "empty or null relabeling rule";
        c.relabel_configs = relabel::parse_list(Value::Sequence(relabel_items), null, scheme)?;
        c.metric_relabel_configs =
            relabel::parse_list(Value::Sequence(metric_items), null, scheme)?;
        Ok(c)
    }

    /// Fills defaults from `global` and checks the job (upstream's
    /// `ScrapeConfig.Validate`); returns the name validation scheme in force.
    fn validate(&mut self, global: &GlobalConfig) -> Result<ValidationScheme, String> {
        let job = self.job_name.clone();
        if self.scrape_interval.is_zero() {
            self.scrape_interval = global.scrape_interval;
        }
        if self.scrape_timeout > self.scrape_interval {
            return Err(format!(
                "scrape timeout greater than scrape interval for scrape config with job name {job:?}"
            ));
        }
        if self.scrape_timeout.is_zero() {
            self.scrape_timeout = global.scrape_timeout.min(self.scrape_interval);
        }
        if self.body_size_limit.0 == 0 {
            self.body_size_limit = global.body_size_limit;
        }
        let inherit = |v: &mut u64, g: u64| {
            if *v == 0 {
                *v = g;
            }
        };
        inherit(&mut self.sample_limit, global.sample_limit);
        inherit(&mut self.target_limit, global.target_limit);
        inherit(&mut self.label_limit, global.label_limit);
        inherit(
            &mut self.label_name_length_limit,
            global.label_name_length_limit,
        );
        inherit(
            &mut self.label_value_length_limit,
            global.label_value_length_limit,
        );
        inherit(&mut self.keep_dropped_targets, global.keep_dropped_targets);
        if self.scrape_failure_log_file.is_empty() {
            self.scrape_failure_log_file = global.scrape_failure_log_file.clone();
        }
        if self.scrape_native_histograms.is_none() {
            self.scrape_native_histograms = global.scrape_native_histograms;
        }
        if self.extra_scrape_metrics.is_none() {
            self.extra_scrape_metrics = global.extra_scrape_metrics;
        }
        if self.scrape_protocols.is_none() {
            let list: Vec<String> = if let Some(g) = &global.scrape_protocols {
                g.clone()
            } else if self.scrape_native_histograms == Some(true) {
                PROTO_FIRST_SCRAPE_PROTOCOLS
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect()
            } else {
                DEFAULT_SCRAPE_PROTOCOLS
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect()
            };
            self.scrape_protocols = Some(list);
        }
        if let Some(ps) = &self.scrape_protocols {
            validate_protocols(ps)
                .map_err(|e| format!("{e} for scrape config with job name {job:?}"))?;
        }
        if !self.fallback_scrape_protocol.is_empty() {
            validate_protocol(&self.fallback_scrape_protocol).map_err(|e| {
                format!(
                    "invalid fallback_scrape_protocol for scrape config with job name {job:?}: {e}"
                )
            })?;
        }
        let global_scheme = global.validation_scheme();
        let local = parse_validation_scheme(&self.metric_name_validation_scheme)?;
        let scheme = local.unwrap_or(global_scheme);
        self.metric_name_validation_scheme = scheme_name(scheme).into();
        let global_escaping = match global.metric_name_escaping_scheme.as_str() {
            "" if global_scheme == ValidationScheme::Legacy => "underscores",
            "" => "allow-utf-8",
            other => other,
        };
        if self.metric_name_escaping_scheme.is_empty() {
            self.metric_name_escaping_scheme = if local.is_none() {
                global_escaping.into()
            } else if scheme == ValidationScheme::Legacy {
                "underscores".into()
            } else {
                "allow-utf-8".into()
            };
        }
        validate_escaping(&self.metric_name_escaping_scheme, "scrape config")?;
        if self.metric_name_escaping_scheme == "allow-utf-8" && scheme != ValidationScheme::Utf8 {
            return Err(
                "utf8 metric names requested but validation scheme is not set to UTF8".into(),
            );
        }
        if self.convert_classic_histograms_to_nhcb.is_none() {
            self.convert_classic_histograms_to_nhcb =
                Some(global.convert_classic_histograms_to_nhcb);
        }
        if self.always_scrape_classic_histograms.is_none() {
            self.always_scrape_classic_histograms = Some(global.always_scrape_classic_histograms);
        }
        Ok(scheme)
    }

    /// Resolves file references against `dir`.
    pub fn set_directory(&mut self, dir: &Path) {
        self.sd.set_directory(dir);
        self.http.set_directory(dir);
        resolve(dir, &mut self.scrape_failure_log_file);
    }

    /// The job as YAML, with the inline sections merged back in.
    pub fn to_yaml_value(&self) -> Value {
        let mut v = yaml::to_value(self);
        yaml::merge_into(&mut v, yaml::to_value(&self.http));
        yaml::merge_into(&mut v, yaml::to_value(&self.sd));
        if let Value::Mapping(m) = &mut v {
            insert_list(m, "relabel_configs", &self.relabel_configs);
            insert_list(m, "metric_relabel_configs", &self.metric_relabel_configs);
        }
        v
    }
}

/// Adds a non-empty list of relabel rules to a mapping being printed.
pub(crate) fn insert_list(m: &mut Mapping, key: &str, list: &[RelabelConfig]) {
    if !list.is_empty() {
        m.insert(Value::from(key), yaml::to_value(&list));
    }
}
