//! `dns_sd_configs`: targets from DNS records.
//!
//! Each name is looked up every `refresh_interval`; each record becomes a
//! target with `__meta_dns_name` (the name looked up) and, by record type,
//! `__meta_dns_srv_record_target` / `__meta_dns_srv_record_port`,
//! `__meta_dns_mx_record_target` or `__meta_dns_ns_record_target`. The
//! group of a name is sourced by the name. A failed lookup keeps the
//! name's last group and counts in `prometheus_sd_dns_lookup_failures_total`.
//!
//! Lookups use a small client of our own (`wire`) instead of the system
//! resolver, which cannot ask for SRV or MX records: the servers and
//! search list of `/etc/resolv.conf` (or servers given in the options),
//! UDP first and TCP when an answer is truncated.

mod wire;

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

/// How long one server gets to answer one query.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// The system's resolver settings (`/etc/resolv.conf`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ResolvConf {
    servers: Vec<SocketAddr>,
    search: Vec<String>,
    ndots: usize,
}

impl ResolvConf {
    fn parse(text: &str) -> ResolvConf {
        let mut c = ResolvConf {
            servers: Vec::new(),
            search: Vec::new(),
            ndots: 1,
        };
        for line in text.lines() {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    if let Some(ip) = words.next().and_then(|w| w.parse::<IpAddr>().ok()) {
                        c.servers.push(SocketAddr::new(ip, 53));
                    }
                }
                Some("search" | "domain") => c.search = words.map(str::to_owned).collect(),
                Some("options") => {
                    for w in words {
                        if let Some(n) = w.strip_prefix("ndots:").and_then(|n| n.parse().ok()) {
                            c.ndots = n;
                        }
                    }
                }
                _ => {}
            }
        }
        if c.servers.is_empty() {
            c.servers.push(SocketAddr::from(([127, 0, 0, 1], 53)));
        }
        c
    }

    /// The names to try for `name`, in order (the search list applied as
    /// Go's miekg/dns `NameList` does).
    fn name_list(&self, name: &str) -> Vec<String> {
        if name.ends_with('.') {
            return vec![name.to_owned()];
        }
        let enough_dots = name.split('.').filter(|l| !l.is_empty()).count() > self.ndots;
        let fqdn = format!("{name}.");
        let mut out = Vec::new();
        if enough_dots {
            out.push(fqdn.clone());
        }
        for s in &self.search {
            out.push(format!("{name}.{}.", s.trim_end_matches('.')));
        }
        if !enough_dots {
            out.push(fqdn);
        }
        out
    }
}

/// How DNS SD looks names up: its own small client (UDP, TCP when the
/// answer is truncated) over the configured or the system's servers.
#[derive(Debug, Clone)]
pub struct Resolver {
    servers: Vec<SocketAddr>,
}

fn query_id() -> u16 {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (n ^ (n >> 16)) as u16
}

async fn exchange_udp(server: SocketAddr, q: &[u8]) -> Result<Vec<u8>, String> {
    let bind: SocketAddr = if server.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let sock = tokio::net::UdpSocket::bind(bind)
        .await
        .map_err(|e| e.to_string())?;
    sock.connect(server).await.map_err(|e| e.to_string())?;
    sock.send(q).await.map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 65535];
    let n = sock.recv(&mut buf).await.map_err(|e| e.to_string())?;
    buf.truncate(n);
    Ok(buf)
}

async fn exchange_tcp(server: SocketAddr, q: &[u8]) -> Result<Vec<u8>, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(server)
        .await
        .map_err(|e| e.to_string())?;
    let len = u16::try_from(q.len()).map_err(|_| "query too long".to_owned())?;
    let mut msg = len.to_be_bytes().to_vec();
    msg.extend_from_slice(q);
    s.write_all(&msg).await.map_err(|e| e.to_string())?;
    let mut l = [0u8; 2];
    s.read_exact(&mut l).await.map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(l))];
    s.read_exact(&mut buf).await.map_err(|e| e.to_string())?;
    Ok(buf)
}

impl Resolver {
    /// A resolver asking `servers` (empty: those of `/etc/resolv.conf`).
    pub fn new(servers: Vec<SocketAddr>) -> Resolver {
        Resolver { servers }
    }

    fn conf(&self) -> ResolvConf {
        let mut c =
            ResolvConf::parse(&std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default());
        if !self.servers.is_empty() {
            c.servers.clone_from(&self.servers);
            c.search.clear();
        }
        c
    }

