//! The HTTP client of an `alertmanagers` entry from its HTTP client
//! options: TLS (CA, client certificate, `insecure_skip_verify`), proxy,
//! redirects, and the per-request parts (basic auth, `authorization`,
//! `http_headers`), whose files are read at each request as Prometheus
//! reads them, so rotated credentials are picked up; `oauth2` tokens come
//! from [`crate::oauth2::TokenSource`]; with `sigv4`, each request is
//! signed last, over its final headers and body ([`vigil_sigv4::Signer`]).

use std::sync::Arc;

use vigil_config::HttpClientConfig;
use vigil_config::http::TlsConfig;

use crate::error::NotifierError;
use crate::oauth2::TokenSource;

/// A client with what each request must carry.
#[derive(Debug, Clone)]
pub(crate) struct AmClient {
    pub(crate) client: reqwest::Client,
    http: HttpClientConfig,
    oauth2: Option<Arc<TokenSource>>,
    sigv4: Option<vigil_sigv4::Signer>,
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| format!("unable to read {path}: {e}"))
}

fn read_bytes(set: &str, path: &str) -> Result<Vec<u8>, NotifierError> {
    std::fs::read(path).map_err(|e| NotifierError::Tls {
        set: set.to_string(),
        reason: format!("unable to read {path}: {e}"),
    })
}

/// Applies a `tls_config` (CA, client certificate, verification) to a
/// client under construction.
pub(crate) fn apply_tls(
    set: &str,
    mut b: reqwest::ClientBuilder,
    tls: &TlsConfig,
) -> Result<reqwest::ClientBuilder, NotifierError> {
    let tls_err = |reason: String| NotifierError::Tls {
        set: set.to_string(),
        reason,
    };
    let ca = if !tls.ca.is_empty() {
        Some(tls.ca.as_bytes().to_vec())
    } else if !tls.ca_file.is_empty() {
        Some(read_bytes(set, &tls.ca_file)?)
    } else {
        None
    };
    if let Some(ca) = ca {
        for c in reqwest::Certificate::from_pem_bundle(&ca)
            .map_err(|e| tls_err(format!("unable to use specified CA cert: {e}")))?
        {
            b = b.add_root_certificate(c);
        }
    }
    let cert = if !tls.cert.is_empty() {
        Some(tls.cert.as_bytes().to_vec())
    } else if !tls.cert_file.is_empty() {
        Some(read_bytes(set, &tls.cert_file)?)
    } else {
        None
    };
    let key = if !tls.key.is_empty() {
        Some(tls.key.expose().as_bytes().to_vec())
    } else if !tls.key_file.is_empty() {
        Some(read_bytes(set, &tls.key_file)?)
    } else {
        None
    };
    if let (Some(mut cert), Some(key)) = (cert, key) {
        cert.push(b'\n');
        cert.extend_from_slice(&key);
        let id = reqwest::Identity::from_pem(&cert)
            .map_err(|e| tls_err(format!("unable to use client certificate: {e}")))?;
        b = b.identity(id);
    }
    if tls.insecure_skip_verify {
        b = b.danger_accept_invalid_certs(true);
    }
    if !tls.server_name.is_empty() {
        log::warn!(
            "alertmanager config {set}: tls_config.server_name is not supported; the URL's host is verified"
        );
    }
    Ok(b)
}

impl AmClient {
    /// Builds the client of set `set`.
    pub(crate) fn new(
        set: &str,
        http: &HttpClientConfig,
        sigv4: Option<&vigil_config::auth::SigV4Config>,
        user_agent: &str,
    ) -> Result<AmClient, NotifierError> {
        let mut b = reqwest::Client::builder().user_agent(user_agent);
        b = apply_tls(set, b, &http.tls_config)?;
        if !http.follow_redirects {
            b = b.redirect(reqwest::redirect::Policy::none());
        }
        if let Some(proxy) = &http.proxy_url {
            let p = reqwest::Proxy::all(proxy.to_string()).map_err(|e| NotifierError::Client {
                set: set.to_string(),
                reason: e.to_string(),
            })?;
            b = b.proxy(p);
        } else if !http.proxy_from_environment {
            b = b.no_proxy();
        }
        let oauth2 = match &http.oauth2 {
            Some(o) => Some(Arc::new(TokenSource::new(set, o, user_agent)?)),
            None => None,
        };
        let client = b.build().map_err(|e| NotifierError::Client {
            set: set.to_string(),
            reason: e.to_string(),
        })?;
        let sigv4 = match sigv4 {
            Some(c) => Some(
                vigil_sigv4::Signer::new(c).map_err(|e| NotifierError::Client {
                    set: set.to_string(),
                    reason: e.to_string(),
                })?,
            ),
            None => None,
        };
        Ok(AmClient {
            client,
            http: http.clone(),
            oauth2,
            sigv4,
        })
    }

    /// A POST of `body` to `url` with the configured credentials and
    /// headers; a credentials file that cannot be read, or an OAuth 2.0
    /// token that cannot be had, fails the request.
    pub(crate) async fn post(
        &self,
        url: &str,
        body: Vec<u8>,
        timeout: std::time::Duration,
    ) -> Result<reqwest::RequestBuilder, String> {
        let signed = match &self.sigv4 {
            Some(signer) => {
                let req = vigil_sigv4::Request {
                    method: "POST",
                    url,
                    headers: &[("Content-Type", "application/json")],
                    body: &body,
                };
                signer
                    .sign(&req, std::time::SystemTime::now())
                    .map_err(|e| e.to_string())?
            }
            None => Vec::new(),
        };
        let mut r = self
            .client
            .post(url)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .body(body);
        for (name, value) in signed {
            r = r.header(name, value);
        }
        if let Some(h) = &self.http.http_headers {
            for (name, h) in h {
                for v in &h.values {
                    r = r.header(name.as_str(), v.as_str());
                }
                for v in &h.secrets {
                    r = r.header(name.as_str(), v.expose());
                }
                for f in &h.files {
                    r = r.header(name.as_str(), read(f)?);
                }
            }
        }
        if let Some(ba) = &self.http.basic_auth {
            let user = if ba.username_file.is_empty() {
                ba.username.clone()
            } else {
                read(&ba.username_file)?
            };
            let pass = if ba.password_file.is_empty() {
                ba.password.expose().to_string()
            } else {
                read(&ba.password_file)?
            };
            r = r.basic_auth(user, Some(pass));
        }
        if let Some(a) = &self.http.authorization {
            let kind = if a.kind.is_empty() { "Bearer" } else { &a.kind };
            let cred = if a.credentials_file.is_empty() {
                a.credentials.expose().to_string()
            } else {
                read(&a.credentials_file)?
            };
            r = r.header("Authorization", format!("{kind} {cred}"));
        }
        if let Some(o) = &self.oauth2 {
            r = r.header("Authorization", o.authorization().await?);
        }
        Ok(r)
    }
}
