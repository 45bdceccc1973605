//! Reads a WAL written by Debian's Prometheus: it scrapes itself for a few
//! seconds, is killed with SIGKILL (so the tail may be torn), and every
//! record before any damage must read back with a valid record type.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vigil_tsdb::record::{RecordType, decode_samples, decode_series};
use vigil_tsdb::wal::WalReader;

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have_prometheus() -> bool {
    let ok = Command::new("prometheus")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "prometheus is required in CI (Debian package `prometheus`)"
        );
        println!("skipped: prometheus not installed");
    }
    ok
}

#[test]
fn reads_wal_written_by_prometheus() {
    if !have_prometheus() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);

    // Wait (bounded) until the WAL holds at least two sample records.
    let wal = data.join("wal");
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut series, mut samples, mut other) = (0, 0, 0);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        if !wal.exists() {
            continue;
        }
        (series, samples, other) = (0, 0, 0);
        let corruption = WalReader::open(&wal)
            .unwrap()
            .for_each(|_, rec| match rec.first() {
                Some(1) => series += 1,
                Some(2) => samples += 1,
                _ => other += 1,
            })
            .unwrap();
        // A live writer may be mid-page; only a clean read counts here.
        if corruption.is_none() && samples >= 2 {
            break;
        }
    }
    let _ = child.0.kill();
    let _ = child.0.wait();
    assert!(
        series >= 1 && samples >= 2,
        "series={series} samples={samples} other={other}"
    );

    // After SIGKILL, the whole WAL still reads up to any torn tail, and the
    // records decode: the `up` series of the self-scrape has samples of 1.
    let mut records = 0;
    let mut all_series = Vec::new();
    let mut all_samples = Vec::new();
    let corruption = WalReader::open(&wal)
        .unwrap()
        .for_each(|_, rec| {
            records += 1;
            match RecordType::of(rec) {
                Some(RecordType::Series) => decode_series(rec, &mut all_series).unwrap(),
                Some(RecordType::Samples) => decode_samples(rec, &mut all_samples).unwrap(),
                _ => {}
            }
        })
        .unwrap();
    assert!(
        records >= series + samples,
        "{records} records, {corruption:?}"
    );
    let up = all_series
        .iter()
        .find(|s| s.labels.metric_name() == Some("up") && s.labels.get("job") == Some("self"))
        .expect("an `up{job=\"self\"}` series");
    let ups: Vec<f64> = all_samples
        .iter()
        .filter(|s| s.series == up.series)
        .map(|s| s.v)
        .collect();
    assert!(
        !ups.is_empty() && ups.iter().all(|v| *v == 1.0),
        "up samples: {ups:?}"
    );
    println!(
        "read {records} records ({} series, {} samples) from Prometheus' WAL",
        all_series.len(),
        all_samples.len()
    );
}
