//! `http_sd_configs`: target groups fetched from an HTTP endpoint.
//!
//! Every `refresh_interval` the provider GETs the URL with the configured
//! client options. The answer must be `200` with a JSON content type and a
//! list of `{targets, labels}` objects; each group gets `__meta_url` and is
//! sourced `<url>:<index>`. A failed refresh keeps the last good groups and
//! counts in `prometheus_sd_http_failures_total`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Deserialize;
use vigil_config::discovery::HttpSdConfig;
use vigil_config::http::WithHttp;

use crate::client::HttpClient;
use crate::error::DiscoveryError;
use crate::group::{ADDRESS_LABEL, TargetGroup, group_labels};
use crate::provider::Sink;

/// The label holding the SD endpoint's URL.
pub const URL_LABEL: &str = "__meta_url";

#[derive(Deserialize)]
struct JsonGroup {
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

/// One `http_sd_configs` entry.
#[derive(Debug)]
pub struct HttpDiscovery {
    url: String,
    client: HttpClient,
    refresh: Duration,
}

/// Whether a `Content-Type` is JSON (`application/json`, parameters allowed).
fn is_json(ct: &str) -> bool {
    let media = ct.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/json")
}

/// Decodes an HTTP SD body into groups of `url`.
pub fn parse_body(body: &[u8], url: &str) -> Result<Vec<TargetGroup>, DiscoveryError> {
    let raw: Vec<Option<JsonGroup>> =
        serde_json::from_slice(body).map_err(|e| DiscoveryError::Json(e.to_string()))?;
    raw.into_iter()
        .enumerate()
        .map(|(i, g)| {
            let g = g.ok_or_else(|| {
                DiscoveryError::Json(format!("nil target group item found (index {i})"))
            })?;
            Ok(TargetGroup {
                source: format!("{url}:{i}"),
                targets: g
                    .targets
                    .iter()
                    .map(|t| vigil_model::Labels::from_pairs(&[(ADDRESS_LABEL, t.as_str())]))
                    .collect(),
                labels: group_labels(&g.labels, &[(URL_LABEL, url)]),
            })
        })
        .collect()
}

impl HttpDiscovery {
    /// A provider for `cfg`; fails if the client options cannot be used.
    pub fn new(cfg: &WithHttp<HttpSdConfig>) -> Result<HttpDiscovery, DiscoveryError> {
        Ok(HttpDiscovery {
            url: cfg.inner.url.as_str().to_owned(),
            client: HttpClient::new(&cfg.http)?,
            refresh: cfg
                .inner
                .refresh_interval
                .map_or(Duration::from_secs(60), |d| d.to_std())
                .max(Duration::from_millis(100)),
        })
    }

    /// Fetches and decodes the groups once.
    pub async fn fetch(&self) -> Result<Vec<TargetGroup>, DiscoveryError> {
        let req = self
            .client
            .get(&self.url)?
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                "X-Prometheus-Refresh-Interval-Seconds",
                self.refresh.as_secs().to_string(),
            );
        let fut = async {
            let resp = req
                .send()
                .await
                .map_err(|e| DiscoveryError::Request(e.to_string()))?;
            if resp.status() != reqwest::StatusCode::OK {
                return Err(DiscoveryError::Status(resp.status().to_string()));
            }
            let ct = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            if !is_json(&ct) {
                return Err(DiscoveryError::ContentType(ct));
            }
            resp.bytes()
                .await
                .map_err(|e| DiscoveryError::Request(e.to_string()))
        };
        // A hung endpoint must not stall the provider past its next refresh.
        let body = tokio::time::timeout(self.refresh, fut)
            .await
            .map_err(|_| DiscoveryError::Request("request timed out".into()))??;
        parse_body(&body, &self.url)
    }
}

/// Runs the provider until aborted: a refresh at once and then every
/// refresh interval.
pub(crate) async fn run(d: HttpDiscovery, sink: Sink) {
    loop {
        let started = Instant::now();
        let res = d.fetch().await;
        let m = sink.metrics();
        m.refresh_done("http", started.elapsed().as_secs_f64(), res.is_err());
        match res {
            Ok(groups) => sink.publish(groups),
            // The last good groups stay published.
            Err(_) => {
                m.http_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        tokio::time::sleep(d.refresh).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_decoding() {
        let g = parse_body(
            br#"[{"targets":["a:1"],"labels":{"x":"y"}},{"targets":[]}]"#,
            "http://sd/t",
        )
        .expect("ok");
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].source, "http://sd/t:0");
        assert_eq!(g[0].labels.get(URL_LABEL), Some("http://sd/t"));
        assert_eq!(g[0].labels.get("x"), Some("y"));
        assert!(parse_body(b"[null]", "u").is_err());
        assert!(parse_body(b"{}", "u").is_err());
        assert!(is_json("application/json; charset=utf-8"));
        assert!(!is_json("text/plain"));
    }
}
