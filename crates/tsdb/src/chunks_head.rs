//! Head chunk files (`<data>/chunks_head/000001` …): chunks the head has
//! cut, written to disk so that memory keeps only their time range and
//! reference. The byte format is Prometheus' (`tsdb/docs/format/head_chunks.md`):
//!
//! ```text
//! ┌─────────────────────────────┬──────────────────┬──────────────────┐
//! │ magic(0x0130BC91) <4 byte>  │ version(1) <1 b> │ padding(0) <3 b> │
//! ├─────────────────────────────┴──────────────────┴──────────────────┤
//! │ series ref <8> │ mint <8> │ maxt <8> │ encoding <1> │ len <uvarint> │
//! │ data <len> │ CRC32C <4>                                           │
//! │ ...                                                               │
//! └───────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Integers are big-endian; the checksum (Castagnoli) covers everything
//! from the series reference to the end of the data. The top bit of the
//! encoding byte marks an out-of-order chunk. A chunk is named by a
//! [`HeadChunkRef`]: file sequence number in the upper 32 bits, byte offset
//! of the chunk's series reference in the lower 32.
//!
//! Files may end in zero bytes (Prometheus pre-allocates them): a reader
//! stops at a chunk whose series reference, mint and maxt are all zero, or
//! at a tail too short for a chunk header that is all zero. Anything else
//! that does not parse is a [`Corruption`] naming the file and offset; the
//! caller repairs with [`repair`], which cuts the damaged tail off as
//! Prometheus does (it deletes the damaged file and every later one; we
//! keep the good chunks before the damage).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::chunkenc::Encoding;
use crate::error::Error;
use crate::fsutil::sync_dir;

/// Magic number opening every head chunk file.
pub const MAGIC: u32 = 0x0130_BC91;
/// The only head chunk file format version.
pub const FORMAT_V1: u8 = 1;
/// Bytes before the first chunk of a file.
pub const FILE_HEADER_SIZE: usize = 8;
/// Largest head chunk file Prometheus writes (and so does [`HeadChunkWriter`]).
pub const MAX_FILE_SIZE: u64 = 128 << 20;
/// Longest chunk length field (a uvarint of a 32-bit length).
const MAX_LEN_FIELD: usize = 5;
/// Bytes of a chunk besides its data, at most: ref, mint, maxt, encoding,
/// length, CRC.
pub const MAX_CHUNK_META_SIZE: usize = 8 + 8 + 8 + 1 + MAX_LEN_FIELD + 4;
/// Bit of the encoding byte marking an out-of-order chunk.
pub const OOO_BIT: u8 = 0x80;

/// Where a head chunk lives: file sequence number and byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HeadChunkRef(pub u64);

impl HeadChunkRef {
    /// The reference of the chunk at `offset` in file `seq`.
    pub fn new(seq: u32, offset: u32) -> HeadChunkRef {
        HeadChunkRef((u64::from(seq) << 32) | u64::from(offset))
    }

    /// The file sequence number.
    pub fn seq(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The byte offset within the file.
    pub fn offset(self) -> u32 {
        self.0 as u32
    }
}

/// One chunk read from a head chunk file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadChunk<'a> {
    /// Where the chunk is.
    pub chunk_ref: HeadChunkRef,
    /// The head series reference the writer gave (for Prometheus' files,
    /// the WAL's series reference).
    pub series_ref: u64,
    /// Timestamp of the first sample.
    pub mint: i64,
    /// Timestamp of the last sample.
    pub maxt: i64,
    /// How the data is encoded (without the out-of-order bit).
    pub encoding: Encoding,
    /// Whether the chunk holds out-of-order samples.
    pub out_of_order: bool,
    /// The encoded chunk.
    pub data: &'a [u8],
}

