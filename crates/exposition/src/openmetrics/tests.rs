//! Unit tests of the OpenMetrics parser: entries and accessors, escapes,
//! UTF-8 names, exemplars, timestamps, error positions and the strict rules.

use vigil_model::{Exemplar, Labels, LabelsBuilder, MetricType};

use super::OpenMetricsParser;
use crate::error::ParseError;
use crate::parser::{Entry, Parser};

fn err(input: &str) -> ParseError {
    let mut p = OpenMetricsParser::new(input.as_bytes());
    let mut b = LabelsBuilder::new();
    loop {
        match p.next() {
            Ok(Some(Entry::Series)) => p.labels(&mut b),
            Ok(Some(_)) => {}
            Ok(None) => panic!("{input:?} parsed without error"),
            Err(e) => return e,
        }
    }
}

fn ok(input: &str) -> usize {
    let mut p = OpenMetricsParser::new(input.as_bytes());
    let mut n = 0;
    while p
        .next()
        .unwrap_or_else(|e| panic!("{input:?}: {e}"))
        .is_some()
    {
        n += 1;
    }
    n
}

#[test]
fn metadata_accessors() {
    let input = "# HELP \"my.metric\" some \\\"help\\\"\\nmore \\\\ \\t\n# TYPE \"my.metric\" counter\n# UNIT cc_seconds seconds\n# EOF\n";
    let mut p = OpenMetricsParser::new(input.as_bytes());
    assert_eq!(p.next(), Ok(Some(Entry::Help)));
    assert_eq!(p.help(), ("my.metric", "some \"help\"\nmore \\ \\t"));
    assert_eq!(p.next(), Ok(Some(Entry::Type)));
    assert_eq!(p.metric_type(), ("my.metric", MetricType::Counter));
    assert_eq!(p.next(), Ok(Some(Entry::Unit)));
    assert_eq!(p.unit(), ("cc_seconds", "seconds"));
    assert_eq!(p.next(), Ok(None));
    assert_eq!(p.next(), Ok(None));
}

