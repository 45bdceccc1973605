//! HTTP clients built from Prometheus' HTTP client options
//! (`HttpClientConfig`): TLS, proxies, redirects, and the credentials and
//! headers every request carries. HTTP SD uses it here; the scrape crate
//! builds its scrape clients with it too.
//!
//! Credential files (`password_file`, `credentials_file`, header `files`)
//! are read at every request, as Prometheus does, so a rotated token is
//! picked up without a reload. CA, certificate and key files are read when
//! the client is built (on every configuration reload).
//!
//! Not implemented: `oauth2` and the `*_ref` secret references (requests
//! fail with [`DiscoveryError::Unsupported`]), `tls_config.server_name`
//! and `proxy_connect_header` (ignored), HTTP/2 (requests use HTTP/1.1).

use std::path::Path;

use reqwest::header::{HeaderName, HeaderValue};
use vigil_config::HttpClientConfig;
use vigil_config::http::TlsConfig;

use crate::error::DiscoveryError;

/// The `User-Agent` Vigil sends, `Vigil/<version>`.
pub const USER_AGENT: &str = concat!("Vigil/", env!("CARGO_PKG_VERSION"));

/// A configured HTTP client; cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    cfg: HttpClientConfig,
}

fn read(path: &str) -> Result<Vec<u8>, DiscoveryError> {
    std::fs::read(path).map_err(|source| DiscoveryError::ClientFile {
        path: Path::new(path).to_owned(),
        source,
    })
}

/// Reads a secret file; surrounding whitespace (the trailing newline an
/// editor adds) is dropped as Prometheus does.
fn read_secret(path: &str) -> Result<String, DiscoveryError> {
    let bytes = read(path)?;
    Ok(String::from_utf8_lossy(&bytes).trim().to_owned())
}

/// `inline` when set, else the content of `file`, else nothing.
fn pem(inline: &str, file: &str) -> Result<Option<Vec<u8>>, DiscoveryError> {
    if !inline.is_empty() {
        Ok(Some(inline.as_bytes().to_vec()))
    } else if !file.is_empty() {
        read(file).map(Some)
    } else {
        Ok(None)
    }
}

fn tls_version(v: u8) -> Option<reqwest::tls::Version> {
    // rustls speaks only TLS 1.2 and 1.3; older minimums mean "any".
    match v {
        2 => Some(reqwest::tls::Version::TLS_1_2),
        3 => Some(reqwest::tls::Version::TLS_1_3),
        _ => None,
    }
}