/// Damage found in a head chunk file: the first bad byte range starts at
/// `offset` of file `seq`; everything before it is intact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("head chunk file {seq:06}: corrupt at offset {offset}: {message}")]
pub struct Corruption {
    /// The damaged file's sequence number.
    pub seq: u32,
    /// Offset of the first byte that is not part of an intact chunk.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl From<Corruption> for Error {
    fn from(c: Corruption) -> Error {
        Error::Corrupt {
            what: "head chunk file",
            message: format!("{c}"),
        }
    }
}

/// Appends one chunk in the file format to `out`.
pub fn encode_chunk(
    out: &mut Vec<u8>,
    series_ref: u64,
    mint: i64,
    maxt: i64,
    encoding: u8,
    data: &[u8],
) {
    let start = out.len();
    out.extend_from_slice(&series_ref.to_be_bytes());
    out.extend_from_slice(&(mint as u64).to_be_bytes());
    out.extend_from_slice(&(maxt as u64).to_be_bytes());
    out.push(encoding);
    let mut n = data.len() as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(data);
    let crc = crc32c::crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// The file header bytes.
fn header() -> [u8; FILE_HEADER_SIZE] {
    let m = MAGIC.to_be_bytes();
    [m[0], m[1], m[2], m[3], FORMAT_V1, 0, 0, 0]
}

fn be64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_be_bytes(a))
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        x |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Some((x, i + 1));
        }
    }
    None
}

/// Checks a head chunk file's header.
pub fn check_header(seq: u32, file: &[u8]) -> Result<(), Corruption> {
    let bad = |offset, message: String| Corruption {
        seq,
        offset,
        message,
    };
    let h = file
        .get(..FILE_HEADER_SIZE)
        .ok_or_else(|| bad(0, format!("{} bytes, shorter than the header", file.len())))?;
    let magic = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    if magic != MAGIC {
        return Err(bad(0, format!("bad magic number {magic:#010x}")));
    }
    if h[4] != FORMAT_V1 {
        return Err(bad(4, format!("unsupported format version {}", h[4])));
    }
    Ok(())
}

/// Reads the chunk at `offset` of file `seq` (whose bytes are `file`),
/// verifying its checksum. `Ok(None)` marks the zero padding after the
/// last chunk.
pub fn read_chunk(
    seq: u32,
    file: &[u8],
    offset: usize,
) -> Result<Option<HeadChunk<'_>>, Corruption> {
    let bad = |message: String| Corruption {
        seq,
        offset,
        message,
    };
    let rest = file
        .get(offset..)
        .ok_or_else(|| bad("offset past end of file".into()))?;
    // A tail too short for any chunk header that is all zero is padding.
    // (Prometheus treats any short tail as padding or damage; we still read
    // a short chunk, which Prometheus never writes but costs nothing.)
    if rest.len() < MAX_CHUNK_META_SIZE && rest.iter().all(|&b| b == 0) {
        return Ok(None);
    }
    if rest.len() < 26 {
        return Err(bad(format!(
            "{} bytes left, too few for a chunk header",
            rest.len()
        )));
    }
    let off32 = u32::try_from(offset).map_err(|_| bad("offset beyond 4 GiB".into()))?;
    // Length checked above: the fixed fields are present.
    let series_ref = be64(rest, 0).unwrap_or(0);
    let mint = be64(rest, 8).unwrap_or(0) as i64;
    let maxt = be64(rest, 16).unwrap_or(0) as i64;
    if series_ref == 0 && mint == 0 && maxt == 0 {
        // Prometheus hands out series references from 1, so an all-zero
        // header is pre-allocated space, not a chunk.
        return Ok(None);
    }
    let enc_byte = rest[24];
    // At most five length bytes: Prometheus' limit for a 32-bit length.
    let (len, n) = uvarint(&rest[25..rest.len().min(25 + MAX_LEN_FIELD)])
        .ok_or_else(|| bad("bad chunk length".into()))?;
    let len = usize::try_from(len)
        .ok()
        .filter(|&l| l <= u32::MAX as usize)
        .ok_or_else(|| bad(format!("chunk length {len} too large")))?;
    let data_start = 25 + n;
    let data_end = data_start
        .checked_add(len)
        .ok_or_else(|| bad(format!("chunk length {len} too large")))?;
    let crc_bytes = rest
        .get(data_end..data_end.saturating_add(4))
        .ok_or_else(|| bad(format!("chunk of {len} bytes runs past end of file")))?;
    let want = u32::from_be_bytes([crc_bytes[0], crc_bytes[1], crc_bytes[2], crc_bytes[3]]);
    let got = crc32c::crc32c(&rest[..data_end]);
    if want != got {
        return Err(bad(format!(
            "checksum mismatch: stored {want:#010x}, computed {got:#010x}"
        )));
    }
    let encoding = Encoding::from_byte(enc_byte & !OOO_BIT)
        .ok_or_else(|| bad(format!("unknown chunk encoding {enc_byte}")))?;
    Ok(Some(HeadChunk {
        chunk_ref: HeadChunkRef::new(seq, off32),
        series_ref,
        mint,
        maxt,
        encoding,
        out_of_order: enc_byte & OOO_BIT != 0,
        data: &rest[data_start..data_end],
    }))
}

