use super::*;

fn round_trip(samples: &[(i64, f64)]) -> XorChunk {
    let mut c = XorChunk::new();
    for &(t, v) in samples {
        c.append(t, v).unwrap();
    }
    assert_decodes_to(c.bytes(), samples);
    c
}

/// Every decoder gives back exactly `samples` (values compared bit for bit,
/// so NaN payloads such as the stale marker count).
fn assert_decodes_to(bytes: &[u8], samples: &[(i64, f64)]) {
    let bits = |s: &[(i64, f64)]| s.iter().map(|&(t, v)| (t, v.to_bits())).collect::<Vec<_>>();
    let want = bits(samples);
    let mut it = XorIter::new(bytes).unwrap();
    let got: Vec<_> = it.by_ref().collect();
    assert!(it.take_err().is_none());
    assert_eq!(bits(&got), want, "XorIter");
    let mut out = vec![(7, 7.0)];
    decode_xor_into(bytes, i64::MIN, i64::MAX, &mut out).unwrap();
    assert_eq!(bits(&out[1..]), want, "decode_xor_into appends");
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    decode_xor_columns(bytes, i64::MIN, i64::MAX, &mut ts, &mut vs).unwrap();
    let cols: Vec<_> = ts.into_iter().zip(vs).collect();
    assert_eq!(bits(&cols), want, "decode_xor_columns");
}

#[test]
fn encodes_like_prometheus() {
    // Bytes produced by Prometheus' xorAppender for these samples
    // (computed by hand from the format: see the module docs).
    let c = round_trip(&[(1000, 1.0), (2000, 1.0), (3000, 2.0)]);
    assert_eq!(&c.bytes()[..2], &[0, 3]);
    // ts_0 = varint(1000) = zigzag 2000 = 0xd0 0x0f; v_0 = 1.0 bits.
    assert_eq!(&c.bytes()[2..4], &[0xd0, 0x0f]);
    assert_eq!(&c.bytes()[4..12], &1.0f64.to_bits().to_be_bytes());
    // ts_1_delta = uvarint(1000) = 0xe8 0x07, then value bit 0 (same value).
    assert_eq!(&c.bytes()[12..14], &[0xe8, 0x07]);
    // dod 0 → '0'; 2.0 ^ 1.0 = 0x7ff0…: leading 1, trailing 52, sig 11 → '11' 00001 001011 + 11 bits.
    assert_eq!(c.bytes()[14] >> 6, 0b00);
}

#[test]
fn all_delta_widths_and_special_values() {
    let mut samples = Vec::new();
    let mut t = -5_000i64;
    let deltas = [1, 15, 15, 8207, 9000, 70_000, 600_000, 1 << 40, 3, 3, 2];
    let values = [
        0.0,
        -0.0,
        1.5,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        vigil_model::stale_nan(),
        1e-300,
        1e300,
        42.0,
        42.0,
        7.25,
    ];
    for (i, v) in values.iter().enumerate() {
        samples.push((t, *v));
        t += deltas.get(i).copied().unwrap_or(1000);
    }
    round_trip(&samples);
}

#[test]
fn reopen_and_append() {
    let c = round_trip(&[(10, 1.0), (20, 2.5), (35, 2.5), (36, -8.0)]);
    let mut reopened = XorChunk::from_bytes(c.bytes().to_vec()).unwrap();
    reopened.append(50, 9.0).unwrap();
    let mut fresh = c.clone();
    fresh.append(50, 9.0).unwrap();
    assert_eq!(reopened.bytes(), fresh.bytes());
}

#[test]
fn corrupt_data_is_an_error_not_a_panic() {
    let c = round_trip(&[(10, 1.0), (20, 2.5), (35, 3.5), (36, -8.0)]);
    for cut in 0..c.bytes().len() {
        let bytes = &c.bytes()[..cut];
        if let Ok(mut it) = XorIter::new(bytes) {
            let n = it.by_ref().count();
            assert!(n <= 4);
        }
    }
    let mut bad = c.bytes().to_vec();
    bad[1] = 200; // claims more samples than encoded
    let mut it = XorIter::new(&bad).unwrap();
    // Padding zeros decode as repeats of the last sample until the bits
    // run out; then the iterator stops with an error.
    assert!(it.by_ref().count() < 200);
    assert!(matches!(it.take_err(), Some(Error::UnexpectedEof { .. })));
    let mut out = Vec::new();
    let err = decode_xor_into(&bad, i64::MIN, i64::MAX, &mut out);
    assert!(matches!(err, Err(Error::UnexpectedEof { .. })));
}

/// A small deterministic generator: the property tests must be repeatable.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A timestamp step, never negative (chunks hold samples in time order,
/// which the range decoders rely on): mostly regular, often at the edges of the 14/17/20-bit
/// delta-of-delta fields, sometimes huge.
fn random_delta(rng: &mut SplitMix, base: i64) -> i64 {
    const EDGES: [i64; 14] = [
        8191,
        8192,
        8193,
        65535,
        65536,
        65537,
        524_287,
        524_288,
        524_289,
        0,
        1,
        2,
        1 << 40,
        1 << 62,
    ];
    match rng.below(10) {
        0..=3 => base,
        4 | 5 => (base + rng.below(11) as i64 - 5).max(0),
        6 | 7 => (base + EDGES[rng.below(EDGES.len() as u64) as usize]).max(0),
        8 => rng.below(1 << 21) as i64,
        _ => (rng.next() >> 2) as i64,
    }
}

