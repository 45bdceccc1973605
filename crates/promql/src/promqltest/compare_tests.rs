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
