//! Round trips for every format: parse → encode → parse gives the same
//! families. Inputs are upstream's exposition payloads
//! (`../shared/conformance/textparse/`) and every OpenMetrics conformance
//! case that must parse (`../shared/conformance/openmetrics/`).

use std::path::{Path, PathBuf};

use vigil_exposition::openmetrics::OpenMetricsParser;
use vigil_exposition::protobuf::ProtobufParser;
use vigil_exposition::text::TextParser;
use vigil_exposition::{MetricFamily, collect, encode};

fn conformance() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    match p.canonicalize() {
        Ok(p) => Some(p),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "conformance data missing at {}",
                p.display()
            );
            println!("skipped: conformance data missing");
            None
        }
    }
}

/// A canonical form where NaN equals NaN (Debug prints every NaN alike).
fn canon(f: &[MetricFamily]) -> String {
    format!("{f:#?}")
}

fn parse_text(b: &[u8]) -> Vec<MetricFamily> {
    collect(&mut TextParser::new(b)).unwrap_or_else(|e| panic!("text parse: {e}"))
}

/// Strict for the conformance cases; lenient (as scraping is) for real
/// payloads, since client_golang's output breaks a cross-line rule.
fn parse_om(b: &[u8], strict: bool) -> Result<Vec<MetricFamily>, vigil_exposition::ParseError> {
    if strict {
        collect(&mut OpenMetricsParser::new(b))
    } else {
        collect(&mut OpenMetricsParser::lenient(b))
    }
}

fn parse_pb(b: &[u8]) -> Vec<MetricFamily> {
    collect(&mut ProtobufParser::new(b)).unwrap_or_else(|e| panic!("protobuf parse: {e}"))
}

fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    v.sort();
    v
}

#[test]
fn text_round_trip() {
    let Some(c) = conformance() else { return };
    for path in files(&c.join("textparse"), ".prom.txt") {
        let body = std::fs::read(&path).unwrap();
        let first = parse_text(&body);
        let mut out = Vec::new();
        encode::text::write(&mut out, &first);
        let second = parse_text(&out);
        assert_eq!(canon(&first), canon(&second), "{}", path.display());
        assert!(!first.is_empty());
    }
}

#[test]
fn openmetrics_round_trip() {
    let Some(c) = conformance() else { return };
    let mut inputs: Vec<(String, Vec<u8>, bool)> = files(&c.join("textparse"), ".om.txt")
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap(), false))
        .collect();
    for case in std::fs::read_dir(c.join("openmetrics")).unwrap() {
        let dir = case.unwrap().path();
        let meta = std::fs::read_to_string(dir.join("test.json")).unwrap();
        let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
        if meta["shouldParse"] == serde_json::Value::Bool(true) {
            let file = meta["file"].as_str().unwrap_or("metrics");
            inputs.push((
                dir.display().to_string(),
                std::fs::read(dir.join(file)).unwrap(),
                true,
            ));
        }
    }
    inputs.sort();
    let mut n = 0;
    for (name, body, strict) in &inputs {
        let first = parse_om(body, *strict).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut out = Vec::new();
        encode::openmetrics::write(&mut out, &first);
        let second = parse_om(&out, *strict).unwrap_or_else(|e| {
            panic!(
                "{name}: re-encoded body does not parse: {e}\n{}",
                String::from_utf8_lossy(&out)
            )
        });
        assert_eq!(canon(&first), canon(&second), "{name}");
        n += 1;
    }
    println!("{n} OpenMetrics bodies round-tripped");
    assert!(
        n >= 40,
        "expected every shouldParse case and payload, got {n}"
    );
}

#[test]
fn protobuf_round_trip() {
    let Some(c) = conformance() else { return };
    // Protobuf bodies come from the text payloads; once in protobuf form,
    // decoding and re-encoding must be a fixed point.
    for path in files(&c.join("textparse"), ".prom.txt") {
        let fams = parse_text(&std::fs::read(&path).unwrap());
        let mut pb = Vec::new();
        encode::protobuf::write(&mut pb, &fams);
        let first = parse_pb(&pb);
        let mut again = Vec::new();
        encode::protobuf::write(&mut again, &first);
        let second = parse_pb(&again);
        assert_eq!(canon(&first), canon(&second), "{}", path.display());
        assert_eq!(first.len(), fams.len(), "{}: family count", path.display());
    }
}
