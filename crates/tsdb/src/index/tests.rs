use std::collections::BTreeSet;

use vigil_model::{Labels, LabelsBuilder};

use super::*;

fn series_set() -> Vec<(Labels, Vec<ChunkMeta>)> {
    let mut out = Vec::new();
    for job in ["api", "db", "web"] {
        for i in 0..40 {
            let l = Labels::from_pairs(&[
                ("__name__", "http_requests_total"),
                ("job", job),
                ("instance", &format!("10.0.0.{i}:80")),
                ("ü.label", if i % 2 == 0 { "even" } else { "odd" }),
            ]);
            let chunks: Vec<ChunkMeta> = (0..(i % 4))
                .map(|k| ChunkMeta {
                    mint: k * 1000 - 500,
                    maxt: k * 1000 + 499,
                    reference: 0,
                })
                .collect();
            out.push((l, chunks));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    // Chunk references grow with series order, as in a real block.
    let mut next = 8u64;
    for (_, chunks) in &mut out {
        for c in chunks.iter_mut() {
            c.reference = next;
            next += 37;
        }
    }
    out
}

fn write_index(dir: &std::path::Path, set: &[(Labels, Vec<ChunkMeta>)]) -> std::path::PathBuf {
    let path = dir.join("index");
    let mut symbols = BTreeSet::new();
    for (l, _) in set {
        for p in l {
            symbols.insert(p.name.to_string());
            symbols.insert(p.value.to_string());
        }
    }
    let mut w = IndexWriter::create(&path).unwrap();
    for s in &symbols {
        w.add_symbol(s).unwrap();
    }
    for (l, c) in set {
        w.add_series(l, c).unwrap();
    }
    w.finish().unwrap();
    path
}

#[test]
fn write_then_read_everything() {
    let dir = tempfile::tempdir().unwrap();
    let set = series_set();
    let path = write_index(dir.path(), &set);
    let r = IndexReader::open(&path).unwrap();

    let all: Vec<u64> = r.all_postings().unwrap().ids().collect();
    assert_eq!(all.len(), set.len());
    let mut b = LabelsBuilder::new();
    let mut chunks = Vec::new();
    for (id, (want_labels, want_chunks)) in all.iter().zip(&set) {
        let got = r.series(*id, &mut b, &mut chunks).unwrap();
        assert_eq!(&got, want_labels);
        assert_eq!(&chunks, want_chunks);
    }
    assert!(
        all.windows(2).all(|w| w[0] < w[1]),
        "IDs increase with label order"
    );

    assert_eq!(
        r.label_names().collect::<Vec<_>>(),
        vec!["__name__", "instance", "job", "ü.label"]
    );
    assert_eq!(r.label_values("job").unwrap(), vec!["api", "db", "web"]);
    let db: Vec<u64> = r.postings("job", "db").unwrap().ids().collect();
    assert_eq!(db.len(), 40);
    for id in db {
        assert_eq!(
            r.series(id, &mut b, &mut chunks).unwrap().get("job"),
            Some("db")
        );
    }
    assert!(r.postings("job", "nope").unwrap().is_empty());
    assert!(r.postings("nope", "x").unwrap().is_empty());
}

#[test]
fn writer_refuses_bad_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = IndexWriter::create(&dir.path().join("index")).unwrap();
    w.add_symbol("b").unwrap();
    assert!(w.add_symbol("a").is_err());
    let l = Labels::from_pairs(&[("b", "b")]);
    w.add_series(&l, &[]).unwrap();
    assert!(w.add_series(&l, &[]).is_err(), "duplicate series");
    let missing = Labels::from_pairs(&[("c", "b")]);
    assert!(w.add_series(&missing, &[]).is_err(), "symbol not in table");
}

#[test]
fn corruption_names_file_and_offset_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_index(dir.path(), &series_set());
    let good = std::fs::read(&path).unwrap();
    // Flip one byte at a spread of positions: opening and reading every
    // series either works or fails with an error naming the file.
    for pos in (0..good.len()).step_by(good.len() / 97 + 1) {
        let mut bad = good.clone();
        bad[pos] ^= 0x5a;
        match IndexReader::new(bad, "blk/index") {
            Ok(r) => {
                let mut b = LabelsBuilder::new();
                let mut c = Vec::new();
                let ids: Vec<u64> = r
                    .all_postings()
                    .map(|p| p.ids().collect())
                    .unwrap_or_default();
                for id in ids {
                    if let Err(e) = r.series(id, &mut b, &mut c) {
                        assert!(e.to_string().contains("blk/index at offset"), "{e}");
                    }
                }
            }
            Err(e) => assert!(e.to_string().contains("blk/index at offset"), "{e}"),
        }
    }
    for cut in (0..good.len()).step_by(37) {
        let _ = IndexReader::new(&good[..cut], "cut");
    }
}
