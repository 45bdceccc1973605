//! Cloud provider SD families (AWS, Azure, GCE, OpenStack, OCI, Outscale,
//! Scaleway, STACKIT, IONOS, OVHcloud, Hetzner, Linode, Vultr,
//! DigitalOcean): validated only.

use std::path::Path;

use super::{SdInner, no_files, sd_struct};
use crate::http::{HttpClientConfig, TlsConfig};
use crate::types::{Duration, Secret, Url, resolve};

sd_struct! {
    /// An AWS filter (`name` and `values`).
    AwsFilter { name: String, values: Vec<String> }
}

sd_struct! {
    /// `ec2_sd_configs` / `rds_sd_configs`.
    Ec2SdConfig {
        endpoint: String, region: String, access_key: String, secret_key: Secret,
        profile: String, role_arn: String, external_id: String,
        refresh_interval: Option<Duration>, port: u16, filters: Vec<AwsFilter>,
        clusters: Vec<String>, request_concurrency: u32,
    }
}

impl SdInner for Ec2SdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        for f in &self.filters {
            if f.values.is_empty() {
                return Err("EC2 SD configuration filter values cannot be empty".into());
            }
        }
        http.validate()
    }
}

sd_struct! {
    /// `aws_sd_configs`: the generic AWS SD with a `role`.
    AwsSdConfig {
        role: String, endpoint: String, region: String, access_key: String, secret_key: Secret,
        profile: String, role_arn: String, external_id: String,
        refresh_interval: Option<Duration>, port: u16, filters: Vec<AwsFilter>,
        clusters: Vec<String>, request_concurrency: u32,
        ec2: Option<serde_yaml_ng::Value>, ecs: Option<serde_yaml_ng::Value>,
        elasticache: Option<serde_yaml_ng::Value>, lightsail: Option<serde_yaml_ng::Value>,
        msk: Option<serde_yaml_ng::Value>, rds: Option<serde_yaml_ng::Value>,
    }
}

impl SdInner for AwsSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        match self.role.as_str() {
            "ec2" | "ecs" | "elasticache" | "lightsail" | "msk" | "rds" => {}
            r => return Err(format!("unknown AWS SD role {r:?}")),
        }
        for f in &self.filters {
            if f.values.is_empty() {
                return Err("EC2 SD configuration filter values cannot be empty".into());
            }
        }
        http.validate()
    }
}

sd_struct! {
    /// `ecs_sd_configs`, `elasticache_sd_configs`, `msk_sd_configs`.
    EcsSdConfig {
        region: String, endpoint: String, access_key: String, secret_key: Secret,
        profile: String, role_arn: String, external_id: String, clusters: Vec<String>,
        port: u16, refresh_interval: Option<Duration>, request_concurrency: u32,
    }
}

impl SdInner for EcsSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        http.validate()
    }
}

sd_struct! {
    /// `lightsail_sd_configs`.
    LightsailSdConfig {
        endpoint: String, region: String, access_key: String, secret_key: Secret,
        profile: String, role_arn: String, external_id: String,
        refresh_interval: Option<Duration>, port: u16,
    }
}

impl SdInner for LightsailSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        http.validate()
    }
}

sd_struct! {
    /// `azure_sd_configs`.
    AzureSdConfig {
        environment: String, port: u16, subscription_id: String, tenant_id: String,
        client_id: String, client_secret: Secret, refresh_interval: Option<Duration>,
        authentication_method: String, resource_group: String,
    }
}

impl SdInner for AzureSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        if self.authentication_method.is_empty() {
            self.authentication_method = "OAuth".into();
        }
        if self.environment.is_empty() {
            self.environment = "AzurePublicCloud".into();
        }
        if self.port == 0 {
            self.port = 80;
        }
        if self.subscription_id.is_empty() {
            return Err("azure SD configuration requires a subscription_id".into());
        }
        match self.authentication_method.as_str() {
            "OAuth" => {
                if self.tenant_id.is_empty() {
                    return Err("azure SD configuration requires a tenant_id".into());
                }
                if self.client_id.is_empty() {
                    return Err("azure SD configuration requires a client_id".into());
                }
                if self.client_secret.is_empty() {
                    return Err("azure SD configuration requires a client_secret".into());
                }
            }
            "ManagedIdentity" | "SDK" | "WorkloadIdentity" => {}
            other => {
                return Err(format!(
                    "unknown authentication_type {other:?}. Supported types are \"OAuth\", \"ManagedIdentity\", \"SDK\" or \"WorkloadIdentity\""
                ));
            }
        }
        http.validate()
    }
}

