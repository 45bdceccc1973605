use vigil_model::{CounterResetHint, Labels, is_stale_nan};

use super::*;

fn floats(line: &str) -> Vec<Option<f64>> {
    parse_series_desc(line)
        .unwrap_or_else(|e| panic!("{line}: {e}"))
        .values
        .into_iter()
        .map(|v| match v {
            SequenceValue::Float(f) => Some(f),
            SequenceValue::Omitted => None,
            SequenceValue::Histogram(_) => panic!("unexpected histogram in {line}"),
        })
        .collect()
}

#[test]
fn metric_forms() {
    let d = parse_series_desc(r#"metric{a="b", c='d',} 1"#).unwrap();
    assert_eq!(
        d.labels,
        Labels::from_pairs(&[("__name__", "metric"), ("a", "b"), ("c", "d")])
    );
    let d = parse_series_desc(r#"{"a.b", "c d"="x"} 1"#).unwrap();
    assert_eq!(
        d.labels,
        Labels::from_pairs(&[("__name__", "a.b"), ("c d", "x")])
    );
    let d = parse_series_desc("{} 3").unwrap();
    assert_eq!(d.labels, Labels::empty());
    let d = parse_series_desc("sum:rate 3").unwrap();
    assert_eq!(d.labels, Labels::from_pairs(&[("__name__", "sum:rate")]));
    let d = parse_series_desc("metric").unwrap();
    assert!(d.values.is_empty());
}

#[test]
fn expansions() {
    assert_eq!(
        floats("m 1+2x3"),
        vec![Some(1.0), Some(3.0), Some(5.0), Some(7.0)]
    );
    assert_eq!(floats("m 5-1x2"), vec![Some(5.0), Some(4.0), Some(3.0)]);
    assert_eq!(floats("m -1-1x2"), vec![Some(-1.0), Some(-2.0), Some(-3.0)]);
    assert_eq!(floats("m 2x2"), vec![Some(2.0); 3]);
    assert_eq!(floats("m _x3 _ 1"), vec![None, None, None, None, Some(1.0)]);
    assert_eq!(floats("m 0+0.1x1"), vec![Some(0.0), Some(0.1)]);
    assert_eq!(
        floats("m 1e3 .5 1_000 010"),
        vec![Some(1000.0), Some(0.5), Some(1000.0), Some(8.0)]
    );
}

#[test]
fn special_values() {
    let v = floats("m Inf -Inf +Inf inf NaN -NaN stale");
    assert_eq!(v.first(), Some(&Some(f64::INFINITY)));
    assert_eq!(v.get(1), Some(&Some(f64::NEG_INFINITY)));
    assert_eq!(v.get(2), Some(&Some(f64::INFINITY)));
    assert_eq!(v.get(3), Some(&Some(f64::INFINITY)));
    assert!(v.get(4).copied().flatten().is_some_and(f64::is_nan));
    assert!(v.get(6).copied().flatten().is_some_and(is_stale_nan));
}

fn hist(line: &str) -> Vec<HistogramDesc> {
    parse_series_desc(line)
        .unwrap_or_else(|e| panic!("{line}: {e}"))
        .values
        .into_iter()
        .map(|v| match v {
            SequenceValue::Histogram(h) => h,
            other => panic!("expected a histogram, got {other:?}"),
        })
        .collect()
}

#[test]
fn histogram_description() {
    let h = hist(
        "m {{schema:1 sum:-3 count:22 z_bucket:2 z_bucket_w:0.001 buckets:[5 10 7] offset:-1 \
         n_buckets:[1 2] n_offset:2 counter_reset_hint:gauge}}",
    );
    let [d] = h.as_slice() else {
        panic!("one value expected")
    };
    assert!(d.hint_set);
    assert_eq!(d.h.schema, 1);
    assert_eq!(d.h.sum, -3.0);
    assert_eq!(d.h.count, 22.0);
    assert_eq!(d.h.zero_count, 2.0);
    assert_eq!(d.h.zero_threshold, 0.001);
    assert_eq!(d.h.positive_buckets, vec![5.0, 10.0, 7.0]);
    assert_eq!(
        d.h.positive_spans.first().map(|s| (s.offset, s.length)),
        Some((-1, 3))
    );
    assert_eq!(
        d.h.negative_spans.first().map(|s| (s.offset, s.length)),
        Some((2, 2))
    );
    assert_eq!(d.h.counter_reset_hint, CounterResetHint::Gauge);

    let h = hist("m {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}} {{}}");
    assert_eq!(
        h.first().map(|d| d.h.custom_values.clone()),
        Some(vec![5.0, 10.0])
    );
    assert!(h.iter().all(|d| !d.hint_set));
}

#[test]
fn histogram_expansion() {
    let h = hist("m {{sum:1 count:1}}+{{sum:2 count:2 counter_reset_hint:not_reset}}x2");
    let counts: Vec<f64> = h.iter().map(|d| d.h.count).collect();
    assert_eq!(counts, vec![1.0, 3.0, 5.0]);
    // The increment's "hint written" flag applies to every value.
    assert!(h.iter().all(|d| d.hint_set));
    let h = hist("m {{count:10}}-{{count:2}}x2 {{count:1}}x1");
    let counts: Vec<f64> = h.iter().map(|d| d.h.count).collect();
    assert_eq!(counts, vec![10.0, 8.0, 6.0, 1.0, 1.0]);
}

#[test]
fn errors_name_a_column() {
    for bad in [
        "",
        "m 1x",
        "m 1+2",
        "m abc",
        "m 1m",
        r#"m{a="b" 1"#,
        r#"m{a=b} 1"#,
        "m{\"a} 1",
        "m 1 {{schema:1",
        "m {{schema:1 schema:2}}",
        "m {{bogus:1}}",
        "m {{buckets:[1 2}}",
        "m {{counter_reset_hint:maybe}}",
        "m {{sum:1}}+{{sum:1}}",
        "m {{schema:2}}+{{schema:1}}x2",
        "m 1x99999999999",
        "bool 1",
        "m 1,2",
        "m{} 1}",
        "m {1}",
    ] {
        let e = parse_series_desc(bad);
        assert!(e.is_err(), "{bad:?} parsed as {e:?}");
    }
    let e = parse_series_desc("m 1 x").unwrap_err();
    assert_eq!(e.col, 4);
}

#[test]
fn never_panics_on_truncations() {
    let line =
        r#"m{a="b\"c"} 1+2x3 _x2 stale {{schema:1 sum:3 buckets:[5 -10 Inf]}}+{{count:1}}x2"#;
    for i in 0..=line.len() {
        if let Some(prefix) = line.get(..i) {
            let _ = parse_series_desc(prefix);
        }
    }
}

#[test]
fn expansion_hints_follow_the_reference_rule() {
    let h = hist("m {{count:1}}+{{count:1 counter_reset_hint:gauge}}x2");
    let hints: Vec<CounterResetHint> = h.iter().map(|d| d.h.counter_reset_hint).collect();
    assert_eq!(
        hints,
        vec![
            CounterResetHint::Unknown,
            CounterResetHint::Gauge,
            CounterResetHint::Gauge
        ]
    );
    let h =
        hist("m {{count:1 counter_reset_hint:reset}}+{{count:1 counter_reset_hint:not_reset}}x1");
    assert_eq!(
        h.get(1).map(|d| d.h.counter_reset_hint),
        Some(CounterResetHint::Unknown)
    );
}
