//! The web UI: plain ES modules and a stylesheet under `crates/web/ui/`,
//! embedded in the binary at compile time and served as they are (no
//! build step, nothing fetched from elsewhere at run time).
//!
//! Every UI page (`/query`, `/alerts`, `/rules`, `/targets`,
//! `/service-discovery`, `/status`, `/flags`, `/config`, `/tsdb-status`)
//! is the same small HTML shell; `app.js` reads the page from the path.
//! Assets live at `assets/<hash>/<file>`, where `<hash>` is a content hash
//! of all embedded files: they are cached for a year as immutable, and a
//! new binary with other assets gets other URLs. The shell is revalidated
//! on every load (`no-cache` with an `ETag`). All URLs in the shell and
//! the scripts are relative, and every page sits one level under the
//! route prefix, so the prefix needs no templating. The scripts put every
//! value from the server in the page as text, never as markup; a
//! `Content-Security-Policy` keeps the browser on this origin.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file: its name under `assets/<hash>/`, its bytes and its
/// content type.
struct Asset {
    name: &'static str,
    body: &'static [u8],
    content_type: &'static str,
}

macro_rules! asset {
    ($name:literal, $ct:expr) => {
        Asset {
            name: $name,
            body: include_bytes!(concat!("../ui/", $name)),
            content_type: $ct,
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = &[
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("util.js", JS),
    asset!("query.js", JS),
    asset!("graph.js", JS),
    asset!("complete.js", JS),
    asset!("pages.js", JS),
];

const SHELL: &str = include_str!("../ui/index.html");

/// The pages served by the shell, relative to the route prefix.
pub(crate) const PAGES: &[&str] = &[
    "/query",
    "/alerts",
    "/rules",
    "/targets",
    "/service-discovery",
    "/status",
    "/flags",
    "/config",
    "/tsdb-status",
];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'self'";

/// FNV-1a (64 bits) over every asset's name and bytes: stable across
/// builds of the same files, different when any file changes.
static HASH: LazyLock<String> = LazyLock::new(|| {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for a in ASSETS {
        eat(a.name.as_bytes());
        eat(&[0]);
        eat(a.body);
    }
    eat(SHELL.as_bytes());
    format!("{h:016x}")
});

/// The shell with its asset URLs filled in.
static PAGE: LazyLock<String> =
    LazyLock::new(|| SHELL.replace("{{ASSETS}}", &format!("assets/{}", *HASH)));

/// The UI's routes, to merge into the router under the prefix.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut r = Router::new().route("/assets/{version}/{file}", get(asset));
    for p in PAGES {
        r = r.route(p, get(page));
    }
    r
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

fn with_headers(mut r: Response, pairs: &[(header::HeaderName, &str)]) -> Response {
    for (k, v) in pairs {
        if let Ok(v) = HeaderValue::from_str(v) {
            r.headers_mut().insert(k.clone(), v);
        }
    }
    r
}

/// `GET /query` and the other pages: the shell.
pub(crate) async fn page(headers: HeaderMap) -> Response {
    let etag = format!("\"{}\"", *HASH);
    let common = [
        (header::ETAG, etag.as_str()),
        (header::CACHE_CONTROL, "no-cache"),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    if etag_matches(&headers, &etag) {
        return with_headers(StatusCode::NOT_MODIFIED.into_response(), &common);
    }
    let r = with_headers(PAGE.as_str().into_response(), &common);
    with_headers(r, &[(header::CONTENT_TYPE, "text/html; charset=utf-8")])
}

/// `GET /assets/<version>/<file>`: an embedded file; immutable when
/// `<version>` is the current hash, revalidated otherwise (a page of an
/// older binary still gets today's files, but does not keep them).
async fn asset(Path((version, file)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}-{}\"", *HASH, a.name);
    let cache = if version == *HASH {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let common = [
        (header::ETAG, etag.as_str()),
        (header::CACHE_CONTROL, cache),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    if etag_matches(&headers, &etag) {
        return with_headers(StatusCode::NOT_MODIFIED.into_response(), &common);
    }
    let r = with_headers(a.body.into_response(), &common);
    with_headers(r, &[(header::CONTENT_TYPE, a.content_type)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_points_at_hashed_assets_that_exist() {
        assert!(!PAGE.contains("{{ASSETS}}"));
        let needle = format!("assets/{}/", *HASH);
        let mut refs = 0;
        for part in PAGE.split(needle.as_str()).skip(1) {
            let name = part.split('"').next().unwrap_or("");
            assert!(ASSETS.iter().any(|a| a.name == name), "{name}");
            refs += 1;
        }
        assert!(refs >= 3);
    }

    #[test]
    fn every_module_import_is_embedded() {
        for a in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            let text = std::str::from_utf8(a.body).unwrap();
            let names: Vec<&str> = text
                .split("from \"./")
                .skip(1)
                .filter_map(|r| r.split('"').next())
                .collect();
            assert!(a.name == "util.js" || !names.is_empty(), "{}", a.name);
            for name in names {
                assert!(ASSETS.iter().any(|b| b.name == name), "{}: {name}", a.name);
            }
        }
    }
}
