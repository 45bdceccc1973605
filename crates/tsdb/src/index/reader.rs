//! Reads an index file. Every section's checksum is verified when it is
//! read, and every error names the file and the byte offset.

use std::collections::BTreeMap;
use std::path::Path;

use vigil_model::{Labels, LabelsBuilder};

use super::{ChunkMeta, FORMAT_V2, MAGIC, SERIES_ALIGN, TOC_LEN, Toc};
use crate::error::Error;

/// A cursor over part of the index with checked reads.
struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn be32(&mut self) -> Option<u32> {
        let s = self.bytes(4)?;
        Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn uvarint(&mut self) -> Option<u64> {
        let mut x = 0u64;
        for i in 0..10 {
            let b = *self.bytes(1)?.first()?;
            if b < 0x80 {
                return Some(x | (b as u64) << (7 * i));
            }
            x |= ((b & 0x7f) as u64) << (7 * i);
        }
        None
    }
    fn varint(&mut self) -> Option<i64> {
        let u = self.uvarint()?;
        Some(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
    fn str(&mut self) -> Option<&'a str> {
        let n = usize::try_from(self.uvarint()?).ok()?;
        std::str::from_utf8(self.bytes(n)?).ok()
    }
}

/// A postings list: series IDs in increasing order.
#[derive(Debug, Clone)]
pub struct Postings<'a> {
    refs: &'a [u8],
}

impl Postings<'_> {
    /// An empty list.
    pub fn empty() -> Postings<'static> {
        Postings { refs: &[] }
    }

    /// Number of series IDs.
    pub fn len(&self) -> usize {
        self.refs.len() / 4
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.refs.len() < 4
    }

    /// The series IDs (each the series' offset / 16).
    pub fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.refs
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as u64)
    }
}

/// A read-only view of an index file.
#[derive(Debug)]
pub struct IndexReader<B> {
    b: B,
    name: String,
    toc: Toc,
    /// File offset of each symbol's length prefix, by symbol reference.
    symbols: Vec<u32>,
    /// Label name → (file offset of the value string, postings offset), sorted by value.
    postings: BTreeMap<String, Vec<(usize, u64)>>,
}

impl IndexReader<Vec<u8>> {
    /// Reads and opens the index file at `path`.
    pub fn open(path: &Path) -> Result<IndexReader<Vec<u8>>, Error> {
        let b = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        IndexReader::new(b, &path.display().to_string())
    }
}

impl<B: AsRef<[u8]>> IndexReader<B> {
    /// Size of the index file in bytes.
    pub fn bytes_len(&self) -> usize {
        self.b.as_ref().len()
    }

    /// Opens an index held in `b`; `name` (usually the path) appears in errors.
    pub fn new(b: B, name: &str) -> Result<IndexReader<B>, Error> {
        let mut r = IndexReader {
            b,
            name: name.to_string(),
            toc: Toc::default(),
            symbols: Vec::new(),
            postings: BTreeMap::new(),
        };
        r.read_header_and_toc()?;
        r.read_symbols()?;
        r.read_postings_table()?;
        Ok(r)
    }

    fn corrupt(&self, offset: usize, msg: impl std::fmt::Display) -> Error {
        Error::Corrupt {
            what: "index",
            message: format!("{} at offset {offset}: {msg}", self.name),
        }
    }

    /// A section `len <4b> │ body │ CRC32C <4b>` at `off`; returns the body.
    fn section(&self, off: u64) -> Result<(&[u8], usize), Error> {
        let b = self.b.as_ref();
        let off = usize::try_from(off).map_err(|_| self.corrupt(0, "section offset overflows"))?;
        let mut c = Cursor { b, pos: off };
        let len = c
            .be32()
            .ok_or_else(|| self.corrupt(off, "section length past end of file"))?
            as usize;
        let body = c.bytes(len).ok_or_else(|| {
            self.corrupt(off, format!("section of {len} bytes runs past end of file"))
        })?;
        let crc = c
            .be32()
            .ok_or_else(|| self.corrupt(off, "section checksum past end of file"))?;
        if crc32c::crc32c(body) != crc {
            return Err(self.corrupt(off, "section checksum mismatch"));
        }
        Ok((body, off + 4))
    }

