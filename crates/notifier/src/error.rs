//! The notifier's errors: why a configuration could not be applied.

use thiserror::Error;

/// Why [`crate::Notifier::apply_config`] refused a configuration.
#[derive(Debug, Error)]
pub enum NotifierError {
    /// A TLS file or PEM block of an Alertmanager's HTTP client options
    /// could not be read or used.
    #[error("alertmanager config {set}: {reason}")]
    Tls {
        /// The Alertmanager set (`config-0`, ...).
        set: String,
        /// What went wrong.
        reason: String,
    },
    /// The HTTP client could not be built (proxy URL, TLS setup).
    #[error("alertmanager config {set}: creating HTTP client: {reason}")]
    Client {
        /// The Alertmanager set.
        set: String,
        /// What went wrong.
        reason: String,
    },
}
