//! `dns_sd_configs`: targets from DNS records.
//!
//! Each name is looked up every `refresh_interval`; each record becomes a
//! target with `__meta_dns_name` (the name looked up) and, by record type,
//! `__meta_dns_srv_record_target` / `__meta_dns_srv_record_port`,
//! `__meta_dns_mx_record_target` or `__meta_dns_ns_record_target`. The
//! group of a name is sourced by the name. A failed lookup keeps the
//! name's last group and counts in `prometheus_sd_dns_lookup_failures_total`.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use vigil_config::discovery::DnsSdConfig;
use vigil_model::{Labels, LabelsBuilder};

use crate::error::DiscoveryError;
use crate::group::{ADDRESS_LABEL, TargetGroup};
use crate::provider::Sink;

/// `__meta_dns_name`.
pub const NAME_LABEL: &str = "__meta_dns_name";
/// `__meta_dns_srv_record_target`.
pub const SRV_TARGET_LABEL: &str = "__meta_dns_srv_record_target";
/// `__meta_dns_srv_record_port`.
pub const SRV_PORT_LABEL: &str = "__meta_dns_srv_record_port";
/// `__meta_dns_mx_record_target`.
pub const MX_TARGET_LABEL: &str = "__meta_dns_mx_record_target";
/// `__meta_dns_ns_record_target`.
pub const NS_TARGET_LABEL: &str = "__meta_dns_ns_record_target";

/// One record found for a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An A or AAAA address.
    Addr(IpAddr),
    /// An SRV record: target host and port.
    Srv(String, u16),
    /// An MX record's exchange host.
    Mx(String),
    /// An NS record's host.
    Ns(String),
}

/// How DNS SD looks names up.
#[derive(Debug, Clone)]
pub struct Resolver {
    servers: Vec<SocketAddr>,
}

impl Resolver {
    /// A resolver asking `servers` (empty: the system's configuration).
    pub fn new(servers: Vec<SocketAddr>) -> Resolver {
        Resolver { servers }
    }

    /// The records of type `qtype` (`A`, `AAAA`, `SRV`, `MX`, `NS`) for `name`.
    pub async fn lookup(&self, name: &str, qtype: &str) -> Result<Vec<Record>, DiscoveryError> {
        let err = |message: String| DiscoveryError::Dns {
            name: name.to_owned(),
            message,
        };
        match qtype {
            "A" | "AAAA" => {
                let _ = &self.servers;
                let addrs = tokio::net::lookup_host((name.trim_end_matches('.'), 0))
                    .await
                    .map_err(|e| err(e.to_string()))?;
                let want_v4 = qtype == "A";
                let mut out: Vec<Record> = addrs
                    .map(|a| a.ip())
                    .filter(|ip| ip.is_ipv4() == want_v4)
                    .map(Record::Addr)
                    .collect();
                out.dedup();
                Ok(out)
            }
            other => Err(err(format!("{other} records are not supported yet"))),
        }
    }
}

/// One `dns_sd_configs` entry.
#[derive(Debug)]
pub struct DnsDiscovery {
    cfg: DnsSdConfig,
    resolver: Resolver,
    last: BTreeMap<String, TargetGroup>,
}

/// The target of one record (`port` is the config's, for types without one).
fn target(name: &str, r: &Record, port: u16) -> Labels {
    let mut b = LabelsBuilder::new();
    b.set(NAME_LABEL, name);
    let host_port = |h: &str, p: u16| {
        let h = h.trim_end_matches('.');
        if h.contains(':') {
            format!("[{h}]:{p}")
        } else {
            format!("{h}:{p}")
        }
    };
    match r {
        Record::Addr(ip) => b.set(ADDRESS_LABEL, &SocketAddr::new(*ip, port).to_string()),
        Record::Srv(t, p) => {
            b.set(ADDRESS_LABEL, &host_port(t, *p));
            b.set(SRV_TARGET_LABEL, t);
            b.set(SRV_PORT_LABEL, &p.to_string());
        }
        Record::Mx(t) => {
            b.set(ADDRESS_LABEL, &host_port(t, port));
            b.set(MX_TARGET_LABEL, t);
        }
        Record::Ns(t) => {
            b.set(ADDRESS_LABEL, &host_port(t, port));
            b.set(NS_TARGET_LABEL, t);
        }
    }
    b.build()
}

impl DnsDiscovery {
    /// A provider for `cfg` using `resolver`.
    pub fn new(cfg: DnsSdConfig, resolver: Resolver) -> DnsDiscovery {
        DnsDiscovery {
            cfg,
            resolver,
            last: BTreeMap::new(),
        }
    }

    /// Looks every name up; returns all groups and the number of failed lookups.
    pub async fn refresh(&mut self) -> (Vec<TargetGroup>, usize) {
        let qtype = self.cfg.r#type.to_ascii_uppercase();
        let mut failures = 0;
        for name in &self.cfg.names {
            match self.resolver.lookup(name, &qtype).await {
                Ok(records) => {
                    let targets = records
                        .iter()
                        .map(|r| target(name, r, self.cfg.port))
                        .collect();
                    self.last.insert(
                        name.clone(),
                        TargetGroup {
                            source: name.clone(),
                            targets,
                            labels: Labels::empty(),
                        },
                    );
                }
                Err(_) => failures += 1,
            }
        }
        (self.last.values().cloned().collect(), failures)
    }
}

/// Runs the provider until aborted.
pub(crate) async fn run(mut d: DnsDiscovery, sink: Sink) {
    let every = d
        .cfg
        .refresh_interval
        .map_or(Duration::from_secs(30), |i| i.to_std())
        .max(Duration::from_millis(100));
    loop {
        let started = Instant::now();
        let (groups, failures) = d.refresh().await;
        let m = sink.metrics();
        let n = d.cfg.names.len() as u64;
        m.dns_lookups
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        m.dns_failures
            .fetch_add(failures as u64, std::sync::atomic::Ordering::Relaxed);
        m.refresh_done("dns", started.elapsed().as_secs_f64(), failures > 0);
        sink.publish(groups);
        tokio::time::sleep(every).await;
    }
}
