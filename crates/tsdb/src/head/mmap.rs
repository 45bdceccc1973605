//! Cut chunks on disk: the head writes every chunk it cuts to
//! `<dir>/chunks_head/` (Prometheus' head chunk format) and keeps only its
//! time range and [`HeadChunkRef`] in memory.
//!
//! Reads go through two paths, and the split is what makes the mapping
//! sound: a file is memory-mapped only once the writer has moved past it
//! (flushed, `fsync`ed, never written or truncated again while the head
//! lives), so the bytes behind a map never change. Chunks of the file still
//! being appended to are read with `pread` from a read-only handle; the
//! writer flushes after every chunk, so a reference handed out points at
//! bytes already in the page cache.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use memmap2::Mmap;

use crate::chunks_head::{self, HeadChunkRef, HeadChunkWriter, MAX_CHUNK_META_SIZE};
use crate::error::Error;

/// The head's `chunks_head/` writer and reader.
#[derive(Debug)]
pub(crate) struct ChunkStore {
    dir: PathBuf,
    writer: Mutex<HeadChunkWriter>,
    /// Maps of files the writer has finished with.
    closed: RwLock<HashMap<u32, Arc<Mmap>>>,
    /// A read handle on the file being written.
    current: RwLock<Option<(u32, Arc<File>)>>,
    /// The newest chunk end time of every file, to delete old files.
    file_maxt: Mutex<HashMap<u32, i64>>,
}

impl ChunkStore {
    /// A store writing new files after those in `dir`.
    pub(crate) fn open(dir: &Path) -> Result<ChunkStore, Error> {
        ChunkStore::with_max_file_size(dir, chunks_head::MAX_FILE_SIZE)
    }

    /// As [`ChunkStore::open`], with another file size limit (for tests).
    pub(crate) fn with_max_file_size(dir: &Path, max: u64) -> Result<ChunkStore, Error> {
        Ok(ChunkStore {
            dir: dir.to_path_buf(),
            writer: Mutex::new(HeadChunkWriter::with_max_file_size(dir, max)?),
            closed: RwLock::new(HashMap::new()),
            current: RwLock::new(None),
            file_maxt: Mutex::new(HashMap::new()),
        })
    }

