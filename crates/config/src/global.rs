//! The `global` section and the scrape protocol names.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use vigil_model::ValidationScheme;

use crate::types::{ByteSize, Duration, resolve};

/// The content types a scrape can ask for, by their config names.
pub const SCRAPE_PROTOCOLS: &[(&str, &str)] = &[
    (
        "OpenMetricsText0.0.1",
        "application/openmetrics-text;version=0.0.1",
    ),
    (
        "OpenMetricsText1.0.0",
        "application/openmetrics-text;version=1.0.0",
    ),
    (
        "PrometheusProto",
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
    ),
    ("PrometheusText0.0.4", "text/plain;version=0.0.4"),
    ("PrometheusText1.0.0", "text/plain;version=1.0.0"),
];

/// Prometheus' default `scrape_protocols`.
pub const DEFAULT_SCRAPE_PROTOCOLS: &[&str] = &[
    "OpenMetricsText1.0.0",
    "OpenMetricsText0.0.1",
    "PrometheusText1.0.0",
    "PrometheusText0.0.4",
];

/// The default when native histograms are scraped: protobuf first.
pub const PROTO_FIRST_SCRAPE_PROTOCOLS: &[&str] = &[
    "PrometheusProto",
    "OpenMetricsText1.0.0",
    "OpenMetricsText0.0.1",
    "PrometheusText1.0.0",
    "PrometheusText0.0.4",
];

/// Checks one protocol name.
pub(crate) fn validate_protocol(p: &str) -> Result<(), String> {
    if SCRAPE_PROTOCOLS.iter().any(|(n, _)| *n == p) {
        return Ok(());
    }
    let names: Vec<&str> = SCRAPE_PROTOCOLS.iter().map(|(n, _)| *n).collect();
    Err(format!(
        "unknown scrape protocol {p}, supported: [{}]",
        names.join(" ")
    ))
}

/// Checks a `scrape_protocols` list: non-empty, known names, no duplicates
/// (case-insensitively).
pub(crate) fn validate_protocols(ps: &[String]) -> Result<(), String> {
    if ps.is_empty() {
        return Err("scrape_protocols cannot be empty".into());
    }
    let mut seen: Vec<String> = Vec::new();
    for p in ps {
        let lower = p.to_lowercase();
        if seen.contains(&lower) {
            return Err(format!(
                "duplicated protocol in scrape_protocols, got [{}]",
                ps.join(" ")
            ));
        }
        validate_protocol(p).map_err(|e| format!("scrape_protocols: {e}"))?;
        seen.push(lower);
    }
    Ok(())
}

/// Parses a `metric_name_validation_scheme` value (`""` is unset).
pub(crate) fn parse_validation_scheme(s: &str) -> Result<Option<ValidationScheme>, String> {
    match s {
        "" => Ok(None),
        "legacy" => Ok(Some(ValidationScheme::Legacy)),
        "utf8" => Ok(Some(ValidationScheme::Utf8)),
        other => Err(format!("unrecognized ValidationScheme: {other:?}")),
    }
}

/// The name of a validation scheme in YAML.
pub(crate) fn scheme_name(s: ValidationScheme) -> &'static str {
    match s {
        ValidationScheme::Legacy => "legacy",
        ValidationScheme::Utf8 => "utf8",
    }
}

/// Checks a `metric_name_escaping_scheme` value.
pub(crate) fn validate_escaping(s: &str, what: &str) -> Result<(), String> {
    match s {
        "allow-utf-8" | "underscores" | "dots" | "values" => Ok(()),
        other => Err(format!(
            "unknown {what} name escaping method specified, must be one of 'allow-utf-8', 'underscores', 'dots', or 'values', got {other:?}"
        )),
    }
}

