//! `kubernetes_sd_configs` (validated only; Vigil does not run it yet).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::SdInner;
use crate::http::HttpClientConfig;
use crate::types::{Url, resolve};

/// `kubernetes_sd_configs` entry.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct KubernetesSdConfig {
    /// `api_server`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_server: Option<Url>,
    /// `role`: pod, service, endpoints, endpointslice, node or ingress.
    pub role: String,
    /// `kubeconfig_file`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kubeconfig_file: String,
    /// `namespaces`.
    pub namespaces: NamespaceDiscovery,
    /// `selectors`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selectors: Vec<SelectorConfig>,
    /// `attach_metadata`.
    pub attach_metadata: AttachMetadata,
}

/// `namespaces`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NamespaceDiscovery {
    /// `own_namespace`.
    pub own_namespace: bool,
    /// `names`.
    pub names: Vec<String>,
}

/// One `selectors` entry.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelectorConfig {
    /// `role` the selector applies to.
    pub role: String,
    /// `label` selector.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// `field` selector.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
}

/// `attach_metadata`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachMetadata {
    /// `node`.
    pub node: bool,
    /// `namespace`.
    pub namespace: bool,
    /// `deployment`.
    pub deployment: bool,
    /// `job`.
    pub job: bool,
    /// `cronjob`.
    pub cronjob: bool,
}

const ROLES: &[&str] = &[
    "pod",
    "service",
    "endpoints",
    "endpointslice",
    "node",
    "ingress",
];

fn allowed_selectors(role: &str) -> &'static [&'static str] {
    match role {
        "pod" => &["pod", "node"],
        "service" => &["service"],
        "endpointslice" => &["pod", "service", "endpointslice"],
        "endpoints" => &["pod", "service", "endpoints"],
        "node" => &["node"],
        "ingress" => &["ingress"],
        _ => &[],
    }
}

/// Checks a field selector (`a=b,c!=d`) the way Kubernetes' `fields.ParseSelector` does.
fn check_field_selector(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Ok(());
    }
    for part in s.split(',') {
        let ok = part.contains("!=") || part.contains('=');
        if !ok {
            return Err(format!(
                "invalid selector: '{s}'; can't understand '{part}'"
            ));
        }
    }
    Ok(())
}

/// A light check of a label selector: each comma-separated requirement must
/// have a key (Kubernetes' full grammar also allows `in (…)`, `!key`).
fn check_label_selector(s: &str) -> Result<(), String> {
    for part in s.split(',') {
        let p = part.trim();
        if s.trim().is_empty() {
            return Ok(());
        }
        if p.is_empty() || p.starts_with('=') || p.starts_with("!=") {
            return Err(format!(
                "unable to parse requirement: found '{p}', expected: identifier"
            ));
        }
    }
    Ok(())
}

impl SdInner for KubernetesSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        if self.role.is_empty() {
            return Err(
                "role missing (one of: pod, service, endpoints, endpointslice, node, ingress)"
                    .into(),
            );
        }
        if !ROLES.contains(&self.role.as_str()) {
            return Err(format!("unknown Kubernetes SD role {:?}", self.role));
        }
        for s in &self.selectors {
            if !ROLES.contains(&s.role.as_str()) {
                return Err(format!("unknown Kubernetes SD role {:?}", s.role));
            }
        }
        if let Some(e) = self.api_server.as_ref().and_then(Url::parse_error) {
            return Err(e);
        }
        http.validate()?;
        let api = self
            .api_server
            .as_ref()
            .is_some_and(|u| !u.as_str().is_empty());
        let kubeconfig = !self.kubeconfig_file.is_empty();
        if api && kubeconfig {
            return Err("cannot use 'kubeconfig_file' and 'api_server' simultaneously".into());
        }
        if kubeconfig && !http.is_default() {
            return Err(
                "cannot use a custom HTTP client configuration together with 'kubeconfig_file'"
                    .into(),
            );
        }
        if !api && !http.is_default() {
            return Err("to use custom HTTP client configuration please provide the 'api_server' URL explicitly".into());
        }
        if api && self.namespaces.own_namespace {
            return Err(
                "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously".into(),
            );
        }
        if kubeconfig && self.namespaces.own_namespace {
            return Err(
                "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously".into(),
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        for s in &self.selectors {
            if seen.contains(&s.role.as_str()) {
                return Err(format!("duplicated selector role: {}", s.role));
            }
            seen.push(&s.role);
            let allowed = allowed_selectors(&self.role);
            if !allowed.contains(&s.role.as_str()) {
                return Err(format!(
                    "{} role supports only {} selectors",
                    self.role,
                    allowed.join(", ")
                ));
            }
            check_field_selector(&s.field)?;
            check_label_selector(&s.label)?;
        }
        Ok(())
    }

    fn set_dir(&mut self, dir: &Path) {
        resolve(dir, &mut self.kubeconfig_file);
    }
}
