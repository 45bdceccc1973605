//! Writes a block: chunks into segment files, then the index, tombstones and
//! `meta.json`, all inside `<ulid>.tmp-for-creation/`, which is renamed to
//! `<ulid>/` only once every file is synced. A crash at any point leaves
//! either no block or a temporary directory that start-up deletes.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use vigil_model::Labels;

use super::meta::{BlockMeta, BlockMetaCompaction, BlockStats, new_ulid};
use super::tombstones::{Tombstones, write_tombstones};
use crate::chunkenc::{Encoding, XorChunk};
use crate::chunks::{DEFAULT_SEGMENT_SIZE, FORMAT_V1, MAGIC, SEGMENT_HEADER_SIZE, chunk_ref};
use crate::error::Error;
use crate::fsutil::sync_dir;
use crate::index::{ChunkMeta, IndexWriter};

/// Suffix of a block directory that is still being written.
pub const TMP_SUFFIX: &str = ".tmp-for-creation";

/// Samples Prometheus puts in one head chunk before cutting a new one.
pub const SAMPLES_PER_CHUNK: usize = 120;

/// An encoded chunk handed to [`BlockWriter::add_series`].
#[derive(Debug, Clone, Copy)]
pub struct EncodedChunk<'a> {
    /// Its encoding.
    pub encoding: Encoding,
    /// Encoded bytes.
    pub data: &'a [u8],
    /// First timestamp.
    pub mint: i64,
    /// Last timestamp.
    pub maxt: i64,
    /// Number of samples.
    pub samples: u64,
}

/// Encodes time-ordered float samples into XOR chunks of at most
/// [`SAMPLES_PER_CHUNK`] samples each, returning `(chunk, mint, maxt, count)`.
pub fn xor_chunks(samples: &[(i64, f64)]) -> Result<Vec<(XorChunk, i64, i64, u64)>, Error> {
    let mut out = Vec::new();
    for part in samples.chunks(SAMPLES_PER_CHUNK) {
        let mut c = XorChunk::new();
        for (t, v) in part {
            c.append(*t, *v)?;
        }
        if let (Some(first), Some(last)) = (part.first(), part.last()) {
            out.push((c, first.0, last.0, part.len() as u64));
        }
    }
    Ok(out)
}

/// Borrows chunks as [`xor_chunks`] returns them, for [`BlockWriter::add_series`].
pub fn encoded_xor(chunks: &[(XorChunk, i64, i64, u64)]) -> Vec<EncodedChunk<'_>> {
    chunks
        .iter()
        .map(|(c, mint, maxt, samples)| EncodedChunk {
            encoding: Encoding::Xor,
            data: c.bytes(),
            mint: *mint,
            maxt: *maxt,
            samples: *samples,
        })
        .collect()
}

/// Chunk segment files `chunks/000001`, … of at most 512 MiB each.
#[derive(Debug)]
struct ChunkFiles {
    dir: PathBuf,
    file: Option<BufWriter<File>>,
    /// 0-based position of the current file in the sorted list (what refs hold).
    index: u32,
    pos: u64,
    segment_size: u64,
}

impl ChunkFiles {
    fn path(&self) -> PathBuf {
        self.dir.join(format!("{:06}", self.index + 1))
    }

    fn close_current(&mut self) -> Result<(), Error> {
        if let Some(f) = self.file.take() {
            let path = self.path();
            let f = f
                .into_inner()
                .map_err(|e| Error::io(&path, e.into_error()))?;
            f.sync_all().map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    }

    fn write(&mut self, encoding: Encoding, data: &[u8]) -> Result<u64, Error> {
        let mut head = Vec::with_capacity(6);
        crate::index::put_uvarint(&mut head, data.len() as u64);
        head.push(encoding as u8);
        let total = (head.len() + data.len() + 4) as u64;
        if self.file.is_some() && self.pos + total > self.segment_size {
            self.close_current()?;
            self.index += 1;
        }
        if self.file.is_none() {
            let path = self.path();
            let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
            let mut f = BufWriter::with_capacity(1 << 20, f);
            let mut header = MAGIC.to_be_bytes().to_vec();
            header.extend_from_slice(&[FORMAT_V1, 0, 0, 0]);
            f.write_all(&header).map_err(|e| Error::io(&path, e))?;
            self.file = Some(f);
            self.pos = SEGMENT_HEADER_SIZE as u64;
        }
        let offset = u32::try_from(self.pos)
            .map_err(|_| Error::InvalidArgument("chunk segment offset exceeds 4 GiB".into()))?;
        let reference = chunk_ref(self.index, offset);
        let mut crc = crc32c::crc32c(&[encoding as u8]);
        crc = crc32c::crc32c_append(crc, data);
        let path = self.path();
        if let Some(f) = self.file.as_mut() {
            f.write_all(&head)
                .and_then(|_| f.write_all(data))
                .and_then(|_| f.write_all(&crc.to_be_bytes()))
                .map_err(|e| Error::io(&path, e))?;
        }
        self.pos += total;
        Ok(reference)
    }
}

/// Builds one block; see the module docs for the crash-safety protocol.
#[derive(Debug)]
pub struct BlockWriter {
    parent: PathBuf,
    ulid: String,
    tmp: PathBuf,
    chunks: ChunkFiles,
    series: Vec<(Labels, Vec<ChunkMeta>)>,
    stats: BlockStats,
}

impl BlockWriter {
    /// Starts a block under the data directory `parent`.
    pub fn new(parent: &Path) -> Result<BlockWriter, Error> {
        let ulid = new_ulid();
        let tmp = parent.join(format!("{ulid}{TMP_SUFFIX}"));
        let chunk_dir = tmp.join("chunks");
        std::fs::create_dir_all(&chunk_dir).map_err(|e| Error::io(&chunk_dir, e))?;
        Ok(BlockWriter {
            parent: parent.to_path_buf(),
            ulid,
            tmp,
            chunks: ChunkFiles {
                dir: chunk_dir,
                file: None,
                index: 0,
                pos: 0,
                segment_size: DEFAULT_SEGMENT_SIZE as u64,
            },
            series: Vec::new(),
            stats: BlockStats::default(),
        })
    }

