//! The gateway's own metrics, served beside the pushed ones on `/metrics`:
//! `pushgateway_http_requests_total{code,handler,method}`, the push
//! duration and size summaries (sum and count only: no quantiles),
//! `pushgateway_build_info`, and the `process_*` metrics read from
//! `/proc/self` as client_golang's process collector names them.
//!
//! [`self_metric_type`] also knows the Go runtime's `go_*` names the
//! Pushgateway exports, so that a push the Pushgateway would reject for
//! clashing with them is rejected here too, although Vigil does not export them.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use vigil_exposition::{FamilySample, MetricFamily};
use vigil_model::{Labels, MetricType};

/// The type of a metric name the gateway (or the Pushgateway's Go runtime)
/// uses itself, if it is one.
pub fn self_metric_type(name: &str) -> Option<MetricType> {
    use MetricType::{Counter, Gauge, Summary};
    Some(match name {
        "pushgateway_http_requests_total" | "process_cpu_seconds_total" => Counter,
        "pushgateway_http_push_duration_seconds"
        | "pushgateway_http_push_size_bytes"
        | "go_gc_duration_seconds" => Summary,
        "pushgateway_build_info"
        | "process_max_fds"
        | "process_open_fds"
        | "process_resident_memory_bytes"
        | "process_start_time_seconds"
        | "process_virtual_memory_bytes"
        | "process_virtual_memory_max_bytes"
        | "go_goroutines"
        | "go_info"
        | "go_threads" => Gauge,
        "go_memstats_alloc_bytes_total"
        | "go_memstats_frees_total"
        | "go_memstats_lookups_total"
        | "go_memstats_mallocs_total" => Counter,
        n if n.starts_with("go_memstats_") && n.ends_with("_bytes") => Gauge,
        "go_memstats_heap_objects" | "go_memstats_last_gc_time_seconds" => Gauge,
        _ => return None,
    })
}

#[derive(Debug, Default)]
struct Counters {
    /// `(code, handler, method)` → count.
    requests: BTreeMap<(u16, &'static str, String), u64>,
    /// method → (sum of seconds, count).
    push_duration: BTreeMap<String, (f64, u64)>,
    /// method → (sum of bytes, count).
    push_size: BTreeMap<String, (f64, u64)>,
}

/// Request counters and the rest of the gateway's own metrics.
#[derive(Debug)]
pub struct SelfMetrics {
    counters: Mutex<Counters>,
    start: SystemTime,
}

impl Default for SelfMetrics {
    fn default() -> Self {
        SelfMetrics {
            counters: Mutex::new(Counters::default()),
            start: SystemTime::now(),
        }
    }
}

impl SelfMetrics {
    /// Counts one handled request.
    pub fn request(&self, code: u16, handler: &'static str, method: &str) {
        if let Ok(mut c) = self.counters.lock() {
            *c.requests
                .entry((code, handler, method.to_ascii_lowercase()))
                .or_default() += 1;
        }
    }

    /// Records the duration and body size of one push.
    pub fn push(&self, method: &str, took: Duration, bytes: usize) {
        if let Ok(mut c) = self.counters.lock() {
            let m = method.to_ascii_lowercase();
            let d = c.push_duration.entry(m.clone()).or_default();
            d.0 += took.as_secs_f64();
            d.1 += 1;
            let s = c.push_size.entry(m).or_default();
            s.0 += bytes as f64;
            s.1 += 1;
        }
    }

    /// The gateway's own families, sorted by name.
    pub fn gather(&self) -> Vec<MetricFamily> {
        let mut out = Vec::new();
        out.extend(vigil_exposition::process::families(crate::store::seconds(
            Some(self.start),
        )));
        out.push(MetricFamily::with_samples(
            "pushgateway_build_info",
            MetricType::Gauge,
            "A metric with a constant '1' value labeled by version, revision, branch, goversion from which pushgateway was built, and the goos and goarch for the build.",
            vec![FamilySample::float(
                "pushgateway_build_info",
                &[
                    ("version", env!("CARGO_PKG_VERSION")),
                    ("goos", std::env::consts::OS),
                    ("goarch", std::env::consts::ARCH),
                ],
                1.0,
            )],
        ));
        let Ok(c) = self.counters.lock() else {
            return out;
        };
        for (name, help, map) in [
            (
                "pushgateway_http_push_duration_seconds",
                "HTTP request duration for pushes to the Pushgateway.",
                &c.push_duration,
            ),
            (
                "pushgateway_http_push_size_bytes",
                "HTTP request size for pushes to the Pushgateway.",
                &c.push_size,
            ),
        ] {
            let mut samples = Vec::new();
            for (method, (sum, count)) in map {
                let l = [("method", method.as_str())];
                samples.push(FamilySample::float(&format!("{name}_sum"), &l, *sum));
                samples.push(FamilySample::float(
                    &format!("{name}_count"),
                    &l,
                    *count as f64,
                ));
            }
            if !samples.is_empty() {
                out.push(MetricFamily::with_samples(
                    name,
                    MetricType::Summary,
                    help,
                    samples,
                ));
            }
        }
        let requests: Vec<_> = c
            .requests
            .iter()
            .map(|((code, handler, method), n)| {
                let code = code.to_string();
                FamilySample::float(
                    "pushgateway_http_requests_total",
                    &[("code", &code), ("handler", handler), ("method", method)],
                    *n as f64,
                )
            })
            .collect();
        if !requests.is_empty() {
            out.push(MetricFamily::with_samples(
                "pushgateway_http_requests_total",
                MetricType::Counter,
                "Total HTTP requests processed by the Pushgateway, excluding scrapes.",
                requests,
            ));
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

/// Labels of a self-metric sample, for tests and callers that filter.
pub fn is_self_metric(labels: &Labels) -> bool {
    labels.metric_name().is_some_and(|n| {
        n.starts_with("pushgateway_") || n.starts_with("process_") || n.starts_with("go_")
    })
}
