//! `sigv4` on an `alertmanagers` entry: every POST carries an AWS SigV4
//! `Authorization` that verifies against the body and headers the
//! server actually received.

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use vigil_model::Labels;
use vigil_model::civil::days_from_civil;
use vigil_notifier::{Alert, Notifier, NotifierOptions};

type Seen = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn server() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route(
            "/{*path}",
            post(
                |State(seen): State<Seen>, headers: HeaderMap, body: Bytes| async move {
                    seen.lock().expect("lock").push((headers, body));
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, seen)
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// `20150830T123600Z` as a time.
fn parse_amz_date(s: &str) -> std::time::SystemTime {
    let n = |r: std::ops::Range<usize>| {
        s.get(r)
            .and_then(|x| x.parse::<i64>().ok())
            .expect("digits")
    };
    let secs = days_from_civil(n(0..4), n(4..6), n(6..8)) * 86_400
        + n(9..11) * 3600
        + n(11..13) * 60
        + n(13..15);
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).expect("after 1970"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_are_signed_and_verify() {
    let (addr, seen) = server().await;
    let yaml = format!(
        r#"
alerting:
  alertmanagers:
    - sigv4:
        region: eu-west-1
        access_key: AKIDEXAMPLE
        secret_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
      static_configs:
        - targets: ["{addr}"]
"#
    );
    let cfg = vigil_config::Config::load(&yaml, std::path::Path::new(".")).expect("config");
    let n = Arc::new(Notifier::new(NotifierOptions::default()));
    n.apply_config(&cfg.alerting, &Labels::default())
        .expect("apply");
    n.send(vec![Alert {
        labels: Labels::from_pairs(&[("alertname", "Signed")]),
        annotations: Labels::default(),
        starts_at: Some(1_700_000_000_000),
        ends_at: None,
        generator_url: String::new(),
    }]);
    let runner = {
        let n = n.clone();
        tokio::spawn(async move { n.run().await })
    };
    for _ in 0..3000 {
        if !seen.lock().expect("lock").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    n.stop();
    runner.await.expect("run");

    let (headers, body) = seen.lock().expect("lock").first().cloned().expect("a post");
    let auth = header(&headers, "authorization");
    let date = header(&headers, "x-amz-date");
    assert!(
        auth.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/eu-west-1/aps/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=",
            date.get(0..8).unwrap_or("")
        )),
        "{auth}"
    );
    // The signature recomputed from what arrived.
    let creds = vigil_sigv4::Credentials {
        access_key: "AKIDEXAMPLE".into(),
        secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: None,
    };
    let url = format!("http://{}/api/v2/alerts", header(&headers, "host"));
    let req = vigil_sigv4::Request {
        method: "POST",
        url: &url,
        headers: &[("Content-Type", header(&headers, "content-type"))],
        body: &body,
    };
    let expected = vigil_sigv4::sign_with(&req, &creds, "eu-west-1", "aps", parse_amz_date(date))
        .expect("sign");
    let expected_auth = expected
        .iter()
        .find(|(k, _)| *k == "Authorization")
        .map(|(_, v)| v.as_str());
    assert_eq!(Some(auth), expected_auth);
}

#[test]
fn role_arn_fails_the_set_with_a_clear_error() {
    let cfg = vigil_config::Config::load(
        r#"
alerting:
  alertmanagers:
    - sigv4: {region: us-east-1, role_arn: "arn:aws:iam::1:role/x"}
      static_configs: [{targets: ["127.0.0.1:9"]}]
"#,
        std::path::Path::new("."),
    )
    .expect("config");
    let n = Notifier::new(NotifierOptions::default());
    let err = n
        .apply_config(&cfg.alerting, &Labels::default())
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("config-0") && err.contains("role_arn"),
        "{err}"
    );
}
