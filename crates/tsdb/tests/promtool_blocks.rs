//! Blocks interoperate with Prometheus both ways, on 200 series × 3 h with
//! counter resets and sub-second timestamps:
//! - a block Vigil writes is dumped by Debian's `promtool tsdb dump` with
//!   exactly the samples that went in;
//! - blocks `promtool tsdb create-blocks-from openmetrics` writes are read
//!   by Vigil with exactly the samples that went in.

mod common;

use std::process::Command;

use common::{Series, assert_same, generate, have, parse_dump, promtool_create_blocks};
use vigil_model::Labels;
use vigil_tsdb::block::{Block, BlockWriter, encoded_xor, xor_chunks};
use vigil_tsdb::chunkenc::XorIter;

fn labels_of(key: &str) -> Labels {
    let s = key
        .trim_start_matches("{__name__=\"m_total\", s=\"")
        .trim_end_matches("\"}");
    Labels::from_pairs(&[("__name__", "m_total"), ("s", s)])
}

#[test]
fn promtool_dumps_vigil_block() {
    if !have("promtool") {
        return;
    }
    let want = generate(200);
    let dir = tempfile::tempdir().unwrap();
    let mut w = BlockWriter::new(dir.path()).unwrap();
    let (mut mint, mut maxt) = (i64::MAX, i64::MIN);
    for (key, samples) in &want {
        let chunks = xor_chunks(samples).unwrap();
        let enc = encoded_xor(&chunks);
        mint = mint.min(samples[0].0);
        maxt = maxt.max(samples[samples.len() - 1].0);
        w.add_series(labels_of(key), &enc).unwrap();
    }
    let meta = w.finish(mint, maxt + 1).unwrap();
    assert_eq!(meta.stats.num_series, 200);
    // promtool opens the directory as a whole data directory, WAL included.
    std::fs::create_dir(dir.path().join("wal")).unwrap();

    let out = Command::new("promtool")
        .args(["tsdb", "dump"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool tsdb dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = parse_dump(&String::from_utf8_lossy(&out.stdout));
    assert_same(&got, &want);

    // promtool's analyzer walks the index and chunks too.
    let out = Command::new("promtool")
        .args(["tsdb", "analyze"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool tsdb analyze failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Series: 200"), "{text}");
}

#[test]
fn vigil_reads_promtool_blocks() {
    if !have("promtool") {
        return;
    }
    let want = generate(200);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("blocks");
    promtool_create_blocks(dir.path(), &want, &out);

    let mut got = Series::new();
    let mut blocks = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let block = Block::open(&entry.unwrap().path()).unwrap();
        blocks += 1;
        block
            .for_each_series(|_, labels, chunks| {
                let key = labels.to_string();
                for c in chunks {
                    let rec = block.chunk(c.reference)?;
                    let mut it = XorIter::new(rec.data)?;
                    let samples: Vec<_> = it.by_ref().collect();
                    if let Some(e) = it.take_err() {
                        return Err(e);
                    }
                    assert_eq!(samples.first().map(|s| s.0), Some(c.mint));
                    assert_eq!(samples.last().map(|s| s.0), Some(c.maxt));
                    got.entry(key.clone()).or_default().extend(samples);
                }
                Ok(())
            })
            .unwrap();
    }
    assert!(blocks >= 2, "3 h of data spans more than one 2 h block");
    for v in got.values_mut() {
        v.sort_by_key(|p| p.0);
    }
    assert_same(&got, &want);
}
