//! Data for `bench/rules_eval.sh`: writes a Prometheus WAL (`DIR/wal`) that
//! both Vigil and Prometheus replay into their head, so the recording rules
//! read head data, as they do in real use.
//!
//! `rules_bench_data DIR START_MS END_MS`: 100 000 series sampled every 15 s
//! from `START_MS` to `END_MS` (each instance at its own offset in the
//! interval, as scrapes are spread). 10 jobs × 20 instances; per instance:
//! - `http_requests_total{job,instance,handler,method,code}`: 15 handlers ×
//!   4 methods × 5 codes = 300 counters (with a rare reset);
//! - `http_request_duration_seconds_bucket{job,instance,handler,le}`:
//!   15 handlers × 10 `le` = 150 cumulative buckets, monotonic in `le`;
//! - `node_load{job,instance,cpu}`: 50 gauges.
//!
//! 200 × (300 + 150 + 50) = 100 000 series.

use vigil_model::Labels;
use vigil_tsdb::record::{RefSample, RefSeries, encode_samples, encode_series};
use vigil_tsdb::wal::WalWriter;

const STEP: i64 = 15_000;
const BATCH: usize = 10_000;
const HANDLERS: usize = 15;
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const CODES: [&str; 5] = ["200", "201", "404", "500", "503"];
const LES: [&str; 10] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf",
];
const CDF: [f64; 10] = [0.02, 0.05, 0.15, 0.35, 0.6, 0.8, 0.9, 0.96, 0.99, 1.0];

enum Kind {
    Counter,
    /// Bucket `le` index of the histogram at `hist` (index into the
    /// per-step histogram counts).
    Bucket(usize, usize),
    Gauge,
}

fn series_set() -> Vec<(Labels, Kind, i64)> {
    let mut out = Vec::with_capacity(100_000);
    let mut hist = 0;
    for inst in 0..200usize {
        let job = format!("job-{}", inst % 10);
        let instance = format!("10.0.{}.{}:8080", inst / 100, inst % 100);
        let offset = inst as i64 * 75;
        for h in 0..HANDLERS {
            let handler = format!("/api/v1/h{h}");
            for m in METHODS {
                for c in CODES {
                    out.push((
                        Labels::from_pairs(&[
                            ("__name__", "http_requests_total"),
                            ("code", c),
                            ("handler", &handler),
                            ("instance", &instance),
                            ("job", &job),
                            ("method", m),
                        ]),
                        Kind::Counter,
                        offset,
                    ));
                }
            }
            for (i, le) in LES.iter().enumerate() {
                out.push((
                    Labels::from_pairs(&[
                        ("__name__", "http_request_duration_seconds_bucket"),
                        ("handler", &handler),
                        ("instance", &instance),
                        ("job", &job),
                        ("le", le),
                    ]),
                    Kind::Bucket(hist, i),
                    offset,
                ));
            }
            hist += 1;
        }
        for cpu in 0..50 {
            out.push((
                Labels::from_pairs(&[
                    ("__name__", "node_load"),
                    ("cpu", &cpu.to_string()),
                    ("instance", &instance),
                    ("job", &job),
                ]),
                Kind::Gauge,
                offset,
            ));
        }
    }
    out
}

fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(start), Some(end)) = (
        args.first(),
        args.get(1).and_then(|s| s.parse::<i64>().ok()),
        args.get(2).and_then(|s| s.parse::<i64>().ok()),
    ) else {
        eprintln!("usage: rules_bench_data DIR START_MS END_MS");
        std::process::exit(2);
    };
    let set = series_set();
    let nhist = 200 * HANDLERS;
    let wal_dir = std::path::Path::new(dir).join("wal");
    let mut wal = WalWriter::open(&wal_dir, None, true).expect("open WAL");

    let mut buf = Vec::new();
    for (b, chunk) in set.chunks(BATCH).enumerate() {
        let refs: Vec<RefSeries> = chunk
            .iter()
            .enumerate()
            .map(|(i, (labels, _, _))| RefSeries {
                series: (b * BATCH + i + 1) as u64,
                labels: labels.clone(),
            })
            .collect();
        buf.clear();
        encode_series(&mut buf, &refs);
        wal.log(&[&buf]).expect("log series");
    }

    let mut counters = vec![0.0f64; set.len()];
    let mut hist_counts = vec![0.0f64; nhist];
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let steps = (end - start) / STEP + 1;
    let mut samples = Vec::with_capacity(BATCH);
    for k in 0..steps {
        let base = start + k * STEP;
        for c in hist_counts.iter_mut() {
            *c += (xorshift(&mut rng) % 20) as f64;
        }
        for (b, chunk) in set.chunks(BATCH).enumerate() {
            samples.clear();
            for (i, (_, kind, offset)) in chunk.iter().enumerate() {
                let idx = b * BATCH + i;
                let x = xorshift(&mut rng);
                let v = match kind {
                    Kind::Counter => {
                        if x % 5000 == 0 {
                            counters[idx] = 0.0;
                        } else {
                            counters[idx] += (x % 10) as f64;
                        }
                        counters[idx]
                    }
                    Kind::Bucket(h, le) => (hist_counts[*h] * CDF[*le]).floor(),
                    Kind::Gauge => (x % 1000) as f64 / 100.0,
                };
                samples.push(RefSample {
                    series: idx as u64 + 1,
                    t: base + offset,
                    v,
                });
            }
            buf.clear();
            encode_samples(&mut buf, &samples);
            wal.log(&[&buf]).expect("log samples");
        }
    }
    wal.sync().expect("sync WAL");
    println!(
        "wrote {} series x {} samples ({} .. {}) to {}",
        set.len(),
        steps,
        start,
        end,
        wal_dir.display()
    );
}
