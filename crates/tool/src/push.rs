//! `vigil tool push metrics`: reads text-format expositions and sends them
//! with remote write 1.0 (a snappy-compressed protobuf `WriteRequest`), as
//! promtool does for testing: every sample becomes a series with the
//! `--label` pairs added (a scraped `job` label becomes `exported_job`),
//! samples without a timestamp take the current time, and the request
//! carries each family's metadata.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost::Message;
use vigil_exposition::{SampleValue, TextParser};
use vigil_model::{MetricType, ValidationScheme};
use vigil_web::remote_write::{Label, Sample, TimeSeries};

use crate::http_client::{HttpError, HttpUrl, Request, send};

/// `prometheus.WriteRequest` with its metadata (field 3), which the
/// receiver-side struct of `vigil_web` leaves out.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PushRequest {
    /// The series with their samples.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
    /// One entry per metric family.
    #[prost(message, repeated, tag = "3")]
    pub metadata: Vec<MetricMetadata>,
}

/// `prometheus.MetricMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricMetadata {
    /// `UNKNOWN` 0, `COUNTER` 1, `GAUGE` 2, `HISTOGRAM` 3,
    /// `GAUGEHISTOGRAM` 4, `SUMMARY` 5, `INFO` 6, `STATESET` 7.
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    /// The family name.
    #[prost(string, tag = "2")]
    pub metric_family_name: String,
    /// The help text.
    #[prost(string, tag = "4")]
    pub help: String,
    /// The unit.
    #[prost(string, tag = "5")]
    pub unit: String,
}

/// Why a push failed; printed after `  FAILED: `.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The exposition could not be read.
    #[error("{0}")]
    Parse(#[from] crate::error::CheckMetricsError),
    /// The request could not be sent.
    #[error("{0}")]
    Http(#[from] HttpError),
    /// The receiver refused the request.
    #[error("server returned HTTP status {status}: {body}")]
    Status {
        /// Code and reason, e.g. `400 Bad Request`.
        status: String,
        /// The first line of the answer.
        body: String,
    },
}

/// Where and how to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// The receiver's URL (no scheme means `http://`).
    pub url: String,
    /// The API path appended to the URL (`--remote-write.path`), unless
    /// the URL already ends with it.
    pub api_path: String,
    /// Labels added to every series (`--label`).
    pub labels: Vec<(String, String)>,
    /// Extra request headers (`--header`).
    pub headers: Vec<(String, String)>,
    /// The time to wait for the receiver (`--timeout`).
    pub timeout: Duration,
}

fn metadata_type(kind: MetricType) -> i32 {
    match kind {
        MetricType::Counter => 1,
        MetricType::Gauge => 2,
        MetricType::Histogram => 3,
        MetricType::GaugeHistogram => 4,
        MetricType::Summary => 5,
        MetricType::Info => 6,
        MetricType::StateSet => 7,
        MetricType::Unknown => 0,
    }
}

