//! Service-registry and orchestrator SD families (Consul, Nomad, Eureka,
//! Marathon, PuppetDB, Uyuni, Docker, Docker Swarm, Triton, Kuma,
//! ZooKeeper serverset/nerve): validated only.

use std::collections::BTreeMap;
use std::path::Path;

use super::core::check_http_url;
use super::{SdInner, no_files, sd_struct};
use crate::http::{HttpClientConfig, TlsConfig};
use crate::types::{Duration, Secret, Url, resolve};

sd_struct! {
    /// `consul_sd_configs`.
    ConsulSdConfig {
        server: Option<String>, path_prefix: String, token: Secret, datacenter: String,
        namespace: String, partition: String, tag_separator: Option<String>, scheme: Option<String>,
        username: String, password: Secret, allow_stale: Option<bool>,
        refresh_interval: Option<Duration>, services: Vec<String>, tags: Vec<String>,
        node_meta: BTreeMap<String, String>, filter: String, health_filter: String,
    }
}

impl SdInner for ConsulSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        let server = self.server.get_or_insert_with(|| "localhost:8500".into());
        if server.trim().is_empty() {
            return Err("consul SD configuration requires a server address".into());
        }
        self.scheme.get_or_insert_with(|| "http".into());
        self.tag_separator.get_or_insert_with(|| ",".into());
        self.allow_stale.get_or_insert(true);
        if (!self.username.is_empty() || !self.password.is_empty()) && http.basic_auth.is_some() {
            return Err("at most one of consul SD configuration username and password and basic auth can be configured".into());
        }
        if !self.token.is_empty() && (http.authorization.is_some() || http.oauth2.is_some()) {
            return Err(
                "at most one of consul SD token, authorization, or oauth2 can be configured".into(),
            );
        }
        http.validate()
    }
}

sd_struct! {
    /// `nomad_sd_configs`.
    NomadSdConfig {
        allow_stale: Option<bool>, namespace: String, refresh_interval: Option<Duration>,
        region: String, server: Option<String>, tag_separator: Option<String>,
    }
}

impl SdInner for NomadSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        let server = self
            .server
            .get_or_insert_with(|| "http://localhost:4646".into());
        if server.trim().is_empty() {
            return Err("nomad SD configuration requires a server address".into());
        }
        http.validate()
    }
}

sd_struct! {
    /// `eureka_sd_configs`.
    EurekaSdConfig { server: String, refresh_interval: Option<Duration> }
}

impl SdInner for EurekaSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        if self.server.is_empty() {
            return Err("eureka_sd: empty or null eureka server".into());
        }
        let u = Url(self.server.clone());
        if u.parse_error().is_some() || u.scheme().is_none() || u.host().is_empty() {
            return Err("eureka_sd: invalid eureka server URL".into());
        }
        http.validate()
    }
}

sd_struct! {
    /// `marathon_sd_configs`.
    MarathonSdConfig {
        servers: Vec<String>, refresh_interval: Option<Duration>, auth_token: Secret, auth_token_file: String,
    }
}

impl SdInner for MarathonSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        let token = !self.auth_token.is_empty() || !self.auth_token_file.is_empty();
        if self.servers.is_empty() {
            return Err("marathon_sd: must contain at least one Marathon server".into());
        }
        if !self.auth_token.is_empty() && !self.auth_token_file.is_empty() {
            return Err(
                "marathon_sd: at most one of auth_token & auth_token_file must be configured"
                    .into(),
            );
        }
        if http.basic_auth.is_some() && token {
            return Err("marathon_sd: at most one of basic_auth, auth_token & auth_token_file must be configured".into());
        }
        if (!http.bearer_token.is_empty() || !http.bearer_token_file.is_empty()) && token {
            return Err("marathon_sd: at most one of bearer_token, bearer_token_file, auth_token & auth_token_file must be configured".into());
        }
        if http.authorization.is_some() && token {
            return Err("marathon_sd: at most one of auth_token, auth_token_file & authorization must be configured".into());
        }
        http.validate()
    }
    fn set_dir(&mut self, dir: &Path) {
        resolve(dir, &mut self.auth_token_file);
    }
}

sd_struct! {
    /// `puppetdb_sd_configs`.
    PuppetdbSdConfig {
        refresh_interval: Option<Duration>, url: Url, query: String, include_parameters: bool, port: u16,
    }
}

impl SdInner for PuppetdbSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        check_http_url(&self.url)?;
        if self.query.is_empty() {
            return Err("query missing".into());
        }
        http.validate()
    }
}

sd_struct! {
    /// `uyuni_sd_configs`.
    UyuniSdConfig {
        server: String, username: String, password: Secret, entitlement: String,
        separator: String, refresh_interval: Option<Duration>,
    }
}

