//! Chunk encodings: how a run of samples of one series is compressed, in the
//! byte layout of Prometheus' `tsdb/chunkenc` so that Prometheus reads
//! Vigil's chunks and Vigil reads Prometheus'.

mod bstream;
pub mod histogram;
mod histogram_layout;
mod varbit;
pub mod xor;

pub use histogram::{
    CounterResetHeader, FloatHistogramChunk, FloatHistogramIter, HistogramChunk, HistogramIter,
};
pub use histogram_layout::Layout;
pub use xor::{XorChunk, XorIter, decode_xor_columns, decode_xor_into};

/// The encoding byte stored before each chunk in segment files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Gorilla-style float chunk.
    Xor = 1,
    /// Integer native histograms.
    Histogram = 2,
    /// Float native histograms.
    FloatHistogram = 3,
}

impl Encoding {
    /// Parses an encoding byte.
    pub fn from_byte(b: u8) -> Option<Encoding> {
        match b {
            1 => Some(Encoding::Xor),
            2 => Some(Encoding::Histogram),
            3 => Some(Encoding::FloatHistogram),
            _ => None,
        }
    }
}
