//! `prometheus_tsdb_*` self-metrics Prometheus exposes that the TSDB crate
//! does not count itself but that follow from its public state: the head's
//! chunk count and time range in seconds, the lowest stored timestamp, the
//! retention limits, and the WAL's and head chunks' files on disk. Computed
//! when `/metrics` is gathered, as Prometheus computes its gauge functions
//! (the `_seconds` forms truncated to whole seconds, as its integer
//! division does).

use std::path::Path;

use vigil_exposition::{FamilySample, MetricFamily};
use vigil_model::MetricType;
use vigil_tsdb::db::Db;

fn gauge(name: &str, help: &str, v: f64) -> MetricFamily {
    MetricFamily::with_samples(
        name,
        MetricType::Gauge,
        help,
        vec![FamilySample::float(name, &[], v)],
    )
}

/// Bytes of the regular files directly under `dir` (0 when it is absent),
/// and the largest file name that is a number (a WAL segment).
fn dir_usage(dir: &Path) -> (u64, Option<u64>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, None);
    };
    let mut bytes = 0;
    let mut last = None;
    for e in entries.flatten() {
        let Ok(md) = e.metadata() else { continue };
        if !md.is_file() {
            continue;
        }
        bytes += md.len();
        if let Some(n) = e.file_name().to_str().and_then(|n| n.parse::<u64>().ok()) {
            last = last.max(Some(n));
        }
    }
    (bytes, last)
}

/// The derived families of `db`.
pub(crate) fn families(db: &Db) -> Vec<MetricFamily> {
    let head = db.head();
    let st = head.stats();
    // An empty head reports Go's sentinels (MaxInt64 / MinInt64), as
    // Prometheus does before the first sample.
    let (min, max) = if st.min_time > st.max_time {
        (i64::MAX, i64::MIN)
    } else {
        (st.min_time, st.max_time)
    };
    let lowest = db
        .blocks()
        .iter()
        .map(|b| b.meta().min_time)
        .min()
        .unwrap_or(min);
    let opts = db.options();
    let (wal_bytes, wal_segment) = dir_usage(&db.dir().join("wal"));
    let (chunk_bytes, _) = dir_usage(&db.dir().join("chunks_head"));
    vec![
        gauge(
            "prometheus_tsdb_head_chunks",
            "Total number of chunks in the head block.",
            head.num_chunks() as f64,
        ),
        gauge(
            "prometheus_tsdb_head_min_time_seconds",
            "Minimum time bound of the head block.",
            (min / 1000) as f64,
        ),
        gauge(
            "prometheus_tsdb_head_max_time_seconds",
            "Maximum timestamp of the head block.",
            (max / 1000) as f64,
        ),
        gauge(
            "prometheus_tsdb_lowest_timestamp",
            "Lowest timestamp value stored in the database. The unit is decided by the library consumer.",
            lowest as f64,
        ),
        gauge(
            "prometheus_tsdb_lowest_timestamp_seconds",
            "Lowest timestamp value stored in the database.",
            (lowest / 1000) as f64,
        ),
        gauge(
            "prometheus_tsdb_retention_limit_bytes",
            "Max number of bytes to be retained in the tsdb blocks, configured 0 means disabled",
            opts.retention_size as f64,
        ),
        gauge(
            "prometheus_tsdb_retention_limit_seconds",
            "How long to retain samples in storage.",
            opts.retention_time as f64 / 1000.0,
        ),
        gauge(
            "prometheus_tsdb_wal_storage_size_bytes",
            "Size of the write log directory.",
            wal_bytes as f64,
        ),
        gauge(
            "prometheus_tsdb_wal_segment_current",
            "Write log segment index that TSDB is currently writing to.",
            wal_segment.unwrap_or(0) as f64,
        ),
        gauge(
            "prometheus_tsdb_head_chunks_storage_size_bytes",
            "Size of the chunks_head directory.",
            chunk_bytes as f64,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use vigil_model::Labels;
    use vigil_tsdb::db::DbOptions;

    use super::*;
    use crate::selfmetrics::value_of;

    #[test]
    fn derived_from_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let opts = DbOptions {
            retention_size: 1 << 30,
            ..DbOptions::with_retention(15 * 86_400_000)
        };
        let (db, _) = Db::open(dir.path(), opts).unwrap();
        let fams = families(&db);
        assert_eq!(value_of(&fams, "prometheus_tsdb_head_chunks"), Some(0.0));
        assert_eq!(
            value_of(&fams, "prometheus_tsdb_head_min_time_seconds"),
            Some((i64::MAX / 1000) as f64)
        );
        let mut app = db.head().appender();
        let a = Labels::from_pairs(&[("__name__", "a")]);
        let b = Labels::from_pairs(&[("__name__", "b")]);
        for t in [1_000, 2_000, 3_500] {
            app.append(&a, t, 1.0).unwrap();
            app.append(&b, t, 1.0).unwrap();
        }
        app.commit().unwrap();
        let fams = families(&db);
        let v = |n: &str| value_of(&fams, n);
        // One open chunk per series.
        assert_eq!(v("prometheus_tsdb_head_chunks"), Some(2.0));
        assert_eq!(v("prometheus_tsdb_head_min_time_seconds"), Some(1.0));
        assert_eq!(v("prometheus_tsdb_head_max_time_seconds"), Some(3.0));
        assert_eq!(v("prometheus_tsdb_lowest_timestamp"), Some(1000.0));
        assert_eq!(v("prometheus_tsdb_lowest_timestamp_seconds"), Some(1.0));
        assert_eq!(
            v("prometheus_tsdb_retention_limit_bytes"),
            Some(f64::from(1u32 << 30))
        );
        assert_eq!(
            v("prometheus_tsdb_retention_limit_seconds"),
            Some(15.0 * 86_400.0)
        );
        assert!(v("prometheus_tsdb_wal_storage_size_bytes").unwrap() > 0.0);
        assert_eq!(v("prometheus_tsdb_wal_segment_current"), Some(0.0));
    }
}
