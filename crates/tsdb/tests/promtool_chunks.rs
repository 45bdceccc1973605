//! Byte compatibility of XOR chunks with Prometheus: Debian's `promtool tsdb
//! create-blocks-from openmetrics` writes a block, and every chunk in it must
//! decode to the input samples and re-encode to exactly the same bytes
//! (modulo the 2.42-only trailing byte explained below).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::Command;

use vigil_tsdb::chunkenc::{Encoding, XorChunk, XorIter};
use vigil_tsdb::chunks::iter_chunks;

fn have_promtool() -> bool {
    let ok = Command::new("promtool")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is required in CI (Debian package `prometheus`)"
        );
        println!("skipped: promtool not installed");
    }
    ok
}

#[test]
fn promtool_blocks_reencode_byte_for_byte() {
    if !have_promtool() {
        return;
    }
    // 50 series × 3 h with jittered sub-second timestamps, counter resets and
    // awkward values, so every delta width and XOR window case appears.
    let base = 1_700_000_000_000i64;
    let mut want: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for s in 0..50i64 {
        let mut v = 0.0f64;
        let mut t = base;
        for i in 0..720i64 {
            t += 15_000 + (i * 7919 + s * 31) % 997 - 498;
            v = if i % 200 == 199 {
                3.0
            } else {
                v + (i % 13) as f64 * 0.25 + s as f64
            };
            if s == 7 && i % 5 == 0 {
                v = 1e-9 * i as f64;
            }
            want.entry(format!("{s:02}")).or_default().push((t, v));
        }
    }
    let mut om = String::from("# TYPE m counter\n");
    for (s, samples) in &want {
        for (t, v) in samples {
            let _ = writeln!(
                om,
                "m_total{{s=\"{s}\"}} {v:?} {}.{:03}",
                t / 1000,
                t % 1000
            );
        }
    }
    om.push_str("# EOF\n");

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.om");
    std::fs::write(&input, om).unwrap();
    let out = dir.path().join("blocks");
    let res = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "promtool failed: {}",
        String::from_utf8_lossy(&res.stderr)
    );

    let mut chunks = 0;
    let mut samples = 0;
    for block in std::fs::read_dir(&out).unwrap() {
        let seg_dir = block.unwrap().path().join("chunks");
        for seg in std::fs::read_dir(&seg_dir).unwrap() {
            let bytes = std::fs::read(seg.unwrap().path()).unwrap();
            for rec in iter_chunks(&bytes) {
                let rec = rec.unwrap();
                assert_eq!(rec.encoding, Encoding::Xor);
                let mut it = XorIter::new(rec.data).unwrap();
                let decoded: Vec<_> = it.by_ref().collect();
                assert!(it.take_err().is_none());
                let mut c = XorChunk::new();
                for (t, v) in &decoded {
                    c.append(*t, *v).unwrap();
                }
                // Prometheus 2.42's bit writer leaves one fully free zero
                // byte when the stream ends on a byte boundary; 3.x's (which
                // we follow) does not. Readers of both versions accept both.
                let theirs = match rec.data.split_last() {
                    Some((0, rest)) if rest == c.bytes() => rest,
                    _ => rec.data,
                };
                assert_eq!(c.bytes(), theirs, "re-encoded chunk differs");
                chunks += 1;
                samples += decoded.len();
            }
        }
    }
    let total: usize = want.values().map(Vec::len).sum();
    assert_eq!(samples, total, "every input sample is in some chunk");
    assert!(
        chunks >= 50 * 3,
        "expected several chunks per series, got {chunks}"
    );
    println!("{chunks} chunks, {samples} samples re-encoded identically");
}
