//! A minimal blocking HTTP client for promtool's server commands
//! (`check healthy|ready`, `query …`, `push metrics`): plain `http://` over
//! `std::net::TcpStream`.
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
    #[error("{method} {url:?}: {reason}")]
    Transport {
        /// The method, as Go's client capitalises it in errors (`Get`, `Post`).
        method: &'static str,
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
    send(base, &Request::get(endpoint), timeout)
}

/// A request to send with [`send`].
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// The endpoint under the base URL, starting with `/`, query string
    /// included.
    pub endpoint: &'a str,
    /// Extra header lines.
    pub headers: Vec<(String, String)>,
    /// The body (sent with a `Content-Length` when not empty or a `POST`).
    pub body: Vec<u8>,
}

impl<'a> Request<'a> {
    /// A `GET` of `endpoint`.
    pub fn get(endpoint: &'a str) -> Request<'a> {
        Request {
            method: "GET",
            endpoint,
            ..Request::default()
        }
    }

    /// A `POST` of `body` with `content_type` to `endpoint`.
    pub fn post(endpoint: &'a str, content_type: &str, body: Vec<u8>) -> Request<'a> {
        Request {
            method: "POST",
            endpoint,
            headers: vec![("Content-Type".to_string(), content_type.to_string())],
            body,
        }
    }
}

/// Sends `req` to `base`, giving up after `timeout`.
pub fn send(base: &HttpUrl, req: &Request<'_>, timeout: Duration) -> Result<Response, HttpError> {
    // Go's errors name the URL without its query string.
    let url = base.join(req.endpoint.split('?').next().unwrap_or_default());
    let method = if req.method == "POST" { "Post" } else { "Get" };
    let fail = |reason: String| HttpError::Transport {
        method,
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
    let mut head = format!(
        "{} {}{} HTTP/1.0\r\nHost: {}\r\nUser-Agent: vigil-tool\r\nAccept: */*\r\n",
        req.method, base.path, req.endpoint, base.authority
    );
    for (k, v) in &req.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !req.body.is_empty() || req.method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(&req.body);
    s.write_all(&out).map_err(|e| fail(e.to_string()))?;
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

/// Percent-encodes `pairs` as an `application/x-www-form-urlencoded`
/// string, as Go's `url.Values.Encode` does (keys in the given order).
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        escape_into(&mut out, k);
        out.push('=');
        escape_into(&mut out, v);
    }
    out
}

fn escape_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
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
        assert_eq!(
            form_encode(&[("query", "up{a=\"b c\"}"), ("time", "1.5")]),
            "query=up%7Ba%3D%22b+c%22%7D&time=1.5"
        );
    }
}
