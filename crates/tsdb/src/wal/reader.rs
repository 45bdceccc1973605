//! Reads records back from WAL segments, detecting torn and corrupt data.

use std::fmt;
use std::path::Path;

use super::{FRAGMENT_HEADER_SIZE, FragmentKind, PAGE_SIZE, SNAPPY_MASK, ZSTD_MASK, list_segments};
use crate::error::Error;

/// Where and why a segment stopped being readable. Everything before
/// `offset` in `segment` is intact; repair truncates there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corruption {
    /// Segment number.
    pub segment: u32,
    /// Byte offset in the segment of the first fragment of the bad record.
    pub offset: usize,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WAL segment {:08} at offset {}: {}",
            self.segment, self.offset, self.message
        )
    }
}

impl std::error::Error for Corruption {}

/// Reads the records of one segment held in memory.
#[derive(Debug)]
pub struct SegmentReader<'a> {
    data: &'a [u8],
    segment: u32,
    pos: usize,
    assembled: Vec<u8>,
    decoded: Vec<u8>,
    decoder: snap::raw::Decoder,
}

impl<'a> SegmentReader<'a> {
    /// A reader over the bytes of segment number `segment`.
    pub fn new(segment: u32, data: &'a [u8]) -> SegmentReader<'a> {
        SegmentReader {
            data,
            segment,
            pos: 0,
            assembled: Vec::new(),
            decoded: Vec::new(),
            decoder: snap::raw::Decoder::new(),
        }
    }

    /// Byte offset just past the last record returned.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The next record, `Ok(None)` at the clean end of the segment, or where
    /// and why the data is damaged.
    pub fn next_record(&mut self) -> Result<Option<&[u8]>, Corruption> {
        let start = self.pos;
        let fail = |msg: String| Corruption {
            segment: self.segment,
            offset: start,
            message: msg,
        };
        self.assembled.clear();
        let mut fragments = 0usize;
        let mut snappy;
        loop {
            let Some(&typ) = self.data.get(self.pos) else {
                if fragments == 0 {
                    return Ok(None);
                }
                return Err(fail("segment ends inside a record (torn write)".into()));
            };
            let kind = FragmentKind::from_header(typ).ok_or_else(|| {
                fail(format!(
                    "unknown fragment type {typ:#04x} at offset {}",
                    self.pos
                ))
            })?;
            if kind == FragmentKind::PageTerm {
                // The rest of the page must be zero padding.
                let page_end = (self.pos / PAGE_SIZE + 1) * PAGE_SIZE;
                let pad = self
                    .data
                    .get(self.pos..page_end)
                    .ok_or_else(|| fail("segment ends inside page padding".into()))?;
                if let Some(i) = pad.iter().position(|&b| b != 0) {
                    return Err(fail(format!(
                        "non-zero byte in page padding at offset {}",
                        self.pos + i
                    )));
                }
                self.pos = page_end;
                if fragments == 0 && self.pos >= self.data.len() {
                    return Ok(None);
                }
                continue;
            }
            if typ & ZSTD_MASK != 0 {
                return Err(fail("zstd-compressed WAL records are not supported".into()));
            }
            let header = self
                .data
                .get(self.pos..self.pos + FRAGMENT_HEADER_SIZE)
                .ok_or_else(|| fail("segment ends inside a fragment header (torn write)".into()))?;
            let len = u16::from_be_bytes([header[1], header[2]]) as usize;
            let crc = u32::from_be_bytes([header[3], header[4], header[5], header[6]]);
            let body_start = self.pos + FRAGMENT_HEADER_SIZE;
            // A fragment never crosses a page boundary.
            if (self.pos % PAGE_SIZE) + FRAGMENT_HEADER_SIZE + len > PAGE_SIZE {
                return Err(fail(format!(
                    "fragment of {len} bytes at offset {} crosses a page boundary",
                    self.pos
                )));
            }
            let body = self
                .data
                .get(body_start..body_start + len)
                .ok_or_else(|| fail("segment ends inside a fragment (torn write)".into()))?;
            let got = crc32c::crc32c(body);
            if got != crc {
                return Err(fail(format!(
                    "checksum mismatch in fragment at offset {}: stored {crc:#010x}, computed {got:#010x}",
                    self.pos
                )));
            }
            let ok_order = match kind {
                FragmentKind::Full | FragmentKind::First => fragments == 0,
                FragmentKind::Middle | FragmentKind::Last => fragments > 0,
                FragmentKind::PageTerm => true,
            };
            if !ok_order {
                return Err(fail(format!(
                    "fragment of kind {kind:?} out of order at offset {}",
                    self.pos
                )));
            }
            snappy = typ & SNAPPY_MASK != 0;
            self.assembled.extend_from_slice(body);
            self.pos = body_start + len;
            fragments += 1;
            if matches!(kind, FragmentKind::Full | FragmentKind::Last) {
                break;
            }
        }
        if snappy {
            let n = snap::raw::decompress_len(&self.assembled)
                .map_err(|e| fail(format!("snappy: {e}")))?;
            self.decoded.resize(n, 0);
            self.decoder
                .decompress(&self.assembled, &mut self.decoded)
                .map_err(|e| fail(format!("snappy: {e}")))?;
            Ok(Some(&self.decoded))
        } else {
            Ok(Some(&self.assembled))
        }
    }
}

/// Reads a whole WAL directory segment by segment.
#[derive(Debug)]
pub struct WalReader {
    segments: Vec<(u32, std::path::PathBuf)>,
}

impl WalReader {
    /// Lists the segments of the WAL in `dir`.
    pub fn open(dir: &Path) -> Result<WalReader, Error> {
        Ok(WalReader {
            segments: list_segments(dir)?,
        })
    }

