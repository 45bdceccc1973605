use vigil_model::{MatchType, stale_nan};

use super::*;

fn labels(name: &str, a: &str) -> Labels {
    Labels::from_pairs(&[("__name__", name), ("a", a)])
}

fn hist(count: f64, hint: CounterResetHint) -> FloatHistogram {
    FloatHistogram {
        count,
        sum: count,
        counter_reset_hint: hint,
        ..FloatHistogram::default()
    }
}

fn hints(s: &MemStorage, l: &Labels) -> Vec<CounterResetHint> {
    let m = Matcher::new(MatchType::Equal, "a", l.get("a").unwrap_or("")).unwrap();
    let out = s
        .select(i64::MIN, i64::MAX, &[m], &SelectHints::default())
        .unwrap();
    out.first()
        .map(|s| {
            s.histograms
                .iter()
                .map(|p| p.h.counter_reset_hint)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn select_filters_and_sorts() {
    let mut s = MemStorage::new();
    s.append_float(&labels("m", "2"), 0, 1.0).unwrap();
    s.append_float(&labels("m", "1"), 0, 1.0).unwrap();
    s.append_float(&labels("m", "1"), 60_000, stale_nan())
        .unwrap();
    s.append_float(&labels("n", "1"), 0, 1.0).unwrap();
    let m = Matcher::new(MatchType::Equal, "__name__", "m").unwrap();
    let out = s
        .select(0, 60_000, std::slice::from_ref(&m), &SelectHints::default())
        .unwrap();
    let names: Vec<String> = out.iter().map(|s| s.metric.to_string()).collect();
    assert_eq!(
        names,
        vec![r#"{__name__="m", a="1"}"#, r#"{__name__="m", a="2"}"#]
    );
    assert!(
        out.first().is_some_and(
            |s| s.floats.len() == 2 && s.floats.get(1).is_some_and(|p| is_stale_nan(p.f))
        )
    );
    // Series without samples in the range are left out.
    let out = s.select(1, 60_000, &[m], &SelectHints::default()).unwrap();
    assert_eq!(out.len(), 1);
    s.clear();
    assert!(s.is_empty());
}

#[test]
fn order_is_enforced() {
    let mut s = MemStorage::new();
    let l = labels("m", "1");
    s.append_float(&l, 60_000, 1.0).unwrap();
    assert!(matches!(
        s.append_float(&l, 0, 1.0),
        Err(AppendError::OutOfOrder { .. })
    ));
    s.append_float(&l, 60_000, 1.0).unwrap();
    assert!(matches!(
        s.append_float(&l, 60_000, 2.0),
        Err(AppendError::Duplicate { .. })
    ));
    assert!(
        s.append_histogram(&l, 60_000, hist(1.0, CounterResetHint::Unknown))
            .is_err()
    );
}

#[test]
fn histogram_hints_follow_chunks() {
    use CounterResetHint::*;
    let mut s = MemStorage::new();
    let l = labels("h", "1");
    for (t, count, hint) in [
        (0, 1.0, Unknown),
        (1, 2.0, Unknown),
        (2, 3.0, NotCounterReset),
        (3, 1.0, Unknown),      // counter reset: new chunk
        (4, 2.0, CounterReset), // hinted reset: new chunk
        (5, 3.0, Gauge),        // gauge: new chunk
        (6, 1.0, Gauge),        // gauges may go down
        (7, 2.0, Unknown),      // back to counter: new chunk
    ] {
        s.append_histogram(&l, t, hist(count, hint)).unwrap();
    }
    assert_eq!(
        hints(&s, &l),
        vec![
            Unknown,
            NotCounterReset,
            NotCounterReset,
            Unknown,
            Unknown,
            Gauge,
            Gauge,
            Unknown
        ]
    );
}

#[test]
fn floats_schema_changes_and_day_boundaries_cut_chunks() {
    use CounterResetHint::*;
    let mut s = MemStorage::new();
    let l = labels("h", "2");
    s.append_histogram(&l, 0, hist(1.0, Unknown)).unwrap();
    s.append_float(&l, 1, 5.0).unwrap();
    s.append_histogram(&l, 2, hist(2.0, Unknown)).unwrap();
    let mut other_schema = hist(3.0, Unknown);
    other_schema.schema = 1;
    s.append_histogram(&l, 3, other_schema).unwrap();
    s.append_histogram(&l, CHUNK_RANGE_MS - 1, {
        let mut h = hist(4.0, Unknown);
        h.schema = 1;
        h
    })
    .unwrap();
    s.append_histogram(&l, CHUNK_RANGE_MS, {
        let mut h = hist(5.0, Unknown);
        h.schema = 1;
        h
    })
    .unwrap();
    assert_eq!(
        hints(&s, &l),
        vec![Unknown, Unknown, Unknown, NotCounterReset, Unknown]
    );
}

#[test]
fn start_times_are_kept() {
    let mut s = MemStorage::new();
    let l = labels("m", "1");
    s.append_float(&l, 60_000, 1.0).unwrap();
    s.set_start_time(&l, 60_000, 30_000);
    assert_eq!(s.start_time(&l, 60_000), Some(30_000));
    assert_eq!(s.start_time(&l, 0), None);
}
