//! The crate's error types. Every variant of [`PushError`] becomes an HTTP
//! 400 whose body is the error's message; [`PersistError`] is logged.

use std::path::PathBuf;

/// A push URL that does not name a valid group.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// `job@base64` with a value that is not base64.
    #[error("invalid base64 encoding in job name {job:?}: {reason}")]
    JobBase64 {
        /// The raw path element.
        job: String,
        /// Why it does not decode.
        reason: String,
    },
    /// The job is empty.
    #[error("job name is required")]
    JobRequired,
    /// An odd number of elements after the job.
    #[error("odd number of components in label string {0:?}")]
    OddComponents(String),
    /// A label name that is not a legacy label name or starts with `__`.
    #[error("improper label name {0:?}")]
    LabelName(String),
    /// `<name>@base64` with a value that is not base64.
    #[error("invalid base64 encoding for label {name}={value:?}: {reason}")]
    LabelBase64 {
        /// The label name without `@base64`.
        name: String,
        /// The raw path element.
        value: String,
        /// Why it does not decode.
        reason: String,
    },
}

/// Why a push was refused. The state is unchanged after any of these,
/// except that [`PushError::Inconsistent`] records the failure time of the
/// group, as the Pushgateway does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The URL path does not name a valid group.
    #[error(transparent)]
    Path(#[from] PathError),
    /// The body could not be parsed.
    #[error("{0}")]
    Body(String),
    /// The body is larger than the configured limit.
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    /// The push would make the combined exposition invalid or inconsistent.
    #[error("pushed metrics are invalid or inconsistent with existing metrics: {0}")]
    Inconsistent(String),
}

/// A problem reading or writing the persistence file.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// An I/O error on `file`.
    #[error("{file}: {source}")]
    Io {
        /// The file concerned.
        file: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is damaged at `offset`; records before it were loaded.
    #[error("{file}: damaged at byte offset {offset}: {message}")]
    Damaged {
        /// The persistence file.
        file: PathBuf,
        /// Where the first bad byte or record starts.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// The file could not be read at start, so it is never overwritten.
    #[error("{0}: not overwriting a persistence file that could not be read at start")]
    Unread(PathBuf),
}
