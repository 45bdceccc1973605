use super::*;

fn write_some(dir: &Path, max: u64, n: u64) -> Vec<HeadChunkRef> {
    let mut w = HeadChunkWriter::with_max_file_size(dir, max).unwrap();
    let refs = (0..n)
        .map(|i| {
            let data = vec![i as u8; 10 + (i as usize % 50)];
            w.write_chunk(
                i + 1,
                i as i64 * 10,
                i as i64 * 10 + 9,
                Encoding::Xor as u8,
                &data,
            )
            .unwrap()
        })
        .collect();
    w.close().unwrap();
    refs
}

#[test]
fn ref_packs_file_and_offset() {
    let r = HeadChunkRef::new(3, 0x1234);
    assert_eq!(r.0, (3 << 32) | 0x1234);
    assert_eq!((r.seq(), r.offset()), (3, 0x1234));
}

#[test]
fn layout_matches_the_format_doc() {
    let mut b = Vec::new();
    encode_chunk(&mut b, 7, -1, 300, 1, &[0xaa, 0xbb]);
    assert_eq!(&b[..8], &7u64.to_be_bytes());
    assert_eq!(&b[8..16], &u64::MAX.to_be_bytes());
    assert_eq!(&b[16..24], &300u64.to_be_bytes());
    assert_eq!(b[24], 1);
    assert_eq!(b[25], 2);
    assert_eq!(&b[26..28], &[0xaa, 0xbb]);
    // The checksum covers series ref through data.
    assert_eq!(&b[28..], &crc32c::crc32c(&b[..28]).to_be_bytes());
    assert_eq!(b.len(), encoded_len(2));
}

#[test]
fn write_cut_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let refs = write_some(dir.path(), 1000, 100);
    let files = list_files(dir.path()).unwrap();
    assert!(files.len() > 5, "{files:?}");
    for (_, p) in &files {
        assert!(std::fs::metadata(p).unwrap().len() <= 1000);
    }
    let r = HeadChunkFiles::open(dir.path()).unwrap();
    let all: Vec<_> = r.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len(), 100);
    for (i, c) in all.iter().enumerate() {
        assert_eq!(c.chunk_ref, refs[i]);
        assert_eq!(c.series_ref, i as u64 + 1);
        assert_eq!((c.mint, c.maxt), (i as i64 * 10, i as i64 * 10 + 9));
        assert_eq!(c.data, &vec![i as u8; 10 + i % 50][..]);
        assert!(!c.out_of_order);
        assert_eq!(r.chunk(refs[i]).unwrap(), *c);
    }
    // A new writer starts a new file after the existing ones.
    let mut w = HeadChunkWriter::open(dir.path()).unwrap();
    let next = w.write_chunk(1, 0, 1, 0x81, &[1]).unwrap();
    assert_eq!(next.seq(), files.last().unwrap().0 + 1);
    w.delete_files_before(next.seq()).unwrap();
    w.close().unwrap();
    let r = HeadChunkFiles::open(dir.path()).unwrap();
    let left: Vec<_> = r.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(left.len(), 1);
    assert!(left[0].out_of_order);
    assert_eq!(left[0].encoding, Encoding::Xor);
}

#[test]
fn zero_padding_ends_a_file() {
    let mut f = header().to_vec();
    encode_chunk(&mut f, 1, 5, 6, 1, &[1, 2, 3]);
    let good = f.len();
    for pad in [1, 10, MAX_CHUNK_META_SIZE, 4096] {
        let mut g = f.clone();
        g.resize(good + pad, 0);
        let v: Vec<_> = iter_file(1, &g).collect::<Result<_, _>>().unwrap();
        assert_eq!(v.len(), 1);
    }
}

#[test]
fn every_truncation_and_bit_flip_is_an_error_or_a_prefix() {
    let mut f = header().to_vec();
    let mut ends = Vec::new();
    for i in 0..4u64 {
        encode_chunk(&mut f, i + 1, 10, 20, 1, &[i as u8; 20]);
        ends.push(f.len());
    }
    for cut in 0..f.len() {
        let res: Vec<_> = iter_file(2, &f[..cut]).collect();
        let ok = res.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, ends.iter().filter(|&&e| e <= cut).count(), "cut {cut}");
        if let Some(Err(c)) = res.last() {
            assert_eq!(c.seq, 2);
            let expect = if cut < FILE_HEADER_SIZE {
                0
            } else {
                ends.get(ok.wrapping_sub(1))
                    .copied()
                    .unwrap_or(FILE_HEADER_SIZE)
            };
            assert_eq!(c.offset, expect, "cut {cut}");
        }
    }
    for at in 0..f.len() {
        for bit in [0x01u8, 0x80] {
            let mut g = f.clone();
            g[at] ^= bit;
            let res: Vec<_> = iter_file(1, &g).collect();
            // A flipped bit never yields a chunk that differs from the
            // original; the chunks before it are intact.
            let ok = res.iter().filter(|r| r.is_ok()).count();
            assert!(ok <= 4);
            if at >= FILE_HEADER_SIZE {
                let damaged = ends.iter().filter(|&&e| e <= at).count();
                assert!(ok >= damaged, "at {at}");
            }
        }
    }
}

#[test]
fn repair_cuts_the_damaged_tail() {
    let dir = tempfile::tempdir().unwrap();
    write_some(dir.path(), 1000, 60);
    let files = list_files(dir.path()).unwrap();
    assert!(files.len() >= 3);
    // Damage the last byte of the second file's second chunk's data.
    let (seq, path) = &files[1];
    let mut bytes = std::fs::read(path).unwrap();
    let second = {
        let r: Vec<_> = iter_file(*seq, &bytes).collect::<Result<_, _>>().unwrap();
        r[1].chunk_ref.offset() as usize + encoded_len(r[1].data.len()) - 5
    };
    bytes[second] ^= 0xff;
    std::fs::write(path, &bytes).unwrap();
    let before: usize = iter_file(files[0].0, &std::fs::read(&files[0].1).unwrap()).count();
    let err = {
        let r = HeadChunkFiles::open(dir.path()).unwrap();
        let v: Vec<_> = r.iter().collect();
        assert_eq!(v.len(), before + 2);
        v.last().unwrap().clone().unwrap_err()
    };
    assert_eq!(err.seq, *seq);
    assert!(err.to_string().contains("checksum"), "{err}");
    repair(dir.path(), &err).unwrap();
    let r = HeadChunkFiles::open(dir.path()).unwrap();
    let v: Vec<_> = r.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(v.len(), before + 1);
    assert_eq!(list_files(dir.path()).unwrap().len(), 2);
    // Damage in the header deletes the file.
    repair(
        dir.path(),
        &Corruption {
            seq: *seq,
            offset: 0,
            message: String::new(),
        },
    )
    .unwrap();
    assert_eq!(list_files(dir.path()).unwrap().len(), 1);
}

#[test]
fn chunk_lookup_errors_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    write_some(dir.path(), 1 << 20, 3);
    let r = HeadChunkFiles::open(dir.path()).unwrap();
    for off in [0u32, 1, 9, 100, 1 << 20, u32::MAX] {
        let _ = r.chunk(HeadChunkRef::new(1, off));
    }
    assert!(r.chunk(HeadChunkRef::new(9, 8)).is_err());
}
