//! The append workload of `promtool tsdb bench write` (and `vigil tool tsdb
//! bench write`) on the head alone, for profiling without building the
//! whole binary: N series with six labels, S scrapes 30 s apart, threads of
//! 1000 series × 100 scrapes, one commit per scrape and thread, WAL on.
//!
//! `cargo run --release -p vigil-tsdb --example bench_write -- [N] [S]
//! [--no-wal-compression]`

use std::time::Instant;

use vigil_model::Labels;
use vigil_tsdb::head::{Head, HeadOptions, SeriesRef};

/// CPU seconds (user + system) this process used so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the
    // 12th and 13th of them, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(10_000);
    let scrapes = args.get(1).copied().unwrap_or(1000);
    let series: Vec<Labels> = (0..n)
        .map(|i| {
            Labels::from_pairs(&[
                ("__name__", format!("metric_{}", i % 400)),
                ("instance", format!("host-{}.example.net", i % 97)),
                ("job", format!("job-{}", i % 13)),
                ("handler", format!("/api/v1/item{}", i % 29)),
                ("method", "GET".to_string()),
                ("code", format!("{}", 200 + i % 5)),
                ("i", i.to_string()),
            ])
        })
        .collect();
    let tmp = tempfile::tempdir()?;
    // promtool's benchmark opens its DB without WAL compression.
    let compress = !std::env::args().any(|a| a == "--no-wal-compression");
    let opts = HeadOptions {
        wal_compression: compress,
        ..HeadOptions::default()
    };
    let (head, _) = Head::open(tmp.path(), opts)?;
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let mut done = 0;
    while done < scrapes {
        let batch = 100.min(scrapes - done);
        let base = 30_000 * done as i64;
        std::thread::scope(|s| {
            for part in series.chunks(1000) {
                let head = &head;
                s.spawn(move || {
                    let mut refs: Vec<Option<SeriesRef>> = vec![None; part.len()];
                    let mut t = base;
                    for k in 0..batch {
                        t += 30_000;
                        let v = 123_456_789.0 + 1000.0 * (done + k) as f64;
                        let mut app = head.appender();
                        for (l, r) in part.iter().zip(refs.iter_mut()) {
                            let got = match *r {
                                Some(x) => app.append_ref(x, t, v),
                                None => app.append(l, t, v),
                            };
                            *r = got.ok();
                        }
                        app.commit().ok();
                    }
                });
            }
        });
        done += batch;
    }
    let took = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let total = (n * scrapes) as f64;
    println!(
        "{n} series x {scrapes} scrapes: {:.0} samples/s, {took:.2} s, {cpu:.2} CPU s ({:.0} ns CPU per sample)",
        total / took,
        cpu * 1e9 / total
    );
    Ok(())
}
