//! `oauth2` on an Alertmanager set: tokens from a small local token server
//! (client credentials grant), cached while valid and fetched again when
//! about to expire, carried as the `Authorization` of alert posts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use vigil_model::Labels;
use vigil_notifier::{Alert, Notifier, NotifierOptions};

/// What a server saw: (authorization header, body) per request.
#[derive(Debug, Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, String)>>>);

impl Seen {
    fn all(&self) -> Vec<(String, String)> {
        self.0.lock().unwrap().clone()
    }
}

/// Starts a server on loopback answering every POST with `reply(n)` for
/// the n-th request (from 1); returns its address.
async fn server(reply: fn(usize) -> (StatusCode, String)) -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route(
            "/{*path}",
            post(
                move |State(seen): State<Seen>, headers: HeaderMap, body: Bytes| async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let n = {
                        let mut s = seen.0.lock().unwrap();
                        s.push((auth, String::from_utf8_lossy(&body).into_owned()));
                        s.len()
                    };
                    let (status, body) = reply(n);
                    (status, [("content-type", "application/json")], body)
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, seen)
}

fn alert(i: usize) -> Alert {
    Alert {
        labels: Labels::from_pairs(&[("alertname", "A"), ("i", &i.to_string())]),
        annotations: Labels::default(),
        starts_at: Some(1_700_000_000_000),
        ends_at: None,
        generator_url: String::new(),
    }
}

async fn eventually(what: &str, f: impl Fn() -> bool) {
    for _ in 0..3000 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Runs a notifier sending two alerts, one after the other, to a fake
/// Alertmanager with tokens from `token_reply`; returns what the token
/// server and the Alertmanager saw.
async fn two_posts(token_reply: fn(usize) -> (StatusCode, String)) -> (Seen, Seen) {
    let (tok, tok_seen) = server(token_reply).await;
    let (am, am_seen) = server(|_| (StatusCode::OK, String::new())).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let yaml = format!(
        r#"
alerting:
  alertmanagers:
    - oauth2:
        client_id: vigil
        client_secret_file: {}
        scopes: [alerts, write]
        token_url: http://{tok}/token
        endpoint_params: {{audience: am}}
      static_configs:
        - targets: ["{am}"]
"#,
        secret.display()
    );
    let cfg = vigil_config::Config::load(&yaml, std::path::Path::new(".")).unwrap();
    let n = Arc::new(Notifier::new(NotifierOptions::default()));
    n.apply_config(&cfg.alerting, &Labels::default()).unwrap();
    let runner = {
        let n = n.clone();
        tokio::spawn(async move { n.run().await })
    };
    n.send(vec![alert(0)]);
    eventually("first post", || am_seen.all().len() == 1).await;
    n.send(vec![alert(1)]);
    eventually("second post", || am_seen.all().len() == 2).await;
    n.stop();
    runner.await.unwrap();
    (tok_seen, am_seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_is_fetched_once_and_reused_while_valid() {
    let (tok, am) = two_posts(|n| {
        (
            StatusCode::OK,
            format!(r#"{{"access_token":"tok-{n}","token_type":"bearer","expires_in":3600}}"#),
        )
    })
    .await;
    let tok = tok.all();
    assert_eq!(tok.len(), 1, "{tok:?}");
    // Client credentials in a basic-auth header: base64("vigil:s3cret").
    assert_eq!(tok[0].0, "Basic dmlnaWw6czNjcmV0");
    let mut form: Vec<&str> = tok[0].1.split('&').collect();
    form.sort();
    assert_eq!(
        form,
        [
            "audience=am",
            "grant_type=client_credentials",
            "scope=alerts+write"
        ]
    );
    let am = am.all();
    assert_eq!(am[0].0, "Bearer tok-1");
    assert_eq!(am[1].0, "Bearer tok-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_about_to_expire_is_fetched_again() {
    // 5 s is inside the 10 s renewal margin: each post needs a new token.
    let (tok, am) = two_posts(|n| {
        (
            StatusCode::OK,
            format!(r#"{{"access_token":"tok-{n}","expires_in":5}}"#),
        )
    })
    .await;
    assert_eq!(tok.all().len(), 2);
    let am = am.all();
    assert_eq!(am[0].0, "Bearer tok-1");
    assert_eq!(am[1].0, "Bearer tok-2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_go_in_the_form_when_the_header_is_refused() {
    // The first request (basic auth) is refused; x/oauth2 then retries
    // with client_id/client_secret in the form.
    let (tok, am) = two_posts(|n| {
        if n == 1 {
            (
                StatusCode::UNAUTHORIZED,
                r#"{"error":"invalid_client"}"#.into(),
            )
        } else {
            (
                StatusCode::OK,
                r#"{"access_token":"t","expires_in":3600}"#.into(),
            )
        }
    })
    .await;
    let tok = tok.all();
    assert_eq!(tok.len(), 2);
    assert_eq!(tok[1].0, "");
    assert!(tok[1].1.contains("client_id=vigil"), "{}", tok[1].1);
    assert!(tok[1].1.contains("client_secret=s3cret"), "{}", tok[1].1);
    assert_eq!(am.all()[0].0, "Bearer t");
}
