//! The HTTP side of the integrations: a client built from the
//! integration's `http_config` (TLS, proxy, redirects), the per-request
//! credentials (basic auth, `authorization`, `http_headers`, whose files are
//! read at each request so rotated secrets are picked up), and
//! Alertmanager's reading of responses: 2xx succeeds, 5xx (and the codes an
//! integration adds) is retried, anything else fails for good.
//!
//! `oauth2` is not supported for receivers yet and fails the request.

use std::time::Duration;

use serde_json::Value;
use vigil_config::HttpClientConfig;

use super::{NotifyError, read_secret_file};

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// JSON, sent as `application/json`.
    Json(Value),
    /// A form, sent as `application/x-www-form-urlencoded`.
    Form(Vec<(String, String)>),
}

/// How an integration reads a response beyond its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The status alone.
    Status,
    /// Slack: a JSON `{"ok": false, "error": ...}` or a text body other
    /// than `ok` is a failure.
    Slack,
    /// WeChat: a JSON `errcode` other than 0 is a failure.
    Wechat,
}

/// One request an integration makes.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// `POST` or `PUT`.
    pub method: &'static str,
    /// Where to.
    pub url: String,
    /// Extra headers (credentials of the integration's own kind).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
    /// Status codes retried besides 5xx.
    pub retry_codes: Vec<u16>,
    /// How the response is read.
    pub check: Check,
    /// Request timeout; zero means none beyond the notification's.
    pub timeout: Duration,
    /// Requests to make after this one succeeds (OpsGenie updates,
    /// WeChat's message after its token).
    pub then: Vec<Outgoing>,
}

impl Outgoing {
    /// A JSON `POST` read by its status.
    pub fn post_json(url: String, body: Value) -> Outgoing {
        Outgoing {
            method: "POST",
            url,
            headers: Vec::new(),
            body: Body::Json(body),
            retry_codes: Vec::new(),
            check: Check::Status,
            timeout: Duration::ZERO,
            then: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, k: &str, v: String) -> Outgoing {
        self.headers.push((k.to_string(), v));
        self
    }
}

/// A client with the integration's HTTP options.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    cfg: HttpClientConfig,
    user_agent: String,
}

fn read_pem(inline: &str, file: &str) -> Result<Option<Vec<u8>>, NotifyError> {
    if !inline.is_empty() {
        Ok(Some(inline.as_bytes().to_vec()))
    } else if !file.is_empty() {
        std::fs::read(file)
            .map(Some)
            .map_err(|e| NotifyError::Permanent(format!("unable to read {file}: {e}")))
    } else {
        Ok(None)
    }
}

impl Http {
    /// Builds the client; `None` means the defaults.
    pub fn new(cfg: Option<&HttpClientConfig>, user_agent: &str) -> Result<Http, NotifyError> {
        let cfg = cfg.cloned().unwrap_or_default();
        let bad = |e: String| NotifyError::Permanent(format!("http_config: {e}"));
        let mut b = reqwest::Client::builder().user_agent(user_agent);
        let tls = &cfg.tls_config;
        if let Some(ca) = read_pem(&tls.ca, &tls.ca_file)? {
            for c in reqwest::Certificate::from_pem_bundle(&ca).map_err(|e| bad(e.to_string()))? {
                b = b.add_root_certificate(c);
            }
        }
        let cert = read_pem(&tls.cert, &tls.cert_file)?;
        let key = read_pem(tls.key.expose(), &tls.key_file)?;
        if let (Some(mut cert), Some(key)) = (cert, key) {
            cert.push(b'\n');
            cert.extend_from_slice(&key);
            b = b.identity(reqwest::Identity::from_pem(&cert).map_err(|e| bad(e.to_string()))?);
        }
        if tls.insecure_skip_verify {
            b = b.danger_accept_invalid_certs(true);
        }
        if !cfg.follow_redirects {
            b = b.redirect(reqwest::redirect::Policy::none());
        }
        if let Some(p) = &cfg.proxy_url {
            b = b.proxy(reqwest::Proxy::all(p.to_string()).map_err(|e| bad(e.to_string()))?);
        } else if !cfg.proxy_from_environment {
            b = b.no_proxy();
        }
        let client = b.build().map_err(|e| bad(e.to_string()))?;
        Ok(Http {
            client,
            cfg,
            user_agent: user_agent.to_string(),
        })
    }

