//! The HTTP API v1 (`/api/v1/…`): handlers are plain functions from a
//! request context to JSON data or an [`ApiError`]; [`run`] does what
//! Prometheus' `wrap` does around each of them (readiness, form parsing,
//! CORS, the envelope, status codes) and runs them on a blocking thread,
//! since queries and index reads are CPU and I/O bound.
//!
//! Layout: `query` (query, query_range, format_query), `parse_query`, `series` (series,
//! labels, label values, exemplars), `targets` (targets, metadata, scrape
//! pools), `rules` (rules, alerts, alertmanagers), `status` (config,
//! flags, runtime and build info, TSDB stats, WAL replay), `admin`.

pub(crate) mod admin;
pub(crate) mod parse_query;
pub(crate) mod query;
pub(crate) mod rules;
pub(crate) mod series;
pub(crate) mod status;
pub(crate) mod targets;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use vigil_promql::engine::QueryControl;

use crate::error::ApiError;
use crate::params::{MAX_FORM_BYTES, Params};
use crate::state::{Readiness, WebState};

/// What a handler sees of its request.
pub(crate) struct Ctx<'a> {
    pub(crate) state: &'a WebState,
    pub(crate) params: &'a Params,
    /// Canceled when the client goes away.
    pub(crate) ctl: &'a QueryControl,
    /// Set with `ctl`, for handlers that check between steps themselves.
    pub(crate) canceled: &'a AtomicBool,
    /// The `:name` of `/label/:name/values`.
    pub(crate) path_name: Option<&'a str>,
}

impl Ctx<'_> {
    /// Whether the client went away.
    pub(crate) fn ctl_canceled(&self) -> bool {
        self.canceled.load(Ordering::Relaxed)
    }
}

/// A handler's success: raw JSON data (`None` answers 204) and annotations.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub(crate) data: Option<String>,
    pub(crate) warnings: Vec<String>,
    pub(crate) infos: Vec<String>,
}

impl Output {
    pub(crate) fn data(data: String) -> Output {
        Output {
            data: Some(data),
            ..Output::default()
        }
    }
}

pub(crate) type ApiResult = Result<Output, ApiError>;
pub(crate) type ApiFn = fn(&Ctx<'_>) -> ApiResult;

/// The 503 Prometheus answers while not ready (its `testReady`).
pub(crate) fn not_ready(r: Readiness) -> Option<Response> {
    let stopping = match r {
        Readiness::Ready => return None,
        Readiness::NotReady => "false",
        Readiness::Stopping => "true",
    };
    let mut resp = (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
    resp.headers_mut()
        .insert("X-Prometheus-Stopping", HeaderValue::from_static(stopping));
    Some(resp)
}

/// Prometheus' CORS headers, set when the request carries an `Origin`
/// (every origin is allowed, as with the default `--web.cors.origin`).
pub(crate) fn set_cors(resp: &mut Response, has_origin: bool) {
    if !has_origin {
        return;
    }
    let h = resp.headers_mut();
    h.insert(
        "Access-Control-Allow-Headers",
        HeaderValue::from_static("Accept, Authorization, Content-Type, Origin"),
    );
    h.insert(
        "Access-Control-Allow-Methods",
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        "Access-Control-Expose-Headers",
        HeaderValue::from_static("Date"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

fn json_response(code: StatusCode, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = code;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Renders a handler's result as Prometheus does.
pub(crate) fn render(result: ApiResult) -> Response {
    match result {
        Ok(Output { data: None, .. }) => StatusCode::NO_CONTENT.into_response(),
        Ok(Output {
            data: Some(d),
            warnings,
            infos,
        }) => json_response(StatusCode::OK, crate::json::success(&d, &warnings, &infos)),
        Err(e) => json_response(e.status(), e.to_json()),
    }
}

/// Reads the form of a request: the URL query, and the body when it is
/// a form post (bounded by [`MAX_FORM_BYTES`]).
pub(crate) async fn read_params(req: Request) -> Result<Params, ApiError> {
    let query = req.uri().query().map(str::to_string);
    let is_form = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH)
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.split(';').next().is_some_and(|m| {
                    m.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                })
            });
    let body = if is_form {
        let b = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| {
                ApiError::BadData("error parsing form values: http: POST too large".into())
            })?;
        Some(b)
    } else {
        None
    };
    Ok(Params::new(query.as_deref(), body.as_deref()))
}

/// Cancels a query when the request's future is dropped (client gone).
struct CancelOnDrop {
    ctl: QueryControl,
    canceled: Arc<AtomicBool>,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.canceled.store(true, Ordering::Relaxed);
            self.ctl.cancel();
        }
    }
}

/// Runs API handler `f` for `req`: readiness check, parameters, the
/// handler on a blocking thread, then the response with CORS headers.
pub(crate) async fn run(
    state: Arc<WebState>,
    f: ApiFn,
    req: Request,
    path_name: Option<String>,
) -> Response {
    if let Some(resp) = not_ready(state.readiness()) {
        return resp;
    }
    let has_origin = req.headers().contains_key(header::ORIGIN);
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(e) => return render(Err(e)),
    };
    let ctl = QueryControl::new();
    let canceled = Arc::new(AtomicBool::new(false));
    let mut guard = CancelOnDrop {
        ctl: ctl.clone(),
        canceled: Arc::clone(&canceled),
        armed: true,
    };
    let result = tokio::task::spawn_blocking(move || {
        let ctx = Ctx {
            state: &state,
            params: &params,
            ctl: &ctl,
            canceled: &canceled,
            path_name: path_name.as_deref(),
        };
        f(&ctx)
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::Internal(format!("handler failed: {e}"))));
    // Finished: nothing left to cancel.
    guard.armed = false;
    let mut resp = render(result);
    set_cors(&mut resp, has_origin);
    resp
}

/// Caps annotations as Prometheus does (10 of each, then a count of the
/// rest).
pub(crate) fn cap_annotations(warnings: &mut Vec<String>, infos: &mut Vec<String>) {
    const MAX: usize = 10;
    if warnings.len() > MAX {
        let n = warnings.len() - MAX;
        warnings.truncate(MAX);
        warnings.push(format!("{n} more warning annotations omitted"));
    }
    if infos.len() > MAX {
        let n = infos.len() - MAX;
        infos.truncate(MAX);
        infos.push(format!("{n} more info annotations omitted"));
    }
}
