//! Shared set-up of the end-to-end tests: a database in a temporary
//! directory with known samples, and the router on a free loopback port.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;
use vigil_model::{Histogram, Labels, Span};
use vigil_promql::engine::{Engine, EngineOptions};
use vigil_tsdb::db::{Db, DbOptions};
use vigil_web::{WebOptions, WebState, router, serve};

/// A running server.
#[derive(Debug)]
pub struct Server {
    pub addr: SocketAddr,
    pub state: Arc<WebState>,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

/// Samples: `up{job="a",instance="x"}` 1 and `up{job="b",instance="y"}` 0
/// every 15 s from 0 to 600 s; `http_requests_total{code="200"}` rising by
/// 10 per 15 s; a native histogram series `hist` every 15 s.
pub fn fill(db: &Db) {
    let mut app = db.head().appender();
    let up_a = Labels::from_pairs(&[("__name__", "up"), ("job", "a"), ("instance", "x")]);
    let up_b = Labels::from_pairs(&[("__name__", "up"), ("job", "b"), ("instance", "y")]);
    let req = Labels::from_pairs(&[("__name__", "http_requests_total"), ("code", "200")]);
    let utf8 = Labels::from_pairs(&[("__name__", "odd.metric"), ("my.label", "v")]);
    let hist = Labels::from_pairs(&[("__name__", "hist")]);
    for i in 0..=40i64 {
        let t = i * 15_000;
        app.append(&up_a, t, 1.0).unwrap();
        app.append(&up_b, t, 0.0).unwrap();
        app.append(&req, t, (i * 10) as f64).unwrap();
        app.append(&utf8, t, 5.0).unwrap();
        let h = Histogram {
            count: 3 + i as u64,
            sum: 10.0,
            schema: 0,
            zero_threshold: 0.001,
            zero_count: 1,
            positive_spans: vec![Span {
                offset: 0,
                length: 2,
            }],
            positive_buckets: vec![1, i],
            ..Default::default()
        };
        app.append_histogram(&hist, t, &h).unwrap();
    }
    app.commit().unwrap();
}

/// Starts a server over a fresh database filled by [`fill`]; `opts`
/// adjusts the options and `build` the state before it is shared.
pub async fn start(
    opts: impl FnOnce(&mut WebOptions),
    build: impl FnOnce(WebState) -> WebState,
) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = Db::open(dir.path(), DbOptions::default()).unwrap();
    fill(&db);
    let mut o = WebOptions::default();
    opts(&mut o);
    let state = build(WebState::new(
        Arc::new(db),
        Arc::new(Engine::new(EngineOptions::default())),
        o,
    ));
    let state = Arc::new(state);
    state.set_ready();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    let app = router(Arc::clone(&state));
    let task = tokio::spawn(serve(listener, app, async move {
        let _ = rx.await;
    }));
    Server {
        addr,
        state,
        dir,
        stop: Some(tx),
        task: Some(task),
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// GETs `path` and returns the status and body.
pub async fn get(s: &Server, path: &str) -> (u16, String) {
    let r = client().get(s.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// POSTs a form body to `path`.
pub async fn post_form(s: &Server, path: &str, form: &str) -> (u16, String) {
    let r = client()
        .post(s.url(path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}
