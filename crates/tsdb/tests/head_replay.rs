//! The head's WAL: what commits write comes back after a restart, and a
//! damaged WAL yields everything before the damage and is repaired.

use std::collections::BTreeMap;
use std::path::Path;

use vigil_model::{Labels, MatchType, Matcher};
use vigil_tsdb::head::{Head, HeadOptions};
use vigil_tsdb::record::{RefSample, RefSeries, encode_samples, encode_series};
use vigil_tsdb::wal::{WalWriter, list_segments};

const SERIES: usize = 200;

fn opts() -> HeadOptions {
    HeadOptions {
        // Small segments so the data spans many of them.
        wal_segment_size: Some(64 * 1024),
        replay_threads: 2,
        ..HeadOptions::default()
    }
}

fn labels(i: usize) -> Labels {
    Labels::from_pairs(&[
        ("__name__", "metric"),
        ("instance", &format!("host-{i}")),
        ("job", if i % 2 == 0 { "even" } else { "odd" }),
    ])
}

fn value(i: usize, k: i64) -> f64 {
    (i as f64) * 1.5 + (k as f64) * 0.25
}

/// Commits `commits` batches, one sample per series each, starting at batch `from`.
fn write(head: &Head, from: i64, commits: i64) {
    for k in from..from + commits {
        let mut app = head.appender();
        for i in 0..SERIES {
            app.append(&labels(i), k * 15_000, value(i, k)).unwrap();
        }
        app.commit().unwrap();
    }
}

fn all(head: &Head) -> BTreeMap<String, Vec<(i64, f64)>> {
    let m = Matcher::new(MatchType::Equal, "__name__", "metric").unwrap();
    head.select(i64::MIN, i64::MAX, &[m])
        .map(|(l, s)| (format!("{l:?}"), s))
        .collect()
}

fn expected(commits: i64) -> BTreeMap<String, Vec<(i64, f64)>> {
    (0..SERIES)
        .map(|i| {
            let s = (0..commits).map(|k| (k * 15_000, value(i, k))).collect();
            (format!("{:?}", labels(i)), s)
        })
        .collect()
}

#[test]
fn samples_come_back_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (head, report) = Head::open(dir.path(), opts()).unwrap();
        assert_eq!(report.records, 0);
        write(&head, 0, 300);
    }
    assert!(list_segments(&dir.path().join("wal")).unwrap().len() > 3);
    let (head, report) = Head::open(dir.path(), opts()).unwrap();
    assert!(report.corruption.is_none());
    assert_eq!(report.series, SERIES as u64);
    // Cut chunks come back from `chunks_head/`; the WAL supplies the rest.
    assert!(report.mmapped_chunks >= SERIES as u64 * 2);
    assert_eq!(report.unattached_chunks, 0);
    assert_eq!(
        report.samples + report.samples_in_chunks,
        SERIES as u64 * 300
    );
    assert_eq!(report.samples, SERIES as u64 * 60);
    assert_eq!(all(&head), expected(300));
    let st = head.stats();
    assert_eq!(
        (st.num_series, st.min_time, st.max_time),
        (SERIES, 0, 299 * 15_000)
    );
    // Appends continue after a restart, with the replayed references.
    write(&head, 300, 20);
    drop(head);
    let (head, report) = Head::open(dir.path(), opts()).unwrap();
    assert_eq!(report.series, SERIES as u64);
    assert_eq!(all(&head), expected(320));
    assert_eq!(head.label_values("job"), ["even", "odd"]);
}

/// Flips one byte in the middle of segment `n`.
fn corrupt(wal: &Path, n: usize) -> u64 {
    let segs = list_segments(wal).unwrap();
    let path = &segs[n].1;
    let mut data = std::fs::read(path).unwrap();
    let at = data.len() / 2;
    data[at] ^= 0x5a;
    std::fs::write(path, data).unwrap();
    segs.len() as u64
}

/// The head holds the first `k` batches exactly, for some `k`.
fn prefix_len(head: &Head) -> i64 {
    let got = all(head);
    let k = got.values().map(Vec::len).max().unwrap_or(0) as i64;
    // Every series has either all of the first k batches, or k-1 when the
    // damage cut the last batch's record (a record is all or nothing).
    let full = expected(k);
    let short = expected(k - 1);
    for (name, s) in &got {
        assert!(
            s == &full[name] || s == &short[name],
            "{name}: not a prefix"
        );
    }
    k
}

