//! Persistent blocks: immutable directories named by ULID, each holding
//! `meta.json`, `index`, `chunks/NNNNNN` and `tombstones`, in Prometheus'
//! layout. A block is written under a temporary name and renamed into
//! place once complete; after that its files never change (deletions go to
//! a new tombstones file written atomically).

mod meta;
mod reader;
mod tombstones;
mod writer;

pub use meta::{BlockDesc, BlockMeta, BlockMetaCompaction, BlockStats, new_ulid};
pub use reader::Block;
pub use tombstones::{Tombstones, read_tombstones, write_tombstones};
pub use writer::{
    BlockWriter, EncodedChunk, SAMPLES_PER_CHUNK, TMP_SUFFIX, encoded_xor, xor_chunks,
};
