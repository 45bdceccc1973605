//! Reads the `chunks_head/` files Debian's Prometheus (2.42) writes.
//! `promtool tsdb bench write` fills a head (mmapping every chunk of 120
//! samples to `chunks_head/`) and stops cleanly; every chunk must then read
//! back with a valid checksum, name a series of the WAL, and decode to
//! exactly the samples `promtool tsdb dump` prints for that series and
//! time range.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::process::{Command, Stdio};

use vigil_tsdb::chunkenc::{Encoding, XorIter};
use vigil_tsdb::chunks_head::HeadChunkFiles;
use vigil_tsdb::record::{RecordType, decode_series};
use vigil_tsdb::wal::WalReader;

use common::have;

/// Sorted `name=value` pairs of a series, as a map key.
type Key = Vec<(String, String)>;

/// Parses promtool 2.42's dump lines (`{ a=" x",  b=" y"} value ts`; the
/// label order and spacing vary between versions).
fn parse_dump(out: &str) -> BTreeMap<Key, Vec<(i64, f64)>> {
    let mut m: BTreeMap<Key, Vec<(i64, f64)>> = BTreeMap::new();
    for line in out.lines().filter(|l| !l.is_empty()) {
        let close = line.rfind('}').expect("labels in dump line");
        let (labels, rest) = line.split_at(close + 1);
        let mut key: Key = labels
            .trim_matches(|c| c == '{' || c == '}')
            .split("\",")
            .filter_map(|p| {
                let (n, v) = p.split_once('=')?;
                Some((n.trim().to_string(), v.trim_matches('"').trim().to_string()))
            })
            .collect();
        key.sort();
        let mut parts = rest.split_whitespace();
        let v: f64 = parts.next().expect("value").parse().expect("float");
        let t: i64 = parts.next().expect("ts").parse().expect("int ts");
        m.entry(key).or_default().push((t, v));
    }
    m
}

#[test]
fn reads_head_chunks_written_by_prometheus() {
    if !have("promtool") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("series.json");
    let lines: String = (0..200)
        .map(|i| {
            format!(
                "{{\"__name__\":\"m{}\",\"instance\":\"h{i}\",\"job\":\"j\"}}\n",
                i % 10
            )
        })
        .collect();
    std::fs::write(&input, lines).unwrap();
    let out = dir.path().join("out");
    // 400 scrapes: three chunks of 120 samples per series get mmapped, the
    // rest stays in the WAL. The tool stops on its own (bounded by the
    // work given); it is not a server.
    let status = Command::new("promtool")
        .args(["tsdb", "bench", "write", "--metrics=200", "--scrapes=400"])
        .arg(format!("--out={}", out.display()))
        .arg(&input)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let storage = out.join("storage");

    let mut labels: HashMap<u64, Key> = HashMap::new();
    let mut series = Vec::new();
    let corruption = WalReader::open(&storage.join("wal"))
        .unwrap()
        .for_each(|_, rec| {
            if RecordType::of(rec) == Some(RecordType::Series) {
                decode_series(rec, &mut series).unwrap();
            }
        })
        .unwrap();
    assert!(corruption.is_none(), "{corruption:?}");
    for s in series.drain(..) {
        let mut k: Key = s
            .labels
            .iter()
            .map(|l| (l.name.to_string(), l.value.to_string()))
            .collect();
        k.sort();
        labels.insert(s.series, k);
    }

    let dump = Command::new("promtool")
        .args(["tsdb", "dump"])
        .arg(&storage)
        .output()
        .unwrap();
    assert!(dump.status.success());
    let dumped = parse_dump(&String::from_utf8_lossy(&dump.stdout));
    assert_eq!(dumped.len(), 200);

    let files = HeadChunkFiles::open(&storage.join("chunks_head")).unwrap();
    let (mut chunks, mut samples) = (0usize, 0usize);
    let mut per_series: HashMap<u64, usize> = HashMap::new();
    for c in files.iter() {
        let c = c.unwrap();
        assert_eq!(c.encoding, Encoding::Xor);
        assert!(!c.out_of_order);
        let key = labels.get(&c.series_ref).expect("chunk's series in WAL");
        let got: Vec<(i64, f64)> = XorIter::new(c.data).unwrap().collect();
        assert_eq!(got.first().map(|p| p.0), Some(c.mint));
        assert_eq!(got.last().map(|p| p.0), Some(c.maxt));
        let want: Vec<(i64, f64)> = dumped[key]
            .iter()
            .copied()
            .filter(|&(t, _)| t >= c.mint && t <= c.maxt)
            .collect();
        assert_eq!(got.len(), want.len());
        for (a, b) in got.iter().zip(&want) {
            assert!(a.0 == b.0 && a.1.to_bits() == b.1.to_bits(), "{a:?} {b:?}");
        }
        chunks += 1;
        samples += got.len();
        *per_series.entry(c.series_ref).or_default() += 1;
    }
    println!(
        "prometheus chunks_head: {chunks} chunks, {samples} samples, {} series",
        per_series.len()
    );
    assert_eq!(per_series.len(), 200);
    assert!(chunks >= 600, "{chunks} chunks");
}
