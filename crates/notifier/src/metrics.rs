//! The notifier's metrics (Prometheus' `notifier/metric.go`):
//! `prometheus_notifications_{sent,errors}_total` and the latency summary
//! (count and sum, no quantiles) per Alertmanager URL, the queue's length
//! and capacity, alerts dropped, Alertmanagers discovered, and
//! `prometheus_notifications_total`, the alerts handed to the notifier.

use std::collections::BTreeMap;
use std::sync::Mutex;

use vigil_exposition::{FamilySample, MetricFamily};
use vigil_model::MetricType;

#[derive(Debug, Default)]
struct Inner {
    total: u64,
    dropped: u64,
    errors: BTreeMap<String, u64>,
    sent: BTreeMap<String, u64>,
    latency: BTreeMap<String, (u64, f64)>,
}

/// Counters of a notifier.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    inner: Mutex<Inner>,
}

/// Gauges read when rendering.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gauges {
    pub(crate) queue_length: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) alertmanagers: usize,
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn received(&self, n: usize) {
        self.with(|m| m.total += n as u64);
    }

    pub(crate) fn dropped(&self, n: usize) {
        self.with(|m| m.dropped += n as u64);
    }

    pub(crate) fn dropped_total(&self) -> u64 {
        self.with(|m| m.dropped)
    }

    /// The outcome of one POST of `count` alerts to `url`. Like
    /// Prometheus, alerts count as sent even when the POST failed; the
    /// failures are counted as errors too.
    pub(crate) fn posted(&self, url: &str, count: usize, ok: bool, seconds: f64) {
        self.with(|m| {
            if !ok {
                *m.errors.entry(url.to_string()).or_default() += count as u64;
            }
            *m.sent.entry(url.to_string()).or_default() += count as u64;
            let l = m.latency.entry(url.to_string()).or_default();
            l.0 += 1;
            l.1 += seconds;
        });
    }

    /// Starts the per-Alertmanager series of `urls` at zero and forgets
    /// those of Alertmanagers no longer known.
    pub(crate) fn set_alertmanagers(&self, urls: &[String]) {
        self.with(|m| {
            for u in urls {
                m.errors.entry(u.clone()).or_default();
                m.sent.entry(u.clone()).or_default();
            }
            m.errors.retain(|u, _| urls.contains(u));
            m.sent.retain(|u, _| urls.contains(u));
            m.latency.retain(|u, _| urls.contains(u));
        });
    }

    pub(crate) fn sent_to(&self, url: &str) -> u64 {
        self.with(|m| m.sent.get(url).copied().unwrap_or(0))
    }

    pub(crate) fn errors_of(&self, url: &str) -> u64 {
        self.with(|m| m.errors.get(url).copied().unwrap_or(0))
    }

    pub(crate) fn families(&self, g: Gauges) -> Vec<MetricFamily> {
        self.with(|m| {
            let per_am = |name: &str, map: &BTreeMap<String, u64>| -> Vec<FamilySample> {
                map.iter()
                    .map(|(u, v)| FamilySample::float(name, &[("alertmanager", u)], *v as f64))
                    .collect()
            };
            let lat = "prometheus_notifications_latency_seconds";
            let mut latency = Vec::new();
            for (u, (count, sum)) in &m.latency {
                latency.push(FamilySample::float(
                    &format!("{lat}_sum"),
                    &[("alertmanager", u)],
                    *sum,
                ));
                latency.push(FamilySample::float(
                    &format!("{lat}_count"),
                    &[("alertmanager", u)],
                    *count as f64,
                ));
            }
            let single = |name: &str, kind, help: &str, v: f64| {
                MetricFamily::with_samples(
                    name,
                    kind,
                    help,
                    vec![FamilySample::float(name, &[], v)],
                )
            };
            vec![
                MetricFamily::with_samples(
                    lat,
                    MetricType::Summary,
                    "Latency quantiles for sending alert notifications.",
                    latency,
                ),
                MetricFamily::with_samples(
                    "prometheus_notifications_errors_total",
                    MetricType::Counter,
                    "Total number of sent alerts affected by errors.",
                    per_am("prometheus_notifications_errors_total", &m.errors),
                ),
                MetricFamily::with_samples(
                    "prometheus_notifications_sent_total",
                    MetricType::Counter,
                    "Total number of alerts sent.",
                    per_am("prometheus_notifications_sent_total", &m.sent),
                ),
                single(
                    "prometheus_notifications_dropped_total",
                    MetricType::Counter,
                    "Total number of alerts dropped due to errors when sending to Alertmanager.",
                    m.dropped as f64,
                ),
                single(
                    "prometheus_notifications_total",
                    MetricType::Counter,
                    "Total number of alerts handed to the notifier.",
                    m.total as f64,
                ),
                single(
                    "prometheus_notifications_queue_length",
                    MetricType::Gauge,
                    "The number of alert notifications in the queue.",
                    g.queue_length as f64,
                ),
                single(
                    "prometheus_notifications_queue_capacity",
                    MetricType::Gauge,
                    "The capacity of the alert notifications queue.",
                    g.queue_capacity as f64,
                ),
                single(
                    "prometheus_notifications_alertmanagers_discovered",
                    MetricType::Gauge,
                    "The number of alertmanagers discovered and active.",
                    g.alertmanagers as f64,
                ),
            ]
        })
    }
}
