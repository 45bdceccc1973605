//! `tsdb bench write`: promtool's write benchmark. It reads series label sets
//! from a file (one `{"name":"value",...}` object per line, as Prometheus'
//! `tsdb/testdata/20kseries.json`), then simulates scrapes: every series gets
//! one sample per scrape, 30 s apart, ingested in batches of 1000 series ×
//! 100 scrapes on parallel threads, one appender commit per scrape and batch,
//! exactly the workload promtool generates, so the two can run side by side.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use vigil_model::{Labels, LabelsBuilder};
use vigil_tsdb::head::{Head, HeadOptions, SeriesRef};

use super::TsdbError;
use super::format::go_duration;

/// Milliseconds between simulated scrapes (promtool's `timeDelta`).
const TIME_DELTA: i64 = 30_000;
/// Series per ingesting thread.
const BATCH_SERIES: usize = 1000;
/// Scrapes each thread simulates per round.
const BATCH_SCRAPES: usize = 100;

/// Options of `tsdb bench write`.
#[derive(Debug, Clone)]
pub struct BenchWriteOptions {
    /// Output directory (recreated; the storage lives in `<out>/storage`).
    pub out: std::path::PathBuf,
    /// Number of series to read from the file.
    pub metrics: usize,
    /// Number of scrapes to simulate.
    pub scrapes: usize,
}

/// Reads up to `n` distinct label sets the way promtool does: strip quotes
/// and braces, split pairs on `,` and name from value on `:`.
pub fn read_label_sets(text: &str, n: usize) -> Result<Vec<Labels>, TsdbError> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut b = LabelsBuilder::new();
    for (i, line) in text.lines().enumerate() {
        if out.len() >= n {
            break;
        }
        let clean: String = line
            .chars()
            .filter(|c| !matches!(c, '"' | '{' | '}'))
            .collect();
        b.reset();
        for pair in clean.split(',') {
            let mut parts = pair.split(':');
            let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
                return Err(TsdbError::Bench(format!(
                    "line {}: expected name:value, got {pair:?}",
                    i + 1
                )));
            };
            b.set(name, value);
        }
        let labels = b.build();
        if seen.insert(labels.clone()) {
            out.push(labels);
        }
    }
    Ok(out)
}

/// Times one stage, printing promtool's `>> start` / `>> completed` lines.
fn stage<T>(
    out: &mut String,
    name: &str,
    f: impl FnOnce(&mut String) -> Result<T, TsdbError>,
) -> Result<(T, Duration), TsdbError> {
    let _ = writeln!(out, ">> start stage={name}");
    let start = Instant::now();
    let v = f(out)?;
    let took = start.elapsed();
    let _ = writeln!(
        out,
        ">> completed stage={name} duration={}",
        go_duration(took.as_nanos() as i64)
    );
    Ok((v, took))
}

/// One thread's share: `scrapes` scrapes of `series`, starting after `base`.
fn ingest_shard(
    head: &Head,
    series: &[Labels],
    scrapes: usize,
    base: i64,
) -> Result<u64, TsdbError> {
    let mut refs: Vec<Option<SeriesRef>> = vec![None; series.len()];
    let mut value = 123_456_789i64;
    let mut t = base;
    let mut total = 0u64;
    for _ in 0..scrapes {
        t += TIME_DELTA;
        value += 1000;
        let mut app = head.appender();
        for (labels, r) in series.iter().zip(refs.iter_mut()) {
            let got = match *r {
                Some(existing) => app.append_ref(existing, t, value as f64),
                None => app.append(labels, t, value as f64),
            }
            .map_err(|e| TsdbError::Bench(format!("append: {e}")))?;
            *r = Some(got);
            total += 1;
        }
        app.commit()
            .map_err(|e| TsdbError::Bench(format!("commit: {e}")))?;
    }
    Ok(total)
}

/// Runs the benchmark; returns the report promtool prints (stage timings,
/// total samples, samples per second).
pub fn bench_write(samples_file: &Path, opts: &BenchWriteOptions) -> Result<String, TsdbError> {
    let mut out = String::new();
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TsdbError::io(&path, source)
    };
    match std::fs::remove_dir_all(&opts.out) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&opts.out)(e)),
    }
    let storage = opts.out.join("storage");
    std::fs::create_dir_all(&storage).map_err(io(&storage))?;
    // promtool opens its DB with zero-valued options: no WAL compression.
    let head_opts = HeadOptions {
        wal_compression: false,
        ..HeadOptions::default()
    };
    let (head, _) = Head::open(&storage, head_opts)?;

    let (series, _) = stage(&mut out, "readData", |_| {
        let text = std::fs::read_to_string(samples_file).map_err(io(samples_file))?;
        read_label_sets(&text, opts.metrics)
    })?;

    let total = AtomicU64::new(0);
    let (_, took) = stage(&mut out, "ingestScrapes", |out| {
        let mut i = 0;
        while i < opts.scrapes {
            let scrapes = BATCH_SCRAPES.min(opts.scrapes - i);
            let base = TIME_DELTA * i as i64;
            std::thread::scope(|s| -> Result<(), TsdbError> {
                let handles: Vec<_> = series
                    .chunks(BATCH_SERIES)
                    .map(|batch| s.spawn(|| ingest_shard(&head, batch, scrapes, base)))
                    .collect();
                for h in handles {
                    let n = h
                        .join()
                        .map_err(|_| TsdbError::Bench("an ingesting thread panicked".into()))??;
                    total.fetch_add(n, Ordering::Relaxed);
                }
                Ok(())
            })?;
            i += BATCH_SCRAPES;
        }
        out.push_str("ingestion completed\n");
        Ok(())
    })?;
    let total = total.load(Ordering::Relaxed);
    let _ = writeln!(out, " > total samples: {total}");
    let _ = writeln!(
        out,
        " > samples/sec: {}",
        total as f64 / took.as_secs_f64().max(1e-9)
    );

    stage(&mut out, "stopStorage", |_| {
        head.sync_wal()?;
        drop(head);
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_label_sets_like_promtool() {
        let text = "{\"__name__\":\"up\",\"job\":\"a\"}\n{\"job\":\"a\",\"__name__\":\"up\"}\n{\"__name__\":\"x\"}\n";
        let sets = read_label_sets(text, 10).unwrap();
        assert_eq!(sets.len(), 2, "duplicates in any label order are skipped");
        assert_eq!(sets[0].get("job"), Some("a"));
        assert_eq!(read_label_sets(text, 1).unwrap().len(), 1);
        assert!(read_label_sets("{\"a\"}\n", 10).is_err());
    }

    #[test]
    fn writes_every_sample_and_reopens() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let file = dir.join("series.json");
        let lines: String = (0..1500)
            .map(|i| format!("{{\"__name__\":\"m\",\"i\":\"{i}\"}}\n"))
            .collect();
        std::fs::write(&file, lines).unwrap();
        let opts = BenchWriteOptions {
            out: dir.join("out"),
            metrics: 1200,
            scrapes: 150,
        };
        let report = bench_write(&file, &opts).unwrap();
        assert!(report.contains(" > total samples: 180000"), "{report}");
        let (head, _) = Head::open(&opts.out.join("storage"), HeadOptions::default()).unwrap();
        assert_eq!(head.stats().num_series, 1200);
        drop(head);
    }
}