sd_struct! {
    /// `gce_sd_configs`.
    GceSdConfig {
        project: String, zone: String, filter: String,
        refresh_interval: Option<Duration>, port: u16, tag_separator: String,
    }
}

impl GceSdConfig {
    /// Project and zone are required.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.project.is_empty() {
            return Err("GCE SD configuration requires a project".into());
        }
        if self.zone.is_empty() {
            return Err("GCE SD configuration requires a zone".into());
        }
        Ok(())
    }
}

sd_struct! {
    /// `openstack_sd_configs`.
    OpenstackSdConfig {
        identity_endpoint: String, username: String, userid: String, password: Secret,
        project_name: String, project_id: String, domain_name: String, domain_id: String,
        application_credential_name: String, application_credential_id: String,
        application_credential_secret: Secret, role: String, region: String,
        refresh_interval: Option<Duration>, port: u16, all_tenants: bool,
        tls_config: TlsConfig, availability: String,
    }
}

impl OpenstackSdConfig {
    /// Role, availability and region rules.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.availability.is_empty() {
            self.availability = "public".into();
        }
        match self.availability.as_str() {
            "public" | "internal" | "admin" => {}
            a => {
                return Err(format!(
                    "unknown availability {a}, must be one of admin, internal or public"
                ));
            }
        }
        match self.role.as_str() {
            "hypervisor" | "instance" | "loadbalancer" => {}
            "" => return Err("role missing (one of: instance, hypervisor, loadbalancer)".into()),
            _ => return Err(format!("unknown OpenStack SD role {:?}", self.role)),
        }
        if self.region.is_empty() {
            return Err("openstack SD configuration requires a region".into());
        }
        self.tls_config.validate()
    }
    /// Resolves TLS files.
    pub fn set_directory(&mut self, dir: &Path) {
        self.tls_config.set_directory(dir);
    }
}

sd_struct! {
    /// `oci_sd_configs`.
    OciSdConfig {
        auth: String, tenancy: String, user: String, fingerprint: String, key_file: String,
        key_passphrase: Secret, key_passphrase_file: String, region: String,
        compartments: Vec<String>, port: u16, refresh_interval: Option<Duration>,
    }
}

impl SdInner for OciSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        match self.auth.as_str() {
            "" | "api_key" | "instance_principal" => {}
            a => {
                return Err(format!(
                    "oci_sd: unknown auth method {a:?}, expected \"api_key\" or \"instance_principal\""
                ));
            }
        }
        http.validate()
    }
    fn set_dir(&mut self, dir: &Path) {
        resolve(dir, &mut self.key_file);
        resolve(dir, &mut self.key_passphrase_file);
    }
}

sd_struct! {
    /// `outscale_sd_configs`.
    OutscaleSdConfig {
        endpoint: String, region: String, access_key: String, secret_key: Secret,
        secret_key_file: String, refresh_interval: Option<Duration>, port: u16,
    }
}

impl SdInner for OutscaleSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        if self.region.is_empty() {
            return Err("outscale SD configuration requires a region".into());
        }
        secret_pair(&self.secret_key, &self.secret_key_file)?;
        http.validate()
    }
    fn set_dir(&mut self, dir: &Path) {
        resolve(dir, &mut self.secret_key_file);
    }
}

/// Exactly one of `secret_key` and `secret_key_file`.
fn secret_pair(key: &Secret, file: &str) -> Result<(), String> {
    match (key.is_empty(), file.is_empty()) {
        (true, true) => Err("one of secret_key & secret_key_file must be configured".into()),
        (false, false) => {
            Err("at most one of secret_key & secret_key_file must be configured".into())
        }
        _ => Ok(()),
    }
}

