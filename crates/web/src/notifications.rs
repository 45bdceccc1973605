//! Server notifications (Prometheus 3.x `util/notifications`): short
//! messages the UI shows in a banner (the server is starting, a
//! configuration reload failed, it is shutting down), listed by
//! `GET /api/v1/notifications` and pushed to `GET
//! /api/v1/notifications/live` as server-sent events (`data: <json>\n\n`).
//!
//! Each subscriber has a small bounded queue: a subscriber that does not
//! read loses updates (counted) rather than slowing the server down, and
//! the number of subscribers is capped (`--web.max-notifications-subscribers`).

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::SystemTime;

use axum::body::Bytes;
use tokio::sync::mpsc;
use vigil_exposition::{FamilySample, MetricFamily};
use vigil_model::MetricType;

/// Text raised while a configuration reload has failed (cleared by the
/// next successful one); the words are Prometheus' so UIs match them.
pub const CONFIGURATION_UNSUCCESSFUL: &str = "Configuration reload has failed.";
/// Text raised from start until the server is ready.
pub const STARTING_UP: &str = "Prometheus is starting and replaying the write-ahead log (WAL).";
/// Text raised when shutdown begins.
pub const SHUTTING_DOWN: &str =
    "Prometheus is shutting down and gracefully stopping all operations.";

/// How many updates a subscriber may have waiting before more are dropped.
const SUBSCRIBER_QUEUE: usize = 10;

/// One notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The message.
    pub text: String,
    /// When it was raised or last raised again.
    pub date: SystemTime,
    /// False only in the update announcing its removal.
    pub active: bool,
}

impl Notification {
    /// The JSON Prometheus writes: `{"text","date","active"}`.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"text\":");
        crate::json::push_str(&mut out, &self.text);
        out.push_str(",\"date\":");
        crate::json::push_time(&mut out, Some(self.date));
        out.push_str(",\"active\":");
        out.push_str(if self.active { "true" } else { "false" });
        out.push('}');
        out
    }
}

#[derive(Debug, Default)]
struct Inner {
    active: Vec<Notification>,
    subscribers: Vec<(u64, mpsc::Sender<Notification>)>,
    next_id: u64,
    /// Set by [`Notifications::close`]: no more subscribers.
    closed: bool,
}

/// The notifications in effect and their live subscribers.
#[derive(Debug)]
pub struct Notifications {
    inner: Mutex<Inner>,
    max_subscribers: usize,
    sent: AtomicU64,
    dropped: AtomicU64,
}

impl Default for Notifications {
    fn default() -> Notifications {
        Notifications::new(16)
    }
}

