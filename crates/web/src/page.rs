//! The server's web UI: plain ES modules under `crates/web/ui/` (plus the
//! shared stylesheet and helpers of `vigil-webui`), embedded at compile time and served by
//! [`vigil_webui::EmbeddedUi`] (content-hashed, immutable asset URLs; the
//! shell revalidated on each load; a same-origin CSP).
//!
//! Every UI page (`/query`, `/alerts`, `/rules`, `/targets`,
//! `/service-discovery`, `/status`, `/flags`, `/config`, `/tsdb-status`)
//! is the same small HTML shell; `app.js` reads the page from the path.
//! All URLs in the shell and the scripts are relative, and every page
//! sits one level under the route prefix, so the prefix needs no
//! templating. The scripts put every value from the server in the page as
//! text, never as markup.

use std::sync::LazyLock;

use axum::Router;
use vigil_webui::{Asset, EmbeddedUi, JS, SVG, asset};

static ASSETS: &[Asset] = &[
    asset!("../ui/", "favicon.svg", SVG),
    asset!("../ui/", "app.js", JS),
    asset!("../ui/", "query.js", JS),
    asset!("../ui/", "graph.js", JS),
    asset!("../ui/", "complete.js", JS),
    asset!("../ui/", "highlight.js", JS),
    asset!("../ui/", "pages.js", JS),
];

static UI: LazyLock<EmbeddedUi> =
    LazyLock::new(|| EmbeddedUi::new(include_str!("../ui/index.html"), ASSETS));

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

/// The UI's routes, to merge into the router under the prefix.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    EmbeddedUi::routes(&UI, PAGES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_and_modules_refer_to_embedded_files() {
        assert_eq!(UI.check_references(), Ok(()));
        assert!(UI.page().matches(&format!("assets/{}/", UI.hash())).count() >= 3);
    }
}