    /// Writes a chunk of series `series_ref` and flushes it to the
    /// page cache (it survives a process kill; not a machine crash until
    /// the file is cut or [`ChunkStore::sync`] runs).
    pub(crate) fn write(
        &self,
        series_ref: u64,
        mint: i64,
        maxt: i64,
        encoding: crate::chunkenc::Encoding,
        data: &[u8],
    ) -> Result<HeadChunkRef, Error> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let before = w.current_seq();
        let r = w.write_chunk(series_ref, mint, maxt, encoding as u8, data)?;
        w.flush()?;
        {
            let mut fm = self.file_maxt.lock().unwrap_or_else(|e| e.into_inner());
            let e = fm.entry(r.seq()).or_insert(maxt);
            *e = (*e).max(maxt);
        }
        if before != Some(r.seq()) {
            // Map the finished file before the read handle moves on, so a
            // reader always finds a chunk through one path or the other.
            if let Some(old) = before {
                let path = self.dir.join(format!("{old:06}"));
                let f = File::open(&path).map_err(|e| Error::io(&path, e))?;
                // SAFETY: the writer cut past file `old`: it was flushed
                // and synced and is never written or truncated again while
                // the head is open (see the module docs).
                let map = unsafe { Mmap::map(&f) }.map_err(|e| Error::io(&path, e))?;
                self.closed
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(old, Arc::new(map));
            }
            let path = self.dir.join(format!("{:06}", r.seq()));
            let f = File::open(&path).map_err(|e| Error::io(&path, e))?;
            *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some((r.seq(), Arc::new(f)));
        }
        Ok(r)
    }

    /// Opens `dir` after a previous run: reads every chunk of the files
    /// there (cutting off damage as Prometheus' repair does), maps the
    /// files for reading, and starts new files after them.
    pub(crate) fn load(dir: &Path) -> Result<(ChunkStore, LoadedChunks), Error> {
        let mut loaded = LoadedChunks::default();
        {
            let files = chunks_head::HeadChunkFiles::open(dir)?;
            for c in files.iter() {
                let c = match c {
                    Ok(c) => c,
                    Err(damage) => {
                        loaded.corruption = Some(damage);
                        break;
                    }
                };
                let e = loaded.file_maxt.entry(c.chunk_ref.seq()).or_insert(c.maxt);
                *e = (*e).max(c.maxt);
                // Out-of-order chunks are left to the WAL's records (the
                // head has no out-of-order window yet) and counted.
                if c.out_of_order {
                    loaded.skipped += 1;
                    continue;
                }
                loaded
                    .by_series
                    .entry(c.series_ref)
                    .or_default()
                    .push(FoundChunk {
                        r: c.chunk_ref,
                        encoding: c.encoding,
                        mint: c.mint,
                        maxt: c.maxt,
                    });
                loaded.chunks += 1;
            }
        }
        if let Some(c) = &loaded.corruption {
            chunks_head::repair(dir, c)?;
        }
        let store = ChunkStore::open(dir)?;
        *store.file_maxt.lock().unwrap_or_else(|e| e.into_inner()) =
            std::mem::take(&mut loaded.file_maxt);
        {
            let mut closed = store.closed.write().unwrap_or_else(|e| e.into_inner());
            for (seq, path) in chunks_head::list_files(dir)? {
                let f = File::open(&path).map_err(|e| Error::io(&path, e))?;
                if f.metadata().map_err(|e| Error::io(&path, e))?.len() == 0 {
                    continue;
                }
                // SAFETY: files of a previous run are never written again:
                // the writer starts a new file after the last one.
                let map = unsafe { Mmap::map(&f) }.map_err(|e| Error::io(&path, e))?;
                closed.insert(seq, Arc::new(map));
            }
        }
        Ok((store, loaded))
    }

    /// Deletes the files the writer is done with whose every chunk ends
    /// before `mint` (the series dropped those chunks first); returns how
    /// many. Readers still holding a map of one keep it until they finish.
    pub(crate) fn truncate(&self, mint: i64) -> Result<usize, Error> {
        let current = self
            .writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .current_seq();
        let mut doomed: Vec<u32> = {
            let fm = self.file_maxt.lock().unwrap_or_else(|e| e.into_inner());
            fm.iter()
                .filter(|&(&seq, &maxt)| maxt < mint && Some(seq) != current)
                .map(|(&seq, _)| seq)
                .collect()
        };
        // Files without chunks (a header only) are old too.
        for (seq, _) in chunks_head::list_files(&self.dir)? {
            let known = self
                .file_maxt
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains_key(&seq);
            if !known && Some(seq) != current && current.is_some_and(|c| seq < c) {
                doomed.push(seq);
            }
        }
        doomed.sort_unstable();
        doomed.dedup();
        for &seq in &doomed {
            self.closed
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&seq);
            self.file_maxt
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&seq);
            let path = self.dir.join(format!("{seq:06}"));
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Ok(doomed.len())
    }

    fn closed_map(&self, seq: u32) -> Option<Arc<Mmap>> {
        self.closed
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&seq)
            .cloned()
    }

    /// The data of the chunk at `r` (checksum verified), passed to `f`.
    pub(crate) fn with_chunk<T>(
        &self,
        r: HeadChunkRef,
        f: impl FnOnce(&[u8]) -> T,
    ) -> Result<T, Error> {
        let seq = r.seq();
        if let Some(map) = self.closed_map(seq) {
            let c = chunks_head::read_chunk(seq, &map, r.offset() as usize)?;
            return Ok(f(c.map_or(&[][..], |c| c.data)));
        }
        let file = match &*self.current.read().unwrap_or_else(|e| e.into_inner()) {
            Some((s, file)) if *s == seq => Some(file.clone()),
            _ => None,
        };
        let Some(file) = file else {
            // The writer may have cut past `seq` between the two looks
            // above; it maps a file before moving the read handle on, so a
            // second look at the maps finds it.
            let map = self.closed_map(seq).ok_or_else(|| {
                Error::InvalidArgument(format!("head chunk file {seq:06} is not open"))
            })?;
            let c = chunks_head::read_chunk(seq, &map, r.offset() as usize)?;
            return Ok(f(c.map_or(&[][..], |c| c.data)));
        };
        let path = self.dir.join(format!("{seq:06}"));
        let at = u64::from(r.offset());
        let mut head = [0u8; MAX_CHUNK_META_SIZE];
        let n = read_full(&file, &mut head, at).map_err(|e| Error::io(&path, e))?;
        let head = &head[..n];
        let (len, vlen) = uvarint(head.get(25..).unwrap_or(&[])).ok_or_else(|| {
            Error::from(chunks_head::Corruption {
                seq,
                offset: r.offset() as usize,
                message: "bad chunk length".into(),
            })
        })?;
        let total = usize::try_from(len)
            .ok()
            .and_then(|l| l.checked_add(25 + vlen + 4))
            .ok_or_else(|| Error::InvalidArgument("head chunk too large".into()))?;
        let mut buf = vec![0u8; total];
        let got = read_full(&file, &mut buf, at).map_err(|e| Error::io(&path, e))?;
        buf.truncate(got);
        let c = chunks_head::read_chunk(seq, &buf, 0)?;
        Ok(f(c.map_or(&[][..], |c| c.data)))
    }
}

/// A chunk found in `chunks_head/` when the head opens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FoundChunk {
    pub(crate) r: HeadChunkRef,
    pub(crate) encoding: crate::chunkenc::Encoding,
    pub(crate) mint: i64,
    pub(crate) maxt: i64,
}

