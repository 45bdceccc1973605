use vigil_model::MatchType;
use vigil_model::Matcher;

use super::*;
use crate::promqltest::script::{Command, parse_script};
use crate::storage::{Queryable, SelectHints};
use crate::value::Series;

fn load(script: &str) -> Result<MemStorage, LoadError> {
    let s = parse_script(script).unwrap();
    let mut storage = MemStorage::new();
    for c in &s.commands {
        if let Command::Load(l) = c {
            apply_load(&mut storage, l)?;
        }
    }
    Ok(storage)
}

fn select(s: &MemStorage, name: &str) -> Vec<Series> {
    let m = Matcher::new(MatchType::Equal, "__name__", name).unwrap();
    s.select(i64::MIN, i64::MAX, &[m], &SelectHints::default())
        .unwrap()
}

#[test]
fn samples_land_at_multiples_of_the_interval() {
    let s = load("load 30s\n  m 1 _ 3 stale\n  m{a=\"x\"} 1\n  m{a=\"x\"} 2\n").unwrap();
    let series = select(&s, "m");
    let first = series.first().unwrap();
    let ts: Vec<i64> = first.floats.iter().map(|p| p.t).collect();
    assert_eq!(ts, vec![0, 60_000, 90_000]);
    // A repeated series line replaces the earlier one.
    let second = series.get(1).unwrap();
    assert_eq!(second.floats.first().map(|p| p.f), Some(2.0));
}

#[test]
fn loads_add_up_and_refuse_going_back() {
    let s = load("load 1m\n  m 1 2\n\nload 1m\n  m _ _ 3\n").unwrap();
    assert_eq!(select(&s, "m").first().map(|s| s.floats.len()), Some(3));
    let e = load("load 1m\n  m 1 2\n\nload 1m\n  m 5\n").unwrap_err();
    assert_eq!(e.line, 5);
}

#[test]
fn classic_histograms_convert_to_nhcb() {
    let s = load(
        "load_with_nhcb 1m\n  \
         h_bucket{le=\"1\"} 1 2\n  \
         h_bucket{le=\"5\"} 2 4\n  \
         h_bucket{le=\"+Inf\"} 3 6\n  \
         h_count 3 6\n  \
         h_sum 10 20\n",
    )
    .unwrap();
    let h = select(&s, "h");
    let series = h.first().unwrap();
    assert_eq!(series.histograms.len(), 2);
    let first = &series.histograms.first().unwrap().h;
    assert_eq!(first.schema, -53);
    assert_eq!(first.custom_values, vec![1.0, 5.0]);
    assert_eq!(first.positive_buckets, vec![1.0, 1.0, 1.0]);
    assert_eq!((first.count, first.sum), (3.0, 10.0));
    // The float series are loaded too.
    assert_eq!(select(&s, "h_bucket").len(), 3);
}

#[test]
fn bad_classic_histograms_fail_the_load() {
    let e = load("load_with_nhcb 1m\n  h_bucket{le=\"1\"} 5\n  h_bucket{le=\"2\"} 3\n");
    assert!(e.is_err());
    let e = load("load_with_nhcb 1m\n  h_bucket{le=\"1\"} 5\n  h_count 3\n");
    assert!(e.is_err());
}
