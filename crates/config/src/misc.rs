//! The smaller sections: `storage`, `tracing`, `otlp`, `runtime`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value;

use crate::http::TlsConfig;
use crate::types::{ByteSize, Duration};

/// `storage`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// `tsdb`.
    pub tsdb: TsdbConfig,
    /// `exemplars`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemplars: Option<ExemplarsConfig>,
}

/// `storage.tsdb`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TsdbConfig {
    /// `out_of_order_time_window`.
    #[serde(skip_serializing_if = "Duration::is_zero")]
    pub out_of_order_time_window: Duration,
    /// `stale_series_compaction_threshold`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale_series_compaction_threshold: Option<f64>,
    /// `chunk_encoding`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk_encoding: Option<ChunkEncoding>,
    /// `retention`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
}

/// `storage.tsdb.chunk_encoding`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChunkEncoding {
    /// `floats`: `xor` or `xor2`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub floats: String,
}

/// `storage.tsdb.retention`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// `time`.
    #[serde(skip_serializing_if = "Duration::is_zero")]
    pub time: Duration,
    /// `size`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<Value>,
    /// `percentage` of the disk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentage: Option<f64>,
}

impl Retention {
    /// `size` in bytes, if set (validation has checked it parses and is
    /// not negative).
    pub fn size_bytes(&self) -> Option<u64> {
        let text = match self.size.as_ref()? {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        ByteSize::parse(&text).ok().map(|b| b.0)
    }
}

/// `storage.exemplars`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExemplarsConfig {
    /// `max_exemplars`.
    pub max_exemplars: i64,
}

impl StorageConfig {
    /// Upstream's checks on retention and chunk encoding.
    pub fn validate(&mut self) -> Result<(), String> {
        if let Some(r) = &self.tsdb.retention {
            if let Some(size) = &r.size {
                let text = match size {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => String::new(),
                };
                if text.starts_with('-') {
                    return Err(
                        "'storage.tsdb.retention.size' must be greater than or equal to 0".into(),
                    );
                }
                ByteSize::parse(&text)?;
            }
            if let Some(p) = r.percentage {
                if !(0.0..=100.0).contains(&p) {
                    return Err(
                        "'storage.tsdb.retention.percentage' must be in the range [0, 100]".into(),
                    );
                }
            }
        }
        if let Some(c) = &self.tsdb.chunk_encoding {
            if !c.floats.is_empty() && c.floats != "xor" && c.floats != "xor2" {
                return Err(format!(
                    "'storage.tsdb.chunk_encoding.floats' must be 'xor' or 'xor2', or the field must be omitted entirely, got {:?}",
                    c.floats
                ));
            }
        }
        Ok(())
    }
}

/// `tracing`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TracingConfig {
    /// `client_type`: `grpc` (default) or `http`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_type: String,
    /// `endpoint`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    /// `sampling_fraction`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampling_fraction: Option<f64>,
    /// `insecure`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool")]
    pub insecure: bool,
    /// `tls_config`.
    pub tls_config: TlsConfig,
    /// `headers`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// `compression`: `gzip` or empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub compression: String,
    /// `timeout`.
    #[serde(skip_serializing_if = "Duration::is_zero")]
    pub timeout: Duration,
}

impl TracingConfig {
    /// Checks a `tracing` section that was present in the file.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.endpoint.is_empty() {
            return Err("tracing endpoint must be set".into());
        }
        if self.client_type.is_empty() {
            self.client_type = "grpc".into();
        }
        match self.client_type.as_str() {
            "grpc" | "http" => {}
            t => {
                return Err(format!(
                    "expected tracing client type to be to be one of [grpc, http] but got {t}"
                ));
            }
        }
        crate::remote::validate_headers(&self.headers, true)?;
        if !self.compression.is_empty() && self.compression != "gzip" {
            return Err(format!(
                "invalid compression type {} provided, valid options: gzip",
                self.compression
            ));
        }
        self.tls_config.validate()
    }

    /// Resolves TLS files.
    pub fn set_directory(&mut self, dir: &Path) {
        self.tls_config.set_directory(dir);
    }
}

/// `otlp`: how OTLP metrics received over `/api/v1/otlp` are translated.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpConfig {
    /// `promote_all_resource_attributes`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool")]
    pub promote_all_resource_attributes: bool,
    /// `promote_resource_attributes`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub promote_resource_attributes: Vec<String>,
    /// `ignore_resource_attributes`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_resource_attributes: Vec<String>,
    /// `translation_strategy`.
    pub translation_strategy: String,
    /// `keep_identifying_resource_attributes`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool")]
    pub keep_identifying_resource_attributes: bool,
    /// `convert_histograms_to_nhcb`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool")]
    pub convert_histograms_to_nhcb: bool,
    /// `promote_scope_metadata`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool")]
    pub promote_scope_metadata: bool,
    /// `label_name_underscore_sanitization`.
    #[serde(
        deserialize_with = "crate::yaml::yaml11_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub label_name_underscore_sanitization: Option<bool>,
    /// `label_name_preserve_multiple_underscores`.
    #[serde(
        deserialize_with = "crate::yaml::yaml11_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub label_name_preserve_multiple_underscores: Option<bool>,
}

const TRANSLATION_STRATEGIES: &[&str] = &[
    "UnderscoreEscapingWithSuffixes",
    "UnderscoreEscapingWithoutSuffixes",
    "NoUTF8EscapingWithSuffixes",
    "NoTranslation",
];

fn sanitize(attrs: &mut [String], adjective: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for a in attrs.iter_mut() {
        let t = a.trim().to_owned();
        if t.is_empty() {
            errs.push(format!("empty {adjective} OTel resource attribute"));
            continue;
        }
        if seen.contains(&t) {
            errs.push(format!(
                "duplicated {adjective} OTel resource attribute {t:?}"
            ));
            continue;
        }
        seen.push(t.clone());
        *a = t;
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("\n"))
    }
}

impl OtlpConfig {
    /// Upstream's checks and the default translation strategy.
    pub fn validate(&mut self) -> Result<(), String> {
        self.label_name_underscore_sanitization.get_or_insert(true);
        self.label_name_preserve_multiple_underscores
            .get_or_insert(true);
        if self.translation_strategy.is_empty() {
            self.translation_strategy = "UnderscoreEscapingWithSuffixes".into();
        }
        if !TRANSLATION_STRATEGIES.contains(&self.translation_strategy.as_str()) {
            return Err(format!(
                "unsupported OTLP translation strategy {:?}",
                self.translation_strategy
            ));
        }
        if self.promote_all_resource_attributes {
            if !self.promote_resource_attributes.is_empty() {
                return Err("'promote_all_resource_attributes' and 'promote_resource_attributes' cannot be configured simultaneously".into());
            }
            sanitize(&mut self.ignore_resource_attributes, "ignored")
                .map_err(|e| format!("invalid 'ignore_resource_attributes': {e}"))
        } else {
            if !self.ignore_resource_attributes.is_empty() {
                return Err("'ignore_resource_attributes' cannot be configured unless 'promote_all_resource_attributes' is true".into());
            }
            sanitize(&mut self.promote_resource_attributes, "promoted")
                .map_err(|e| format!("invalid 'promote_resource_attributes': {e}"))
        }
    }
}

/// `runtime`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeConfig {
    /// `gogc` (75): Vigil has no Go GC but keeps the value for compatibility.
    pub gogc: i64,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig { gogc: 75 }
    }
}
