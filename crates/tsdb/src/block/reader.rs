//! Opens a block directory for reading: `meta.json`, the index and the
//! chunk segments are memory-mapped; nothing is loaded eagerly but the
//! index's symbol and postings-offset tables.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use vigil_model::{Labels, LabelsBuilder};

use super::meta::BlockMeta;
use super::tombstones::{Tombstones, read_tombstones};
use crate::chunks::{ChunkRecord, check_header, read_chunk, split_ref};
use crate::error::Error;
use crate::index::{ChunkMeta, IndexReader};

/// Maps a whole file read-only.
fn map(path: &Path) -> Result<Mmap, Error> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    if len == 0 {
        return Err(Error::Corrupt {
            what: "block",
            message: format!("{} is empty", path.display()),
        });
    }
    // SAFETY: block files are immutable once the block directory has been
    // renamed into place (see ARCHITECTURE.md); nothing truncates or writes
    // them while they are mapped, so the mapping stays valid.
    unsafe { Mmap::map(&f) }.map_err(|e| Error::io(path, e))
}

/// A persisted block.
#[derive(Debug)]
pub struct Block {
    dir: PathBuf,
    meta: BlockMeta,
    index: IndexReader<Mmap>,
    segments: Vec<(PathBuf, Mmap)>,
    tombstones: Tombstones,
}

impl Block {
    /// Opens the block in `dir`.
    pub fn open(dir: &Path) -> Result<Block, Error> {
        let meta = BlockMeta::read(dir)?;
        let index_path = dir.join("index");
        let index = IndexReader::new(map(&index_path)?, &index_path.display().to_string())?;
        let chunk_dir = dir.join("chunks");
        let mut files: Vec<(u64, PathBuf)> = Vec::new();
        for e in std::fs::read_dir(&chunk_dir).map_err(|e| Error::io(&chunk_dir, e))? {
            let e = e.map_err(|e| Error::io(&chunk_dir, e))?;
            if let Some(n) = e.file_name().to_str().and_then(|s| s.parse::<u64>().ok()) {
                files.push((n, e.path()));
            }
        }
        files.sort();
        let mut segments = Vec::with_capacity(files.len());
        for (_, p) in files {
            let m = map(&p)?;
            check_header(&m).map_err(|e| Error::Corrupt {
                what: "chunk segment",
                message: format!("{}: {e}", p.display()),
            })?;
            segments.push((p, m));
        }
        let tombstones = read_tombstones(dir)?;
        Ok(Block {
            dir: dir.to_path_buf(),
            meta,
            index,
            segments,
            tombstones,
        })
    }

    /// Bytes of the block's index and chunk files.
    pub fn size_bytes(&self) -> u64 {
        let chunks: usize = self.segments.iter().map(|(_, m)| m.len()).sum();
        (self.index.bytes_len() + chunks) as u64
    }

    /// The block's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its `meta.json`.
    pub fn meta(&self) -> &BlockMeta {
        &self.meta
    }

    /// Its index.
    pub fn index(&self) -> &IndexReader<Mmap> {
        &self.index
    }

    /// Its deleted intervals.
    pub fn tombstones(&self) -> &Tombstones {
        &self.tombstones
    }

    /// The chunk a reference from the index points at.
    pub fn chunk(&self, reference: u64) -> Result<ChunkRecord<'_>, Error> {
        let (seg, off) = split_ref(reference);
        let (path, data) = self
            .segments
            .get(seg as usize)
            .ok_or_else(|| Error::Corrupt {
                what: "chunk reference",
                message: format!(
                    "{}: segment {seg} of reference {reference:#x} does not exist",
                    self.dir.display()
                ),
            })?;
        read_chunk(data, off as usize).map_err(|e| Error::Corrupt {
            what: "chunk segment",
            message: format!("{}: {e}", path.display()),
        })
    }

    /// Calls `f` with every series (in label order) and its chunk metas.
    pub fn for_each_series(
        &self,
        mut f: impl FnMut(u64, &Labels, &[ChunkMeta]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut b = LabelsBuilder::new();
        let mut chunks = Vec::new();
        let all = self.index.all_postings()?;
        for id in all.ids() {
            let labels = self.index.series(id, &mut b, &mut chunks)?;
            f(id, &labels, &chunks)?;
        }
        Ok(())
    }
}
