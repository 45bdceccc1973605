//! A minimal blocking HTTP client for promtool's server commands
//! (`check healthy|ready`): plain `http://` over `std::net::TcpStream`.
//! Requests are HTTP/1.0 so that servers answer with a plain body closed
//! by end of stream (no chunked encoding to undo).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Why a request failed; worded like Go's `net/http` client errors.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL is not `http://host[:port][/path]`.
    #[error("parse {url:?}: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Connecting, sending or receiving failed.
    #[error("Get {url:?}: {reason}")]
    Transport {
        /// The URL requested.
        url: String,
        /// The failure.
        reason: String,
    },
}

/// A parsed `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// `host:port` (port 80 when absent).
    pub authority: String,
    /// The path, without a trailing `/`.
    pub path: String,
}

impl HttpUrl {
    /// Parses `url`; a URL without a scheme is taken as `http://`, as
    /// promtool does.
    pub fn parse(url: &str) -> Result<HttpUrl, HttpError> {
        let bad = |reason: &str| HttpError::BadUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let rest = match url.split_once("://") {
            Some(("http", r)) => r,
            Some((scheme, _)) => {
                return Err(bad(&format!("unsupported protocol scheme {scheme:?}")));
            }
            None => url,
        };
        let (host, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if host.is_empty() {
            return Err(bad("no host in URL"));
        }
        let authority = if host
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            host.to_string()
        } else {
            format!("{host}:80")
        };
        Ok(HttpUrl {
            authority,
            path: path.trim_end_matches('/').to_string(),
        })
    }

    /// The URL of `endpoint` (starting with `/`) under this URL's path.
    pub fn join(&self, endpoint: &str) -> String {
        format!("http://{}{}{endpoint}", self.authority, self.path)
    }
}

/// A response: status code and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

/// `GET` `endpoint` under `base`, giving up after `timeout`.
pub fn get(base: &HttpUrl, endpoint: &str, timeout: Duration) -> Result<Response, HttpError> {
    let url = base.join(endpoint);
    let fail = |reason: String| HttpError::Transport {
        url: url.clone(),
        reason,
    };
    let addr = base
        .authority
        .to_socket_addrs()
        .map_err(|e| fail(format!("dial tcp: lookup {}: {e}", base.authority)))?
        .next()
        .ok_or_else(|| fail(format!("dial tcp: lookup {}: no such host", base.authority)))?;
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::ConnectionRefused {
            "connection refused".to_string()
        } else {
            e.to_string()
        };
        fail(format!("dial tcp {addr}: connect: {why}"))
    })?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| fail(e.to_string()))?;
    s.set_write_timeout(Some(timeout))
        .map_err(|e| fail(e.to_string()))?;
    let req = format!(
        "GET {}{endpoint} HTTP/1.0\r\nHost: {}\r\nUser-Agent: vigil-tool\r\nAccept: */*\r\n\r\n",
        base.path, base.authority
    );
    s.write_all(req.as_bytes())
        .map_err(|e| fail(e.to_string()))?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).map_err(|e| fail(e.to_string()))?;
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| fail("malformed HTTP response".into()))?;
    let head = String::from_utf8_lossy(resp.get(..split).unwrap_or_default()).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| fail(format!("malformed HTTP status line {head:?}")))?;
    Ok(Response {
        status,
        body: resp.get(split + 4..).unwrap_or_default().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_like_promtool() {
        let u = HttpUrl::parse("http://localhost:9090/prom/").expect("valid");
        assert_eq!(u.join("/-/healthy"), "http://localhost:9090/prom/-/healthy");
        let u = HttpUrl::parse("example.org").expect("valid");
        assert_eq!(u.authority, "example.org:80");
        assert!(HttpUrl::parse("https://x").is_err());
    }
}
