//! Plain views of the scrape manager's state for the HTTP API:
//! `/api/v1/targets`, `/api/v1/targets/metadata` and `/api/v1/metadata`.

use std::time::SystemTime;

use vigil_model::{Labels, MetricType};

use crate::target::Health;

/// An active target (an element of `activeTargets`).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSnapshot {
    /// Labels before relabeling (discovered plus the job's defaults).
    pub discovered_labels: Labels,
    /// Labels after relabeling, without the internal `__` ones: what every
    /// series scraped from the target carries.
    pub labels: Labels,
    /// The job.
    pub scrape_pool: String,
    /// The URL scraped.
    pub scrape_url: String,
    /// The URL as seen from outside (see [`GlobalUrlOptions`]).
    pub global_url: String,
    /// Health after the last scrape.
    pub health: Health,
    /// The last scrape's error, empty after a success.
    pub last_error: String,
    /// When the last scrape started (`None` before the first).
    pub last_scrape: Option<SystemTime>,
    /// How long the last scrape took, in seconds.
    pub last_scrape_duration: f64,
    /// The target's scrape interval (`15s`).
    pub scrape_interval: String,
    /// The target's scrape timeout (`10s`).
    pub scrape_timeout: String,
}

/// A target relabeling dropped (an element of `droppedTargets`).
#[derive(Debug, Clone, PartialEq)]
pub struct DroppedTarget {
    /// Labels before relabeling.
    pub discovered_labels: Labels,
    /// The job it was discovered for.
    pub scrape_pool: String,
}

/// What a target said about one metric family.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricMetadata {
    /// The family name.
    pub metric: String,
    /// `# TYPE` (`unknown` when none).
    pub kind: MetricType,
    /// `# HELP`.
    pub help: String,
    /// `# UNIT`.
    pub unit: String,
}

/// The metadata one active target exposed.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetMetadata {
    /// The job.
    pub scrape_pool: String,
    /// The target's labels (as in [`TargetSnapshot::labels`]).
    pub target: Labels,
    /// Its families, sorted by name.
    pub metadata: Vec<MetricMetadata>,
}

/// How the server is reached from outside, for `globalUrl`: a target on
/// localhost is shown with the external host instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalUrlOptions {
    /// The server's listen address (`0.0.0.0:9090`).
    pub listen_address: String,
    /// The external URL's scheme.
    pub scheme: String,
    /// The external URL's `host:port`.
    pub host: String,
}

/// Splits `host:port` (`[::1]:80` too).
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    let (h, p) = s.rsplit_once(':')?;
    let h = h
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(h);
    Some((h, p))
}

/// The scrape URL as reachable from outside (Prometheus' `getGlobalURL`):
/// a localhost target on the server's own port is the server itself (the
/// external scheme and host replace its own); another localhost port keeps
/// its port under the external host name.
pub fn global_url(scrape_url: &str, opts: &GlobalUrlOptions) -> String {
    if opts.host.is_empty() {
        return scrape_url.to_owned();
    }
    let Some((scheme, rest)) = scrape_url.split_once("://") else {
        return scrape_url.to_owned();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let Some((host, port)) = split_host_port(authority) else {
        return scrape_url.to_owned();
    };
    if !["127.0.0.1", "localhost", "::1"].contains(&host) {
        return scrape_url.to_owned();
    }
    let own_port = split_host_port(&opts.listen_address).map(|(_, p)| p);
    if own_port == Some(port) {
        return format!("{}://{}{tail}", opts.scheme, opts.host);
    }
    let ext_host = split_host_port(&opts.host).map_or(opts.host.as_str(), |(h, _)| h);
    format!("{scheme}://{ext_host}:{port}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_urls() {
        let o = GlobalUrlOptions {
            listen_address: "0.0.0.0:9090".into(),
            scheme: "https".into(),
            host: "prom.example:443".into(),
        };
        assert_eq!(
            global_url("http://localhost:9090/metrics", &o),
            "https://prom.example:443/metrics"
        );
        assert_eq!(
            global_url("http://127.0.0.1:9100/metrics?a=b", &o),
            "http://prom.example:9100/metrics?a=b"
        );
        assert_eq!(
            global_url("http://db:9100/metrics", &o),
            "http://db:9100/metrics"
        );
        assert_eq!(
            global_url("http://localhost:1/m", &GlobalUrlOptions::default()),
            "http://localhost:1/m"
        );
    }
}
