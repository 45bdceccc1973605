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
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: std::path::PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A caller passed a value outside what the format allows.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A histogram's bucket layout differs from its chunk's; start a new chunk.
    #[error("histogram layout differs from the chunk's")]
    LayoutMismatch,
    /// A chunk is full and cannot take another sample.
    #[error("chunk is full ({0} samples)")]
    ChunkFull(usize),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
