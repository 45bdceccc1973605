//! The SD families Vigil runs: static targets, files, HTTP and DNS.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{SdInner, no_files, sd_struct};
use crate::http::HttpClientConfig;
use crate::types::{Duration, Url, resolve};

/// One `static_configs` entry (and the format of SD files): targets sharing labels.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TargetGroup {
    /// `targets`: `host:port` addresses.
    #[serde(default)]
    pub targets: Vec<String>,
    /// `labels` added to every target.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `file_sd_configs`: target groups read from JSON/YAML files.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileSdConfig {
    /// `files`: paths or globs (`*` only in the last element).
    pub files: Vec<String>,
    /// `refresh_interval` (default 5m).
    #[serde(default = "five_minutes")]
    pub refresh_interval: Duration,
}

fn five_minutes() -> Duration {
    Duration::from_secs(300)
}

impl FileSdConfig {
    /// Prometheus requires at least one file, each a `.json`, `.yml` or
    /// `.yaml` path whose directory part has no glob characters.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.files.is_empty() {
            return Err("file service discovery config must contain at least one path name".into());
        }
        for f in &self.files {
            let name = f.rsplit('/').next().unwrap_or(f);
            let ok = [".json", ".yml", ".yaml"].iter().any(|e| name.ends_with(e));
            if !ok {
                return Err(format!("path name {f:?} is not valid for file discovery"));
            }
            let dir = f.get(..f.len() - name.len()).unwrap_or("");
            if dir.contains(['*', '?', '[']) {
                return Err(format!("path name {f:?} is not valid for file discovery"));
            }
        }
        Ok(())
    }
    /// Resolves the file paths against the config file's directory.
    pub fn set_directory(&mut self, dir: &Path) {
        for f in &mut self.files {
            resolve(dir, f);
        }
    }
}

sd_struct! {
    /// `http_sd_configs`: target groups fetched from an HTTP endpoint.
    HttpSdConfig {
        url: Url,
        refresh_interval: Option<Duration>,
    }
}

/// The URL checks Prometheus applies to SD endpoints (`http_sd`, `puppetdb`).
pub(crate) fn check_http_url(url: &Url) -> Result<(), String> {
    if url.as_str().is_empty() {
        return Err("URL is missing".into());
    }
    if let Some(e) = url.parse_error() {
        return Err(e);
    }
    match url.scheme() {
        Some("http" | "https") => {}
        _ => return Err("URL scheme must be 'http' or 'https'".into()),
    }
    if url.host().is_empty() {
        return Err("host is missing in URL".into());
    }
    Ok(())
}

impl SdInner for HttpSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        if self.refresh_interval.is_none() {
            self.refresh_interval = Some(Duration::from_secs(60));
        }
        check_http_url(&self.url)?;
        http.validate()
    }
}

sd_struct! {
    /// `dns_sd_configs`: targets from DNS SRV, A, AAAA, MX or NS records.
    DnsSdConfig {
        names: Vec<String>,
        refresh_interval: Option<Duration>,
        r#type: String,
        port: u16,
    }
}

impl DnsSdConfig {
    /// Prometheus' rules: at least one name, a known record type, a port
    /// for the types whose records carry none.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.refresh_interval.is_none() {
            self.refresh_interval = Some(Duration::from_secs(30));
        }
        if self.names.is_empty() {
            return Err("DNS-SD config must contain at least one SRV record name".into());
        }
        if self.r#type.is_empty() {
            self.r#type = "SRV".into();
        }
        match self.r#type.to_ascii_uppercase().as_str() {
            "SRV" => {}
            "A" | "AAAA" | "MX" | "NS" => {
                if self.port == 0 {
                    return Err(
                        "a port is required in DNS-SD configs for all record types except SRV"
                            .into(),
                    );
                }
            }
            _ => return Err(format!("invalid DNS-SD records type {}", self.r#type)),
        }
        Ok(())
    }
}

no_files!(DnsSdConfig);
