//! Serving a web UI that is embedded in the binary: the server's and the
//! Alertmanager's pages are plain ES modules and a stylesheet, included
//! at compile time, served as they are (no build step, nothing fetched
//! from elsewhere at run time).
//!
//! An [`EmbeddedUi`] is one HTML shell plus its [`Asset`]s, and the
//! [`SHARED`] ones every UI gets (`style.css`: the theme, light and dark,
//! and the common components; `util.js`: element building, formatting,
//! tables, badges), which live in this crate's `ui/`. Assets live
//! at `assets/<hash>/<file>`, where `<hash>` is a content hash of every
//! embedded file: they are cached for a year as immutable, and a new
//! binary with other assets gets other URLs. The shell, whose
//! `{{ASSETS}}` placeholder becomes `assets/<hash>`, is revalidated on
//! every load (`no-cache` with an `ETag`). A `Content-Security-Policy`
//! keeps the browser on this origin.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file: its name under `assets/<hash>/`, its bytes and its
/// content type.
#[derive(Debug)]
pub struct Asset {
    /// The file name (no directories).
    pub name: &'static str,
    /// The bytes.
    pub body: &'static [u8],
    /// The `Content-Type` it is served with.
    pub content_type: &'static str,
}

/// Embeds `$dir/$name` (relative to the calling file) as an [`Asset`].
#[macro_export]
macro_rules! asset {
    ($dir:literal, $name:literal, $ct:expr) => {
        $crate::Asset {
            name: $name,
            body: include_bytes!(concat!($dir, $name)),
            content_type: $ct,
        }
    };
}

/// The content type of JavaScript modules.
pub const JS: &str = "text/javascript; charset=utf-8";
/// The content type of stylesheets.
pub const CSS: &str = "text/css; charset=utf-8";
/// The content type of SVG images.
pub const SVG: &str = "image/svg+xml";

/// The files every UI gets besides its own.
pub static SHARED: &[Asset] = &[
    asset!("../ui/", "style.css", CSS),
    asset!("../ui/", "util.js", JS),
];

/// Scripts and styles from this origin only; data URLs for images;
/// requests back to this origin only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'self'";

/// A shell and its assets, with the content hash computed once.
#[derive(Debug)]
pub struct EmbeddedUi {
    assets: &'static [Asset],
    hash: String,
    page: String,
}

impl EmbeddedUi {
    /// The UI of `shell` (HTML whose asset URLs are written
    /// `{{ASSETS}}/<file>`) and `assets`.
    pub fn new(shell: &'static str, assets: &'static [Asset]) -> EmbeddedUi {
        // FNV-1a (64 bits) over every asset's name and bytes: stable
        // across builds of the same files, different when any changes.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for a in SHARED.iter().chain(assets) {
            eat(a.name.as_bytes());
            eat(&[0]);
            eat(a.body);
        }
        eat(shell.as_bytes());
        let hash = format!("{h:016x}");
        let page = shell.replace("{{ASSETS}}", &format!("assets/{hash}"));
        EmbeddedUi { assets, hash, page }
    }

    /// The content hash in asset URLs.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The shell as served.
    pub fn page(&self) -> &str {
        &self.page
    }

    /// The embedded files: the UI's own, then the shared ones.
    pub fn assets(&self) -> impl Iterator<Item = &'static Asset> {
        self.assets.iter().chain(SHARED)
    }

    fn find(&self, name: &str) -> Option<&'static Asset> {
        self.assets().find(|a| a.name == name)
    }

    /// Routes for `assets/<version>/<file>` and the shell at each of
    /// `pages`, to merge into a router (under its route prefix).
    pub fn routes<S: Clone + Send + Sync + 'static>(
        ui: &'static LazyLock<EmbeddedUi>,
        pages: &[&str],
    ) -> Router<S> {
        let mut r = Router::new().route(
            "/assets/{version}/{file}",
            get(move |p: Path<(String, String)>, h: HeaderMap| async move { ui.asset(p, h) }),
        );
        for p in pages {
            r = r.route(p, get(move |h: HeaderMap| async move { ui.shell(&h) }));
        }
        r
    }

    /// The shell, or 304 when the client holds this version.
    pub fn shell(&self, headers: &HeaderMap) -> Response {
        let etag = format!("\"{}\"", self.hash);
        let common = [
            (header::ETAG, etag.as_str()),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ];
        if etag_matches(headers, &etag) {
            return with_headers(StatusCode::NOT_MODIFIED.into_response(), &common);
        }
        let r = with_headers(self.page.clone().into_response(), &common);
        with_headers(r, &[(header::CONTENT_TYPE, "text/html; charset=utf-8")])
    }

    /// An embedded file; immutable when `version` is the current hash,
    /// revalidated otherwise (a page of an older binary still gets
    /// today's files, but does not keep them).
    fn asset(&self, Path((version, file)): Path<(String, String)>, headers: HeaderMap) -> Response {
        let Some(a) = self.find(&file) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let etag = format!("\"{}-{}\"", self.hash, a.name);
        let cache = if version == self.hash {
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

    /// Checks that every `{{ASSETS}}/<file>` of the shell and every
    /// `from "./<file>"` import of a module names an embedded file; for
    /// each UI's unit tests.
    pub fn check_references(&self) -> Result<(), String> {
        let needle = format!("assets/{}/", self.hash);
        for part in self.page.split(needle.as_str()).skip(1) {
            let name = part.split('"').next().unwrap_or("");
            if self.find(name).is_none() {
                return Err(format!("shell refers to {name:?}, which is not embedded"));
            }
        }
        for a in self.assets().filter(|a| a.name.ends_with(".js")) {
            let text = std::str::from_utf8(a.body).map_err(|e| format!("{}: {e}", a.name))?;
            for name in text
                .split("from \"./")
                .skip(1)
                .filter_map(|r| r.split('"').next())
            {
                if self.find(name).is_none() {
                    return Err(format!(
                        "{} imports {name:?}, which is not embedded",
                        a.name
                    ));
                }
            }
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    static FILES: &[Asset] = &[
        Asset {
            name: "a.js",
            body: b"import { x } from \"./b.js\";",
            content_type: JS,
        },
        Asset {
            name: "b.js",
            body: b"export const x = 1;",
            content_type: JS,
        },
    ];

    #[test]
    fn hash_fills_the_shell_and_references_check() {
        let ui = EmbeddedUi::new(r#"<script src="{{ASSETS}}/a.js"></script>"#, FILES);
        assert_eq!(ui.hash().len(), 16);
        assert!(ui.page().contains(&format!("assets/{}/a.js", ui.hash())));
        assert_eq!(ui.check_references(), Ok(()));
        let shared = EmbeddedUi::new(r#"<link href="{{ASSETS}}/style.css">"#, FILES);
        assert_eq!(shared.check_references(), Ok(()));
        let bad = EmbeddedUi::new(r#"<script src="{{ASSETS}}/c.js"></script>"#, FILES);
        assert!(bad.check_references().is_err());
    }

    #[test]
    fn shell_revalidates_with_its_etag() {
        let ui = EmbeddedUi::new("<p>x</p>", FILES);
        let r = ui.shell(&HeaderMap::new());
        assert_eq!(r.status(), StatusCode::OK);
        let etag = r.headers().get(header::ETAG).cloned().expect("etag");
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(ui.shell(&h).status(), StatusCode::NOT_MODIFIED);
    }
}
