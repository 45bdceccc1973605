//! The self-metrics count what happened, under Prometheus' names.

use vigil_model::Labels;
use vigil_tsdb::db::{Db, DbOptions};
use vigil_tsdb::metrics::{Metric, MetricKind};

fn value(ms: &[Metric], name: &str, label: Option<(&str, &str)>) -> f64 {
    ms.iter()
        .find(|m| m.name == name && label.is_none_or(|l| m.labels.contains(&l)))
        .unwrap_or_else(|| panic!("no {name}"))
        .value
}

#[test]
fn metrics_follow_appends_rejections_and_compactions() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = Db::open(dir.path(), DbOptions::default()).unwrap();
    for k in 0..(4 * 120) {
        let mut app = db.head().appender();
        for i in 0..3 {
            let l = Labels::from_pairs(&[("__name__", "m"), ("i", &i.to_string())]);
            app.append(&l, k * 30_000, 1.0).unwrap();
        }
        app.commit().unwrap();
    }
    let mut app = db.head().appender();
    let l = Labels::from_pairs(&[("__name__", "m"), ("i", "0")]);
    assert!(app.append(&l, (4 * 120 - 2) * 30_000, 2.0).is_err());
    assert!(app.append(&l, 0, 2.0).is_err());
    drop(app);
    let ms = db.metrics();
    assert_eq!(value(&ms, "prometheus_tsdb_head_series", None), 3.0);
    assert_eq!(
        value(&ms, "prometheus_tsdb_head_series_created_total", None),
        3.0
    );
    assert_eq!(
        value(
            &ms,
            "prometheus_tsdb_head_samples_appended_total",
            Some(("type", "float"))
        ),
        1440.0
    );
    assert_eq!(
        value(&ms, "prometheus_tsdb_out_of_order_samples_total", None),
        1.0
    );
    assert_eq!(
        value(&ms, "prometheus_tsdb_out_of_bound_samples_total", None),
        1.0
    );
    db.compact().unwrap();
    let ms = db.metrics();
    assert!(value(&ms, "prometheus_tsdb_blocks_loaded", None) >= 1.0);
    assert!(value(&ms, "prometheus_tsdb_storage_blocks_bytes", None) > 0.0);
    assert!(value(&ms, "prometheus_tsdb_head_truncations_total", None) >= 1.0);
    assert!(
        ms.iter()
            .filter(|m| m.name.ends_with("_total"))
            .all(|m| m.kind == MetricKind::Counter)
    );
}
