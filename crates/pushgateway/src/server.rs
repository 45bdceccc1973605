//! The HTTP server: routes, handlers, and the run loop with periodic and
//! final persistence.
//!
//! Routes (under `--web.route-prefix`):
//! - `PUT|POST|DELETE /metrics/job/<job>{/<label>/<value>}` and the
//!   `job@base64` form: pushes. With the consistency check a push answers
//!   200 or 400 (message in the body); without it 202, as upstream. Deletes
//!   answer 202. Bodies over [`Options::max_body_bytes`] (before or after
//!   `gzip`/`snappy` decoding) are refused with 400.
//! - `GET <telemetry path>`: pushed and own metrics, format negotiated from
//!   `Accept` (protobuf or text, like the Pushgateway's `promhttp` handler),
//!   gzip-compressed when `Accept-Encoding` allows it.
//! - `GET /api/v1/metrics`, `GET /api/v1/status`, `PUT /api/v1/admin/wipe`
//!   (with `--web.enable-admin-api`, 404 otherwise).
//! - `GET /-/healthy`, `GET /-/ready`, `PUT|POST /-/quit` (403 without
//!   `--web.enable-lifecycle`; GET is 405), `GET /` and `/status` (HTML).
//!
//! Paths that are not clean (`//`, `/./`, `/../`) are redirected with 301 to
//! their cleaned form, and `/metrics/job/` with 307 to `/metrics/job`, as
//! Go's `ServeMux` and router do for the Pushgateway.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use vigil_exposition::negotiate::{Format, negotiate};
use vigil_model::ValidationScheme;

use crate::api;
use crate::body::{body_format, decode_content, parse_body};
use crate::error::{PersistError, PushError};
use crate::grouping::parse_push_path_with;
use crate::log::{Level, log};
use crate::merge;
use crate::page;
use crate::persist;
use crate::selfmetrics::SelfMetrics;
use crate::store::{PushRequest, Store};

/// Everything the server needs to know; the binary fills it from flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--web.telemetry-path`.
    pub telemetry_path: String,
    /// `--web.route-prefix`, normalised: empty or `/x` without trailing `/`.
    pub route_prefix: String,
    /// `--web.enable-lifecycle`.
    pub enable_lifecycle: bool,
    /// `--web.enable-admin-api`.
    pub enable_admin_api: bool,
    /// `--persistence.file`, if set.
    pub persistence_file: Option<PathBuf>,
    /// `--persistence.interval`.
    pub persistence_interval: Duration,
    /// The consistency check (off with `--push.disable-consistency-check`).
    pub consistency_check: bool,
    /// Largest accepted push body.
    pub max_body_bytes: usize,
    /// `--push.enable-utf8-names`: UTF-8 metric and label names.
    pub utf8_names: bool,
    /// The flags as shown by `/api/v1/status`.
    pub flags: BTreeMap<String, String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            telemetry_path: "/metrics".into(),
            route_prefix: String::new(),
            enable_lifecycle: false,
            enable_admin_api: false,
            persistence_file: None,
            persistence_interval: Duration::from_secs(300),
            consistency_check: true,
            max_body_bytes: 64 << 20,
            utf8_names: false,
            flags: BTreeMap::new(),
        }
    }
}

/// Normalises a route prefix as the Pushgateway does: `/` and empty become
/// empty; anything else starts with `/` and does not end with one.
pub fn normalize_prefix(prefix: &str) -> String {
    let p = prefix.trim_end_matches('/');
    if p.is_empty() {
        String::new()
    } else if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    }
}

fn names_scheme(utf8: bool) -> ValidationScheme {
    if utf8 {
        ValidationScheme::Utf8
    } else {
        ValidationScheme::Legacy
    }
}

/// Shared state of the handlers.
#[derive(Debug)]
pub struct Gateway {
    store: RwLock<Store>,
    metrics: SelfMetrics,
    options: Options,
    start: SystemTime,
    quit: Notify,
    last_scrape_bytes: AtomicUsize,
    /// Set when the persistence file exists but could not be read: it is
    /// then never overwritten.
    persist_blocked: AtomicBool,
}

