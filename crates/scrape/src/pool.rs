//! A scrape pool: the targets of one job and their loops.
//!
//! [`Pool::sync`] turns the job's target groups into targets (relabeling
//! each), keeps the loops of targets that stay, starts loops for new ones
//! and stops the loops of targets that went away (which then write their
//! stale markers). A pool built for a changed job configuration adopts
//! the old pool's loops: a target that stays hands its cache to its new
//! loop when the change cannot alter what is stored (Prometheus'
//! `reusableCache`), so no series goes stale for a mere reload.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use vigil_config::ScrapeConfig;
use vigil_discovery::TargetGroup;
use vigil_tsdb::db::Db;

use crate::append::AppendOptions;
use crate::error::ScrapeError;
use crate::fetch::Fetcher;
use crate::metrics::ScrapeMetrics;
use crate::scrape_loop::{ForcedError, LoopCtx, SharedCache, Stop, lock_cache, run};
use crate::snapshot::DroppedTarget;
use crate::target::{Populated, Target, discovered_labels, populate_labels};

/// A running loop.
#[derive(Debug)]
pub(crate) struct LoopHandle {
    pub(crate) target: Arc<Target>,
    pub(crate) cache: SharedCache,
    stop: watch::Sender<Stop>,
    task: JoinHandle<()>,
}

/// A loop that was told to stop and may still be finishing (writing its
/// stale markers); kept so a shutdown can cut it short.
#[derive(Debug)]
pub(crate) struct Retiring {
    pub(crate) stop: watch::Sender<Stop>,
    pub(crate) task: JoinHandle<()>,
}

impl LoopHandle {
    fn stop(self, how: Stop) -> Retiring {
        let _ = self.stop.send(how);
        Retiring {
            stop: self.stop,
            task: self.task,
        }
    }
}

/// What pools share with their manager.
#[derive(Debug, Clone)]
pub(crate) struct PoolEnv {
    pub(crate) db: Arc<Db>,
    pub(crate) metrics: Arc<ScrapeMetrics>,
    pub(crate) seed: u64,
    /// Largest distance from the schedule a scrape's timestamp is pulled
    /// back by (`None`: timestamps are never aligned).
    pub(crate) align_tolerance: Option<std::time::Duration>,
}

/// One job's targets; see the module docs.
#[derive(Debug)]
pub(crate) struct Pool {
    pub(crate) name: String,
    pub(crate) cfg: Arc<ScrapeConfig>,
    fetcher: Result<Fetcher, ScrapeError>,
    opts: Arc<AppendOptions>,
    pub(crate) loops: HashMap<u64, LoopHandle>,
    pub(crate) dropped: Vec<DroppedTarget>,
    pub(crate) dropped_count: usize,
    forced: ForcedError,
    env: PoolEnv,
}

/// Whether two job configurations store the same series for the same body
/// (only the interval, timeout, sample limit and HTTP options differ).
fn reusable_cache(a: &ScrapeConfig, b: &ScrapeConfig) -> bool {
    let zero = |c: &ScrapeConfig| {
        let mut z = c.clone();
        z.scrape_interval = vigil_config::Duration::default();
        z.scrape_timeout = vigil_config::Duration::default();
        z.sample_limit = 0;
        z.http = vigil_config::HttpClientConfig::default();
        z
    };
    zero(a) == zero(b)
}

