//! `meta.json` of a block, field for field as Prometheus writes it, and the
//! ULIDs that name blocks.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Counts of what a block holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockStats {
    /// All samples.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_samples: u64,
    /// Float samples.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_float_samples: u64,
    /// Native histogram samples.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_histogram_samples: u64,
    /// Series.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_series: u64,
    /// Chunks.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_chunks: u64,
    /// Tombstones.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_tombstones: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// A parent of a compacted block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockDesc {
    /// The parent's ULID.
    pub ulid: String,
    /// Its min time.
    pub min_time: i64,
    /// Its max time.
    pub max_time: i64,
}

/// How a block came to be.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockMetaCompaction {
    /// 1 for a block cut from the head, +1 per compaction.
    pub level: u32,
    /// ULIDs of the level-1 blocks this one contains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Marked for deletion after compaction.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deletable: bool,
    /// The blocks compacted into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<BlockDesc>,
    /// Compaction of this block failed before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub failed: bool,
    /// Hints such as `from-out-of-order`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

/// The contents of `meta.json`. Unknown fields (e.g. Thanos' `thanos`
/// section) are kept so rewriting the file never loses them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockMeta {
    /// The block's ULID (also its directory name).
    pub ulid: String,
    /// First timestamp in the block (inclusive).
    pub min_time: i64,
    /// End of the block's range (exclusive).
    pub max_time: i64,
    /// What it holds.
    #[serde(default)]
    pub stats: BlockStats,
    /// How it was made.
    #[serde(default)]
    pub compaction: BlockMetaCompaction,
    /// Meta format version (1).
    pub version: u32,
    /// Fields we do not interpret.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl BlockMeta {
    /// Reads `dir/meta.json`.
    pub fn read(dir: &Path) -> Result<BlockMeta, Error> {
        let path = dir.join("meta.json");
        let b = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let meta: BlockMeta = serde_json::from_slice(&b).map_err(|e| Error::Corrupt {
            what: "block meta",
            message: format!("{}: {e}", path.display()),
        })?;
        if meta.version != 1 {
            return Err(Error::Corrupt {
                what: "block meta",
                message: format!(
                    "{}: unsupported meta version {}",
                    path.display(),
                    meta.version
                ),
            });
        }
        Ok(meta)
    }

    /// Writes `dir/meta.json` atomically (temporary file, fsync, rename).
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let path = dir.join("meta.json");
        let tmp = dir.join("meta.json.tmp");
        let mut b = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::InvalidArgument(format!("encoding meta.json: {e}")))?;
        b.push(b'\n');
        crate::fsutil::write_atomic(&tmp, &path, &b)
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new ULID: 48 bits of milliseconds since the epoch and 80 random bits,
/// in Crockford base32, so block directories sort by creation time.
pub fn new_ulid() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let ms = now.as_millis() as u64 & ((1 << 48) - 1);
    // RandomState is seeded from the OS per process; mixing in a counter
    // and the clock gives distinct 80-bit tails within a process too.
    let mut h1 = RandomState::new().build_hasher();
    h1.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h1.write_u128(now.as_nanos());
    let r1 = h1.finish();
    let mut h2 = RandomState::new().build_hasher();
    h2.write_u64(r1);
    let r2 = h2.finish() & 0xffff;
    let value: u128 = ((ms as u128) << 80) | ((r1 as u128) << 16) | r2 as u128;
    (0..26)
        .rev()
        .map(|i| CROCKFORD[((value >> (i * 5)) & 31) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulids_are_sortable_and_distinct() {
        let a = new_ulid();
        let b = new_ulid();
        assert_eq!(a.len(), 26);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| CROCKFORD.contains(&(c as u8))));
        assert!(a[..10] <= b[..10]);
    }

    #[test]
    fn meta_json_keeps_unknown_fields() {
        let json = r#"{"ulid":"01H","minTime":0,"maxTime":7200000,"stats":{"numSamples":3,"numSeries":1,"numChunks":1},
            "compaction":{"level":1,"sources":["01H"]},"version":1,"thanos":{"labels":{"a":"b"}}}"#;
        let m: BlockMeta = serde_json::from_str(json).unwrap();
        assert_eq!(m.stats.num_samples, 3);
        let out = serde_json::to_string(&m).unwrap();
        assert!(out.contains("\"thanos\""), "{out}");
        assert!(
            !out.contains("numTombstones"),
            "zero stats are omitted like Prometheus does: {out}"
        );
    }
}
