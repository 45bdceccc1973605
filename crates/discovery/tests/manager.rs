//! The discovery manager end to end: static targets, a file SD file that
//! changes and breaks, an HTTP SD endpoint on loopback, and reloads.

use std::collections::HashMap;
use std::time::Duration;

use axum::response::IntoResponse;

use tokio::sync::watch;
use vigil_config::Config;
use vigil_discovery::{DiscoveryManager, DiscoveryOptions, TargetSets};

fn opts() -> DiscoveryOptions {
    DiscoveryOptions {
        update_interval: Duration::from_millis(50),
        file_poll_interval: Duration::from_millis(50),
        ..DiscoveryOptions::default()
    }
}

/// Waits (bounded) until the published sets satisfy `f`.
async fn wait_for(
    rx: &mut watch::Receiver<TargetSets>,
    f: impl Fn(&TargetSets) -> bool,
) -> TargetSets {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let cur = rx.borrow_and_update().clone();
        if f(&cur) {
            return cur;
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        assert!(!left.is_zero(), "timed out; last sets: {cur:?}");
        let _ = tokio::time::timeout(left, rx.changed()).await;
    }
}

fn addresses(sets: &TargetSets, job: &str) -> Vec<String> {
    let mut out: Vec<String> = sets
        .get(job)
        .into_iter()
        .flatten()
        .flat_map(|g| g.targets.iter())
        .filter_map(|t| t.get("__address__").map(str::to_owned))
        .collect();
    out.sort();
    out
}

fn config(dir: &std::path::Path, yaml: &str) -> Config {
    Config::load(yaml, dir).expect("config")
}

fn jobs(cfg: &Config) -> HashMap<String, vigil_config::discovery::ServiceDiscoveryConfigs> {
    cfg.scrape_configs
        .iter()
        .map(|s| (s.job_name.clone(), s.sd.clone()))
        .collect()
}

#[tokio::test]
async fn static_and_file_targets_follow_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("targets.json");
    std::fs::write(&file, r#"[{"targets":["f1:80"],"labels":{"team":"a"}}]"#).expect("write");
    let cfg = config(
        dir.path(),
        "scrape_configs:\n\
         - job_name: s\n  static_configs: [{targets: ['s1:1', 's2:2']}]\n\
         - job_name: f\n  file_sd_configs: [{files: ['*.json']}]\n\
         - job_name: empty\n",
    );
    let m = DiscoveryManager::new(opts());
    let mut rx = m.subscribe();
    m.apply_config(&jobs(&cfg));
    let sets = wait_for(&mut rx, |s| {
        addresses(s, "f") == ["f1:80"] && addresses(s, "s").len() == 2
    })
    .await;
    assert!(sets.contains_key("empty"));
    let fg = &sets["f"][0];
    assert_eq!(fg.labels.get("team"), Some("a"));
    assert_eq!(
        fg.labels.get("__meta_filepath"),
        Some(file.to_string_lossy().as_ref())
    );

    // A changed file is picked up by polling.
    std::fs::write(&file, r#"[{"targets":["f1:80","f2:80"]}]"#).expect("write");
    wait_for(&mut rx, |s| addresses(s, "f") == ["f1:80", "f2:80"]).await;

    // A broken file keeps the last good groups and is counted.
    std::fs::write(&file, "[{").expect("write");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let errors = m
            .metrics()
            .into_iter()
            .find(|f| f.name == "prometheus_sd_file_read_errors_total")
            .and_then(|f| f.samples.first().map(|s| s.value.clone()));
        if matches!(errors, Some(vigil_exposition::SampleValue::Float(v)) if v >= 1.0) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no read error counted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(addresses(&rx.borrow(), "f"), ["f1:80", "f2:80"]);

    // Reload: job s changes, job f is dropped.
    let cfg2 = config(
        dir.path(),
        "scrape_configs:\n- job_name: s\n  static_configs: [{targets: ['s3:3']}]\n",
    );
    m.apply_config(&jobs(&cfg2));
    let sets = wait_for(&mut rx, |s| !s.contains_key("f")).await;
    assert_eq!(addresses(&sets, "s"), ["s3:3"]);
    let discovered = m
        .metrics()
        .into_iter()
        .find(|f| f.name == "prometheus_sd_discovered_targets")
        .expect("metric");
    assert_eq!(discovered.samples.len(), 1);
    m.stop();
}

#[tokio::test]
async fn http_sd_keeps_last_groups_on_failure() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let app = axum::Router::new().route(
        "/sd",
        axum::routing::get(move || {
            let n = c.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    (
                        [("content-type", "application/json")],
                        r#"[{"targets":["h1:9"],"labels":{"dc":"x"}}]"#.to_string(),
                    )
                        .into_response()
                } else {
                    (
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        "boom".to_string(),
                    )
                        .into_response()
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(
        dir.path(),
        &format!(
            "scrape_configs:\n- job_name: h\n  http_sd_configs: [{{url: 'http://{addr}/sd', refresh_interval: 100ms}}]\n"
        ),
    );
    let m = DiscoveryManager::new(opts());
    let mut rx = m.subscribe();
    m.apply_config(&jobs(&cfg));
    let sets = wait_for(&mut rx, |s| addresses(s, "h") == ["h1:9"]).await;
    let g = &sets["h"][0];
    assert_eq!(
        g.labels.get("__meta_url"),
        Some(format!("http://{addr}/sd").as_str())
    );
    assert_eq!(g.labels.get("dc"), Some("x"));
    // Later refreshes fail; the groups stay.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while calls.load(Ordering::SeqCst) < 3 {
        assert!(std::time::Instant::now() < deadline, "no refreshes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(addresses(&rx.borrow(), "h"), ["h1:9"]);
    let failures = m
        .metrics()
        .into_iter()
        .find(|f| f.name == "prometheus_sd_http_failures_total")
        .expect("metric");
    assert!(
        matches!(failures.samples[0].value, vigil_exposition::SampleValue::Float(v) if v >= 1.0)
    );
}