sd_struct! {
    /// `scaleway_sd_configs`.
    ScalewaySdConfig {
        project_id: String, api_url: String, zone: String, access_key: String,
        secret_key: Secret, secret_key_file: String, name_filter: String,
        tags_filter: Vec<String>, refresh_interval: Option<Duration>, port: u16, role: String,
    }
}

impl SdInner for ScalewaySdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        match self.role.as_str() {
            "instance" | "baremetal" => {}
            "" => return Err("role missing (one of: instance, baremetal)".into()),
            r => return Err(format!("unknown role {r:?}")),
        }
        if self.project_id.is_empty() {
            return Err("project_id is mandatory".into());
        }
        secret_pair(&self.secret_key, &self.secret_key_file)?;
        if self.access_key.is_empty() {
            return Err("access_key is mandatory".into());
        }
        http.validate()
    }
    fn set_dir(&mut self, dir: &Path) {
        resolve(dir, &mut self.secret_key_file);
    }
}

sd_struct! {
    /// `stackit_sd_configs`.
    StackitSdConfig {
        project: String, refresh_interval: Option<Duration>, port: u16, region: String,
        endpoint: String, service_account_key: Secret, private_key: Secret,
        service_account_key_path: String, private_key_path: String, credentials_file_path: String,
    }
}

impl SdInner for StackitSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        if !self.endpoint.is_empty() {
            let u = Url(self.endpoint.clone());
            if u.scheme().is_none() || u.host().is_empty() || u.parse_error().is_some() {
                return Err(format!("invalid endpoint {:?}", self.endpoint));
            }
        }
        http.validate()
    }
    fn set_dir(&mut self, dir: &Path) {
        resolve(dir, &mut self.service_account_key_path);
        resolve(dir, &mut self.private_key_path);
        resolve(dir, &mut self.credentials_file_path);
    }
}

sd_struct! {
    /// `ionos_sd_configs`.
    IonosSdConfig { datacenter_id: String, refresh_interval: Option<Duration>, port: u16 }
}

impl SdInner for IonosSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        if self.datacenter_id.is_empty() {
            return Err("datacenter id can't be empty".into());
        }
        http.validate()
    }
}

sd_struct! {
    /// `ovhcloud_sd_configs`.
    OvhcloudSdConfig {
        endpoint: String, application_key: String, application_secret: Secret,
        consumer_key: Secret, refresh_interval: Option<Duration>, service: String,
    }
}

impl OvhcloudSdConfig {
    /// Credentials and service are required.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.endpoint.is_empty() {
            self.endpoint = "ovh-eu".into();
        }
        if self.application_key.is_empty() {
            return Err("application key can not be empty".into());
        }
        if self.application_secret.is_empty() {
            return Err("application secret can not be empty".into());
        }
        if self.consumer_key.is_empty() {
            return Err("consumer key can not be empty".into());
        }
        match self.service.as_str() {
            "vps" | "dedicated_server" => Ok(()),
            "" => Err("service can not be empty".into()),
            s => Err(format!("unknown service: {s}")),
        }
    }
}

sd_struct! {
    /// `hetzner_sd_configs`.
    HetznerSdConfig { refresh_interval: Option<Duration>, port: u16, role: String, label_selector: String }
}

impl SdInner for HetznerSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        match self.role.as_str() {
            "robot" | "hcloud" => {}
            "" => return Err("role missing (one of: robot, hcloud)".into()),
            r => return Err(format!("unknown role {r:?}")),
        }
        http.validate()
    }
}

sd_struct! {
    /// `linode_sd_configs`.
    LinodeSdConfig { refresh_interval: Option<Duration>, port: u16, tag_separator: String, region: String }
}

sd_struct! {
    /// `vultr_sd_configs`.
    VultrSdConfig { refresh_interval: Option<Duration>, port: u16 }
}

sd_struct! {
    /// `digitalocean_sd_configs`.
    DigitaloceanSdConfig { refresh_interval: Option<Duration>, port: u16, role: String }
}

macro_rules! http_only {
    ($($t:ty),*) => {$(
        impl SdInner for $t {
            fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
                http.validate()
            }
        }
    )*};
}
http_only!(LinodeSdConfig, VultrSdConfig, DigitaloceanSdConfig);

no_files!(GceSdConfig, OvhcloudSdConfig);