fn random_value(rng: &mut SplitMix, prev: f64) -> f64 {
    match rng.below(12) {
        0 | 1 => prev,
        2 | 3 => prev + rng.below(100) as f64,
        4 => ((prev + rng.below(2001) as f64 / 100.0 - 10.0) * 100.0).round() / 100.0,
        5 => f64::from_bits(rng.next()),
        6 => f64::NAN,
        7 => vigil_model::stale_nan(),
        8 => [f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0][rng.below(4) as usize],
        9 => [f64::MIN_POSITIVE / 4.0, f64::MAX, f64::MIN, f64::EPSILON][rng.below(4) as usize],
        10 => -prev,
        _ => rng.below(1 << 53) as f64,
    }
}

fn random_chunk(rng: &mut SplitMix) -> Vec<(i64, f64)> {
    let n = match rng.below(4) {
        0 => 1 + rng.below(3) as usize,
        1 => 120,
        _ => 1 + rng.below(400) as usize,
    };
    let mut t = match rng.below(3) {
        0 => -(rng.below(1 << 50) as i64),
        1 => rng.below(1 << 41) as i64,
        _ => 0,
    };
    let base = [1, 15, 1000, 15_000, 60_000][rng.below(5) as usize];
    let mut v = random_value(rng, 0.0);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push((t, v));
        t = t.saturating_add(random_delta(rng, base));
        v = random_value(rng, v);
    }
    out
}

#[test]
fn random_chunks_round_trip() {
    let mut rng = SplitMix(0x5eed);
    for _ in 0..3000 {
        round_trip(&random_chunk(&mut rng));
    }
}

#[test]
fn single_sample_chunks() {
    for v in [0.0, -0.0, f64::NAN, vigil_model::stale_nan(), f64::MAX, 1.5] {
        for t in [i64::MIN, -1, 0, 1, i64::MAX] {
            round_trip(&[(t, v)]);
        }
    }
}

#[test]
fn ranges_match_filtering_every_sample() {
    let mut rng = SplitMix(42);
    for _ in 0..500 {
        let samples = random_chunk(&mut rng);
        let c = round_trip(&samples);
        let pick = |rng: &mut SplitMix| samples[rng.below(samples.len() as u64) as usize].0;
        let (a, b) = (pick(&mut rng), pick(&mut rng));
        let (mint, maxt) = (a.min(b).saturating_sub(rng.below(2) as i64), a.max(b));
        let want: Vec<_> = samples
            .iter()
            .filter(|s| s.0 >= mint && s.0 <= maxt)
            .map(|&(t, v)| (t, v.to_bits()))
            .collect();
        let mut out = Vec::new();
        decode_xor_into(c.bytes(), mint, maxt, &mut out).unwrap();
        let got: Vec<_> = out.iter().map(|&(t, v)| (t, v.to_bits())).collect();
        assert_eq!(got, want, "range {mint}..={maxt}");
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        decode_xor_columns(c.bytes(), mint, maxt, &mut ts, &mut vs).unwrap();
        let cols: Vec<_> = ts
            .into_iter()
            .zip(vs)
            .map(|(t, v)| (t, v.to_bits()))
            .collect();
        assert_eq!(cols, want);
    }
}

#[test]
fn damaged_random_chunks_never_panic_and_decoders_agree() {
    let mut rng = SplitMix(7);
    for _ in 0..1500 {
        let c = round_trip(&random_chunk(&mut rng));
        let mut bytes = c.bytes().to_vec();
        match rng.below(3) {
            0 => bytes.truncate(rng.below(bytes.len() as u64 + 1) as usize),
            1 => {
                let i = rng.below(bytes.len() as u64) as usize;
                bytes[i] ^= 1 << rng.below(8);
            }
            _ => {
                let n = rng.below(u64::from(u16::MAX)) as u16;
                bytes[..2].copy_from_slice(&n.to_be_bytes());
            }
        }
        let Ok(mut it) = XorIter::new(&bytes) else {
            assert!(decode_xor_into(&bytes, i64::MIN, i64::MAX, &mut Vec::new()).is_err());
            continue;
        };
        let iter: Vec<_> = it.by_ref().map(|(t, v)| (t, v.to_bits())).collect();
        let iter_err = it.take_err().is_some();
        let mut out = Vec::new();
        let bulk_err = decode_xor_into(&bytes, i64::MIN, i64::MAX, &mut out).is_err();
        let bulk: Vec<_> = out.iter().map(|&(t, v)| (t, v.to_bits())).collect();
        assert_eq!(bulk, iter, "bulk and iterator decode the same prefix");
        assert_eq!(bulk_err, iter_err);
    }
}

#[test]
fn reopened_random_chunks_take_more_samples() {
    // The bytes may differ from a chunk that never closed: like
    // Prometheus' appender, a reopened one starts from the reader's XOR
    // window, which is unset (0, 0) rather than "none yet" when no value
    // changed. The samples must not.
    let mut rng = SplitMix(99);
    for _ in 0..300 {
        let mut samples = random_chunk(&mut rng);
        let c = round_trip(&samples);
        let mut reopened = XorChunk::from_bytes(c.bytes().to_vec()).unwrap();
        let t = c.last_timestamp().saturating_add(15_000);
        let v = random_value(&mut rng, c.last_value());
        reopened.append(t, v).unwrap();
        samples.push((t, v));
        assert_decodes_to(reopened.bytes(), &samples);
    }
}
