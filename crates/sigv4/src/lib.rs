//! AWS Signature Version 4 for the `sigv4` blocks of `prometheus.yml`
//! (remote write, Alertmanager clients) and `alertmanager.yml` (SNS).
//!
//! [`Signer`] is built once from a [`SigV4Config`]; for each request it
//! finds the credentials ([`credentials`]: the config's static keys, the
//! environment, or the shared AWS files, read again at every request so
//! rotated keys are picked up) and returns the headers to add
//! (`X-Amz-Date`, `X-Amz-Security-Token`, `Authorization`) for a
//! [`Request`] of method, URL, headers and body. Signing itself is pure
//! ([`sign_with`]) and checked against AWS' published test vectors.
//!
//! `role_arn` (assuming a role through STS) is refused with
//! [`SigV4Error::Unsupported`]: it needs a call to AWS before the first
//! request, which is not built yet.

pub mod credentials;

use std::time::SystemTime;

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};
use vigil_config::auth::SigV4Config;
use vigil_model::civil::UtcDateTime;

pub use credentials::Credentials;

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SigV4Error {
    /// No access key was found in the config, the environment or the
    /// shared credentials file.
    #[error("sigv4: no AWS credentials: {0}")]
    NoCredentials(String),
    /// No region in the config, `AWS_REGION`/`AWS_DEFAULT_REGION` or the
    /// shared config file.
    #[error("sigv4: no AWS region configured (set sigv4.region or AWS_REGION)")]
    NoRegion,
    /// A shared AWS file exists but could not be read.
    #[error("sigv4: reading {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// The URL to sign is not an absolute http(s) URL.
    #[error("sigv4: cannot sign URL {0:?}: not an absolute http(s) URL")]
    Url(String),
    /// A configured option this implementation does not support.
    #[error("sigv4: {0} is not supported")]
    Unsupported(&'static str),
}

/// The service a signature is for when `service_name` is empty: Amazon
/// Managed Service for Prometheus, as in Prometheus.
pub const DEFAULT_SERVICE: &str = "aps";

/// What is signed of an HTTP request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The absolute URL, percent-encoded as it is sent.
    pub url: &'a str,
    /// Headers sent with the request that are to be signed besides `host`
    /// and `x-amz-date` (e.g. `Content-Type`).
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}

/// Signs requests for one `sigv4` block.
#[derive(Debug, Clone)]
pub struct Signer {
    config: SigV4Config,
    region: String,
    service: String,
}

impl Signer {
    /// A signer for `config`; the region is resolved now (config,
    /// environment, shared config file), the credentials at each request.
    pub fn new(config: &SigV4Config) -> Result<Signer, SigV4Error> {
        if !config.role_arn.is_empty() {
            return Err(SigV4Error::Unsupported("role_arn"));
        }
        let region = if config.region.is_empty() {
            credentials::region_from_environment(&config.profile)?.ok_or(SigV4Error::NoRegion)?
        } else {
            config.region.clone()
        };
        let service = if config.service_name.is_empty() {
            DEFAULT_SERVICE.to_string()
        } else {
            config.service_name.clone()
        };
        Ok(Signer {
            config: config.clone(),
            region,
            service,
        })
    }

    /// The region signatures are scoped to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The headers to add to `req` sent at `now`.
    pub fn sign(
        &self,
        req: &Request<'_>,
        now: SystemTime,
    ) -> Result<Vec<(&'static str, String)>, SigV4Error> {
        let creds = credentials::resolve(&self.config)?;
        sign_with(req, &creds, &self.region, &self.service, now)
    }
}

/// Path bytes kept as they are in a canonical URI: RFC 3986's unreserved
/// characters and the segment separator.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');
/// Query bytes kept as they are: the unreserved characters only.
const QUERY: &AsciiSet = &PATH.add(b'/');

/// Splits an absolute URL into the `Host` header value (the port only
/// when it is not the scheme's default, as HTTP clients send it), the
/// path and the query.
fn split_url(url: &str) -> Result<(String, &str, &str), SigV4Error> {
    let bad = || SigV4Error::Url(url.to_string());
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return Err(bad()),
    };
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if authority.is_empty() {
        return Err(bad());
    }
    let host = authority
        .strip_suffix(default_port)
        .unwrap_or(authority)
        .to_ascii_lowercase();
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    Ok((host, path, query))
}

/// The query in AWS' canonical form: every name and value decoded and
/// encoded again strictly, pairs sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let enc = |s: &str| {
                let raw = percent_decode_str(&s.replace('+', " ")).collect::<Vec<u8>>();
                percent_encoding::percent_encode(&raw, QUERY).to_string()
            };
            (enc(k), enc(v))
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// Header values in canonical form: trimmed, inner runs of spaces folded.
fn canonical_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Signs `req` with explicit credentials, region, service and time: the
/// pure part of [`Signer::sign`].
pub fn sign_with(
    req: &Request<'_>,
    creds: &Credentials,
    region: &str,
    service: &str,
    now: SystemTime,
) -> Result<Vec<(&'static str, String)>, SigV4Error> {
    let (host, path, query) = split_url(req.url)?;
    let t = UtcDateTime::from_system_time(now);
    let date = format!("{:04}{:02}{:02}", t.year, t.month, t.day);
    let amz_date = format!("{date}T{:02}{:02}{:02}Z", t.hour, t.minute, t.second);

    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), canonical_value(v)))
        .filter(|(k, _)| k != "host" && k != "authorization" && k != "user-agent")
        .collect();
    headers.push(("host".into(), host));
    headers.push(("x-amz-date".into(), amz_date.clone()));
    if let Some(token) = &creds.session_token {
        headers.push(("x-amz-security-token".into(), token.clone()));
    }
    headers.sort();
    // Repeated headers are signed as one, values comma-joined in order.
    let mut merged: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (k, v) in headers {
        match merged.last_mut() {
            Some((lk, lv)) if *lk == k => {
                lv.push(',');
                lv.push_str(&v);
            }
            _ => merged.push((k, v)),
        }
    }
    let signed_headers = merged
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let mut canonical_headers = String::new();
    for (k, v) in &merged {
        canonical_headers.push_str(k);
        canonical_headers.push(':');
        canonical_headers.push_str(v);
        canonical_headers.push('\n');
    }
    let path = if path.is_empty() { "/" } else { path };
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.to_ascii_uppercase(),
        utf8_percent_encode(path, PATH),
        canonical_query(query),
        canonical_headers,
        signed_headers,
        hex(&Sha256::digest(req.body)),
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = hmac(
        format!("AWS4{}", creds.secret_key).as_bytes(),
        date.as_bytes(),
    );
    for part in [region, service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
    let mut out = vec![("X-Amz-Date", amz_date)];
    if let Some(token) = &creds.session_token {
        out.push(("X-Amz-Security-Token", token.clone()));
    }
    out.push((
        "Authorization",
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            creds.access_key
        ),
    ));
    Ok(out)
}

#[cfg(test)]
mod tests;
