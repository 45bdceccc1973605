//! Remote-write load generator for `bench/remote_write_ingest.sh`.
//!
//! ```text
//! rw_load gen DIR END_MS [SERIES=10000] [HOURS=2] [SHARDS=4]
//! rw_load send DIR URL [MAX_LEAD_STEPS=10]
//! ```
//!
//! `gen` writes the requests once: SERIES series (100 per instance, 5 jobs:
//! 20 counters `http_requests_total` with resets, 24 classic-histogram
//! series `http_request_duration_seconds_{bucket,sum,count}` with `le`
//! buckets, 56 gauges `queue_depth`, `node_load`, `up`) × HOURS ending at
//! END_MS every 15 s, each sample's timestamp jittered by up to ±5 ms. The
//! series are split over SHARDS shards the way Prometheus' remote-write
//! queue hashes series to shards; each shard gets one request per 15 s step
//! (all its series, one sample each), a snappy-compressed
//! `prometheus.WriteRequest` (remote write 1.0). The file `DIR/shard-N`
//! holds that shard's requests in time order, each prefixed by its length
//! (u32 little-endian).
//!
//! `send` loads every file into memory, then replays them with one
//! keep-alive connection per shard, each sending its requests in order; a
//! shard waits while it is more than MAX_LEAD_STEPS steps ahead of the
//! slowest, as Prometheus' shards progress together. It prints
//! `requests=N errors=E samples=S seconds=T samples_per_second=R` and the
//! first error bodies to stderr.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use prost::Message;
use vigil_web::remote_write::{Label, Sample, TimeSeries, WriteRequest};

const STEP_MS: i64 = 15_000;
const JOBS: [&str; 5] = ["api", "web", "db", "cache", "queue"];
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const CODES: [&str; 5] = ["200", "201", "404", "500", "503"];
const LES: [&str; 10] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf",
];

/// A small deterministic PRNG (xorshift64*), so runs generate the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Clone, Copy)]
enum Kind {
    /// A counter growing by about `rate` per second, reset now and then.
    Counter { rate: f64 },
    /// A cumulative histogram bucket: share `frac` of the handler's requests.
    Bucket { handler: usize, frac: f64 },
    /// The `_sum` of a histogram.
    HistSum { handler: usize },
    /// The `_count` of a histogram.
    HistCount { handler: usize },
    /// A gauge wandering around `base`.
    Gauge { base: f64, amp: f64 },
    /// The constant 1 (`up`).
    One,
}

struct Series {
    labels: Vec<Label>,
    kind: Kind,
    /// The instance this series belongs to (histograms share a counter).
    instance: usize,
    value: f64,
}

