//! Unit tests of family building, run on a scripted parser so they do not
//! depend on the text parser's own behaviour.

use vigil_model::{Exemplar, FloatHistogram, Histogram};

use super::*;

/// One scripted entry; series are `(labels including __name__, value)`.
#[derive(Debug, Clone)]
enum E {
    Type(&'static str, MetricType),
    Help(&'static str, &'static str),
    Comment,
    Series(Vec<(&'static str, &'static str)>, f64),
}

#[derive(Debug)]
struct Script {
    entries: Vec<E>,
    pos: usize,
}

impl Script {
    fn current(&self) -> Option<&E> {
        self.pos.checked_sub(1).and_then(|i| self.entries.get(i))
    }
}

impl Parser for Script {
    fn next(&mut self) -> Result<Option<Entry>, ParseError> {
        self.pos += 1;
        Ok(self.current().map(|e| match e {
            E::Type(..) => Entry::Type,
            E::Help(..) => Entry::Help,
            E::Comment => Entry::Comment,
            E::Series(..) => Entry::Series,
        }))
    }
    fn series(&self) -> (&[u8], Option<i64>, f64) {
        match self.current() {
            Some(E::Series(_, v)) => (b"", None, *v),
            _ => (b"", None, 0.0),
        }
    }
    fn histogram(
        &self,
    ) -> (
        &[u8],
        Option<i64>,
        Option<&Histogram>,
        Option<&FloatHistogram>,
    ) {
        (b"", None, None, None)
    }
    fn help(&self) -> (&str, &str) {
        match self.current() {
            Some(E::Help(n, h)) => (n, h),
            _ => ("", ""),
        }
    }
    fn metric_type(&self) -> (&str, MetricType) {
        match self.current() {
            Some(E::Type(n, t)) => (n, *t),
            _ => ("", MetricType::Unknown),
        }
    }
    fn unit(&self) -> (&str, &str) {
        ("", "")
    }
    fn labels(&self, builder: &mut LabelsBuilder) {
        builder.reset();
        if let Some(E::Series(labels, _)) = self.current() {
            for (n, v) in labels {
                builder.push(n, v);
            }
        }
    }
    fn exemplar(&mut self, _: &mut Exemplar) -> bool {
        false
    }
}

fn build(entries: Vec<E>) -> Result<Vec<LintFamily>, CheckMetricsError> {
    // One line per entry, so error lines are entry numbers.
    let body = "x\n".repeat(entries.len());
    families(
        &mut Script { entries, pos: 0 },
        body.as_bytes(),
        ValidationScheme::Legacy,
    )
}

fn s(name: &'static str, labels: &[(&'static str, &'static str)], v: f64) -> E {
    let mut all = vec![("__name__", name)];
    all.extend_from_slice(labels);
    E::Series(all, v)
}

fn err_at(entries: Vec<E>) -> (usize, String) {
    match build(entries) {
        Err(CheckMetricsError::Parse(e)) => match e.position {
            vigil_exposition::Position::LineColumn { line, .. } => (line, e.message),
            other => panic!("unexpected position {other:?}"),
        },
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn histogram_lines_merge_into_metrics() {
    let fams = build(vec![
        E::Help("h", "latency"),
        E::Type("h", MetricType::Histogram),
        s("h_bucket", &[("le", "0.1"), ("path", "/")], 1.0),
        s("h_bucket", &[("le", "+Inf"), ("path", "/")], 2.0),
        s("h_sum", &[("path", "/")], 0.3),
        s("h_count", &[("path", "/")], 2.0),
        s("h_bucket", &[("le", "+Inf"), ("path", "/x")], 1.0),
    ])
    .unwrap();
    assert_eq!(fams.len(), 1);
    let f = &fams[0];
    assert_eq!(
        (f.name.as_str(), f.kind, f.help.as_deref()),
        ("h", MetricType::Histogram, Some("latency"))
    );
    assert_eq!(f.metrics.len(), 2);
    assert_eq!(f.metrics[0].labels, [("path".to_string(), "/".to_string())]);
    assert_eq!(f.metrics[0].buckets, 2);
    let report = cardinality(&fams);
    assert_eq!(report.total, 8);
}

#[test]
fn summary_quantiles_and_suffix_families() {
    let fams = build(vec![
        E::Type("s", MetricType::Summary),
        s("s", &[("quantile", "0.5")], 1.0),
        s("s", &[("quantile", "0.9")], 1.0),
        s("s_sum", &[], 1.0),
        s("s_count", &[], 1.0),
        // Not a summary suffix: a family of its own.
        s("s_bucket", &[], 1.0),
        E::Type("c", MetricType::Counter),
        // A counter's `_total` line is a separate, untyped family here.
        s("c_total", &[], 1.0),
    ])
    .unwrap();
    let names: Vec<_> = fams.iter().map(|f| (f.name.as_str(), f.kind)).collect();
    assert_eq!(
        names,
        [
            ("s", MetricType::Summary),
            ("s_bucket", MetricType::Unknown),
            ("c_total", MetricType::Unknown)
        ]
    );
    assert_eq!(fams[0].metrics.len(), 1);
    assert_eq!(fams[0].metrics[0].quantiles, 2);
}

#[test]
fn samples_of_one_name_join_across_the_body() {
    let fams = build(vec![
        s("a", &[("x", "1")], 1.0),
        s("b", &[], 1.0),
        s("a", &[("x", "1")], 2.0),
        E::Comment,
    ])
    .unwrap();
    assert_eq!(fams.len(), 2);
    assert_eq!(fams[0].metrics.len(), 2);
    let lines: Vec<String> = promlint::lint(&fams)
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(
        lines,
        ["a metric not unique", "a no help text", "b no help text"]
    );
}

#[test]
fn empty_help_is_no_help() {
    let fams = build(vec![E::Help("a", ""), s("a", &[], 1.0)]).unwrap();
    assert_eq!(fams[0].help, None);
}

#[test]
fn second_help_and_late_type_are_errors() {
    assert_eq!(
        err_at(vec![E::Help("a", "x"), E::Comment, E::Help("a", "y")]),
        (3, "second HELP line for metric name \"a\"".to_string())
    );
    assert_eq!(
        err_at(vec![s("a", &[], 1.0), E::Type("a", MetricType::Gauge)]),
        (
            2,
            "second TYPE line for metric name \"a\", or TYPE reported after samples".to_string()
        )
    );
    // `# HELP x_count` after summary x describes x.
    assert_eq!(
        err_at(vec![
            E::Type("x", MetricType::Summary),
            E::Help("x", "h"),
            E::Help("x_count", "h")
        ]),
        (3, "second HELP line for metric name \"x\"".to_string())
    );
}

#[test]
fn bad_bounds_and_names_are_errors() {
    assert_eq!(
        err_at(vec![
            E::Type("h", MetricType::Histogram),
            s("h_bucket", &[("le", "x")], 1.0)
        ]),
        (
            2,
            "expected float as value for 'le' label, got \"x\"".to_string()
        )
    );
    assert_eq!(
        err_at(vec![
            E::Type("q", MetricType::Summary),
            s("q", &[("quantile", "1_0")], 1.0)
        ]),
        (
            2,
            "expected float as value for 'quantile' label, got \"1_0\"".to_string()
        )
    );
    assert_eq!(
        err_at(vec![
            E::Type("h", MetricType::Histogram),
            s("h_count", &[], -1.5)
        ]),
        (2, "negative count for histogram \"h\"".to_string())
    );
    assert_eq!(
        err_at(vec![s("a.b", &[], 1.0)]),
        (1, "invalid metric name \"a.b\"".to_string())
    );
    assert_eq!(
        err_at(vec![s("a", &[("ü", "1")], 1.0)]),
        (1, "invalid label name \"ü\"".to_string())
    );
    // A `le` label on a gauge is only a lint problem.
    assert!(build(vec![s("g", &[("le", "x")], 1.0)]).is_ok());
}

#[test]
fn utf8_names_pass_without_lint() {
    let body = b"x\n";
    let mut p = Script {
        entries: vec![s("a.b", &[], 1.0)],
        pos: 0,
    };
    let opts = CheckMetricsOptions {
        lint: false,
        extended: true,
    };
    let report = check_with_parser(&mut p, body, opts).unwrap();
    let c = report.cardinality.unwrap();
    assert_eq!((c.total, c.stats[0].name.as_str()), (1, "a.b"));
    assert!(report.problems.is_empty());
    let none = CheckMetricsOptions {
        lint: false,
        extended: false,
    };
    assert_eq!(
        check_with_parser(&mut p, body, none),
        Err(CheckMetricsError::NothingToDo)
    );
}

#[test]
fn lines_skip_blank_lines() {
    let mut c = LineCursor::new(b"a\n\n  \t\nb\nc");
    let got: Vec<_> = (0..3)
        .map(|_| {
            let l = c.next_line();
            (l.number, l.text, l.terminated)
        })
        .collect();
    assert_eq!(
        got,
        [(1, &b"a"[..], true), (4, b"b", true), (5, b"c", false)]
    );
}

#[test]
fn go_float_syntax() {
    assert_eq!(parse_go_float("+Inf"), Some(f64::INFINITY));
    assert_eq!(parse_go_float("-inf"), Some(f64::NEG_INFINITY));
    assert_eq!(parse_go_float("0.25"), Some(0.25));
    assert_eq!(parse_go_float("1e3"), Some(1000.0));
    assert!(parse_go_float("NaN").is_some_and(f64::is_nan));
    for bad in ["", "x", "1_0", "0x1p3", "+NaN", "1e400", "infin", "1.2.3"] {
        assert_eq!(parse_go_float(bad), None, "{bad}");
    }
}

#[test]
fn table_matches_promtool_layout() {
    let report = CardinalityReport {
        stats: vec![MetricStat {
            name: "go_info".into(),
            cardinality: 1,
            percentage: 1.0,
        }],
        total: 1,
    };
    assert_eq!(
        report.to_table(),
        "Metric     Cardinality    Percentage    \n\
         go_info    1              100.00%       \n\
         Total      1              100%          \n"
    );
}

#[test]
fn input_after_the_parser_stopped_is_an_error() {
    let mut p = Script {
        entries: vec![s("a", &[], 1.0)],
        pos: 0,
    };
    let err = families(&mut p, b"a 1\n\0b 1\n", ValidationScheme::Legacy);
    assert_eq!(
        err,
        Err(CheckMetricsError::Parse(ParseError::at(
            2,
            1,
            "unexpected NUL byte at the start of a line"
        )))
    );
}

/// Mutated expositions must give a report or an error, never a panic.
#[test]
fn mutations_never_panic() {
    let seed: &[u8] = b"# HELP h Latency \\\\ \\n.\n# TYPE h histogram\n\
        h_bucket{le=\"0.1\",path=\"/a\"} 1\nh_bucket{le=\"+Inf\",path=\"/a\"} 2 1700000000000\n\
        h_sum{path=\"/a\"} 0.3\nh_count{path=\"/a\"} 2\n# TYPE s summary\n\
        s{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\n{\"q.x\",\"l.y\"=\"v\\\"\"} 1\n\
        # comment\n\tc_total{a=\"\",b=\"x\\ny\"} NaN\n";
    let alphabet = b"{}\",=\\ \t\n#_:.0a1eE+-pxNI\x00\xff";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let options = [
        CheckMetricsOptions::default(),
        CheckMetricsOptions {
            lint: false,
            extended: true,
        },
    ];
    for _ in 0..3000 {
        let mut body = seed.to_vec();
        for _ in 0..1 + next() % 4 {
            let at = next() % body.len();
            match next() % 3 {
                0 => body[at] = alphabet[next() % alphabet.len()],
                1 => body.insert(at, alphabet[next() % alphabet.len()]),
                _ => {
                    body.remove(at);
                }
            }
        }
        for o in options {
            let _ = check(&body, o);
        }
    }
}
