//! `Db`: opening a data directory, the querier over blocks and head, head
//! and leveled compaction, crash recovery of compaction, retention.

use std::path::Path;

use vigil_model::{Labels, MatchType, Matcher};
use vigil_tsdb::block::{
    BlockDesc, BlockMeta, BlockMetaCompaction, BlockWriter, encoded_xor, xor_chunks,
};
use vigil_tsdb::db::{Db, DbError, DbOptions};
use vigil_tsdb::head::AppendError;

type Samples = Vec<(i64, f64)>;

fn l(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs)
}

fn opts(ranges: &[i64]) -> DbOptions {
    DbOptions {
        retention_time: 0,
        retention_size: 0,
        block_ranges: ranges.to_vec(),
        head: Default::default(),
    }
}

/// Writes a level-1 block of `series` (label-sorted here) covering [mint, maxt).
fn block(dir: &Path, mut series: Vec<(Labels, Samples)>, mint: i64, maxt: i64) -> BlockMeta {
    series.sort_by(|a, b| a.0.cmp(&b.0));
    let mut w = BlockWriter::new(dir).unwrap();
    for (labels, samples) in series {
        w.add_series(labels, &encoded_xor(&xor_chunks(&samples).unwrap()))
            .unwrap();
    }
    w.finish(mint, maxt).unwrap()
}

fn samples(from: i64, to: i64, step: i64, v: f64) -> Samples {
    (from..to)
        .step_by(step as usize)
        .map(|t| (t, v + t as f64))
        .collect()
}

fn all() -> Vec<Matcher> {
    vec![Matcher::new(MatchType::Regexp, "__name__", ".+").unwrap()]
}

#[test]
fn open_locks_and_removes_leftovers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    std::fs::create_dir_all(dir.join("01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp-for-creation/chunks"))
        .unwrap();
    std::fs::create_dir_all(dir.join("01ARZ3NDEKTSV4RRFFQ69G5FAW.tmp-for-deletion")).unwrap();
    let (db, _) = Db::open(&dir, DbOptions::default()).unwrap();
    assert!(dir.join("lock").exists());
    assert!(dir.join("wal").is_dir());
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
    match Db::open(&dir, DbOptions::default()) {
        Err(DbError::Locked { path }) => assert_eq!(path, dir.join("lock")),
        other => panic!("expected a lock error, got {other:?}"),
    }
    drop(db);
    Db::open(&dir, DbOptions::default()).unwrap();
}

#[test]
fn options_follow_prometheus() {
    let day = 24 * 3600 * 1000;
    let o = DbOptions::with_retention(15 * day);
    let h = 3600 * 1000;
    assert_eq!(o.block_ranges, [2 * h, 6 * h, 18 * h]); // at most 10 % of 15 d
    let o = DbOptions::with_retention(3650 * day);
    assert_eq!(o.block_ranges.last(), Some(&(486 * h)));
    assert!(Db::open(tempfile::tempdir().unwrap().path(), opts(&[10, 5])).is_err());
}

#[test]
fn damaged_block_is_an_error_unless_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = vec![(l(&[("__name__", "a")]), samples(0, 100, 10, 0.0))];
    let bad = block(dir, s.clone(), 0, 100);
    std::fs::write(dir.join(&bad.ulid).join("index"), b"garbage").unwrap();
    match Db::open(dir, opts(&[100])) {
        Err(e @ DbError::Block { .. }) => {
            assert!(e.to_string().contains(&bad.ulid), "{e}")
        }
        other => panic!("expected a block error, got {other:?}"),
    }
    // A newer block naming it as a parent replaces it: it is deleted.
    let mut w = BlockWriter::new(dir).unwrap();
    w.add_series(s[0].0.clone(), &encoded_xor(&xor_chunks(&s[0].1).unwrap()))
        .unwrap();
    let compaction = BlockMetaCompaction {
        level: 2,
        sources: vec![bad.ulid.clone()],
        parents: vec![BlockDesc {
            ulid: bad.ulid.clone(),
            min_time: 0,
            max_time: 100,
        }],
        ..Default::default()
    };
    let good = w.finish_with(0, 100, compaction).unwrap();
    let (db, _) = Db::open(dir, opts(&[100])).unwrap();
    assert!(!dir.join(&bad.ulid).exists());
    let blocks = db.blocks();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].meta().ulid, good.ulid);
    assert_eq!(db.select(0, 1000, &all()).unwrap(), s);
}

