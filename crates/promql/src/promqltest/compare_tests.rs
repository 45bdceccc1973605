use vigil_model::{CounterResetHint, FloatHistogram, Span, stale_nan};

use super::*;

#[test]
fn tolerance() {
    assert!(almost_equal(1.0, 1.0 + 1e-7, EPSILON));
    assert!(!almost_equal(1.0, 1.0 + 1e-5, EPSILON));
    assert!(almost_equal(f64::NAN, f64::NAN, EPSILON));
    assert!(!almost_equal(stale_nan(), f64::NAN, EPSILON));
    assert!(almost_equal(stale_nan(), stale_nan(), EPSILON));
    assert!(almost_equal(f64::INFINITY, f64::INFINITY, EPSILON));
    assert!(!almost_equal(0.0, 1e-300, EPSILON));
    assert!(almost_equal(0.0, -0.0, EPSILON));
}

fn h(spans: Vec<Span>, buckets: Vec<f64>) -> FloatHistogram {
    FloatHistogram {
        count: buckets.iter().sum(),
        positive_spans: spans,
        positive_buckets: buckets,
        ..FloatHistogram::default()
    }
}

#[test]
fn histogram_layouts_and_hints() {
    let a = h(
        vec![Span {
            offset: 0,
            length: 3,
        }],
        vec![1.0, 0.0, 2.0],
    );
    let b = h(
        vec![
            Span {
                offset: 0,
                length: 1,
            },
            Span {
                offset: 1,
                length: 1,
            },
        ],
        vec![1.0, 2.0],
    );
    assert!(histograms_match(&a, &b, false));
    let mut c = b.clone();
    c.counter_reset_hint = CounterResetHint::Gauge;
    assert!(histograms_match(&a, &c, false));
    assert!(!histograms_match(&a, &c, true));
    let d = h(
        vec![Span {
            offset: 1,
            length: 3,
        }],
        vec![1.0, 0.0, 2.0],
    );
    assert!(!histograms_match(&a, &d, false));
}

#[test]
fn zero_length_spans() {
    let a = [
        Span {
            offset: 2,
            length: 0,
        },
        Span {
            offset: 1,
            length: 2,
        },
    ];
    let b = [
        Span {
            offset: 3,
            length: 2,
        },
        Span {
            offset: 4,
            length: 0,
        },
    ];
    assert!(spans_match(&a, &b));
}

use std::sync::Arc;

use vigil_model::Labels;

use crate::promqltest::script::{Command, EvalCmd, parse_script};
use crate::value::{FPoint, HPoint, Sample, Series, Value};

fn eval_of(script: &str) -> EvalCmd {
    let s = parse_script(script).unwrap();
    match s.commands.into_iter().next() {
        Some(Command::Eval(e)) => *e,
        other => panic!("eval expected, got {other:?}"),
    }
}

fn sample(a: &str, f: f64) -> Sample {
    Sample {
        metric: Labels::from_pairs(&[("a", a)]),
        t: 0,
        f,
        h: None,
        drop_name: false,
    }
}

#[test]
fn vectors() {
    let cmd = eval_of("eval instant at 0 m\n  {a=\"1\"} 1\n  {a=\"2\"} NaN\n");
    let v = |s: Vec<Sample>| Value::Vector(s);
    assert!(
        compare_result(
            &cmd,
            &v(vec![sample("2", f64::NAN), sample("1", 1.0000001)])
        )
        .is_ok()
    );
    assert!(compare_result(&cmd, &v(vec![sample("1", 1.1), sample("2", f64::NAN)])).is_err());
    assert!(compare_result(&cmd, &v(vec![sample("1", 1.0)])).is_err());
    assert!(
        compare_result(
            &cmd,
            &v(vec![
                sample("1", 1.0),
                sample("2", f64::NAN),
                sample("3", 0.0)
            ])
        )
        .is_err()
    );
    assert!(compare_result(&cmd, &Value::Scalar { t: 0, v: 1.0 }).is_err());

    let ordered = eval_of("eval instant at 0 m\n  expect ordered\n  {a=\"1\"} 1\n  {a=\"2\"} 2\n");
    assert!(compare_result(&ordered, &v(vec![sample("1", 1.0), sample("2", 2.0)])).is_ok());
    assert!(compare_result(&ordered, &v(vec![sample("2", 2.0), sample("1", 1.0)])).is_err());

    let mut h = sample("1", 0.0);
    h.h = Some(Arc::new(FloatHistogram {
        count: 2.0,
        ..FloatHistogram::default()
    }));
    let hcmd = eval_of("eval instant at 0 m\n  {a=\"1\"} {{count:2}}\n");
    assert!(compare_result(&hcmd, &v(vec![h.clone()])).is_ok());
    assert!(compare_result(&cmd, &v(vec![h, sample("2", f64::NAN)])).is_err());
}