impl Pool {
    pub(crate) fn new(cfg: ScrapeConfig, env: PoolEnv) -> Pool {
        let fetcher = Fetcher::new(&cfg);
        env.metrics
            .pools_created
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if fetcher.is_err() {
            env.metrics
                .pools_failed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        env.metrics
            .pool(&cfg.job_name, |p| p.target_limit = cfg.target_limit);
        Pool {
            name: cfg.job_name.clone(),
            opts: Arc::new(AppendOptions::new(&cfg)),
            cfg: Arc::new(cfg),
            fetcher,
            loops: HashMap::new(),
            dropped: Vec::new(),
            dropped_count: 0,
            forced: Arc::new(Mutex::new(None)),
            env,
        }
    }

    fn start(
        &self,
        target: Arc<Target>,
        cache: SharedCache,
        wait_for: Option<JoinHandle<()>>,
        inherited: bool,
    ) -> LoopHandle {
        let (tx, rx) = watch::channel(Stop::Run);
        let ctx = LoopCtx {
            db: self.env.db.clone(),
            target: target.clone(),
            fetcher: self.fetcher.clone(),
            opts: self.opts.clone(),
            sample_limit: self.cfg.sample_limit,
            cache: cache.clone(),
            forced: self.forced.clone(),
            metrics: self.env.metrics.clone(),
            seed: self.env.seed,
            align_tolerance: self.env.align_tolerance,
            stop: rx,
            wait_for,
            inherited,
        };
        LoopHandle {
            target,
            cache,
            stop: tx,
            task: tokio::spawn(run(ctx)),
        }
    }

    /// Syncs the pool to `groups`. `previous` holds loops of an earlier
    /// pool of the same job (a reload) to adopt; loops that are not kept
    /// are returned, told to stop.
    pub(crate) fn sync(&mut self, groups: &[TargetGroup], previous: Option<Pool>) -> Vec<Retiring> {
        let started = Instant::now();
        let cfg = self.cfg.clone();
        let mut wanted: BTreeMap<u64, Target> = BTreeMap::new();
        let mut order: Vec<u64> = Vec::new();
        let mut failed = 0u64;
        self.dropped.clear();
        self.dropped_count = 0;
        let keep = usize::try_from(cfg.keep_dropped_targets).unwrap_or(usize::MAX);
        for g in groups {
            for t in &g.targets {
                match populate_labels(&cfg, t, &g.labels) {
                    Ok(Populated::Keep(labels)) => {
                        let target =
                            Target::new(labels, discovered_labels(&cfg, t, &g.labels), &cfg);
                        let h = target.hash();
                        if let std::collections::btree_map::Entry::Vacant(e) = wanted.entry(h) {
                            e.insert(target);
                            order.push(h);
                        }
                    }
                    Ok(Populated::Dropped) => {
                        self.dropped_count += 1;
                        if keep == 0 || self.dropped.len() < keep {
                            self.dropped.push(DroppedTarget {
                                discovered_labels: discovered_labels(&cfg, t, &g.labels),
                                scrape_pool: self.name.clone(),
                            });
                        }
                    }
                    Err(_) => failed += 1,
                }
            }
        }
        // Within a pool loops are matched by target hash; across a reload
        // by identity, which ignores the interval and timeout labels so a
        // new interval does not make every series go stale.
        let (mut prev, reusable) = match previous {
            Some(mut p) => {
                let r = reusable_cache(&p.cfg, &cfg);
                let by_identity = p
                    .loops
                    .drain()
                    .map(|(_, l)| (l.target.identity, l))
                    .collect::<HashMap<_, _>>();
                (by_identity, Some(r))
            }
            None => (std::mem::take(&mut self.loops), None),
        };
        let mut retiring = Vec::new();
        for h in order {
            let Some(target) = wanted.remove(&h) else {
                continue;
            };
            let key = if reusable.is_some() {
                target.identity
            } else {
                h
            };
            match (prev.remove(&key), reusable) {
                // Same pool, same target: the loop goes on.
                (Some(handle), None) => {
                    let mut d = handle
                        .target
                        .discovered
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    *d = target.discovered();
                    drop(d);
                    self.loops.insert(h, handle);
                }
                (Some(handle), Some(true)) => {
                    let cache = handle.cache.clone();
                    let inherited = handle.target.status().last_scrape.is_some();
                    let r = handle.stop(Stop::Handover);
                    let new = self.start(Arc::new(target), cache, Some(r.task), inherited);
                    self.loops.insert(h, new);
                }
                (Some(handle), Some(false)) => {
                    retiring.push(handle.stop(Stop::Remove));
                    let new = self.start(Arc::new(target), SharedCache::default(), None, false);
                    self.loops.insert(h, new);
                }
                (None, _) => {
                    let new = self.start(Arc::new(target), SharedCache::default(), None, false);
                    self.loops.insert(h, new);
                }
            }
        }
        retiring.extend(prev.into_values().map(|l| l.stop(Stop::Remove)));
        self.check_target_limit();
        self.env.metrics.sync_done(
            &self.name,
            started.elapsed().as_secs_f64(),
            self.loops.len(),
            failed,
        );
        retiring
    }

    /// Sets or clears the error every loop reports instead of scraping
    /// when the pool has more targets than `target_limit`.
    fn check_target_limit(&self) {
        let limit = self.cfg.target_limit;
        let err = if limit > 0 && self.loops.len() as u64 > limit {
            self.env
                .metrics
                .exceeded_target_limit
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Some(ScrapeError::TargetLimit {
                targets: self.loops.len(),
                limit,
            })
        } else {
            None
        };
        *self
            .forced
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = err;
    }

    /// Stops every loop.
    pub(crate) fn stop_all(&mut self, how: Stop) -> Vec<Retiring> {
        self.loops.drain().map(|(_, l)| l.stop(how)).collect()
    }

    /// Metadata cache entries and bytes over the pool's targets.
    pub(crate) fn metadata_size(&self) -> (usize, usize) {
        self.loops.values().fold((0, 0), |(n, b), l| {
            let (n2, b2) = lock_cache(&l.cache).metadata_size();
            (n + n2, b + b2)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_reuse_rule() {
        let load = |y: &str| {
            vigil_config::Config::load(y, &std::env::temp_dir())
                .expect("config")
                .scrape_configs
                .remove(0)
        };
        let a = load("scrape_configs:\n- job_name: j\n  scrape_interval: 10s\n");
        let b = load("scrape_configs:\n- job_name: j\n  scrape_interval: 20s\n  sample_limit: 5\n");
        let c = load("scrape_configs:\n- job_name: j\n  honor_labels: true\n");
        assert!(reusable_cache(&a, &b));
        assert!(!reusable_cache(&a, &c));
    }
}
