//! Bytes of resident memory per head series.
//!
//! Creates N series (default 100 000) with six labels and one or two
//! samples each in a head, and prints the process' RSS growth
//! (`/proc/self/statm`) divided by N, and the whole process' RSS. Label
//! sets are built as they are appended and dropped, so the process holds
//! only the head's copies (the series references are kept, as a scrape
//! cache keeps them).
//!
//! `cargo run --release -p vigil-tsdb --example head_memory -- [N] [--wal]
//! [--samples=K] [--replay] [--dir=PATH]`: `--replay` reopens the head and
//! times WAL replay; `--dir` keeps the head (and its WAL) in `PATH`;
//! `--open=PATH` only times opening (replaying) the head in `PATH`.

use std::time::Instant;

use vigil_model::Labels;
use vigil_tsdb::head::{Head, HeadOptions};

/// Labels of series `i`, node-exporter-like: 200 metric names × distinct
/// instances; `job`, `env`, `region`, `zone` repeat.
fn series_labels(i: usize) -> Labels {
    let host = i / 200;
    Labels::from_pairs(&[
        ("__name__", format!("node_metric_{}_total", i % 200)),
        (
            "instance",
            format!(
                "10.{}.{}.{}:9100",
                host / 65536,
                (host / 256) % 256,
                host % 256
            ),
        ),
        ("job", format!("job-{}", host % 5)),
        (
            "env",
            (if host % 4 == 0 {
                "staging"
            } else {
                "production"
            })
            .to_string(),
        ),
        ("region", format!("eu-west-{}", host % 3)),
        ("zone", format!("zone-{}", host % 12)),
    ])
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let with_wal = args.iter().any(|a| a == "--wal" || a == "--replay");
    let replay = args.iter().any(|a| a == "--replay");
    let samples: Option<i64> = args
        .iter()
        .find_map(|a| a.strip_prefix("--samples=").and_then(|v| v.parse().ok()));
    if let Some(dir) = args.iter().find_map(|a| a.strip_prefix("--open=")) {
        // Times replay of an existing head directory only.
        let before = rss_bytes();
        let start = Instant::now();
        let (head, report) = Head::open(std::path::Path::new(dir), HeadOptions::default())?;
        let took = start.elapsed();
        let n = head.stats().num_series;
        let rss = rss_bytes();
        println!(
            "replayed {} records, {n} series, {} samples in {took:.2?}; RSS grew {:.1} MiB; process RSS {:.1} MiB, {:.0} bytes per series",
            report.records,
            report.samples,
            rss.saturating_sub(before) as f64 / (1 << 20) as f64,
            rss as f64 / (1 << 20) as f64,
            rss as f64 / n.max(1) as f64
        );
        return Ok(());
    }
    let mut label_bytes = 0usize;

    let keep: Option<std::path::PathBuf> = args
        .iter()
        .find_map(|a| a.strip_prefix("--dir=").map(Into::into));
    let tmp = tempfile::tempdir()?;
    let dir = keep.as_deref().unwrap_or(tmp.path());
    let before = rss_bytes();
    let head = if with_wal || keep.is_some() {
        Head::open(dir, HeadOptions::default())?.0
    } else {
        Head::in_memory(HeadOptions::default())
    };
    let start = Instant::now();
    // By default every series gets one sample and every other one a second;
    // `--samples=K` gives every series K samples (a counter with jitter).
    let rounds = samples.unwrap_or(2);
    let mut total = 0u64;
    let mut refs = Vec::with_capacity(n);
    for round in 0..rounds {
        let t = (round + 1) * 15_000;
        let mut app = head.appender();
        for i in 0..n {
            if samples.is_none() && round == 1 && i % 2 == 1 {
                continue;
            }
            let v = (round * 10 + (i as i64 * 7 + round * 13) % 10) as f64;
            // The first round finds series by labels, later ones by the
            // reference it returned (as a scrape cache does).
            if round == 0 {
                // Labels are made as they are appended and then dropped,
                // as a scrape does, so the process holds only the head's.
                let l = series_labels(i);
                label_bytes += l.heap_bytes();
                refs.push(app.append(&l, t, v)?);
            } else {
                app.append_ref(refs[i], t, v)?;
            }
            total += 1;
            if app.len() >= 10_000 {
                app.commit()?;
                app = head.appender();
            }
        }
        app.commit()?;
    }
    let took = start.elapsed();
    let after = rss_bytes();
    let grown = after.saturating_sub(before);
    println!(
        "{n} series ({} WAL), {total} samples, packed labels {:.1} B/series on average",
        if with_wal || keep.is_some() {
            "with"
        } else {
            "without"
        },
        label_bytes as f64 / n as f64
    );
    println!(
        "RSS grew {:.1} MiB: {:.0} bytes per series (process RSS {:.1} MiB, {:.0} bytes per series); appended in {:.2?} ({:.0} samples/s)",
        grown as f64 / (1 << 20) as f64,
        grown as f64 / n as f64,
        after as f64 / (1 << 20) as f64,
        after as f64 / n as f64,
        took,
        total as f64 / took.as_secs_f64()
    );
    assert_eq!(head.stats().num_series, n);
    if replay {
        drop(head);
        let start = Instant::now();
        let (head, report) = Head::open(dir, HeadOptions::default())?;
        println!(
            "replayed {} records, {} series, {} samples in {:.2?}",
            report.records,
            head.stats().num_series,
            report.samples,
            start.elapsed()
        );
    }
    Ok(())
}