impl SdInner for UyuniSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        if self.server.is_empty() {
            return Err("Uyuni SD configuration requires server host".into());
        }
        if let Some(e) = Url(self.server.clone()).parse_error() {
            return Err(format!("Uyuni Server URL is not valid: {e}"));
        }
        if self.username.is_empty() {
            return Err("Uyuni SD configuration requires a username".into());
        }
        if self.password.is_empty() {
            return Err("Uyuni SD configuration requires a password".into());
        }
        http.validate()
    }
}

sd_struct! {
    /// A Docker filter.
    DockerFilter { name: String, values: Vec<String> }
}

sd_struct! {
    /// `docker_sd_configs`.
    DockerSdConfig {
        host: String, port: Option<u16>, filters: Vec<DockerFilter>, host_networking_host: String,
        refresh_interval: Option<Duration>, match_first_network: Option<bool>,
    }
}

impl SdInner for DockerSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        if self.host.is_empty() {
            return Err("host missing".into());
        }
        if let Some(e) = Url(self.host.clone()).parse_error() {
            return Err(e);
        }
        http.validate()
    }
}

sd_struct! {
    /// `dockerswarm_sd_configs`.
    DockerswarmSdConfig {
        host: String, role: String, port: Option<u16>, filters: Vec<DockerFilter>,
        refresh_interval: Option<Duration>,
    }
}

impl SdInner for DockerswarmSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        if self.host.is_empty() {
            return Err("host missing".into());
        }
        if let Some(e) = Url(self.host.clone()).parse_error() {
            return Err(e);
        }
        match self.role.as_str() {
            "" => return Err("role missing (one of: tasks, services, nodes)".into()),
            "tasks" | "services" | "nodes" => {}
            r => {
                return Err(format!(
                    "invalid role {r}, expected tasks, services, or nodes"
                ));
            }
        }
        http.validate()
    }
}

sd_struct! {
    /// `triton_sd_configs`.
    TritonSdConfig {
        account: String, role: String, dns_suffix: String, endpoint: String, groups: Vec<String>,
        port: Option<u16>, refresh_interval: Option<Duration>, tls_config: TlsConfig, version: Option<u32>,
    }
}

impl TritonSdConfig {
    /// Upstream's required fields.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.role.is_empty() {
            self.role = "container".into();
        }
        if self.role != "container" && self.role != "cn" {
            return Err("triton SD configuration requires role to be 'container' or 'cn'".into());
        }
        if self.account.is_empty() {
            return Err("triton SD configuration requires an account".into());
        }
        if self.dns_suffix.is_empty() {
            return Err("triton SD configuration requires a dns_suffix".into());
        }
        if self.endpoint.is_empty() {
            return Err("triton SD configuration requires an endpoint".into());
        }
        if self.refresh_interval.is_some_and(|d| d.as_millis() <= 0) {
            return Err(
                "triton SD configuration requires RefreshInterval to be a positive integer".into(),
            );
        }
        self.tls_config.validate()
    }
    /// Resolves TLS files.
    pub fn set_directory(&mut self, dir: &Path) {
        self.tls_config.set_directory(dir);
    }
}

sd_struct! {
    /// `kuma_sd_configs` (xDS).
    KumaSdConfig {
        refresh_interval: Option<Duration>, fetch_timeout: Option<Duration>, server: String, client_id: String,
    }
}

impl SdInner for KumaSdConfig {
    fn validate_with(&mut self, http: &mut HttpClientConfig) -> Result<(), String> {
        if self.server.is_empty() {
            return Err("kuma SD server must not be empty".into());
        }
        let u = Url(self.server.clone());
        if u.parse_error().is_some() || u.host().is_empty() {
            return Err(format!(
                "kuma SD server must not be empty and have a scheme: {}",
                self.server
            ));
        }
        http.validate()
    }
}

sd_struct! {
    /// `serverset_sd_configs` and `nerve_sd_configs` (ZooKeeper).
    ZookeeperSdConfig { servers: Vec<String>, paths: Vec<String>, timeout: Option<Duration> }
}

impl ZookeeperSdConfig {
    /// Servers and absolute paths are required.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.servers.is_empty() {
            return Err("serverset SD config must contain at least one Zookeeper server".into());
        }
        if self.paths.is_empty() {
            return Err("serverset SD config must contain at least one path".into());
        }
        for p in &self.paths {
            if !p.starts_with('/') {
                return Err(format!(
                    "serverset SD config paths must begin with '/': {p}"
                ));
            }
        }
        Ok(())
    }
}

no_files!(ZookeeperSdConfig);