#[test]
fn select_merges_overlapping_blocks_and_head() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let x = l(&[("__name__", "x"), ("job", "a")]);
    let y = l(&[("__name__", "y"), ("job", "b")]);
    let a = block(
        dir,
        vec![
            (x.clone(), samples(0, 1000, 10, 0.0)),
            (y.clone(), samples(0, 500, 50, 0.5)),
        ],
        0,
        1000,
    );
    let b = block(
        dir,
        vec![(x.clone(), samples(500, 1500, 10, 1e6))],
        500,
        1500,
    );
    let (db, _) = Db::open(dir, opts(&[1000])).unwrap();
    let ov = db.overlaps();
    assert_eq!(ov.len(), 1);
    assert_eq!((&ov[0].first, &ov[0].second), (&a.ulid, &b.ulid));
    let mut app = db.head().appender();
    for t in (1500..2000).step_by(10) {
        app.append(&x, t, t as f64).unwrap();
    }
    app.commit().unwrap();

    let got = db.select(0, 10_000, &all()).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, x);
    let ts: Vec<i64> = got[0].1.iter().map(|s| s.0).collect();
    assert_eq!(ts, (0..2000).step_by(10).collect::<Vec<_>>());
    // At equal timestamps the earlier block's sample is kept.
    assert_eq!(got[0].1[60], (600, 600.0));
    assert_eq!(got[1], (y.clone(), samples(0, 500, 50, 0.5)));

    let only_y = [Matcher::new(MatchType::Equal, "job", "b").unwrap()];
    assert_eq!(db.select(100, 200, &only_y).unwrap()[0].1.len(), 3);
    assert!(db.select(600, 700, &only_y).unwrap().is_empty());
    assert_eq!(
        db.label_names(0, 10_000, &[], 0).unwrap(),
        ["__name__", "job"]
    );
    assert_eq!(
        db.label_values("job", 0, 10_000, &[], 0).unwrap(),
        ["a", "b"]
    );
    assert_eq!(db.label_values("job", 0, 10_000, &[], 1).unwrap(), ["a"]);
    assert_eq!(
        db.label_values("__name__", 0, 10_000, &only_y, 0).unwrap(),
        ["y"]
    );
    // The head alone, after the blocks' range.
    let later = db.label_values("job", 1600, 1700, &[], 0).unwrap();
    assert_eq!(later, ["a"]);
}

#[test]
fn head_compaction_then_leveled_compaction() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let series: Vec<Labels> = (0..3)
        .map(|i| l(&[("__name__", "m"), ("i", &i.to_string())]))
        .collect();
    let want: Vec<(Labels, Samples)> = series
        .iter()
        .map(|s| (s.clone(), samples(0, 5500, 10, 0.25)))
        .collect();
    {
        let (db, _) = Db::open(dir, opts(&[1000, 3000])).unwrap();
        for t in (0..5500).step_by(10) {
            let mut app = db.head().appender();
            for s in &series {
                app.append(s, t, 0.25 + t as f64).unwrap();
            }
            app.commit().unwrap();
        }
        assert!(db.head_compactable());
        let written = db.compact_head().unwrap();
        let ranges: Vec<(i64, i64)> = written.iter().map(|m| (m.min_time, m.max_time)).collect();
        assert_eq!(
            ranges,
            [(0, 1000), (1000, 2000), (2000, 3000), (3000, 4000)]
        );
        assert!(!db.head_compactable());
        assert_eq!(db.head_min_time(), 4000);
        let mut app = db.head().appender();
        assert!(matches!(
            app.append(&series[0], 3999, 1.0),
            Err(AppendError::OutOfBounds { .. })
        ));
        assert_eq!(db.select(0, 6000, &all()).unwrap(), want);

        // [0,1000), [1000,2000) and [2000,3000) fill a 3000 range; the
        // newest block stays alone.
        let merged = db.compact().unwrap();
        assert_eq!(merged.len(), 1);
        let m = &merged[0];
        assert_eq!((m.min_time, m.max_time, m.compaction.level), (0, 3000, 2));
        assert_eq!(m.compaction.parents.len(), 3);
        let mut sources: Vec<String> = written[..3].iter().map(|w| w.ulid.clone()).collect();
        sources.sort();
        assert_eq!(m.compaction.sources, sources);
        assert!(!dir.join(&written[0].ulid).exists());
        assert!(!dir.join(&written[2].ulid).exists());
        assert!(dir.join(&written[3].ulid).exists());
        assert_eq!(db.blocks().len(), 2);
        assert_eq!(db.select(0, 6000, &all()).unwrap(), want);
    }
    // Reopened: blocks plus the replayed WAL give each sample once.
    let (db, _) = Db::open(dir, opts(&[1000, 3000])).unwrap();
    assert_eq!(db.blocks().len(), 2);
    assert_eq!(db.head_min_time(), 4000);
    assert_eq!(db.select(0, 6000, &all()).unwrap(), want);
}

