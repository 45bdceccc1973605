//! The scrape manager: one pool per job, fed by configuration reloads and
//! by discovery's target sets, and the views the HTTP API reads.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;
use vigil_config::Config;
use vigil_discovery::{TargetGroup, TargetSets};
use vigil_exposition::MetricFamily;
use vigil_tsdb::db::Db;

use crate::metrics::ScrapeMetrics;
use crate::pool::{Pool, PoolEnv, Retiring};
use crate::scrape_loop::{SHUTDOWN_GRACE, Stop, lock_cache};
use crate::snapshot::{
    DroppedTarget, GlobalUrlOptions, MetricMetadata, TargetMetadata, TargetSnapshot, global_url,
};

/// Settings of a [`ScrapeManager`].
#[derive(Debug, Clone)]
pub struct ScrapeOptions {
    /// Mixed into every target's hash to place its scrapes in the
    /// interval (Prometheus uses the external labels and the host name),
    /// so that two servers scraping the same targets do not scrape in step.
    pub offset_seed: u64,
    /// For `globalUrl`; unset shows the scrape URL.
    pub global_url: GlobalUrlOptions,
    /// `--scrape.adjust-timestamps` with `--scrape.timestamp-tolerance`:
    /// a scrape that starts at most this long after its scheduled moment
    /// is stamped with the schedule (clamped to 1 % of the interval), so
    /// timestamps stay evenly spaced and compress to one bit each; `None`
    /// stamps scrapes with the clock as it is.
    pub align_tolerance: Option<std::time::Duration>,
}

