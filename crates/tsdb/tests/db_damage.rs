//! Damaged block files never make `Db` panic: opening, selecting, listing
//! labels and compacting either work or return an error.

use std::path::Path;

use vigil_model::{Labels, MatchType, Matcher};
use vigil_tsdb::block::{Block, BlockWriter, encoded_xor, xor_chunks};
use vigil_tsdb::db::{Db, DbError, DbOptions};

fn write_block(dir: &Path) -> String {
    let mut w = BlockWriter::new(dir).unwrap();
    let mut series: Vec<Labels> = (0..20)
        .map(|i| Labels::from_pairs(&[("__name__", "m"), ("i", &format!("{i:02}"))]))
        .collect();
    series.sort();
    for (k, l) in series.into_iter().enumerate() {
        let samples: Vec<(i64, f64)> = (0..300).map(|t| (t * 10, (t * k as i64) as f64)).collect();
        w.add_series(l, &encoded_xor(&xor_chunks(&samples).unwrap()))
            .unwrap();
    }
    w.finish(0, 3000).unwrap().ulid
}

fn opts() -> DbOptions {
    DbOptions {
        retention_time: 0,
        retention_size: 0,
        block_ranges: vec![1000, 3000],
        head: Default::default(),
    }
}

fn exercise(dir: &Path) -> Result<(), DbError> {
    let (db, _) = Db::open(dir, opts())?;
    let all = [Matcher::new(MatchType::Regexp, "i", ".+").unwrap()];
    db.select(i64::MIN, i64::MAX, &all)?;
    db.label_names(0, 3000, &all, 0)?;
    db.label_values("i", 0, 3000, &[], 0)?;
    let blocks = db.blocks();
    let refs: Vec<&Block> = blocks.iter().map(|b| b.as_ref()).collect();
    vigil_tsdb::compact::compact(dir, &refs)?;
    Ok(())
}

#[test]
fn flipped_bytes_give_errors_not_panics() {
    let src = tempfile::tempdir().unwrap();
    let ulid = write_block(src.path());
    let files = ["index", "chunks/000001", "tombstones", "meta.json"];
    let originals: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(src.path().join(&ulid).join(f)).unwrap())
        .collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut errors = 0;
    for round in 0..120 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let which = (x % files.len() as u64) as usize;
        let data = &originals[which];
        let pos = ((x >> 8) % data.len() as u64) as usize;
        let dir = tempfile::tempdir().unwrap();
        let bdir = dir.path().join(&ulid);
        std::fs::create_dir_all(bdir.join("chunks")).unwrap();
        for (f, b) in files.iter().zip(&originals) {
            std::fs::write(bdir.join(f), b).unwrap();
        }
        let mut damaged = data.clone();
        damaged[pos] ^= 1 << (round % 8);
        std::fs::write(bdir.join(files[which]), &damaged).unwrap();
        if exercise(dir.path()).is_err() {
            errors += 1;
        }
    }
    assert!(errors > 0, "some damage must be detected");
}

#[test]
fn damaged_chunk_is_an_error_naming_the_block() {
    let dir = tempfile::tempdir().unwrap();
    let ulid = write_block(dir.path());
    let p = dir.path().join(&ulid).join("chunks/000001");
    let mut b = std::fs::read(&p).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0xff;
    std::fs::write(&p, b).unwrap();
    let (db, _) = Db::open(dir.path(), opts()).unwrap();
    let all = [Matcher::new(MatchType::Regexp, "i", ".+").unwrap()];
    let e = db.select(0, 3000, &all).unwrap_err().to_string();
    assert!(e.contains(&ulid), "{e}");
}