#[test]
fn crash_after_compaction_before_deletion_is_finished_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let x = l(&[("__name__", "x")]);
    let a = block(dir, vec![(x.clone(), samples(0, 100, 10, 0.0))], 0, 100);
    let b = block(dir, vec![(x.clone(), samples(100, 200, 10, 0.0))], 100, 200);
    let (pa, pb) = (
        vigil_tsdb::block::Block::open(&dir.join(&a.ulid)).unwrap(),
        vigil_tsdb::block::Block::open(&dir.join(&b.ulid)).unwrap(),
    );
    // The "crash": the new block exists, its parents were not deleted.
    let new = vigil_tsdb::compact::compact(dir, &[&pa, &pb])
        .unwrap()
        .unwrap();
    drop((pa, pb));
    assert!(dir.join(&a.ulid).exists() && dir.join(&new.ulid).exists());
    let (db, _) = Db::open(dir, opts(&[100, 300])).unwrap();
    assert!(!dir.join(&a.ulid).exists() && !dir.join(&b.ulid).exists());
    let blocks = db.blocks();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].meta().ulid, new.ulid);
    assert_eq!(
        db.select(0, 1000, &all()).unwrap(),
        [(x, samples(0, 200, 10, 0.0))]
    );
}

#[test]
fn compaction_applies_tombstones_and_dedupes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let x = l(&[("__name__", "x")]);
    let y = l(&[("__name__", "y")]);
    let a = block(dir, vec![(x.clone(), samples(0, 2000, 1, 0.0))], 0, 2000);
    let b = block(
        dir,
        vec![
            (x.clone(), samples(1000, 3000, 1, 0.0)),
            (y.clone(), samples(0, 10, 1, 0.0)),
        ],
        0,
        3000,
    );
    // Delete x's [100, 199] in block a, and all of y in b.
    let ba = vigil_tsdb::block::Block::open(&dir.join(&a.ulid)).unwrap();
    let id = ba.index().all_postings().unwrap().ids().next().unwrap();
    let mut st = vigil_tsdb::block::Tombstones::new();
    st.insert(id, vec![(100, 199)]);
    vigil_tsdb::block::write_tombstones(&dir.join(&a.ulid), &st).unwrap();
    let bb = vigil_tsdb::block::Block::open(&dir.join(&b.ulid)).unwrap();
    let mut st = vigil_tsdb::block::Tombstones::new();
    for (i, id) in bb.index().all_postings().unwrap().ids().enumerate() {
        if i == 1 {
            st.insert(id, vec![(i64::MIN, i64::MAX)]);
        }
    }
    vigil_tsdb::block::write_tombstones(&dir.join(&b.ulid), &st).unwrap();
    drop((ba, bb));

    let (db, _) = Db::open(dir, opts(&[1000, 3000])).unwrap();
    assert_eq!(db.overlaps().len(), 1);
    let want: Samples = samples(0, 3000, 1, 0.0)
        .into_iter()
        .filter(|s| !(100..200).contains(&s.0))
        .collect();
    assert_eq!(
        db.select(0, 5000, &all()).unwrap(),
        [(x.clone(), want.clone())]
    );
    let out = db.compact().unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].stats.num_series, 1);
    assert_eq!(out[0].stats.num_samples, want.len() as u64);
    assert_eq!(out[0].stats.num_chunks, want.len().div_ceil(120) as u64);
    assert!(db.overlaps().is_empty());
    assert_eq!(db.blocks().len(), 1);
    assert_eq!(db.select(0, 5000, &all()).unwrap(), [(x, want)]);
}

