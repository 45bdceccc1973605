//! Criterion benchmark of the engine over an in-memory head: 2 000 counter
//! series (20 jobs) × 6 h at 15 s, dashboard-style range queries over the
//! last hour at a 60 s step. The whole-process comparison with Prometheus
//! is `bench/promql_queries.sh`.

use criterion::{Criterion, criterion_group, criterion_main};
use vigil_model::Labels;
use vigil_promql::engine::{Engine, EngineOptions};
use vigil_tsdb::head::{Head, HeadOptions};

const H: i64 = 3_600_000;

fn head() -> Head {
    let head = Head::in_memory(HeadOptions {
        chunk_range: 24 * H,
        ..HeadOptions::default()
    });
    let labels: Vec<Labels> = (0..2000)
        .map(|i| {
            Labels::from_pairs(&[
                ("__name__", "http_requests_total"),
                ("code", if i % 10 == 0 { "500" } else { "200" }),
                ("instance", &format!("host-{i}")),
                ("job", &format!("job-{}", i % 20)),
            ])
        })
        .collect();
    for k in 0..(6 * 240) {
        let mut app = head.appender();
        for (i, l) in labels.iter().enumerate() {
            app.append(l, k * 15_000, (k * (i as i64 % 7 + 1)) as f64)
                .expect("append");
        }
        app.commit().expect("commit");
    }
    head
}

fn bench(c: &mut Criterion) {
    let head = head();
    let engine = Engine::new(EngineOptions::default());
    let (start, end) = (5 * H, 6 * H);
    for (name, q) in [
        ("sum_rate", "sum by (job) (rate(http_requests_total[5m]))"),
        ("topk", "topk(5, rate(http_requests_total[5m]))"),
        ("regex", "sum(rate(http_requests_total{code=~\"5..\"}[5m]))"),
        (
            "subquery",
            "max_over_time(sum(rate(http_requests_total[1m]))[30m:1m])",
        ),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                engine
                    .range_query(&head, q, start, end, 60_000)
                    .expect("query")
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
