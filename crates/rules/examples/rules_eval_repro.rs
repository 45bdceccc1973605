//! In-process reproduction of `bench/rules_eval.sh`'s evaluation: opens a
//! data directory written by `rules_bench_data` (its WAL replays into the
//! head) and evaluates one group's 100 recording-rule expressions at one
//! timestamp, round after round, printing each round's wall and CPU time.
//!
//! `rules_eval_repro DIR TS_MS [ROUNDS] [JOB]`: `DIR` from
//! `rules_bench_data DIR START END` with `START < TS_MS - 300000`.
//! `REPRO_ONLY=I` evaluates only expression I (profiling one shape).
//!
//! The data directory is opened read-write (the WAL is replayed), so use a
//! scratch copy if it matters.

use std::time::Instant;

use vigil_promql::engine::{Engine, EngineOptions};
use vigil_promql::value::Value;
use vigil_tsdb::db::{Db, DbOptions};

/// The expressions of group `job`, as `bench/rules_eval.sh` writes them.
fn group_exprs(job: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(100);
    for h in 0..15 {
        let hl = format!(r#"job="{job}",handler="/api/v1/h{h}""#);
        out.push(format!(
            r#"sum by (job, handler) (rate(http_requests_total{{{hl},method="GET"}}[5m]))"#
        ));
        out.push(format!(
            r#"sum by (job, handler, code) (rate(http_requests_total{{{hl},method="POST"}}[5m]))"#
        ));
        out.push(format!(
            r#"sum by (job, handler, method) (rate(http_requests_total{{{hl},code="500"}}[5m]))"#
        ));
        out.push(format!(
            r#"sum by (job, handler) (rate(http_requests_total{{{hl},method="GET",code=~"5.."}}[5m])) / sum by (job, handler) (rate(http_requests_total{{{hl},method="GET"}}[5m]))"#
        ));
        for q in ["0.5", "0.99"] {
            out.push(format!(
                r#"histogram_quantile({q}, sum by (job, handler, le) (rate(http_request_duration_seconds_bucket{{{hl}}}[5m])))"#
            ));
        }
    }
    let j = format!(r#"job="{job}""#);
    out.extend([
        format!(r#"sum by (job) (rate(http_requests_total{{{j},code="500"}}[5m]))"#),
        format!(r#"sum by (job, method) (rate(http_requests_total{{{j},code="503"}}[5m]))"#),
        format!(r#"sum by (job, code) (rate(http_requests_total{{{j},method="DELETE"}}[5m]))"#),
        format!(
            r#"sum by (job, instance) (rate(http_requests_total{{{j},method="GET",code="200"}}[5m]))"#
        ),
        format!(r#"sum by (job) (rate(http_requests_total{{{j},method="GET",code=~"5.."}}[5m]))"#),
        format!(
            r#"histogram_quantile(0.9, sum by (job, le) (rate(http_request_duration_seconds_bucket{{{j},handler=~"/api/v1/h[0-4]"}}[5m])))"#
        ),
        format!("avg by (job, instance) (node_load{{{j}}})"),
        format!("max by (job, instance) (node_load{{{j}}})"),
        format!("avg by (job) (avg_over_time(node_load{{{j}}}[5m]))"),
        format!("count by (job) (node_load{{{j}}} > 5)"),
    ]);
    out
}

/// CPU seconds (user + system) this process has used.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) end with ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(ts)) = (
        args.first(),
        args.get(1).and_then(|s| s.parse::<i64>().ok()),
    ) else {
        eprintln!("usage: rules_eval_repro DIR TS_MS [ROUNDS] [JOB]");
        std::process::exit(2);
    };
    let rounds: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let job = args.get(3).cloned().unwrap_or_else(|| "job-0".into());
    let only: Option<usize> = std::env::var("REPRO_ONLY")
        .ok()
        .and_then(|s| s.parse().ok());

    let t0 = Instant::now();
    let (db, _) = Db::open(std::path::Path::new(dir), DbOptions::default()).expect("open db");
    eprintln!("replayed in {:.1} s", t0.elapsed().as_secs_f64());
    let engine = Engine::new(EngineOptions::default());
    let exprs: Vec<String> = group_exprs(&job)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| only.is_none_or(|o| o == *i))
        .map(|(_, e)| e)
        .collect();

    let mut checksum = 0.0f64;
    let mut outputs = 0usize;
    for round in 0..rounds {
        let (w, c) = (Instant::now(), cpu_seconds());
        for e in &exprs {
            let r = engine.instant_query(&db, e, ts).expect("query");
            if let Value::Vector(v) = r.value {
                outputs += v.len();
                checksum += v.iter().map(|s| s.f).filter(|f| f.is_finite()).sum::<f64>();
            }
        }
        println!(
            "round {round}: {:.1} ms wall, {:.0} ms cpu",
            w.elapsed().as_secs_f64() * 1e3,
            (cpu_seconds() - c) * 1e3
        );
    }
    println!("outputs {outputs}, checksum {checksum:.6}");
}
