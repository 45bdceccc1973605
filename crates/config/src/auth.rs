//! Cloud authentication blocks of `remote_write` (and `sigv4` of
//! Alertmanager configs): AWS SigV4, Azure AD and Google IAM.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::types::{Secret, resolve};

/// `sigv4`: sign requests for AWS (Amazon Managed Prometheus).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SigV4Config {
    /// `region`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// `access_key`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub access_key: String,
    /// `secret_key`.
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub secret_key: Secret,
    /// `profile`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub profile: String,
    /// `role_arn`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub role_arn: String,
    /// `external_id`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub external_id: String,
    /// `use_fips_sts_endpoint`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub use_fips_sts_endpoint: bool,
    /// `service_name`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub service_name: String,
}

impl SigV4Config {
    /// Static credentials come in pairs.
    pub fn validate(&self) -> Result<(), String> {
        if self.access_key.is_empty() != self.secret_key.is_empty() {
            return Err("must provide a AWS SigV4 Access key and Secret Key if credentials are specified in the SigV4 config".into());
        }
        Ok(())
    }
}

/// `azuread.managed_identity`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ManagedIdentity {
    /// `client_id` (a UUID; empty for the system-assigned identity).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_id: String,
}

/// `azuread.workload_identity`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadIdentity {
    /// `client_id` (UUID).
    pub client_id: String,
    /// `tenant_id` (UUID).
    pub tenant_id: String,
    /// `token_file_path`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub token_file_path: String,
}

/// `azuread.oauth`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AzureOAuth {
    /// `client_id` (UUID).
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: Secret,
    /// `tenant_id`.
    pub tenant_id: String,
}

/// `azuread.sdk`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AzureSdk {
    /// `tenant_id`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tenant_id: String,
}

/// `azuread.certificate`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AzureCertificate {
    /// `client_id` (UUID).
    pub client_id: String,
    /// `tenant_id`.
    pub tenant_id: String,
    /// `certificate_path`.
    pub certificate_path: String,
    /// `certificate_key_path`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub certificate_key_path: String,
    /// `certificate_password`.
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub certificate_password: Secret,
    /// `send_certificate_chain`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub send_certificate_chain: bool,
}

/// `azuread`: Azure AD authentication for remote write.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AzureAdConfig {
    /// `managed_identity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_identity: Option<ManagedIdentity>,
    /// `workload_identity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload_identity: Option<WorkloadIdentity>,
    /// `oauth`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth: Option<AzureOAuth>,
    /// `sdk`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk: Option<AzureSdk>,
    /// `certificate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<AzureCertificate>,
    /// `cloud`: AzurePublic (default), AzureChina or AzureGovernment.
    pub cloud: String,
    /// `scope`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

/// Whether `s` parses as a UUID the way Go's `uuid.Parse` accepts one.
fn is_uuid(s: &str) -> bool {
    let s = s.strip_prefix("urn:uuid:").unwrap_or(s);
    let s = s
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(s);
    let b = s.as_bytes();
    match b.len() {
        32 => b.iter().all(u8::is_ascii_hexdigit),
        36 => b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        }),
        _ => false,
    }
}