/// `global`: defaults for every scrape config and the server.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GlobalConfig {
    /// `scrape_interval` (1m).
    pub scrape_interval: Duration,
    /// `scrape_timeout` (10s, at most the interval).
    pub scrape_timeout: Duration,
    /// `scrape_protocols`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_protocols: Option<Vec<String>>,
    /// `evaluation_interval` (1m).
    pub evaluation_interval: Duration,
    /// `rule_query_offset`.
    #[serde(skip_serializing_if = "Duration::is_zero")]
    pub rule_query_offset: Duration,
    /// `query_log_file`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub query_log_file: String,
    /// `scrape_failure_log_file`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scrape_failure_log_file: String,
    /// `external_labels`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub external_labels: BTreeMap<String, String>,
    /// `body_size_limit`.
    #[serde(skip_serializing_if = "is_zero_size")]
    pub body_size_limit: ByteSize,
    /// `sample_limit`.
    #[serde(skip_serializing_if = "is_zero")]
    pub sample_limit: u64,
    /// `target_limit`.
    #[serde(skip_serializing_if = "is_zero")]
    pub target_limit: u64,
    /// `label_limit`.
    #[serde(skip_serializing_if = "is_zero")]
    pub label_limit: u64,
    /// `label_name_length_limit`.
    #[serde(skip_serializing_if = "is_zero")]
    pub label_name_length_limit: u64,
    /// `label_value_length_limit`.
    #[serde(skip_serializing_if = "is_zero")]
    pub label_value_length_limit: u64,
    /// `keep_dropped_targets`.
    #[serde(skip_serializing_if = "is_zero")]
    pub keep_dropped_targets: u64,
    /// `metric_name_validation_scheme` (`utf8` or `legacy`).
    pub metric_name_validation_scheme: String,
    /// `metric_name_escaping_scheme`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub metric_name_escaping_scheme: String,
    /// `scrape_native_histograms`.
    #[serde(
        deserialize_with = "crate::yaml::yaml11_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub scrape_native_histograms: Option<bool>,
    /// `convert_classic_histograms_to_nhcb`.
    #[serde(
        deserialize_with = "crate::yaml::yaml11_bool",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub convert_classic_histograms_to_nhcb: bool,
    /// `always_scrape_classic_histograms`.
    #[serde(
        deserialize_with = "crate::yaml::yaml11_bool",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub always_scrape_classic_histograms: bool,
    /// `extra_scrape_metrics`.
    #[serde(
        deserialize_with = "crate::yaml::yaml11_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub extra_scrape_metrics: Option<bool>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
fn is_zero_size(n: &ByteSize) -> bool {
    n.0 == 0
}

impl Default for GlobalConfig {
    fn default() -> Self {
        GlobalConfig {
            scrape_interval: Duration::default(),
            scrape_timeout: Duration::default(),
            scrape_protocols: None,
            evaluation_interval: Duration::default(),
            rule_query_offset: Duration::default(),
            query_log_file: String::new(),
            scrape_failure_log_file: String::new(),
            external_labels: BTreeMap::new(),
            body_size_limit: ByteSize(0),
            sample_limit: 0,
            target_limit: 0,
            label_limit: 0,
            label_name_length_limit: 0,
            label_value_length_limit: 0,
            keep_dropped_targets: 0,
            metric_name_validation_scheme: String::new(),
            metric_name_escaping_scheme: String::new(),
            scrape_native_histograms: None,
            convert_classic_histograms_to_nhcb: false,
            always_scrape_classic_histograms: false,
            extra_scrape_metrics: None,
        }
    }
}

impl GlobalConfig {
    /// Fills Prometheus' defaults and checks the section.
    pub fn validate(&mut self) -> Result<(), String> {
        // An unknown scheme here falls back to the default (upstream's
        // GlobalConfig.UnmarshalYAML) after the YAML-level check refused it.
        let scheme = parse_validation_scheme(&self.metric_name_validation_scheme)?
            .unwrap_or(ValidationScheme::Utf8);
        self.metric_name_validation_scheme = scheme_name(scheme).into();
        for (name, value) in &self.external_labels {
            if !vigil_model::names::is_valid_label_name(name, scheme) {
                return Err(format!("{name:?} is not a valid label name"));
            }
            let _ = value;
        }
        if self.scrape_interval.is_zero() {
            self.scrape_interval = Duration::from_secs(60);
        }
        if self.scrape_timeout > self.scrape_interval {
            return Err("global scrape timeout greater than scrape interval".into());
        }
        if self.scrape_timeout.is_zero() {
            self.scrape_timeout = Duration::from_secs(10).min(self.scrape_interval);
        }
        if self.evaluation_interval.is_zero() {
            self.evaluation_interval = Duration::from_secs(60);
        }
        self.scrape_native_histograms.get_or_insert(false);
        self.extra_scrape_metrics.get_or_insert(false);
        if let Some(ps) = &self.scrape_protocols {
            validate_protocols(ps).map_err(|e| format!("{e} for global config"))?;
        }
        if !self.metric_name_escaping_scheme.is_empty() {
            validate_escaping(&self.metric_name_escaping_scheme, "global")?;
        }
        Ok(())
    }

    /// The validation scheme after [`GlobalConfig::validate`].
    pub fn validation_scheme(&self) -> ValidationScheme {
        if self.metric_name_validation_scheme == "legacy" {
            ValidationScheme::Legacy
        } else {
            ValidationScheme::Utf8
        }
    }

    /// Resolves file references.
    pub fn set_directory(&mut self, dir: &Path) {
        resolve(dir, &mut self.query_log_file);
        resolve(dir, &mut self.scrape_failure_log_file);
    }
}
