//! Discovery feeding scraping: a file SD file that changes while the
//! scrape manager follows the discovery manager, and reloads.

mod common;

use std::time::Duration;

use common::*;
use vigil_discovery::{DiscoveryManager, DiscoveryOptions};
use vigil_model::is_stale_nan;
use vigil_scrape::{ScrapeManager, ScrapeOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_sd_targets_are_scraped_and_reloads_keep_series() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("data"));
    let a = Server::start().await;
    let b = Server::start().await;
    a.set("/metrics", Answer::text("from_a 1\n"));
    b.set("/metrics", Answer::text("from_b 2\n"));
    let sd = dir.path().join("targets.yml");
    std::fs::write(
        &sd,
        format!("- targets: ['{}']\n  labels: {{team: x}}\n", a.addr),
    )
    .unwrap();
    let yaml = |interval: &str| {
        format!(
            "scrape_configs:\n- job_name: f\n  scrape_interval: {interval}\n  scrape_timeout: 200ms\n  file_sd_configs: [{{files: ['{}']}}]\n",
            sd.display()
        )
    };
    let cfg = config(&yaml("200ms"));
    let disc = DiscoveryManager::new(DiscoveryOptions {
        update_interval: Duration::from_millis(50),
        file_poll_interval: Duration::from_millis(50),
        ..DiscoveryOptions::default()
    });
    let scrape = std::sync::Arc::new(ScrapeManager::new(db.clone(), ScrapeOptions::default()));
    scrape.apply_config(&cfg);
    disc.apply_scrape_configs(&cfg);
    let follower = {
        let s = scrape.clone();
        let rx = disc.subscribe();
        tokio::spawn(async move { s.run(rx).await })
    };
    eventually("a scraped", || {
        last(&db, "from_a", &[("team", "x")]) == Some(1.0)
    })
    .await;
    let t = &scrape.active_targets()[0];
    assert_eq!(
        t.discovered_labels.get("__meta_filepath"),
        Some(sd.to_string_lossy().as_ref())
    );

    // The file now lists b instead of a: b is scraped, a's series go stale.
    std::fs::write(&sd, format!("- targets: ['{}']\n", b.addr)).unwrap();
    eventually("b scraped", || last(&db, "from_b", &[]) == Some(2.0)).await;
    eventually("a stale", || {
        last(&db, "from_a", &[]).is_some_and(is_stale_nan)
    })
    .await;

    // A reload that changes only the interval hands b's loop over: its
    // series continue without a stale marker.
    let cfg2 = config(&yaml("250ms"));
    scrape.apply_config(&cfg2);
    disc.apply_scrape_configs(&cfg2);
    let before = samples(&db, "from_b", &[])[0].1.len();
    eventually("b scraped after reload", || {
        samples(&db, "from_b", &[])[0].1.len() >= before + 3
    })
    .await;
    assert!(
        samples(&db, "from_b", &[])[0]
            .1
            .iter()
            .all(|(_, v)| !is_stale_nan(*v)),
        "no stale marker across the reload"
    );
    assert_eq!(scrape.active_targets()[0].scrape_interval, "250ms");
    disc.stop();
    scrape.stop().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), follower).await;
}
