//! The crate's error type.

use std::path::PathBuf;

/// Why a discovery refresh (or building an HTTP client) failed.
///
/// A failed refresh never clears what a provider found before: the manager
/// keeps publishing the last good target groups and counts the failure.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// A file SD file could not be read or parsed.
    #[error("reading {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong (I/O or format).
        message: String,
    },
    /// A file referenced by the HTTP client options (CA, certificate, key,
    /// password, token, header) could not be read.
    #[error("reading {path}: {source}")]
    ClientFile {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The HTTP client could not be built from its options (bad PEM, bad proxy URL …).
    #[error("building HTTP client: {0}")]
    Client(String),
    /// An option Vigil does not implement yet.
    #[error("{0} is not supported")]
    Unsupported(&'static str),
    /// The request itself failed (connection, TLS, timeout).
    #[error("{0}")]
    Request(String),
    /// The server answered with a non-200 status.
    #[error("server returned HTTP status {0}")]
    Status(String),
    /// HTTP SD answered with another content type than JSON.
    #[error("unsupported content type {0:?}")]
    ContentType(String),
    /// HTTP SD's body is not a list of target groups.
    #[error("{0}")]
    Json(String),
    /// A DNS lookup failed.
    #[error("DNS lookup of {name}: {message}")]
    Dns {
        /// The name looked up.
        name: String,
        /// Why it failed.
        message: String,
    },
}
