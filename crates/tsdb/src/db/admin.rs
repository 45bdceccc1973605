//! The TSDB admin operations behind Prometheus' `/api/v1/admin/tsdb/*`:
//! deleting series data (tombstones), rewriting blocks without deleted
//! data (`clean_tombstones`), and snapshots.

use std::path::Path;
use std::sync::Arc;

use vigil_model::Matcher;

use super::{Db, DbError};
use crate::block::{Block, read_tombstones, write_tombstones};
use crate::error::Error;
use crate::head::merge_intervals;
use crate::querier::block_postings;

impl Db {
    /// Deletes the samples in `mint..=maxt` of the series `matchers` select,
    /// in every block (by rewriting its `tombstones` file, the one part of a
    /// block Prometheus rewrites too) and in the head. The data stays on
    /// disk, hidden, until [`Db::clean_tombstones`] or compaction rewrites
    /// the blocks.
    pub fn delete(&self, mint: i64, maxt: i64, matchers: &[Matcher]) -> Result<(), DbError> {
        let _g = self.compaction.lock().unwrap_or_else(|e| e.into_inner());
        for block in self.blocks() {
            let m = block.meta();
            // A block covers [min_time, max_time).
            if m.min_time > maxt || m.max_time <= mint {
                continue;
            }
            let ids = block_postings(block.index(), matchers)?;
            if ids.is_empty() {
                continue;
            }
            let (lo, hi) = (mint.max(m.min_time), maxt.min(m.max_time - 1));
            let mut stones = read_tombstones(block.dir())?;
            for id in ids {
                let v = stones.entry(id).or_default();
                v.push((lo, hi));
                merge_intervals(v);
            }
            write_tombstones(block.dir(), &stones)?;
            let mut meta = m.clone();
            meta.stats.num_tombstones = stones.values().map(|v| v.len() as u64).sum();
            meta.write(block.dir())?;
            self.replace_block(&block)?;
        }
        self.head.delete(mint, maxt, matchers)?;
        Ok(())
    }

    /// Reopens `block` (after its tombstones changed) in the loaded list.
    fn replace_block(&self, block: &Block) -> Result<(), DbError> {
        let fresh = Arc::new(Block::open(block.dir()).map_err(|source| DbError::Block {
            dir: block.dir().to_path_buf(),
            source,
        })?);
        let mut blocks = self.blocks.write().unwrap_or_else(|e| e.into_inner());
        for b in blocks.iter_mut() {
            if b.meta().ulid == fresh.meta().ulid {
                *b = Arc::clone(&fresh);
            }
        }
        Ok(())
    }

    /// Rewrites every block with tombstones into a block without the
    /// deleted data (or drops it when nothing is left), then reloads, which
    /// deletes the old blocks. Returns how many blocks were rewritten.
    pub fn clean_tombstones(&self) -> Result<usize, DbError> {
        let mut n = 0;
        {
            let _g = self.compaction.lock().unwrap_or_else(|e| e.into_inner());
            for block in self.blocks() {
                if block.tombstones().is_empty() {
                    continue;
                }
                // A one-block compaction keeps the block's range and level;
                // the new block names the old one as its parent, so a crash
                // before the reload below still ends with one of the two.
                crate::compact::compact(&self.dir, &[block.as_ref()])?;
                n += 1;
            }
        }
        if n > 0 {
            self.reload_blocks()?;
        }
        Ok(n)
    }

    /// Writes a snapshot of the database into `dir` (created; must not hold
    /// blocks of its own): every block hard-linked (no copy: blocks are
    /// immutable, and a later tombstones rewrite replaces the file rather
    /// than changing it), and with `with_head` the head's data as one more
    /// block. Returns the snapshot's block ULIDs.
    pub fn snapshot(&self, dir: &Path, with_head: bool) -> Result<Vec<String>, DbError> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut out = Vec::new();
        for block in self.blocks() {
            let ulid = block.meta().ulid.clone();
            link_dir(block.dir(), &dir.join(&ulid))?;
            out.push(ulid);
        }
        if with_head {
            let st = self.head.stats();
            let mint = self.head_min_time();
            if st.max_time != i64::MIN && st.max_time >= mint {
                if let Some(meta) =
                    self.head
                        .write_block(dir, mint, st.max_time.saturating_add(1))?
                {
                    out.push(meta.ulid);
                }
            }
        }
        crate::fsutil::sync_dir(dir)?;
        Ok(out)
    }
}

/// Recreates directory `src` at `dst` with every file hard-linked.
fn link_dir(src: &Path, dst: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dst).map_err(|e| Error::io(dst, e))?;
    for e in std::fs::read_dir(src).map_err(|e| Error::io(src, e))? {
        let e = e.map_err(|err| Error::io(src, err))?;
        let to = dst.join(e.file_name());
        let ty = e.file_type().map_err(|err| Error::io(&e.path(), err))?;
        if ty.is_dir() {
            link_dir(&e.path(), &to)?;
        } else {
            std::fs::hard_link(e.path(), &to).map_err(|err| Error::io(&to, err))?;
        }
    }
    crate::fsutil::sync_dir(dst)
}
