//! Appends records to WAL segments.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{DEFAULT_SEGMENT_SIZE, FRAGMENT_HEADER_SIZE, FragmentKind, PAGE_SIZE, SNAPPY_MASK};
use crate::error::Error;

/// File name of segment `n` (eight digits, as Prometheus names them).
pub fn segment_name(n: u32) -> String {
    format!("{n:08}")
}

/// The numbered segments in `dir`, ascending. Other files are ignored.
pub fn list_segments(dir: &Path) -> Result<Vec<(u32, PathBuf)>, Error> {
    let mut out = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(n) = name.parse::<u32>() {
            out.push((n, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Writes records into a WAL directory.
///
/// Durability: when [`WalWriter::log`] returns `Ok`, the records are in the
/// operating system's page cache (they survive the process being killed);
/// [`WalWriter::sync`] makes them survive a machine crash too.
#[derive(Debug)]
pub struct WalWriter {
    dir: PathBuf,
    segment_size: usize,
    compress: bool,
    file: File,
    segment: u32,
    /// Pages of the current segment already written in full.
    done_pages: usize,
    page: Box<[u8; PAGE_SIZE]>,
    /// Bytes of `page` in use.
    alloc: usize,
    /// Bytes of `page` already written to the file.
    flushed: usize,
    compressed: Vec<u8>,
    encoder: snap::raw::Encoder,
}

/// A record ready for [`WalWriter::log_prepared`]: its bytes as they go
/// into the WAL, and whether they are snappy-compressed.
#[derive(Debug, Clone, Copy)]
pub struct PreparedRecord<'a> {
    bytes: &'a [u8],
    snappy: bool,
}

/// Compresses `rec` into `buf` when `compress` is set and that makes it
/// smaller (small records can grow under snappy; those stay as they are).
pub fn prepare_record<'a>(
    compress: bool,
    rec: &'a [u8],
    encoder: &mut snap::raw::Encoder,
    buf: &'a mut Vec<u8>,
) -> Result<PreparedRecord<'a>, Error> {
    if !compress {
        return Ok(PreparedRecord {
            bytes: rec,
            snappy: false,
        });
    }
    buf.resize(snap::raw::max_compress_len(rec.len()), 0);
    let n = encoder.compress(rec, buf).map_err(|e| Error::Corrupt {
        what: "WAL record",
        message: format!("snappy: {e}"),
    })?;
    buf.truncate(n);
    Ok(if n < rec.len() {
        PreparedRecord {
            bytes: buf,
            snappy: true,
        }
    } else {
        PreparedRecord {
            bytes: rec,
            snappy: false,
        }
    })
}

impl WalWriter {
    /// Opens the WAL in `dir` (created if missing) for appending, starting a
    /// new segment after the last existing one, as Prometheus does on start.
    pub fn open(
        dir: &Path,
        segment_size: Option<usize>,
        compress: bool,
    ) -> Result<WalWriter, Error> {
        let segment_size = segment_size.unwrap_or(DEFAULT_SEGMENT_SIZE);
        if segment_size % PAGE_SIZE != 0 || segment_size == 0 {
            return Err(Error::InvalidArgument(format!(
                "WAL segment size {segment_size} is not a positive multiple of the {PAGE_SIZE}-byte page"
            )));
        }
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let next = list_segments(dir)?.last().map(|(n, _)| n + 1).unwrap_or(0);
        let file = create_segment(dir, next)?;
        Ok(WalWriter {
            dir: dir.to_path_buf(),
            segment_size,
            compress,
            file,
            segment: next,
            done_pages: 0,
            page: Box::new([0; PAGE_SIZE]),
            alloc: 0,
            flushed: 0,
            compressed: Vec::new(),
            encoder: snap::raw::Encoder::new(),
        })
    }

    /// The directory this WAL lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of the segment being written.
    pub fn current_segment(&self) -> u32 {
        self.segment
    }

    /// Appends records, then writes the partial page to the file so a
    /// reader (or a restart after `kill -9`) sees them.
    pub fn log(&mut self, records: &[&[u8]]) -> Result<(), Error> {
        for rec in records {
            self.log_one(rec)?;
        }
        if self.alloc > self.flushed {
            self.flush_page(false)?;
        }
        Ok(())
    }

    /// Whether this WAL compresses records.
    pub fn compresses(&self) -> bool {
        self.compress
    }

    /// Appends records already passed through [`prepare_record`] (by a
    /// caller not holding the WAL, so compression runs in parallel), then
    /// writes the partial page as [`WalWriter::log`] does.
    pub fn log_prepared(&mut self, records: &[PreparedRecord<'_>]) -> Result<(), Error> {
        for r in records {
            self.log_encoded(r.bytes, r.snappy)?;
        }
        if self.alloc > self.flushed {
            self.flush_page(false)?;
        }
        Ok(())
    }

    fn log_one(&mut self, rec: &[u8]) -> Result<(), Error> {
        let mut compressed = std::mem::take(&mut self.compressed);
        let result = match prepare_record(self.compress, rec, &mut self.encoder, &mut compressed) {
            Ok(p) => self.log_encoded(p.bytes, p.snappy),
            Err(e) => Err(e),
        };
        self.compressed = compressed;
        result
    }

    fn log_encoded(&mut self, mut enc: &[u8], snappy: bool) -> Result<(), Error> {
        if self.page_full() {
            self.flush_page(true)?;
        }

        // Records never cross segment boundaries.
        let pages_per_segment = self.segment_size / PAGE_SIZE;
        let left = (PAGE_SIZE - self.alloc).saturating_sub(FRAGMENT_HEADER_SIZE)
            + (PAGE_SIZE - FRAGMENT_HEADER_SIZE)
                * pages_per_segment.saturating_sub(self.done_pages + 1);
        {
            if enc.len() > left {
                self.next_segment()?;
            }
            let mut first = true;
            loop {
                let room = PAGE_SIZE - self.alloc - FRAGMENT_HEADER_SIZE;
                let n = enc.len().min(room);
                let (part, rest) = enc.split_at(n);
                let kind = match (first, rest.is_empty()) {
                    (true, true) => FragmentKind::Full,
                    (true, false) => FragmentKind::First,
                    (false, true) => FragmentKind::Last,
                    (false, false) => FragmentKind::Middle,
                };
                let mut typ = kind as u8;
                if snappy {
                    typ |= SNAPPY_MASK;
                }
                let a = self.alloc;
                self.page[a] = typ;
                self.page[a + 1..a + 3].copy_from_slice(&(n as u16).to_be_bytes());
                self.page[a + 3..a + 7].copy_from_slice(&crc32c::crc32c(part).to_be_bytes());
                self.page[a + 7..a + 7 + n].copy_from_slice(part);
                self.alloc += FRAGMENT_HEADER_SIZE + n;
                if self.page_full() {
                    self.flush_page(true)?;
                }
                enc = rest;
                first = false;
                if enc.is_empty() {
                    return Ok(());
                }
            }
        }
    }

    fn page_full(&self) -> bool {
        PAGE_SIZE - self.alloc < FRAGMENT_HEADER_SIZE
    }

    /// Writes the unwritten part of the page; with `clear`, pads the page
    /// with zeros to its end and starts a new one.
    fn flush_page(&mut self, clear: bool) -> Result<(), Error> {
        let clear = clear || self.page_full();
        if clear {
            self.alloc = PAGE_SIZE;
        }
        let path = self.segment_path();
        self.file
            .write_all(&self.page[self.flushed..self.alloc])
            .map_err(|e| Error::io(&path, e))?;
        self.flushed = self.alloc;
        if clear {
            self.page.fill(0);
            self.alloc = 0;
            self.flushed = 0;
            self.done_pages += 1;
        }
        Ok(())
    }

    /// Pads the current page, syncs and closes the segment, and starts the next.
    pub fn next_segment(&mut self) -> Result<u32, Error> {
        if self.alloc > 0 {
            self.flush_page(true)?;
        }
        let path = self.segment_path();
        self.file.sync_all().map_err(|e| Error::io(&path, e))?;
        self.segment += 1;
        self.file = create_segment(&self.dir, self.segment)?;
        self.done_pages = 0;
        Ok(self.segment)
    }

    /// Makes everything logged so far durable against a machine crash.
    pub fn sync(&mut self) -> Result<(), Error> {
        let path = self.segment_path();
        self.file.sync_data().map_err(|e| Error::io(&path, e))
    }

    fn segment_path(&self) -> PathBuf {
        self.dir.join(segment_name(self.segment))
    }
}

fn create_segment(dir: &Path, n: u32) -> Result<File, Error> {
    let path = dir.join(segment_name(n));
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))
}
