//! The database: a data directory holding persisted blocks and the head
//! (with its WAL), as Prometheus lays it out:
//!
//! ```text
//! <dir>/lock                 exclusive lock of the running process
//! <dir>/<ulid>/              blocks (meta.json, index, chunks/, tombstones)
//! <dir>/wal/                 the head's write-ahead log
//! ```
//!
//! [`Db::open`] locks the directory, removes leftovers of interrupted block
//! creation and deletion, opens every block (one that fails to open is an
//! error, unless a newer block replaced it) and replays the head.
//! [`Db::compact`] cuts old head data into blocks, runs leveled compaction
//! and applies retention; [`Db::select`](crate::querier) reads across all.

mod admin;
mod lock;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::block::{Block, BlockMeta};
use crate::error::Error;
use crate::head::{Head, HeadOptions, ReplayReport};

pub use lock::DirLock;

/// Suffix of a block directory being deleted (renamed first, then removed).
pub const DELETION_SUFFIX: &str = ".tmp-for-deletion";

/// One hour in milliseconds.
const HOUR: i64 = 3600 * 1000;
/// The largest block range Prometheus picks by default: 31 days.
const MAX_BLOCK_RANGE: i64 = 31 * 24 * HOUR;

/// Errors of the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Another process (or another `Db` in this one) holds the lock.
    #[error("{path}: data directory is locked by another process")]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A block could not be opened; like Prometheus we refuse to start.
    #[error("block {dir}: {source}")]
    Block {
        /// The block's directory.
        dir: PathBuf,
        /// Why it failed.
        source: Error,
    },
    /// Any other storage error.
    #[error(transparent)]
    Tsdb(#[from] Error),
}

/// `n` ranges starting at `min`, each `step` times the previous one
/// (Prometheus' `ExponentialBlockRanges`).
pub fn exponential_block_ranges(min: i64, n: usize, step: i64) -> Vec<i64> {
    let mut out = Vec::with_capacity(n);
    let mut r = min;
    for _ in 0..n {
        out.push(r);
        r = r.saturating_mul(step);
    }
    out
}

/// Settings of a [`Db`].
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Blocks whose max time is this many milliseconds (or more) older than
    /// the newest block's max time are deleted; 0 disables.
    pub retention_time: i64,
    /// Oldest blocks are deleted while blocks + WAL + head chunks exceed this
    /// many bytes; 0 disables.
    pub retention_size: u64,
    /// Block ranges in milliseconds, ascending: the first is the head's block
    /// length, the others the levels of compaction.
    pub block_ranges: Vec<i64>,
    /// Settings of the head. Its `chunk_range` is set to the first block range.
    pub head: HeadOptions,
}

impl DbOptions {
    /// Prometheus' defaults for a retention time in milliseconds: ranges
    /// 2 h, 6 h, 18 h, … up to 10 % of the retention, at most 31 days.
    pub fn with_retention(retention_time: i64) -> DbOptions {
        let max = if retention_time > 0 {
            (retention_time / 10).min(MAX_BLOCK_RANGE)
        } else {
            MAX_BLOCK_RANGE
        };
        let min = 2 * HOUR;
        let mut ranges: Vec<i64> = exponential_block_ranges(min, 10, 3)
            .into_iter()
            .filter(|r| *r <= max)
            .collect();
        if ranges.is_empty() {
            ranges.push(min);
        }
        DbOptions {
            retention_time,
            retention_size: 0,
            block_ranges: ranges,
            head: HeadOptions::default(),
        }
    }
}

impl Default for DbOptions {
    /// Fifteen days of retention, as Prometheus.
    fn default() -> DbOptions {
        DbOptions::with_retention(15 * 24 * HOUR)
    }
}

/// Two blocks whose time ranges overlap (allowed; vertical compaction
/// merges them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// ULID of the earlier block.
    pub first: String,
    /// ULID of the later block.
    pub second: String,
}

