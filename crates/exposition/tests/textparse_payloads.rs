//! Real exposition payloads from Prometheus' `model/textparse/testdata`
//! (`../shared/conformance/textparse/`) must parse to the end, and grouping
//! them into families must give what the files hold.

use std::path::PathBuf;

use vigil_exposition::{MetricFamily, OpenMetricsParser, Parser, TextParser, collect};
use vigil_model::{LabelsBuilder, MetricType};

fn data_dir() -> Option<PathBuf> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/textparse");
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

fn read(dir: &std::path::Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Walks every entry, materialising labels and exemplars; returns the number of samples.
fn drain(p: &mut dyn Parser, name: &str) -> usize {
    let mut b = LabelsBuilder::new();
    let mut ex = vigil_model::Exemplar::default();
    let mut samples = 0;
    loop {
        match p.next() {
            Ok(Some(vigil_exposition::Entry::Series)) => {
                p.labels(&mut b);
                assert!(
                    b.build().metric_name().is_some(),
                    "{name}: sample without a name"
                );
                while p.exemplar(&mut ex) {}
                samples += 1;
            }
            Ok(Some(_)) => {}
            Ok(None) => return samples,
            Err(e) => panic!("{name}: {e}"),
        }
    }
}

/// Lines that hold a sample (not blank, not a comment).
fn sample_lines(body: &[u8]) -> usize {
    body.split(|&c| c == b'\n')
        .filter(|l| !l.is_empty() && !l.starts_with(b"#"))
        .count()
}

fn families_text(body: &[u8]) -> Vec<MetricFamily> {
    collect(&mut TextParser::new(body)).expect("collect")
}

#[test]
fn text_payloads_parse_and_group() {
    let Some(dir) = data_dir() else { return };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("read dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !name.ends_with(".prom.txt") {
            continue;
        }
        seen += 1;
        let body = read(&dir, &name);
        let samples = drain(&mut TextParser::new(&body), &name);
        assert_eq!(samples, sample_lines(&body), "{name}");
    }
    assert_eq!(seen, 2, "expected both .prom.txt payloads");

    let body = read(&dir, "alltypes.237mfs.prom.txt");
    let fams = families_text(&body);
    assert_eq!(fams.len(), 237);
    assert!(
        fams.iter()
            .all(|f| f.help.is_some() && !f.samples.is_empty())
    );
    let total: usize = fams.iter().map(|f| f.samples.len()).sum();
    assert_eq!(total, sample_lines(&body));
    let gc = fams
        .iter()
        .find(|f| f.name == "go_gc_duration_seconds")
        .expect("gc family");
    assert_eq!(gc.kind, MetricType::Summary);
    assert_eq!(gc.samples.len(), 7);
    assert_eq!(gc.samples[0].labels.get("quantile"), Some("0.0"));
    let hist = fams
        .iter()
        .filter(|f| f.kind == MetricType::Histogram)
        .count();
    assert!(hist > 0);

    // Without metadata every change of metric name opens an untyped family.
    let body = read(&dir, "alltypes.237mfs.nometa.prom.txt");
    let fams = families_text(&body);
    let mut names: Vec<&[u8]> = body
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty() && !l.starts_with(b"#"))
        .map(|l| {
            &l[..l
                .iter()
                .position(|&c| c == b'{' || c == b' ')
                .unwrap_or(l.len())]
        })
        .collect();
    names.dedup();
    assert_eq!(fams.len(), names.len());
    assert!(
        fams.iter()
            .all(|f| f.kind == MetricType::Unknown && f.help.is_none())
    );
    assert_eq!(
        fams.iter().map(|f| f.samples.len()).sum::<usize>(),
        sample_lines(&body)
    );
}

#[test]
fn openmetrics_payloads_parse_and_group() {
    let Some(dir) = data_dir() else { return };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("read dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !name.ends_with(".om.txt") {
            continue;
        }
        seen += 1;
        let body = read(&dir, &name);
        let samples = drain(&mut OpenMetricsParser::lenient(&body), &name);
        assert_eq!(samples, sample_lines(&body), "{name}");
    }
    assert_eq!(seen, 2, "expected both .om.txt payloads");

    // Fully valid OpenMetrics: the strict parser accepts it too.
    let body = read(&dir, "1histogram.om.txt");
    drain(&mut OpenMetricsParser::new(&body), "1histogram.om.txt");
    let fams = collect(&mut OpenMetricsParser::new(&body)).expect("collect");
    assert_eq!(fams.len(), 1);
    let h = &fams[0];
    assert_eq!(
        (h.name.as_str(), h.kind),
        ("golang_manual_histogram_seconds", MetricType::Histogram)
    );
    assert_eq!(h.samples.len(), sample_lines(&body));
    assert_eq!(h.samples[0].labels.get("le"), Some("0.005"));
    assert_eq!(h.samples[10].labels.get("le"), Some("10.0"));

    let body = read(&dir, "alltypes.5mfs.om.txt");
    let fams = collect(&mut OpenMetricsParser::lenient(&body)).expect("collect");
    let kinds: Vec<(&str, MetricType)> = fams.iter().map(|f| (f.name.as_str(), f.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            ("go_build_info", MetricType::Gauge),
            ("promhttp_metric_handler_errors", MetricType::Counter),
            ("rpc_durations_histogram_seconds", MetricType::Histogram),
            ("rpc_durations_seconds", MetricType::Summary),
            ("rpc_requests", MetricType::Counter),
        ]
    );
    assert_eq!(
        fams.iter().map(|f| f.samples.len()).sum::<usize>(),
        sample_lines(&body)
    );
    let hist = &fams[2];
    let with_exemplars: Vec<_> = hist
        .samples
        .iter()
        .filter(|s| !s.exemplars.is_empty())
        .collect();
    assert_eq!(with_exemplars.len(), 6);
    let ex = &with_exemplars[0].exemplars[0];
    assert_eq!(ex.labels.get("dummyID"), Some("17783"));
    assert_eq!(ex.value, -0.0003825067330956884);
    assert_eq!(ex.timestamp, Some(1726839814223));

    // client_golang writes a (negative) `_sum` next to negative buckets,
    // which the specification forbids; that is what stops the strict parser.
    let err =
        collect(&mut OpenMetricsParser::new(&body)).expect_err("strict rejects the negative _sum");
    assert_eq!(
        err,
        vigil_exposition::ParseError::at(33, 1, "_sum samples must not be negative")
    );
}
