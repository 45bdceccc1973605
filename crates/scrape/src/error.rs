//! The crate's error type: why a scrape failed. The messages are
//! Prometheus' (they show as `lastError` in `/api/v1/targets`).

use vigil_discovery::DiscoveryError;

/// Why a scrape (or creating a scrape pool) failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ScrapeError {
    /// The HTTP client could not be built or used (options, credentials).
    #[error("{0}")]
    Client(String),
    /// The request failed (connection refused, reset, TLS …).
    #[error("Get \"{url}\": {message}")]
    Request {
        /// The scrape URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The scrape took longer than `scrape_timeout`.
    #[error("Get \"{0}\": context deadline exceeded")]
    Timeout(String),
    /// A non-200 answer.
    #[error("server returned HTTP status {0}")]
    Status(String),
    /// The (decompressed) body reached `body_size_limit`.
    #[error("body size limit exceeded")]
    BodySizeLimit,
    /// The body claimed gzip but did not decompress.
    #[error("decompressing body: {0}")]
    Gzip(String),
    /// The `Content-Type` names no format Vigil reads and no fallback is set.
    #[error("{0}")]
    ContentType(String),
    /// The exposition does not parse.
    #[error("{0}")]
    Parse(String),
    /// More samples than `sample_limit` after relabeling.
    #[error("sample limit exceeded")]
    SampleLimit,
    /// A series broke `label_limit` or a label length limit.
    #[error("{0}")]
    LabelLimit(String),
    /// A series has no metric name after relabeling.
    #[error("missing metric name (__name__ label)")]
    NameMissing,
    /// A series' names break the validation scheme.
    #[error("invalid metric name or label names: {0}")]
    InvalidLabels(String),
    /// The pool has more targets than `target_limit`.
    #[error("target_limit exceeded (number of targets: {targets}, limit: {limit})")]
    TargetLimit {
        /// Targets in the pool.
        targets: usize,
        /// The configured limit.
        limit: u64,
    },
    /// Writing to the storage failed as a whole (WAL error).
    #[error("{0}")]
    Storage(String),
}

impl From<DiscoveryError> for ScrapeError {
    fn from(e: DiscoveryError) -> ScrapeError {
        ScrapeError::Client(e.to_string())
    }
}