/// An open data directory: blocks plus head.
#[derive(Debug)]
pub struct Db {
    dir: PathBuf,
    opts: DbOptions,
    _lock: DirLock,
    pub(crate) blocks: RwLock<Vec<Arc<Block>>>,
    overlaps: Mutex<Vec<Overlap>>,
    pub(crate) head: Head,
    /// Samples older than this are persisted in blocks (head min valid time).
    head_persisted_until: AtomicI64,
    /// Serialises compactions.
    compaction: Mutex<()>,
    /// Serialises reloads (each may delete block directories).
    reload: Mutex<()>,
    /// Self-metrics.
    pub(crate) counters: crate::metrics::DbCounters,
}

impl Db {
    /// Opens (creating if needed) the data directory `dir`.
    pub fn open(dir: &Path, mut opts: DbOptions) -> Result<(Db, ReplayReport), DbError> {
        if opts.block_ranges.is_empty() || opts.block_ranges.iter().any(|r| *r <= 0) {
            return Err(Error::InvalidArgument("block ranges must be positive".into()).into());
        }
        if opts.block_ranges.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::InvalidArgument("block ranges must increase".into()).into());
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let lock = DirLock::acquire(&dir.join("lock"))?;
        remove_tmp_dirs(dir)?;
        opts.head.chunk_range = opts.block_ranges[0];
        let (head, report) = Head::open(dir, opts.head.clone())?;
        let db = Db {
            dir: dir.to_path_buf(),
            opts,
            _lock: lock,
            blocks: RwLock::new(Vec::new()),
            overlaps: Mutex::new(Vec::new()),
            head,
            head_persisted_until: AtomicI64::new(i64::MIN),
            compaction: Mutex::new(()),
            reload: Mutex::new(()),
            counters: crate::metrics::DbCounters::default(),
        };
        db.reload_blocks()?;
        let newest = db.blocks().iter().map(|b| b.meta().max_time).max();
        if let Some(t) = newest {
            db.after_head_block_written(t)?;
        }
        Ok((db, report))
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The options the database runs with.
    pub fn options(&self) -> &DbOptions {
        &self.opts
    }

    /// The head (append through [`Head::appender`]).
    pub fn head(&self) -> &Head {
        &self.head
    }

