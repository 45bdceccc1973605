//! Regex matcher fast paths versus the plain anchored regex, on typical
//! label-matcher patterns and a mix of matching and non-matching values.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil_model::matcher::FastMatcher;

const PATTERNS: &[&str] = &[
    "foo.*",
    ".*foo.*",
    "a|b|c|d",
    "(?i)get|post",
    ".*",
    "foo.+bar",
    "(?i)foo.*",
    "(api|web|db).*",
];

fn values() -> Vec<String> {
    let mut v: Vec<String> = [
        "foo",
        "foobar",
        "foo_bar_baz",
        "barfoo",
        "a",
        "d",
        "e",
        "GET",
        "post",
        "Put",
        "api_http_requests_total",
        "some-long-label-value-with-foo-in-the-middle",
        "another-value-without-the-word",
        "",
        "foo\nbar",
        "FOO_bar",
        "web-1",
        "api",
        "database",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for i in 0..50 {
        v.push(format!("instance-{i}.example.com:9100"));
    }
    v
}

fn bench(c: &mut Criterion) {
    let values = values();
    let mut group = c.benchmark_group("matcher");
    group.throughput(Throughput::Elements(values.len() as u64));
    for pattern in PATTERNS {
        let fast = FastMatcher::new(pattern).expect("valid pattern");
        let plain = regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
            .dot_matches_new_line(true)
            .build()
            .expect("valid pattern");
        group.bench_function(format!("fast/{pattern}"), |b| {
            b.iter(|| {
                values
                    .iter()
                    .filter(|v| fast.is_match(black_box(v)))
                    .count()
            })
        });
        group.bench_function(format!("regex/{pattern}"), |b| {
            b.iter(|| {
                values
                    .iter()
                    .filter(|v| plain.is_match(black_box(v)))
                    .count()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
