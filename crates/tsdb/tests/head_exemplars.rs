//! Exemplars in the head: appended with samples, checked as Prometheus
//! checks them, queried by selector and time, kept within the ring's
//! capacity, and back after a restart (WAL replay) and a truncation
//! (checkpoint).

use vigil_model::{Exemplar, Labels, MatchType, Matcher};
use vigil_tsdb::head::{AppendError, Head, HeadOptions};

fn opts(max: usize) -> HeadOptions {
    HeadOptions {
        max_exemplars: max,
        wal_segment_size: Some(32 * 1024),
        replay_threads: 2,
        ..HeadOptions::default()
    }
}

fn ex(t: i64, trace: &str) -> Exemplar {
    Exemplar {
        labels: Labels::from_pairs(&[("trace_id", trace)]),
        value: t as f64 / 1000.0,
        timestamp: Some(t),
    }
}

fn series(i: usize) -> Labels {
    Labels::from_pairs(&[("__name__", "req_total"), ("i", &i.to_string())])
}

fn sel(i: &str) -> Vec<Matcher> {
    vec![
        Matcher::new(MatchType::Equal, "__name__", "req_total").unwrap(),
        Matcher::new(MatchType::Regexp, "i", i).unwrap(),
    ]
}

#[test]
fn exemplars_are_checked_queried_and_survive_restarts() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (head, _) = Head::open(dir.path(), opts(50)).unwrap();
        for k in 0..20i64 {
            let t = k * 15_000;
            let mut app = head.appender();
            for i in 0..3 {
                let r = app.append(&series(i), t, k as f64).unwrap();
                app.append_exemplar(r, &ex(t, &format!("{i}-{k}"))).unwrap();
                // The same one again is ignored; an older one is refused.
                app.append_exemplar(r, &ex(t, &format!("{i}-{k}"))).unwrap();
                if k > 0 {
                    assert!(matches!(
                        app.append_exemplar(r, &ex(t - 1, "old")),
                        Err(AppendError::OutOfOrderExemplar { .. })
                    ));
                }
            }
            app.commit().unwrap();
        }
        let mut app = head.appender();
        let r = app.append(&series(0), 400_000, 1.0).unwrap();
        let long = "x".repeat(130);
        assert!(matches!(
            app.append_exemplar(r, &ex(400_000, &long)),
            Err(AppendError::ExemplarLabelsTooLong(_))
        ));
        let no_ts = Exemplar {
            timestamp: None,
            ..ex(1, "a")
        };
        assert!(matches!(
            app.append_exemplar(r, &no_ts),
            Err(AppendError::ExemplarNoTimestamp)
        ));
        drop(app);
        // 60 appended, 50 kept: the oldest overall went.
        assert_eq!(head.num_exemplars(), 50);
        let got = head.select_exemplars(0, i64::MAX, &[sel("0|2")]);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, series(0));
        assert!(
            got.iter()
                .all(|(_, e)| e.windows(2).all(|w| w[0].ts < w[1].ts))
        );
        let last = got[0].1.last().unwrap();
        assert_eq!(
            (last.ts, last.labels.get("trace_id")),
            (285_000, Some("0-19"))
        );
        let window = head.select_exemplars(100_000, 150_000, &[sel("1")]);
        assert_eq!(window[0].1.len(), 4);
    }
    let (head, report) = Head::open(dir.path(), opts(50)).unwrap();
    assert_eq!(report.exemplars, 60, "{report:?}");
    assert_eq!(head.num_exemplars(), 50);
    let got = head.select_exemplars(0, i64::MAX, &[sel(".*")]);
    assert_eq!(got.iter().map(|(_, e)| e.len()).sum::<usize>(), 50);

    // Truncation checkpoints the recent exemplars.
    let mut app = head.appender();
    for k in 20..200i64 {
        let t = k * 15_000;
        let r = app.append(&series(0), t, k as f64).unwrap();
        app.append_exemplar(r, &ex(t, "late")).unwrap();
    }
    app.commit().unwrap();
    let report = head.truncate(200_000).unwrap();
    drop(head);
    let (head, _) = Head::open(dir.path(), opts(50)).unwrap();
    let got = head.select_exemplars(200_000, i64::MAX, &[sel("0")]);
    assert_eq!(got[0].1.len(), 50, "{report:?}");
}
