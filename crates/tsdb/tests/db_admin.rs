//! The admin operations: deleting series data across blocks and head
//! (surviving a restart, and honoured by Debian's `promtool tsdb dump`),
//! `clean_tombstones` rewriting blocks without the deleted data, and
//! snapshots that open as a database of their own.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{have, parse_dump};
use vigil_model::{Labels, MatchType, Matcher};
use vigil_tsdb::db::{Db, DbOptions};

const H: i64 = 3600 * 1000;
type Data = BTreeMap<String, Vec<(i64, f64)>>;

fn labels(i: usize) -> Labels {
    Labels::from_pairs(&[("__name__", "m"), ("i", &format!("{i:02}"))])
}

/// Six hours of 20 series: head compaction leaves two 2 h blocks and two
/// hours in the head.
fn fill(db: &Db) -> Data {
    let mut want = Data::new();
    for k in 0..(6 * 120) {
        let t = k * 30_000;
        let mut app = db.head().appender();
        for i in 0..20 {
            let v = (i * 1000 + k as usize) as f64;
            app.append(&labels(i), t, v).unwrap();
            want.entry(format!("{}", labels(i)))
                .or_default()
                .push((t, v));
        }
        app.commit().unwrap();
    }
    db.compact_head().unwrap();
    assert_eq!(db.blocks().len(), 2);
    want
}

fn all(db: &Db) -> Data {
    let m = Matcher::new(MatchType::Equal, "__name__", "m").unwrap();
    db.select(i64::MIN, i64::MAX, &[m])
        .unwrap()
        .into_iter()
        .map(|(l, s)| (format!("{l}"), s))
        .collect()
}

/// `want` without the samples of series `i` in `mint..=maxt`.
fn without(want: &Data, i: usize, mint: i64, maxt: i64) -> Data {
    let mut out = want.clone();
    if let Some(s) = out.get_mut(&format!("{}", labels(i))) {
        s.retain(|p| p.0 < mint || p.0 > maxt);
    }
    out
}

#[test]
fn delete_hides_data_in_blocks_and_head_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let want = {
        let (db, _) = Db::open(dir.path(), DbOptions::default()).unwrap();
        let all_data = fill(&db);
        // Series 3 from 1 h to 4.5 h: part of each block and of the head.
        let m = Matcher::new(MatchType::Equal, "i", "03").unwrap();
        db.delete(H, 4 * H + H / 2, &[m]).unwrap();
        let want = without(&all_data, 3, H, 4 * H + H / 2);
        assert_eq!(all(&db), want);
        want
    };
    let (db, _) = Db::open(dir.path(), DbOptions::default()).unwrap();
    assert_eq!(all(&db), want, "after a restart");

    if have("promtool") {
        let out = Command::new("promtool")
            .args(["tsdb", "dump"])
            .arg(dir.path())
            .output()
            .unwrap();
        drop(db);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Data = parse_dump(&String::from_utf8_lossy(&out.stdout))
            .into_iter()
            .collect();
        assert_eq!(got, want, "promtool's view");
    }
}

#[test]
fn clean_tombstones_rewrites_blocks_without_deleted_data() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = Db::open(dir.path(), DbOptions::default()).unwrap();
    let all_data = fill(&db);
    let before: Vec<String> = db.blocks().iter().map(|b| b.meta().ulid.clone()).collect();
    let m = Matcher::new(MatchType::Equal, "i", "07").unwrap();
    db.delete(0, H, &[m]).unwrap();
    let want = without(&all_data, 7, 0, H);
    assert_eq!(db.clean_tombstones().unwrap(), 1);
    assert_eq!(all(&db), want);
    let blocks = db.blocks();
    assert_eq!(blocks.len(), 2);
    assert!(blocks.iter().all(|b| b.tombstones().is_empty()));
    assert!(!blocks.iter().any(|b| b.meta().ulid == before[0]));
    assert!(!dir.path().join(&before[0]).exists(), "old block deleted");
    assert_eq!(db.clean_tombstones().unwrap(), 0);
}

#[test]
fn snapshot_with_head_opens_as_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let snap = tempfile::tempdir().unwrap();
    let (db, _) = Db::open(dir.path(), DbOptions::default()).unwrap();
    let want = fill(&db);
    let ulids = db.snapshot(&snap.path().join("s"), true).unwrap();
    assert_eq!(ulids.len(), 3, "two blocks and the head");
    // The original keeps working while the snapshot exists.
    let m = Matcher::new(MatchType::Equal, "i", "01").unwrap();
    db.delete(0, 10 * H, &[m]).unwrap();
    drop(db);
    let (copy, _) = Db::open(&snap.path().join("s"), DbOptions::default()).unwrap();
    assert_eq!(all(&copy), want);
}
