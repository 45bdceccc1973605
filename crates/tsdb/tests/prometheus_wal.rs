//! Reads a WAL written by Debian's Prometheus: it scrapes itself for a few
//! seconds, is killed with SIGKILL (so the tail may be torn), and every
//! record before any damage must read back with a valid record type.

use std::time::{Duration, Instant};

mod common;

use common::{SelfScrapingPrometheus, have};
use vigil_tsdb::record::{RecordType, decode_samples, decode_series};
use vigil_tsdb::wal::WalReader;

#[test]
fn reads_wal_written_by_prometheus() {
    if !have("prometheus") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut prom = SelfScrapingPrometheus::start(dir.path());
    let data = prom.data.clone();

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
    prom.kill();
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
