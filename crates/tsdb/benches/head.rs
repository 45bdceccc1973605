//! Head append throughput: one commit of one sample for each of 10 000
//! series, by reference (the scrape cache's path) and by labels, with and
//! without the WAL.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil_model::Labels;
use vigil_tsdb::head::{Head, HeadOptions, SeriesRef};

const SERIES: usize = 10_000;

fn series_labels(i: usize) -> Labels {
    let host = i / 200;
    Labels::from_pairs(&[
        ("__name__", format!("node_metric_{}_total", i % 200)),
        (
            "instance",
            format!("10.0.{}.{}:9100", host / 256, host % 256),
        ),
        ("job", format!("job-{}", host % 5)),
        ("env", "production".to_string()),
        ("region", format!("eu-west-{}", host % 3)),
        ("zone", format!("zone-{}", host % 12)),
    ])
}

fn setup(head: &Head, labels: &[Labels]) -> Vec<SeriesRef> {
    let mut app = head.appender();
    let refs = labels
        .iter()
        .map(|l| app.append(l, 0, 0.0).expect("append"))
        .collect();
    app.commit().expect("commit");
    refs
}

fn bench_append(c: &mut Criterion) {
    let labels: Vec<Labels> = (0..SERIES).map(series_labels).collect();
    let mut g = c.benchmark_group("head_append");
    g.throughput(Throughput::Elements(SERIES as u64));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(4));

    let dir = tempfile::tempdir().expect("tempdir");
    let variants: [(&str, Head); 2] = [
        ("memory", Head::in_memory(HeadOptions::default())),
        (
            "wal",
            Head::open(dir.path(), HeadOptions::default())
                .expect("open")
                .0,
        ),
    ];
    for (name, head) in &variants {
        let refs = setup(head, &labels);
        let mut t = 0i64;
        g.bench_function(format!("{name}/by_ref"), |b| {
            b.iter(|| {
                t += 15_000;
                let mut app = head.appender();
                for (i, &r) in refs.iter().enumerate() {
                    app.append_ref(r, t, i as f64 + t as f64).expect("append");
                }
                app.commit().expect("commit");
            })
        });
        g.bench_function(format!("{name}/by_labels"), |b| {
            b.iter(|| {
                t += 15_000;
                let mut app = head.appender();
                for (i, l) in labels.iter().enumerate() {
                    black_box(app.append(l, t, i as f64).expect("append"));
                }
                app.commit().expect("commit");
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_append);
criterion_main!(benches);
