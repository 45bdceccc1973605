//! The block index (`<block>/index`), format version 2, as Prometheus 3.x
//! writes it (`tsdb/docs/format/index.md`) and Prometheus 2.x reads it:
//!
//! ```text
//! ┌────────────────────────────┬─────────────────────┐
//! │ magic(0xBAAAD700) <4b>     │ version(2) <1 byte> │
//! ├────────────────────────────┴─────────────────────┤
//! │ Symbol table: len <4b> │ #symbols <4b> │ (len <uvarint> │ str)… │ CRC32C <4b>
//! │ Series, each 16-byte aligned (ID = offset / 16):
//! │    len <uvarint> │ #labels │ (name ref, value ref)… │ #chunks │ chunk metas… │ CRC32C
//! │ Postings, each 4-byte aligned: len <4b> │ #refs <4b> │ ref <4b>… │ CRC32C
//! │ Postings offset table: len <4b> │ #entries <4b> │
//! │    (2 <uvarint> │ name │ value │ offset <uvarint64>)… │ CRC32C
//! │ TOC: symbols, series, label indices, label offset table,
//! │      postings, postings offset table <8b each> │ CRC32C
//! └──────────────────────────────────────────────────┘
//! ```
//!
//! Symbol references are positions in the sorted symbol table, so comparing
//! references compares strings. The first postings list is the "all
//! postings" list under the empty name and value. Like Prometheus 3.x we
//! write no label index sections (the TOC points both label-index entries at
//! the postings sections); no reader of version 2 needs them.

mod reader;
mod writer;

pub use reader::{IndexReader, Postings};
pub use writer::IndexWriter;

/// Magic number opening an index file.
pub const MAGIC: u32 = 0xBAAA_D700;
/// The index format version written.
pub const FORMAT_V2: u8 = 2;
/// Series entries start at multiples of this; a series ID is offset / 16.
pub const SERIES_ALIGN: u64 = 16;
/// Size of the table of contents at the end of the file.
pub const TOC_LEN: usize = 6 * 8 + 4;

/// Where one chunk of a series is, and the time range it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkMeta {
    /// First sample's timestamp.
    pub mint: i64,
    /// Last sample's timestamp.
    pub maxt: i64,
    /// Chunk reference: segment file number << 32 | offset.
    pub reference: u64,
}

/// The table of contents: file offsets of the sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Toc {
    /// Symbol table.
    pub symbols: u64,
    /// First series.
    pub series: u64,
    /// Label index sections (unused in version 2).
    pub label_indices: u64,
    /// Label offset table (unused in version 2).
    pub label_indices_table: u64,
    /// First postings list.
    pub postings: u64,
    /// Postings offset table.
    pub postings_table: u64,
}

pub(crate) fn put_uvarint(b: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        b.push((v as u8) | 0x80);
        v >>= 7;
    }
    b.push(v as u8);
}

pub(crate) fn put_varint(b: &mut Vec<u8>, v: i64) {
    put_uvarint(b, ((v << 1) ^ (v >> 63)) as u64);
}

#[cfg(test)]
mod tests;
