//! Native histograms in the head: appended (integer and float, with
//! counter resets, a bucket-layout change and a switch to floats and back),
//! read back, replayed from the WAL and `chunks_head/` after a restart,
//! persisted into a block by head compaction, and garbage-collected.

use vigil_model::{CounterResetHint, FloatHistogram, Histogram, Labels, MatchType, Matcher, Span};
use vigil_tsdb::db::{Db, DbOptions};
use vigil_tsdb::head::AppendError;
use vigil_tsdb::series_data::{HistogramValue, SeriesData};

const H: i64 = 3600 * 1000;

fn hist(i: i64) -> Histogram {
    let c = 3 + (i % 100) as u64; // a reset every 100 samples
    let wide = i % 400 >= 300; // a layout change
    let (spans, buckets) = if wide {
        (
            vec![Span {
                offset: 0,
                length: 3,
            }],
            vec![c as i64, -(c as i64) + 1, 0],
        )
    } else {
        (
            vec![Span {
                offset: 0,
                length: 2,
            }],
            vec![c as i64, -(c as i64) + 2],
        )
    };
    let count = buckets
        .iter()
        .scan(0i64, |acc, d| {
            *acc += d;
            Some(*acc as u64)
        })
        .sum::<u64>();
    Histogram {
        schema: 1,
        count,
        sum: c as f64,
        zero_threshold: 1e-128,
        positive_spans: spans,
        positive_buckets: buckets,
        ..Histogram::default()
    }
}

fn fhist(i: i64) -> FloatHistogram {
    let mut f = hist(i).to_float();
    f.sum += 0.25;
    f
}

fn l(name: &str) -> Labels {
    Labels::from_pairs(&[("__name__", name)])
}

/// `ih` integer histograms, `fh` float histograms, `mix` floats for the
/// first hour, histograms after: 4 h at 15 s.
fn fill(db: &Db) -> Vec<(Labels, SeriesData)> {
    let mut want = vec![
        (l("fh"), SeriesData::default()),
        (l("ih"), SeriesData::default()),
        (l("mix"), SeriesData::default()),
    ];
    for i in 0..(4 * 240) {
        let t = i * 15_000;
        let mut app = db.head().appender();
        app.append_float_histogram(&l("fh"), t, &fhist(i)).unwrap();
        app.append_histogram(&l("ih"), t, &hist(i)).unwrap();
        if t < H {
            app.append(&l("mix"), t, i as f64).unwrap();
            want[2].1.floats.push((t, i as f64));
        } else {
            app.append_histogram(&l("mix"), t, &hist(i)).unwrap();
            want[2].1.histograms.push((t, HistogramValue::Int(hist(i))));
        }
        app.commit().unwrap();
        want[0]
            .1
            .histograms
            .push((t, HistogramValue::Float(fhist(i))));
        want[1].1.histograms.push((t, HistogramValue::Int(hist(i))));
    }
    want
}

fn all(db: &Db) -> Vec<(Labels, SeriesData)> {
    let m = Matcher::new(MatchType::Regexp, "__name__", ".+").unwrap();
    db.select_data(i64::MIN, i64::MAX, &[m]).unwrap()
}

/// Equal samples, hints aside (chunk boundaries decide those); also checks
/// that no reset in `want` reads back as "no reset".
fn assert_same(got: &[(Labels, SeriesData)], want: &[(Labels, SeriesData)]) {
    assert_eq!(got.len(), want.len());
    for ((gl, g), (wl, w)) in got.iter().zip(want) {
        assert_eq!(gl, wl);
        assert_eq!(g.floats, w.floats, "{gl}");
        assert_eq!(g.histograms.len(), w.histograms.len(), "{gl}");
        for (i, ((gt, gh), (wt, wh))) in g.histograms.iter().zip(&w.histograms).enumerate() {
            assert_eq!(gt, wt, "{gl}");
            let (mut a, mut b) = (gh.to_float(), wh.to_float());
            let reset_expected = i > 0 && b.detect_reset(&w.histograms[i - 1].1.to_float());
            // A reset reads back as one, or as unknown where the head had
            // no previous histogram to compare with (after a restart, as in
            // Prometheus); never as "no reset".
            if reset_expected {
                assert_ne!(
                    a.counter_reset_hint,
                    CounterResetHint::NotCounterReset,
                    "{gl} at {gt}"
                );
            }
            a.counter_reset_hint = CounterResetHint::Unknown;
            b.counter_reset_hint = CounterResetHint::Unknown;
            assert_eq!(a, b, "{gl} at {gt}");
        }
    }
}

#[test]
fn histograms_survive_restart_compaction_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let want = {
        let (db, _) = Db::open(dir.path(), DbOptions::default()).unwrap();
        let want = fill(&db);
        assert_same(&all(&db), &want);
        // Checks as Prometheus makes them.
        let mut app = db.head().appender();
        let bad = Histogram {
            count: 99,
            ..hist(0)
        };
        assert!(matches!(
            app.append_histogram(&l("ih"), 10 * H, &bad),
            Err(AppendError::InvalidHistogram(_))
        ));
        assert!(matches!(
            app.append_histogram(&l("ih"), (4 * 240 - 2) * 15_000, &hist(0)),
            Err(AppendError::OutOfOrder { .. })
        ));
        want
    };
    // WAL and chunks_head/ bring every histogram back.
    let (db, report) = Db::open(dir.path(), DbOptions::default()).unwrap();
    assert!(report.mmapped_chunks > 10, "{report:?}");
    assert_eq!(report.unknown_refs, 0, "{report:?}");
    assert_eq!(report.skipped_chunks, 0, "{report:?}");
    assert_same(&all(&db), &want);

    // Head compaction writes histogram chunks into blocks and truncates.
    let written = db.compact_head().unwrap();
    assert!(!written.is_empty());
    assert!(written.iter().any(|m| m.stats.num_series == 3));
    assert_same(&all(&db), &want);
    drop(db);
    let (db, _) = Db::open(dir.path(), DbOptions::default()).unwrap();
    assert_same(&all(&db), &want);
}

#[test]
fn a_series_switching_kind_inside_one_batch_keeps_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let want: Vec<(i64, bool)> = (0..12).map(|i| (i * 1000, (i / 3) % 2 == 0)).collect();
    let read = |db: &Db| -> Vec<(i64, bool)> {
        let m = Matcher::new(MatchType::Equal, "__name__", "mix").unwrap();
        let d = db.select_data(i64::MIN, i64::MAX, &[m]).unwrap();
        let d = &d[0].1;
        let mut v: Vec<(i64, bool)> = d.floats.iter().map(|p| (p.0, true)).collect();
        v.extend(d.histograms.iter().map(|p| (p.0, false)));
        v.sort();
        v
    };
    {
        let (db, _) = Db::open(dir.path(), DbOptions::default()).unwrap();
        let mut app = db.head().appender();
        for &(t, float) in &want {
            if float {
                app.append(&l("mix"), t, t as f64).unwrap();
            } else {
                app.append_histogram(&l("mix"), t, &hist(t / 1000)).unwrap();
            }
        }
        app.commit().unwrap();
        assert_eq!(read(&db), want);
    }
    let (db, report) = Db::open(dir.path(), DbOptions::default()).unwrap();
    assert_eq!(report.rejected_samples, 0, "{report:?}");
    assert_eq!(read(&db), want);
}
