//! The out-of-order window: older samples within it are accepted (and
//! older ones refused as too old), reads merge them in order, the
//! write-behind log brings them back after a restart, head compaction
//! persists them into blocks, and truncation drops the log's old segments.

use std::collections::BTreeMap;

use vigil_model::{Labels, MatchType, Matcher};
use vigil_tsdb::db::{Db, DbOptions};
use vigil_tsdb::head::{AppendError, HeadOptions};

const M: i64 = 60_000;

fn opts() -> DbOptions {
    DbOptions {
        head: HeadOptions {
            out_of_order_time_window: 30 * M,
            wal_segment_size: Some(32 * 1024),
            ..HeadOptions::default()
        },
        ..DbOptions::default()
    }
}

fn l(i: usize) -> Labels {
    Labels::from_pairs(&[("__name__", "m"), ("i", &i.to_string())])
}

fn all(db: &Db) -> BTreeMap<String, Vec<(i64, f64)>> {
    let m = Matcher::new(MatchType::Equal, "__name__", "m").unwrap();
    db.select(i64::MIN, i64::MAX, &[m])
        .unwrap()
        .into_iter()
        .map(|(l, s)| (l.to_string(), s))
        .collect()
}

#[test]
fn out_of_order_samples_within_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut want: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    {
        let (db, _) = Db::open(dir.path(), opts()).unwrap();
        // In order: every minute for 4 h, skipping odd minutes in the last
        // two hours; the odd minutes then arrive late, in reverse.
        for k in 0..240i64 {
            if k >= 120 && k % 2 == 1 {
                continue;
            }
            let mut app = db.head().appender();
            for i in 0..5 {
                app.append(&l(i), k * M, (i as i64 * 1000 + k) as f64)
                    .unwrap();
            }
            app.commit().unwrap();
        }
        let mut late = 0;
        let mut refused = 0;
        for k in (120..240i64).rev().filter(|k| k % 2 == 1) {
            let mut app = db.head().appender();
            for i in 0..5 {
                match app.append(&l(i), k * M, (i as i64 * 1000 + k) as f64) {
                    Ok(_) => late += 1,
                    Err(AppendError::TooOldSample { .. } | AppendError::OutOfBounds { .. }) => {
                        refused += 1
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            app.commit().unwrap();
        }
        // 239 m comes first and is in order; then 209..=237 are within 30
        // minutes of it (out of order), older ones are refused.
        assert_eq!(late, 5 * 16);
        assert_eq!(refused, 5 * 44);
        for i in 0..5 {
            let s = (0..240i64)
                .filter(|k| *k < 120 || k % 2 == 0 || *k >= 209)
                .map(|k| (k * M, (i as i64 * 1000 + k) as f64))
                .collect();
            want.insert(l(i).to_string(), s);
        }
        assert_eq!(all(&db), want);
        // The same late sample again is ignored; a duplicate time with
        // another value keeps the first.
        let mut app = db.head().appender();
        app.append(&l(0), 211 * M, -1.0).unwrap();
        app.commit().unwrap();
        assert_eq!(all(&db), want);
    }
    let (db, report) = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(report.ooo_samples, 75, "{report:?}");
    assert_eq!(all(&db), want);

    // Head compaction persists [0, 2h); out-of-order data later than that
    // stays in the head, and all of it reads the same.
    for k in 240..300i64 {
        let mut app = db.head().appender();
        for i in 0..5 {
            app.append(&l(i), k * M, (i as i64 * 1000 + k) as f64)
                .unwrap();
            want.get_mut(&l(i).to_string())
                .unwrap()
                .push((k * M, (i as i64 * 1000 + k) as f64));
        }
        app.commit().unwrap();
    }
    let written = db.compact_head().unwrap();
    assert!(!written.is_empty());
    assert_eq!(all(&db), want);
    drop(db);
    let (db, _) = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(all(&db), want);
}
