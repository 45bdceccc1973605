//! The head's WAL interoperates with Prometheus both ways: Debian's
//! `promtool tsdb dump` replays a WAL that Vigil's head wrote and prints
//! exactly the samples that were committed, and the head replays the WAL of
//! a Prometheus killed with SIGKILL while scraping itself.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{SelfScrapingPrometheus, Series, assert_same, generate, have, parse_dump};
use vigil_model::{Labels, MatchType, Matcher};
use vigil_tsdb::head::{Head, HeadOptions};

/// Commits `want` in scrape order: one sample of every series per commit.
fn fill(head: &Head, want: &Series) {
    let series: Vec<(Labels, &Vec<(i64, f64)>)> = want
        .iter()
        .map(|(k, v)| {
            let s = k
                .trim_start_matches("{__name__=\"m_total\", s=\"")
                .trim_end_matches("\"}");
            (Labels::from_pairs(&[("__name__", "m_total"), ("s", s)]), v)
        })
        .collect();
    // Scrape order: one sample of every series per commit.
    for i in 0..720 {
        let mut app = head.appender();
        for (l, samples) in &series {
            let (t, v) = samples[i];
            app.append(l, t, v).unwrap();
        }
        app.commit().unwrap();
    }
}

fn dump(dir: &std::path::Path) -> Series {
    let out = Command::new("promtool")
        .args(["tsdb", "dump"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool tsdb dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_dump(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn promtool_replays_vigil_head_wal() {
    if !have("promtool") {
        return;
    }
    let want: Series = generate(20);
    let dir = tempfile::tempdir().unwrap();
    {
        let opts = HeadOptions {
            wal_segment_size: Some(256 * 1024),
            ..HeadOptions::default()
        };
        let (head, _) = Head::open(dir.path(), opts).unwrap();
        fill(&head, &want);
    }
    assert_same(&dump(dir.path()), &want);
}

#[test]
fn promtool_reads_blocks_written_from_the_head() {
    if !have("promtool") {
        return;
    }
    let want: Series = generate(20);
    let head = Head::in_memory(HeadOptions::default());
    fill(&head, &want);
    let st = head.stats();
    let dir = tempfile::tempdir().unwrap();
    // Two blocks splitting the range; nothing for a range without samples.
    let mid = st.min_time + (st.max_time - st.min_time) / 2;
    let a = head
        .write_block(dir.path(), st.min_time, mid)
        .unwrap()
        .unwrap();
    let b = head
        .write_block(dir.path(), mid, st.max_time + 1)
        .unwrap()
        .unwrap();
    assert!(head.write_block(dir.path(), 0, 1000).unwrap().is_none());
    assert_eq!(a.stats.num_series, 20);
    assert_eq!(a.stats.num_samples + b.stats.num_samples, 20 * 720);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    // promtool opens the data directory as a whole, WAL included.
    std::fs::create_dir(dir.path().join("wal")).unwrap();
    assert_same(&dump(dir.path()), &want);
}

#[test]
fn head_replays_prometheus_wal() {
    if !have("prometheus") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut prom = SelfScrapingPrometheus::start(dir.path());
    let data = prom.data.clone();
    // Let it scrape itself three times (bounded), then SIGKILL it.
    let wal = data.join("wal");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        let Ok(r) = vigil_tsdb::wal::WalReader::open(&wal) else {
            continue;
        };
        let mut samples = 0;
        let clean = r.for_each(|_, rec| samples += usize::from(rec.first() == Some(&2)));
        if matches!(clean, Ok(None)) && samples >= 3 {
            break;
        }
    }
    prom.kill();

    let (head, report) = Head::open(&data, HeadOptions::default()).unwrap();
    assert_eq!(report.unknown_refs, 0, "{report:?}");
    assert_eq!(report.bad_records, 0, "{report:?}");
    assert!(report.series > 10 && report.samples > 10, "{report:?}");
    let ms = [
        Matcher::new(MatchType::Equal, "__name__", "up").unwrap(),
        Matcher::new(MatchType::Equal, "job", "self").unwrap(),
    ];
    let up: Vec<_> = head.select(i64::MIN, i64::MAX, &ms).collect();
    assert_eq!(up.len(), 1, "one up{{job=\"self\"}} series");
    assert!(up[0].1.len() >= 3, "{:?}", up[0].1);
    assert!(up[0].1.iter().all(|&(_, v)| v == 1.0), "{:?}", up[0].1);
    // The head keeps appending to the same WAL; both survive a reopen.
    let last = up[0].1.last().map_or(0, |s| s.0);
    let mut app = head.appender();
    app.append(&up[0].0, last + 1000, 1.0).unwrap();
    app.commit().unwrap();
    drop(head);
    let (head, again) = Head::open(&data, HeadOptions::default()).unwrap();
    assert_eq!(again.samples, report.samples + 1);
    let up2: Vec<_> = head.select(i64::MIN, i64::MAX, &ms).collect();
    assert_eq!(up2[0].1.len(), up[0].1.len() + 1);
    println!("replayed Prometheus' WAL: {report:?}");
}
