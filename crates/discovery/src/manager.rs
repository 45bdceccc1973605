//! The discovery manager: runs the providers of every job and publishes
//! the jobs' combined target groups to one consumer (the scrape manager).
//!
//! Providers report whenever they refresh; the manager marks the target
//! sets dirty when a provider's groups changed and a sender task publishes
//! the full `job → groups` map on a [`watch`] channel: the first time as
//! soon as something is there, then at most once per `update_interval`
//! (5 s, as Prometheus' `updatert`), so a flapping provider cannot make the
//! scrape side resync constantly.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use vigil_config::Config;
use vigil_config::discovery::ServiceDiscoveryConfigs;
use vigil_exposition::MetricFamily;

use crate::dns::Resolver;
use crate::group::{TargetGroup, TargetSets};
use crate::metrics::Metrics;
use crate::provider::{ProviderConfig, Sink, provider_configs, spawn};

/// Settings of a [`DiscoveryManager`].
#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    /// The `name` label of the self-metrics (`scrape` or `notify`).
    pub name: String,
    /// Shortest time between two published updates (Prometheus: 5 s).
    pub update_interval: Duration,
    /// How often file SD checks its files for changes.
    pub file_poll_interval: Duration,
    /// DNS servers for DNS SD; empty means those of `/etc/resolv.conf`.
    pub dns_servers: Vec<std::net::SocketAddr>,
}

impl Default for DiscoveryOptions {
    fn default() -> DiscoveryOptions {
        DiscoveryOptions {
            name: "scrape".into(),
            update_interval: Duration::from_secs(5),
            file_poll_interval: Duration::from_secs(5),
            dns_servers: Vec::new(),
        }
    }
}

/// A running provider and the jobs that use it.
#[derive(Debug)]
struct Entry {
    config: ProviderConfig,
    jobs: BTreeSet<String>,
    groups: Vec<TargetGroup>,
    task: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct State {
    providers: HashMap<u64, Entry>,
    /// Every configured job, also those without any provider.
    jobs: BTreeSet<String>,
    next_id: u64,
    dirty: bool,
    stopped: bool,
}

/// What provider tasks and the manager share.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    notify: Notify,
    pub(crate) metrics: Metrics,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A provider's new full set of groups.
    pub(crate) fn update(&self, id: u64, groups: Vec<TargetGroup>) {
        self.metrics
            .received_updates
            .fetch_add(1, Ordering::Relaxed);
        let mut st = self.lock();
        let Some(e) = st.providers.get_mut(&id) else {
            return;
        };
        if e.groups != groups {
            e.groups = groups;
            st.dirty = true;
            drop(st);
            self.notify.notify_one();
        }
    }

    /// Every job's groups, providers in start order.
    fn all_groups(st: &State) -> HashMap<String, Vec<TargetGroup>> {
        let mut ids: Vec<&u64> = st.providers.keys().collect();
        ids.sort();
        let mut out: HashMap<String, Vec<TargetGroup>> =
            st.jobs.iter().map(|j| (j.clone(), Vec::new())).collect();
        for id in ids {
            let Some(e) = st.providers.get(id) else {
                continue;
            };
            for job in &e.jobs {
                if let Some(v) = out.get_mut(job) {
                    v.extend(e.groups.iter().cloned());
                }
            }
        }
        out
    }
}

/// Runs service discovery for a set of jobs; see the module docs.
///
/// Must be created inside a Tokio runtime. Dropping it stops every provider.
#[derive(Debug)]
pub struct DiscoveryManager {
    shared: Arc<Shared>,
    rx: watch::Receiver<TargetSets>,
    sender: JoinHandle<()>,
    opts: DiscoveryOptions,
    resolver: Resolver,
}