    fn read_header_and_toc(&mut self) -> Result<(), Error> {
        let b = self.b.as_ref();
        if b.len() < 5 + TOC_LEN {
            return Err(self.corrupt(
                0,
                format!("file of {} bytes is too short for an index", b.len()),
            ));
        }
        let magic = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        if magic != MAGIC {
            return Err(self.corrupt(0, format!("bad magic number {magic:#010x}")));
        }
        if b[4] != FORMAT_V2 {
            return Err(self.corrupt(4, format!("unsupported index format version {}", b[4])));
        }
        let start = b.len() - TOC_LEN;
        let toc = &b[start..];
        let crc = u32::from_be_bytes([toc[48], toc[49], toc[50], toc[51]]);
        if crc32c::crc32c(&toc[..48]) != crc {
            return Err(self.corrupt(start, "table of contents checksum mismatch"));
        }
        let at =
            |i: usize| u64::from_be_bytes(toc[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        self.toc = Toc {
            symbols: at(0),
            series: at(1),
            label_indices: at(2),
            label_indices_table: at(3),
            postings: at(4),
            postings_table: at(5),
        };
        Ok(())
    }

    fn read_symbols(&mut self) -> Result<(), Error> {
        let (body, start) = self.section(self.toc.symbols)?;
        let mut c = Cursor { b: body, pos: 0 };
        let n = c
            .be32()
            .ok_or_else(|| self.corrupt(start, "missing symbol count"))?;
        let mut offsets = Vec::with_capacity((n as usize).min(body.len()));
        for i in 0..n {
            let at = c.pos;
            if c.str().is_none() {
                return Err(self.corrupt(
                    start + at,
                    format!("symbol {i} of {n} is truncated or not UTF-8"),
                ));
            }
            offsets.push((start + at) as u32);
        }
        self.symbols = offsets;
        Ok(())
    }

    fn read_postings_table(&mut self) -> Result<(), Error> {
        if self.toc.postings_table == 0 {
            return Ok(());
        }
        let (body, start) = self.section(self.toc.postings_table)?;
        let mut c = Cursor { b: body, pos: 0 };
        let n = c
            .be32()
            .ok_or_else(|| self.corrupt(start, "missing entry count"))?;
        let mut table: BTreeMap<String, Vec<(usize, u64)>> = BTreeMap::new();
        for i in 0..n {
            let at = start + c.pos;
            let bad = || self.corrupt(at, format!("postings offset entry {i} of {n} is malformed"));
            if c.uvarint().ok_or_else(bad)? != 2 {
                return Err(bad());
            }
            let name = c.str().ok_or_else(bad)?;
            let value_pos = start + c.pos;
            c.str().ok_or_else(bad)?;
            let off = c.uvarint().ok_or_else(bad)?;
            table
                .entry(name.to_string())
                .or_default()
                .push((value_pos, off));
        }
        self.postings = table;
        Ok(())
    }

    fn string_at(&self, pos: usize) -> Result<&str, Error> {
        Cursor {
            b: self.b.as_ref(),
            pos,
        }
        .str()
        .ok_or_else(|| self.corrupt(pos, "bad string"))
    }

    /// Number of symbols.
    pub fn num_symbols(&self) -> usize {
        self.symbols.len()
    }

    /// The symbol with reference `i`.
    pub fn symbol(&self, i: u32) -> Result<&str, Error> {
        let pos = *self
            .symbols
            .get(i as usize)
            .ok_or_else(|| self.corrupt(0, format!("symbol reference {i} out of range")))?;
        self.string_at(pos as usize)
    }

    /// Every symbol, in order.
    pub fn symbols(&self) -> impl Iterator<Item = Result<&str, Error>> + '_ {
        (0..self.symbols.len() as u32).map(|i| self.symbol(i))
    }

    /// Label names with at least one series, sorted.
    pub fn label_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.postings
            .keys()
            .map(String::as_str)
            .filter(|n| !n.is_empty())
    }