    /// The open blocks, sorted by min time.
    pub fn blocks(&self) -> Vec<Arc<Block>> {
        self.blocks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Pairs of loaded blocks whose time ranges overlap.
    pub fn overlaps(&self) -> Vec<Overlap> {
        self.overlaps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads the block directories: opens new blocks, deletes blocks that
    /// a newer block replaced (parents of a loaded block, or marked
    /// deletable) and blocks beyond retention, and fails naming any other
    /// block that does not open.
    pub fn reload_blocks(&self) -> Result<(), DbError> {
        let _g = self.reload.lock().unwrap_or_else(|e| e.into_inner());
        crate::metrics::inc(&self.counters.reloads, 1);
        let loaded: HashMap<String, Arc<Block>> = self
            .blocks()
            .into_iter()
            .map(|b| (b.meta().ulid.clone(), b))
            .collect();
        let mut loadable: Vec<Arc<Block>> = Vec::new();
        let mut corrupted: Vec<(String, PathBuf, Error)> = Vec::new();
        for (ulid, path) in block_dirs(&self.dir)? {
            if let Some(b) = loaded.get(&ulid) {
                loadable.push(Arc::clone(b));
                continue;
            }
            match Block::open(&path) {
                Ok(b) => loadable.push(Arc::new(b)),
                Err(e) => corrupted.push((ulid, path, e)),
            }
        }
        // Parents of loaded blocks are deletable whether or not they still
        // exist: this finishes a compaction that crashed before deleting.
        let mut deletable: HashSet<String> = HashSet::new();
        for b in &loadable {
            if b.meta().compaction.deletable {
                deletable.insert(b.meta().ulid.clone());
            }
            for p in &b.meta().compaction.parents {
                deletable.insert(p.ulid.clone());
            }
        }
        if let Some((_, dir, source)) = corrupted
            .into_iter()
            .find(|(ulid, _, _)| !deletable.contains(ulid))
        {
            return Err(DbError::Block { dir, source });
        }
        let mut keep: Vec<Arc<Block>> = loadable
            .iter()
            .filter(|b| !deletable.contains(&b.meta().ulid))
            .cloned()
            .collect();
        let sizes = keep
            .iter()
            .map(|b| dir_size(b.dir()))
            .collect::<Result<Vec<u64>, Error>>()?;
        let other = dir_size(&self.dir.join("wal"))? + dir_size(&self.dir.join("chunks_head"))?;
        let metas: Vec<(&BlockMeta, u64)> = keep.iter().map(|b| b.meta()).zip(sizes).collect();
        for u in crate::retention::beyond_retention(
            &metas,
            self.opts.retention_time,
            self.opts.retention_size,
            other,
        ) {
            deletable.insert(u);
        }
        keep.retain(|b| !deletable.contains(&b.meta().ulid));
        keep.sort_by(|a, b| {
            (a.meta().min_time, &a.meta().ulid).cmp(&(b.meta().min_time, &b.meta().ulid))
        });
        let overlaps = find_overlaps(&keep);
        *self.blocks.write().unwrap_or_else(|e| e.into_inner()) = keep;
        *self.overlaps.lock().unwrap_or_else(|e| e.into_inner()) = overlaps;
        drop(loadable);
        for u in &deletable {
            delete_block(&self.dir, u)?;
        }
        Ok(())
    }

    /// The oldest time the head still owns: its oldest sample, or the end of
    /// the data already persisted in blocks if later.
    pub fn head_min_time(&self) -> i64 {
        self.head
            .stats()
            .min_time
            .max(self.head_persisted_until.load(Ordering::Relaxed))
    }

    /// Whether the head spans more than 1.5 × the head block range, so its
    /// oldest range can be persisted (Prometheus' `compactable`).
    pub fn head_compactable(&self) -> bool {
        let max = self.head.stats().max_time;
        let min = self.head_min_time();
        let range = self.opts.block_ranges[0];
        max != i64::MIN && max.saturating_sub(min) > range / 2 * 3
    }

    /// Persists the head's oldest full block ranges while the head is
    /// compactable. Returns the metas of the blocks written.
    pub fn compact_head(&self) -> Result<Vec<BlockMeta>, DbError> {
        let _g = self.compaction.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        let range = self.opts.block_ranges[0];
        crate::metrics::inc(&self.counters.head_compactions, 1);
        while self.head_compactable() {
            let mint = self.head_min_time();
            let maxt = mint
                .div_euclid(range)
                .saturating_add(1)
                .saturating_mul(range);
            if let Some(meta) = self.head.write_block(&self.dir, mint, maxt)? {
                out.push(meta);
                self.reload_blocks()?;
            }
            self.after_head_block_written(maxt)?;
        }
        Ok(out)
    }

    /// Called once the head's data before `maxt` is persisted in blocks:
    /// rejects appends before `maxt` and truncates the head there
    /// ([`Head::truncate`]: memory, `chunks_head/`, WAL checkpoint), as
    /// Prometheus does after head compaction.
    pub fn after_head_block_written(&self, maxt: i64) -> Result<(), DbError> {
        self.head_persisted_until.fetch_max(maxt, Ordering::Relaxed);
        self.head.truncate(maxt)?;
        Ok(())
    }

    /// Head compaction, then leveled compaction until nothing is planned,
    /// then retention. Returns the metas of the blocks written.
    pub fn compact(&self) -> Result<Vec<BlockMeta>, DbError> {
        let mut out = self.compact_head()?;
        let _g = self.compaction.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let blocks = self.blocks();
            let metas: Vec<(PathBuf, BlockMeta)> = blocks
                .iter()
                .map(|b| (b.dir().to_path_buf(), b.meta().clone()))
                .collect();
            let plan = crate::compact::plan(&metas, &self.opts.block_ranges);
            if plan.is_empty() {
                break;
            }
            let chosen: Vec<&Block> = plan
                .iter()
                .filter_map(|d| blocks.iter().find(|b| b.dir() == d.as_path()))
                .map(|b| b.as_ref())
                .collect();
            if chosen.len() != plan.len() {
                // Cannot happen (the plan names loaded blocks); never spin.
                break;
            }
            crate::metrics::inc(&self.counters.compactions, 1);
            let meta = match crate::compact::compact(&self.dir, &chosen) {
                Ok(m) => m,
                Err(e) => {
                    crate::metrics::inc(&self.counters.compactions_failed, 1);
                    drop(chosen);
                    drop(blocks);
                    self.mark_compaction_failed(&plan)?;
                    return Err(e);
                }
            };
            if let Some(m) = meta {
                out.push(m);
            }
            drop(chosen);
            drop(blocks);
            self.reload_blocks()?;
        }
        self.reload_blocks()?;
        Ok(out)
    }
}

impl Db {
    /// Marks the blocks in `dirs` as failed to compact (in their
    /// `meta.json`, as Prometheus does) so the planner stops picking them
    /// for leveled compaction, and reloads them with that meta.
    fn mark_compaction_failed(&self, dirs: &[PathBuf]) -> Result<(), DbError> {
        for d in dirs {
            let mut m = BlockMeta::read(d)?;
            m.compaction.failed = true;
            m.write(d)?;
        }
        self.blocks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|b| !dirs.iter().any(|d| d.as_path() == b.dir()));
        self.reload_blocks()
    }
}