impl DiscoveryManager {
    /// A manager with no jobs yet; call [`DiscoveryManager::apply_config`].
    pub fn new(opts: DiscoveryOptions) -> DiscoveryManager {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            notify: Notify::new(),
            metrics: Metrics::default(),
        });
        let (tx, rx) = watch::channel(TargetSets::default());
        let sender = tokio::spawn(send_loop(shared.clone(), tx, opts.update_interval));
        let resolver = Resolver::new(opts.dns_servers.clone());
        DiscoveryManager {
            shared,
            rx,
            sender,
            opts,
            resolver,
        }
    }

    /// A receiver of the published target sets (job → groups). It starts
    /// with an empty map and is marked changed on each publication.
    pub fn subscribe(&self) -> watch::Receiver<TargetSets> {
        self.rx.clone()
    }

    /// Runs the SD configurations of `jobs` (job name → its SD lists).
    /// Providers whose configuration is unchanged keep running (and keep
    /// their groups); the others are stopped or started. Jobs without any
    /// configuration are published with no groups. Configurations of SD
    /// families Vigil does not run, and those whose HTTP client cannot be
    /// built, count in `prometheus_sd_failed_configs`.
    pub fn apply_config(&self, jobs: &HashMap<String, ServiceDiscoveryConfigs>) {
        let mut failed = 0usize;
        let mut st = self.shared.lock();
        if st.stopped {
            return;
        }
        for e in st.providers.values_mut() {
            e.jobs.clear();
        }
        let mut names: Vec<&String> = jobs.keys().collect();
        names.sort();
        for job in names {
            let Some(sd) = jobs.get(job) else { continue };
            let (cfgs, unsupported) = provider_configs(sd);
            failed += unsupported;
            for cfg in cfgs {
                if let Some(e) = st.providers.values_mut().find(|e| e.config == cfg) {
                    e.jobs.insert(job.clone());
                    continue;
                }
                let id = st.next_id;
                st.next_id += 1;
                st.providers.insert(
                    id,
                    Entry {
                        config: cfg,
                        jobs: [job.clone()].into(),
                        groups: Vec::new(),
                        task: None,
                    },
                );
            }
        }
        // Stop what no job uses any more.
        st.providers.retain(|_, e| {
            let keep = !e.jobs.is_empty();
            if !keep {
                if let Some(t) = &e.task {
                    t.abort();
                }
            }
            keep
        });
        // Start the new providers (outside the loop above: a static
        // provider publishes at once, which takes the state lock).
        let to_start: Vec<(u64, ProviderConfig)> = st
            .providers
            .iter()
            .filter(|(_, e)| e.task.is_none())
            .map(|(id, e)| (*id, e.config.clone()))
            .collect();
        st.jobs = jobs.keys().cloned().collect();
        st.dirty = true;
        drop(st);
        for (id, cfg) in to_start {
            let sink = Sink {
                shared: self.shared.clone(),
                id,
            };
            match spawn(&cfg, sink, self.opts.file_poll_interval, &self.resolver) {
                Ok(Some(task)) => {
                    let mut st = self.shared.lock();
                    match st.providers.get_mut(&id) {
                        Some(e) => e.task = Some(task),
                        None => task.abort(),
                    }
                }
                Ok(None) => {}
                Err(_) => failed += 1,
            }
        }
        self.shared
            .metrics
            .failed_configs
            .store(failed as u64, Ordering::Relaxed);
        self.shared.notify.notify_one();
    }

    /// [`DiscoveryManager::apply_config`] with every scrape job of `cfg`.
    pub fn apply_scrape_configs(&self, cfg: &Config) {
        let jobs = cfg
            .scrape_configs
            .iter()
            .map(|s| (s.job_name.clone(), s.sd.clone()))
            .collect();
        self.apply_config(&jobs);
    }

    /// The self-metrics (`prometheus_sd_*`).
    pub fn metrics(&self) -> Vec<MetricFamily> {
        self.shared.metrics.families(&self.opts.name)
    }

    /// Stops every provider and the sender; the channel keeps its last value.
    pub fn stop(&self) {
        let mut st = self.shared.lock();
        st.stopped = true;
        for e in st.providers.values() {
            if let Some(t) = &e.task {
                t.abort();
            }
        }
        st.providers.clear();
        drop(st);
        self.sender.abort();
    }
}

impl Drop for DiscoveryManager {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn send_loop(shared: Arc<Shared>, tx: watch::Sender<TargetSets>, every: Duration) {
    let mut last_send: Option<Instant> = None;
    loop {
        shared.notify.notified().await;
        if let Some(t) = last_send {
            tokio::time::sleep(every.saturating_sub(t.elapsed())).await;
        }
        let sets = {
            let mut st = shared.lock();
            if st.stopped {
                return;
            }
            if !st.dirty {
                continue;
            }
            st.dirty = false;
            Shared::all_groups(&st)
        };
        {
            let mut d = shared
                .metrics
                .discovered
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            d.clear();
            for (job, groups) in &sets {
                d.insert(job.clone(), groups.iter().map(TargetGroup::len).sum());
            }
        }
        shared.metrics.updates.fetch_add(1, Ordering::Relaxed);
        tx.send_replace(Arc::new(sets));
        last_send = Some(Instant::now());
    }
}