fn apply_tls(
    mut b: reqwest::ClientBuilder,
    tls: &TlsConfig,
) -> Result<reqwest::ClientBuilder, DiscoveryError> {
    if !tls.ca_ref.is_empty() || !tls.cert_ref.is_empty() || !tls.key_ref.is_empty() {
        return Err(DiscoveryError::Unsupported("tls_config secret references"));
    }
    if let Some(ca) = pem(&tls.ca, &tls.ca_file)? {
        let certs = reqwest::Certificate::from_pem_bundle(&ca)
            .map_err(|e| DiscoveryError::Client(format!("CA certificate: {e}")))?;
        // A configured CA replaces the built-in roots, as in Go.
        b = b.tls_built_in_root_certs(false);
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    let cert = pem(&tls.cert, &tls.cert_file)?;
    let key = pem(tls.key.expose(), &tls.key_file)?;
    if let (Some(mut cert), Some(key)) = (cert, key) {
        cert.push(b'\n');
        cert.extend_from_slice(&key);
        let id = reqwest::Identity::from_pem(&cert)
            .map_err(|e| DiscoveryError::Client(format!("client certificate: {e}")))?;
        b = b.identity(id);
    }
    if tls.insecure_skip_verify {
        b = b.danger_accept_invalid_certs(true);
    }
    if let Some(v) = tls.min_version.and_then(|v| tls_version(v.0)) {
        b = b.min_tls_version(v);
    }
    if let Some(v) = tls.max_version.and_then(|v| tls_version(v.0)) {
        b = b.max_tls_version(v);
    }
    Ok(b)
}

impl HttpClient {
    /// Builds a client from `cfg`.
    pub fn new(cfg: &HttpClientConfig) -> Result<HttpClient, DiscoveryError> {
        let mut b = reqwest::Client::builder().redirect(if cfg.follow_redirects {
            reqwest::redirect::Policy::limited(10)
        } else {
            reqwest::redirect::Policy::none()
        });
        match &cfg.proxy_url {
            Some(u) if !u.as_str().is_empty() => {
                let mut p = reqwest::Proxy::all(u.as_str())
                    .map_err(|e| DiscoveryError::Client(format!("proxy_url: {e}")))?;
                if !cfg.no_proxy.is_empty() {
                    p = p.no_proxy(reqwest::NoProxy::from_string(&cfg.no_proxy));
                }
                b = b.proxy(p);
            }
            // reqwest reads HTTP_PROXY & co. unless told not to; Prometheus
            // only does when `proxy_from_environment` says so.
            _ if !cfg.proxy_from_environment => b = b.no_proxy(),
            _ => {}
        }
        b = apply_tls(b, &cfg.tls_config)?;
        let client = b
            .build()
            .map_err(|e| DiscoveryError::Client(e.to_string()))?;
        Ok(HttpClient {
            client,
            cfg: cfg.clone(),
        })
    }

    /// A GET request of `url` carrying the configured credentials and
    /// headers and Vigil's `User-Agent`.
    pub fn get(&self, url: &str) -> Result<reqwest::RequestBuilder, DiscoveryError> {
        let mut req = self
            .client
            .get(url)
            .header(reqwest::header::USER_AGENT, USER_AGENT);
        let cfg = &self.cfg;
        if cfg.oauth2.is_some() {
            return Err(DiscoveryError::Unsupported("oauth2"));
        }
        if let Some(ba) = &cfg.basic_auth {
            if !ba.username_ref.is_empty() || !ba.password_ref.is_empty() {
                return Err(DiscoveryError::Unsupported("basic_auth secret references"));
            }
            let user = if ba.username_file.is_empty() {
                ba.username.clone()
            } else {
                read_secret(&ba.username_file)?
            };
            let pass = if ba.password_file.is_empty() {
                ba.password.expose().to_owned()
            } else {
                read_secret(&ba.password_file)?
            };
            req = req.basic_auth(user, Some(pass));
        }
        if let Some(a) = &cfg.authorization {
            if !a.credentials_ref.is_empty() {
                return Err(DiscoveryError::Unsupported("authorization credentials_ref"));
            }
            let cred = if a.credentials_file.is_empty() {
                a.credentials.expose().to_owned()
            } else {
                read_secret(&a.credentials_file)?
            };
            let kind = if a.kind.is_empty() { "Bearer" } else { &a.kind };
            req = req.header(reqwest::header::AUTHORIZATION, format!("{kind} {cred}"));
        }
        if let Some(headers) = &cfg.http_headers {
            for (name, h) in headers {
                let name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|e| DiscoveryError::Client(format!("header {name:?}: {e}")))?;
                let mut values: Vec<String> = h.values.clone();
                values.extend(h.secrets.iter().map(|s| s.expose().to_owned()));
                for f in &h.files {
                    values.push(read_secret(f)?);
                }
                for v in values {
                    let v = HeaderValue::from_str(&v)
                        .map_err(|e| DiscoveryError::Client(format!("header {name}: {e}")))?;
                    req = req.header(name.clone(), v);
                }
            }
        }
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_config::Secret;
    use vigil_config::http::{Authorization, BasicAuth};

    #[test]
    fn credentials_and_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let token = dir.path().join("token");
        std::fs::write(&token, "s3cret\n").expect("write");
        let cfg = HttpClientConfig {
            authorization: Some(Authorization {
                kind: "Bearer".into(),
                credentials_file: token.to_string_lossy().into_owned(),
                ..Authorization::default()
            }),
            ..HttpClientConfig::default()
        };
        let c = HttpClient::new(&cfg).expect("client");
        let req = c
            .get("http://127.0.0.1:1/x")
            .expect("req")
            .build()
            .expect("build");
        assert_eq!(
            req.headers().get("authorization").map(|v| v.as_bytes()),
            Some(&b"Bearer s3cret"[..])
        );
        let cfg = HttpClientConfig {
            basic_auth: Some(BasicAuth {
                username: "u".into(),
                password: Secret::new("p"),
                ..BasicAuth::default()
            }),
            ..HttpClientConfig::default()
        };
        let req = HttpClient::new(&cfg)
            .expect("client")
            .get("http://127.0.0.1:1/")
            .expect("req")
            .build()
            .expect("build");
        assert_eq!(
            req.headers().get("authorization").map(|v| v.as_bytes()),
            Some(&b"Basic dTpw"[..])
        );
        let missing = HttpClientConfig {
            tls_config: TlsConfig {
                ca_file: "/nonexistent/ca.pem".into(),
                ..TlsConfig::default()
            },
            ..HttpClientConfig::default()
        };
        assert!(matches!(
            HttpClient::new(&missing),
            Err(DiscoveryError::ClientFile { .. })
        ));
    }
}
