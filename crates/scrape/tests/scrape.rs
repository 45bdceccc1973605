//! The scrape manager end to end: loopback targets, a real database,
//! and what ends up stored.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use vigil_model::is_stale_nan;
use vigil_scrape::{Health, ScrapeManager, ScrapeOptions};

const PAYLOAD: &str = "# HELP requests_total Requests served.\n\
# TYPE requests_total counter\n\
requests_total{code=\"200\"} 10\n\
requests_total{code=\"500\"} 2\n\
# TYPE go_goroutines gauge\n\
go_goroutines 7\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_synthetic_series_relabeling_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let srv = Server::start().await;
    srv.set("/metrics", Answer::text(PAYLOAD));
    let cfg = config(
        "scrape_configs:\n\
         - job_name: app\n\
         \x20 scrape_interval: 200ms\n\
         \x20 scrape_timeout: 200ms\n\
         \x20 relabel_configs:\n\
         \x20 - {source_labels: [__meta_env], target_label: env}\n\
         \x20 - {source_labels: [__address__], regex: 'drop.*', action: drop}\n\
         \x20 metric_relabel_configs:\n\
         \x20 - {source_labels: [__name__], regex: 'go_.*', action: drop}\n",
    );
    let m = ScrapeManager::new(db.clone(), ScrapeOptions::default());
    m.apply_config(&cfg);
    let addr = srv.addr.to_string();
    let sets = HashMap::from([(
        "app".to_owned(),
        vec![group(&[&addr, "drop:1"], &[("__meta_env", "prod")])],
    )]);
    m.sync(&sets);
    eventually("two scrapes", || {
        samples(&db, "up", &[])
            .first()
            .is_some_and(|(_, s)| s.len() >= 2)
    })
    .await;
    let up = samples(&db, "up", &[]);
    let (labels, _) = &up[0];
    assert_eq!(labels.get("job"), Some("app"));
    assert_eq!(labels.get("instance"), Some(addr.as_str()));
    assert_eq!(labels.get("env"), Some("prod"));
    assert!(up[0].1.iter().all(|(_, v)| *v == 1.0));
    let reqs = samples(&db, "requests_total", &[("code", "200")]);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].0.get("env"), Some("prod"));
    assert!(reqs[0].1.iter().all(|(_, v)| *v == 10.0));
    assert!(
        samples(&db, "go_goroutines", &[]).is_empty(),
        "dropped by metric relabeling"
    );
    assert_eq!(last(&db, "scrape_samples_scraped", &[]), Some(3.0));
    assert_eq!(
        last(&db, "scrape_samples_post_metric_relabeling", &[]),
        Some(2.0)
    );
    let added = samples(&db, "scrape_series_added", &[]);
    assert_eq!(added[0].1.first().map(|s| s.1), Some(2.0));
    assert_eq!(
        added[0].1.last().map(|s| s.1),
        Some(0.0),
        "cached afterwards"
    );
    assert!(last(&db, "scrape_duration_seconds", &[]).is_some());

    // The request Prometheus would send.
    let headers = srv
        .requests
        .lock()
        .unwrap()
        .get("/metrics")
        .cloned()
        .unwrap();
    assert!(
        headers["accept"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text;version=1.0.0")
    );
    assert_eq!(headers["accept-encoding"], "gzip");
    assert_eq!(headers["x-prometheus-scrape-timeout-seconds"], "0.2");
    assert!(
        headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("Vigil/")
    );

    let active = m.active_targets();
    assert_eq!(active.len(), 1);
    let t = &active[0];
    assert_eq!(t.health, Health::Up);
    assert_eq!(t.scrape_url, format!("http://{addr}/metrics"));
    assert_eq!(t.discovered_labels.get("__meta_env"), Some("prod"));
    assert_eq!(t.labels.get("__address__"), None);
    assert!(t.last_scrape.is_some());
    assert_eq!(t.scrape_interval, "200ms");
    let dropped = m.dropped_targets();
    assert_eq!(dropped.len(), 1);
    assert_eq!(
        dropped[0].discovered_labels.get("__address__"),
        Some("drop:1")
    );
    assert_eq!(m.dropped_counts(), vec![("app".to_owned(), 1)]);

    let meta = m.target_metadata(Some("requests_total"));
    assert_eq!(meta.len(), 1);
    assert_eq!(meta[0].metadata[0].help, "Requests served.");
    assert_eq!(meta[0].metadata[0].kind, vigil_model::MetricType::Counter);
    assert!(m.metric_metadata().contains_key("go_goroutines"));
    let fams = m.metrics();
    let targets = fams
        .iter()
        .find(|f| f.name == "prometheus_target_scrape_pool_targets")
        .unwrap();
    assert!(
        matches!(targets.samples[0].value, vigil_exposition::SampleValue::Float(v) if v == 1.0)
    );
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vanished_series_and_failed_scrapes_go_stale() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let srv = Server::start().await;
    srv.set("/metrics", Answer::text("a 1\nb 2\n"));
    let cfg = config(
        "scrape_configs:\n- job_name: j\n  scrape_interval: 200ms\n  scrape_timeout: 200ms\n",
    );
    let m = ScrapeManager::new(db.clone(), ScrapeOptions::default());
    m.apply_config(&cfg);
    m.sync(&HashMap::from([(
        "j".to_owned(),
        vec![group(&[&srv.addr.to_string()], &[])],
    )]));
    eventually("b scraped", || last(&db, "b", &[]) == Some(2.0)).await;
    srv.set("/metrics", Answer::text("a 1\n"));
    eventually("b stale", || last(&db, "b", &[]).is_some_and(is_stale_nan)).await;
    assert_eq!(last(&db, "a", &[]), Some(1.0));
    // A failed scrape marks everything stale and reports up 0.
    srv.set(
        "/metrics",
        Answer {
            status: 500,
            ..Answer::text("oops")
        },
    );
    eventually("a stale", || last(&db, "a", &[]).is_some_and(is_stale_nan)).await;
    eventually("up 0", || last(&db, "up", &[]) == Some(0.0)).await;
    let t = &m.active_targets()[0];
    assert_eq!(t.health, Health::Down);
    assert_eq!(
        t.last_error,
        "server returned HTTP status 500 Internal Server Error"
    );
    // Recovery brings the series back.
    srv.set("/metrics", Answer::text("a 3\n"));
    eventually("a back", || last(&db, "a", &[]) == Some(3.0)).await;
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_targets_are_down_and_harm_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let srv = Server::start().await;
    srv.set(
        "/good",
        Answer {
            gzip: true,
            ..Answer::text("ok_metric 1\n")
        },
    );
    srv.set(
        "/500",
        Answer {
            status: 500,
            ..Answer::text("x")
        },
    );
    srv.set("/garbage", Answer::text("this is { not metrics\n"));
    srv.set(
        "/slow",
        Answer {
            delay: Duration::from_secs(30),
            ..Answer::text("late 1\n")
        },
    );
    srv.set("/huge", Answer::text(&"big_metric 1\n".repeat(1000)));
    srv.set(
        "/gzip-huge",
        Answer {
            gzip: true,
            ..Answer::text(&"big_metric 1\n".repeat(1000))
        },
    );
    srv.set(
        "/notype",
        Answer {
            content_type: Some("application/json".into()),
            ..Answer::text("m 1\n")
        },
    );
    let closing = closing_server().await;
    let cfg = config(
        "scrape_configs:\n- job_name: j\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  body_size_limit: 1KB\n",
    );
    let m = ScrapeManager::new(db.clone(), ScrapeOptions::default());
    m.apply_config(&cfg);
    let addr = srv.addr.to_string();
    let case = |c: &str| {
        group(
            &[&addr],
            &[("__metrics_path__", &format!("/{c}")), ("case", c)],
        )
    };
    let mut groups: Vec<_> = [
        "good",
        "500",
        "garbage",
        "slow",
        "huge",
        "gzip-huge",
        "notype",
    ]
    .iter()
    .map(|c| case(c))
    .collect();
    groups.push(group(&[&closing.to_string()], &[("case", "closed")]));
    m.sync(&HashMap::from([("j".to_owned(), groups)]));
    let cases = [
        "good",
        "500",
        "garbage",
        "slow",
        "huge",
        "gzip-huge",
        "notype",
        "closed",
    ];
    eventually("every target scraped", || {
        cases
            .iter()
            .all(|c| last(&db, "up", &[("case", c)]).is_some())
    })
    .await;
    assert_eq!(last(&db, "up", &[("case", "good")]), Some(1.0));
    assert_eq!(last(&db, "ok_metric", &[]), Some(1.0));
    for c in &cases[1..] {
        assert_eq!(last(&db, "up", &[("case", c)]), Some(0.0), "{c}");
    }
    assert!(samples(&db, "big_metric", &[]).is_empty());
    let errors: HashMap<String, String> = m
        .active_targets()
        .into_iter()
        .map(|t| (t.labels.get("case").unwrap().to_owned(), t.last_error))
        .collect();
    assert_eq!(errors["good"], "");
    assert_eq!(errors["huge"], "body size limit exceeded");
    assert_eq!(errors["gzip-huge"], "body size limit exceeded");
    assert!(
        errors["slow"].ends_with("context deadline exceeded"),
        "{}",
        errors["slow"]
    );
    assert!(
        errors["notype"].contains("unsupported Content-Type"),
        "{}",
        errors["notype"]
    );
    assert!(!errors["garbage"].is_empty());
    assert!(!errors["closed"].is_empty());
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_fail_the_scrape_and_roll_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let srv = Server::start().await;
    srv.set("/many", Answer::text("s1 1\ns2 2\ns3 3\n"));
    srv.set(
        "/longvalue",
        Answer::text("lv{x=\"0123456789abcdef0123456789abcdef\"} 1\n"),
    );
    let cfg = config(
        "scrape_configs:\n\
         - job_name: samples\n  scrape_interval: 200ms\n  scrape_timeout: 200ms\n  sample_limit: 2\n  metrics_path: /many\n\
         - job_name: labels\n  scrape_interval: 200ms\n  scrape_timeout: 200ms\n  label_value_length_limit: 25\n  metrics_path: /longvalue\n\
         - job_name: targets\n  scrape_interval: 200ms\n  scrape_timeout: 200ms\n  target_limit: 1\n  metrics_path: /many\n",
    );
    let m = ScrapeManager::new(db.clone(), ScrapeOptions::default());
    m.apply_config(&cfg);
    let addr = srv.addr.to_string();
    m.sync(&HashMap::from([
        ("samples".to_owned(), vec![group(&[&addr], &[])]),
        ("labels".to_owned(), vec![group(&[&addr], &[])]),
        (
            "targets".to_owned(),
            vec![group(&[&addr, "127.0.0.1:1"], &[])],
        ),
    ]));
    for job in ["samples", "labels"] {
        eventually(job, || last(&db, "up", &[("job", job)]) == Some(0.0)).await;
    }
    eventually("targets", || {
        last(&db, "up", &[("job", "targets"), ("instance", &addr)]) == Some(0.0)
    })
    .await;
    assert!(
        samples(&db, "s1", &[("job", "samples")]).is_empty(),
        "rolled back"
    );
    assert!(samples(&db, "lv", &[]).is_empty(), "rolled back");
    assert_eq!(
        last(&db, "scrape_samples_scraped", &[("job", "samples")]),
        Some(3.0)
    );
    let err = |job: &str| {
        m.active_targets()
            .into_iter()
            .find(|t| t.scrape_pool == job)
            .map(|t| t.last_error)
            .unwrap()
    };
    assert_eq!(err("samples"), "sample limit exceeded");
    assert!(
        err("labels").starts_with("label_value_length_limit exceeded (metric: lv, label name: x"),
        "{}",
        err("labels")
    );
    assert_eq!(
        err("targets"),
        "target_limit exceeded (number of targets: 2, limit: 1)"
    );
    let fams = m.metrics();
    let exceeded = fams
        .iter()
        .find(|f| f.name == "prometheus_target_scrapes_exceeded_sample_limit_total")
        .unwrap();
    assert!(
        matches!(exceeded.samples[0].value, vigil_exposition::SampleValue::Float(v) if v >= 1.0)
    );
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_targets_and_jobs_go_stale() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let srv = Server::start().await;
    srv.set("/metrics", Answer::text("gone_metric 5\n"));
    let cfg = config(
        "scrape_configs:\n- job_name: j\n  scrape_interval: 200ms\n  scrape_timeout: 200ms\n",
    );
    let m = ScrapeManager::new(db.clone(), ScrapeOptions::default());
    m.apply_config(&cfg);
    m.sync(&HashMap::from([(
        "j".to_owned(),
        vec![group(&[&srv.addr.to_string()], &[])],
    )]));
    eventually("scraped", || last(&db, "gone_metric", &[]) == Some(5.0)).await;
    m.sync(&HashMap::from([("j".to_owned(), vec![])]));
    assert!(m.active_targets().is_empty());
    eventually("end-of-run staleness", || {
        last(&db, "gone_metric", &[]).is_some_and(is_stale_nan)
            && last(&db, "up", &[]).is_some_and(is_stale_nan)
            && last(&db, "scrape_duration_seconds", &[]).is_some_and(is_stale_nan)
    })
    .await;

    // A job removed by a reload goes stale too; an unchanged job keeps its loop.
    srv.set("/other", Answer::text("kept_metric 1\n"));
    let cfg2 = config(
        "scrape_configs:\n- job_name: j\n  scrape_interval: 200ms\n  scrape_timeout: 200ms\n\
         - job_name: k\n  scrape_interval: 200ms\n  scrape_timeout: 200ms\n  metrics_path: /other\n",
    );
    m.apply_config(&cfg2);
    m.sync(&HashMap::from([
        ("j".to_owned(), vec![group(&[&srv.addr.to_string()], &[])]),
        ("k".to_owned(), vec![group(&[&srv.addr.to_string()], &[])]),
    ]));
    eventually("both scraped", || {
        last(&db, "gone_metric", &[]) == Some(5.0) && last(&db, "kept_metric", &[]) == Some(1.0)
    })
    .await;
    let cfg3 = config(
        "scrape_configs:\n- job_name: k\n  scrape_interval: 200ms\n  scrape_timeout: 200ms\n  metrics_path: /other\n",
    );
    m.apply_config(&cfg3);
    assert_eq!(m.scrape_pools(), vec!["k".to_owned()]);
    eventually("job j stale", || {
        last(&db, "gone_metric", &[]).is_some_and(is_stale_nan)
    })
    .await;
    assert_eq!(last(&db, "kept_metric", &[]), Some(1.0));
    m.stop().await;
}
