//! Chunk segment files (`<block>/chunks/000001` …), as Prometheus'
//! `tsdb/chunks` writes them (`tsdb/docs/format/chunks.md`):
//!
//! ```text
//! ┌──────────────────────────────┬──────────────────┬───────────────────┐
//! │ magic(0x85BD40DD) <4 byte>   │ version(1) <1 b> │ padding(0) <3 b>  │
//! ├──────────────────────────────┴──────────────────┴───────────────────┤
//! │ chunk: len <uvarint> │ encoding <1 byte> │ data │ CRC32C(enc+data) <4 byte BE> │
//! │ ...                                                                 │
//! └─────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! The index refers to a chunk by a 64-bit reference: segment sequence
//! number in the upper 32 bits, byte offset within the file in the lower 32.

use crate::chunkenc::Encoding;
use crate::error::Error;

/// Magic number opening every chunk segment file.
pub const MAGIC: u32 = 0x85BD_40DD;
/// The only segment format version.
pub const FORMAT_V1: u8 = 1;
/// Bytes before the first chunk.
pub const SEGMENT_HEADER_SIZE: usize = 8;
/// Largest segment file Prometheus writes (and so do we).
pub const DEFAULT_SEGMENT_SIZE: usize = 512 << 20;

const WHAT: &str = "chunk segment";

/// One chunk found in a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRecord<'a> {
    /// Byte offset of the chunk's length field within the file.
    pub offset: usize,
    /// How the data is encoded.
    pub encoding: Encoding,
    /// The encoded chunk data.
    pub data: &'a [u8],
}

/// Packs a segment number and an offset into an index chunk reference.
pub fn chunk_ref(segment: u32, offset: u32) -> u64 {
    ((segment as u64) << 32) | offset as u64
}

/// Splits an index chunk reference into segment number and offset.
pub fn split_ref(r: u64) -> (u32, u32) {
    ((r >> 32) as u32, r as u32)
}

/// Checks a segment file's header.
pub fn check_header(file: &[u8]) -> Result<(), Error> {
    let header = file.get(..SEGMENT_HEADER_SIZE).ok_or_else(|| {
        corrupt(
            0,
            format!("file of {} bytes is shorter than the header", file.len()),
        )
    })?;
    let magic = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    if magic != MAGIC {
        return Err(corrupt(0, format!("bad magic number {magic:#010x}")));
    }
    if header[4] != FORMAT_V1 {
        return Err(corrupt(
            4,
            format!("unsupported format version {}", header[4]),
        ));
    }
    Ok(())
}

/// Reads the chunk starting at `offset`, verifying its checksum.
pub fn read_chunk(file: &[u8], offset: usize) -> Result<ChunkRecord<'_>, Error> {
    let rest = file
        .get(offset..)
        .ok_or_else(|| corrupt(offset, "offset past end of file".into()))?;
    let (len, n) = uvarint(rest).ok_or_else(|| corrupt(offset, "bad chunk length".into()))?;
    let len = usize::try_from(len).map_err(|_| corrupt(offset, "chunk length overflows".into()))?;
    let body = rest
        .get(n..n.saturating_add(len).saturating_add(5))
        .ok_or_else(|| {
            corrupt(
                offset,
                format!("chunk of {len} bytes runs past end of file"),
            )
        })?;
    let (enc_and_data, crc) = body.split_at(1 + len);
    let want = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let got = crc32c::crc32c(enc_and_data);
    if want != got {
        return Err(corrupt(
            offset,
            format!("checksum mismatch: stored {want:#010x}, computed {got:#010x}"),
        ));
    }
    let encoding = Encoding::from_byte(enc_and_data[0]).ok_or_else(|| {
        corrupt(
            offset + n,
            format!("unknown chunk encoding {}", enc_and_data[0]),
        )
    })?;
    Ok(ChunkRecord {
        offset,
        encoding,
        data: &enc_and_data[1..],
    })
}

/// Iterates every chunk of a segment file in order, stopping at the first
/// error or at zero padding after the last chunk.
pub fn iter_chunks(file: &[u8]) -> impl Iterator<Item = Result<ChunkRecord<'_>, Error>> + '_ {
    let mut offset = SEGMENT_HEADER_SIZE;
    let mut failed = check_header(file).err();
    std::iter::from_fn(move || {
        if let Some(e) = failed.take() {
            offset = usize::MAX;
            return Some(Err(e));
        }
        // Head chunk files are pre-allocated and zero-filled at the end.
        match file.get(offset) {
            None | Some(0) => return None,
            Some(_) => {}
        }
        match read_chunk(file, offset) {
            Ok(rec) => {
                offset = rec.data.as_ptr() as usize - file.as_ptr() as usize + rec.data.len() + 4;
                Some(Ok(rec))
            }
            Err(e) => {
                offset = usize::MAX;
                Some(Err(e))
            }
        }
    })
}

/// Appends a chunk record to a segment buffer; returns the chunk's offset.
pub fn write_chunk(out: &mut Vec<u8>, encoding: Encoding, data: &[u8]) -> usize {
    if out.is_empty() {
        out.extend_from_slice(&MAGIC.to_be_bytes());
        out.extend_from_slice(&[FORMAT_V1, 0, 0, 0]);
    }
    let offset = out.len();
    let mut n = data.len() as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    let start = out.len();
    out.push(encoding as u8);
    out.extend_from_slice(data);
    let crc = crc32c::crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
    offset
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        x |= ((byte & 0x7f) as u64) << (7 * i);
        if byte < 0x80 {
            return Some((x, i + 1));
        }
    }
    None
}

fn corrupt(offset: usize, message: String) -> Error {
    Error::Corrupt {
        what: WHAT,
        message: format!("at offset {offset}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read() {
        let mut seg = Vec::new();
        let a = write_chunk(&mut seg, Encoding::Xor, &[0, 1, 2, 3]);
        let b = write_chunk(&mut seg, Encoding::Histogram, &[9; 200]);
        assert_eq!(a, SEGMENT_HEADER_SIZE);
        let recs: Vec<_> = iter_chunks(&seg).collect::<Result<_, _>>().unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].offset, b);
        assert_eq!(recs[1].data.len(), 200);
        assert_eq!(read_chunk(&seg, b).unwrap(), recs[1]);
    }

    #[test]
    fn damage_is_reported_with_offset() {
        let mut seg = Vec::new();
        write_chunk(&mut seg, Encoding::Xor, &[0, 1, 2, 3]);
        let last = seg.len() - 6;
        seg[last] ^= 0xff;
        let err = iter_chunks(&seg).next().unwrap().unwrap_err().to_string();
        assert!(
            err.contains("at offset 8") && err.contains("checksum"),
            "{err}"
        );
        for cut in 0..seg.len() {
            let _ = iter_chunks(&seg[..cut]).count();
        }
    }
}
