//! The TSDB's error type.

/// Everything that can go wrong reading or writing TSDB data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Encoded data ended before a complete value could be read.
    #[error("{what}: unexpected end of data at bit {bit}")]
    UnexpectedEof {
        /// What was being decoded.
        what: &'static str,
        /// Bit offset where reading failed.
        bit: usize,
    },
    /// Encoded data is not valid for its format.
    #[error("{what}: {message}")]
    Corrupt {
        /// What was being decoded.
        what: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A chunk is full and cannot take another sample.
    #[error("chunk is full ({0} samples)")]
    ChunkFull(usize),
}
