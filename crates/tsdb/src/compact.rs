//! Leveled compaction, as Prometheus' `LeveledCompactor`:
//!
//! - [`plan`] picks the blocks to merge next: overlapping blocks first
//!   (vertical compaction), otherwise the first group of adjacent blocks
//!   that fills (or lies before the newest block within) an aligned range
//!   of the next level; the newest block is left alone so it can still be
//!   backed up on its own.
//! - [`compact`] merges the chosen blocks into one: series in label order,
//!   a series found in one block without tombstones keeps its chunks as
//!   they are; others are decoded (floats and native histograms), merged by
//!   timestamp (one kept per timestamp), tombstones applied, and re-cut into
//!   chunks of at most 120 samples. The new block
//!   appears atomically ([`BlockWriter`]); its parents are deleted only
//!   afterwards (by [`Db::reload_blocks`](crate::db::Db::reload_blocks), which
//!   treats every parent of a loaded block as deletable, so a crash between
//!   the two steps is finished on the next open).

use std::path::{Path, PathBuf};

use vigil_model::{Labels, LabelsBuilder};

use crate::block::{Block, BlockDesc, BlockMeta, BlockMetaCompaction, BlockWriter, EncodedChunk};
use crate::db::DbError;
use crate::querier::chunk_data;
use crate::series_data::{SeriesData, encode_chunks};

/// Block directories to compact together next, in min-time order; empty
/// when nothing is due. `blocks` are the loaded blocks (any order),
/// `ranges` the block ranges (ascending).
pub fn plan(blocks: &[(PathBuf, BlockMeta)], ranges: &[i64]) -> Vec<PathBuf> {
    let mut ds: Vec<&(PathBuf, BlockMeta)> = blocks.iter().collect();
    ds.sort_by_key(|d| d.1.min_time);
    let overlapping = select_overlapping(&ds);
    if !overlapping.is_empty() {
        return overlapping;
    }
    // Leave the newest block (the one just cut from the head) alone.
    let Some((_, older)) = ds.split_last() else {
        return Vec::new();
    };
    let picked = select_dirs(older, ranges);
    if !picked.is_empty() {
        return picked.into_iter().map(|d| d.0.clone()).collect();
    }
    // A large enough block with more than 5 % tombstones is rewritten alone;
    // a small one only if every series has a tombstone.
    if let Some(&mid) = ranges.get(ranges.len() / 2) {
        for d in older.iter().rev() {
            let m = &d.1;
            let st = &m.stats;
            if m.max_time - m.min_time < mid {
                if st.num_tombstones > 0 && st.num_tombstones >= st.num_series {
                    return vec![d.0.clone()];
                }
                break;
            }
            if st.num_tombstones as f64 / (st.num_series + 1) as f64 > 0.05 {
                return vec![d.0.clone()];
            }
        }
    }
    Vec::new()
}

/// The first run of blocks (sorted by min time) whose time ranges overlap.
fn select_overlapping(ds: &[&(PathBuf, BlockMeta)]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Some(first) = ds.first() else {
        return out;
    };
    let mut global_max = first.1.max_time;
    for (i, d) in ds.iter().enumerate().skip(1) {
        if d.1.min_time < global_max {
            if out.is_empty() {
                out.push(ds[i - 1].0.clone());
            }
            out.push(d.0.clone());
        } else if !out.is_empty() {
            break;
        }
        global_max = global_max.max(d.1.max_time);
    }
    out
}

/// Prometheus' `selectDirs`: for each larger range, the first aligned group
/// of more than one block that spans the whole range or ends before the
/// newest considered block starts.
fn select_dirs<'a>(
    ds: &[&'a (PathBuf, BlockMeta)],
    ranges: &[i64],
) -> Vec<&'a (PathBuf, BlockMeta)> {
    let Some(last) = ds.last() else {
        return Vec::new();
    };
    let high = last.1.min_time;
    for &r in ranges.iter().skip(1) {
        for group in split_by_range(ds, r) {
            if group.iter().any(|d| d.1.compaction.failed) {
                continue;
            }
            let (Some(f), Some(l)) = (group.first(), group.last()) else {
                continue;
            };
            let (mint, maxt) = (f.1.min_time, l.1.max_time);
            if (maxt - mint == r || maxt <= high) && group.len() > 1 {
                return group;
            }
        }
    }
    Vec::new()
}

/// Groups blocks (sorted by min time) by the aligned range of length `r`
/// they fall into; blocks reaching past their range's end are skipped.
fn split_by_range<'a>(
    ds: &[&'a (PathBuf, BlockMeta)],
    r: i64,
) -> Vec<Vec<&'a (PathBuf, BlockMeta)>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < ds.len() {
        let t0 = ds[i].1.min_time.div_euclid(r).saturating_mul(r);
        let end = t0.saturating_add(r);
        if ds[i].1.max_time > end {
            i += 1;
            continue;
        }
        let mut group = Vec::new();
        while i < ds.len() && ds[i].1.max_time <= end {
            group.push(ds[i]);
            i += 1;
        }
        out.push(group);
    }
    out
}

/// Cursor over one block's series in label order.
struct SeriesCursor<'a> {
    block: &'a Block,
    ids: std::vec::IntoIter<u64>,
    current: Option<(u64, Labels, Vec<crate::index::ChunkMeta>)>,
    builder: LabelsBuilder,
}

impl SeriesCursor<'_> {
    fn advance(&mut self) -> Result<(), DbError> {
        self.current = match self.ids.next() {
            None => None,
            Some(id) => {
                let mut chunks = Vec::new();
                let l = self
                    .block
                    .index()
                    .series(id, &mut self.builder, &mut chunks)?;
                Some((id, l, chunks))
            }
        };
        Ok(())
    }
}