fn text(code: StatusCode, body: impl Into<String>) -> Response {
    let mut r = (code, body.into()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn redirect(code: StatusCode, to: &str) -> Response {
    let mut r = code.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "404 page not found\n")
}

/// Go's `path.Clean` keeping a trailing slash, as `ServeMux` applies it.
fn clean_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = format!("/{}", parts.join("/"));
    if p.ends_with('/') && out != "/" {
        out.push('/');
    }
    out
}

/// Percent-decodes a URL path; `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied(), b.get(i + 2).copied()) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

impl Gateway {
    /// A gateway over an empty store.
    pub fn new(options: Options) -> Arc<Gateway> {
        Arc::new(Gateway {
            store: RwLock::new(Store::with_names(
                options.consistency_check,
                names_scheme(options.utf8_names),
            )),
            metrics: SelfMetrics::default(),
            options,
            start: SystemTime::now(),
            quit: Notify::new(),
            last_scrape_bytes: AtomicUsize::new(0),
            persist_blocked: AtomicBool::new(false),
        })
    }

    fn read<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        let guard = self.store.read().unwrap_or_else(|e| e.into_inner());
        f(&guard)
    }

    fn write<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut guard = self.store.write().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Loads the persistence file, if configured. Damage is logged with the
    /// file and offset, the valid prefix is kept, and the damaged file is
    /// moved aside so it is never overwritten.
    pub fn restore(&self) {
        let Some(file) = self.options.persistence_file.clone() else {
            return;
        };
        match persist::load(&file) {
            Err(e) => log(
                Level::Error,
                "could not load persisted metrics",
                &[("err", &e)],
            ),
            Ok(loaded) => {
                let n = loaded.groups.len();
                self.write(|s| loaded.groups.into_iter().for_each(|g| s.restore(g)));
                if let Some(damage) = loaded.damage {
                    log(
                        Level::Error,
                        "persistence file damaged, keeping the groups before the damage",
                        &[("err", &damage), ("groups_loaded", &n)],
                    );
                    match persist::quarantine(&file) {
                        Ok(to) => log(
                            Level::Warn,
                            "damaged persistence file moved aside",
                            &[("file", &to.display())],
                        ),
                        Err(e) => log(Level::Error, "could not move damaged file", &[("err", &e)]),
                    }
                } else if n > 0 {
                    log(Level::Info, "restored persisted groups", &[("groups", &n)]);
                }
            }
        }
    }

    /// Writes the persistence file now (if configured); returns the store
    /// generation written.
    pub fn persist(&self) -> Result<u64, PersistError> {
        let (generation, data) = self.read(|s| (s.generation(), persist::encode(s.groups())));
        if let Some(file) = &self.options.persistence_file {
            if self.persist_blocked.load(Ordering::Relaxed) {
                return Err(PersistError::Unread(file.clone()));
            }
            persist::write_atomic(file, &data)?;
        }
        Ok(generation)
    }

    /// Asks the server to stop (what `/-/quit` does).
    pub fn request_quit(&self) {
        self.quit.notify_one();
    }

    /// The router with every route, under the route prefix.
    pub fn router(self: &Arc<Gateway>) -> Router {
        let o = &self.options;
        let telemetry = if o.telemetry_path.starts_with('/') {
            o.telemetry_path.clone()
        } else {
            format!("/{}", o.telemetry_path)
        };
        let inner = Router::new()
            .route("/metrics/job/{*rest}", any(push))
            .route("/metrics/job@base64/{*rest}", any(push))
            .route(&telemetry, get(metrics))
            .route("/api/v1/metrics", get(api_metrics).options(preflight))
            .route("/api/v1/status", get(api_status).options(preflight))
            .route("/api/v1/admin/wipe", any(wipe))
            .route("/-/healthy", get(healthy))
            .route("/-/ready", get(healthy))
            .route("/-/quit", any(quit))
            .route("/", get(metrics_page))
            .route("/status", get(status_page))
            .fallback(fallback);
        let router = if o.route_prefix.is_empty() {
            inner
        } else {
            // `/prefix/` is the UI's home as much as `/prefix` is.
            Router::new()
                .route(&format!("{}/", o.route_prefix), get(metrics_page))
                .nest(&o.route_prefix, inner)
                .fallback(fallback)
        };
        router.with_state(Arc::clone(self))
    }
}

