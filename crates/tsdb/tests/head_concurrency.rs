//! Concurrent commits to the same series: whatever the head holds when
//! they are done, replaying its WAL rebuilds exactly (samples reach every
//! series in WAL order, even though commits apply outside the WAL lock).
//! Without the ordering the race shows up in some runs, not every one.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};

use vigil_model::{Labels, MatchType, Matcher};
use vigil_tsdb::head::{Head, HeadOptions};

fn all(head: &Head) -> BTreeMap<String, Vec<(i64, f64)>> {
    let m = Matcher::new(MatchType::Equal, "__name__", "c").unwrap();
    head.select(i64::MIN, i64::MAX, &[m])
        .map(|(l, s)| (format!("{l}"), s))
        .collect()
}

#[test]
fn racing_commits_replay_to_the_same_head() {
    let dir = tempfile::tempdir().unwrap();
    let opts = HeadOptions {
        replay_threads: 2,
        ..HeadOptions::default()
    };
    let (head, _) = Head::open(dir.path(), opts.clone()).unwrap();
    let series: Vec<Labels> = (0..8)
        .map(|i| Labels::from_pairs(&[("__name__", "c"), ("i", &i.to_string())]))
        .collect();
    // Every thread takes timestamps from one clock, so batches overtake one
    // another and some samples lose (out of order at apply time).
    let clock = AtomicI64::new(0);
    std::thread::scope(|s| {
        for w in 0..4 {
            let (head, series, clock) = (&head, &series, &clock);
            s.spawn(move || {
                for _ in 0..1500 {
                    let mut app = head.appender();
                    for (i, l) in series.iter().enumerate() {
                        if (i + w) % 3 == 0 {
                            continue;
                        }
                        let t = clock.fetch_add(1, Ordering::Relaxed);
                        // Rejections at append time are part of the race.
                        let _ = app.append(l, t, (t * 10 + w as i64) as f64);
                    }
                    app.commit().unwrap();
                }
            });
        }
    });
    let live = all(&head);
    let total: usize = live.values().map(Vec::len).sum();
    assert!(total > 1000, "{total} samples");
    drop(head);
    let (head, report) = Head::open(dir.path(), opts).unwrap();
    assert_eq!(report.unknown_refs, 0, "{report:?}");
    assert_eq!(all(&head), live);
}