/// Removes `*.tmp-for-creation` and `*.tmp-for-deletion` directories left by
/// a crash.
fn remove_tmp_dirs(dir: &Path) -> Result<(), Error> {
    for e in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if (name.ends_with(crate::block::TMP_SUFFIX) || name.ends_with(DELETION_SUFFIX))
            && e.path().is_dir()
        {
            let p = e.path();
            std::fs::remove_dir_all(&p).map_err(|e| Error::io(&p, e))?;
        }
    }
    Ok(())
}

/// Whether `s` looks like a ULID (26 Crockford base32 characters).
pub(crate) fn is_ulid(s: &str) -> bool {
    s.len() == 26
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !b"ILOU".contains(&c)))
}

/// Block directories in `dir` (ULID-named directories), sorted by name.
pub(crate) fn block_dirs(dir: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_ulid(name) && e.path().is_dir() {
            out.push((name.to_string(), e.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Deletes block `ulid` under `dir`: renamed to `<ulid>.tmp-for-deletion`
/// first so a crash never leaves a half-deleted block under its own name.
pub(crate) fn delete_block(dir: &Path, ulid: &str) -> Result<(), Error> {
    let src = dir.join(ulid);
    if !src.exists() {
        return Ok(());
    }
    let tmp = dir.join(format!("{ulid}{DELETION_SUFFIX}"));
    match std::fs::rename(&src, &tmp) {
        Ok(()) => {}
        // Deleted meanwhile (by another reload): nothing left to do.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(&src, e)),
    }
    std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    crate::fsutil::sync_dir(dir)
}

/// Total size of the files under `dir` (0 if it does not exist).
pub(crate) fn dir_size(dir: &Path) -> Result<u64, Error> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut total = 0;
    for e in rd {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let ft = e.file_type().map_err(|err| Error::io(&e.path(), err))?;
        if ft.is_dir() {
            total += dir_size(&e.path())?;
        } else {
            total += e.metadata().map_err(|err| Error::io(&e.path(), err))?.len();
        }
    }
    Ok(total)
}

/// Overlapping pairs among blocks sorted by min time.
fn find_overlaps(blocks: &[Arc<Block>]) -> Vec<Overlap> {
    let mut out = Vec::new();
    for (i, a) in blocks.iter().enumerate() {
        for b in &blocks[i + 1..] {
            if b.meta().min_time >= a.meta().max_time {
                break;
            }
            out.push(Overlap {
                first: a.meta().ulid.clone(),
                second: b.meta().ulid.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_ranges_and_names() {
        assert_eq!(exponential_block_ranges(2, 4, 3), [2, 6, 18, 54]);
        assert_eq!(exponential_block_ranges(i64::MAX / 2, 3, 3)[2], i64::MAX);
        assert!(is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
        assert!(!is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp-for-creation"));
        assert!(!is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAI"));
        assert!(!is_ulid("wal"));
        let o = DbOptions::with_retention(0);
        assert_eq!(o.block_ranges.last(), Some(&(486 * HOUR)));
        assert_eq!(DbOptions::with_retention(HOUR).block_ranges, [2 * HOUR]);
    }
}
