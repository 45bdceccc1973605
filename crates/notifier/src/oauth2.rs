//! OAuth 2.0 client credentials for Alertmanager requests (`oauth2` in an
//! `alertmanagers` entry), as Prometheus' HTTP client gets them through
//! `golang.org/x/oauth2/clientcredentials`: a token is requested from
//! `token_url` with `grant_type=client_credentials`, the scopes and the
//! `endpoint_params`, the client authenticated by HTTP basic auth (and, if
//! the server refuses that, by `client_id`/`client_secret` in the form);
//! the token is cached and fetched again 10 s before it expires. The
//! secret file is read at each fetch, so a rotated secret is picked up.
//!
//! Not supported: the JWT bearer grant (`grant_type` with a client
//! certificate key); such a configuration is refused when applied.

use std::time::{Duration, Instant};

use vigil_config::http::OAuth2;

use crate::error::NotifierError;

/// Tokens are renewed this long before they expire (x/oauth2's
/// `expiryDelta`), so a request never carries one about to lapse.
const EXPIRY_DELTA: Duration = Duration::from_secs(10);

/// A cached token: the `Authorization` header value and when it lapses
/// (`None`: the server gave no `expires_in`, so it never does).
#[derive(Debug, Clone)]
struct Token {
    header: String,
    expires: Option<Instant>,
}

/// Fetches and caches the tokens of one Alertmanager set.
#[derive(Debug)]
pub(crate) struct TokenSource {
    cfg: OAuth2,
    client: reqwest::Client,
    cache: tokio::sync::Mutex<Option<Token>>,
}

impl TokenSource {
    /// A token source for `cfg`, with its own client towards the token
    /// endpoint (`oauth2.tls_config`, `oauth2.proxy_url`).
    pub(crate) fn new(
        set: &str,
        cfg: &OAuth2,
        user_agent: &str,
    ) -> Result<TokenSource, NotifierError> {
        let err = |reason: String| NotifierError::Client {
            set: set.to_string(),
            reason,
        };
        if !cfg.grant_type.is_empty() && cfg.grant_type != "client_credentials" {
            return Err(err(format!(
                "oauth2: grant_type {:?} is not supported (only client_credentials)",
                cfg.grant_type
            )));
        }
        let mut b = reqwest::Client::builder().user_agent(user_agent);
        b = crate::client::apply_tls(set, b, &cfg.tls_config)?;
        if let Some(proxy) = &cfg.proxy_url {
            b = b.proxy(reqwest::Proxy::all(proxy.to_string()).map_err(|e| err(e.to_string()))?);
        } else if !cfg.proxy_from_environment {
            b = b.no_proxy();
        }
        Ok(TokenSource {
            cfg: cfg.clone(),
            client: b.build().map_err(|e| err(e.to_string()))?,
            cache: tokio::sync::Mutex::new(None),
        })
    }

    /// The `Authorization` header for a request: the cached token while it
    /// is valid, else a new one.
    pub(crate) async fn authorization(&self) -> Result<String, String> {
        let mut cache = self.cache.lock().await;
        if let Some(t) = cache.as_ref() {
            let fresh = t.expires.is_none_or(|e| Instant::now() + EXPIRY_DELTA < e);
            if fresh {
                return Ok(t.header.clone());
            }
        }
        let t = self.fetch().await?;
        let header = t.header.clone();
        *cache = Some(t);
        Ok(header)
    }

