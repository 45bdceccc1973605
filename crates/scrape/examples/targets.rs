//! Scrape targets for `bench/scrape.sh`.
//!
//! ```text
//! targets TARGETS_FILE [TARGETS=500] [SERIES=1000]
//! ```
//!
//! Binds TARGETS listeners on ephemeral ports of 127.0.0.1, writes their
//! `host:port` addresses to TARGETS_FILE (one a line, written to a
//! temporary name and renamed once every listener is bound), then serves
//! `/metrics` in the text format 0.0.4 on each until killed. Every target
//! exposes SERIES series (for 1000: 400 counters `app_requests_total`, 195
//! classic-histogram series `app_request_duration_seconds` of 15 handlers,
//! 400 gauges `app_queue_depth`, 5 process gauges); counters grow with the
//! wall clock at per-series rates and gauges move, so every scrape sees new
//! values, as with real exporters.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const CODES: [&str; 5] = ["200", "201", "404", "500", "503"];
const LES: [&str; 11] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf",
];

struct Target {
    /// Target index, which varies the rates between targets.
    id: usize,
    series: usize,
    started: Instant,
}

fn render(t: &Target) -> String {
    let secs = t.started.elapsed().as_secs_f64();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let mut out = String::with_capacity(t.series * 70);
    let mut left = t.series;
    let rate = |k: usize| 0.1 + ((t.id * 31 + k * 17) % 97) as f64 / 10.0;

    let counters = left.min(t.series * 2 / 5);
    left -= counters;
    out.push_str("# HELP app_requests_total Requests served.\n# TYPE app_requests_total counter\n");
    for k in 0..counters {
        let v = (secs * rate(k)).floor() + (k * 1000) as f64;
        let _ = writeln!(
            out,
            "app_requests_total{{handler=\"/h{}\",code=\"{}\"}} {v}",
            k / CODES.len(),
            CODES[k % CODES.len()]
        );
    }

    let handlers = (left.min(195)) / (LES.len() + 2);
    left -= handlers * (LES.len() + 2);
    out.push_str(
        "# HELP app_request_duration_seconds Request latency.\n# TYPE app_request_duration_seconds histogram\n",
    );
    for h in 0..handlers {
        let count = (secs * rate(h) * 3.0).floor() + 100.0;
        for (i, le) in LES.iter().enumerate() {
            let frac = if i + 1 == LES.len() {
                1.0
            } else {
                1.0 - (-(i as f64 + 1.0) / 3.0).exp()
            };
            let _ = writeln!(
                out,
                "app_request_duration_seconds_bucket{{handler=\"/h{h}\",le=\"{le}\"}} {}",
                (count * frac).floor()
            );
        }
        let _ = writeln!(
            out,
            "app_request_duration_seconds_sum{{handler=\"/h{h}\"}} {:.3}",
            count * 0.042
        );
        let _ = writeln!(
            out,
            "app_request_duration_seconds_count{{handler=\"/h{h}\"}} {count}"
        );
    }

    let process = left.min(5);
    let gauges = left - process;
    out.push_str("# HELP app_queue_depth Items queued.\n# TYPE app_queue_depth gauge\n");
    for q in 0..gauges {
        let v = ((now / 60.0 + q as f64).sin() * 50.0 + 50.0 + (t.id % 7) as f64).round();
        let _ = writeln!(out, "app_queue_depth{{queue=\"q{q}\"}} {v}");
    }
    let names = [
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_cpu_seconds_total",
        "process_start_time_seconds",
    ];
    for name in names.iter().take(process) {
        let v = match *name {
            "process_cpu_seconds_total" => secs * 0.01 * (1 + t.id % 5) as f64,
            "process_start_time_seconds" => 1.7e9,
            "process_open_fds" => (20.0 + (now / 30.0).sin() * 5.0).round(),
            _ => (5.0e7 + (now / 45.0).sin() * 1.0e6).round(),
        };
        let _ = writeln!(out, "# TYPE {name} gauge\n{name} {v}");
    }
    out
}

async fn metrics(State(t): State<Arc<Target>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&t),
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let Some(file) = args.get(1) else {
        eprintln!("usage: targets TARGETS_FILE [TARGETS=500] [SERIES=1000]");
        std::process::exit(2);
    };
    let n: usize = args.get(2).map_or(500, |a| a.parse().expect("TARGETS"));
    let series: usize = args.get(3).map_or(1000, |a| a.parse().expect("SERIES"));
    let started = Instant::now();
    let mut addrs = String::new();
    let mut servers = Vec::new();
    for id in 0..n {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let _ = writeln!(addrs, "{}", listener.local_addr()?);
        let app = Router::new()
            .route("/metrics", get(metrics))
            .with_state(Arc::new(Target {
                id,
                series,
                started,
            }));
        servers.push(tokio::spawn(
            async move { axum::serve(listener, app).await },
        ));
    }
    let tmp = format!("{file}.tmp");
    std::fs::write(&tmp, addrs)?;
    std::fs::rename(&tmp, file)?;
    for s in servers {
        s.await.map_err(std::io::Error::other)??;
    }
    Ok(())
}