    /// The new block's ULID.
    pub fn ulid(&self) -> &str {
        &self.ulid
    }

    /// Number of series added so far.
    pub fn num_series(&self) -> usize {
        self.series.len()
    }

    /// Adds a series with its chunks (in time order). Series must be added
    /// in strictly increasing label order.
    pub fn add_series(&mut self, labels: Labels, chunks: &[EncodedChunk<'_>]) -> Result<(), Error> {
        if let Some((last, _)) = self.series.last()
            && *last >= labels
        {
            return Err(Error::InvalidArgument(format!(
                "series {labels} added out of order after {last}"
            )));
        }
        let mut metas = Vec::with_capacity(chunks.len());
        for c in chunks {
            let reference = self.chunks.write(c.encoding, c.data)?;
            metas.push(ChunkMeta {
                mint: c.mint,
                maxt: c.maxt,
                reference,
            });
            self.stats.num_chunks += 1;
            self.stats.num_samples += c.samples;
            if c.encoding == Encoding::Xor {
                self.stats.num_float_samples += c.samples;
            } else {
                self.stats.num_histogram_samples += c.samples;
            }
        }
        self.stats.num_series += 1;
        self.series.push((labels, metas));
        Ok(())
    }

    /// Writes index, tombstones and meta for the range `[min_time, max_time)`,
    /// syncs everything and renames the block into place.
    pub fn finish(self, min_time: i64, max_time: i64) -> Result<BlockMeta, Error> {
        let compaction = BlockMetaCompaction {
            level: 1,
            sources: vec![self.ulid.clone()],
            ..Default::default()
        };
        self.finish_with(min_time, max_time, compaction)
    }

    /// Like [`finish`](BlockWriter::finish) but with the given `compaction`
    /// section in `meta.json` (level, sources and parents of a compacted
    /// block).
    pub fn finish_with(
        mut self,
        min_time: i64,
        max_time: i64,
        compaction: BlockMetaCompaction,
    ) -> Result<BlockMeta, Error> {
        self.chunks.close_current()?;
        sync_dir(&self.chunks.dir)?;

        let mut symbols = BTreeSet::new();
        for (l, _) in &self.series {
            for p in l {
                symbols.insert(p.name);
                symbols.insert(p.value);
            }
        }
        let mut w = IndexWriter::create(&self.tmp.join("index"))?;
        for s in &symbols {
            w.add_symbol(s)?;
        }
        drop(symbols);
        for (l, metas) in &self.series {
            w.add_series(l, metas)?;
        }
        w.finish()?;

        write_tombstones(&self.tmp, &Tombstones::new())?;
        let meta = BlockMeta {
            ulid: self.ulid.clone(),
            min_time,
            max_time,
            stats: std::mem::take(&mut self.stats),
            compaction,
            version: 1,
            extra: Default::default(),
        };
        meta.write(&self.tmp)?;
        sync_dir(&self.tmp)?;
        let dst = self.parent.join(&self.ulid);
        std::fs::rename(&self.tmp, &dst).map_err(|e| Error::io(&dst, e))?;
        // The temporary name is gone now; Drop has nothing to clean up.
        sync_dir(&self.parent)?;
        Ok(meta)
    }
}

impl Drop for BlockWriter {
    /// An unfinished block leaves nothing behind: the temporary directory
    /// is removed (after `finish` it no longer exists).
    fn drop(&mut self) {
        if self.tmp.exists() {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}
