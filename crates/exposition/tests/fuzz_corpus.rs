//! Replays the `cargo fuzz` corpora of the parser targets (`fuzz/corpus/*`)
//! so every input the fuzzer ever kept is checked on each CI run.

use std::path::Path;

use vigil_exposition::fuzzing::check_parser;
use vigil_exposition::openmetrics::OpenMetricsParser;
use vigil_exposition::protobuf::ProtobufParser;
use vigil_exposition::text::TextParser;

fn replay(target: &str, run: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("readable corpus entry").path();
        let data = std::fs::read(&path).expect("readable corpus file");
        run(&data);
        n += 1;
    }
    assert!(n > 0, "empty corpus in {}", dir.display());
    println!("replayed {n} {target} corpus inputs");
}

#[test]
fn text_corpus() {
    replay("text", |d| {
        check_parser(d, &mut TextParser::new(d));
    });
}

#[test]
fn openmetrics_corpus() {
    replay("openmetrics", |d| {
        check_parser(d, &mut OpenMetricsParser::new(d));
    });
}

#[test]
fn protobuf_corpus() {
    replay("protobuf", |d| {
        check_parser(d, &mut ProtobufParser::new(d));
    });
}
