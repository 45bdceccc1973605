//! Rule-file parsing and validation throughput on a generated file of
//! 2,000 alerting and recording rules (every expression parsed, every
//! alert template checked), in bytes and rules per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil_rules::rulefmt::{ParseOptions, parse};

fn file(groups: usize, per_group: usize) -> String {
    let mut s = String::from("groups:\n");
    for g in 0..groups {
        s.push_str(&format!(
            "  - name: group_{g}\n    interval: 30s\n    rules:\n"
        ));
        for r in 0..per_group {
            if r % 2 == 0 {
                s.push_str(&format!(
                    "      - record: job:http_requests:rate5m_{r}\n        expr: sum by (job) (rate(http_requests_total{{code=~\"5..\"}}[5m]))\n"
                ));
            } else {
                s.push_str(&format!(
                    "      - alert: HighErrorRate{r}\n        expr: job:http_requests:rate5m_{} > 0.5\n        for: 10m\n        labels:\n          severity: page\n        annotations:\n          summary: \"{{{{ $labels.job }}}} error rate is {{{{ $value | humanizePercentage }}}}\"\n",
                    r - 1
                ));
            }
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = file(20, 100);
    let mut g = c.benchmark_group("rulefmt");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse_2000_rules", |b| {
        b.iter(|| {
            let (groups, errs) = parse(black_box(text.as_bytes()), &ParseOptions::default());
            assert!(errs.is_empty());
            groups
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
