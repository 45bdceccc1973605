//! Parser throughput over generated ~10 MB scrape bodies with realistic label
//! sets (HTTP servers, histograms, summaries, node-exporter style gauges).
//!
//! Two cases per format: `hot` walks every sample the way a scrape with a warm
//! cache does (raw series bytes, value, timestamp); `labels` also builds every
//! label set, as a cold cache does. Criterion prints MB/s (`bytes`) and
//! samples/s (`samples`).

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil_exposition::openmetrics::OpenMetricsParser;
use vigil_exposition::text::TextParser;
use vigil_exposition::{Entry, Parser};
use vigil_model::LabelsBuilder;

const TARGET_BYTES: usize = 10 << 20;

#[derive(Clone, Copy, PartialEq)]
enum Flavour {
    Text,
    /// Strict: every OpenMetrics validity rule (what `check metrics` uses).
    OpenMetrics,
    /// Lenient: syntax only, as scraping parses OpenMetrics.
    OpenMetricsLenient,
}

/// Builds a body of about `TARGET_BYTES` and returns it with its sample count.
fn generate(flavour: Flavour) -> (Vec<u8>, usize) {
    let om = flavour != Flavour::Text;
    let mut s = String::with_capacity(TARGET_BYTES + (1 << 20));
    let mut samples = 0usize;
    let methods = ["GET", "POST", "PUT", "DELETE"];
    let codes = ["200", "201", "304", "400", "404", "500", "503"];
    let les = [
        "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
    ];
    let mut fam = 0usize;
    while s.len() < TARGET_BYTES {
        // Counters: http_requests_total by handler/method/code.
        let name = format!("app{fam}_http_requests");
        // OpenMetrics names a counter family without `_total`; text 0.0.4
        // declares the sample name.
        let family = if om {
            name.clone()
        } else {
            format!("{name}_total")
        };
        let _ = writeln!(
            s,
            "# HELP {family} Total HTTP requests handled, by handler, method and status code."
        );
        let _ = writeln!(s, "# TYPE {family} counter");
        for h in 0..8 {
            for m in methods {
                for c in codes {
                    let v = (fam * 7919 + h * 104729 + c.len() * 31) as f64 * 1.5;
                    let _ = writeln!(
                        s,
                        "{name}_total{{handler=\"/api/v1/resource{h}/items\",method=\"{m}\",code=\"{c}\",instance=\"10.0.{}.{}:8080\",job=\"api-server\"}} {v}",
                        fam % 256,
                        h
                    );
                    samples += 1;
                }
            }
        }
        // A classic histogram of request durations.
        let name = format!("app{fam}_http_request_duration_seconds");
        let _ = writeln!(s, "# HELP {name} Request latency in seconds.");
        let _ = writeln!(s, "# TYPE {name} histogram");
        for h in 0..8 {
            let labels = format!(
                "handler=\"/api/v1/resource{h}/items\",instance=\"10.0.{}.{}:8080\",job=\"api-server\"",
                fam % 256,
                h
            );
            let mut cum = 0u64;
            for le in les {
                cum += (h as u64 + 3) * 17;
                let _ = writeln!(s, "{name}_bucket{{{labels},le=\"{le}\"}} {cum}");
                samples += 1;
            }
            let _ = writeln!(s, "{name}_sum{{{labels}}} {}", cum as f64 * 0.0375);
            let _ = writeln!(s, "{name}_count{{{labels}}} {cum}");
            samples += 2;
        }
        // Node-exporter style gauges with timestamps.
        let name = format!("node{fam}_filesystem_avail_bytes");
        let _ = writeln!(
            s,
            "# HELP {name} Filesystem space available to non-root users in bytes."
        );
        let _ = writeln!(s, "# TYPE {name} gauge");
        for d in 0..16 {
            let v = 1.2345678e10 + (d * fam) as f64;
            if om {
                let _ = writeln!(
                    s,
                    "{name}{{device=\"/dev/sda{d}\",fstype=\"ext4\",mountpoint=\"/mnt/disk{d}\"}} {v} 1700000000.123"
                );
            } else {
                let _ = writeln!(
                    s,
                    "{name}{{device=\"/dev/sda{d}\",fstype=\"ext4\",mountpoint=\"/mnt/disk{d}\"}} {v} 1700000000123"
                );
            }
            samples += 1;
        }
        fam += 1;
    }
    if om {
        s.push_str("# EOF\n");
    }
    (s.into_bytes(), samples)
}

/// Walks every entry; with `labels`, materialises every label set too.
fn walk<P: Parser>(mut p: P, labels: bool, b: &mut LabelsBuilder) -> usize {
    let mut n = 0usize;
    loop {
        let e = match p.next() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(e) => panic!("generated body does not parse: {e}"),
        };
        if e == Entry::Series {
            let (raw, t, v) = p.series();
            black_box((raw, t, v));
            if labels {
                p.labels(b);
                black_box(b.build());
            }
            n += 1;
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let mut b = LabelsBuilder::new();
    for flavour in [
        Flavour::Text,
        Flavour::OpenMetrics,
        Flavour::OpenMetricsLenient,
    ] {
        let (body, samples) = generate(flavour);
        let fname = match flavour {
            Flavour::Text => "text",
            Flavour::OpenMetrics => "openmetrics",
            Flavour::OpenMetricsLenient => "openmetrics_lenient",
        };
        let parse = |body: &[u8], labels: bool, b: &mut LabelsBuilder| match flavour {
            Flavour::Text => walk(TextParser::new(body), labels, b),
            Flavour::OpenMetrics => walk(OpenMetricsParser::new(body), labels, b),
            Flavour::OpenMetricsLenient => walk(OpenMetricsParser::lenient(body), labels, b),
        };
        // The generated body must parse fully, or the figures mean nothing.
        assert_eq!(
            parse(&body, false, &mut b),
            samples,
            "{fname}: generated body did not parse fully"
        );
        for (unit, tp) in [
            ("bytes", Throughput::Bytes(body.len() as u64)),
            ("samples", Throughput::Elements(samples as u64)),
        ] {
            let mut g = c.benchmark_group(format!("parse_{fname}_{unit}"));
            g.throughput(tp);
            g.sample_size(10);
            g.bench_function("hot", |bench| {
                bench.iter(|| parse(black_box(&body), false, &mut b))
            });
            g.bench_function("labels", |bench| {
                bench.iter(|| parse(black_box(&body), true, &mut b))
            });
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