/// Bytes a chunk of `data_len` bytes takes in a file.
fn encoded_len(data_len: usize) -> usize {
    let mut n = data_len as u64;
    let mut v = 1;
    while n >= 0x80 {
        n >>= 7;
        v += 1;
    }
    8 + 8 + 8 + 1 + v + data_len + 4
}

/// Every chunk of file `seq` in order; stops at the zero padding, or after
/// yielding the first [`Corruption`] (nothing after damage is trusted).
pub fn iter_file(seq: u32, file: &[u8]) -> impl Iterator<Item = Result<HeadChunk<'_>, Corruption>> {
    let mut offset = FILE_HEADER_SIZE;
    let mut done = false;
    let mut first = Some(check_header(seq, file));
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        if let Some(Err(e)) = first.take() {
            done = true;
            return Some(Err(e));
        }
        if offset >= file.len() {
            done = true;
            return None;
        }
        match read_chunk(seq, file, offset) {
            Ok(Some(c)) => {
                offset += encoded_len(c.data.len());
                Some(Ok(c))
            }
            Ok(None) => {
                done = true;
                None
            }
            Err(e) => {
                done = true;
                Some(Err(e))
            }
        }
    })
}

fn file_name(dir: &Path, seq: u32) -> PathBuf {
    dir.join(format!("{seq:06}"))
}