impl Default for ScrapeOptions {
    fn default() -> ScrapeOptions {
        ScrapeOptions {
            offset_seed: 0,
            global_url: GlobalUrlOptions::default(),
            align_tolerance: Some(std::time::Duration::from_millis(2)),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    pools: BTreeMap<String, Pool>,
    /// The last target sets from discovery, by job.
    groups: HashMap<String, Vec<TargetGroup>>,
    /// Loops told to stop that may still write stale markers.
    retiring: Vec<Retiring>,
    stopped: bool,
}

/// Scrapes every configured job's targets into a [`Db`].
///
/// Its methods that start or stop loops (`apply_config`, `sync`) must be
/// called inside a Tokio runtime; the views may be called from anywhere.
#[derive(Debug)]
pub struct ScrapeManager {
    env: PoolEnv,
    opts: ScrapeOptions,
    state: Mutex<State>,
}

impl ScrapeManager {
    /// A manager with no jobs; call [`ScrapeManager::apply_config`].
    pub fn new(db: Arc<Db>, opts: ScrapeOptions) -> ScrapeManager {
        ScrapeManager {
            env: PoolEnv {
                db,
                metrics: Arc::new(ScrapeMetrics::default()),
                seed: opts.offset_seed,
                align_tolerance: opts.align_tolerance,
            },
            opts,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies the scrape jobs of `cfg`: new jobs get a pool, removed jobs'
    /// targets stop (and go stale), changed jobs get a new pool that takes
    /// over the old one's targets; unchanged jobs are not touched.
    pub fn apply_config(&self, cfg: &Config) {
        let mut st = self.lock();
        if st.stopped {
            return;
        }
        let m = &self.env.metrics;
        let mut retiring = Vec::new();
        let wanted: BTreeMap<&str, &vigil_config::ScrapeConfig> = cfg
            .scrape_configs
            .iter()
            .map(|s| (s.job_name.as_str(), s))
            .collect();
        let gone: Vec<String> = st
            .pools
            .keys()
            .filter(|k| !wanted.contains_key(k.as_str()))
            .cloned()
            .collect();
        for job in gone {
            if let Some(mut p) = st.pools.remove(&job) {
                retiring.extend(p.stop_all(Stop::Remove));
            }
            m.forget_pool(&job);
        }
        for (job, sc) in wanted {
            if st.pools.get(job).is_some_and(|p| *p.cfg == *sc) {
                continue;
            }
            let previous = st.pools.remove(job);
            if previous.is_some() {
                m.reloads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            let mut pool = Pool::new(sc.clone(), self.env.clone());
            let groups = st.groups.get(job).cloned().unwrap_or_default();
            retiring.extend(pool.sync(&groups, previous));
            st.pools.insert(job.to_owned(), pool);
        }
        st.retiring.retain(|r| !r.task.is_finished());
        st.retiring.extend(retiring);
    }

    /// Applies discovery's target sets (job → all its groups). Jobs missing
    /// from `sets` keep their targets; jobs without a pool are remembered
    /// for when their configuration arrives.
    pub fn sync(&self, sets: &HashMap<String, Vec<TargetGroup>>) {
        let mut st = self.lock();
        if st.stopped {
            return;
        }
        let mut retiring = Vec::new();
        for (job, groups) in sets {
            st.groups.insert(job.clone(), groups.clone());
            if let Some(pool) = st.pools.get_mut(job) {
                retiring.extend(pool.sync(groups, None));
            }
        }
        st.retiring.retain(|r| !r.task.is_finished());
        st.retiring.extend(retiring);
    }

    /// Follows a discovery manager: syncs with every target set it
    /// publishes until its channel closes.
    pub async fn run(&self, mut rx: watch::Receiver<TargetSets>) {
        loop {
            let sets = rx.borrow_and_update().clone();
            if !sets.is_empty() {
                self.sync(&sets);
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    }

    /// Stops every loop without writing stale markers (the series of a
    /// server that restarts simply continue) and waits for the loops to
    /// end; a scrape in flight is abandoned, appends in progress finish.
    pub async fn stop(&self) {
        let tasks = {
            let mut st = self.lock();
            st.stopped = true;
            let mut all: Vec<Retiring> = std::mem::take(&mut st.retiring);
            let mut pools = std::mem::take(&mut st.pools);
            for p in pools.values_mut() {
                all.extend(p.stop_all(Stop::Shutdown));
            }
            for r in &all {
                let _ = r.stop.send(Stop::Shutdown);
            }
            all
        };
        for r in tasks {
            let abort = r.task.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, r.task).await.is_err() {
                abort.abort();
            }
        }
    }

    /// The names of the configured jobs, sorted.
    pub fn scrape_pools(&self) -> Vec<String> {
        self.lock().pools.keys().cloned().collect()
    }

    /// Every active target, by pool, in no particular order within a pool.
    pub fn active_targets(&self) -> Vec<TargetSnapshot> {
        let st = self.lock();
        let mut out = Vec::new();
        for (name, pool) in &st.pools {
            for l in pool.loops.values() {
                let t = &l.target;
                let s = t.status().clone();
                out.push(TargetSnapshot {
                    discovered_labels: t.discovered(),
                    labels: t.public.clone(),
                    scrape_pool: name.clone(),
                    scrape_url: t.url.clone(),
                    global_url: global_url(&t.url, &self.opts.global_url),
                    health: s.health,
                    last_error: s.last_error,
                    last_scrape: s.last_scrape,
                    last_scrape_duration: s.last_duration,
                    scrape_interval: t.interval_text.clone(),
                    scrape_timeout: t.timeout_text.clone(),
                });
            }
        }
        out
    }

    /// The dropped targets kept (at most `keep_dropped_targets` per pool
    /// when that is set).
    pub fn dropped_targets(&self) -> Vec<DroppedTarget> {
        let st = self.lock();
        st.pools
            .values()
            .flat_map(|p| p.dropped.iter().cloned())
            .collect()
    }

    /// How many targets each pool dropped, kept or not.
    pub fn dropped_counts(&self) -> Vec<(String, usize)> {
        let st = self.lock();
        st.pools
            .iter()
            .map(|(n, p)| (n.clone(), p.dropped_count))
            .collect()
    }

    /// The metadata of every active target (only family `metric` when
    /// given; targets without it are left out then), by pool.
    pub fn target_metadata(&self, metric: Option<&str>) -> Vec<TargetMetadata> {
        let st = self.lock();
        let mut out = Vec::new();
        for (name, pool) in &st.pools {
            let mut loops: Vec<_> = pool.loops.values().collect();
            loops.sort_by(|a, b| a.target.public.cmp(&b.target.public));
            for l in loops {
                let cache = lock_cache(&l.cache);
                let entries = match metric {
                    Some(m) => cache
                        .metadata_of(m)
                        .map(|e| vec![(m.to_owned(), e)])
                        .unwrap_or_default(),
                    None => cache.metadata(),
                };
                drop(cache);
                if entries.is_empty() && metric.is_some() {
                    continue;
                }
                out.push(TargetMetadata {
                    scrape_pool: name.clone(),
                    target: l.target.public.clone(),
                    metadata: entries
                        .into_iter()
                        .map(|(metric, e)| MetricMetadata {
                            metric,
                            kind: e.kind,
                            help: e.help,
                            unit: e.unit,
                        })
                        .collect(),
                });
            }
        }
        out
    }

    /// Every family's distinct metadata over all targets (what
    /// `/api/v1/metadata` lists), by family name.
    pub fn metric_metadata(&self) -> BTreeMap<String, Vec<MetricMetadata>> {
        let mut out: BTreeMap<String, Vec<MetricMetadata>> = BTreeMap::new();
        for t in self.target_metadata(None) {
            for m in t.metadata {
                let list = out.entry(m.metric.clone()).or_default();
                if !list.contains(&m) {
                    list.push(m);
                }
            }
        }
        out
    }

    /// The self-metrics (`prometheus_target_*`).
    pub fn metrics(&self) -> Vec<MetricFamily> {
        let meta: BTreeMap<String, (usize, usize)> = {
            let st = self.lock();
            st.pools
                .iter()
                .map(|(n, p)| (n.clone(), p.metadata_size()))
                .collect()
        };
        self.env.metrics.families(&meta)
    }
}
