//! Writes an index file: symbols first (sorted), then series in label order,
//! then [`IndexWriter::finish`] writes postings, the offset table and the TOC.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use vigil_model::Labels;

use super::{ChunkMeta, FORMAT_V2, MAGIC, SERIES_ALIGN, Toc, put_uvarint, put_varint};
use crate::error::Error;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Symbols,
    Series,
}

/// Streams an index file to disk.
#[derive(Debug)]
pub struct IndexWriter {
    path: PathBuf,
    out: BufWriter<File>,
    pos: u64,
    toc: Toc,
    stage: Stage,
    symbols: Vec<u8>,
    num_symbols: u32,
    symbol_ids: HashMap<Box<str>, u32>,
    last_symbol: Option<Box<str>>,
    last_series: Option<Labels>,
    last_chunk_ref: u64,
    /// (name symbol, value symbol, series ID) for every label of every series.
    postings: Vec<(u32, u32, u32)>,
    all_series: Vec<u32>,
    buf: Vec<u8>,
}

impl IndexWriter {
    /// Creates the index file at `path` and writes its header.
    pub fn create(path: &Path) -> Result<IndexWriter, Error> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let mut w = IndexWriter {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, file),
            pos: 0,
            toc: Toc::default(),
            stage: Stage::Symbols,
            symbols: Vec::new(),
            num_symbols: 0,
            symbol_ids: HashMap::new(),
            last_symbol: None,
            last_series: None,
            last_chunk_ref: 0,
            postings: Vec::new(),
            all_series: Vec::new(),
            buf: Vec::new(),
        };
        let mut header = MAGIC.to_be_bytes().to_vec();
        header.push(FORMAT_V2);
        w.write(&header)?;
        w.toc.symbols = w.pos;
        Ok(w)
    }

    fn write(&mut self, b: &[u8]) -> Result<(), Error> {
        self.out
            .write_all(b)
            .map_err(|e| Error::io(&self.path, e))?;
        self.pos += b.len() as u64;
        Ok(())
    }

    fn pad(&mut self, align: u64) -> Result<(), Error> {
        let n = (align - self.pos % align) % align;
        self.write(&vec![0u8; n as usize])
    }

    fn invalid(&self, msg: String) -> Error {
        Error::InvalidArgument(format!("{}: {msg}", self.path.display()))
    }

    /// Adds the next symbol; symbols must be added in strictly increasing
    /// order and must include every label name and value used by series.
    pub fn add_symbol(&mut self, s: &str) -> Result<(), Error> {
        if self.stage != Stage::Symbols {
            return Err(self.invalid("symbol added after series".into()));
        }
        if let Some(last) = &self.last_symbol
            && **last >= *s
        {
            return Err(self.invalid(format!("symbol {s:?} out of order after {last:?}")));
        }
        put_uvarint(&mut self.symbols, s.len() as u64);
        self.symbols.extend_from_slice(s.as_bytes());
        self.symbol_ids.insert(s.into(), self.num_symbols);
        self.num_symbols += 1;
        self.last_symbol = Some(s.into());
        Ok(())
    }

    fn finish_symbols(&mut self) -> Result<(), Error> {
        let mut body = Vec::with_capacity(self.symbols.len() + 4);
        body.extend_from_slice(&self.num_symbols.to_be_bytes());
        body.extend_from_slice(&self.symbols);
        let len = u32::try_from(body.len())
            .map_err(|_| self.invalid("symbol table exceeds 4 GiB".into()))?;
        self.write(&len.to_be_bytes())?;
        self.write(&body)?;
        self.write(&crc32c::crc32c(&body).to_be_bytes())?;
        self.symbols = Vec::new();
        self.stage = Stage::Series;
        self.toc.series = self.pos;
        Ok(())
    }

    /// Adds the next series with its chunks. Series must come in strictly
    /// increasing label order; chunks in time order with increasing references.
    pub fn add_series(&mut self, labels: &Labels, chunks: &[ChunkMeta]) -> Result<(), Error> {
        if self.stage == Stage::Symbols {
            self.finish_symbols()?;
        }
        if let Some(last) = &self.last_series
            && last >= labels
        {
            return Err(self.invalid(format!("series {labels} out of order after {last}")));
        }
        let mut last_ref = self.last_chunk_ref;
        let mut last_maxt = i64::MIN;
        for c in chunks {
            if c.reference < last_ref {
                return Err(self.invalid(format!(
                    "chunk reference {} below previous {last_ref}",
                    c.reference
                )));
            }
            if c.maxt < c.mint || (last_maxt != i64::MIN && c.mint <= last_maxt) {
                return Err(self.invalid(format!(
                    "chunk [{}, {}] overlaps or is inverted",
                    c.mint, c.maxt
                )));
            }
            last_ref = c.reference;
            last_maxt = c.maxt;
        }
        self.pad(SERIES_ALIGN)?;
        let id = u32::try_from(self.pos / SERIES_ALIGN)
            .map_err(|_| self.invalid("series section exceeds 64 GiB".into()))?;

        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        put_uvarint(&mut buf, labels.len() as u64);
        for l in labels {
            let (Some(&n), Some(&v)) = (self.symbol_ids.get(l.name), self.symbol_ids.get(l.value))
            else {
                self.buf = buf;
                return Err(self.invalid(format!(
                    "label {}={:?} of {labels} is not in the symbol table",
                    l.name, l.value
                )));
            };
            put_uvarint(&mut buf, n as u64);
            put_uvarint(&mut buf, v as u64);
            self.postings.push((n, v, id));
        }
        put_uvarint(&mut buf, chunks.len() as u64);
        if let Some((first, rest)) = chunks.split_first() {
            put_varint(&mut buf, first.mint);
            put_uvarint(&mut buf, first.maxt.wrapping_sub(first.mint) as u64);
            put_uvarint(&mut buf, first.reference);
            let mut t0 = first.maxt;
            let mut r0 = first.reference as i64;
            for c in rest {
                put_uvarint(&mut buf, c.mint.wrapping_sub(t0) as u64);
                put_uvarint(&mut buf, c.maxt.wrapping_sub(c.mint) as u64);
                put_varint(&mut buf, (c.reference as i64).wrapping_sub(r0));
                t0 = c.maxt;
                r0 = c.reference as i64;
            }
        }
        let mut len = Vec::with_capacity(5);
        put_uvarint(&mut len, buf.len() as u64);
        let crc = crc32c::crc32c(&buf);
        self.write(&len)?;
        self.write(&buf)?;
        self.write(&crc.to_be_bytes())?;
        self.buf = buf;

        self.all_series.push(id);
        self.last_series = Some(labels.clone());
        self.last_chunk_ref = last_ref;
        Ok(())
    }

    fn write_postings_list(&mut self, ids: &[u32]) -> Result<(), Error> {
        self.pad(4)?;
        let mut body = Vec::with_capacity(4 + 4 * ids.len());
        body.extend_from_slice(&(ids.len() as u32).to_be_bytes());
        for id in ids {
            body.extend_from_slice(&id.to_be_bytes());
        }
        self.write(&(body.len() as u32).to_be_bytes())?;
        self.write(&body)?;
        self.write(&crc32c::crc32c(&body).to_be_bytes())
    }

    /// Writes postings, the postings offset table and the TOC, then syncs
    /// the file to disk.
    pub fn finish(mut self) -> Result<(), Error> {
        if self.stage == Stage::Symbols {
            self.finish_symbols()?;
        }
        self.toc.label_indices = self.pos;
        self.pad(4)?;
        self.toc.postings = self.pos;

        let symbol_ids = std::mem::take(&mut self.symbol_ids);
        let mut names: Vec<&str> = vec![""; symbol_ids.len()];
        for (s, id) in &symbol_ids {
            if let Some(slot) = names.get_mut(*id as usize) {
                *slot = s;
            }
        }
        let mut table = Vec::new();
        let mut entries = 0u32;
        let mut offset_entry = |table: &mut Vec<u8>, name: &str, value: &str, off: u64| {
            put_uvarint(table, 2);
            put_uvarint(table, name.len() as u64);
            table.extend_from_slice(name.as_bytes());
            put_uvarint(table, value.len() as u64);
            table.extend_from_slice(value.as_bytes());
            put_uvarint(table, off);
            entries += 1;
        };

        let all = std::mem::take(&mut self.all_series);
        self.pad(4)?;
        offset_entry(&mut table, "", "", self.pos);
        self.write_postings_list(&all)?;

        let mut postings = std::mem::take(&mut self.postings);
        postings.sort_unstable();
        let mut ids = Vec::new();
        let mut i = 0;
        while i < postings.len() {
            let (n, v, _) = postings[i];
            ids.clear();
            while i < postings.len() && postings[i].0 == n && postings[i].1 == v {
                ids.push(postings[i].2);
                i += 1;
            }
            self.pad(4)?;
            let (name, value) = (
                names.get(n as usize).copied().unwrap_or(""),
                names.get(v as usize).copied().unwrap_or(""),
            );
            offset_entry(&mut table, name, value, self.pos);
            self.write_postings_list(&ids)?;
        }

        self.toc.label_indices_table = self.pos;
        self.toc.postings_table = self.pos;
        let mut body = entries.to_be_bytes().to_vec();
        body.extend_from_slice(&table);
        let len = u32::try_from(body.len())
            .map_err(|_| self.invalid("postings offset table exceeds 4 GiB".into()))?;
        self.write(&len.to_be_bytes())?;
        self.write(&body)?;
        self.write(&crc32c::crc32c(&body).to_be_bytes())?;

        let mut toc = Vec::with_capacity(52);
        for v in [
            self.toc.symbols,
            self.toc.series,
            self.toc.label_indices,
            self.toc.label_indices_table,
            self.toc.postings,
            self.toc.postings_table,
        ] {
            toc.extend_from_slice(&v.to_be_bytes());
        }
        let crc = crc32c::crc32c(&toc);
        toc.extend_from_slice(&crc.to_be_bytes());
        self.write(&toc)?;

        let file = self
            .out
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&self.path, e))
    }
}
