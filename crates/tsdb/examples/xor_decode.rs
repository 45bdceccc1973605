//! XOR chunk decoding cost in ns per sample, on chunks shaped like the ones
//! a scrape loop writes: 120 samples 15 s apart with a little jitter, as
//! counters (integers growing by a varying step, an occasional reset) and
//! as gauges (values with a few decimal digits that move up and down).
//!
//! `cargo run --release -p vigil-tsdb --example xor_decode -- [ROUNDS]`
//!
//! Prints, per shape, the per-sample iterator (`XorIter::next`) and the bulk
//! decoders (`decode_xor_into`, `decode_xor_columns`). For numbers that do
//! not depend on machine load run it under
//! `valgrind --tool=callgrind` with a small ROUNDS and compare instruction
//! counts.
//!
//! Measured 2026-12-08 under callgrind (ROUNDS=3, counters and gauges
//! together), instructions per sample: before the buffered bit reader,
//! `XorIter::next` about 237 and the old `decode_chunk` path (iterator,
//! filter, extend) 261; after, `XorIter::next` 170, `decode_xor_into` 150,
//! `decode_xor_columns` 154 (×1.7 fewer through `decode_chunk`). Wall
//! time on the shared 2-core machine (load 2-6): `decode_xor_into` went
//! from 38-51 to 19-36 ns per sample.

use std::hint::black_box;
use std::time::Instant;

use vigil_tsdb::chunkenc::{XorChunk, XorIter, decode_xor_columns, decode_xor_into};

/// A small deterministic generator so runs are comparable.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// `n` chunks of 120 samples; `counter` picks the value shape.
fn chunks(n: usize, counter: bool) -> Vec<Vec<u8>> {
    let mut rng = SplitMix(if counter { 1 } else { 2 });
    (0..n)
        .map(|_| {
            let mut c = XorChunk::new();
            let mut t = 1_700_000_000_000i64 + (rng.next() % 15_000) as i64;
            let mut v = if counter { 0.0 } else { 50.0 };
            for _ in 0..120 {
                c.append(t, v).expect("append");
                // Scrapes land within a few ms of the 15 s interval.
                t += 15_000 + (rng.next() % 7) as i64 - 3;
                if counter {
                    v = if rng.next() % 500 == 0 {
                        0.0
                    } else {
                        v + (rng.next() % 40) as f64
                    };
                } else {
                    let step = (rng.next() % 2001) as f64 / 100.0 - 10.0;
                    v = ((v + step) * 100.0).round() / 100.0;
                }
            }
            c.bytes().to_vec()
        })
        .collect()
}

fn time(what: &str, samples: usize, rounds: usize, mut f: impl FnMut() -> usize) {
    let start = Instant::now();
    let mut total = 0usize;
    for _ in 0..rounds {
        total += f();
    }
    let ns = start.elapsed().as_nanos() as f64;
    assert_eq!(total, samples * rounds, "{what}: sample count");
    println!("{what:28} {:7.2} ns/sample", ns / (samples * rounds) as f64);
}

// One function per decoder, never inlined, so callgrind's inclusive
// counts give each decoder's instructions.

#[inline(never)]
fn by_iter(cs: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for c in cs {
        for s in XorIter::new(c).expect("chunk") {
            black_box(s);
            n += 1;
        }
    }
    n
}

#[inline(never)]
fn into_pairs(cs: &[Vec<u8>], out: &mut Vec<(i64, f64)>) -> usize {
    let mut n = 0;
    for c in cs {
        out.clear();
        decode_xor_into(c, i64::MIN, i64::MAX, out).expect("chunk");
        black_box(&out);
        n += out.len();
    }
    n
}

#[inline(never)]
fn into_columns(cs: &[Vec<u8>], ts: &mut Vec<i64>, vs: &mut Vec<f64>) -> usize {
    let mut n = 0;
    for c in cs {
        ts.clear();
        vs.clear();
        decode_xor_columns(c, i64::MIN, i64::MAX, ts, vs).expect("chunk");
        black_box((&ts, &vs));
        n += ts.len();
    }
    n
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    for (shape, counter) in [("counter", true), ("gauge", false)] {
        let cs = chunks(1000, counter);
        let samples = cs.len() * 120;
        let bytes: usize = cs.iter().map(Vec::len).sum();
        println!(
            "{shape}: {} chunks, {:.2} bytes/sample",
            cs.len(),
            bytes as f64 / samples as f64
        );
        time(&format!("{shape} XorIter::next"), samples, rounds, || {
            by_iter(&cs)
        });
        let mut out = Vec::with_capacity(120);
        time(&format!("{shape} decode_xor_into"), samples, rounds, || {
            into_pairs(&cs, &mut out)
        });
        let (mut ts, mut vs) = (Vec::with_capacity(120), Vec::with_capacity(120));
        time(
            &format!("{shape} decode_xor_columns"),
            samples,
            rounds,
            || into_columns(&cs, &mut ts, &mut vs),
        );
    }
}
