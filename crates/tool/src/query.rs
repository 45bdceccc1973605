//! `vigil tool query instant|range|series|labels|analyze`: promtool's
//! queries against a Prometheus HTTP API. Requests are made as
//! client_golang makes them (form `POST` for queries and series, `GET` for
//! label values; times as float seconds); answers are decoded into
//! [`value::QueryValue`] and printed as promtool prints them. Errors go to
//! stderr as `query error: …` with exit code 1.

pub mod analyze;
pub mod time;
pub mod value;

use std::io::Write;
use std::time::Duration;

use serde_json::Value as Json;

use crate::http_client::{HttpError, HttpUrl, Request, form_encode, send};
use time::{Instant, parse_time};
use value::{Metric, QueryValue, json_metric, json_string, label_set_string};

/// Exit code of a failed query.
pub const FAILURE: u8 = 1;

/// promtool gives every query two minutes.
const QUERY_TIMEOUT: Duration = Duration::from_secs(120);

/// Nanoseconds in 9999 hours: promtool's default series/labels window on
/// each side of now.
const WIDE_WINDOW_NS: i128 = 9999 * 3600 * 1_000_000_000;

/// How results are printed (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// prometheus/common's text rendering.
    Promql,
    /// Go's JSON encoding of the same values.
    Json,
}

/// Why a query failed; printed after `query error: `.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The server answered with an error (or an answer client_golang
    /// refuses), as `v1.Error`: `type: message`.
    #[error("{kind}: {msg}")]
    Api {
        /// `bad_data`, `execution`, `client_error`, `bad_response`, …
        kind: String,
        /// The message.
        msg: String,
        /// The body of a non-API error response (printed as `detail`).
        detail: String,
    },
    /// The request could not be made.
    #[error("{0}")]
    Http(#[from] HttpError),
}

/// A Prometheus API endpoint with the extra headers to send.
#[derive(Debug, Clone)]
pub struct Client {
    base: HttpUrl,
    headers: Vec<(String, String)>,
}

impl Client {
    /// A client for `url` (no scheme means `http://`), sending `headers`.
    pub fn new(url: &str, headers: Vec<(String, String)>) -> Result<Client, HttpError> {
        Ok(Client {
            base: HttpUrl::parse(url)?,
            headers,
        })
    }

