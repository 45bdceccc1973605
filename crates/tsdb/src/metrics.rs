//! The TSDB's self-metrics, under the names Prometheus exports them
//! (`prometheus_tsdb_*`), so dashboards built for Prometheus keep working.
//! The storage only counts; the server renders [`Metric`]s in whatever
//! exposition format a scrape asks for.

use std::sync::atomic::{AtomicU64, Ordering};

/// Whether a metric only goes up or may go down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Monotonic (`_total`).
    Counter,
    /// Current value.
    Gauge,
}

/// One sample of a self-metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Metric name.
    pub name: &'static str,
    /// `# HELP` text.
    pub help: &'static str,
    /// Counter or gauge.
    pub kind: MetricKind,
    /// Extra labels (e.g. `type="float"`).
    pub labels: Vec<(&'static str, &'static str)>,
    /// The value.
    pub value: f64,
}

impl Metric {
    pub(crate) fn counter(name: &'static str, help: &'static str, v: &AtomicU64) -> Metric {
        Metric {
            name,
            help,
            kind: MetricKind::Counter,
            labels: Vec::new(),
            value: v.load(Ordering::Relaxed) as f64,
        }
    }

    pub(crate) fn gauge(name: &'static str, help: &'static str, value: f64) -> Metric {
        Metric {
            name,
            help,
            kind: MetricKind::Gauge,
            labels: Vec::new(),
            value,
        }
    }

    pub(crate) fn with_label(mut self, name: &'static str, value: &'static str) -> Metric {
        self.labels.push((name, value));
        self
    }
}

/// Counters the head keeps.
#[derive(Debug, Default)]
pub(crate) struct HeadCounters {
    pub(crate) series_created: AtomicU64,
    pub(crate) series_removed: AtomicU64,
    pub(crate) float_samples: AtomicU64,
    pub(crate) histogram_samples: AtomicU64,
    pub(crate) ooo_appended: AtomicU64,
    pub(crate) out_of_order: AtomicU64,
    pub(crate) out_of_bounds: AtomicU64,
    pub(crate) too_old: AtomicU64,
    pub(crate) exemplars_appended: AtomicU64,
    pub(crate) truncations: AtomicU64,
    pub(crate) checkpoints: AtomicU64,
    pub(crate) wal_corruptions: AtomicU64,
}

/// Adds `n` to counter `c` (nothing for 0, so idle paths stay read-only).
pub(crate) fn inc(c: &AtomicU64, n: u64) {
    if n > 0 {
        c.fetch_add(n, Ordering::Relaxed);
    }
}

/// Counters the database keeps besides the head's.
#[derive(Debug, Default)]
pub(crate) struct DbCounters {
    pub(crate) compactions: AtomicU64,
    pub(crate) compactions_failed: AtomicU64,
    pub(crate) reloads: AtomicU64,
    pub(crate) head_compactions: AtomicU64,
}

impl crate::head::Head {
    /// The head's self-metrics.
    pub fn metrics(&self) -> Vec<Metric> {
        let c = &self.counters;
        let st = self.stats();
        let time = |t: i64, none: i64| if t == none { f64::NAN } else { t as f64 };
        vec![
            Metric::gauge(
                "prometheus_tsdb_head_series",
                "Total number of series in the head block.",
                st.num_series as f64,
            ),
            Metric::counter(
                "prometheus_tsdb_head_series_created_total",
                "Total number of series created in the head",
                &c.series_created,
            ),
            Metric::counter(
                "prometheus_tsdb_head_series_removed_total",
                "Total number of series removed in the head",
                &c.series_removed,
            ),
            Metric::counter(
                "prometheus_tsdb_head_samples_appended_total",
                "Total number of appended samples.",
                &c.float_samples,
            )
            .with_label("type", "float"),
            Metric::counter(
                "prometheus_tsdb_head_samples_appended_total",
                "Total number of appended samples.",
                &c.histogram_samples,
            )
            .with_label("type", "histogram"),
            Metric::counter(
                "prometheus_tsdb_head_out_of_order_samples_appended_total",
                "Total number of appended out of order samples.",
                &c.ooo_appended,
            )
            .with_label("type", "float"),
            Metric::counter(
                "prometheus_tsdb_out_of_order_samples_total",
                "Total number of out of order samples ingestion failed attempts due to out of order being disabled.",
                &c.out_of_order,
            )
            .with_label("type", "float"),
            Metric::counter(
                "prometheus_tsdb_out_of_bound_samples_total",
                "Total number of out of bound samples ingestion failed attempts with out of order support disabled.",
                &c.out_of_bounds,
            )
            .with_label("type", "float"),
            Metric::counter(
                "prometheus_tsdb_too_old_samples_total",
                "Total number of out of order samples ingestion failed attempts with out of support enabled, but sample outside of time window.",
                &c.too_old,
            )
            .with_label("type", "float"),
            Metric::gauge(
                "prometheus_tsdb_head_min_time",
                "Minimum time bound of the head block.",
                time(st.min_time, i64::MAX),
            ),
            Metric::gauge(
                "prometheus_tsdb_head_max_time",
                "Maximum timestamp of the head block.",
                time(st.max_time, i64::MIN),
            ),
            Metric::counter(
                "prometheus_tsdb_head_truncations_total",
                "Total number of head truncations attempted.",
                &c.truncations,
            ),
            Metric::counter(
                "prometheus_tsdb_checkpoint_creations_total",
                "Total number of checkpoint creations attempted.",
                &c.checkpoints,
            ),
            Metric::counter(
                "prometheus_tsdb_wal_corruptions_total",
                "Total number of WAL corruptions.",
                &c.wal_corruptions,
            ),
            Metric::counter(
                "prometheus_tsdb_exemplar_exemplars_appended_total",
                "Total number of appended exemplars.",
                &c.exemplars_appended,
            ),
            Metric::gauge(
                "prometheus_tsdb_exemplar_exemplars_in_storage",
                "Number of exemplars currently in circular storage.",
                self.num_exemplars() as f64,
            ),
            Metric::gauge(
                "prometheus_tsdb_exemplar_max_exemplars",
                "Total number of exemplars the exemplar storage can store, resizeable.",
                self.opts.max_exemplars as f64,
            ),
        ]
    }
}

impl crate::db::Db {
    /// The database's self-metrics, the head's included.
    pub fn metrics(&self) -> Vec<Metric> {
        let c = &self.counters;
        let blocks = self.blocks();
        let bytes: u64 = blocks.iter().map(|b| b.size_bytes()).sum();
        let mut out = self.head().metrics();
        out.extend([
            Metric::gauge(
                "prometheus_tsdb_blocks_loaded",
                "Number of currently loaded data blocks",
                blocks.len() as f64,
            ),
            Metric::gauge(
                "prometheus_tsdb_storage_blocks_bytes",
                "The number of bytes that are currently used for local storage by all blocks.",
                bytes as f64,
            ),
            Metric::counter(
                "prometheus_tsdb_compactions_total",
                "Total number of compactions that were executed for the partition.",
                &c.compactions,
            ),
            Metric::counter(
                "prometheus_tsdb_compactions_failed_total",
                "Total number of compactions that failed for the partition.",
                &c.compactions_failed,
            ),
            Metric::counter(
                "prometheus_tsdb_reloads_total",
                "Number of times the database reloaded block data from disk.",
                &c.reloads,
            ),
            Metric::counter(
                "prometheus_tsdb_compactions_triggered_total",
                "Total number of triggered compactions for the partition.",
                &c.head_compactions,
            ),
        ]);
        out
    }
}