    async fn fetch(&self) -> Result<Token, String> {
        let secret = if self.cfg.client_secret_file.is_empty() {
            self.cfg.client_secret.expose().to_string()
        } else {
            std::fs::read_to_string(&self.cfg.client_secret_file)
                .map(|s| s.trim().to_string())
                .map_err(|e| {
                    format!(
                        "unable to read oauth2 client secret file {}: {e}",
                        self.cfg.client_secret_file
                    )
                })?
        };
        let mut form: Vec<(String, String)> =
            vec![("grant_type".into(), "client_credentials".into())];
        if !self.cfg.scopes.is_empty() {
            form.push(("scope".into(), self.cfg.scopes.join(" ")));
        }
        for (k, v) in &self.cfg.endpoint_params {
            match form.iter_mut().find(|(fk, _)| fk == k) {
                Some((_, fv)) if k == "grant_type" => *fv = v.clone(),
                Some(_) => return Err(format!("oauth2: cannot overwrite parameter {k:?}")),
                None => form.push((k.clone(), v.clone())),
            }
        }
        // x/oauth2 tries the client's credentials in a basic-auth header
        // first and, if the server refuses, in the form.
        let enc = |s: &str| serde_urlencoded::to_string([("", s)]).unwrap_or_default();
        let user = enc(&self.cfg.client_id);
        let pass = enc(&secret);
        let first = self
            .client
            .post(&self.cfg.token_url)
            .basic_auth(
                user.trim_start_matches('='),
                Some(pass.trim_start_matches('=')),
            )
            .form(&form)
            .send()
            .await;
        let resp = match first {
            Ok(r) if r.status().is_success() => r,
            _ => {
                let mut with_creds = form.clone();
                with_creds.push(("client_id".into(), self.cfg.client_id.clone()));
                if !secret.is_empty() {
                    with_creds.push(("client_secret".into(), secret));
                }
                self.client
                    .post(&self.cfg.token_url)
                    .form(&with_creds)
                    .send()
                    .await
                    .map_err(|e| format!("oauth2: cannot fetch token: {e}"))?
            }
        };
        let status = resp.status();
        let json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|ct| !ct.starts_with("application/x-www-form-urlencoded"));
        let body = resp
            .bytes()
            .await
            .map_err(|e| format!("oauth2: cannot fetch token: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "oauth2: cannot fetch token: {status}\nResponse: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        parse_token(&body, json, Instant::now())
    }
}

/// A token endpoint's answer (JSON, or a form as some servers send).
fn parse_token(body: &[u8], json: bool, now: Instant) -> Result<Token, String> {
    let fields: serde_json::Map<String, serde_json::Value> = if json {
        serde_json::from_slice(body).map_err(|e| format!("oauth2: cannot parse json: {e}"))?
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map_err(|e| format!("oauth2: cannot parse response: {e}"))?
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect()
    };
    let text = |k: &str| match fields.get(k) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let access = text("access_token");
    if access.is_empty() {
        return Err("oauth2: server response missing access_token".into());
    }
    let kind = match text("token_type").as_str() {
        "" => "Bearer".to_string(),
        t if t.eq_ignore_ascii_case("bearer") => "Bearer".to_string(),
        t if t.eq_ignore_ascii_case("mac") => "MAC".to_string(),
        t if t.eq_ignore_ascii_case("basic") => "Basic".to_string(),
        t => t.to_string(),
    };
    let expires = text("expires_in")
        .parse::<u64>()
        .ok()
        .filter(|&s| s > 0)
        .map(|s| now + Duration::from_secs(s));
    Ok(Token {
        header: format!("{kind} {access}"),
        expires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_from_json_and_forms() {
        let now = Instant::now();
        let t = parse_token(
            br#"{"access_token":"abc","token_type":"bearer","expires_in":3600}"#,
            true,
            now,
        )
        .unwrap();
        assert_eq!(t.header, "Bearer abc");
        assert_eq!(t.expires, Some(now + Duration::from_secs(3600)));
        let t = parse_token(b"access_token=x%20y&expires_in=60", false, now).unwrap();
        assert_eq!(t.header, "Bearer x y");
        let t = parse_token(br#"{"access_token":"a","expires_in":"0"}"#, true, now).unwrap();
        assert_eq!(t.expires, None);
        assert_eq!(
            parse_token(br#"{"token_type":"bearer"}"#, true, now).unwrap_err(),
            "oauth2: server response missing access_token"
        );
    }
}