#[test]
fn samples_labels_and_identity() {
    let input = "# TYPE h histogram\nh_bucket{a=\"x\\\\y\\\"z\\n\",le=\"1\"} 0 1.5\nh_bucket{a=\"x\\\\y\\\"z\\n\",le=\"+Inf\"} 2 1.5\nh_count{a=\"x\\\\y\\\"z\\n\"} 2 1.5\nh_sum{a=\"x\\\\y\\\"z\\n\"} 3 1.5\n# EOF";
    let mut p = OpenMetricsParser::new(input.as_bytes());
    let mut b = LabelsBuilder::new();
    assert_eq!(p.next(), Ok(Some(Entry::Type)));
    assert_eq!(p.next(), Ok(Some(Entry::Series)));
    assert_eq!(
        p.series(),
        (&br#"h_bucket{a="x\\y\"z\n",le="1"}"#[..], Some(1500), 0.0)
    );
    p.labels(&mut b);
    assert_eq!(
        b.build(),
        Labels::from_pairs(&[("__name__", "h_bucket"), ("a", "x\\y\"z\n"), ("le", "1.0")])
    );
    for _ in 0..3 {
        assert_eq!(p.next(), Ok(Some(Entry::Series)));
    }
    assert_eq!(p.created_timestamp(), None);
    assert_eq!(p.next(), Ok(None));
}

#[test]
fn utf8_quoted_names() {
    let input = "# TYPE \"my.gauge\" gauge\n{\"my.gauge\",\"my.label\"=\"ü\"} 1\n# EOF\n";
    let mut p = OpenMetricsParser::new(input.as_bytes());
    let mut b = LabelsBuilder::new();
    assert_eq!(p.next(), Ok(Some(Entry::Type)));
    assert_eq!(p.metric_type(), ("my.gauge", MetricType::Gauge));
    assert_eq!(p.next(), Ok(Some(Entry::Series)));
    p.labels(&mut b);
    assert_eq!(
        b.build(),
        Labels::from_pairs(&[("__name__", "my.gauge"), ("my.label", "ü")])
    );
    assert_eq!(p.next(), Ok(None));
}

#[test]
fn exemplars() {
    let input = "# TYPE a counter\na_total 3 # {trace_id=\"abc\",span=\"x\\\"y\"} 0.5 123.4567\na_total{b=\"c\"} 1 # {} NaN\n# EOF\n";
    let mut p = OpenMetricsParser::new(input.as_bytes());
    let mut ex = Exemplar::default();
    assert_eq!(p.next(), Ok(Some(Entry::Type)));
    assert!(!p.exemplar(&mut ex), "no exemplar on metadata");
    assert_eq!(p.next(), Ok(Some(Entry::Series)));
    assert_eq!(p.series(), (&b"a_total"[..], None, 3.0));
    assert!(p.exemplar(&mut ex));
    assert_eq!(
        ex.labels,
        Labels::from_pairs(&[("trace_id", "abc"), ("span", "x\"y")])
    );
    assert_eq!((ex.value, ex.timestamp), (0.5, Some(123456)));
    assert!(!p.exemplar(&mut ex), "only one exemplar per sample");
    assert_eq!(p.next(), Ok(Some(Entry::Series)));
    assert!(p.exemplar(&mut ex));
    assert!(ex.labels.is_empty() && ex.value.is_nan() && ex.timestamp.is_none());
    assert_eq!(p.next(), Ok(None));
}

#[test]
fn timestamps_are_float_seconds() {
    let ts = |t: &str| {
        let input = format!("a 1 {t}\n# EOF\n");
        let mut p = OpenMetricsParser::new(input.as_bytes());
        assert_eq!(p.next(), Ok(Some(Entry::Series)), "{t}");
        p.series().1
    };
    assert_eq!(ts("1"), Some(1000));
    assert_eq!(ts("000"), Some(0));
    assert_eq!(ts("1.5e3"), Some(1_500_000));
    assert_eq!(ts("-1.1"), Some(-1100));
    assert_eq!(ts("1.0009"), Some(1000));
    assert_eq!(ts("1234567890"), Some(1_234_567_890_000));
}

#[test]
fn error_positions() {
    assert_eq!(
        err("a 1\na{b=\"c\",,d=\"e\"} 1\n# EOF\n"),
        ParseError::at(2, 9, "expected label name, found \",\"")
    );
    assert_eq!(
        err("a 1\n"),
        ParseError::at(2, 1, "unexpected end of input, expected \"# EOF\"")
    );
    assert_eq!(
        err("a 1\n\n# EOF\n"),
        ParseError::at(2, 1, "blank lines are not allowed")
    );
    assert_eq!(
        err("# EOF\na 1\n"),
        ParseError::at(2, 1, "unexpected data after \"# EOF\"")
    );
    assert_eq!(
        err("a abc\n# EOF\n"),
        ParseError::at(1, 3, "invalid value \"abc\"")
    );
    assert_eq!(
        err("# TYPE a gauge\na 1\n# HELP a x\n# EOF\n"),
        ParseError::at(3, 1, "metadata for \"a\" after its samples")
    );
    assert_eq!(
        err("# TYPE a counter\na_total 1 # {x=\"y\"} 1 2 3\n# EOF\n"),
        ParseError::at(2, 24, "expected end of line, found \" 3\"")
    );
}

#[test]
fn invalid_utf8_and_carriage_returns() {
    let mut p = OpenMetricsParser::new(b"a{b=\"\xff\"} 1\n# EOF\n");
    assert!(
        p.next()
            .unwrap_err()
            .message
            .contains("invalid UTF-8 in label value")
    );
    assert_eq!(p.next(), Ok(None), "a failed parser yields nothing more");
    let mut p = OpenMetricsParser::new(b"# HELP a \xff\n# EOF\n");
    assert!(p.next().unwrap_err().message.contains("UTF-8"));
    let mut p = OpenMetricsParser::new(b"a 1\r\n# EOF\r\n");
    assert!(p.next().is_err());
    let mut p = OpenMetricsParser::new(b"a{b=\"x\ny\"} 1\n# EOF\n");
    assert!(p.next().is_err(), "raw line feed in a label value");
}

#[test]
fn strict_rules_and_lenient_mode() {
    let interleaved = "a 1\nb 1\na 2\n# EOF\n";
    assert!(err(interleaved).message.contains("clashes"));
    let mut p = OpenMetricsParser::lenient(interleaved.as_bytes());
    let mut n = 0;
    while p.next().expect("lenient accepts interleaving").is_some() {
        n += 1;
    }
    assert_eq!(n, 3);
    // Lenient still checks syntax and # EOF.
    assert!(OpenMetricsParser::lenient(b"a 1\n").next().is_ok());
    let mut p = OpenMetricsParser::lenient(b"a 1\n");
    let _ = p.next();
    assert!(p.next().is_err());
    assert!(
        OpenMetricsParser::lenient(b"a{b=\"c\",} 1\n# EOF\n")
            .next()
            .is_err()
    );

    assert_eq!(
        ok("# TYPE s stateset\ns{s=\"a\"} 1\ns{s=\"b\"} 0\n# EOF\n"),
        3
    );
    assert!(
        err("# TYPE s stateset\ns{s=\"a\"} 0.5\n# EOF\n")
            .message
            .contains("0 or 1")
    );
    assert_eq!(ok("# TYPE i info\ni_info{v=\"1\"} 1\n# EOF\n"), 2);
    assert!(
        err("# TYPE g gauge\ng 1 # {a=\"b\"} 1\n# EOF\n")
            .message
            .contains("exemplars")
    );
    assert!(
        err("# TYPE h histogram\nh_bucket{le=\"1\"} 1.5\nh_bucket{le=\"+Inf\"} 2\n# EOF\n")
            .message
            .contains("integer")
    );
    assert!(
        err("# TYPE s summary\ns{quantile=\"1.5\"} 1\n# EOF\n")
            .message
            .contains("quantile")
    );
    assert!(
        err("# TYPE a counter\n# TYPE a_total gauge\n# EOF\n")
            .message
            .contains("clashes")
    );
    assert!(
        err("# UNIT a_seconds bytes\n# EOF\n")
            .message
            .contains("not a suffix")
    );
    assert_eq!(
        ok("# TYPE g gauge\ng{a=\"1\"} 1 0\ng{a=\"1\"} 2 0\ng{a=\"2\"} 1\n# EOF\n"),
        4
    );
    assert!(
        err("a{b=\"1\",b=\"2\"} 1\n# EOF\n")
            .message
            .contains("duplicate label name")
    );
    assert!(
        err("# TYPE a counter\na_total 1 # {x=\"1\",x=\"2\"} 1\n# EOF\n")
            .message
            .contains("duplicate")
    );
}

#[test]
fn families_from_openmetrics() {
    let input = "# TYPE a counter\n# HELP a help\na_total 1\na_created 2\n# TYPE b gauge\nb 1\nc 1\n# EOF\n";
    let fams =
        crate::family::collect(&mut OpenMetricsParser::new(input.as_bytes())).expect("collect");
    let names: Vec<(&str, MetricType, usize)> = fams
        .iter()
        .map(|f| (f.name.as_str(), f.kind, f.samples.len()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("a", MetricType::Counter, 2),
            ("b", MetricType::Gauge, 1),
            ("c", MetricType::Unknown, 1)
        ]
    );
}

#[test]
fn never_panics_on_truncations_and_byte_flips() {
    let base = b"# HELP a_s x\\ny\n# TYPE a_s histogram\n# UNIT a_s s\na_s_bucket{le=\"1\"} 1 # {t=\"1\",\"q.x\"=\"\\\"\"} 1 3\na_s_bucket{le=\"+Inf\"} 2\na_s_count 2\na_s_sum 3\n{\"u.v\",\"q.x\"=\"\\\"\"} NaN 2.5\n# EOF\n";
    let mut b = LabelsBuilder::new();
    let mut ex = Exemplar::default();
    let mut run = |body: &[u8]| {
        for strict in [true, false] {
            let mut p = if strict {
                OpenMetricsParser::new(body)
            } else {
                OpenMetricsParser::lenient(body)
            };
            while let Ok(Some(e)) = p.next() {
                if e == Entry::Series {
                    p.labels(&mut b);
                    while p.exemplar(&mut ex) {}
                }
                let _ = (p.help(), p.unit(), p.metric_type(), p.series());
            }
            let mut t = crate::text::TextParser::new(body);
            while let Ok(Some(_)) = t.next() {
                t.labels(&mut b);
                let _ = (t.help(), t.metric_type(), t.series());
            }
        }
    };
    let text_base: &[u8] = b"# HELP \"a.b\" x\\\\n\n# TYPE a summary\n a { \"q.x\" = \"\\\"\" , quantile=\"0.5\", } 1e3 17\n{\"n\"}\t+Inf\n# c\n\n";
    let mut t = crate::text::TextParser::new(text_base);
    let mut entries = 0;
    while t.next().expect("text base parses").is_some() {
        entries += 1;
    }
    assert_eq!(entries, 5, "help, type, two samples, comment");
    let mut p = OpenMetricsParser::new(base);
    while p.next().expect("OpenMetrics base parses").is_some() {}
    for base in [&base[..], text_base] {
        for i in 0..=base.len() {
            run(&base[..i]);
        }
        for i in 0..base.len() {
            for byte in [
                b'"', b'\\', b'{', b'}', b' ', b'\n', b'#', 0, 0xff, b'=', b',', b'\t', b'0',
            ] {
                let mut body = base.to_vec();
                body[i] = byte;
                run(&body);
            }
        }
    }
}
