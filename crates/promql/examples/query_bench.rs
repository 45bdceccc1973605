//! Dashboard-query benchmark, Vigil's side (see `bench/promql_queries.sh`,
//! which runs Prometheus beside it on the same block).
//!
//! `query_bench gen DIR END_MS`: writes one block of 10 000 series over the
//! day before `END_MS` at 15 s into the data directory `DIR`: per instance
//! (100) 40 request counters (`http_requests_total{job,instance,method,code}`,
//! with resets), 50 histogram buckets (5 handlers × 10 `le`) and 10 gauges.
//!
//! `query_bench run DIR END_MS QUERY…`: opens `DIR` and evaluates each query
//! as a range query over the 6 h before `END_MS` at a 60 s step, three
//! times; prints per query the best latency in ms and the peak RSS during
//! it (the kernel's high-water mark, reset before each query).

use std::time::Instant;

use vigil_model::Labels;
use vigil_promql::engine::{Engine, EngineOptions};
use vigil_tsdb::block::{BlockWriter, encoded_xor, xor_chunks};
use vigil_tsdb::db::{Db, DbOptions};

const DAY: i64 = 86_400_000;
const STEP: i64 = 15_000;

fn series_set() -> Vec<(Labels, u8)> {
    let mut out = Vec::new();
    for inst in 0..100 {
        let instance = format!("10.0.{}.{}:9100", inst / 10, inst % 10);
        let job = format!("job-{}", inst % 5);
        for m in ["GET", "POST", "PUT", "DELETE"] {
            for code in [
                "200", "201", "301", "400", "401", "403", "404", "429", "500", "503",
            ] {
                out.push((
                    Labels::from_pairs(&[
                        ("__name__", "http_requests_total"),
                        ("code", code),
                        ("instance", &instance),
                        ("job", &job),
                        ("method", m),
                    ]),
                    0,
                ));
            }
        }
        for h in 0..5 {
            for le in [
                "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf",
            ] {
                out.push((
                    Labels::from_pairs(&[
                        ("__name__", "http_request_duration_seconds_bucket"),
                        ("handler", &format!("/api/{h}")),
                        ("instance", &instance),
                        ("job", &job),
                        ("le", le),
                    ]),
                    1,
                ));
            }
        }
        for g in 0..10 {
            out.push((
                Labels::from_pairs(&[
                    ("__name__", "node_load"),
                    ("cpu", &g.to_string()),
                    ("instance", &instance),
                    ("job", &job),
                ]),
                2,
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn generate(dir: &str, end: i64) {
    let start = end - DAY;
    let mut w = BlockWriter::new(std::path::Path::new(dir)).expect("block writer");
    let mut samples = Vec::with_capacity((DAY / STEP) as usize);
    for (i, (labels, kind)) in series_set().into_iter().enumerate() {
        samples.clear();
        let mut v = 0.0f64;
        let mut x = i as u64 * 2_654_435_761 + 1;
        for k in 0..(DAY / STEP) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let t = start + k * STEP + (x % 7) as i64;
            v = match kind {
                0 if k % 2000 == 1999 => 0.0,
                0 => v + (x % 10) as f64,
                1 => v + (x % 4) as f64,
                _ => ((x % 1000) as f64) / 100.0,
            };
            samples.push((t, v));
        }
        let chunks = xor_chunks(&samples).expect("chunks");
        w.add_series(labels, &encoded_xor(&chunks)).expect("series");
    }
    let meta = w.finish(start, end + 1).expect("finish");
    println!(
        "wrote block {} ({} series)",
        meta.ulid, meta.stats.num_series
    );
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn run(dir: &str, end: i64, queries: &[String]) {
    let opts = DbOptions {
        retention_time: 0,
        ..DbOptions::default()
    };
    let (db, _) = Db::open(std::path::Path::new(dir), opts).expect("open");
    let engine = Engine::new(EngineOptions {
        enable_delayed_name_removal: false,
        ..EngineOptions::default()
    });
    let start = end - 6 * 3_600_000;
    for q in queries {
        let mut best = f64::MAX;
        let mut peak = 0;
        let mut series = 0;
        for _ in 0..3 {
            // Reset the high-water mark to the current RSS.
            let _ = std::fs::write("/proc/self/clear_refs", "5");
            let t0 = Instant::now();
            let r = engine.range_query(&db, q, start, end, 60_000);
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            match r {
                Ok(r) => {
                    if let vigil_promql::value::Value::Matrix(m) = r.value {
                        series = m.len();
                    }
                }
                Err(e) => {
                    eprintln!("{q}: {e}");
                    std::process::exit(1);
                }
            }
            best = best.min(ms);
            peak = peak.max(peak_rss_kib());
        }
        println!("{best:.1}\t{peak}\t{series}\t{q}");
        if std::env::var_os("QUERY_BENCH_RSS").is_some() {
            // Where the resident memory is after the query: heap (anon)
            // versus mapped block files (file).
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let rss: Vec<&str> = status
                .lines()
                .filter(|l| l.starts_with("RssAnon") || l.starts_with("RssFile"))
                .collect();
            eprintln!("  {}", rss.join("  "));
        }
    }
}

/// `query_bench dump DIR END_MS QUERY`: the range query's result, one line
/// per point (`labels<TAB>t<TAB>value`), to compare with Prometheus'.
fn dump(dir: &str, end: i64, q: &str) {
    let opts = DbOptions {
        retention_time: 0,
        ..DbOptions::default()
    };
    let (db, _) = Db::open(std::path::Path::new(dir), opts).expect("open");
    let engine = Engine::new(EngineOptions::default());
    let r = engine
        .range_query(&db, q, end - 6 * 3_600_000, end, 60_000)
        .expect("query");
    if let vigil_promql::value::Value::Matrix(m) = r.value {
        for s in m {
            for p in s.floats {
                println!("{}\t{}\t{:?}", s.metric, p.t, p.f);
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let end: Option<i64> = args.get(2).and_then(|s| s.parse().ok());
    match (args.first().map(String::as_str), args.get(1), end) {
        (Some("gen"), Some(dir), Some(end)) => generate(dir, end),
        (Some("run"), Some(dir), Some(end)) => run(dir, end, &args[3..]),
        (Some("dump"), Some(dir), Some(end)) if args.len() == 4 => dump(dir, end, &args[3]),
        _ => {
            eprintln!(
                "usage: query_bench gen DIR END_MS | run DIR END_MS QUERY... | dump DIR END_MS QUERY"
            );
            std::process::exit(2);
        }
    }
}
