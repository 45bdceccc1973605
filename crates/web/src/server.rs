//! The router: every route under the route prefix, request metrics, the
//! lifecycle endpoints, `/metrics`, redirects, and [`serve`] with graceful
//! shutdown.
//!
//! Routes (relative to `--web.route-prefix`): `/api/v1/*` (see
//! [`crate::api`]; `/api/v1/read` is [`crate::remote_read`]), `/federate`, `/metrics`, `/-/healthy`, `/-/ready`,
//! `/-/reload`, `/-/quit`, `/` (redirect to the query page), the UI pages
//! and assets of [`crate::page`], and `/graph` (redirect to `/query`). With
//! a prefix, `/` outside it redirects into it.

use std::future::Future;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use vigil_exposition::negotiate::{Format, negotiate};

use crate::api::{self, ApiFn};
use crate::state::WebState;

macro_rules! api_route {
    ($f:expr) => {
        move |State(s): State<Arc<WebState>>, req: Request| api::run(s, $f as ApiFn, req, None)
    };
}

/// Builds the router serving `state`.
pub fn router(state: Arc<WebState>) -> Router {
    use crate::api::{admin, parse_query, query, rules, series, status, targets};
    let api = Router::new()
        .route(
            "/query",
            get(api_route!(query::query)).post(api_route!(query::query)),
        )
        .route(
            "/query_range",
            get(api_route!(query::query_range)).post(api_route!(query::query_range)),
        )
        .route(
            "/format_query",
            get(api_route!(query::format_query)).post(api_route!(query::format_query)),
        )
        .route(
            "/parse_query",
            get(api_route!(parse_query::parse_query)).post(api_route!(parse_query::parse_query)),
        )
        .route(
            "/query_exemplars",
            get(api_route!(series::query_exemplars)).post(api_route!(series::query_exemplars)),
        )
        .route(
            "/series",
            get(api_route!(series::series)).post(api_route!(series::series)),
        )
        .route(
            "/labels",
            get(api_route!(series::label_names)).post(api_route!(series::label_names)),
        )
        .route("/label/{name}/values", get(label_values))
        .route("/targets", get(api_route!(targets::targets)))
        .route(
            "/targets/metadata",
            get(api_route!(targets::target_metadata)),
        )
        .route("/metadata", get(api_route!(targets::metadata)))
        .route("/scrape_pools", get(api_route!(targets::scrape_pools)))
        .route("/rules", get(api_route!(rules::rules)))
        .route("/alerts", get(api_route!(rules::alerts)))
        .route("/alertmanagers", get(api_route!(rules::alertmanagers)))
        .route("/status/config", get(api_route!(status::config)))
        .route("/status/flags", get(api_route!(status::flags)))
        .route("/status/runtimeinfo", get(api_route!(status::runtime_info)))
        .route("/status/buildinfo", get(api_route!(status::build_info)))
        .route("/status/tsdb", get(api_route!(status::tsdb)))
        .route("/status/walreplay", get(wal_replay))
        .route("/features", get(api_route!(status::features)))
        .route("/notifications", get(notifications))
        .route("/notifications/live", get(notifications_live))
        .route(
            "/admin/tsdb/delete_series",
            post(api_route!(admin::delete_series)).put(api_route!(admin::delete_series)),
        )
        .route(
            "/admin/tsdb/clean_tombstones",
            post(api_route!(admin::clean_tombstones)).put(api_route!(admin::clean_tombstones)),
        )
        .route(
            "/admin/tsdb/snapshot",
            post(api_route!(admin::snapshot)).put(api_route!(admin::snapshot)),
        )
        .route("/write", post(crate::remote_write::handler))
        .route("/read", post(crate::remote_read::handler));
    let inner = Router::new()
        .nest("/api/v1", api)
        .route("/federate", get(crate::federate::handler))
        .route("/metrics", get(metrics))
        .route("/-/healthy", get(healthy).head(healthy_head))
        .route("/-/ready", get(ready).head(ready_head))
        .route("/-/reload", post(reload).put(reload).get(lifecycle_get))
        .route("/-/quit", post(quit).put(quit).get(lifecycle_get))
        .route("/", get(home))
        .merge(crate::page::routes())
        .route("/graph", get(graph));
    let prefix = state.options.route_prefix.clone();
    let router = if prefix.is_empty() {
        inner
    } else {
        let to = prefix.clone();
        Router::new().nest(&prefix, inner).route(
            "/",
            get(move || async move { redirect(StatusCode::FOUND, &to) }),
        )
    };
    router
        .layer(middleware::from_fn_with_state(Arc::clone(&state), track))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` completes; open
/// requests are allowed to finish (graceful shutdown).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_limited(listener, 0, router, shutdown).await
}

/// Connection limits of [`serve_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServeOptions {
    /// At most this many connections open at once
    /// (`--web.max-connections`; 0 for no limit).
    pub max_connections: usize,
    /// Reading a request (headers and body) must finish within this
    /// (`--web.read-timeout`; `None` for no limit).
    pub read_timeout: Option<std::time::Duration>,
}

/// Like [`serve`], holding at most `max_connections` connections open at
/// once (`--web.max-connections`; 0 for no limit).
pub async fn serve_limited(
    listener: TcpListener,
    max_connections: usize,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let opts = ServeOptions {
        max_connections,
        read_timeout: None,
    };
    serve_with(listener, opts, router, shutdown).await
}

/// Like [`serve`], with the connection limits of `opts`.
pub async fn serve_with(
    listener: TcpListener,
    opts: ServeOptions,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = crate::listener::LimitedListener::new(listener, opts.max_connections)
        .with_read_timeout(opts.read_timeout);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

fn redirect(code: StatusCode, to: &str) -> Response {
    let mut r = code.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn text(code: StatusCode, body: impl Into<String>) -> Response {
    let mut r = (code, body.into()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The path of the external URL (`http://h/p` → `/p`, none → ``).
fn external_path(state: &WebState) -> String {
    let u = &state.options.external_url;
    let rest = u.split_once("://").map_or(u.as_str(), |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    path.trim_end_matches('/').to_string()
}

/// Counts and times every routed request under its route pattern
/// (`/api/v1/label/:name/values`, without the route prefix), and answers
/// CORS preflights of the API.
async fn track(State(state): State<Arc<WebState>>, req: Request, next: Next) -> Response {
    let prefix = &state.options.route_prefix;
    if req.method() == Method::OPTIONS
        && req
            .uri()
            .path()
            .strip_prefix(prefix.as_str())
            .is_some_and(|p| p.starts_with("/api/v1/"))
    {
        let mut resp = StatusCode::NO_CONTENT.into_response();
        api::set_cors(&mut resp, req.headers().contains_key(header::ORIGIN));
        return resp;
    }
    // `<prefix>/` is the home page too; the nested router does not see it.
    if !prefix.is_empty()
        && req.method() == Method::GET
        && req.uri().path().strip_prefix(prefix.as_str()) == Some("/")
    {
        return home(State(Arc::clone(&state))).await;
    }
    let handler = req.extensions().get::<MatchedPath>().map(|m| {
        let p = m.as_str();
        let p = p.strip_prefix(prefix.as_str()).unwrap_or(p);
        let p = if p.is_empty() { "/" } else { p };
        p.replace('{', ":").replace('}', "").replace(":*", "*")
    });
    let started = Instant::now();
    let resp = next.run(req).await;
    if let Some(h) = handler {
        state
            .metrics
            .observe(&h, resp.status().as_u16(), started.elapsed());
    }
    resp
}

async fn label_values(
    State(s): State<Arc<WebState>>,
    Path(name): Path<String>,
    req: Request,
) -> Response {
    api::run(s, crate::api::series::label_values, req, Some(name)).await
}

/// WAL replay progress is served before the server is ready (that is
/// when it matters).
async fn wal_replay(State(s): State<Arc<WebState>>, req: Request) -> Response {
    let params = crate::params::Params::default();
    let ctl = vigil_promql::engine::QueryControl::new();
    let canceled = std::sync::atomic::AtomicBool::new(false);
    let has_origin = req.headers().contains_key(header::ORIGIN);
    let ctx = api::Ctx {
        state: &s,
        params: &params,
        ctl: &ctl,
        canceled: &canceled,
        path_name: None,
    };
    let mut resp = api::render(crate::api::status::wal_replay(&ctx));
    api::set_cors(&mut resp, has_origin);
    resp
}

/// `GET /api/v1/notifications`: served before readiness too, since the
/// start-up notice is what it shows then.
async fn notifications(State(s): State<Arc<WebState>>, req: Request) -> Response {
    let mut data = String::from("[");
    for (i, n) in s.notifications().get().iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        data.push_str(&n.to_json());
    }
    data.push(']');
    let mut resp = api::render(Ok(api::Output::data(data)));
    api::set_cors(&mut resp, req.headers().contains_key(header::ORIGIN));
    resp
}

/// `GET /api/v1/notifications/live`: every notification in effect, then
/// each change, as server-sent events until the client goes away; 204
/// when the subscriber limit is reached.
async fn notifications_live(State(s): State<Arc<WebState>>, req: Request) -> Response {
    let has_origin = req.headers().contains_key(header::ORIGIN);
    let mut resp = match s.notifications().subscribe() {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(sub) => {
            let mut r = Response::new(Body::from_stream(sub));
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
            r
        }
    };
    api::set_cors(&mut resp, has_origin);
    resp
}

async fn home(State(s): State<Arc<WebState>>) -> Response {
    redirect(StatusCode::FOUND, &format!("{}/query", external_path(&s)))
}

async fn graph(State(s): State<Arc<WebState>>, req: Request) -> Response {
    let q = req.uri().query().unwrap_or("");
    redirect(
        StatusCode::FOUND,
        &format!("{}/query?{q}", external_path(&s)),
    )
}

async fn healthy(State(s): State<Arc<WebState>>) -> Response {
    text(
        StatusCode::OK,
        format!("{} is Healthy.\n", s.options.app_name),
    )
}

async fn healthy_head() -> Response {
    StatusCode::OK.into_response()
}

async fn ready(State(s): State<Arc<WebState>>) -> Response {
    if let Some(r) = api::not_ready(s.readiness()) {
        return r;
    }
    text(
        StatusCode::OK,
        format!("{} is Ready.\n", s.options.app_name),
    )
}

async fn ready_head(State(s): State<Arc<WebState>>) -> Response {
    api::not_ready(s.readiness()).unwrap_or_else(|| StatusCode::OK.into_response())
}

async fn lifecycle_get() -> Response {
    text(
        StatusCode::METHOD_NOT_ALLOWED,
        "Only POST or PUT requests allowed",
    )
}

fn lifecycle_disabled() -> Response {
    text(StatusCode::FORBIDDEN, "Lifecycle API is not enabled.")
}

async fn reload(State(s): State<Arc<WebState>>) -> Response {
    if !s.options.enable_lifecycle {
        return lifecycle_disabled();
    }
    let Some(hook) = s.reload.clone() else {
        return StatusCode::OK.into_response();
    };
    match hook().await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to reload config: {e}\n"),
        ),
    }
}

async fn quit(State(s): State<Arc<WebState>>) -> Response {
    if !s.options.enable_lifecycle {
        return lifecycle_disabled();
    }
    if s.quit_called.swap(true, Ordering::SeqCst) {
        return text(StatusCode::OK, "Termination already in progress.");
    }
    if let Some(q) = &s.quit {
        q();
    }
    text(StatusCode::OK, "Requesting termination... Goodbye!")
}

/// Whether an `Accept-Encoding` header allows gzip.
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|part| {
                let mut it = part.split(';');
                let coding = it.next().unwrap_or("").trim();
                let q_zero = it.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f64>().ok())
                        .is_some_and(|q| q == 0.0)
                });
                coding.eq_ignore_ascii_case("gzip") && !q_zero
            })
        })
}

