//! Targets: the labels a discovered target ends up with (Prometheus'
//! `PopulateLabels`), the URL it is scraped at, its health, and where in
//! the interval its scrapes fall.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use vigil_config::ScrapeConfig;
use vigil_config::relabel::process_builder;
use vigil_model::{Labels, LabelsBuilder};

/// `__address__`.
pub const ADDRESS_LABEL: &str = "__address__";
/// `__scheme__`.
pub const SCHEME_LABEL: &str = "__scheme__";
/// `__metrics_path__`.
pub const METRICS_PATH_LABEL: &str = "__metrics_path__";
/// `__scrape_interval__`.
pub const SCRAPE_INTERVAL_LABEL: &str = "__scrape_interval__";
/// `__scrape_timeout__`.
pub const SCRAPE_TIMEOUT_LABEL: &str = "__scrape_timeout__";
/// Prefix of the labels that become URL parameters.
pub const PARAM_LABEL_PREFIX: &str = "__param_";
/// Prefix of the labels service discovery adds, removed after relabeling.
pub const META_LABEL_PREFIX: &str = "__meta_";
/// `job`.
pub const JOB_LABEL: &str = "job";
/// `instance`.
pub const INSTANCE_LABEL: &str = "instance";

/// Health of a target after its last scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Health {
    /// Not scraped yet.
    #[default]
    Unknown,
    /// The last scrape succeeded.
    Up,
    /// The last scrape failed.
    Down,
}

impl Health {
    /// The word the HTTP API uses: `up`, `down` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Up => "up",
            Health::Down => "down",
        }
    }
}

/// The result of relabeling one discovered target.
#[derive(Debug, Clone, PartialEq)]
pub enum Populated {
    /// The target is scraped with these labels (`__address__`, `__scheme__`,
    /// … still in; `__meta_*` gone; `instance` set).
    Keep(Labels),
    /// Relabeling dropped it.
    Dropped,
}

/// The labels before relabeling (Prometheus' `PopulateDiscoveredLabels`):
/// the target's own, then its group's, then the job's defaults where unset.
pub fn discovered_labels(cfg: &ScrapeConfig, target: &Labels, group: &Labels) -> Labels {
    let mut b = LabelsBuilder::new();
    discovered_into(&mut b, cfg, target, group);
    b.build()
}

fn discovered_into(b: &mut LabelsBuilder, cfg: &ScrapeConfig, target: &Labels, group: &Labels) {
    b.reset();
    for l in group.iter() {
        b.set(l.name, l.value);
    }
    for l in target.iter() {
        b.set(l.name, l.value);
    }
    let interval = cfg.scrape_interval.to_string();
    let timeout = cfg.scrape_timeout.to_string();
    let defaults = [
        (JOB_LABEL, cfg.job_name.as_str()),
        (SCRAPE_INTERVAL_LABEL, interval.as_str()),
        (SCRAPE_TIMEOUT_LABEL, timeout.as_str()),
        (METRICS_PATH_LABEL, cfg.metrics_path.as_str()),
        (SCHEME_LABEL, cfg.scheme.as_str()),
    ];
    for (n, v) in defaults {
        if b.get(n).is_none() {
            b.set(n, v);
        }
    }
    for (k, vs) in &cfg.params {
        let name = format!("{PARAM_LABEL_PREFIX}{k}");
        if let Some(v) = vs.first() {
            if b.get(&name).is_none() {
                b.set(&name, v);
            }
        }
    }
}

