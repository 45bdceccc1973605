//! The Alertmanager's web UI: alert groups as the routing tree groups
//! them, silences (list by state, view with the alerts they mute, create
//! from an alert's labels, edit, expire) and status, over API v2. Plain ES
//! modules under `crates/alertmanager/ui/` with the shared stylesheet and
//! helpers of `vigil-webui`, embedded at compile time. The shell sits at
//! `<prefix>/` and routes by URL fragment as upstream's UI does
//! (`#/alerts`, `#/silences/new?filter=…`), so links Alertmanager puts in
//! notifications keep working.

use std::sync::LazyLock;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::Redirect;
use axum::routing::get;
use vigil_webui::{Asset, CSS, EmbeddedUi, JS, SVG, asset};

static ASSETS: &[Asset] = &[
    asset!("../ui/", "am.js", JS),
    asset!("../ui/", "silences.js", JS),
    asset!("../ui/", "am.css", CSS),
    asset!("../ui/", "favicon.svg", SVG),
];

static UI: LazyLock<EmbeddedUi> =
    LazyLock::new(|| EmbeddedUi::new(include_str!("../ui/index.html"), ASSETS));

/// The UI's routes under `prefix` (`""` or `/path`, no trailing slash):
/// the shell at `<prefix>/`, `<prefix>` redirected there (the shell's
/// URLs are relative), assets under `<prefix>/assets/`.
pub fn routes<S: Clone + Send + Sync + 'static>(prefix: &str) -> Router<S> {
    let assets = EmbeddedUi::routes(&UI, &[]);
    let shell = get(|h: HeaderMap| async move { UI.shell(&h) });
    if prefix.is_empty() || prefix == "/" {
        return assets.route("/", shell);
    }
    let to = format!("{prefix}/");
    Router::new()
        .nest(prefix, assets)
        .route(&to, shell)
        .route(prefix, get(move || async move { Redirect::permanent(&to) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_and_modules_refer_to_embedded_files() {
        assert_eq!(UI.check_references(), Ok(()));
        assert!(UI.page().contains("am.js"));
    }
}