async fn fallback(State(gw): State<Arc<Gateway>>, method: Method, uri: Uri) -> Response {
    let path = percent_decode(uri.path()).unwrap_or_default();
    let clean = clean_path(&path);
    if clean != path {
        return redirect(StatusCode::MOVED_PERMANENTLY, &clean);
    }
    let job_dir = format!("{}/metrics/job/", gw.options.route_prefix);
    if path == job_dir {
        let code = if method == Method::GET {
            StatusCode::MOVED_PERMANENTLY
        } else {
            StatusCode::TEMPORARY_REDIRECT
        };
        return redirect(code, job_dir.trim_end_matches('/'));
    }
    not_found()
}

async fn push(
    State(gw): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let Some(path) = percent_decode(uri.path()) else {
        return text(StatusCode::BAD_REQUEST, "URL path is not valid UTF-8\n");
    };
    let clean = clean_path(&path);
    if clean != path {
        return redirect(StatusCode::MOVED_PERMANENTLY, &clean);
    }
    let handler = if method == Method::DELETE {
        "delete"
    } else {
        "push"
    };
    if ![Method::PUT, Method::POST, Method::DELETE].contains(&method) {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
    }
    let rel = path
        .strip_prefix(gw.options.route_prefix.as_str())
        .unwrap_or(&path);
    let (rest, b64) = if let Some(r) = rel.strip_prefix("/metrics/job@base64") {
        (r, true)
    } else {
        (rel.strip_prefix("/metrics/job").unwrap_or(rel), false)
    };
    let result = handle_push(&gw, &method, rest, b64, &headers, body).await;
    let (code, bytes, response) = match result {
        Ok((code, bytes)) => (code, bytes, code.into_response()),
        Err((e, bytes)) => {
            log(
                Level::Debug,
                "push rejected",
                &[("method", &method), ("err", &e)],
            );
            if matches!(e, PushError::Inconsistent(_)) {
                log(
                    Level::Error,
                    "pushed metrics are invalid or inconsistent with existing metrics",
                    &[("method", &method), ("err", &e)],
                );
            }
            let code = StatusCode::BAD_REQUEST;
            (code, bytes, text(code, format!("{e}\n")))
        }
    };
    gw.metrics.request(code.as_u16(), handler, method.as_str());
    if method != Method::DELETE {
        gw.metrics.push(method.as_str(), started.elapsed(), bytes);
    }
    response
}

async fn handle_push(
    gw: &Gateway,
    method: &Method,
    rest: &str,
    b64: bool,
    headers: &HeaderMap,
    body: Body,
) -> Result<(StatusCode, usize), (PushError, usize)> {
    // The body is read before anything can be refused: answering while the
    // client is still sending makes the kernel reset the connection, and
    // the client would see that instead of the 400 and its message.
    let limit = gw.options.max_body_bytes;
    let raw = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| (PushError::TooLarge(limit), limit))?;
    let key = parse_push_path_with(rest, b64, names_scheme(gw.options.utf8_names))
        .map_err(|e| (PushError::from(e), raw.len()))?;
    if *method == Method::DELETE {
        gw.write(|s| s.delete(&key));
        return Ok((StatusCode::ACCEPTED, 0));
    }
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let bytes = decode_content(encoding, &raw, limit).map_err(|e| (e, raw.len()))?;
    let n = bytes.len();
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let families = parse_body(body_format(ct), &bytes).map_err(|e| (e, n))?;
    let req = PushRequest {
        key,
        families,
        replace: *method == Method::PUT,
        time: SystemTime::now(),
    };
    let result = gw.write(|s| s.push(req));
    if !gw.options.consistency_check {
        if let Err(e) = result {
            log(Level::Error, "push failed", &[("err", &e)]);
        }
        return Ok((StatusCode::ACCEPTED, n));
    }
    result.map(|()| (StatusCode::OK, n)).map_err(|e| (e, n))
}