fn label(name: &str, value: &str) -> Label {
    Label {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

fn make_series(n: usize, rng: &mut Rng) -> Vec<Series> {
    let instances = n.div_ceil(100);
    let mut out = Vec::with_capacity(instances * 100);
    for i in 0..instances {
        let job = JOBS[i % JOBS.len()];
        let inst = format!("10.0.{}.{}:9100", i / 250, i % 250);
        let base = |name: &str| {
            vec![
                label("__name__", name),
                label("instance", &inst),
                label("job", job),
            ]
        };
        let mut push = |mut labels: Vec<Label>, kind: Kind| {
            labels.sort_by(|a, b| a.name.cmp(&b.name));
            out.push(Series {
                labels,
                kind,
                instance: i,
                value: 0.0,
            });
        };
        for m in METHODS {
            for c in CODES {
                let mut l = base("http_requests_total");
                l.push(label("method", m));
                l.push(label("code", c));
                let rate = if c.starts_with('2') {
                    5.0 + 20.0 * rng.unit()
                } else {
                    0.5 * rng.unit()
                };
                push(l, Kind::Counter { rate });
            }
        }
        for h in 0..2 {
            let handler = format!("/api/v{h}");
            for (k, le) in LES.iter().enumerate() {
                let mut l = base("http_request_duration_seconds_bucket");
                l.push(label("handler", &handler));
                l.push(label("le", le));
                let frac = if k + 1 == LES.len() {
                    1.0
                } else {
                    1.0 - (-(k as f64 + 1.0) / 3.0).exp()
                };
                push(l, Kind::Bucket { handler: h, frac });
            }
            let mut l = base("http_request_duration_seconds_sum");
            l.push(label("handler", &handler));
            push(l, Kind::HistSum { handler: h });
            let mut l = base("http_request_duration_seconds_count");
            l.push(label("handler", &handler));
            push(l, Kind::HistCount { handler: h });
        }
        for q in 0..54 {
            let mut l = base("queue_depth");
            l.push(label("queue", &format!("q{q}")));
            push(
                l,
                Kind::Gauge {
                    base: 100.0 * rng.unit(),
                    amp: 10.0,
                },
            );
        }
        push(
            base("node_load"),
            Kind::Gauge {
                base: 4.0 * rng.unit(),
                amp: 0.5,
            },
        );
        push(base("up"), Kind::One);
    }
    out.truncate(n);
    out
}

fn generate(dir: &Path, end_ms: i64, n: usize, hours: i64, shards: usize) -> std::io::Result<()> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut series = make_series(n, &mut rng);
    let steps = hours * 3600 * 1000 / STEP_MS;
    let start = end_ms - (steps - 1) * STEP_MS;
    // Histogram request counters per (instance, handler).
    let instances = n.div_ceil(100);
    let mut hist_count = vec![[0.0f64; 2]; instances];
    let mut hist_sum = vec![[0.0f64; 2]; instances];
    let mut files: Vec<_> = (0..shards)
        .map(|s| fs::File::create(dir.join(format!("shard-{s}"))).map(std::io::BufWriter::new))
        .collect::<Result<_, _>>()?;
    let mut enc = snap::raw::Encoder::new();
    let mut total_bytes = 0usize;
    for step in 0..steps {
        let t = start + step * STEP_MS;
        // Advance the histograms of every instance first.
        for (counts, sums) in hist_count.iter_mut().zip(hist_sum.iter_mut()) {
            for (count, sum) in counts.iter_mut().zip(sums.iter_mut()) {
                let reqs = (50.0 + 50.0 * rng.unit()).floor();
                *count += reqs;
                *sum += reqs * (0.02 + 0.1 * rng.unit());
            }
        }
        let mut reqs: Vec<WriteRequest> = (0..shards).map(|_| WriteRequest::default()).collect();
        for (idx, s) in series.iter_mut().enumerate() {
            s.value = match s.kind {
                Kind::Counter { rate } => {
                    // A reset about once per 2 h per series.
                    if rng.next() % 480 == 0 {
                        0.0
                    } else {
                        s.value + (rate * 15.0 * (0.8 + 0.4 * rng.unit())).floor()
                    }
                }
                Kind::Bucket { handler, frac } => (hist_count[s.instance][handler] * frac).floor(),
                Kind::HistSum { handler } => hist_sum[s.instance][handler],
                Kind::HistCount { handler } => hist_count[s.instance][handler],
                Kind::Gauge { base, amp } => {
                    let phase = (t as f64 / 600_000.0) + idx as f64;
                    ((base + amp * phase.sin() + amp * 0.2 * rng.unit()) * 100.0).round() / 100.0
                }
                Kind::One => 1.0,
            };
            let jitter = (rng.next() % 11) as i64 - 5;
            // Prometheus' queue manager hashes series to shards; any stable
            // split does here.
            let shard = idx * 2654435761 % 1_000_003 % shards;
            reqs[shard].timeseries.push(TimeSeries {
                labels: s.labels.clone(),
                samples: vec![Sample {
                    value: s.value,
                    timestamp: t + jitter,
                }],
                exemplars: vec![],
                histograms: vec![],
            });
        }
        for (s, req) in reqs.iter().enumerate() {
            let raw = req.encode_to_vec();
            let body = enc.compress_vec(&raw).map_err(std::io::Error::other)?;
            total_bytes += body.len();
            files[s].write_all(&(body.len() as u32).to_le_bytes())?;
            files[s].write_all(&body)?;
        }
    }
    for f in &mut files {
        f.flush()?;
    }
    println!(
        "series={} steps={} samples={} shards={} requests={} compressed_bytes={} start_ms={} end_ms={}",
        series.len(),
        steps,
        series.len() as i64 * steps,
        shards,
        steps * shards as i64,
        total_bytes,
        start,
        end_ms
    );
    Ok(())
}

fn load_shard(path: &Path) -> std::io::Result<Vec<Vec<u8>>> {
    let data = fs::read(path)?;
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 4 <= data.len() {
        let len = u32::from_le_bytes(data[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        pos += 4;
        out.push(data[pos..pos + len].to_vec());
        pos += len;
    }
    Ok(out)
}

fn samples_in(body: &[u8]) -> u64 {
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .expect("snappy");
    let req = WriteRequest::decode(raw.as_slice()).expect("protobuf");
    req.timeseries.iter().map(|t| t.samples.len() as u64).sum()
}

async fn send(dir: &Path, url: &str, max_lead: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut shards = Vec::new();
    for s in 0.. {
        let p = dir.join(format!("shard-{s}"));
        if !p.exists() {
            break;
        }
        shards.push(load_shard(&p)?);
    }
    let samples: u64 = shards.iter().flatten().map(|b| samples_in(b)).sum();
    let n = shards.len();
    let progress: Arc<Vec<AtomicUsize>> = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
    let errors = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (s, reqs) in shards.into_iter().enumerate() {
        // One client (one keep-alive connection) per shard.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        let url = url.to_owned();
        let progress = progress.clone();
        let errors = errors.clone();
        let requests = requests.clone();
        tasks.push(tokio::spawn(async move {
            for (i, body) in reqs.into_iter().enumerate() {
                // Bounded wait for the slowest shard (at most ~10 min).
                for _ in 0..600_000 {
                    let slowest = progress
                        .iter()
                        .map(|p| p.load(Ordering::Acquire))
                        .min()
                        .unwrap_or(0);
                    if i <= slowest + max_lead {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                let mut ok = false;
                // Retry 5xx and connection errors a few times, as senders do.
                for attempt in 0..5 {
                    let resp = client
                        .post(&url)
                        .header("Content-Encoding", "snappy")
                        .header("Content-Type", "application/x-protobuf")
                        .header("User-Agent", "vigil-rw-load")
                        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                        .body(body.clone())
                        .send()
                        .await;
                    match resp {
                        Ok(r) if r.status().is_success() => {
                            ok = true;
                            break;
                        }
                        Ok(r) => {
                            let status = r.status();
                            let text = r.text().await.unwrap_or_default();
                            if errors.load(Ordering::Relaxed) < 5 {
                                eprintln!("shard {s} request {i}: {status}: {}", text.trim());
                            }
                            if status.is_client_error() {
                                break;
                            }
                        }
                        Err(e) => {
                            if errors.load(Ordering::Relaxed) < 5 {
                                eprintln!("shard {s} request {i} attempt {attempt}: {e}");
                            }
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                requests.fetch_add(1, Ordering::Relaxed);
                progress[s].store(i + 1, Ordering::Release);
            }
            progress[s].store(usize::MAX / 2, Ordering::Release);
        }));
    }
    for t in tasks {
        t.await?;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "requests={} errors={} samples={} seconds={:.3} samples_per_second={:.0}",
        requests.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        samples,
        secs,
        samples as f64 / secs
    );
    Ok(())
}

fn usage() -> ! {
    eprintln!(
        "usage: rw_load gen DIR END_MS [SERIES] [HOURS] [SHARDS] | rw_load send DIR URL [MAX_LEAD]"
    );
    std::process::exit(2)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: &str| args.get(i).cloned().unwrap_or_else(|| d.to_owned());
    match args.get(1).map(String::as_str) {
        Some("gen") if args.len() >= 4 => {
            let dir = Path::new(&args[2]);
            fs::create_dir_all(dir)?;
            generate(
                dir,
                args[3].parse()?,
                arg(4, "10000").parse()?,
                arg(5, "2").parse()?,
                arg(6, "4").parse()?,
            )?;
        }
        Some("send") if args.len() >= 4 => {
            send(Path::new(&args[2]), &args[3], arg(4, "10").parse()?).await?;
        }
        _ => usage(),
    }
    Ok(())
}
