//! Relabeling throughput on the scrape path: `metric_relabel_configs`
//! applied to every scraped series. Reports series per second for the
//! common keep/drop case (which borrows the input) and for rules that
//! rewrite labels.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil_config::relabel::{RelabelConfig, process_cow};
use vigil_model::{Labels, ValidationScheme};

fn series(n: usize) -> Vec<Labels> {
    (0..n)
        .map(|i| {
            let name = match i % 4 {
                0 => "http_requests_total",
                1 => "go_gc_duration_seconds",
                2 => "process_cpu_seconds_total",
                _ => "node_network_receive_bytes_total",
            };
            Labels::from_pairs(&[
                ("__name__", name.to_owned()),
                ("instance", format!("host-{}:9100", i % 50)),
                ("job", "node".to_owned()),
                ("code", ["200", "404", "500"][i % 3].to_owned()),
            ])
        })
        .collect()
}

fn rules(yaml: &str) -> Vec<RelabelConfig> {
    let mut r: Vec<RelabelConfig> = serde_yaml_ng::from_str(yaml).expect("rules parse");
    for c in &mut r {
        c.validate(ValidationScheme::Utf8).expect("rules valid");
    }
    r
}

fn bench(c: &mut Criterion) {
    let input = series(10_000);
    let cases = [
        (
            "keep_drop",
            "- {source_labels: [__name__], regex: 'go_.*', action: drop}\n- {source_labels: [__name__, code], regex: '.*;(200|500)', action: keep}",
        ),
        (
            "replace",
            "- {source_labels: [instance], regex: '([^:]+):.*', target_label: host, replacement: '$1'}",
        ),
        ("labeldrop", "- {regex: 'code', action: labeldrop}"),
        (
            "hashmod",
            "- {source_labels: [instance], target_label: __tmp_hash, modulus: 8, action: hashmod}\n- {source_labels: [__tmp_hash], regex: '3', action: keep}",
        ),
    ];
    let mut g = c.benchmark_group("relabel");
    g.throughput(Throughput::Elements(input.len() as u64));
    for (name, yaml) in cases {
        let cfgs = rules(yaml);
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut kept = 0usize;
                for l in &input {
                    if process_cow(black_box(l), &cfgs).is_some() {
                        kept += 1;
                    }
                }
                kept
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
