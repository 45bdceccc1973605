//! Byte compatibility of XOR chunks with Prometheus: Debian's `promtool tsdb
//! create-blocks-from openmetrics` writes blocks, and every chunk in them
//! must decode and re-encode to exactly the same bytes (modulo the
//! 2.42-only trailing byte explained below).

mod common;

use common::{generate, have, promtool_create_blocks};
use vigil_tsdb::chunkenc::{Encoding, XorChunk, XorIter};
use vigil_tsdb::chunks::iter_chunks;

#[test]
fn promtool_chunks_reencode_byte_for_byte() {
    if !have("promtool") {
        return;
    }
    let want = generate(50);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("blocks");
    promtool_create_blocks(dir.path(), &want, &out);

    let (mut chunks, mut samples) = (0, 0);
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
    println!("{chunks} chunks, {samples} samples re-encoded identically");
}