/// An exposition response, gzip-compressed when the client allows it.
pub(crate) fn exposition_response(
    headers: &HeaderMap,
    content_type: String,
    body: Vec<u8>,
) -> Response {
    let compressed = if accepts_gzip(headers) {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&body).and_then(|()| enc.finish()).ok()
    } else {
        None
    };
    let gzipped = compressed.is_some();
    let body = compressed.unwrap_or(body);
    let mut r = Response::new(Body::from(body));
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if gzipped {
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    r
}

/// Writes families in a negotiated format.
pub(crate) fn encode(format: Format, families: &[vigil_exposition::MetricFamily]) -> Vec<u8> {
    let mut out = Vec::new();
    match format {
        Format::ProtobufDelimited => vigil_exposition::encode::protobuf::write(&mut out, families),
        Format::OpenMetrics0_0_1 | Format::OpenMetrics1_0_0 => {
            vigil_exposition::encode::openmetrics::write(&mut out, families)
        }
        Format::PrometheusText0_0_4 | Format::PrometheusText1_0_0 => {
            vigil_exposition::encode::text::write(&mut out, families)
        }
    }
    out
}

/// Negotiates an exposition format as `expfmt.Negotiate` does: only
/// entries naming a format exactly count (a wildcard such as `*/*` picks
/// no format), and the text format is the fallback.
pub(crate) fn negotiate_exposition(headers: &HeaderMap) -> (Format, vigil_model::EscapingScheme) {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let specific: Vec<&str> = accept
        .split(',')
        .filter(|e| {
            let media = e.split(';').next().unwrap_or("").trim();
            !media.starts_with('*') && !media.ends_with("/*")
        })
        .collect();
    negotiate(&specific.join(","), false)
}

/// `GET /metrics`: format from `Accept` as client_golang's default
/// handler negotiates it (text or protobuf; no OpenMetrics).
async fn metrics(State(s): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let (format, escaping) = negotiate_exposition(&headers);
    let st = Arc::clone(&s);
    let body = tokio::task::spawn_blocking(move || {
        let fams = vigil_exposition::encode::escape_families(&st.gather(), escaping);
        encode(format, &fams)
    })
    .await;
    match body {
        Ok(b) => exposition_response(&headers, format.content_type(escaping), b),
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("error gathering metrics: {e}\n"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_acceptance() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("deflate, gzip;q=1.0"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0"),
        );
        assert!(!accepts_gzip(&h));
    }
}