#[test]
fn retention_by_time_and_size() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let x = l(&[("__name__", "x")]);
    let metas: Vec<BlockMeta> = (0..3)
        .map(|i| {
            let s = vec![(x.clone(), samples(i * 1000, i * 1000 + 1000, 100, 0.0))];
            block(dir, s, i * 1000, i * 1000 + 1000)
        })
        .collect();
    let mut o = opts(&[1000]);
    o.retention_time = 1500;
    {
        let (db, _) = Db::open(dir, o.clone()).unwrap();
        let left: Vec<String> = db.blocks().iter().map(|b| b.meta().ulid.clone()).collect();
        assert_eq!(left, [metas[1].ulid.clone(), metas[2].ulid.clone()]);
        assert!(!dir.join(&metas[0].ulid).exists());
    }
    o.retention_time = 0;
    o.retention_size = u64::MAX / 2;
    {
        let (db, _) = Db::open(dir, o.clone()).unwrap();
        assert_eq!(db.blocks().len(), 2);
    }
    // A limit below one block removes every block, as in Prometheus.
    o.retention_size = 1;
    let (db, _) = Db::open(dir, o).unwrap();
    assert!(db.blocks().is_empty());
    assert!(!dir.join(&metas[2].ulid).exists());
}

#[test]
fn failed_compaction_marks_blocks_and_is_not_retried() {
    use vigil_tsdb::block::EncodedChunk;
    use vigil_tsdb::chunkenc::Encoding;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let x = l(&[("__name__", "x")]);
    let a = block(dir, vec![(x.clone(), samples(0, 100, 10, 0.0))], 0, 100);
    // A damaged native-histogram chunk: compaction cannot decode it.
    let mut w = BlockWriter::new(dir).unwrap();
    let h = EncodedChunk {
        encoding: Encoding::Histogram,
        data: &[0, 1, 2, 3],
        mint: 100,
        maxt: 100,
        samples: 1,
    };
    w.add_series(x.clone(), &[h]).unwrap();
    let b = w.finish(100, 200).unwrap();
    block(dir, vec![(x.clone(), samples(200, 300, 10, 0.0))], 200, 300);
    block(dir, vec![(x.clone(), samples(300, 400, 10, 0.0))], 300, 400);
    let (db, _) = Db::open(dir, opts(&[100, 300])).unwrap();
    let e = db.compact().unwrap_err();
    assert!(matches!(e, DbError::Block { .. }), "{e}");
    assert!(e.to_string().contains("histogram chunk"), "{e}");
    for u in [&a.ulid, &b.ulid] {
        assert!(BlockMeta::read(&dir.join(u)).unwrap().compaction.failed);
    }
    assert!(
        db.blocks()
            .iter()
            .take(3)
            .all(|b| b.meta().compaction.failed)
    );
    // Not picked again; the blocks stay.
    assert!(db.compact().unwrap().is_empty());
    assert_eq!(db.blocks().len(), 4);
    // Leftover temporary block directories are gone.
    let tmp_left = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp")
        })
        .count();
    assert_eq!(tmp_left, 0);
}

/// Appends run while the head is compacted; every committed sample is
/// selected exactly once afterwards (a written range is already out of the
/// appendable window, so no commit can slip into a block being written).
#[test]
fn compaction_during_appends_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (db, _) = Db::open(tmp.path(), opts(&[1000, 3000])).unwrap();
    let series: Vec<Labels> = (0..5)
        .map(|i| l(&[("__name__", "m"), ("i", &i.to_string())]))
        .collect();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for t in 0..8000i64 {
                let mut app = db.head().appender();
                for l in &series {
                    app.append(l, t, t as f64).unwrap();
                }
                app.commit().unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let mut rounds = 0;
        while !done.load(std::sync::atomic::Ordering::Relaxed) && rounds < 10_000 {
            db.compact().unwrap();
            rounds += 1;
        }
    });
    db.compact().unwrap();
    assert!(db.blocks().len() >= 2);
    let got = db.select(0, 10_000, &all()).unwrap();
    assert_eq!(got.len(), 5);
    for (_, s) in got {
        assert_eq!(s, (0..8000).map(|t| (t, t as f64)).collect::<Vec<_>>());
    }
}
