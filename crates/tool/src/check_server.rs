//! `vigil tool check healthy|ready`: asks a Prometheus server's
//! `/-/healthy` or `/-/ready` endpoint, as promtool does: the body is
//! printed after `  SUCCESS: ` on stderr when the answer is 200; anything
//! else is an error.

use std::time::Duration;

use crate::http_client::{HttpError, HttpUrl, get};

/// Which endpoint to ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCheck {
    /// `/-/healthy`.
    Healthy,
    /// `/-/ready`.
    Ready,
}

impl ServerCheck {
    fn endpoint(self) -> &'static str {
        match self {
            ServerCheck::Healthy => "/-/healthy",
            ServerCheck::Ready => "/-/ready",
        }
    }
}

/// Why the check failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckServerError {
    /// The request could not be made.
    #[error("{0}")]
    Http(#[from] HttpError),
    /// The server answered with another status than 200.
    #[error("check failed: URL={url}, status={status}")]
    Status {
        /// The server URL as given.
        url: String,
        /// The status code.
        status: u16,
    },
}

/// Runs the check against `url` (promtool's 10 s timeout); the text to
/// print after `  SUCCESS: ` when the server answered 200.
pub fn check_server(url: &str, what: ServerCheck) -> Result<String, CheckServerError> {
    let base = HttpUrl::parse(url)?;
    let r = get(&base, what.endpoint(), Duration::from_secs(10))?;
    if r.status != 200 {
        let shown = if url.contains("://") {
            url.to_string()
        } else {
            format!("http://{url}")
        };
        return Err(CheckServerError::Status {
            url: shown,
            status: r.status,
        });
    }
    Ok(String::from_utf8_lossy(&r.body).into_owned())
}