async fn metrics(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (mut format, escaping) = negotiate(accept, false);
    // Go's `expfmt.Negotiate` only serves protobuf to a client that names
    // it; a bare `*/*` (curl's default) gets text.
    if format == Format::ProtobufDelimited
        && !accept
            .to_ascii_lowercase()
            .contains("application/vnd.google.protobuf")
    {
        format = Format::PrometheusText0_0_4;
    }
    let own = gw.metrics.gather();
    // Sized like the last scrape: one allocation instead of a doubling
    // series of large ones that fragment the heap.
    let mut out = Vec::with_capacity(gw.last_scrape_bytes.load(Ordering::Relaxed) + 4096);
    gw.read(|s| {
        merge::write(
            &mut out,
            format,
            escaping,
            gw.options.consistency_check && !gw.options.utf8_names,
            own,
            s,
        );
    });
    gw.last_scrape_bytes.store(out.len(), Ordering::Relaxed);
    // Compressed for clients that accept gzip (Prometheus does), as
    // client_golang's handler does.
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(accepts_gzip);
    let mut r = match gzip.then(|| gzip_bytes(&out)).flatten() {
        Some(compressed) => {
            let mut r = compressed.into_response();
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        None => out.into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&format.content_type(escaping)) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// Whether an `Accept-Encoding` value allows gzip (`q=0` refuses it).
fn accepts_gzip(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|part| {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or_default().trim();
        let refused = it.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f64>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        coding.eq_ignore_ascii_case("gzip") && !refused
    })
}

/// `data` gzip-compressed (fast level: scrapes are frequent), `None` if
/// compression fails (the body is then sent as is).
fn gzip_bytes(data: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4),
        flate2::Compression::fast(),
    );
    e.write_all(data).ok()?;
    e.finish().ok()
}