/// Merges `blocks` into a new block under `dir` and returns its meta. The
/// new block names the merged blocks as its parents, so the next
/// [`Db::reload_blocks`](crate::db::Db::reload_blocks) deletes them. When no
/// sample survives (everything deleted) no block is written, `None` is
/// returned and the parents are marked deletable in their `meta.json`.
pub fn compact(dir: &Path, blocks: &[&Block]) -> Result<Option<BlockMeta>, DbError> {
    if blocks.is_empty() {
        return Ok(None);
    }
    let mut cursors = Vec::with_capacity(blocks.len());
    for b in blocks {
        let ids: Vec<u64> = b.index().all_postings()?.ids().collect();
        let mut c = SeriesCursor {
            block: b,
            ids: ids.into_iter(),
            current: None,
            builder: LabelsBuilder::new(),
        };
        c.advance()?;
        cursors.push(c);
    }
    let mint = blocks.iter().map(|b| b.meta().min_time).min().unwrap_or(0);
    let maxt = blocks.iter().map(|b| b.meta().max_time).max().unwrap_or(0);
    let mut writer: Option<BlockWriter> = None;
    // Each round takes the smallest label set among the cursors.
    while let Some(next) = cursors
        .iter()
        .filter_map(|c| c.current.as_ref().map(|s| &s.1))
        .min()
        .cloned()
    {
        let sources: Vec<usize> = cursors
            .iter()
            .enumerate()
            .filter(|(_, c)| c.current.as_ref().is_some_and(|s| s.1 == next))
            .map(|(i, _)| i)
            .collect();
        let w = match &mut writer {
            Some(w) => w,
            None => writer.insert(BlockWriter::new(dir)?),
        };
        let single = match sources.as_slice() {
            [only] => cursors.get(*only),
            _ => None,
        };
        let copied = match single {
            Some(c) => copy_series(c, &next, w)?,
            None => false,
        };
        if !copied {
            let mut data = SeriesData::default();
            for &i in &sources {
                let Some(c) = cursors.get(i) else { continue };
                let Some((id, _, chunks)) = &c.current else {
                    continue;
                };
                let stones = c
                    .block
                    .tombstones()
                    .get(id)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                // A block holds samples in [min_time, max_time).
                let m = c.block.meta();
                let mut part = SeriesData::default();
                chunk_data(
                    c.block,
                    chunks,
                    m.min_time,
                    m.max_time.saturating_sub(1),
                    stones,
                    &mut part,
                )?;
                data.merge(part);
            }
            if !data.is_empty() {
                let chunks = encode_chunks(&data).map_err(|e| DbError::Block {
                    dir: dir.to_path_buf(),
                    source: e,
                })?;
                let encoded: Vec<EncodedChunk<'_>> =
                    chunks.iter().map(|c| c.as_encoded()).collect();
                w.add_series(next.clone(), &encoded)?;
            }
        }
        for &i in &sources {
            if let Some(c) = cursors.get_mut(i) {
                c.advance()?;
            }
        }
    }
    // A writer with no series writes no block.
    let writer = match writer {
        Some(w) if w.num_series() > 0 => Some(w),
        _ => None,
    };
    match writer {
        Some(w) => Ok(Some(w.finish_with(mint, maxt, compacted_meta(blocks))?)),
        None => {
            // Nothing to write: the parents go away all the same (as in
            // Prometheus, by rewriting their meta.json atomically).
            for b in blocks {
                let mut m = b.meta().clone();
                m.compaction.deletable = true;
                m.write(b.dir())?;
            }
            Ok(None)
        }
    }
}

/// Writes the series under `c` with its chunks as they are, when nothing
/// of it is deleted (most series of a leveled compaction): no decoding, and
/// histogram chunks keep their exact encoding and headers. Returns whether
/// it did.
fn copy_series(
    c: &SeriesCursor<'_>,
    labels: &Labels,
    w: &mut BlockWriter,
) -> Result<bool, DbError> {
    let Some((id, _, chunks)) = &c.current else {
        return Ok(false);
    };
    if c.block.tombstones().contains_key(id) {
        return Ok(false);
    }
    let m = c.block.meta();
    let mut out = Vec::with_capacity(chunks.len());
    for meta in chunks {
        // Chunks reaching outside the block's range are re-encoded (cut).
        if meta.mint < m.min_time || meta.maxt >= m.max_time {
            return Ok(false);
        }
        let rec = c.block.chunk(meta.reference)?;
        out.push(EncodedChunk {
            encoding: rec.encoding,
            data: rec.data,
            mint: meta.mint,
            maxt: meta.maxt,
            samples: crate::chunkenc::xor::num_samples(rec.data) as u64,
        });
    }
    if out.is_empty() {
        return Ok(true);
    }
    w.add_series(labels.clone(), &out)?;
    Ok(true)
}

/// Level, sources and parents of the block merged from `blocks`.
fn compacted_meta(blocks: &[&Block]) -> BlockMetaCompaction {
    let mut sources: Vec<String> = blocks
        .iter()
        .flat_map(|b| b.meta().compaction.sources.iter().cloned())
        .collect();
    sources.sort();
    sources.dedup();
    let level = blocks
        .iter()
        .map(|b| b.meta().compaction.level)
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    let parents = blocks
        .iter()
        .map(|b| BlockDesc {
            ulid: b.meta().ulid.clone(),
            min_time: b.meta().min_time,
            max_time: b.meta().max_time,
        })
        .collect();
    BlockMetaCompaction {
        level,
        sources,
        parents,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests;
