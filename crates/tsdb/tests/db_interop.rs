//! `Db` over blocks Debian's promtool wrote: 3 h of 100 series become two
//! 2 h blocks (`promtool tsdb create-blocks-from openmetrics`); `Db` opens
//! them, leveled compaction merges them into one 6 h-range block, and both
//! `promtool tsdb dump` of the data directory and `Db::select` give exactly
//! the input samples.

mod common;

use std::process::Command;

use common::{Series, assert_same, generate, have, parse_dump, promtool_create_blocks};
use vigil_model::{Labels, MatchType, Matcher};
use vigil_tsdb::block::{BlockWriter, encoded_xor, xor_chunks};
use vigil_tsdb::db::{Db, DbOptions};

const H: i64 = 3600 * 1000;

/// `generate(n)` moved so its 3 h start one minute into a 6 h range: the two
/// 2 h blocks promtool cuts then share one range of the next level.
fn input(n: i64) -> (Series, i64) {
    let raw = generate(n);
    let first = raw
        .values()
        .filter_map(|s| s.first().map(|p| p.0))
        .min()
        .unwrap();
    let start = (first / (6 * H) + 1) * (6 * H);
    let shift = start + 60_000 - first;
    let shift = shift - shift % 1000;
    let moved = raw
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().map(|(t, x)| (t + shift, x)).collect()))
        .collect();
    (moved, start)
}

/// A one-series block `marker` over [mint, mint + 1000).
fn marker(dir: &std::path::Path, mint: i64) {
    let mut w = BlockWriter::new(dir).unwrap();
    let l = Labels::from_pairs(&[("__name__", "marker")]);
    w.add_series(l, &encoded_xor(&xor_chunks(&[(mint, 1.0)]).unwrap()))
        .unwrap();
    w.finish(mint, mint + 1000).unwrap();
}

fn only_m(s: Series) -> Series {
    s.into_iter()
        .filter(|(k, _)| k.starts_with("{__name__=\"m_total\""))
        .collect()
}

#[test]
fn db_compacts_promtool_blocks() {
    if !have("promtool") {
        return;
    }
    let (want, start) = input(100);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    promtool_create_blocks(tmp.path(), &want, &dir);
    // Two newer blocks, so the promtool blocks lie before the newest one.
    marker(&dir, start + 6 * H);
    marker(&dir, start + 7 * H);

    let opts = DbOptions {
        retention_time: 0,
        retention_size: 0,
        block_ranges: vec![2 * H, 6 * H],
        head: Default::default(),
    };
    let (db, _) = Db::open(&dir, opts).unwrap();
    let before = db.blocks();
    assert_eq!(before.len(), 4);
    let parents: Vec<String> = before[..2].iter().map(|b| b.meta().ulid.clone()).collect();
    drop(before);

    let m = [Matcher::new(MatchType::Equal, "__name__", "m_total").unwrap()];
    let to_series = |v: Vec<(Labels, Vec<(i64, f64)>)>| -> Series {
        v.into_iter().map(|(l, s)| (l.to_string(), s)).collect()
    };
    assert_same(
        &to_series(db.select(i64::MIN, i64::MAX, &m).unwrap()),
        &want,
    );

    let out = db.compact().unwrap();
    assert_eq!(out.len(), 1, "{out:?}");
    let c = &out[0];
    assert_eq!(c.compaction.level, 2);
    let mut got_parents: Vec<String> = c
        .compaction
        .parents
        .iter()
        .map(|p| p.ulid.clone())
        .collect();
    got_parents.sort();
    assert_eq!(got_parents, parents);
    assert_eq!(c.stats.num_series, 100);
    assert_eq!(c.stats.num_samples, 100 * 720);
    assert_eq!(db.blocks().len(), 3);
    for p in &parents {
        assert!(!dir.join(p).exists(), "parent {p} left behind");
    }
    assert_same(
        &to_series(db.select(i64::MIN, i64::MAX, &m).unwrap()),
        &want,
    );
    drop(db);

    let out = Command::new("promtool")
        .args(["tsdb", "dump"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool tsdb dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same(
        &only_m(parse_dump(&String::from_utf8_lossy(&out.stdout))),
        &want,
    );
}
