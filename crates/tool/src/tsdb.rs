//! `vigil tool tsdb`: promtool's `tsdb` commands over a data directory of
//! Prometheus blocks.
//!
//! - [`list`]: `tsdb list`, the table of blocks;
//! - [`dump`]: `tsdb dump` and `tsdb dump-openmetrics`, every sample;
//! - [`backfill`]: `tsdb create-blocks-from openmetrics`;
//! - [`analyze`]: `tsdb analyze`, churn and cardinality of one block;
//! - [`bench`]: `tsdb bench write`, promtool's write benchmark on the head;
//! - [`selector`]: the series selectors `--match` takes;
//! - [`format`]: Go's formatting of durations, times and byte sizes, and
//!   its `text/tabwriter` alignment, which the output above relies on.
//!
//! Like promtool, the commands open the directory as a database: every
//! subdirectory named by a ULID holding a `meta.json` is a block, and
//! `dump` also reads the head from the WAL (`head`); the m-mapped head
//! chunks (`chunks_head/`) are not read, as the WAL holds the same samples.

pub mod analyze;
pub mod backfill;
pub mod bench;
pub mod dump;
pub mod format;
mod head;
pub mod list;
pub mod rules_backfill;
pub mod selector;

use std::path::{Path, PathBuf};

use vigil_tsdb::block::Block;

/// Why a `tsdb` command failed. The messages follow promtool's where it
/// has one for the same failure.
#[derive(Debug, thiserror::Error)]
pub enum TsdbError {
    /// Reading or writing block data failed.
    #[error("{0}")]
    Storage(#[from] vigil_tsdb::Error),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Output(std::io::Error),
    /// A `--match` selector is malformed.
    #[error("{0}")]
    Selector(#[from] selector::SelectorError),
    /// The directory holds no block (analyze).
    #[error("no blocks found")]
    NoBlocks,
    /// The requested block does not exist (analyze).
    #[error("invalid block ID {id}")]
    NoSuchBlock {
        /// The block ID asked for.
        id: String,
    },
    /// `create-blocks-from openmetrics` rejected its input.
    #[error("{0}")]
    Backfill(String),
    /// `bench write` failed: a malformed series file or a rejected append.
    #[error("{0}")]
    Bench(String),
}

impl TsdbError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> TsdbError {
        TsdbError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Whether `name` is a ULID as `ulid.ParseStrict` accepts it: 26 Crockford
/// base32 characters (either case), the first at most `7`.
pub(crate) fn is_ulid(name: &str) -> bool {
    name.len() == 26
        && name.as_bytes()[0] <= b'7'
        && name.bytes().all(|c| {
            let c = c.to_ascii_uppercase();
            c.is_ascii_digit()
                || (c.is_ascii_uppercase() && !matches!(c, b'I' | b'L' | b'O' | b'U'))
        })
}

/// The ULID's 48-bit millisecond timestamp.
pub(crate) fn ulid_time(name: &str) -> u64 {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    name.bytes().take(10).fold(0u64, |acc, c| {
        let c = c.to_ascii_uppercase();
        let d = ALPHABET.iter().position(|&a| a == c).unwrap_or(0) as u64;
        (acc << 5) | d
    })
}

/// Block directory names in `dir` (ULID-named, sorted by name).
pub(crate) fn block_dirs(dir: &Path) -> Result<Vec<String>, TsdbError> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| TsdbError::io(dir, e))? {
        let e = e.map_err(|e| TsdbError::io(dir, e))?;
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if is_ulid(&name) && e.path().join("meta.json").is_file() {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// Opens every block of the data directory `dir`, ordered by min time as
/// Prometheus orders them.
pub fn open_blocks(dir: &Path) -> Result<Vec<Block>, TsdbError> {
    let mut blocks = Vec::new();
    for name in block_dirs(dir)? {
        blocks.push(Block::open(&dir.join(name))?);
    }
    blocks.sort_by_key(|b| b.meta().min_time);
    Ok(blocks)
}

/// Total size in bytes of the files under `dir`, as Prometheus counts a
/// block's size (chunks, index, tombstones, meta).
pub fn dir_size(dir: &Path) -> Result<u64, TsdbError> {
    let mut total = 0;
    for e in std::fs::read_dir(dir).map_err(|e| TsdbError::io(dir, e))? {
        let e = e.map_err(|e| TsdbError::io(dir, e))?;
        let md = e.metadata().map_err(|err| TsdbError::io(&e.path(), err))?;
        if md.is_dir() {
            total += dir_size(&e.path())?;
        } else {
            total += md.len();
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulids() {
        assert!(is_ulid("01HF4Q8Z9X0000000000000000"));
        assert!(!is_ulid("01HF4Q8Z9X000000000000000"));
        assert!(!is_ulid("81HF4Q8Z9X0000000000000000"));
        assert!(!is_ulid("wal"));
        assert_eq!(ulid_time("0000000001ZZZZZZZZZZZZZZZZ"), 1);
    }
}