    fn request(&self, out: &Outgoing) -> Result<reqwest::RequestBuilder, NotifyError> {
        let method = if out.method == "PUT" {
            reqwest::Method::PUT
        } else {
            reqwest::Method::POST
        };
        let mut req = self
            .client
            .request(method, &out.url)
            .header("User-Agent", &self.user_agent);
        req = match &out.body {
            Body::Json(v) => req
                .header("Content-Type", "application/json")
                .body(format!("{v}\n")),
            Body::Form(f) => req
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(
                    serde_urlencoded::to_string(f)
                        .map_err(|e| NotifyError::Permanent(e.to_string()))?,
                ),
        };
        if !out.timeout.is_zero() {
            req = req.timeout(out.timeout);
        }
        let h = &self.cfg;
        if h.oauth2.is_some() {
            return Err(NotifyError::Permanent(
                "oauth2 is not supported for receivers yet".into(),
            ));
        }
        if let Some(b) = &h.basic_auth {
            let user = if b.username_file.is_empty() {
                b.username.clone()
            } else {
                read_secret_file(&b.username_file)?
            };
            let pw = super::secret(&b.password, &b.password_file)?;
            req = req.basic_auth(user, Some(pw));
        }
        if let Some(a) = &h.authorization {
            let cred = super::secret(&a.credentials, &a.credentials_file)?;
            let kind = if a.kind.is_empty() { "Bearer" } else { &a.kind };
            req = req.header("Authorization", format!("{kind} {cred}"));
        }
        for (k, v) in h.http_headers.iter().flatten() {
            for val in &v.values {
                req = req.header(k.as_str(), val.as_str());
            }
            for s in &v.secrets {
                req = req.header(k.as_str(), s.expose());
            }
            for f in &v.files {
                req = req.header(k.as_str(), read_secret_file(f)?);
            }
        }
        for (k, v) in &out.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        Ok(req)
    }

    /// Sends one request and reads the response as the integration does.
    pub async fn send(&self, out: &Outgoing) -> Result<(), NotifyError> {
        let resp = self.request(out)?.send().await.map_err(|e| {
            // The URL may carry a token: it is left out of the message.
            let e = e.without_url();
            let msg = format!("{} \"<redacted>\": {e}", out.method);
            if e.is_timeout() {
                NotifyError::Timeout(msg)
            } else {
                NotifyError::Retry(msg)
            }
        })?;
        let code = resp.status().as_u16();
        let json = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let body = resp.text().await.unwrap_or_default();
        check_status(code, &body, &out.retry_codes)?;
        check_body(out.check, code, json, &body)
    }

    /// A GET whose JSON answer is returned.
    pub async fn get_json(&self, url: &str) -> Result<Value, NotifyError> {
        let resp = self
            .client
            .get(url)
            .header("User-Agent", &self.user_agent)
            .send()
            .await
            .map_err(|e| NotifyError::Retry(format!("GET \"<redacted>\": {}", e.without_url())))?;
        let code = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        check_status(code, &body, &[])?;
        serde_json::from_str(&body).map_err(|e| NotifyError::Retry(e.to_string()))
    }

    /// Sends a request and those that follow it.
    pub async fn deliver(&self, out: Outgoing) -> Result<(), NotifyError> {
        let mut next = vec![out];
        while let Some(o) = next.pop() {
            self.send(&o).await?;
            next.extend(o.then.into_iter().rev());
        }
        Ok(())
    }
}

/// Alertmanager's retrier: 2xx succeeds, 5xx and `retry_codes` are worth
/// retrying; the message carries the body, cut to a readable length.
pub fn check_status(code: u16, body: &str, retry_codes: &[u16]) -> Result<(), NotifyError> {
    if (200..300).contains(&code) {
        return Ok(());
    }
    let mut msg = format!("unexpected status code {code}");
    let body = body.trim();
    if !body.is_empty() {
        msg.push_str(": ");
        msg.extend(body.chars().take(1024));
    }
    Err(NotifyError::Status {
        code,
        retry: (500..600).contains(&code) || retry_codes.contains(&code),
        msg,
    })
}

fn check_body(check: Check, code: u16, json: bool, body: &str) -> Result<(), NotifyError> {
    let client_error = |msg: String| NotifyError::Status {
        code: 400.max(code),
        retry: false,
        msg,
    };
    match check {
        Check::Status => Ok(()),
        Check::Slack if json => {
            let v: Value = serde_json::from_str(body).map_err(|e| {
                NotifyError::Retry(format!("could not unmarshal JSON response {e}"))
            })?;
            if v.get("ok").and_then(Value::as_bool) == Some(true) {
                Ok(())
            } else {
                let err = v.get("error").and_then(Value::as_str).unwrap_or_default();
                Err(client_error(format!("error response from Slack: {err}")))
            }
        }
        Check::Slack if body.trim() == "ok" => Ok(()),
        Check::Slack => Err(client_error(format!(
            "received an error response from Slack: {body}"
        ))),
        Check::Wechat => {
            let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            match v.get("errcode").and_then(Value::as_i64) {
                Some(0) | None => Ok(()),
                Some(c) => Err(client_error(format!(
                    "WeChat error {c}: {}",
                    v.get("errmsg").and_then(Value::as_str).unwrap_or_default()
                ))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert!(check_status(204, "", &[]).is_ok());
        let e = check_status(503, "busy", &[]).unwrap_err();
        assert!(e.retriable());
        assert_eq!(e.to_string(), "unexpected status code 503: busy");
        assert!(!check_status(400, "", &[]).unwrap_err().retriable());
        assert!(check_status(429, "", &[429]).unwrap_err().retriable());
        assert!(check_body(Check::Slack, 200, false, "ok").is_ok());
        assert!(check_body(Check::Slack, 200, true, r#"{"ok":false,"error":"x"}"#).is_err());
        assert!(check_body(Check::Slack, 200, true, r#"{"ok":true}"#).is_ok());
        assert!(check_body(Check::Wechat, 200, true, r#"{"errcode":40001}"#).is_err());
    }
}
