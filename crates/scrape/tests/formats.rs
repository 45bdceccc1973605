//! Options that change what is stored: honor_labels, honor_timestamps,
//! and native histograms from a protobuf target.

mod common;

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use vigil_exposition::{FamilySample, MetricFamily, SampleValue};
use vigil_model::{Histogram, Labels, MatchType, Matcher, MetricType, Span};
use vigil_scrape::{ScrapeManager, ScrapeOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honor_labels_and_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let srv = Server::start().await;
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 5_000;
    srv.set(
        "/metrics",
        Answer::text(&format!("m{{job=\"exposed\"}} 1 {ts}\n")),
    );
    let cfg = config(
        "scrape_configs:\n\
         - job_name: honor\n  scrape_interval: 200ms\n  scrape_timeout: 200ms\n  honor_labels: true\n\
         - job_name: plain\n  scrape_interval: 200ms\n  scrape_timeout: 200ms\n  honor_timestamps: false\n",
    );
    let m = ScrapeManager::new(db.clone(), ScrapeOptions::default());
    m.apply_config(&cfg);
    let addr = srv.addr.to_string();
    m.sync(&HashMap::from([
        ("honor".to_owned(), vec![group(&[&addr], &[])]),
        ("plain".to_owned(), vec![group(&[&addr], &[])]),
    ]));
    eventually("both jobs", || {
        last(&db, "m", &[("job", "exposed")]).is_some()
            && last(&db, "m", &[("job", "plain")]).is_some()
    })
    .await;
    let honored = samples(&db, "m", &[("job", "exposed")]);
    assert_eq!(
        honored[0].1,
        vec![(ts, 1.0)],
        "the exposed timestamp is kept"
    );
    let plain = samples(&db, "m", &[("job", "plain")]);
    assert_eq!(plain[0].0.get("exported_job"), Some("exposed"));
    assert!(plain[0].1.iter().all(|(t, _)| *t > ts), "scrape time used");
    m.stop().await;
}

fn native_histogram_body() -> Vec<u8> {
    let h = Histogram {
        schema: 0,
        count: 3,
        sum: 4.5,
        zero_threshold: 1e-128,
        positive_spans: vec![Span {
            offset: 0,
            length: 2,
        }],
        positive_buckets: vec![1, 1],
        ..Histogram::default()
    };
    let fam = MetricFamily {
        name: "latency_seconds".into(),
        kind: MetricType::Histogram,
        help: Some("Latency.".into()),
        unit: None,
        samples: vec![FamilySample {
            labels: Labels::from_pairs(&[("__name__", "latency_seconds")]),
            value: SampleValue::Histogram(h),
            timestamp: None,
            exemplars: Vec::new(),
            created_timestamp: None,
        }],
    };
    let mut out = Vec::new();
    vigil_exposition::encode::protobuf::write(&mut out, &[fam]);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_histograms_from_protobuf() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let srv = Server::start().await;
    srv.set(
        "/metrics",
        Answer {
            content_type: Some(
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
                    .into(),
            ),
            body: native_histogram_body(),
            ..Answer::text("")
        },
    );
    let cfg = config(
        "scrape_configs:\n- job_name: nh\n  scrape_interval: 200ms\n  scrape_timeout: 200ms\n  scrape_native_histograms: true\n",
    );
    let m = ScrapeManager::new(db.clone(), ScrapeOptions::default());
    m.apply_config(&cfg);
    m.sync(&HashMap::from([(
        "nh".to_owned(),
        vec![group(&[&srv.addr.to_string()], &[])],
    )]));
    let matcher = [Matcher::new(MatchType::Equal, "__name__", "latency_seconds").unwrap()];
    eventually("histogram stored", || {
        db.select_data(0, i64::MAX, &matcher)
            .unwrap()
            .first()
            .is_some_and(|(_, d)| !d.histograms.is_empty())
    })
    .await;
    let accept = srv.requests.lock().unwrap()["/metrics"]["accept"].clone();
    assert!(
        accept
            .to_str()
            .unwrap()
            .starts_with("application/vnd.google.protobuf")
    );
    assert_eq!(last(&db, "up", &[]), Some(1.0));
    assert_eq!(
        m.target_metadata(Some("latency_seconds"))[0].metadata[0].kind,
        MetricType::Histogram
    );
    m.stop().await;
}