impl AzureAdConfig {
    /// Upstream's rules: a known cloud, exactly one method, UUID client ids.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.cloud.is_empty() {
            self.cloud = "AzurePublic".into();
        }
        if !["AzurePublic", "AzureChina", "AzureGovernment"].contains(&self.cloud.as_str()) {
            return Err("must provide a cloud in the Azure AD config".into());
        }
        let methods = [
            self.managed_identity.is_some(),
            self.workload_identity.is_some(),
            self.oauth.is_some(),
            self.sdk.is_some(),
            self.certificate.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if methods == 0 {
            return Err("must provide an Azure Managed Identity, Azure Workload Identity, Azure OAuth, Azure Certificate or Azure SDK in the Azure AD config".into());
        }
        if methods > 1 {
            return Err(
                "cannot provide multiple authentication methods in the Azure AD config".into(),
            );
        }
        if let Some(m) = &self.managed_identity {
            if !m.client_id.is_empty() && !is_uuid(&m.client_id) {
                return Err("the provided Azure Managed Identity client_id is invalid".into());
            }
        }
        if let Some(w) = &mut self.workload_identity {
            if w.client_id.is_empty() {
                return Err(
                    "must provide an Azure Workload Identity client_id in the Azure AD config"
                        .into(),
                );
            }
            if w.tenant_id.is_empty() {
                return Err(
                    "must provide an Azure Workload Identity tenant_id in the Azure AD config"
                        .into(),
                );
            }
            if !is_uuid(&w.client_id) {
                return Err("the provided Azure Workload Identity client_id is invalid".into());
            }
            if !is_uuid(&w.tenant_id) {
                return Err("the provided Azure Workload Identity tenant_id is invalid".into());
            }
        }
        if let Some(o) = &self.oauth {
            if o.client_id.is_empty() {
                return Err("must provide an Azure OAuth client_id in the Azure AD config".into());
            }
            if o.client_secret.is_empty() {
                return Err(
                    "must provide an Azure OAuth client_secret in the Azure AD config".into(),
                );
            }
            if o.tenant_id.is_empty() {
                return Err("must provide an Azure OAuth tenant_id in the Azure AD config".into());
            }
            if !is_uuid(&o.client_id) {
                return Err("the provided Azure OAuth client_id is invalid".into());
            }
        }
        if let Some(c) = &self.certificate {
            if c.client_id.is_empty() {
                return Err(
                    "must provide an Azure Certificate client_id in the Azure AD config".into(),
                );
            }
            if c.tenant_id.is_empty() {
                return Err(
                    "must provide an Azure Certificate tenant_id in the Azure AD config".into(),
                );
            }
            if c.certificate_path.is_empty() {
                return Err(
                    "must provide an Azure Certificate certificate_path in the Azure AD config"
                        .into(),
                );
            }
            if !is_uuid(&c.client_id) {
                return Err("the provided Azure Certificate client_id is invalid".into());
            }
        }
        let scope_ok = |c: char| {
            c.is_ascii_alphanumeric() || c == '_' || c.is_whitespace() || ":/.-".contains(c)
        };
        if !self.scope.is_empty() && !self.scope.chars().all(scope_ok) {
            return Err("the provided scope contains invalid characters".into());
        }
        Ok(())
    }

    /// Resolves certificate and token files.
    pub fn set_directory(&mut self, dir: &Path) {
        if let Some(c) = &mut self.certificate {
            resolve(dir, &mut c.certificate_path);
            resolve(dir, &mut c.certificate_key_path);
        }
        if let Some(w) = &mut self.workload_identity {
            resolve(dir, &mut w.token_file_path);
        }
    }
}

/// `google_iam`: Google Cloud credentials for remote write.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GoogleIamConfig {
    /// `credentials_file` (a service account key; empty for the default credentials).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub credentials_file: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        assert!(is_uuid("00000000-0000-0000-0000-000000000000"));
        assert!(is_uuid("{00000000-0000-0000-0000-000000000000}"));
        assert!(is_uuid("urn:uuid:00000000-0000-0000-0000-000000000000"));
        assert!(is_uuid("0123456789abcdef0123456789ABCDEF"));
        assert!(!is_uuid("not-a-uuid"));
    }

    #[test]
    fn azure_needs_one_method() {
        let mut c: AzureAdConfig = serde_yaml_ng::from_str("cloud: AzurePublic").expect("yaml");
        assert!(
            c.validate()
                .is_err_and(|e| e.starts_with("must provide an Azure Managed Identity"))
        );
        let mut c: AzureAdConfig = serde_yaml_ng::from_str(
            "managed_identity: {client_id: 00000000-0000-0000-0000-000000000000}",
        )
        .expect("yaml");
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.cloud, "AzurePublic");
    }
}