/// Builds the request promtool would send for `body`, stamping samples
/// without a timestamp with `now_ms`.
pub fn write_request(
    body: &[u8],
    extra: &[(String, String)],
    now_ms: i64,
) -> Result<PushRequest, PushError> {
    // promtool reads with expfmt's text parser: check its stricter rules
    // first so that errors are worded as promtool words them.
    crate::check_metrics::families(&mut TextParser::new(body), body, ValidationScheme::Legacy)?;
    let mut families = vigil_exposition::collect(&mut TextParser::new(body))
        .map_err(|e| PushError::Parse(e.into()))?;
    families.sort_by(|a, b| a.name.cmp(&b.name));
    let mut req = PushRequest::default();
    for f in &families {
        req.metadata.push(MetricMetadata {
            r#type: metadata_type(f.kind),
            metric_family_name: f.name.clone(),
            help: f.help.clone().unwrap_or_default(),
            unit: String::new(),
        });
        for s in &f.samples {
            let SampleValue::Float(value) = s.value else {
                // The text format has no native histograms.
                continue;
            };
            let mut labels: std::collections::BTreeMap<String, String> =
                extra.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            for l in s.labels.iter() {
                let (k, v) = (l.name, l.value);
                let key = if k == "job" { "exported_job" } else { k };
                // expfmt reads `le` and `quantile` as floats and promtool
                // prints them back with Go's `%v`.
                let value = match (key, v.parse::<f64>()) {
                    ("le" | "quantile", Ok(f)) => crate::go_format::float_g(f),
                    _ => v.to_string(),
                };
                labels.insert(key.to_string(), value);
            }
            req.timeseries.push(TimeSeries {
                labels: labels
                    .into_iter()
                    .map(|(name, value)| Label { name, value })
                    .collect(),
                samples: vec![Sample {
                    value,
                    timestamp: s.timestamp.filter(|t| *t != 0).unwrap_or(now_ms),
                }],
                exemplars: Vec::new(),
                histograms: Vec::new(),
            });
        }
    }
    Ok(req)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Parses `body` and pushes it.
pub fn push(body: &[u8], opts: &PushOptions) -> Result<(), PushError> {
    let req = write_request(body, &opts.labels, now_ms())?;
    let compressed = snap::raw::Encoder::new()
        .compress_vec(&req.encode_to_vec())
        .unwrap_or_default();
    let base = HttpUrl::parse(&opts.url)?;
    // 3.x appends `--remote-write.path`; a URL that already names the
    // endpoint (promtool 2.x's form) is used as it is.
    let endpoint = if base.path.ends_with(&opts.api_path) {
        String::new()
    } else {
        opts.api_path.clone()
    };
    let mut r = Request::post(&endpoint, "application/x-protobuf", compressed);
    r.headers.extend([
        ("Content-Encoding".to_string(), "snappy".to_string()),
        (
            "X-Prometheus-Remote-Write-Version".to_string(),
            "0.1.0".to_string(),
        ),
    ]);
    r.headers.extend(opts.headers.iter().cloned());
    let resp = send(&base, &r, opts.timeout)?;
    if resp.status / 100 != 2 {
        let text = String::from_utf8_lossy(&resp.body);
        return Err(PushError::Status {
            status: format!("{} {}", resp.status, reason(resp.status)),
            body: text.lines().next().unwrap_or_default().to_string(),
        });
    }
    Ok(())
}

fn reason(code: u16) -> &'static str {
    match code {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Runs `push metrics` over `files` (standard input, `stdin`, when empty)
/// with promtool's lines on `out`/`err`; the exit code.
pub fn push_metrics(
    files: &[String],
    stdin: &mut dyn std::io::Read,
    opts: &PushOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    if files.is_empty() {
        let mut body = Vec::new();
        if let Err(e) = stdin.read_to_end(&mut body) {
            writeln!(err, "  FAILED: {e}")?;
            return Ok(1);
        }
        writeln!(out, "Parsing standard input")?;
        return Ok(match push(&body, opts) {
            Ok(()) => {
                writeln!(out, "  SUCCESS: metrics pushed to remote write.")?;
                0
            }
            Err(e) => {
                writeln!(err, "  FAILED: {e}")?;
                1
            }
        });
    }
    let mut failed = false;
    for f in files {
        let body = match std::fs::read(f) {
            Ok(b) => b,
            Err(e) => {
                writeln!(err, "  FAILED: {}", crate::test_rules::read_error(f, &e))?;
                failed = true;
                continue;
            }
        };
        writeln!(out, "Parsing metrics file {f}")?;
        match push(&body, opts) {
            Ok(()) => writeln!(out, "  SUCCESS: metrics file {f} pushed to remote write.")?,
            Err(e) => {
                writeln!(err, "  FAILED: {e}")?;
                failed = true;
            }
        }
    }
    Ok(u8::from(failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_become_series_with_promtools_labels() {
        let body = b"# HELP rq Requests.\n# TYPE rq counter\nrq{job=\"x\",code=\"200\"} 3 1000\n# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n";
        let extra = vec![("job".to_string(), "promtool".to_string())];
        let req = write_request(body, &extra, 5000).expect("valid");
        let names: Vec<String> = req
            .timeseries
            .iter()
            .map(|t| {
                t.labels
                    .iter()
                    .map(|l| format!("{}={}", l.name, l.value))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        assert_eq!(
            names,
            [
                "__name__=h_bucket,job=promtool,le=1",
                "__name__=h_bucket,job=promtool,le=+Inf",
                "__name__=h_sum,job=promtool",
                "__name__=h_count,job=promtool",
                "__name__=rq,code=200,exported_job=x,job=promtool",
            ]
        );
        assert_eq!(
            req.timeseries.last().map(|t| t.samples[0].timestamp),
            Some(1000)
        );
        assert_eq!(
            req.timeseries.first().map(|t| t.samples[0].timestamp),
            Some(5000)
        );
        assert_eq!(req.metadata.len(), 2);
        assert!(write_request(b"bad line here\n", &extra, 0).is_err());
    }
}