/// The head chunk files in `dir`, by ascending sequence number (names that
/// are not all digits are ignored). A missing directory has no files.
pub fn list_files(dir: &Path) -> Result<Vec<(u32, PathBuf)>, Error> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(seq) = name.parse::<u32>() {
            out.push((seq, entry.path()));
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Cuts the damage `c` found in `dir` off: truncates file `c.seq` at
/// `c.offset` (deleting it when nothing but the header would remain) and
/// deletes every later file. Durable when it returns.
pub fn repair(dir: &Path, c: &Corruption) -> Result<(), Error> {
    for (seq, path) in list_files(dir)? {
        if seq > c.seq || (seq == c.seq && c.offset <= FILE_HEADER_SIZE) {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        } else if seq == c.seq {
            let f = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            f.set_len(c.offset as u64)
                .map_err(|e| Error::io(&path, e))?;
            f.sync_all().map_err(|e| Error::io(&path, e))?;
        }
    }
    sync_dir(dir)
}

/// Read-only maps of every head chunk file of a directory that nobody is
/// writing (replay, tools).
#[derive(Debug)]
pub struct HeadChunkFiles {
    files: Vec<(u32, Mmap)>,
}

impl HeadChunkFiles {
    /// Maps every file of `dir` (none if `dir` does not exist). Empty files
    /// are skipped.
    pub fn open(dir: &Path) -> Result<HeadChunkFiles, Error> {
        let mut files = Vec::new();
        for (seq, path) in list_files(dir)? {
            let f = File::open(&path).map_err(|e| Error::io(&path, e))?;
            let len = f.metadata().map_err(|e| Error::io(&path, e))?.len();
            if len == 0 {
                continue;
            }
            // SAFETY: the caller opens a directory no writer is appending
            // to (replay runs before the head writes, and `repair` runs
            // after these maps are dropped), so the bytes do not change
            // while mapped.
            let map = unsafe { Mmap::map(&f) }.map_err(|e| Error::io(&path, e))?;
            files.push((seq, map));
        }
        Ok(HeadChunkFiles { files })
    }

    /// Sequence numbers of the mapped files, ascending.
    pub fn seqs(&self) -> impl Iterator<Item = u32> + '_ {
        self.files.iter().map(|(s, _)| *s)
    }

    /// Every chunk of every file in order; stops after the first
    /// [`Corruption`].
    pub fn iter(&self) -> impl Iterator<Item = Result<HeadChunk<'_>, Corruption>> {
        let mut failed = false;
        self.files
            .iter()
            .flat_map(|(seq, map)| iter_file(*seq, map))
            .take_while(move |r| {
                let go = !failed;
                failed |= r.is_err();
                go
            })
    }

    /// The chunk at `r`.
    pub fn chunk(&self, r: HeadChunkRef) -> Result<HeadChunk<'_>, Corruption> {
        let (seq, offset) = (r.seq(), r.offset() as usize);
        let Some((_, map)) = self.files.iter().find(|(s, _)| *s == seq) else {
            return Err(Corruption {
                seq,
                offset,
                message: "no such file".into(),
            });
        };
        check_header(seq, map)?;
        read_chunk(seq, map, offset)?.ok_or(Corruption {
            seq,
            offset,
            message: "no chunk at this offset".into(),
        })
    }
}

/// Appends chunks to head chunk files, cutting a new file when the current
/// one would grow past its limit.
///
/// Durability: [`HeadChunkWriter::write_chunk`] buffers; [`flush`](Self::flush)
/// puts written chunks in the page cache (readable by other handles,
/// surviving a process kill); a file is `fsync`ed when it is cut and by
/// [`sync`](Self::sync) and [`close`](Self::close) (surviving a machine crash).
#[derive(Debug)]
pub struct HeadChunkWriter {
    dir: PathBuf,
    max_file_size: u64,
    next_seq: u32,
    cur: Option<CurFile>,
    buf: Vec<u8>,
}

#[derive(Debug)]
struct CurFile {
    seq: u32,
    path: PathBuf,
    out: BufWriter<File>,
    /// Bytes written (buffered or not).
    size: u64,
}

impl HeadChunkWriter {
    /// A writer appending to new files in `dir` (created if missing), after
    /// the existing ones: like Prometheus, it never appends to a file
    /// written before.
    pub fn open(dir: &Path) -> Result<HeadChunkWriter, Error> {
        HeadChunkWriter::with_max_file_size(dir, MAX_FILE_SIZE)
    }

    /// As [`open`](Self::open), with another file size limit (for tests).
    pub fn with_max_file_size(dir: &Path, max_file_size: u64) -> Result<HeadChunkWriter, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let last = list_files(dir)?.last().map_or(0, |(s, _)| *s);
        let next_seq = last
            .checked_add(1)
            .ok_or_else(|| Error::InvalidArgument("head chunk file numbers exhausted".into()))?;
        Ok(HeadChunkWriter {
            dir: dir.to_path_buf(),
            max_file_size: max_file_size.min(u64::from(u32::MAX)),
            next_seq,
            cur: None,
            buf: Vec::new(),
        })
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Sequence number of the file being written, if any.
    pub fn current_seq(&self) -> Option<u32> {
        self.cur.as_ref().map(|c| c.seq)
    }