impl Notifications {
    /// An empty set allowing `max_subscribers` live subscribers.
    pub fn new(max_subscribers: usize) -> Notifications {
        Notifications {
            inner: Mutex::new(Inner::default()),
            max_subscribers,
            sent: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, inner: &Inner, n: &Notification) {
        for (_, tx) in &inner.subscribers {
            self.sent.fetch_add(1, Ordering::Relaxed);
            if tx.try_send(n.clone()).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Raises `text`, or refreshes its date when it is already raised.
    pub fn add(&self, text: &str) {
        let mut g = self.lock();
        let now = SystemTime::now();
        let n = match g.active.iter_mut().find(|n| n.text == text) {
            Some(n) => {
                n.date = now;
                n.clone()
            }
            None => {
                let n = Notification {
                    text: text.to_string(),
                    date: now,
                    active: true,
                };
                g.active.push(n.clone());
                n
            }
        };
        self.publish(&g, &n);
    }

    /// Clears `text`; subscribers see it once more with `active: false`.
    pub fn delete(&self, text: &str) {
        let mut g = self.lock();
        if let Some(i) = g.active.iter().position(|n| n.text == text) {
            let mut n = g.active.remove(i);
            n.active = false;
            self.publish(&g, &n);
        }
    }

    /// The notifications in effect, oldest first.
    pub fn get(&self) -> Vec<Notification> {
        self.lock().active.clone()
    }

    /// A live subscription that first receives every notification in
    /// effect; `None` when the subscriber limit is reached.
    pub fn subscribe(self: &Arc<Self>) -> Option<Subscription> {
        let mut g = self.lock();
        if g.closed || g.subscribers.len() >= self.max_subscribers {
            return None;
        }
        let (tx, rx) = mpsc::channel(SUBSCRIBER_QUEUE.max(g.active.len()));
        for n in &g.active {
            let _ = tx.try_send(n.clone());
        }
        let id = g.next_id;
        g.next_id += 1;
        g.subscribers.push((id, tx));
        Some(Subscription {
            id,
            rx,
            owner: Arc::clone(self),
        })
    }

    /// Ends every live stream once it has delivered what is queued (the
    /// shutdown notice included) and refuses new ones, so open event
    /// streams do not hold a graceful shutdown open.
    pub fn close(&self) {
        let mut g = self.lock();
        g.closed = true;
        g.subscribers.clear();
    }

    /// `prometheus_api_notification_*` metrics.
    pub fn metrics(&self) -> Vec<MetricFamily> {
        let subs = self.lock().subscribers.len() as f64;
        let fam = |name: &str, t: MetricType, help: &str, v: f64| {
            MetricFamily::with_samples(name, t, help, vec![FamilySample::float(name, &[], v)])
        };
        vec![
            fam(
                "prometheus_api_notification_active_subscribers",
                MetricType::Gauge,
                "The current number of active notification subscribers.",
                subs,
            ),
            fam(
                "prometheus_api_notification_updates_sent_total",
                MetricType::Counter,
                "Total number of notification updates sent.",
                self.sent.load(Ordering::Relaxed) as f64,
            ),
            fam(
                "prometheus_api_notification_updates_dropped_total",
                MetricType::Counter,
                "Total number of notification updates dropped.",
                self.dropped.load(Ordering::Relaxed) as f64,
            ),
        ]
    }
}

/// A live subscription; dropping it unsubscribes. As a stream it yields
/// each update as one server-sent event.
#[derive(Debug)]
pub struct Subscription {
    id: u64,
    rx: mpsc::Receiver<Notification>,
    owner: Arc<Notifications>,
}

impl Subscription {
    /// The next update (for tests and non-HTTP readers).
    pub async fn recv(&mut self) -> Option<Notification> {
        self.rx.recv().await
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.owner
            .lock()
            .subscribers
            .retain(|(id, _)| *id != self.id);
    }
}

impl futures_core::Stream for Subscription {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx
            .poll_recv(cx)
            .map(|n| n.map(|n| Ok(Bytes::from(format!("data: {}\n\n", n.to_json())))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn add_refresh_delete_and_subscribe() {
        let n = Arc::new(Notifications::new(1));
        n.add(STARTING_UP);
        let mut sub = n.subscribe().unwrap();
        // The limit is one subscriber.
        assert!(n.subscribe().is_none());
        assert_eq!(sub.recv().await.unwrap().text, STARTING_UP);
        n.add(CONFIGURATION_UNSUCCESSFUL);
        n.add(CONFIGURATION_UNSUCCESSFUL);
        assert_eq!(n.get().len(), 2);
        n.delete(CONFIGURATION_UNSUCCESSFUL);
        assert_eq!(n.get().len(), 1);
        let got: Vec<bool> = [
            sub.recv().await.unwrap(),
            sub.recv().await.unwrap(),
            sub.recv().await.unwrap(),
        ]
        .iter()
        .map(|x| x.active)
        .collect();
        assert_eq!(got, [true, true, false]);
        drop(sub);
        assert!(n.subscribe().is_some());
    }

    #[tokio::test]
    async fn close_ends_streams_after_what_is_queued() {
        let n = Arc::new(Notifications::new(4));
        let mut sub = n.subscribe().unwrap();
        n.add(SHUTTING_DOWN);
        n.close();
        assert_eq!(sub.recv().await.unwrap().text, SHUTTING_DOWN);
        assert_eq!(sub.recv().await, None);
        assert!(n.subscribe().is_none());
    }

    #[test]
    fn a_slow_subscriber_loses_updates_not_the_server() {
        let n = Arc::new(Notifications::new(4));
        let _sub = n.subscribe().unwrap();
        for i in 0..(SUBSCRIBER_QUEUE + 5) {
            n.add(&format!("n{i}"));
        }
        let fams = n.metrics();
        let value = |name: &str| crate::selfmetrics::value_of(&fams, name);
        assert_eq!(
            value("prometheus_api_notification_active_subscribers"),
            Some(1.0)
        );
        assert_eq!(
            value("prometheus_api_notification_updates_dropped_total"),
            Some(5.0)
        );
    }

    #[test]
    fn json_shape() {
        let n = Notification {
            text: "a<b".into(),
            date: std::time::UNIX_EPOCH + std::time::Duration::from_millis(1500),
            active: true,
        };
        assert_eq!(
            n.to_json(),
            r#"{"text":"a\u003cb","date":"1970-01-01T00:00:01.5Z","active":true}"#
        );
    }
}
