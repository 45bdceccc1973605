//! The notifier against small HTTP servers on loopback that record what
//! they receive: batching, labels, relabeling, credentials, failures,
//! queue overflow and the drain on shutdown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use vigil_model::Labels;
use vigil_notifier::{Alert, AlertmanagerGroup, Notifier, NotifierOptions};

#[derive(Debug, Clone, Default)]
struct Received {
    posts: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
}

impl Received {
    fn posts(&self) -> Vec<(String, serde_json::Value)> {
        self.posts.lock().expect("lock").clone()
    }
    fn alerts(&self) -> usize {
        self.posts()
            .iter()
            .map(|(_, v)| v.as_array().map_or(0, Vec::len))
            .sum()
    }
}

/// Starts a fake Alertmanager answering `status`; returns its address.
async fn fake_am(status: StatusCode) -> (String, Received) {
    let rec = Received::default();
    let app = Router::new()
        .route(
            "/{*path}",
            post(
                move |State(rec): State<Received>, headers: HeaderMap, body: Bytes| async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let v: serde_json::Value =
                        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                    rec.posts.lock().expect("lock").push((auth, v));
                    status
                },
            ),
        )
        .with_state(rec.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, rec)
}

fn config(yaml: &str) -> vigil_config::Config {
    vigil_config::Config::load(yaml, std::path::Path::new(".")).expect("config")
}

fn alert(i: usize) -> Alert {
    Alert {
        labels: Labels::from_pairs(&[
            ("alertname", "A"),
            ("i", &i.to_string()),
            ("dc", if i == 0 { "own" } else { "" }),
        ]),
        annotations: Labels::from_pairs(&[("summary", "s")]),
        starts_at: Some(1_700_000_000_000),
        ends_at: Some(1_700_000_240_000),
        generator_url: "http://vigil/graph?g0.expr=up&g0.tab=1".into(),
    }
}

/// Waits (bounded) until `f` holds.
async fn eventually(what: &str, f: impl Fn() -> bool) {
    for _ in 0..3000 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_reach_every_alertmanager_with_labels_and_credentials() {
    let (a1, r1) = fake_am(StatusCode::OK).await;
    let (a2, r2) = fake_am(StatusCode::OK).await;
    let cfg = config(&format!(
        r#"
alerting:
  alert_relabel_configs:
    - source_labels: [i]
      regex: "7"
      action: drop
  alertmanagers:
    - path_prefix: /prefix
      basic_auth: {{username: u, password: p}}
      static_configs:
        - targets: ["{a1}", "{a2}", "dropped.invalid:9093"]
      relabel_configs:
        - source_labels: [__address__]
          regex: dropped.*
          action: drop
"#
    ));
    let n = Arc::new(Notifier::new(NotifierOptions::default()));
    n.apply_config(
        &cfg.alerting,
        &Labels::from_pairs(&[("dc", "eu"), ("env", "prod")]),
    )
    .expect("apply");
    assert_eq!(
        n.alertmanagers(),
        vec![
            format!("http://{a1}/prefix/api/v2/alerts"),
            format!("http://{a2}/prefix/api/v2/alerts"),
        ]
    );
    assert_eq!(
        n.dropped_alertmanagers(),
        vec!["http://dropped.invalid:9093/prefix/api/v2/alerts".to_string()]
    );
    // 301 alerts, one relabeled away: a batch of 256 and one of 44.
    n.send((0..301).map(alert).collect());
    let runner = {
        let n = n.clone();
        tokio::spawn(async move { n.run().await })
    };
    eventually("all alerts", || r1.alerts() == 300 && r2.alerts() == 300).await;
    let posts = r1.posts();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].1.as_array().map(Vec::len), Some(256));
    assert_eq!(posts[0].0, "Basic dTpw");
    let first = &posts[0].1[0];
    assert_eq!(
        first["labels"],
        serde_json::json!({"alertname": "A", "i": "0", "dc": "own", "env": "prod"})
    );
    assert_eq!(first["annotations"], serde_json::json!({"summary": "s"}));
    assert_eq!(first["startsAt"], "2023-11-14T22:13:20.000Z");
    assert_eq!(first["endsAt"], "2023-11-14T22:17:20.000Z");
    assert_eq!(
        first["generatorURL"],
        "http://vigil/graph?g0.expr=up&g0.tab=1"
    );
    assert_eq!(posts[0].1[1]["labels"]["dc"], "eu");
    let url1 = format!("http://{a1}/prefix/api/v2/alerts");
    assert_eq!(n.sent_and_errors(&url1), (300, 0));
    let fams = n.metrics();
    let get = |name: &str| {
        fams.iter()
            .find(|f| f.name == name)
            .map(|f| f.samples.len())
            .unwrap_or(0)
    };
    assert_eq!(get("prometheus_notifications_sent_total"), 2);
    assert_eq!(get("prometheus_notifications_alertmanagers_discovered"), 1);
    n.stop();
    runner.await.expect("run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_counted_and_batches_dropped() {
    let (bad, rb) = fake_am(StatusCode::INTERNAL_SERVER_ERROR).await;
    let cfg = config(&format!(
        "alerting:\n  alertmanagers:\n    - authorization: {{credentials: tok}}\n      static_configs:\n        - targets: [\"{bad}\"]\n"
    ));
    let n = Arc::new(Notifier::new(NotifierOptions::default()));
    n.apply_config(&cfg.alerting, &Labels::empty())
        .expect("apply");
    let runner = {
        let n = n.clone();
        tokio::spawn(async move { n.run().await })
    };
    n.send(vec![alert(1), alert(2)]);
    eventually("a drop", || n.dropped_total() == 2).await;
    assert_eq!(rb.posts()[0].0, "Bearer tok");
    let url = format!("http://{bad}/api/v2/alerts");
    assert_eq!(n.sent_and_errors(&url), (2, 2));
    n.stop();
    runner.await.expect("run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queue_drops_oldest_and_stop_drains() {
    let (addr, rec) = fake_am(StatusCode::OK).await;
    let cfg = config("alerting:\n  alertmanagers:\n    - static_configs: []\n");
    let n = Arc::new(Notifier::new(NotifierOptions {
        queue_capacity: 10,
        ..NotifierOptions::default()
    }));
    n.apply_config(&cfg.alerting, &Labels::empty())
        .expect("apply");
    // Discovery hands the Alertmanager over later.
    n.set_alertmanagers(
        "config-0",
        &[AlertmanagerGroup {
            targets: vec![Labels::from_pairs(&[("__address__", addr.as_str())])],
            labels: Labels::empty(),
        }],
    );
    n.send((0..8).map(alert).collect());
    n.send((8..15).map(alert).collect());
    assert_eq!(n.queue_len(), 10);
    assert_eq!(n.dropped_total(), 5);
    // Stopped before running: run drains the queue and returns.
    n.stop();
    n.run().await;
    assert_eq!(rec.alerts(), 10);
    assert_eq!(rec.posts()[0].1[0]["labels"]["i"], "5");
    // Sending after stop is ignored.
    n.send(vec![alert(99)]);
    assert_eq!(n.queue_len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_without_drain_drops_the_queue() {
    let cfg = config(
        "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"127.0.0.1:9\"]\n",
    );
    let n = Notifier::new(NotifierOptions {
        drain_on_shutdown: false,
        ..NotifierOptions::default()
    });
    n.apply_config(&cfg.alerting, &Labels::empty())
        .expect("apply");
    n.send((0..3).map(alert).collect());
    n.stop();
    n.run().await;
    assert_eq!(n.dropped_total(), 3);
    assert_eq!(n.queue_len(), 0);
}
