//! Replays the corpora of the storage fuzz targets (`fuzz/corpus/tsdb_*`) so
//! every input the fuzzers kept is checked on each CI run.

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let data = std::fs::read(entry.expect("readable corpus entry").path())
            .expect("readable corpus file");
        check(&data);
        n += 1;
    }
    assert!(n > 0, "empty corpus in {}", dir.display());
    println!("replayed {n} {target} corpus inputs");
}

#[test]
fn wal_corpus() {
    replay("tsdb_wal", vigil_tsdb::fuzzing::check_wal);
}

#[test]
fn chunk_corpus() {
    replay("tsdb_chunk", vigil_tsdb::fuzzing::check_chunk);
}

#[test]
fn index_corpus() {
    replay("tsdb_index", vigil_tsdb::fuzzing::check_index);
}
