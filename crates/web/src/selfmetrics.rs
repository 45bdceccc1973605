//! The server's own metrics and `/metrics`: request counts and latencies
//! per handler (`prometheus_http_requests_total`,
//! `prometheus_http_request_duration_seconds`), readiness, the database's
//! `prometheus_tsdb_*` metrics, `process_*` metrics read from `/proc`, and
//! whatever collectors the binary adds, rendered in the format the
//! scraper's `Accept` header asks for.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vigil_exposition::{FamilySample, MetricFamily, SampleValue};
use vigil_model::MetricType;
use vigil_tsdb::metrics::{Metric, MetricKind};

use crate::state::{Readiness, WebState};

/// Bucket bounds of the request-duration histogram, as Prometheus'.
const DURATION_BUCKETS: [f64; 9] = [0.1, 0.2, 0.4, 1.0, 3.0, 8.0, 20.0, 60.0, 120.0];

#[derive(Debug, Default, Clone)]
struct DurationHist {
    counts: [u64; DURATION_BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Inner {
    /// (handler, code) → requests.
    requests: BTreeMap<(String, u16), u64>,
    /// handler → latencies.
    durations: BTreeMap<String, DurationHist>,
}

/// Request counters and latency histograms, per handler.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    inner: Mutex<Inner>,
}

impl HttpMetrics {
    /// Records one request to `handler` answered with `code` after `took`.
    pub fn observe(&self, handler: &str, code: u16, took: Duration) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *g.requests.entry((handler.to_string(), code)).or_default() += 1;
        let h = g.durations.entry(handler.to_string()).or_default();
        let secs = took.as_secs_f64();
        for (i, b) in DURATION_BUCKETS.iter().enumerate() {
            if secs <= *b
                && let Some(c) = h.counts.get_mut(i)
            {
                *c += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    fn families(&self) -> Vec<MetricFamily> {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let name = "prometheus_http_requests_total";
        let requests = g
            .requests
            .iter()
            .map(|((handler, code), n)| {
                let code = code.to_string();
                FamilySample::float(name, &[("code", &code), ("handler", handler)], *n as f64)
            })
            .collect();
        let hname = "prometheus_http_request_duration_seconds";
        let mut hist = Vec::new();
        for (handler, h) in &g.durations {
            for (b, c) in DURATION_BUCKETS.iter().zip(h.counts.iter()) {
                let le = go_float(*b);
                hist.push(FamilySample::float(
                    &format!("{hname}_bucket"),
                    &[("handler", handler), ("le", &le)],
                    *c as f64,
                ));
            }
            hist.push(FamilySample::float(
                &format!("{hname}_bucket"),
                &[("handler", handler), ("le", "+Inf")],
                h.count as f64,
            ));
            hist.push(FamilySample::float(
                &format!("{hname}_sum"),
                &[("handler", handler)],
                h.sum,
            ));
            hist.push(FamilySample::float(
                &format!("{hname}_count"),
                &[("handler", handler)],
                h.count as f64,
            ));
        }
        vec![
            MetricFamily::with_samples(
                name,
                MetricType::Counter,
                "Counter of HTTP requests.",
                requests,
            ),
            MetricFamily::with_samples(
                hname,
                MetricType::Histogram,
                "Histogram of latencies for HTTP requests.",
                hist,
            ),
        ]
    }
}

fn go_float(v: f64) -> String {
    let mut s = String::new();
    vigil_exposition::encode::push_go_float(&mut s, v);
    s
}

/// Turns the TSDB's metric list into families (samples of one name
/// together, in first-seen order).
fn tsdb_families(metrics: Vec<Metric>) -> Vec<MetricFamily> {
    let mut out: Vec<MetricFamily> = Vec::new();
    for m in metrics {
        let s = FamilySample::float(m.name, &m.labels, m.value);
        match out.iter_mut().find(|f| f.name == m.name) {
            Some(f) => f.samples.push(s),
            None => {
                let kind = match m.kind {
                    MetricKind::Counter => MetricType::Counter,
                    MetricKind::Gauge => MetricType::Gauge,
                };
                out.push(MetricFamily::with_samples(m.name, kind, m.help, vec![s]));
            }
        }
    }
    out
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Every family `/metrics` serves, sorted by name; families of the same
/// name from different sources are merged.
pub(crate) fn gather(state: &WebState) -> Vec<MetricFamily> {
    let mut all: Vec<MetricFamily> = Vec::new();
    for c in &state.collectors {
        all.extend(c());
    }
    all.extend(tsdb_families(state.db.metrics()));
    all.extend(crate::tsdb_metrics::families(&state.db));
    all.extend(state.metrics.families());
    all.extend(state.notifications().metrics());
    let rr = state
        .remote_read_queries
        .load(std::sync::atomic::Ordering::Relaxed);
    all.push(MetricFamily::with_samples(
        "prometheus_remote_read_handler_queries",
        MetricType::Gauge,
        "The current number of remote read queries that are either in execution or queued on the handler.",
        vec![FamilySample::float(
            "prometheus_remote_read_handler_queries",
            &[],
            rr as f64,
        )],
    ));
    let ready = f64::from(u8::from(state.readiness() == Readiness::Ready));
    all.push(MetricFamily::with_samples(
        "prometheus_ready",
        MetricType::Gauge,
        "Whether Prometheus startup was fully completed and the server is ready for normal operation.",
        vec![FamilySample::float("prometheus_ready", &[], ready)],
    ));
    all.extend(vigil_exposition::process::families(
        unix_seconds(state.start_time).floor(),
    ));
    let mut merged: BTreeMap<String, MetricFamily> = BTreeMap::new();
    for f in all {
        match merged.get_mut(&f.name) {
            Some(have) => have.samples.extend(f.samples),
            None => {
                merged.insert(f.name.clone(), f);
            }
        }
    }
    merged.into_values().collect()
}

/// Finds the first float value of family `name` in `families`.
pub(crate) fn value_of(families: &[MetricFamily], name: &str) -> Option<f64> {
    families
        .iter()
        .find(|f| f.name == name)
        .and_then(|f| f.samples.first())
        .and_then(|s| match s.value {
            SampleValue::Float(v) => Some(v),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = HttpMetrics::default();
        m.observe("/api/v1/query", 200, Duration::from_millis(150));
        m.observe("/api/v1/query", 400, Duration::from_millis(50));
        let fams = m.families();
        let mut text = Vec::new();
        vigil_exposition::encode::text::write(&mut text, &fams);
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains(
                "prometheus_http_requests_total{code=\"200\",handler=\"/api/v1/query\"} 1"
            )
        );
        assert!(
            text.contains(
                "prometheus_http_requests_total{code=\"400\",handler=\"/api/v1/query\"} 1"
            )
        );
        assert!(text.contains(
            "prometheus_http_request_duration_seconds_bucket{handler=\"/api/v1/query\",le=\"0.1\"} 1"
        ));
        assert!(text.contains(
            "prometheus_http_request_duration_seconds_bucket{handler=\"/api/v1/query\",le=\"0.2\"} 2"
        ));
        assert!(text.contains(
            "prometheus_http_request_duration_seconds_count{handler=\"/api/v1/query\"} 2"
        ));
    }

    #[test]
    fn process_metrics_from_proc() {
        let fams = vigil_exposition::process::families(unix_seconds(SystemTime::now()));
        let names: Vec<&str> = fams.iter().map(|f| f.name.as_str()).collect();
        assert!(names.contains(&"process_start_time_seconds"));
        if std::path::Path::new("/proc/self/stat").exists() {
            for n in [
                "process_cpu_seconds_total",
                "process_resident_memory_bytes",
                "process_virtual_memory_bytes",
                "process_open_fds",
                "process_max_fds",
            ] {
                assert!(names.contains(&n), "{n}");
            }
        }
    }
}