    /// Sends `req` and decodes the API envelope into `(data, warnings)`,
    /// as client_golang's `apiClientImpl.Do` does.
    fn call(&self, mut req: Request<'_>) -> Result<(Json, Vec<String>), QueryError> {
        req.headers.extend(self.headers.iter().cloned());
        let r = send(&self.base, &req, QUERY_TIMEOUT)?;
        let api_error = r.status == 400 || r.status == 422;
        if r.status / 100 != 2 && !api_error {
            let (kind, msg) = match r.status / 100 {
                5 => ("server_error", format!("server error: {}", r.status)),
                4 => ("client_error", format!("client error: {}", r.status)),
                _ => ("bad_response", format!("bad response code {}", r.status)),
            };
            return Err(QueryError::Api {
                kind: kind.into(),
                msg,
                detail: String::from_utf8_lossy(&r.body).into_owned(),
            });
        }
        let env: Json = serde_json::from_slice(&r.body).map_err(|e| QueryError::Api {
            kind: "bad_response".into(),
            msg: e.to_string(),
            detail: String::new(),
        })?;
        let text = |k: &str| env.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        if text("status") == "error" {
            return Err(QueryError::Api {
                kind: text("errorType"),
                msg: text("error"),
                detail: String::new(),
            });
        }
        if api_error {
            return Err(QueryError::Api {
                kind: "bad_response".into(),
                msg: "inconsistent body for response code".into(),
                detail: String::new(),
            });
        }
        let warnings = env
            .get("warnings")
            .and_then(Json::as_array)
            .map(|w| {
                w.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        Ok((env.get("data").cloned().unwrap_or(Json::Null), warnings))
    }

    /// An instant query at `at`.
    pub fn query(&self, expr: &str, at: Instant) -> Result<QueryValue, QueryError> {
        let t = at.api_string();
        let body = form_encode(&[("query", expr), ("time", &t)]);
        let req = Request::post(
            "/api/v1/query",
            "application/x-www-form-urlencoded",
            body.into_bytes(),
        );
        QueryValue::decode(&self.call(req)?.0)
    }

    /// A range query.
    pub fn query_range(
        &self,
        expr: &str,
        start: Instant,
        end: Instant,
        step: Duration,
    ) -> Result<QueryValue, QueryError> {
        let (s, e) = (start.api_string(), end.api_string());
        let step = value::go_float(step.as_secs_f64());
        let body = form_encode(&[("query", expr), ("start", &s), ("end", &e), ("step", &step)]);
        let req = Request::post(
            "/api/v1/query_range",
            "application/x-www-form-urlencoded",
            body.into_bytes(),
        );
        QueryValue::decode(&self.call(req)?.0)
    }

    /// The series matching any of `matchers` between `start` and `end`.
    pub fn series(
        &self,
        matchers: &[String],
        start: Instant,
        end: Instant,
    ) -> Result<Vec<Metric>, QueryError> {
        let (s, e) = (start.api_string(), end.api_string());
        let mut pairs: Vec<(&str, &str)> =
            matchers.iter().map(|m| ("match[]", m.as_str())).collect();
        pairs.extend([("start", s.as_str()), ("end", e.as_str())]);
        let req = Request::post(
            "/api/v1/series",
            "application/x-www-form-urlencoded",
            form_encode(&pairs).into_bytes(),
        );
        let data = self.call(req)?.0;
        data.as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(value::metric)
            .collect()
    }

    /// The values of label `name`, with the server's warnings.
    pub fn label_values(
        &self,
        name: &str,
        matchers: &[String],
        start: Instant,
        end: Instant,
    ) -> (Vec<String>, Vec<String>, Option<QueryError>) {
        let (s, e) = (start.api_string(), end.api_string());
        let mut pairs: Vec<(&str, &str)> =
            matchers.iter().map(|m| ("match[]", m.as_str())).collect();
        pairs.extend([("start", s.as_str()), ("end", e.as_str())]);
        // The name is a path segment: escaped as Go's url.PathEscape does
        // for the characters label names may hold.
        let seg = form_encode(&[("", name)]);
        let endpoint = format!(
            "/api/v1/label/{}/values?{}",
            seg.trim_start_matches('=').replace('+', "%20"),
            form_encode(&pairs)
        );
        match self.call(Request::get(&endpoint)) {
            Ok((data, warnings)) => {
                let values = data
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect();
                (values, warnings, None)
            }
            Err(e) => (Vec::new(), Vec::new(), Some(e)),
        }
    }
}

/// Prints `e` as promtool's `handleAPIError` does and returns the failure
/// code.
fn report(e: &QueryError, err: &mut dyn Write) -> std::io::Result<u8> {
    match e {
        QueryError::Api { detail, .. } if !detail.trim().is_empty() => {
            writeln!(err, "query error: {e} (detail: {})", detail.trim())?
        }
        _ => writeln!(err, "query error: {e}")?,
    }
    Ok(FAILURE)
}

fn print_value(v: &QueryValue, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Promql => writeln!(out, "{}", v.to_promql()),
        Format::Json => writeln!(out, "{}", v.to_json()),
    }
}

/// `query instant`: evaluates `expr` at `time` (now when `None`).
pub fn instant(
    client: &Client,
    expr: &str,
    time: Option<&str>,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let at = match time {
        None => Instant::now(),
        Some(t) => match parse_time(t) {
            Ok(t) => t,
            Err(e) => {
                writeln!(err, "error parsing evaluation time: {e}")?;
                return Ok(FAILURE);
            }
        },
    };
    match client.query(expr, at) {
        Ok(v) => print_value(&v, format, out).map(|()| 0),
        Err(e) => report(&e, err),
    }
}

/// The arguments of `query range`.
#[derive(Debug, Clone, Default)]
pub struct RangeArgs<'a> {
    /// `--start` (5 minutes before the end when absent).
    pub start: Option<&'a str>,
    /// `--end` (now when absent).
    pub end: Option<&'a str>,
    /// `--step` (a 250th of the range, at least 1 s, when absent or 0).
    pub step: Option<Duration>,
}

