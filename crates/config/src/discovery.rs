//! Service discovery configurations: every `*_sd_configs` list Prometheus
//! 3.x knows, plus `static_configs`.
//!
//! Only `static_configs`, `file_sd_configs`, `http_sd_configs` and
//! `dns_sd_configs` are meant to be run by Vigil; the other families are
//! modelled as typed structures and validated with Prometheus' rules so that
//! a configuration is accepted or refused exactly as Prometheus would, and
//! printed back.

mod cloud;
mod core;
mod kubernetes;
mod sd_file;
mod service;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_yaml_ng::{Mapping, Value};

pub use self::cloud::*;
pub use self::core::*;
pub use self::kubernetes::*;
pub use self::sd_file::{parse_sd_file, read_sd_file};
pub use self::service::*;
use crate::http::WithHttp;
use crate::yaml;

/// Declares an SD config struct: strict (`deny_unknown_fields`), every
/// field optional with its type's default, serialized back as written.
macro_rules! sd_struct {
    ($(#[$m:meta])* $name:ident { $( $field:ident : $ty:ty ),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            $(
                #[doc = concat!("`", stringify!($field), "`")]
                #[serde(deserialize_with = "crate::yaml::lenient")]
                pub $field: $ty,
            )*
        }
    };
}
pub(crate) use sd_struct;

/// Declares [`ServiceDiscoveryConfigs`] with one list per SD family.
macro_rules! sd_lists {
    ($( $key:ident : $ty:ty ),* $(,)?) => {
        /// Every service discovery list of a scrape or Alertmanager config.
        #[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct ServiceDiscoveryConfigs {
            /// `static_configs`.
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub static_configs: Vec<Option<TargetGroup>>,
            $(
                #[doc = concat!("`", stringify!($key), "`")]
                #[serde(skip_serializing_if = "Vec::is_empty")]
                pub $key: Vec<Option<$ty>>,
            )*
        }

        impl ServiceDiscoveryConfigs {
            /// Validates every SD config (Prometheus' per-type `UnmarshalYAML` rules).
            pub fn validate(&mut self) -> Result<(), String> {
                for g in &self.static_configs {
                    let Some(g) = g else {
                        return Err("empty or null section in static_configs".into());
                    };
                    // UTF-8 names are valid in Prometheus 3; only empty ones are not.
                    if g.labels.contains_key("") {
                        return Err("\"\" is not a valid label name".into());
                    }
                }
                $(
                    for c in &mut self.$key {
                        match c {
                            Some(c) => c.validate()?,
                            None => return Err(format!("empty or null section in {}", stringify!($key))),
                        }
                    }
                )*
                Ok(())
            }

            /// Resolves file references against the config file's directory.
            pub fn set_directory(&mut self, dir: &Path) {
                $(
                    for c in self.$key.iter_mut().flatten() {
                        c.set_directory(dir);
                    }
                )*
            }

            /// The number of SD configs of all kinds, static ones included.
            pub fn len(&self) -> usize {
                self.static_configs.len() $( + self.$key.len() )*
            }

            /// Whether there is no SD config at all.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }
        }
    };
}

sd_lists! {
    file_sd_configs: FileSdConfig,
    http_sd_configs: WithHttp<HttpSdConfig>,
    dns_sd_configs: DnsSdConfig,
    kubernetes_sd_configs: WithHttp<KubernetesSdConfig>,
    consul_sd_configs: WithHttp<ConsulSdConfig>,
    aws_sd_configs: WithHttp<AwsSdConfig>,
    ec2_sd_configs: WithHttp<Ec2SdConfig>,
    ecs_sd_configs: WithHttp<EcsSdConfig>,
    elasticache_sd_configs: WithHttp<EcsSdConfig>,
    msk_sd_configs: WithHttp<EcsSdConfig>,
    rds_sd_configs: WithHttp<Ec2SdConfig>,
    lightsail_sd_configs: WithHttp<LightsailSdConfig>,
    azure_sd_configs: WithHttp<AzureSdConfig>,
    gce_sd_configs: GceSdConfig,
    openstack_sd_configs: OpenstackSdConfig,
    oci_sd_configs: WithHttp<OciSdConfig>,
    outscale_sd_configs: WithHttp<OutscaleSdConfig>,
    scaleway_sd_configs: WithHttp<ScalewaySdConfig>,
    stackit_sd_configs: WithHttp<StackitSdConfig>,
    ionos_sd_configs: WithHttp<IonosSdConfig>,
    ovhcloud_sd_configs: OvhcloudSdConfig,
    hetzner_sd_configs: WithHttp<HetznerSdConfig>,
    linode_sd_configs: WithHttp<LinodeSdConfig>,
    vultr_sd_configs: WithHttp<VultrSdConfig>,
    digitalocean_sd_configs: WithHttp<DigitaloceanSdConfig>,
    docker_sd_configs: WithHttp<DockerSdConfig>,
    dockerswarm_sd_configs: WithHttp<DockerswarmSdConfig>,
    eureka_sd_configs: WithHttp<EurekaSdConfig>,
    marathon_sd_configs: WithHttp<MarathonSdConfig>,
    nomad_sd_configs: WithHttp<NomadSdConfig>,
    puppetdb_sd_configs: WithHttp<PuppetdbSdConfig>,
    uyuni_sd_configs: WithHttp<UyuniSdConfig>,
    triton_sd_configs: TritonSdConfig,
    kuma_sd_configs: WithHttp<KumaSdConfig>,
    serverset_sd_configs: ZookeeperSdConfig,
    nerve_sd_configs: ZookeeperSdConfig,
}

/// Whether a key of a scrape/Alertmanager mapping belongs to service discovery.
pub(crate) fn is_sd_key(k: &str) -> bool {
    k == "static_configs" || k.ends_with("_sd_configs")
}

impl ServiceDiscoveryConfigs {
    /// Decodes the SD keys split out of a section's mapping.
    pub(crate) fn from_mapping(m: Mapping, owner: &str) -> Result<Self, String> {
        let mut sd: ServiceDiscoveryConfigs = yaml::decode(Value::Mapping(m), owner)?;
        sd.validate()?;
        Ok(sd)
    }

    /// The static targets that are not valid `host:port` addresses (they
    /// contain a `/`): Prometheus refuses them unless relabeling may fix them.
    pub fn check_static_targets(&self) -> Result<(), String> {
        for g in self.static_configs.iter().flatten() {
            for t in &g.targets {
                if t.contains('/') {
                    return Err(format!("{t:?} is not a valid hostname"));
                }
            }
        }
        Ok(())
    }
}

/// Implements `set_directory` as a no-op for types without file references.
macro_rules! no_files {
    ($($t:ty),*) => {$(
        impl $t {
            /// No file references to resolve.
            pub fn set_directory(&mut self, _dir: &Path) {}
        }
    )*};
}
pub(crate) use no_files;

impl<T: SdInner> WithHttp<T> {
    /// Validates the inner config and the HTTP client options.
    pub fn validate(&mut self) -> Result<(), String> {
        self.inner.validate_with(&mut self.http)
    }
    /// Resolves file references.
    pub fn set_directory(&mut self, dir: &Path) {
        self.inner.set_dir(dir);
        self.http.set_directory(dir);
    }
}

/// An SD config that has the HTTP client options inline.
pub trait SdInner {
    /// Validates the config together with its HTTP client options.
    fn validate_with(&mut self, http: &mut crate::http::HttpClientConfig) -> Result<(), String>;
    /// Resolves the config's own file references.
    fn set_dir(&mut self, _dir: &Path) {}
}
