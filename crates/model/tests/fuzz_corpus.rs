//! Replays the `cargo fuzz` corpus of the matcher target (`fuzz/corpus/matcher`)
//! so every input the fuzzer ever kept is checked on each CI run.

use std::path::Path;

#[test]
fn matcher_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/matcher");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/corpus/matcher exists") {
        let path = entry.expect("readable corpus entry").path();
        let data = std::fs::read(&path).expect("readable corpus file");
        vigil_model::fuzzing::check_regex_matcher(&data);
        n += 1;
    }
    assert!(n > 0, "empty corpus in {}", dir.display());
    println!("replayed {n} matcher corpus inputs");
}