/// Relabels a discovered target (Prometheus' `PopulateLabels`). Errors
/// (no address, a bad interval or timeout) mean the target is skipped.
pub fn populate_labels(
    cfg: &ScrapeConfig,
    target: &Labels,
    group: &Labels,
) -> Result<Populated, String> {
    let mut b = LabelsBuilder::new();
    discovered_into(&mut b, cfg, target, group);
    if !process_builder(&mut b, &cfg.relabel_configs) {
        return Ok(Populated::Dropped);
    }
    let Some(addr) = b.get(ADDRESS_LABEL).map(str::to_owned) else {
        return Err("no address".into());
    };
    if addr.contains('/') {
        return Err(format!("{addr:?} is not a valid hostname"));
    }
    let interval = b.get(SCRAPE_INTERVAL_LABEL).unwrap_or("").to_owned();
    let timeout = b.get(SCRAPE_TIMEOUT_LABEL).unwrap_or("").to_owned();
    let iv = vigil_config::Duration::parse(&interval)
        .map_err(|e| format!("error parsing scrape interval: {e}"))?;
    if iv.is_zero() {
        return Err("scrape interval cannot be 0".into());
    }
    let to = vigil_config::Duration::parse(&timeout)
        .map_err(|e| format!("error parsing scrape timeout: {e}"))?;
    if to.is_zero() {
        return Err("scrape timeout cannot be 0".into());
    }
    if to > iv {
        return Err(format!(
            "scrape timeout cannot be greater than scrape interval ({timeout:?} > {interval:?})"
        ));
    }
    let relabeled = b.build();
    let mut out = LabelsBuilder::new();
    for l in relabeled.iter() {
        if !l.name.starts_with(META_LABEL_PREFIX) {
            out.push(l.name, l.value);
        }
    }
    if out.get(INSTANCE_LABEL).is_none() {
        out.set(INSTANCE_LABEL, &addr);
    }
    Ok(Populated::Keep(out.build()))
}

/// Go's `url.QueryEscape` keeps these; everything else is `%XX` (and a
/// space `+`).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b' ');

fn query_escape(s: &str) -> String {
    utf8_percent_encode(s, QUERY).to_string().replace(' ', "+")
}

/// The scrape URL of a target's labels: scheme, address, path, and the
/// job's `params` overridden by `__param_*` labels, sorted by name.
pub fn scrape_url(labels: &Labels, params: &BTreeMap<String, Vec<String>>) -> String {
    let mut all = params.clone();
    for l in labels.iter() {
        if let Some(k) = l.name.strip_prefix(PARAM_LABEL_PREFIX) {
            let vs = all.entry(k.to_owned()).or_default();
            match vs.first_mut() {
                Some(first) => *first = l.value.to_owned(),
                None => vs.push(l.value.to_owned()),
            }
        }
    }
    let scheme = labels.get(SCHEME_LABEL).unwrap_or("http");
    let host = labels.get(ADDRESS_LABEL).unwrap_or("");
    let path = labels.get(METRICS_PATH_LABEL).unwrap_or("");
    let mut url = format!("{scheme}://{host}");
    if !path.is_empty() && !path.starts_with('/') {
        url.push('/');
    }
    url.push_str(path);
    let query: Vec<String> = all
        .iter()
        .flat_map(|(k, vs)| {
            vs.iter()
                .map(move |v| format!("{}={}", query_escape(k), query_escape(v)))
        })
        .collect();
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    url
}

/// What changes on every scrape of a target.
#[derive(Debug, Clone, Default)]
pub(crate) struct Status {
    pub(crate) health: Health,
    pub(crate) last_error: String,
    pub(crate) last_scrape: Option<SystemTime>,
    pub(crate) last_duration: f64,
}

/// One active target of a scrape pool.
#[derive(Debug)]
pub struct Target {
    /// Labels after relabeling, `__address__` & co. included.
    pub(crate) labels: Labels,
    /// The labels every scraped series gets (those not starting with `__`).
    pub(crate) public: Labels,
    pub(crate) discovered: Mutex<Labels>,
    pub(crate) url: String,
    pub(crate) interval: Duration,
    pub(crate) timeout: Duration,
    pub(crate) interval_text: String,
    pub(crate) timeout_text: String,
    pub(crate) hash: u64,
    /// The hash without the interval and timeout labels (matches a
    /// target across a reload that changed only those).
    pub(crate) identity: u64,
    pub(crate) status: Mutex<Status>,
}