#[test]
fn scalars_and_strings() {
    let cmd = eval_of("eval instant at 0 1\n  1\n");
    assert!(compare_result(&cmd, &Value::Scalar { t: 0, v: 1.0 }).is_ok());
    assert!(compare_result(&cmd, &Value::Scalar { t: 0, v: 2.0 }).is_err());
    assert!(compare_result(&cmd, &Value::Vector(vec![sample("1", 1.0)])).is_err());
    let s = eval_of("eval instant at 0 \"a\"\n  expect string \"a\"\n");
    let val = |x: &str| Value::String { t: 0, s: x.into() };
    assert!(compare_result(&s, &val("a")).is_ok());
    assert!(compare_result(&s, &val("b")).is_err());
}

fn series(a: &str, floats: &[(i64, f64)], hists: &[(i64, f64)]) -> Series {
    Series {
        metric: Labels::from_pairs(&[("a", a)]),
        floats: floats.iter().map(|&(t, f)| FPoint { t, f }).collect(),
        histograms: hists
            .iter()
            .map(|&(t, c)| HPoint {
                t,
                h: Arc::new(FloatHistogram {
                    count: c,
                    ..FloatHistogram::default()
                }),
            })
            .collect(),
        drop_name: false,
    }
}

#[test]
fn matrices() {
    let cmd = eval_of(
        "eval range from 0 to 2m step 1m m\n  {a=\"1\"} 1 _ 3\n  {a=\"2\"} {{count:1}} 2 _\n",
    );
    let good = Value::Matrix(vec![
        series("1", &[(0, 1.0), (120_000, 3.0)], &[]),
        series("2", &[(60_000, 2.0)], &[(0, 1.0)]),
    ]);
    assert!(compare_result(&cmd, &good).is_ok());
    let shifted = Value::Matrix(vec![
        series("1", &[(0, 1.0), (60_000, 3.0)], &[]),
        series("2", &[(60_000, 2.0)], &[(0, 1.0)]),
    ]);
    assert!(compare_result(&cmd, &shifted).is_err());
    let unsorted = Value::Matrix(vec![
        series("2", &[(60_000, 2.0)], &[(0, 1.0)]),
        series("1", &[(0, 1.0), (120_000, 3.0)], &[]),
    ]);
    assert!(compare_result(&cmd, &unsorted).is_err());
    let too_many = eval_of("eval range from 0 to 1m step 1m m\n  {a=\"1\"} 1 2 3\n");
    assert!(
        compare_result(
            &too_many,
            &Value::Matrix(vec![series("1", &[(0, 1.0)], &[])])
        )
        .is_err()
    );

    // An instant query's matrix needs `expect range vector`.
    let rv = eval_of(
        "eval instant at 1m m[1m]\n  expect range vector from 30s to 1m step 30s\n  {a=\"1\"} 1 2\n",
    );
    let m = Value::Matrix(vec![series("1", &[(30_000, 1.0), (60_000, 2.0)], &[])]);
    assert!(compare_result(&rv, &m).is_ok());
    let plain = eval_of("eval instant at 1m m[1m]\n  {a=\"1\"} 1\n");
    assert!(compare_result(&plain, &m).is_err());
}