    async fn ask(server: SocketAddr, name: &str, qt: u16) -> Result<wire::Answer, String> {
        let id = query_id();
        let q = wire::encode_query(id, name, qt)?;
        let once = async {
            let a = wire::decode_answer(&exchange_udp(server, &q).await?, id, qt)?;
            if a.truncated {
                return wire::decode_answer(&exchange_tcp(server, &q).await?, id, qt);
            }
            Ok(a)
        };
        tokio::time::timeout(QUERY_TIMEOUT, once)
            .await
            .map_err(|_| format!("no answer from {server}"))?
    }

    /// The records of type `qtype` (`A`, `AAAA`, `SRV`, `MX`, `NS`) for
    /// `name`, trying the search list and each server in turn. A name that
    /// does not exist has no records; only failing to get any answer is
    /// an error.
    pub async fn lookup(&self, name: &str, qtype: &str) -> Result<Vec<Record>, DiscoveryError> {
        let err = |message: String| DiscoveryError::Dns {
            name: name.to_owned(),
            message,
        };
        let qt = wire::qtype(qtype).ok_or_else(|| err(format!("invalid record type {qtype}")))?;
        let conf = self.conf();
        let mut last_err = None;
        let mut answered = false;
        for candidate in conf.name_list(name) {
            for server in &conf.servers {
                match Self::ask(*server, &candidate, qt).await {
                    Ok(a) if a.rcode == 0 && !a.records.is_empty() => return Ok(a.records),
                    // No such name, or no records of the type: try the next name.
                    Ok(a) if a.rcode == 0 || a.rcode == 3 => {
                        answered = true;
                        break;
                    }
                    Ok(a) => last_err = Some(format!("server {server} answered rcode {}", a.rcode)),
                    Err(e) => last_err = Some(e),
                }
            }
        }
        match last_err {
            Some(e) if !answered => Err(err(e)),
            _ => Ok(Vec::new()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_and_search_list() {
        let c =
            ResolvConf::parse("nameserver 10.0.0.2\nsearch corp.example svc\noptions ndots:2\n");
        assert_eq!(c.servers, vec![SocketAddr::from(([10, 0, 0, 2], 53))]);
        assert_eq!(c.name_list("db"), ["db.corp.example.", "db.svc.", "db."]);
        assert_eq!(
            c.name_list("a.b.c"),
            ["a.b.c.", "a.b.c.corp.example.", "a.b.c.svc."]
        );
        assert_eq!(c.name_list("x.org."), ["x.org."]);
    }

    #[test]
    fn targets_of_records() {
        let t = target("_m._tcp.x.", &Record::Srv("db.x.".into(), 9100), 80);
        assert_eq!(t.get(ADDRESS_LABEL), Some("db.x:9100"));
        assert_eq!(t.get(SRV_TARGET_LABEL), Some("db.x."));
        assert_eq!(t.get(SRV_PORT_LABEL), Some("9100"));
        assert_eq!(t.get(NAME_LABEL), Some("_m._tcp.x."));
        let t = target("x", &Record::Addr("::1".parse().unwrap()), 80);
        assert_eq!(t.get(ADDRESS_LABEL), Some("[::1]:80"));
        let t = target("x", &Record::Mx("mail.x.".into()), 25);
        assert_eq!(t.get(ADDRESS_LABEL), Some("mail.x:25"));
        assert_eq!(t.get(MX_TARGET_LABEL), Some("mail.x."));
    }

    /// A loopback UDP server answering every query with one SRV record.
    #[tokio::test]
    async fn srv_lookup_over_loopback() {
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = sock.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 512];
            for _ in 0..4 {
                let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                    return;
                };
                let resp = wire::tests::response(
                    &buf[..n],
                    &[(
                        wire::TYPE_SRV,
                        wire::tests::srv_rdata("node1.example.", 9100),
                    )],
                    0,
                );
                let _ = sock.send_to(&resp, peer).await;
            }
        });
        let r = Resolver::new(vec![addr]);
        let recs = r.lookup("_node._tcp.example.", "SRV").await.unwrap();
        assert_eq!(recs, vec![Record::Srv("node1.example.".into(), 9100)]);
        let mut d = DnsDiscovery::new(
            DnsSdConfig {
                names: vec!["_node._tcp.example.".into()],
                r#type: "SRV".into(),
                ..DnsSdConfig::default()
            },
            r,
        );
        let (groups, failures) = d.refresh().await;
        assert_eq!(failures, 0);
        assert_eq!(
            groups[0].targets[0].get(ADDRESS_LABEL),
            Some("node1.example:9100")
        );
        assert_eq!(groups[0].source, "_node._tcp.example.");
    }
}
