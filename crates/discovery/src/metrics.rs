//! Discovery self-metrics under Prometheus' names (`prometheus_sd_*`), and
//! a small helper that turns counters into [`MetricFamily`]s, which the
//! scrape crate shares.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use vigil_exposition::{FamilySample, MetricFamily};
use vigil_model::MetricType;

/// A family named `name` with one float sample per `(labels, value)`, each
/// sample named `name` (see [`family_with_names`] for summaries).
pub fn family(
    name: &str,
    help: &str,
    kind: MetricType,
    samples: Vec<(Vec<(&str, &str)>, f64)>,
) -> MetricFamily {
    family_with_names(
        name,
        help,
        kind,
        samples.into_iter().map(|(l, v)| (name, l, v)).collect(),
    )
}

/// One sample of [`family_with_names`]: its name, labels and value.
pub type NamedSample<'a> = (&'a str, Vec<(&'a str, &'a str)>, f64);

/// A family whose samples may have their own names (a summary's `_sum`
/// and `_count`).
pub fn family_with_names(
    name: &str,
    help: &str,
    kind: MetricType,
    samples: Vec<NamedSample<'_>>,
) -> MetricFamily {
    MetricFamily::with_samples(
        name,
        kind,
        help,
        samples
            .into_iter()
            .map(|(n, l, v)| FamilySample::float(n, &l, v))
            .collect(),
    )
}

/// Count and sum of observations, rendered as a summary without quantiles.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Observed {
    pub(crate) sum: f64,
    pub(crate) count: u64,
}

impl Observed {
    pub(crate) fn observe(&mut self, v: f64) {
        self.sum += v;
        self.count += 1;
    }
}

/// Counters of one discovery manager.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub(crate) received_updates: AtomicU64,
    pub(crate) updates: AtomicU64,
    pub(crate) failed_configs: AtomicU64,
    pub(crate) discovered: Mutex<BTreeMap<String, usize>>,
    pub(crate) file_read_errors: AtomicU64,
    file_scan: Mutex<Observed>,
    file_mtimes: Mutex<BTreeMap<String, f64>>,
    pub(crate) http_failures: AtomicU64,
    pub(crate) dns_lookups: AtomicU64,
    pub(crate) dns_failures: AtomicU64,
    /// Per mechanism (`http`, `dns`): refresh durations and failures.
    refresh: Mutex<BTreeMap<&'static str, (Observed, u64)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere cannot leave these plain counters inconsistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Metrics {
    pub(crate) fn file_scan_done(&self, secs: f64, errors: u64, mtimes: &[(String, f64)]) {
        lock(&self.file_scan).observe(secs);
        self.file_read_errors.fetch_add(errors, Ordering::Relaxed);
        let mut m = lock(&self.file_mtimes);
        for (f, t) in mtimes {
            m.insert(f.clone(), *t);
        }
    }

    pub(crate) fn refresh_done(&self, mechanism: &'static str, secs: f64, failed: bool) {
        let mut r = lock(&self.refresh);
        let e = r.entry(mechanism).or_default();
        e.0.observe(secs);
        if failed {
            e.1 += 1;
        }
    }

    /// Every metric as families, `name` being the manager's name label.
    pub(crate) fn families(&self, name: &str) -> Vec<MetricFamily> {
        let c = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
        let n = vec![("name", name)];
        let mut out = vec![
            family(
                "prometheus_sd_received_updates_total",
                "Total number of update events received from the SD providers.",
                MetricType::Counter,
                vec![(n.clone(), c(&self.received_updates))],
            ),
            family(
                "prometheus_sd_updates_total",
                "Total number of update events sent to the SD consumers.",
                MetricType::Counter,
                vec![(n.clone(), c(&self.updates))],
            ),
            family(
                "prometheus_sd_updates_delayed_total",
                "Total number of update events that couldn't be sent immediately.",
                MetricType::Counter,
                vec![(n.clone(), 0.0)],
            ),
            family(
                "prometheus_sd_failed_configs",
                "Current number of service discovery configurations that failed to load.",
                MetricType::Gauge,
                vec![(n.clone(), c(&self.failed_configs))],
            ),
        ];
        let discovered = lock(&self.discovered);
        out.push(family(
            "prometheus_sd_discovered_targets",
            "Current number of discovered targets.",
            MetricType::Gauge,
            discovered
                .iter()
                .map(|(job, v)| (vec![("config", job.as_str()), ("name", name)], *v as f64))
                .collect(),
        ));
        drop(discovered);
        out.push(family(
            "prometheus_sd_file_read_errors_total",
            "The number of File-SD read errors.",
            MetricType::Counter,
            vec![(vec![], c(&self.file_read_errors))],
        ));
        let scan = *lock(&self.file_scan);
        out.push(summary(
            "prometheus_sd_file_scan_duration_seconds",
            "The duration of the File-SD scan in seconds.",
            vec![(vec![], scan)],
        ));
        let mtimes = lock(&self.file_mtimes);
        out.push(family(
            "prometheus_sd_file_mtime_seconds",
            "Timestamp (mtime) of files read by FileSD. Timestamp is set at read time.",
            MetricType::Gauge,
            mtimes
                .iter()
                .map(|(f, t)| (vec![("filename", f.as_str())], *t))
                .collect(),
        ));
        drop(mtimes);
        out.push(family(
            "prometheus_sd_http_failures_total",
            "Number of HTTP service discovery refresh failures.",
            MetricType::Counter,
            vec![(vec![], c(&self.http_failures))],
        ));
        out.push(family(
            "prometheus_sd_dns_lookups_total",
            "The number of DNS-SD lookups.",
            MetricType::Counter,
            vec![(vec![], c(&self.dns_lookups))],
        ));
        out.push(family(
            "prometheus_sd_dns_lookup_failures_total",
            "The number of DNS-SD lookup failures.",
            MetricType::Counter,
            vec![(vec![], c(&self.dns_failures))],
        ));
        let refresh = lock(&self.refresh);
        out.push(summary(
            "prometheus_sd_refresh_duration_seconds",
            "The duration of a refresh for the given SD mechanism.",
            refresh
                .iter()
                .map(|(m, (o, _))| (vec![("mechanism", *m)], *o))
                .collect(),
        ));
        out.push(family(
            "prometheus_sd_refresh_failures_total",
            "Number of refresh failures for the given SD mechanism.",
            MetricType::Counter,
            refresh
                .iter()
                .map(|(m, (_, f))| (vec![("mechanism", *m)], *f as f64))
                .collect(),
        ));
        out
    }
}

/// A summary family with `_sum` and `_count` only.
fn summary(name: &str, help: &str, series: Vec<(Vec<(&str, &str)>, Observed)>) -> MetricFamily {
    let sum = format!("{name}_sum");
    let count = format!("{name}_count");
    let mut samples = Vec::new();
    for (l, o) in series {
        samples.push((sum.as_str(), l.clone(), o.sum));
        samples.push((count.as_str(), l, o.count as f64));
    }
    family_with_names(name, help, MetricType::Summary, samples)
}