    /// Appends a chunk and returns its reference. `encoding` is the raw
    /// byte (with [`OOO_BIT`] for out-of-order chunks). The chunk is
    /// buffered until [`flush`](Self::flush), a cut, or [`close`](Self::close).
    pub fn write_chunk(
        &mut self,
        series_ref: u64,
        mint: i64,
        maxt: i64,
        encoding: u8,
        data: &[u8],
    ) -> Result<HeadChunkRef, Error> {
        if u32::try_from(data.len()).is_err() {
            return Err(Error::InvalidArgument(format!(
                "head chunk of {} bytes",
                data.len()
            )));
        }
        let need = encoded_len(data.len()) as u64;
        let cut = match &self.cur {
            None => true,
            Some(c) => c.size > FILE_HEADER_SIZE as u64 && c.size + need > self.max_file_size,
        };
        if cut {
            self.cut()?;
        }
        let Some(cur) = self.cur.as_mut() else {
            return Err(Error::InvalidArgument("no head chunk file open".into()));
        };
        let offset = u32::try_from(cur.size)
            .map_err(|_| Error::InvalidArgument("head chunk file beyond 4 GiB".into()))?;
        self.buf.clear();
        encode_chunk(&mut self.buf, series_ref, mint, maxt, encoding, data);
        cur.out
            .write_all(&self.buf)
            .map_err(|e| Error::io(&cur.path, e))?;
        cur.size += self.buf.len() as u64;
        Ok(HeadChunkRef::new(cur.seq, offset))
    }

    /// Ends the current file (flushed and `fsync`ed) and starts the next.
    pub fn cut(&mut self) -> Result<(), Error> {
        self.finish_current()?;
        let seq = self.next_seq;
        self.next_seq = seq
            .checked_add(1)
            .ok_or_else(|| Error::InvalidArgument("head chunk file numbers exhausted".into()))?;
        let path = file_name(&self.dir, seq);
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, f);
        out.write_all(&header()).map_err(|e| Error::io(&path, e))?;
        sync_dir(&self.dir)?;
        self.cur = Some(CurFile {
            seq,
            path,
            out,
            size: FILE_HEADER_SIZE as u64,
        });
        Ok(())
    }

    fn finish_current(&mut self) -> Result<(), Error> {
        if let Some(mut c) = self.cur.take() {
            c.out.flush().map_err(|e| Error::io(&c.path, e))?;
            c.out
                .get_ref()
                .sync_all()
                .map_err(|e| Error::io(&c.path, e))?;
        }
        Ok(())
    }

    /// Writes buffered chunks to the file (the page cache): readers that
    /// open the file afterwards see them, and they survive a process kill.
    pub fn flush(&mut self) -> Result<(), Error> {
        if let Some(c) = self.cur.as_mut() {
            c.out.flush().map_err(|e| Error::io(&c.path, e))?;
        }
        Ok(())
    }

    /// Flushes and `fsync`s the current file: every chunk written so far
    /// survives a machine crash.
    pub fn sync(&mut self) -> Result<(), Error> {
        if let Some(c) = self.cur.as_mut() {
            c.out.flush().map_err(|e| Error::io(&c.path, e))?;
            c.out
                .get_ref()
                .sync_all()
                .map_err(|e| Error::io(&c.path, e))?;
        }
        Ok(())
    }

    /// Flushes, `fsync`s and closes the current file.
    pub fn close(mut self) -> Result<(), Error> {
        self.finish_current()
    }

    /// Deletes the files with sequence numbers below `seq`, except the one
    /// being written. Durable when it returns.
    pub fn delete_files_before(&mut self, seq: u32) -> Result<(), Error> {
        let cur = self.current_seq();
        let mut removed = false;
        for (s, path) in list_files(&self.dir)? {
            if s < seq && Some(s) != cur {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                removed = true;
            }
        }
        if removed {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
