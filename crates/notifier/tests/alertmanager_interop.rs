//! Interoperability with Debian's `prometheus-alertmanager` (0.25): the
//! notifier posts an alert and the Alertmanager's own API lists it with
//! its labels and annotations. Skipped (with a message) when the binary
//! is missing, unless `CI` is set, where that is a failure.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use vigil_model::Labels;
use vigil_notifier::{Alert, Notifier, NotifierOptions};

const BINARY: &str = "/usr/bin/prometheus-alertmanager";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The Alertmanager process, stopped by pid when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_alertmanager(dir: &Path, port: u16) -> Process {
    let cfg = dir.join("alertmanager.yml");
    std::fs::write(
        &cfg,
        "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n",
    )
    .expect("write config");
    let child = Command::new(BINARY)
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!("--storage.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start alertmanager");
    Process(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_receives_the_alert() {
    if !Path::new(BINARY).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{BINARY} is missing (install prometheus-alertmanager)"
        );
        println!("skipped: {BINARY} not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut am = start_alertmanager(dir.path(), port);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    // Bounded wait for readiness.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = am.0.try_wait() {
            panic!("alertmanager exited early: {status}");
        }
        let ready = http.get(format!("{base}/-/ready")).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(Instant::now() < deadline, "alertmanager never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let cfg = vigil_config::Config::load(
        &format!(
            "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"127.0.0.1:{port}\"]\n"
        ),
        Path::new("."),
    )
    .expect("config");
    let n = Arc::new(Notifier::new(NotifierOptions::default()));
    n.apply_config(&cfg.alerting, &Labels::from_pairs(&[("dc", "eu1")]))
        .expect("apply");
    let runner = {
        let n = n.clone();
        tokio::spawn(async move { n.run().await })
    };
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    n.send(vec![Alert {
        labels: Labels::from_pairs(&[
            ("alertname", "VigilInterop"),
            ("instance", "a:9100"),
            ("severity", "page"),
        ]),
        annotations: Labels::from_pairs(&[("summary", "a:9100 is down")]),
        starts_at: Some(now - 60_000),
        ends_at: Some(now + 3_600_000),
        generator_url: "http://vigil:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1".into(),
    }]);

    let deadline = Instant::now() + Duration::from_secs(60);
    let alert = loop {
        let list: serde_json::Value = match http.get(format!("{base}/api/v2/alerts")).send().await {
            Ok(r) => r
                .bytes()
                .await
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or(serde_json::Value::Null),
            Err(_) => serde_json::Value::Null,
        };
        if let Some(a) = list.as_array().and_then(|l| {
            l.iter()
                .find(|a| a["labels"]["alertname"] == "VigilInterop")
        }) {
            break a.clone();
        }
        assert!(
            Instant::now() < deadline,
            "alert never showed up in the Alertmanager"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        alert["labels"],
        serde_json::json!({
            "alertname": "VigilInterop",
            "instance": "a:9100",
            "severity": "page",
            "dc": "eu1",
        })
    );
    assert_eq!(
        alert["annotations"],
        serde_json::json!({"summary": "a:9100 is down"})
    );
    assert_eq!(
        alert["generatorURL"],
        "http://vigil:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
    );
    assert_eq!(alert["status"]["state"], "active");
    let url = format!("http://127.0.0.1:{port}/api/v2/alerts");
    assert_eq!(n.sent_and_errors(&url), (1, 0));
    n.stop();
    runner.await.expect("run");
}
