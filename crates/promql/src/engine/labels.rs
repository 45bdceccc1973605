//! Label-set helpers shared by the evaluator's parts.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use vigil_model::{Labels, LabelsBuilder, METRIC_NAME};

/// A fast multiplicative hasher (FxHash-like) for the engine's query-local
/// maps keyed by label sets and 64-bit signatures: SipHash's DoS
/// resistance costs more than the whole lookup here, and Prometheus' own
/// label hashing is not keyed either.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            self.add(u64::from_le_bytes(a));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut a = [0u8; 8];
            if let Some(dst) = a.get_mut(..rest.len()) {
                dst.copy_from_slice(rest);
            }
            self.add(u64::from_le_bytes(a));
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.add(x);
    }

    fn write_usize(&mut self, x: usize) {
        self.add(x as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
/// A `HashSet` with [`FastHasher`].
pub(crate) type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

/// Labels that describe a metric rather than a series: removed together
/// when an operation changes what the value means.
pub(crate) const METADATA_LABELS: [&str; 3] = [METRIC_NAME, "__type__", "__unit__"];

/// `l` without the metric name (and the type/unit metadata labels).
pub(crate) fn drop_metric_name(l: &Labels) -> Labels {
    if !METADATA_LABELS.iter().any(|n| l.has(n)) {
        return l.clone();
    }
    l.without(&METADATA_LABELS)
}

/// The labels an aggregation's output group carries: the `by` labels, or
/// everything but the `without` labels and the metric name.
pub(crate) fn grouping_labels(l: &Labels, grouping: &[&str], without: bool) -> Labels {
    if without {
        let mut b = LabelsBuilder::new();
        for x in l.iter() {
            if x.name != METRIC_NAME && !grouping.contains(&x.name) {
                b.push(x.name, x.value);
            }
        }
        b.build()
    } else if grouping.is_empty() {
        Labels::empty()
    } else {
        l.keep_only(grouping)
    }
}

/// Hash identifying the group of `l` (see [`grouping_labels`]).
pub(crate) fn grouping_hash(l: &Labels, grouping: &[&str], without: bool) -> u64 {
    if without {
        l.hash_without_labels(grouping)
    } else if grouping.is_empty() {
        0
    } else {
        l.hash_for_labels(grouping)
    }
}

/// The labels a vector-matching signature is made of (`on`: only those;
/// `ignoring`: all but those and the metric name).
pub(crate) fn match_labels(l: &Labels, on: bool, names: &[&str]) -> Labels {
    grouping_labels(l, names, !on)
}

/// Prometheus' `labels.Labels.Hash()`: XXH64 (seed 0) of every
/// `name 0xff value 0xff`. Needed where the hash picks results
/// (`limit_ratio`), so Vigil selects the same series as Prometheus.
pub(crate) fn prometheus_hash(l: &Labels) -> u64 {
    let mut buf = Vec::with_capacity(l.as_bytes().len() + 2 * l.len());
    for x in l.iter() {
        buf.extend_from_slice(x.name.as_bytes());
        buf.push(0xff);
        buf.extend_from_slice(x.value.as_bytes());
        buf.push(0xff);
    }
    xxh64(&buf)
}

const P1: u64 = 11_400_714_785_074_694_791;
const P2: u64 = 14_029_467_366_897_019_727;
const P3: u64 = 1_609_587_929_392_839_161;
const P4: u64 = 9_650_029_242_287_828_579;
const P5: u64 = 2_870_177_450_012_600_261;

fn round(acc: u64, input: u64) -> u64 {
    acc.wrapping_add(input.wrapping_mul(P2))
        .rotate_left(31)
        .wrapping_mul(P1)
}

fn merge_round(acc: u64, val: u64) -> u64 {
    (acc ^ round(0, val)).wrapping_mul(P1).wrapping_add(P4)
}

fn read_u64(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    if let Some(s) = b.get(i..i + 8) {
        a.copy_from_slice(s);
    }
    u64::from_le_bytes(a)
}

fn read_u32(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(i..i + 4) {
        a.copy_from_slice(s);
    }
    u32::from_le_bytes(a) as u64
}

/// XXH64 with seed 0 (the hash Go's `cespare/xxhash` computes).
pub(crate) fn xxh64(b: &[u8]) -> u64 {
    let n = b.len();
    let mut i = 0;
    let mut h = if n >= 32 {
        let (mut v1, mut v2, mut v3, mut v4) =
            (P1.wrapping_add(P2), P2, 0u64, 0u64.wrapping_sub(P1));
        while i + 32 <= n {
            v1 = round(v1, read_u64(b, i));
            v2 = round(v2, read_u64(b, i + 8));
            v3 = round(v3, read_u64(b, i + 16));
            v4 = round(v4, read_u64(b, i + 24));
            i += 32;
        }
        let mut h = v1
            .rotate_left(1)
            .wrapping_add(v2.rotate_left(7))
            .wrapping_add(v3.rotate_left(12))
            .wrapping_add(v4.rotate_left(18));
        h = merge_round(h, v1);
        h = merge_round(h, v2);
        h = merge_round(h, v3);
        merge_round(h, v4)
    } else {
        P5
    };
    h = h.wrapping_add(n as u64);
    while i + 8 <= n {
        h ^= round(0, read_u64(b, i));
        h = h.rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
        i += 8;
    }
    if i + 4 <= n {
        h ^= read_u32(b, i).wrapping_mul(P1);
        h = h.rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
        i += 4;
    }
    while let Some(&x) = b.get(i) {
        h ^= (x as u64).wrapping_mul(P5);
        h = h.rotate_left(11).wrapping_mul(P1);
        i += 1;
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^= h >> 32;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xxh64_reference_values() {
        assert_eq!(xxh64(b""), 0xef46_db37_51d8_e999);
        assert_eq!(xxh64(b"a"), 0xd24e_c4f1_a98c_6e5b);
    }
}