#[test]
fn corrupt_segment_keeps_everything_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let wal = dir.path().join("wal");
    {
        let (head, _) = Head::open(dir.path(), opts()).unwrap();
        write(&head, 0, 300);
    }
    let before = corrupt(&wal, 2);
    let (head, report) = Head::open(dir.path(), opts()).unwrap();
    let c = report.corruption.clone().expect("damage reported");
    assert_eq!(c.segment, 2);
    let k = prefix_len(&head);
    assert!(k > 10 && k < 300, "kept {k} batches");
    // Later segments are gone, the damaged one is cut, a new one was started.
    let segs = list_segments(&wal).unwrap();
    assert!((segs.len() as u64) < before);
    assert_eq!(segs.len(), 4);
    assert_eq!(
        std::fs::metadata(&segs[2].1).unwrap().len(),
        c.offset as u64
    );
    let kept = all(&head);
    drop(head);
    // The next start is clean and has the same data.
    let (head, report) = Head::open(dir.path(), opts()).unwrap();
    assert!(report.corruption.is_none());
    assert_eq!(all(&head), kept);
    // New appends after the repair replay too.
    let mut app = head.appender();
    for i in 0..SERIES {
        app.append(&labels(i), 10_000_000, 1.0).unwrap();
    }
    app.commit().unwrap();
    drop(head);
    let (head, report) = Head::open(dir.path(), opts()).unwrap();
    assert!(report.corruption.is_none());
    assert!(
        all(&head)
            .values()
            .all(|s| s.last() == Some(&(10_000_000, 1.0)))
    );
}

#[test]
fn torn_tail_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let wal = dir.path().join("wal");
    {
        let (head, _) = Head::open(dir.path(), opts()).unwrap();
        write(&head, 0, 50);
    }
    let segs = list_segments(&wal).unwrap();
    let (_, last) = segs
        .iter()
        .rev()
        .find(|(_, p)| std::fs::metadata(p).unwrap().len() > 0)
        .unwrap();
    let len = std::fs::metadata(last).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(last).unwrap();
    f.set_len(len - 10).unwrap();
    drop(f);
    let (head, report) = Head::open(dir.path(), opts()).unwrap();
    assert!(report.corruption.is_some());
    assert_eq!(prefix_len(&head), 49);
}

/// Samples of `labels(i)` as `(t, v)`, from a head.
fn samples_of(head: &Head, i: usize) -> Vec<(i64, f64)> {
    let m = Matcher::new(MatchType::Equal, "instance", format!("host-{i}")).unwrap();
    head.select(i64::MIN, i64::MAX, &[m])
        .flat_map(|(_, s)| s)
        .collect()
}