    /// Sorted values of label `name`.
    pub fn label_values(&self, name: &str) -> Result<Vec<&str>, Error> {
        match self.postings.get(name) {
            None => Ok(Vec::new()),
            Some(vals) => vals.iter().map(|(p, _)| self.string_at(*p)).collect(),
        }
    }

    fn postings_at(&self, off: u64) -> Result<Postings<'_>, Error> {
        let (body, start) = self.section(off)?;
        let n = body
            .get(..4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize);
        match n {
            Some(n) if body.len() == 4 + 4 * n => Ok(Postings { refs: &body[4..] }),
            _ => Err(self.corrupt(start, "postings list length does not match its count")),
        }
    }

    /// Series IDs having label `name` = `value`.
    pub fn postings(&self, name: &str, value: &str) -> Result<Postings<'_>, Error> {
        let Some(vals) = self.postings.get(name) else {
            return Ok(Postings::empty());
        };
        // Values are sorted, so a binary search finds the entry.
        let mut lo = 0;
        let mut hi = vals.len();
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.string_at(vals[mid].0)?.cmp(value) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.postings_at(vals[mid].1),
            }
        }
        Ok(Postings::empty())
    }

    /// Every series ID in the index.
    pub fn all_postings(&self) -> Result<Postings<'_>, Error> {
        self.postings("", "")
    }

    /// Reads series `id`: fills `chunks` and returns its labels.
    pub fn series(
        &self,
        id: u64,
        builder: &mut LabelsBuilder,
        chunks: &mut Vec<ChunkMeta>,
    ) -> Result<Labels, Error> {
        let off = id
            .checked_mul(SERIES_ALIGN)
            .and_then(|o| usize::try_from(o).ok())
            .ok_or_else(|| self.corrupt(0, format!("series ID {id} out of range")))?;
        let b = self.b.as_ref();
        let mut c = Cursor { b, pos: off };
        let bad = |m: &str| self.corrupt(off, format!("series {id}: {m}"));
        let len = c.uvarint().ok_or_else(|| bad("bad length"))? as usize;
        let body = c.bytes(len).ok_or_else(|| bad("runs past end of file"))?;
        let crc = c.be32().ok_or_else(|| bad("checksum past end of file"))?;
        if crc32c::crc32c(body) != crc {
            return Err(bad("checksum mismatch"));
        }
        let mut c = Cursor { b: body, pos: 0 };
        let n = c.uvarint().ok_or_else(|| bad("bad label count"))?;
        builder.reset();
        for _ in 0..n {
            let name = c
                .uvarint()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| bad("bad label name reference"))?;
            let value = c
                .uvarint()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| bad("bad label value reference"))?;
            builder.push(self.symbol(name)?, self.symbol(value)?);
        }
        let labels = builder.build();
        let k = c.uvarint().ok_or_else(|| bad("bad chunk count"))?;
        chunks.clear();
        let mut t0 = 0i64;
        let mut r0 = 0i64;
        for i in 0..k {
            let (mint, maxt, reference) = if i == 0 {
                let mint = c.varint().ok_or_else(|| bad("bad chunk mint"))?;
                let maxt =
                    mint.wrapping_add(c.uvarint().ok_or_else(|| bad("bad chunk maxt"))? as i64);
                let r = c.uvarint().ok_or_else(|| bad("bad chunk reference"))?;
                (mint, maxt, r as i64)
            } else {
                let mint =
                    t0.wrapping_add(c.uvarint().ok_or_else(|| bad("bad chunk mint"))? as i64);
                let maxt =
                    mint.wrapping_add(c.uvarint().ok_or_else(|| bad("bad chunk maxt"))? as i64);
                let r = r0.wrapping_add(c.varint().ok_or_else(|| bad("bad chunk reference"))?);
                (mint, maxt, r)
            };
            t0 = maxt;
            r0 = reference;
            chunks.push(ChunkMeta {
                mint,
                maxt,
                reference: reference as u64,
            });
        }
        Ok(labels)
    }

    /// The table of contents.
    pub fn toc(&self) -> Toc {
        self.toc
    }
}
