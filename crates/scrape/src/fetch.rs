//! The HTTP side of a scrape: the request Prometheus sends (`Accept` from
//! `scrape_protocols`, `Accept-Encoding: gzip`, the timeout header), the
//! body read under `body_size_limit` and gunzipped here, so the limit
//! applies to the decompressed bytes too.

use std::io::Read;
use std::time::Duration;

use vigil_config::ScrapeConfig;
use vigil_discovery::client::HttpClient;
use vigil_exposition::negotiate::{ScrapeProtocol, scrape_accept_header};

use crate::error::ScrapeError;

/// What a scrape pool needs to fetch its targets.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    client: HttpClient,
    accept: String,
    compression: bool,
    /// Largest body accepted, in bytes (`u64::MAX` when unlimited).
    limit: u64,
}

/// Go's `strconv.FormatFloat(secs, 'f', -1, 64)` for a timeout.
fn seconds(d: Duration) -> String {
    let s = format!("{}", d.as_secs_f64());
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

impl Fetcher {
    pub(crate) fn new(cfg: &ScrapeConfig) -> Result<Fetcher, ScrapeError> {
        let protocols: Vec<ScrapeProtocol> = cfg
            .scrape_protocols
            .iter()
            .flatten()
            .filter_map(|p| ScrapeProtocol::parse(p))
            .collect();
        Ok(Fetcher {
            client: HttpClient::new(&cfg.http)?,
            accept: scrape_accept_header(&protocols),
            compression: cfg.enable_compression,
            limit: if cfg.body_size_limit.0 == 0 {
                u64::MAX
            } else {
                cfg.body_size_limit.0
            },
        })
    }

    /// GETs `url` into `body` (cleared first) and returns the response's
    /// `Content-Type`. Must be bounded by the caller's timeout.
    pub(crate) async fn fetch(
        &self,
        url: &str,
        timeout: Duration,
        body: &mut Vec<u8>,
    ) -> Result<Option<String>, ScrapeError> {
        body.clear();
        let req = self
            .client
            .get(url)?
            .header(reqwest::header::ACCEPT, &self.accept)
            .header(
                reqwest::header::ACCEPT_ENCODING,
                if self.compression { "gzip" } else { "identity" },
            )
            .header("X-Prometheus-Scrape-Timeout-Seconds", seconds(timeout));
        let request_err = |e: reqwest::Error| ScrapeError::Request {
            url: url.to_owned(),
            message: e.to_string(),
        };
        let mut resp = req.send().await.map_err(request_err)?;
        if resp.status() != reqwest::StatusCode::OK {
            return Err(ScrapeError::Status(resp.status().to_string()));
        }
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let gzip = header(reqwest::header::CONTENT_ENCODING)
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("gzip"));
        let mut raw = Vec::new();
        let sink: &mut Vec<u8> = if gzip { &mut raw } else { body };
        while let Some(chunk) = resp.chunk().await.map_err(request_err)? {
            // The compressed size is bounded by the same limit: a body that
            // large cannot decompress to less.
            if (sink.len() + chunk.len()) as u64 >= self.limit {
                return Err(ScrapeError::BodySizeLimit);
            }
            sink.extend_from_slice(&chunk);
        }
        if gzip {
            let mut dec = flate2::read::GzDecoder::new(raw.as_slice()).take(self.limit);
            dec.read_to_end(body)
                .map_err(|e| ScrapeError::Gzip(e.to_string()))?;
            if body.len() as u64 >= self.limit {
                return Err(ScrapeError::BodySizeLimit);
            }
        }
        Ok(content_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_header_format() {
        assert_eq!(seconds(Duration::from_secs(10)), "10");
        assert_eq!(seconds(Duration::from_millis(500)), "0.5");
    }
}