    /// Segment numbers in order.
    pub fn segments(&self) -> impl Iterator<Item = u32> + '_ {
        self.segments.iter().map(|(n, _)| *n)
    }

    /// Calls `f` with every record in order. Stops at the first damaged
    /// record and returns where it is (`Ok(Some(..))`); everything before it
    /// has been delivered.
    pub fn for_each(&self, mut f: impl FnMut(u32, &[u8])) -> Result<Option<Corruption>, Error> {
        for (n, path) in &self.segments {
            let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            let mut r = SegmentReader::new(*n, &data);
            loop {
                match r.next_record() {
                    Ok(Some(rec)) => f(*n, rec),
                    Ok(None) => break,
                    Err(c) => return Ok(Some(c)),
                }
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wal::WalWriter;

    fn record(i: usize) -> Vec<u8> {
        // Sizes from empty to several pages; even records compress, odd
        // ones (xorshift noise) do not.
        let len = [0, 1, 6, 7, 100, 32_761, 32_762, 40_000, 100_000][i % 9] + i;
        let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ i as u64;
        (0..len)
            .map(|j| {
                if i % 2 == 0 {
                    (j % 7) as u8
                } else {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                }
            })
            .collect()
    }

    fn write(dir: &Path, n: usize, compress: bool, segment_size: usize) -> Vec<Vec<u8>> {
        let mut w = WalWriter::open(dir, Some(segment_size), compress).unwrap();
        let recs: Vec<_> = (0..n).map(record).collect();
        for chunk in recs.chunks(3) {
            let refs: Vec<&[u8]> = chunk.iter().map(|r| r.as_slice()).collect();
            w.log(&refs).unwrap();
        }
        recs
    }

    fn read_all(dir: &Path) -> (Vec<Vec<u8>>, Option<Corruption>) {
        let mut got = Vec::new();
        let c = WalReader::open(dir)
            .unwrap()
            .for_each(|_, r| got.push(r.to_vec()))
            .unwrap();
        (got, c)
    }

    #[test]
    fn round_trip_with_and_without_snappy_across_segments() {
        for compress in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let want = write(dir.path(), 60, compress, 4 * PAGE_SIZE);
            let (got, corruption) = read_all(dir.path());
            assert_eq!(corruption, None);
            assert_eq!(got.len(), want.len());
            assert!(got == want, "records differ (compress={compress})");
            let segs = list_segments(dir.path()).unwrap();
            assert!(
                segs.len() > 1,
                "records spread over segments: {segs:?} (compress={compress})"
            );
        }
    }

    #[test]
    fn reopening_starts_a_new_segment_and_keeps_old_records() {
        let dir = tempfile::tempdir().unwrap();
        let mut want = write(dir.path(), 5, true, 8 * PAGE_SIZE);
        let mut w = WalWriter::open(dir.path(), Some(8 * PAGE_SIZE), true).unwrap();
        assert_eq!(w.current_segment(), 1);
        w.log(&[b"after restart"]).unwrap();
        want.push(b"after restart".to_vec());
        assert_eq!(read_all(dir.path()).0, want);
    }

    #[test]
    fn torn_tail_keeps_every_complete_record() {
        let dir = tempfile::tempdir().unwrap();
        let want = write(dir.path(), 12, false, 64 * PAGE_SIZE);
        let (_, path) = list_segments(dir.path()).unwrap().remove(0);
        let full = std::fs::read(&path).unwrap();
        // Cut the segment at many points: the records that were complete
        // before the cut come back; the cut is reported at a record start.
        for cut in (0..full.len()).step_by(997) {
            let mut r = SegmentReader::new(0, &full[..cut]);
            let mut n = 0;
            let err = loop {
                match r.next_record() {
                    Ok(Some(rec)) => {
                        assert_eq!(rec, want[n].as_slice());
                        n += 1;
                    }
                    Ok(None) => break None,
                    Err(c) => break Some(c),
                }
            };
            if let Some(c) = err {
                assert!(c.offset <= cut);
            }
        }
    }

    #[test]
    fn flipped_byte_is_reported_with_segment_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let want = write(dir.path(), 9, false, 64 * PAGE_SIZE);
        let (_, path) = list_segments(dir.path()).unwrap().remove(0);
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x55;
        std::fs::write(&path, &bytes).unwrap();
        let (got, corruption) = read_all(dir.path());
        let c = corruption.expect("damage detected");
        assert_eq!(c.segment, 0);
        assert!(c.offset <= mid);
        assert_eq!(got, want[..got.len()].to_vec());
        assert!(
            c.to_string().starts_with("WAL segment 00000000 at offset"),
            "{c}"
        );
    }
}
