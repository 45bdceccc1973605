//! The write-ahead log (`<data>/wal/`), in Prometheus' format
//! (`tsdb/docs/format/wal.md`), so either server can replay the other's.
//!
//! A WAL is a directory of numbered segment files (`00000000`, …, 128 MiB
//! each by default). A segment is a sequence of 32 KiB pages; records are
//! split into fragments that never cross a page boundary (nor a segment
//! boundary), each fragment with a 7-byte header:
//!
//! ```text
//! ┌───────────┬──────────┬──────────────────┬──────────────┐
//! │ type <1b> │ len <2b> │ CRC32C(data) <4b>│ data <bytes> │
//! └───────────┴──────────┴──────────────────┴──────────────┘
//! type = reserved <3 bit> │ zstd <1 bit> │ snappy <1 bit> │ fragment kind <3 bit>
//! fragment kind: 0 rest of page is zero padding, 1 full, 2 first, 3 middle, 4 last
//! ```
//!
//! Records are opaque bytes at this layer. Snappy
//! compresses a whole record before it is split, and only when that saves bytes.

mod reader;
mod writer;

pub use reader::{Corruption, SegmentReader, WalReader};
pub use writer::{PreparedRecord, WalWriter, list_segments, prepare_record, segment_name};

/// Size of one WAL page.
pub const PAGE_SIZE: usize = 32 * 1024;
/// Size of a fragment header.
pub const FRAGMENT_HEADER_SIZE: usize = 7;
/// Default segment size (128 MiB), a whole number of pages.
pub const DEFAULT_SEGMENT_SIZE: usize = 128 << 20;

pub(crate) const SNAPPY_MASK: u8 = 1 << 3;
pub(crate) const ZSTD_MASK: u8 = 1 << 4;
pub(crate) const KIND_MASK: u8 = SNAPPY_MASK - 1;

/// The kind of one record fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FragmentKind {
    PageTerm = 0,
    Full = 1,
    First = 2,
    Middle = 3,
    Last = 4,
}

impl FragmentKind {
    pub(crate) fn from_header(b: u8) -> Option<FragmentKind> {
        Some(match b & KIND_MASK {
            0 => FragmentKind::PageTerm,
            1 => FragmentKind::Full,
            2 => FragmentKind::First,
            3 => FragmentKind::Middle,
            4 => FragmentKind::Last,
            _ => return None,
        })
    }
}