/// What [`ChunkStore::load`] found, by the series reference the writer
/// gave each chunk (the WAL's reference for that series).
#[derive(Debug, Default)]
pub(crate) struct LoadedChunks {
    pub(crate) by_series: HashMap<u64, Vec<FoundChunk>>,
    /// Chunks found.
    pub(crate) chunks: u64,
    /// Chunks of kinds the head does not keep yet (out-of-order).
    pub(crate) skipped: u64,
    /// Damage found and cut off.
    pub(crate) corruption: Option<chunks_head::Corruption>,
    /// Newest chunk end time per file.
    pub(crate) file_maxt: HashMap<u32, i64>,
}

fn read_full(f: &File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read_at(&mut buf[n..], at + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(5) {
        x |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Some((x, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunkenc::{XorChunk, XorIter};
    use crate::head::series::SeriesState;

    #[test]
    fn reads_closed_and_current_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = ChunkStore::with_max_file_size(dir.path(), 500).unwrap();
        let mut refs = Vec::new();
        for i in 0..40i64 {
            let mut c = XorChunk::new();
            for t in 0..20 {
                c.append(i * 1000 + t, (i * t) as f64).unwrap();
            }
            refs.push((
                i,
                store
                    .write(
                        7,
                        i * 1000,
                        i * 1000 + 19,
                        crate::chunkenc::Encoding::Xor,
                        c.bytes(),
                    )
                    .unwrap(),
            ));
        }
        assert!(refs.last().unwrap().1.seq() > 3);
        for (i, r) in refs {
            let got: Vec<_> = store
                .with_chunk(r, |b| XorIter::new(b).unwrap().collect::<Vec<_>>())
                .unwrap();
            assert_eq!(got.len(), 20);
            assert_eq!(got[19], (i * 1000 + 19, (i * 19) as f64));
        }
        assert!(store.with_chunk(HeadChunkRef::new(99, 8), |_| ()).is_err());
        assert!(store.with_chunk(HeadChunkRef::new(1, 3), |_| ()).is_err());
    }

    #[test]
    fn truncate_deletes_only_old_finished_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = ChunkStore::with_max_file_size(dir.path(), 300).unwrap();
        let mut refs = Vec::new();
        for i in 0..20i64 {
            refs.push((
                i,
                store
                    .write(
                        1,
                        i * 10,
                        i * 10 + 9,
                        crate::chunkenc::Encoding::Xor,
                        &[i as u8; 40],
                    )
                    .unwrap(),
            ));
        }
        let files = chunks_head::list_files(dir.path()).unwrap().len();
        assert!(files > 4);
        // Files whose chunks all end before 100 go; the rest stay readable.
        let n = store.truncate(100).unwrap();
        assert!(n >= 2, "{n}");
        assert_eq!(
            chunks_head::list_files(dir.path()).unwrap().len(),
            files - n
        );
        for (i, r) in refs {
            let got = store.with_chunk(r, |b| b.to_vec());
            if i * 10 + 9 >= 100 {
                assert_eq!(got.unwrap(), vec![i as u8; 40]);
            }
        }
        // The file being written is never deleted.
        assert!(store.truncate(i64::MAX).is_ok());
        assert_eq!(chunks_head::list_files(dir.path()).unwrap().len(), 1);
    }

    #[test]
    fn series_keeps_only_refs() {
        let dir = tempfile::tempdir().unwrap();
        let store = ChunkStore::with_max_file_size(dir.path(), 4000).unwrap();
        let mut s = SeriesState::default();
        for t in 0..1000 {
            assert!(s.append(t * 1000, t as f64, 7_200_000));
            s.persist_cut(3, &store);
        }
        assert_eq!(s.cut.len(), 8);
        assert!(
            s.cut
                .iter()
                .all(|c| matches!(c.data, super::super::series::ChunkData::Disk(..)))
        );
        assert_eq!(s.num_samples(Some(&store)), 1000);
        let mut out = Vec::new();
        s.samples_in(0, i64::MAX, Some(&store), &mut out);
        assert_eq!(out.len(), 1000);
        assert!(
            out.iter()
                .enumerate()
                .all(|(i, &(t, v))| t == i as i64 * 1000 && v == i as f64)
        );
    }

    #[test]
    fn readers_find_chunks_while_files_are_cut() {
        let dir = tempfile::tempdir().unwrap();
        let store = ChunkStore::with_max_file_size(dir.path(), 300).unwrap();
        let refs = std::sync::Mutex::new(Vec::new());
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|sc| {
            sc.spawn(|| {
                for i in 0..=255u8 {
                    let r = store
                        .write(1, 0, 1, crate::chunkenc::Encoding::Xor, &[i; 40])
                        .unwrap();
                    refs.lock().unwrap().push((i, r));
                }
                done.store(true, std::sync::atomic::Ordering::Release);
            });
            sc.spawn(|| {
                loop {
                    let finished = done.load(std::sync::atomic::Ordering::Acquire);
                    let snapshot = refs.lock().unwrap().clone();
                    for (i, r) in snapshot {
                        let ok = store.with_chunk(r, |b| b == [i; 40]).unwrap();
                        assert!(ok);
                    }
                    if finished {
                        break;
                    }
                }
            });
        });
        assert!(refs.lock().unwrap().last().unwrap().1.seq() > 50);
    }
}
