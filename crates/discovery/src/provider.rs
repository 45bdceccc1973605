//! What the manager runs: one provider per distinct SD configuration, and
//! the handle through which a provider reports its groups.

use std::sync::Arc;
use std::time::Duration;

use vigil_config::discovery::{DnsSdConfig, FileSdConfig, HttpSdConfig, ServiceDiscoveryConfigs};
use vigil_config::http::WithHttp;

use crate::group::{TargetGroup, static_groups};
use crate::manager::Shared;
use crate::metrics::Metrics;

/// One SD configuration the manager can run. Equal configurations (in one
/// job or across jobs) share one provider, as in Prometheus.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ProviderConfig {
    /// A job's whole `static_configs` list.
    Static(Vec<TargetGroup>),
    /// One `file_sd_configs` entry.
    File(FileSdConfig),
    /// One `http_sd_configs` entry.
    Http(Box<WithHttp<HttpSdConfig>>),
    /// One `dns_sd_configs` entry.
    Dns(DnsSdConfig),
}

/// The providers of a job's SD lists, and how many configurations of
/// families Vigil does not run were skipped.
pub(crate) fn provider_configs(sd: &ServiceDiscoveryConfigs) -> (Vec<ProviderConfig>, usize) {
    let mut out = Vec::new();
    if !sd.static_configs.is_empty() {
        out.push(ProviderConfig::Static(static_groups(&sd.static_configs)));
    }
    out.extend(
        sd.file_sd_configs
            .iter()
            .flatten()
            .cloned()
            .map(ProviderConfig::File),
    );
    out.extend(
        sd.http_sd_configs
            .iter()
            .flatten()
            .cloned()
            .map(|c| ProviderConfig::Http(Box::new(c))),
    );
    out.extend(
        sd.dns_sd_configs
            .iter()
            .flatten()
            .cloned()
            .map(ProviderConfig::Dns),
    );
    let runnable = sd.static_configs.len()
        + sd.file_sd_configs.len()
        + sd.http_sd_configs.len()
        + sd.dns_sd_configs.len();
    (out, sd.len() - runnable)
}

/// Where a provider task sends its findings.
#[derive(Debug, Clone)]
pub(crate) struct Sink {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: u64,
}

impl Sink {
    /// Replaces the provider's groups.
    pub(crate) fn publish(&self, groups: Vec<TargetGroup>) {
        self.shared.update(self.id, groups);
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }
}

/// Starts the task of one provider. Configurations whose client cannot be
/// built return `Err` (counted as failed configs).
pub(crate) fn spawn(
    cfg: &ProviderConfig,
    sink: Sink,
    file_poll: Duration,
    dns: &crate::dns::Resolver,
) -> Result<Option<tokio::task::JoinHandle<()>>, crate::DiscoveryError> {
    Ok(Some(match cfg {
        ProviderConfig::Static(groups) => {
            sink.publish(groups.clone());
            return Ok(None);
        }
        ProviderConfig::File(c) => tokio::spawn(crate::file::run(c.clone(), sink, file_poll)),
        ProviderConfig::Http(c) => {
            let d = crate::http::HttpDiscovery::new(c)?;
            tokio::spawn(crate::http::run(d, sink))
        }
        ProviderConfig::Dns(c) => {
            let d = crate::dns::DnsDiscovery::new(c.clone(), dns.clone());
            tokio::spawn(crate::dns::run(d, sink))
        }
    }))
}
