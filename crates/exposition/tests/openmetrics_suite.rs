//! The OpenMetrics conformance suite (`prometheus/OpenMetrics`
//! `tests/testdata/parsers`, copied to `../shared/conformance/openmetrics/`):
//! the parser must accept exactly the cases marked `shouldParse: true`.

use std::path::{Path, PathBuf};

use vigil_exposition::{Entry, OpenMetricsParser, ParseError, Parser};
use vigil_model::{Exemplar, LabelsBuilder};

fn data_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/openmetrics");
    match dir.canonicalize() {
        Ok(d) => Some(d),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("conformance data missing at {}", dir.display())
        }
        Err(_) => {
            println!("skipped: conformance data missing");
            None
        }
    }
}

/// Runs the whole body through the parser, touching labels and exemplars of every sample.
fn run(body: &[u8]) -> Result<(), ParseError> {
    let mut p = OpenMetricsParser::new(body);
    let mut b = LabelsBuilder::new();
    let mut ex = Exemplar::default();
    while let Some(entry) = p.next()? {
        if entry == Entry::Series {
            p.labels(&mut b);
            let _ = b.build();
            let _ = p.series();
            while p.exemplar(&mut ex) {}
        }
    }
    Ok(())
}

#[test]
fn conformance_suite_agrees() {
    let Some(dir) = data_dir() else { return };
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read suite dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("test.json").is_file())
        .collect();
    cases.sort();
    let (mut agree, mut disagree) = (0, Vec::new());
    for case in &cases {
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("test.json")).expect("read test.json"))
                .expect("parse test.json");
        let should_parse = meta["shouldParse"].as_bool().expect("shouldParse");
        let file = meta["file"].as_str().unwrap_or("metrics");
        let body = std::fs::read(case.join(file)).expect("read metrics");
        let result = run(&body);
        // OM_SUITE_VERBOSE=1 shows why each rejected case was rejected.
        if std::env::var_os("OM_SUITE_VERBOSE").is_some() {
            if let Err(e) = &result {
                println!("{name}: {e}");
            }
        }
        if result.is_ok() == should_parse {
            agree += 1;
        } else {
            let detail = match &result {
                Ok(()) => "accepted".to_string(),
                Err(e) => format!("rejected: {e}"),
            };
            disagree.push(format!("{name} (shouldParse: {should_parse}, {detail})"));
        }
    }
    println!(
        "OpenMetrics suite: {agree} agree, {} disagree of {}",
        disagree.len(),
        cases.len()
    );
    for d in &disagree {
        println!("  disagree: {d}");
    }
    assert_eq!(cases.len(), 211, "expected 211 cases");
    assert!(
        disagree.is_empty(),
        "{} disagreements:\n{}",
        disagree.len(),
        disagree.join("\n")
    );
}
