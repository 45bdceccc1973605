//! Helpers of the end-to-end tests: a loopback HTTP server whose answers
//! the test changes while it runs, a database in a temporary directory,
//! and bounded polling.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use vigil_model::{Labels, MatchType, Matcher};
use vigil_tsdb::db::{Db, DbOptions};

/// How one path answers.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub gzip: bool,
    pub delay: Duration,
}

impl Answer {
    pub fn text(body: &str) -> Answer {
        Answer {
            status: 200,
            content_type: Some("text/plain; version=0.0.4".into()),
            body: body.as_bytes().to_vec(),
            gzip: false,
            delay: Duration::ZERO,
        }
    }
}

/// A loopback server answering each path as told; unknown paths get 404.
#[derive(Debug, Clone)]
pub struct Server {
    pub addr: SocketAddr,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    /// The headers of the last request per path.
    pub requests: Arc<Mutex<HashMap<String, axum::http::HeaderMap>>>,
}

impl Server {
    pub async fn start() -> Server {
        let answers: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let requests: Arc<Mutex<HashMap<String, axum::http::HeaderMap>>> = Arc::default();
        let (a, r) = (answers.clone(), requests.clone());
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let a = a.clone();
            let r = r.clone();
            async move {
                let path = req.uri().path().to_owned();
                r.lock()
                    .unwrap()
                    .insert(path.clone(), req.headers().clone());
                let ans = a.lock().unwrap().get(&path).cloned();
                let Some(ans) = ans else {
                    return Response::builder()
                        .status(StatusCode::NOT_FOUND)
                        .body(Body::empty())
                        .unwrap();
                };
                if !ans.delay.is_zero() {
                    tokio::time::sleep(ans.delay).await;
                }
                let mut b = Response::builder().status(ans.status);
                if let Some(ct) = &ans.content_type {
                    b = b.header("content-type", ct);
                }
                let body = if ans.gzip {
                    b = b.header("content-encoding", "gzip");
                    let mut e =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    e.write_all(&ans.body).unwrap();
                    e.finish().unwrap()
                } else {
                    ans.body
                };
                b.body(Body::from(body)).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server {
            addr,
            answers,
            requests,
        }
    }

    pub fn set(&self, path: &str, a: Answer) {
        self.answers.lock().unwrap().insert(path.to_owned(), a);
    }
}

/// A port that accepts connections and closes them at once.
pub async fn closing_server() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        // Bounded: a test never needs more connections than this.
        for _ in 0..10_000 {
            match l.accept().await {
                Ok((s, _)) => drop(s),
                Err(_) => return,
            }
        }
    });
    addr
}

pub fn open_db(dir: &std::path::Path) -> Arc<Db> {
    let (db, _) = Db::open(dir, DbOptions::default()).unwrap();
    Arc::new(db)
}

pub fn config(yaml: &str) -> vigil_config::Config {
    vigil_config::Config::load(yaml, &std::env::temp_dir()).unwrap()
}

/// Every float sample of the series `name` (plus `extra` equality matchers).
pub fn samples(db: &Db, name: &str, extra: &[(&str, &str)]) -> Vec<(Labels, Vec<(i64, f64)>)> {
    let mut m = vec![Matcher::new(MatchType::Equal, "__name__", name).unwrap()];
    for (n, v) in extra {
        m.push(Matcher::new(MatchType::Equal, *n, *v).unwrap());
    }
    db.select(0, i64::MAX, &m).unwrap()
}

/// The newest value of the single series selected, if any.
pub fn last(db: &Db, name: &str, extra: &[(&str, &str)]) -> Option<f64> {
    samples(db, name, extra)
        .first()
        .and_then(|(_, s)| s.last().map(|(_, v)| *v))
}

/// Polls `f` every 20 ms until it is true; fails after 30 s.
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One static group as discovery hands it over.
pub fn group(targets: &[&str], labels: &[(&str, &str)]) -> vigil_discovery::TargetGroup {
    vigil_discovery::TargetGroup {
        source: "0".into(),
        targets: targets
            .iter()
            .map(|t| Labels::from_pairs(&[("__address__", *t)]))
            .collect(),
        labels: Labels::from_pairs(labels),
    }
}