/// `query range`.
pub fn range(
    client: &Client,
    expr: &str,
    args: &RangeArgs<'_>,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let end = match args.end.map(parse_time) {
        None => Instant::now(),
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            writeln!(err, "error parsing end time: {e}")?;
            return Ok(FAILURE);
        }
    };
    let start = match args.start.map(parse_time) {
        None => end.add_nanos(-300 * 1_000_000_000),
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            writeln!(err, "error parsing start time: {e}")?;
            return Ok(FAILURE);
        }
    };
    if start >= end {
        writeln!(err, "start time is not before end time")?;
        return Ok(FAILURE);
    }
    let step = match args.step {
        Some(s) if !s.is_zero() => s,
        _ => {
            let secs = ((end.0 - start.0) as f64 / 1e9 / 250.0).floor().max(1.0);
            Duration::from_secs(secs as u64)
        }
    };
    match client.query_range(expr, start, end, step) {
        Ok(v) => print_value(&v, format, out).map(|()| 0),
        Err(e) => report(&e, err),
    }
}

/// promtool's `parseStartTimeAndEndTime`: 9999 h either side of now by
/// default.
fn window(
    start: Option<&str>,
    end: Option<&str>,
    err: &mut dyn Write,
) -> std::io::Result<Option<(Instant, Instant)>> {
    let now = Instant::now();
    let mut s = now.add_nanos(-WIDE_WINDOW_NS);
    let mut e = now.add_nanos(WIDE_WINDOW_NS);
    if let Some(t) = start {
        match parse_time(t) {
            Ok(t) => s = t,
            Err(x) => {
                writeln!(err, "error parsing start time: {x}")?;
                return Ok(None);
            }
        }
    }
    if let Some(t) = end {
        match parse_time(t) {
            Ok(t) => e = t,
            Err(x) => {
                writeln!(err, "error parsing end time: {x}")?;
                return Ok(None);
            }
        }
    }
    Ok(Some((s, e)))
}

/// `query series`: each label set on its own line, or a JSON array.
pub fn series(
    client: &Client,
    matchers: &[String],
    start: Option<&str>,
    end: Option<&str>,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let Some((s, e)) = window(start, end, err)? else {
        return Ok(FAILURE);
    };
    let sets = match client.series(matchers, s, e) {
        Ok(v) => v,
        Err(e) => return report(&e, err),
    };
    match format {
        Format::Promql => {
            for m in &sets {
                writeln!(out, "{}", label_set_string(m))?;
            }
        }
        Format::Json => {
            let mut o = String::from("[");
            for (i, m) in sets.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                json_metric(&mut o, m);
            }
            o.push(']');
            writeln!(out, "{o}")?;
        }
    }
    Ok(0)
}

/// `query labels NAME`: the label's values, one per line, or a JSON array;
/// the server's warnings go to stderr first.
#[allow(clippy::too_many_arguments)] // promtool's flags, passed through as they are
pub fn labels(
    client: &Client,
    name: &str,
    matchers: &[String],
    start: Option<&str>,
    end: Option<&str>,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let Some((s, e)) = window(start, end, err)? else {
        return Ok(FAILURE);
    };
    let (values, warnings, failure) = client.label_values(name, matchers, s, e);
    for w in &warnings {
        writeln!(err, "query warning: {w}")?;
    }
    if let Some(e) = failure {
        return report(&e, err);
    }
    match format {
        Format::Promql => {
            for v in &values {
                writeln!(out, "{v}")?;
            }
        }
        Format::Json => {
            let mut o = String::from("[");
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                json_string(&mut o, v);
            }
            o.push(']');
            writeln!(out, "{o}")?;
        }
    }
    Ok(0)
}
