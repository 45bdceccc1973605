//! Replays the `promql` fuzz target's corpus (`fuzz/corpus/promql`) so every
//! query the fuzzer kept is checked on each CI run.

use std::path::Path;

#[test]
fn promql_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/promql");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/corpus/promql exists") {
        let data = std::fs::read(entry.expect("readable corpus entry").path())
            .expect("readable corpus file");
        vigil_promql::fuzzing::check_query(&data);
        n += 1;
    }
    assert!(n > 0, "empty corpus in {}", dir.display());
    println!("replayed {n} promql corpus inputs");
}