impl Target {
    /// A target from its relabeled and discovered labels.
    pub fn new(labels: Labels, discovered: Labels, cfg: &ScrapeConfig) -> Target {
        let url = scrape_url(&labels, &cfg.params);
        let text = |n: &str| labels.get(n).unwrap_or("").to_owned();
        let interval_text = text(SCRAPE_INTERVAL_LABEL);
        let timeout_text = text(SCRAPE_TIMEOUT_LABEL);
        let parse = |s: &str, d: vigil_config::Duration| {
            vigil_config::Duration::parse(s).unwrap_or(d).to_std()
        };
        let interval = parse(&interval_text, cfg.scrape_interval);
        let timeout = parse(&timeout_text, cfg.scrape_timeout);
        let mut pb = LabelsBuilder::new();
        for l in labels.iter().filter(|l| !l.name.starts_with("__")) {
            pb.push(l.name, l.value);
        }
        let mut key = labels.as_bytes().to_vec();
        key.extend_from_slice(url.as_bytes());
        let mut id_key = labels
            .without(&[SCRAPE_INTERVAL_LABEL, SCRAPE_TIMEOUT_LABEL])
            .as_bytes()
            .to_vec();
        id_key.extend_from_slice(url.as_bytes());
        Target {
            hash: xxhash_rust::xxh3::xxh3_64(&key),
            identity: xxhash_rust::xxh3::xxh3_64(&id_key),
            public: pb.build(),
            labels,
            discovered: Mutex::new(discovered),
            url,
            interval: interval.max(Duration::from_millis(1)),
            timeout,
            interval_text,
            timeout_text,
            status: Mutex::new(Status::default()),
        }
    }

    /// The labels after relabeling, internal `__` labels included.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// The scrape URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Identity of the target within its pool (labels and URL).
    pub fn hash(&self) -> u64 {
        self.hash
    }

    pub(crate) fn status(&self) -> MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn discovered(&self) -> Labels {
        self.discovered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How long to wait before the first scrape so that the target's
    /// scrapes fall at a fixed point of the interval (Prometheus'
    /// `offset`): spread by the target's hash, pinned to absolute time, so
    /// restarts and reloads keep the phase.
    pub fn offset(&self, seed: u64, now: SystemTime) -> Duration {
        let interval = self.interval.as_nanos().max(1);
        let now = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let base = interval - now % interval;
        let offset = u128::from(self.hash ^ seed) % interval;
        let mut next = base + offset;
        if next > interval {
            next -= interval;
        }
        Duration::from_nanos(u64::try_from(next).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(yaml: &str) -> ScrapeConfig {
        let dir = std::env::temp_dir();
        let c = vigil_config::Config::load(yaml, &dir).expect("config");
        c.scrape_configs.into_iter().next().expect("job")
    }

    #[test]
    fn populate_defaults_and_relabel() {
        let c = cfg(
            "scrape_configs:\n- job_name: j\n  scrape_interval: 15s\n  params: {module: [a b]}\n  relabel_configs:\n  - {source_labels: [__meta_x], target_label: x}\n  - {source_labels: [__address__], regex: 'drop.*', action: drop}\n",
        );
        let t = Labels::from_pairs(&[("__address__", "h:1"), ("__meta_x", "v")]);
        let Ok(Populated::Keep(l)) = populate_labels(&c, &t, &Labels::empty()) else {
            panic!("kept");
        };
        assert_eq!(l.get("x"), Some("v"));
        assert_eq!(l.get("__meta_x"), None);
        assert_eq!(l.get("instance"), Some("h:1"));
        assert_eq!(l.get("job"), Some("j"));
        assert_eq!(l.get("__scrape_interval__"), Some("15s"));
        assert_eq!(l.get("__param_module"), Some("a b"));
        assert_eq!(scrape_url(&l, &c.params), "http://h:1/metrics?module=a+b");
        let t = Target::new(l, Labels::empty(), &c);
        assert_eq!(t.public.get("__address__"), None);
        assert_eq!(t.interval, Duration::from_secs(15));
        let off = t.offset(0, SystemTime::now());
        assert!(off <= Duration::from_secs(15));
        let dropped = Labels::from_pairs(&[("__address__", "drop:1")]);
        assert_eq!(
            populate_labels(&c, &dropped, &Labels::empty()),
            Ok(Populated::Dropped)
        );
        assert!(populate_labels(&c, &Labels::empty(), &Labels::empty()).is_err());
        let slash = Labels::from_pairs(&[("__address__", "h/x")]);
        assert!(populate_labels(&c, &slash, &Labels::empty()).is_err());
    }

    #[test]
    fn url_params_from_labels() {
        let l = Labels::from_pairs(&[
            ("__address__", "h:1"),
            ("__scheme__", "https"),
            ("__metrics_path__", "probe"),
            ("__param_target", "x&y"),
        ]);
        let mut p = BTreeMap::new();
        p.insert(
            "target".to_owned(),
            vec!["old".to_owned(), "second".to_owned()],
        );
        assert_eq!(
            scrape_url(&l, &p),
            "https://h:1/probe?target=x%26y&target=second"
        );
    }
}
