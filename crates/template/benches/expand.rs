//! Alert-template expansion throughput: what a rule evaluation pays per
//! alert and per label or annotation (parse with the definitions prepended,
//! then execute), and execution alone of a parsed template.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil_template::{Context, Template, Value, alert_template_data, expand_alert_template};

const ANNOTATION: &str = "{{ $labels.instance }} of job {{ $labels.job }} has been down for more than 5 minutes (value {{ $value | humanize }}, {{ printf \"%.2f\" $value }}).";

fn data() -> Value {
    let labels: BTreeMap<String, String> = [
        ("instance", "host-17:9100"),
        ("job", "node"),
        ("severity", "page"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    alert_template_data(
        &labels,
        &BTreeMap::new(),
        "http://prometheus:9090",
        Value::Float(1234.5678),
    )
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("template");
    g.throughput(Throughput::Elements(1));
    let d = data();
    g.bench_function("expand_alert_annotation", |b| {
        b.iter(|| {
            expand_alert_template(
                "InstanceDown",
                black_box(ANNOTATION),
                d.clone(),
                Context::default(),
            )
            .unwrap()
        })
    });
    let mut t =
        Template::new("t").funcs(vigil_template::prometheus::functions(&Context::default()));
    t.parse(&format!(
        "{}{ANNOTATION}",
        vigil_template::ALERT_TEMPLATE_DEFS
    ))
    .unwrap();
    g.bench_function("execute_parsed", |b| {
        b.iter(|| t.execute(black_box(&d)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
