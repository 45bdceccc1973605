//! Scrape self-metrics under Prometheus' names (`prometheus_target_*`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use vigil_discovery::metrics::{NamedSample, family, family_with_names};
use vigil_exposition::MetricFamily;
use vigil_model::MetricType;

use crate::append::AppendStats;

/// Sum and count of observations.
#[derive(Debug, Default, Clone, Copy)]
struct Observed {
    sum: f64,
    count: u64,
}

/// Per scrape pool.
#[derive(Debug, Default, Clone)]
pub(crate) struct PoolCounters {
    pub(crate) syncs: u64,
    sync_length: Observed,
    pub(crate) sync_failed: u64,
    pub(crate) targets: usize,
    pub(crate) target_limit: u64,
}

/// Counters shared by every pool and loop of a manager.
#[derive(Debug, Default)]
pub(crate) struct ScrapeMetrics {
    pub(crate) exceeded_body_size_limit: AtomicU64,
    pub(crate) exceeded_sample_limit: AtomicU64,
    pub(crate) sample_duplicate: AtomicU64,
    pub(crate) sample_out_of_bounds: AtomicU64,
    pub(crate) sample_out_of_order: AtomicU64,
    pub(crate) exemplar_out_of_order: AtomicU64,
    pub(crate) exceeded_target_limit: AtomicU64,
    pub(crate) exceeded_label_limits: AtomicU64,
    pub(crate) reloads: AtomicU64,
    pub(crate) reloads_failed: AtomicU64,
    pub(crate) pools_created: AtomicU64,
    pub(crate) pools_failed: AtomicU64,
    pools: Mutex<BTreeMap<String, PoolCounters>>,
    intervals: Mutex<BTreeMap<String, Observed>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ScrapeMetrics {
    pub(crate) fn count_append(&self, st: &AppendStats) {
        let add = |a: &AtomicU64, n: u64| {
            if n > 0 {
                a.fetch_add(n, Ordering::Relaxed);
            }
        };
        add(&self.sample_out_of_order, st.out_of_order);
        add(&self.sample_duplicate, st.duplicate);
        add(&self.sample_out_of_bounds, st.out_of_bounds);
        add(&self.exemplar_out_of_order, st.exemplar_out_of_order);
        add(&self.exceeded_sample_limit, u64::from(st.sample_limit_hit));
        add(&self.exceeded_label_limits, u64::from(st.label_limit_hit));
    }

    pub(crate) fn observe_interval(&self, interval: &str, secs: f64) {
        let mut m = lock(&self.intervals);
        let o = m.entry(interval.to_owned()).or_default();
        o.sum += secs;
        o.count += 1;
    }

    /// Updates a pool's counters.
    pub(crate) fn pool(&self, job: &str, f: impl FnOnce(&mut PoolCounters)) {
        f(lock(&self.pools).entry(job.to_owned()).or_default());
    }

    pub(crate) fn sync_done(&self, job: &str, secs: f64, targets: usize, failed: u64) {
        self.pool(job, |p| {
            p.syncs += 1;
            p.sync_length.sum += secs;
            p.sync_length.count += 1;
            p.targets = targets;
            p.sync_failed += failed;
        });
    }

    pub(crate) fn forget_pool(&self, job: &str) {
        lock(&self.pools).remove(job);
    }

    /// Every metric; `metadata` is each pool's metadata cache (entries, bytes).
    pub(crate) fn families(
        &self,
        metadata: &BTreeMap<String, (usize, usize)>,
    ) -> Vec<MetricFamily> {
        let c = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
        let counter = |name: &str, help: &str, a: &AtomicU64| {
            family(name, help, MetricType::Counter, vec![(vec![], c(a))])
        };
        let mut out = vec![
            counter(
                "prometheus_target_scrapes_exceeded_body_size_limit_total",
                "Total number of scrapes that hit the body size limit",
                &self.exceeded_body_size_limit,
            ),
            counter(
                "prometheus_target_scrapes_exceeded_sample_limit_total",
                "Total number of scrapes that hit the sample limit and were rejected.",
                &self.exceeded_sample_limit,
            ),
            counter(
                "prometheus_target_scrapes_sample_duplicate_timestamp_total",
                "Total number of samples rejected due to duplicate timestamps but different values.",
                &self.sample_duplicate,
            ),
            counter(
                "prometheus_target_scrapes_sample_out_of_bounds_total",
                "Total number of samples rejected due to timestamp falling outside of the time bounds.",
                &self.sample_out_of_bounds,
            ),
            counter(
                "prometheus_target_scrapes_sample_out_of_order_total",
                "Total number of samples rejected due to not being out of the expected order.",
                &self.sample_out_of_order,
            ),
            counter(
                "prometheus_target_scrapes_exemplar_out_of_order_total",
                "Total number of exemplar rejected due to not being out of the expected order.",
                &self.exemplar_out_of_order,
            ),
            counter(
                "prometheus_target_scrape_pool_exceeded_target_limit_total",
                "Total number of times scrape pools hit the target limit, during sync or config reload.",
                &self.exceeded_target_limit,
            ),
            counter(
                "prometheus_target_scrape_pool_exceeded_label_limits_total",
                "Total number of times scrape pools hit the label limits, during sync or config reload.",
                &self.exceeded_label_limits,
            ),
            counter(
                "prometheus_target_scrape_pool_reloads_total",
                "Total number of scrape pool reloads.",
                &self.reloads,
            ),
            counter(
                "prometheus_target_scrape_pool_reloads_failed_total",
                "Total number of failed scrape pool reloads.",
                &self.reloads_failed,
            ),
            counter(
                "prometheus_target_scrape_pools_total",
                "Total number of scrape pool creation attempts.",
                &self.pools_created,
            ),
            counter(
                "prometheus_target_scrape_pools_failed_total",
                "Total number of scrape pool creations that failed.",
                &self.pools_failed,
            ),
        ];
        let pools = lock(&self.pools).clone();
        let per_job = |f: &dyn Fn(&PoolCounters) -> f64| -> Vec<(Vec<(&str, &str)>, f64)> {
            pools
                .iter()
                .map(|(j, p)| (vec![("scrape_job", j.as_str())], f(p)))
                .collect()
        };
        out.push(family(
            "prometheus_target_scrape_pool_sync_total",
            "Total number of syncs that were executed on a scrape pool.",
            MetricType::Counter,
            per_job(&|p| p.syncs as f64),
        ));
        out.push(family(
            "prometheus_target_sync_failed_total",
            "Total number of target sync failures.",
            MetricType::Counter,
            per_job(&|p| p.sync_failed as f64),
        ));
        out.push(family(
            "prometheus_target_scrape_pool_targets",
            "Current number of targets in this scrape pool.",
            MetricType::Gauge,
            per_job(&|p| p.targets as f64),
        ));
        out.push(family(
            "prometheus_target_scrape_pool_target_limit",
            "Maximum number of targets allowed in this scrape pool.",
            MetricType::Gauge,
            per_job(&|p| p.target_limit as f64),
        ));
        let mut sync: Vec<NamedSample<'_>> = Vec::new();
        for (j, p) in &pools {
            sync.push((
                "prometheus_target_sync_length_seconds_sum",
                vec![("scrape_job", j.as_str())],
                p.sync_length.sum,
            ));
            sync.push((
                "prometheus_target_sync_length_seconds_count",
                vec![("scrape_job", j.as_str())],
                p.sync_length.count as f64,
            ));
        }
        out.push(family_with_names(
            "prometheus_target_sync_length_seconds",
            "Actual interval to sync the scrape pool.",
            MetricType::Summary,
            sync,
        ));
        let intervals = lock(&self.intervals).clone();
        let mut iv: Vec<NamedSample<'_>> = Vec::new();
        for (i, o) in &intervals {
            iv.push((
                "prometheus_target_interval_length_seconds_sum",
                vec![("interval", i.as_str())],
                o.sum,
            ));
            iv.push((
                "prometheus_target_interval_length_seconds_count",
                vec![("interval", i.as_str())],
                o.count as f64,
            ));
        }
        out.push(family_with_names(
            "prometheus_target_interval_length_seconds",
            "Actual intervals between scrapes.",
            MetricType::Summary,
            iv,
        ));
        out.push(family(
            "prometheus_target_metadata_cache_entries",
            "Total number of metric metadata entries in the cache",
            MetricType::Gauge,
            metadata
                .iter()
                .map(|(j, (n, _))| (vec![("scrape_job", j.as_str())], *n as f64))
                .collect(),
        ));
        out.push(family(
            "prometheus_target_metadata_cache_bytes",
            "The number of bytes that are currently used for storing metric metadata in the cache",
            MetricType::Gauge,
            metadata
                .iter()
                .map(|(j, (_, b))| (vec![("scrape_job", j.as_str())], *b as f64))
                .collect(),
        ));
        out
    }
}