fn json(gw: &Gateway, handler: &'static str, body: String) -> Response {
    let method = if handler == "api/v1/options" {
        "options"
    } else {
        "get"
    };
    gw.metrics.request(200, handler, method);
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (k, v) in [
        (
            "access-control-allow-headers",
            "Accept, Authorization, Content-Type, Origin",
        ),
        ("access-control-allow-methods", "GET, POST, DELETE, OPTIONS"),
        ("access-control-allow-origin", "*"),
        ("access-control-expose-headers", "Date"),
        ("cache-control", "no-cache, no-store, must-revalidate"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    r
}

/// CORS preflight for the API, as upstream answers `OPTIONS`.
async fn preflight(State(gw): State<Arc<Gateway>>) -> Response {
    let mut r = json(&gw, "api/v1/options", String::new());
    r.headers_mut().remove(header::CONTENT_TYPE);
    r
}

async fn api_metrics(State(gw): State<Arc<Gateway>>) -> Response {
    let data = gw.read(|s| api::metrics_json(s.groups()));
    json(&gw, "api/v1/metrics", api::success(data))
}

async fn api_status(State(gw): State<Arc<Gateway>>) -> Response {
    let data = api::status_json(&gw.options.flags, gw.start);
    json(&gw, "api/v1/status", api::success(data))
}

async fn wipe(State(gw): State<Arc<Gateway>>, method: Method) -> Response {
    if !gw.options.enable_admin_api || method != Method::PUT {
        return not_found();
    }
    gw.write(Store::wipe);
    log(Level::Info, "metric store wiped", &[]);
    gw.metrics.request(202, "wipe", "put");
    StatusCode::ACCEPTED.into_response()
}

async fn healthy(State(gw): State<Arc<Gateway>>, uri: Uri) -> Response {
    let handler = if uri.path().ends_with("ready") {
        "ready"
    } else {
        "healthy"
    };
    gw.metrics.request(200, handler, "get");
    text(StatusCode::OK, "OK")
}

async fn quit(State(gw): State<Arc<Gateway>>, method: Method) -> Response {
    if method != Method::PUT && method != Method::POST {
        return text(
            StatusCode::METHOD_NOT_ALLOWED,
            "Only POST or PUT requests allowed.",
        );
    }
    if !gw.options.enable_lifecycle {
        return text(StatusCode::FORBIDDEN, "Lifecycle API is not enabled.");
    }
    gw.request_quit();
    text(StatusCode::OK, "Requesting termination... Goodbye!")
}

async fn metrics_page(State(gw): State<Arc<Gateway>>) -> Response {
    ui_page(&gw, page::View::Metrics)
}

async fn status_page(State(gw): State<Arc<Gateway>>) -> Response {
    ui_page(&gw, page::View::Status)
}

fn ui_page(gw: &Gateway, view: page::View) -> Response {
    gw.metrics.request(200, "status", "get");
    let o = &gw.options;
    let ctx = page::PageContext {
        route_prefix: &o.route_prefix,
        admin_api: o.enable_admin_api,
        flags: &o.flags,
        start: gw.start,
    };
    let html = gw.read(|s| page::render(s.groups(), &ctx, view));
    let mut r = html.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// How long shutdown waits for open connections before persisting anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves on `listener` until `shutdown` completes or `/-/quit` is called:
/// restores the persistence file first, writes it every
/// `persistence_interval` while there are changes, and once more on the way
/// out.
pub async fn run(
    gw: Arc<Gateway>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let persister = gw.options.persistence_file.is_some().then(|| {
        let gw = Arc::clone(&gw);
        tokio::spawn(async move {
            let mut written = gw.read(Store::generation);
            loop {
                tokio::time::sleep(gw.options.persistence_interval).await;
                if gw.read(Store::generation) == written {
                    continue;
                }
                let g2 = Arc::clone(&gw);
                match tokio::task::spawn_blocking(move || g2.persist()).await {
                    Ok(Ok(generation)) => {
                        written = generation;
                        log(Level::Debug, "metrics persisted", &[]);
                    }
                    Ok(Err(e)) => log(Level::Error, "error persisting metrics", &[("err", &e)]),
                    Err(e) => log(Level::Error, "persistence task failed", &[("err", &e)]),
                }
            }
        })
    });
    let router = gw.router();
    let quit_gw = Arc::clone(&gw);
    let drain = Arc::new(Notify::new());
    let drain_rx = Arc::clone(&drain);
    let mut server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move { drain_rx.notified().await })
            .await
    });
    let early = tokio::select! {
        () = shutdown => None,
        () = quit_gw.quit.notified() => None,
        r = &mut server => Some(r),
    };
    let served = match early {
        Some(r) => r.unwrap_or_else(|e| Err(std::io::Error::other(e))),
        None => {
            drain.notify_one();
            // Open connections get a moment to finish; a client that holds
            // one forever must not keep the final persistence from happening.
            match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
                Ok(r) => r.unwrap_or_else(|e| Err(std::io::Error::other(e))),
                Err(_) => {
                    log(Level::Warn, "connections still open at shutdown", &[]);
                    Ok(())
                }
            }
        }
    };
    if let Some(p) = persister {
        p.abort();
    }
    if gw.options.persistence_file.is_some() {
        match gw.persist() {
            Ok(_) => log(Level::Info, "metrics persisted on shutdown", &[]),
            Err(e) => log(Level::Error, "error persisting metrics", &[("err", &e)]),
        }
    }
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_clean_like_go() {
        assert_eq!(clean_path("/metrics/job//a/b"), "/metrics/job/a/b");
        assert_eq!(clean_path("/metrics/job/x/a/"), "/metrics/job/x/a/");
        assert_eq!(clean_path("/a/./b/../c"), "/a/c");
        assert_eq!(percent_decode("/a%2Fb%zz").as_deref(), Some("/a/b%zz"));
        assert_eq!(normalize_prefix("/"), "");
        assert_eq!(normalize_prefix("pg/"), "/pg");
        assert!(accepts_gzip("gzip"));
        assert!(accepts_gzip("deflate, GZIP;q=0.5"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("identity"));
        assert_eq!(
            gzip_bytes(b"abc").map(|g| g.len() > 3 && g[..2] == [0x1f, 0x8b]),
            Some(true)
        );
    }
}
