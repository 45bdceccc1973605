//! Alertmanager's notification metrics, per integration kind:
//! `alertmanager_notifications_total`,
//! `alertmanager_notifications_failed_total{reason}`,
//! `alertmanager_notification_requests_total`,
//! `alertmanager_notification_requests_failed_total` and the histogram
//! `alertmanager_notification_latency_seconds` (buckets 1, 5, 10, 15, 20 s).
//! Every kind and reason is exported from the start, at zero, as
//! Alertmanager initialises them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use super::KINDS;

/// Why a notification failed, as the `reason` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// Anything else (network errors, templates, configuration).
    Other,
    /// A 4xx answer other than the ones below.
    ClientError,
    /// A 5xx answer.
    ServerError,
    /// The notification was cancelled.
    ContextCanceled,
    /// The request timed out.
    ContextDeadlineExceeded,
    /// 401 or 403.
    AuthError,
    /// 429.
    RateLimited,
}

impl Reason {
    /// Every reason, in Alertmanager's order.
    pub const ALL: [Reason; 7] = [
        Reason::Other,
        Reason::ClientError,
        Reason::ServerError,
        Reason::ContextCanceled,
        Reason::ContextDeadlineExceeded,
        Reason::AuthError,
        Reason::RateLimited,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Other => "other",
            Reason::ClientError => "clientError",
            Reason::ServerError => "serverError",
            Reason::ContextCanceled => "contextCanceled",
            Reason::ContextDeadlineExceeded => "contextDeadlineExceeded",
            Reason::AuthError => "authError",
            Reason::RateLimited => "rateLimited",
        }
    }

    /// The reason of an unsuccessful HTTP status.
    pub fn from_status(code: u16) -> Reason {
        match code {
            401 | 403 => Reason::AuthError,
            429 => Reason::RateLimited,
            400..=499 => Reason::ClientError,
            500..=599 => Reason::ServerError,
            _ => Reason::Other,
        }
    }
}

const BUCKETS: [f64; 5] = [1.0, 5.0, 10.0, 15.0, 20.0];

#[derive(Debug, Default, Clone)]
struct Series {
    notifications: u64,
    failed: BTreeMap<Reason, u64>,
    requests: u64,
    requests_failed: u64,
    latency_buckets: [u64; 5],
    latency_count: u64,
    latency_sum: f64,
}

/// The counters, safe to share between flushes.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<&'static str, Series>>,
}

impl Metrics {
    fn with(&self, kind: &'static str, f: impl FnOnce(&mut Series)) {
        let mut m = self.series.lock().unwrap_or_else(|e| e.into_inner());
        f(m.entry(kind).or_default());
    }

    /// A notification is attempted (once, however many requests it takes).
    pub fn notification(&self, kind: &'static str) {
        self.with(kind, |s| s.notifications += 1);
    }

    /// A notification failed for good.
    pub fn failed(&self, kind: &'static str, reason: Reason) {
        self.with(kind, |s| *s.failed.entry(reason).or_default() += 1);
    }

    /// One request (attempt) finished after `took`.
    pub fn request(&self, kind: &'static str, ok: bool, took: Duration) {
        self.with(kind, |s| {
            s.requests += 1;
            if !ok {
                s.requests_failed += 1;
            }
            let secs = took.as_secs_f64();
            for (b, n) in BUCKETS.iter().zip(s.latency_buckets.iter_mut()) {
                if secs <= *b {
                    *n += 1;
                }
            }
            s.latency_count += 1;
            s.latency_sum += secs;
        });
    }

    /// `(notifications, failed, requests)` of a kind, for tests and status.
    pub fn totals(&self, kind: &str) -> (u64, u64, u64) {
        let m = self.series.lock().unwrap_or_else(|e| e.into_inner());
        m.get(kind).map_or((0, 0, 0), |s| {
            (s.notifications, s.failed.values().sum(), s.requests)
        })
    }

    /// Appends the metrics in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let m = self
            .series
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let empty = Series::default();
        let all: Vec<(&str, &Series)> = KINDS
            .iter()
            .map(|k| (*k, m.get(k).unwrap_or(&empty)))
            .collect();
        let head = |out: &mut String, name: &str, help: &str, kind: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        let counter = |out: &mut String, name: &str, help: &str, get: &dyn Fn(&Series) -> u64| {
            head(out, name, help, "counter");
            for (k, s) in &all {
                let _ = writeln!(out, "{name}{{integration=\"{k}\"}} {}", get(s));
            }
        };
        counter(
            out,
            "alertmanager_notifications_total",
            "The total number of attempted notifications.",
            &|s| s.notifications,
        );
        let name = "alertmanager_notifications_failed_total";
        head(
            out,
            name,
            "The total number of failed notifications.",
            "counter",
        );
        for (k, s) in &all {
            for r in Reason::ALL {
                let n = s.failed.get(&r).copied().unwrap_or(0);
                let _ = writeln!(
                    out,
                    "{name}{{integration=\"{k}\",reason=\"{}\"}} {n}",
                    r.as_str()
                );
            }
        }
        counter(
            out,
            "alertmanager_notification_requests_total",
            "The total number of attempted notification requests.",
            &|s| s.requests,
        );
        counter(
            out,
            "alertmanager_notification_requests_failed_total",
            "The total number of failed notification requests.",
            &|s| s.requests_failed,
        );
        let name = "alertmanager_notification_latency_seconds";
        head(
            out,
            name,
            "The latency of notifications in seconds.",
            "histogram",
        );
        for (k, s) in &all {
            for (b, n) in BUCKETS.iter().zip(s.latency_buckets) {
                let _ = writeln!(out, "{name}_bucket{{integration=\"{k}\",le=\"{b}\"}} {n}");
            }
            let c = s.latency_count;
            let _ = writeln!(out, "{name}_bucket{{integration=\"{k}\",le=\"+Inf\"}} {c}");
            let _ = writeln!(out, "{name}_sum{{integration=\"{k}\"}} {}", s.latency_sum);
            let _ = writeln!(out, "{name}_count{{integration=\"{k}\"}} {c}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_kind() {
        let m = Metrics::default();
        m.notification("slack");
        m.request("slack", false, Duration::from_millis(1500));
        m.failed("slack", Reason::from_status(429));
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains("alertmanager_notifications_total{integration=\"slack\"} 1"));
        assert!(out.contains("alertmanager_notifications_total{integration=\"email\"} 0"));
        assert!(out.contains(
            "alertmanager_notifications_failed_total{integration=\"slack\",reason=\"rateLimited\"} 1"
        ));
        assert!(out.contains(
            "alertmanager_notification_latency_seconds_bucket{integration=\"slack\",le=\"1\"} 0"
        ));
        assert!(out.contains(
            "alertmanager_notification_latency_seconds_bucket{integration=\"slack\",le=\"5\"} 1"
        ));
        assert_eq!(m.totals("slack"), (1, 1, 1));
    }
}