#[test]
fn unknown_sparse_and_redefined_refs() {
    let dir = tempfile::tempdir().unwrap();
    let wal = dir.path().join("wal");
    {
        let mut w = WalWriter::open(&wal, None, false).unwrap();
        let mut a = Vec::new();
        encode_series(
            &mut a,
            &[
                RefSeries {
                    series: 1000,
                    labels: labels(1),
                },
                // The same labels under another reference: samples of 1001
                // go to the same series.
                RefSeries {
                    series: 1001,
                    labels: labels(1),
                },
                RefSeries {
                    series: 5,
                    labels: labels(2),
                },
                // Sparse and beyond 32 bits: the head renumbers.
                RefSeries {
                    series: 1 << 40,
                    labels: labels(4),
                },
            ],
        );
        let mut b = Vec::new();
        encode_samples(
            &mut b,
            &[
                RefSample {
                    series: 1000,
                    t: 1,
                    v: 1.0,
                },
                RefSample {
                    series: 1001,
                    t: 2,
                    v: 2.0,
                },
                RefSample {
                    series: 5,
                    t: 1,
                    v: 5.0,
                },
                RefSample {
                    series: 77,
                    t: 1,
                    v: 0.0,
                },
                RefSample {
                    series: 1000,
                    t: 0,
                    v: 9.0,
                },
                RefSample {
                    series: 1 << 40,
                    t: 3,
                    v: 4.0,
                },
            ],
        );
        // Reference 5 is redefined: later samples of 5 are labels(3)'s.
        let mut c = Vec::new();
        encode_series(
            &mut c,
            &[RefSeries {
                series: 5,
                labels: labels(3),
            }],
        );
        let mut d = Vec::new();
        encode_samples(
            &mut d,
            &[RefSample {
                series: 5,
                t: 7,
                v: 7.0,
            }],
        );
        w.log(&[&a, &b, &[42, 1, 2], &c, &d]).unwrap();
    }
    let check = |head: &Head| {
        assert_eq!(head.stats().num_series, 4);
        assert_eq!(samples_of(head, 1), [(1, 1.0), (2, 2.0)]);
        assert_eq!(samples_of(head, 2), [(1, 5.0)]);
        assert_eq!(samples_of(head, 3), [(7, 7.0)]);
        assert_eq!(samples_of(head, 4), [(3, 4.0)]);
    };
    let (head, report) = Head::open(dir.path(), opts()).unwrap();
    assert_eq!(report.unknown_refs, 1);
    assert_eq!(report.rejected_samples, 1);
    assert_eq!(report.skipped_records, 1);
    assert_eq!(report.samples, 5);
    check(&head);
    // Appends after the renumbering, then a restart: the new series
    // records make the new references mean the right series.
    let mut app = head.appender();
    for i in 1..=4 {
        app.append(&labels(i), 100, i as f64).unwrap();
    }
    app.append(&labels(9), 100, 9.0).unwrap();
    app.commit().unwrap();
    drop(head);
    let (head, report) = Head::open(dir.path(), opts()).unwrap();
    assert_eq!(report.unknown_refs, 1);
    assert_eq!(head.stats().num_series, 5);
    for i in 1..=4 {
        assert_eq!(samples_of(&head, i).last(), Some(&(100, i as f64)));
    }
    assert_eq!(samples_of(&head, 9), [(100, 9.0)]);
    // And once more, appending by the references the replay handed out.
    let mut app = head.appender();
    for i in [1, 2, 3, 4, 9] {
        app.append(&labels(i), 200, -(i as f64)).unwrap();
    }
    app.commit().unwrap();
    drop(head);
    let (head, _) = Head::open(dir.path(), opts()).unwrap();
    for i in [1, 2, 3, 4, 9] {
        assert_eq!(samples_of(&head, i).last(), Some(&(200, -(i as f64))));
    }
}

#[test]
fn checkpoint_then_later_segments() {
    let dir = tempfile::tempdir().unwrap();
    let wal = dir.path().join("wal");
    let rec = |series: &[RefSeries], samples: &[RefSample]| {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        encode_series(&mut a, series);
        encode_samples(&mut b, samples);
        (a, b)
    };
    {
        // checkpoint.00000001 covers segments 0 and 1.
        let mut w = WalWriter::open(&wal.join("checkpoint.00000001"), None, false).unwrap();
        let (a, b) = rec(
            &[RefSeries {
                series: 1,
                labels: labels(1),
            }],
            &[RefSample {
                series: 1,
                t: 10,
                v: 1.0,
            }],
        );
        w.log(&[&a, &b]).unwrap();
        // An unfinished checkpoint is ignored.
        std::fs::create_dir_all(wal.join("checkpoint.00000005.tmp")).unwrap();
        let mut w = WalWriter::open(&wal, None, false).unwrap();
        // Segment 0: already in the checkpoint; its series must not be replayed.
        let (a, b) = rec(
            &[RefSeries {
                series: 9,
                labels: labels(9),
            }],
            &[RefSample {
                series: 1,
                t: 5,
                v: 0.5,
            }],
        );
        w.log(&[&a, &b]).unwrap();
        w.next_segment().unwrap();
        w.next_segment().unwrap();
        // Segment 2: new data.
        let (a, b) = rec(
            &[RefSeries {
                series: 2,
                labels: labels(2),
            }],
            &[
                RefSample {
                    series: 1,
                    t: 20,
                    v: 2.0,
                },
                RefSample {
                    series: 2,
                    t: 20,
                    v: 3.0,
                },
            ],
        );
        w.log(&[&a, &b]).unwrap();
    }
    let (head, report) = Head::open(dir.path(), opts()).unwrap();
    assert!(report.corruption.is_none());
    assert_eq!(report.series, 2);
    assert_eq!(report.samples, 3);
    assert_eq!(head.stats().num_series, 2);
    let m = Matcher::new(MatchType::Equal, "__name__", "metric").unwrap();
    let got: Vec<_> = head
        .select(i64::MIN, i64::MAX, &[m])
        .map(|(_, s)| s)
        .collect();
    assert_eq!(got, [vec![(10, 1.0), (20, 2.0)], vec![(20, 3.0)]]);
}
