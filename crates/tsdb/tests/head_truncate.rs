//! Head truncation: after `truncate(mint)` the head holds exactly the
//! samples at or after `mint`, series without any are gone (from queries,
//! label values and the WAL's checkpoint), the WAL's older segments are
//! replaced by a checkpoint, and all of it replays to the same head — in
//! Vigil and in Debian's `promtool tsdb dump`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{have, parse_dump};
use vigil_model::{Labels, MatchType, Matcher};
use vigil_tsdb::head::{Head, HeadOptions};
use vigil_tsdb::wal::list_segments;

const H: i64 = 3600 * 1000;
const SERIES: usize = 60;

fn opts() -> HeadOptions {
    HeadOptions {
        // Small segments, so three hours span many and a checkpoint is due.
        wal_segment_size: Some(32 * 1024),
        replay_threads: 2,
        ..HeadOptions::default()
    }
}

fn labels(i: usize) -> Labels {
    Labels::from_pairs(&[
        ("__name__", "m"),
        ("i", &format!("{i:03}")),
        ("kind", if i % 3 == 0 { "short" } else { "long" }),
    ])
}

/// Series `i % 3 == 0` stop after the first hour; the others go on for 3 h.
fn expected(until: i64) -> BTreeMap<String, Vec<(i64, f64)>> {
    let mut out = BTreeMap::new();
    for i in 0..SERIES {
        let end = if i % 3 == 0 { H.min(until) } else { until };
        let s: Vec<(i64, f64)> = (0..)
            .map(|k| (k * 30_000 + 7, (i * 1000 + k as usize) as f64))
            .take_while(|&(t, _)| t < end)
            .collect();
        if !s.is_empty() {
            out.insert(format!("{}", labels(i)), s);
        }
    }
    out
}

fn fill(head: &Head, want: &BTreeMap<String, Vec<(i64, f64)>>) {
    let steps = want.values().map(Vec::len).max().unwrap_or(0);
    let keyed: Vec<(Labels, &Vec<(i64, f64)>)> = (0..SERIES)
        .filter_map(|i| Some((labels(i), want.get(&format!("{}", labels(i)))?)))
        .collect();
    for k in 0..steps {
        let mut app = head.appender();
        for (l, s) in &keyed {
            if let Some(&(t, v)) = s.get(k) {
                app.append(l, t, v).unwrap();
            }
        }
        app.commit().unwrap();
    }
}

fn all(head: &Head) -> BTreeMap<String, Vec<(i64, f64)>> {
    let m = Matcher::new(MatchType::Equal, "__name__", "m").unwrap();
    head.select(i64::MIN, i64::MAX, &[m])
        .map(|(l, s)| (format!("{l}"), s))
        .collect()
}

fn from(data: &BTreeMap<String, Vec<(i64, f64)>>, mint: i64) -> BTreeMap<String, Vec<(i64, f64)>> {
    data.iter()
        .filter_map(|(k, s)| {
            let s: Vec<_> = s.iter().copied().filter(|p| p.0 >= mint).collect();
            (!s.is_empty()).then(|| (k.clone(), s))
        })
        .collect()
}

fn checkpoints(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("wal"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("checkpoint."))
        .collect();
    v.sort();
    v
}

#[test]
fn truncate_drops_old_data_and_replays_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let want = expected(3 * H);
    let (head, _) = Head::open(dir.path(), opts()).unwrap();
    fill(&head, &want);
    let segments_before = list_segments(&dir.path().join("wal")).unwrap().len();
    assert!(segments_before >= 4, "{segments_before} segments");

    let mint = 2 * H;
    let report = head.truncate(mint).unwrap();
    assert_eq!(report.series_removed, SERIES / 3, "{report:?}");
    assert!(report.checkpoint.is_some(), "{report:?}");
    assert!(report.segments_deleted > 0, "{report:?}");
    assert_eq!(head.stats().num_series, SERIES - SERIES / 3);
    assert_eq!(head.label_values("kind"), ["long"]);
    // Chunks that end at or after `mint` stay whole, so samples from just
    // before it may remain; everything from `mint` on is there.
    assert_eq!(from(&all(&head), mint), from(&want, mint));
    assert!(all(&head).values().flatten().all(|p| p.0 >= mint - H));
    assert_eq!(checkpoints(dir.path()).len(), 1);
    let kept = from(&all(&head), i64::MIN);

    // Appends before `mint` are out of bounds now; later ones go on, also
    // for a removed series, which comes back under a new reference.
    let mut app = head.appender();
    assert!(app.append(&labels(1), mint - 1, 1.0).is_err());
    let back = app.append(&labels(0), 3 * H + 5, 42.0).unwrap();
    assert!(back > SERIES as u64, "removed series got reference {back}");
    app.commit().unwrap();
    drop(head);

    let (head, report) = Head::open(dir.path(), opts()).unwrap();
    assert!(report.corruption.is_none(), "{report:?}");
    assert_eq!(report.unknown_refs, 0, "{report:?}");
    let mut again = kept.clone();
    again.insert(format!("{}", labels(0)), vec![(3 * H + 5, 42.0)]);
    // Replay may also bring back samples before `mint` that a segment
    // newer than the checkpoint still holds; from `mint` on it is exact.
    assert_eq!(from(&all(&head), mint), from(&again, mint));
    // Series removed after the checkpointed segments were written stay in
    // the checkpoint (later segments could name them), so replay brings
    // them back without samples, as in Prometheus; the next truncation
    // collects them.
    head.truncate(mint).unwrap();
    assert_eq!(head.stats().num_series, SERIES - SERIES / 3 + 1);

    // A second truncation on the reopened head builds on the checkpoint.
    fill(&head, &from(&expected(4 * H), 3 * H));
    let report = head.truncate(3 * H).unwrap();
    assert!(report.checkpoint.is_some(), "{report:?}");
    assert_eq!(checkpoints(dir.path()).len(), 1);
    let now = all(&head);
    drop(head);
    let (head, report) = Head::open(dir.path(), opts()).unwrap();
    assert_eq!(report.unknown_refs, 0, "{report:?}");
    assert_eq!(from(&all(&head), 3 * H), from(&now, 3 * H));
}

#[test]
fn promtool_reads_a_truncated_vigil_head() {
    if !have("promtool") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let want = expected(3 * H);
    {
        let (head, _) = Head::open(dir.path(), opts()).unwrap();
        fill(&head, &want);
        let report = head.truncate(2 * H).unwrap();
        assert!(report.checkpoint.is_some(), "{report:?}");
    }
    let out = Command::new("promtool")
        .args(["tsdb", "dump"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool tsdb dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = parse_dump(&String::from_utf8_lossy(&out.stdout));
    let got: BTreeMap<String, Vec<(i64, f64)>> = got.into_iter().collect();
    assert_eq!(from(&got, 2 * H), from(&want, 2 * H));
}
