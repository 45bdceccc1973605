//! The crate's error type.

use std::path::PathBuf;

/// Why a configuration was refused.
///
/// Messages follow Prometheus' wording where it has one, so that users (and
/// upstream's test table) recognise them; the field or section is named in
/// front of the message.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    // The cause is part of the message (as in Prometheus' texts), so it is
    // not also exposed as `source()`: error reports would print it twice.
    #[error("reading {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// The text is not YAML, or not the shape of the section it is in.
    #[error("{0}")]
    Yaml(String),
    /// A value is well-formed YAML but not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// A section an agent (`--agent`) does not allow.
    #[error("field {0} is not allowed in agent mode")]
    AgentMode(&'static str),
    /// An error inside a named file (the main config or a `scrape_config_files` entry).
    #[error("parsing YAML file {path}: {error}")]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong in it.
        error: Box<ConfigError>,
    },
}

impl ConfigError {
    /// An [`ConfigError::Invalid`] from any message.
    pub(crate) fn invalid(msg: impl Into<String>) -> ConfigError {
        ConfigError::Invalid(msg.into())
    }

    /// Wraps the error in the name of the file it came from.
    pub(crate) fn in_file(self, path: impl Into<PathBuf>) -> ConfigError {
        ConfigError::InFile {
            path: path.into(),
            error: Box::new(self),
        }
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = ConfigError> = std::result::Result<T, E>;
