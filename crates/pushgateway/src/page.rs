//! The web UI: two server-rendered pages, `/` (every group with its grouping
//! labels, push times and metric families, each group deletable) and
//! `/status` (build information, start time, flags). The HTML carries its
//! own small stylesheet (light and dark) and one inline script for the
//! delete buttons, so the page needs no assets, no build step and no
//! request beyond this server. Without scripts the pages still read fine;
//! only deleting needs them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::SystemTime;

use vigil_exposition::encode;

use crate::api::rfc3339;
use crate::store::{Group, StoredFamily};

/// What a page needs besides the groups.
#[derive(Debug, Clone, Copy)]
pub struct PageContext<'a> {
    /// `--web.route-prefix`, normalised (empty or `/x`): links and the
    /// delete requests go under it.
    pub route_prefix: &'a str,
    /// Whether `--web.enable-admin-api` is on (offers "Delete all groups").
    pub admin_api: bool,
    /// The flags as `/api/v1/status` shows them.
    pub flags: &'a BTreeMap<String, String>,
    /// When the server started.
    pub start: SystemTime,
}

/// Which page to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// `/`: the pushed groups.
    Metrics,
    /// `/status`: build information and flags.
    Status,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn time(t: Option<SystemTime>) -> String {
    t.map_or_else(|| "never".to_string(), rfc3339)
}

const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fff;--muted:#5f6368;--line:#d0d4d9;\
--chip:#e8eefc;--code:#f5f6f8;--bad:#b00020;--btn:#1a5fb4;--btnfg:#fff}\
@media (prefers-color-scheme:dark){:root{--fg:#e6e6e6;--bg:#17181a;--muted:#a0a4a8;\
--line:#3a3d42;--chip:#263350;--code:#202226;--bad:#ff7a8a;--btn:#78aeed;--btnfg:#111}}\
body{font-family:system-ui,sans-serif;margin:0;color:var(--fg);background:var(--bg)}\
header{display:flex;gap:2em;align-items:center;padding:.6em 2em;border-bottom:1px solid var(--line)}\
header h1{font-size:1.2em;margin:0}nav a{margin-right:1em;color:inherit}\
nav a[aria-current=page]{font-weight:bold}main{padding:0 2em 2em}\
.group{border:1px solid var(--line);border-radius:6px;margin:1em 0;padding:.5em 1em}\
.group h2{font-size:1em;margin:.3em 0;display:flex;flex-wrap:wrap;gap:.3em}\
.label{background:var(--chip);border-radius:3px;padding:0 .4em;font-family:monospace}\
.meta{color:var(--muted);margin:.3em 0}.failed{color:var(--bad);font-weight:bold}\
details{margin:.3em 0}summary{cursor:pointer}.kind{color:var(--muted);margin-left:.5em}\
pre{background:var(--code);padding:.5em;overflow-x:auto;margin:.3em 0}\
button{background:var(--btn);color:var(--btnfg);border:0;border-radius:4px;padding:.3em .8em;cursor:pointer}\
button.secondary{background:transparent;color:var(--fg);border:1px solid var(--line)}\
button:focus-visible,a:focus-visible,summary:focus-visible{outline:2px solid var(--btn);outline-offset:2px}\
.actions{display:flex;gap:.5em;align-items:center;margin:.4em 0}[hidden]{display:none!important}\
table{border-collapse:collapse}td,th{border-bottom:1px solid var(--line);padding:.2em .8em;text-align:left}\
#error{color:var(--bad)}";

/// Two-step delete, so a stray click or key press deletes nothing: the
/// first button reveals "Confirm" and "Cancel"; "Confirm" sends the DELETE
/// (or the admin wipe) and reloads the page.
const SCRIPT: &str = "\
function vigilSend(method,url){var err=document.getElementById('error');\
fetch(url,{method:method}).then(function(r){if(r.ok){location.reload();}\
else{r.text().then(function(t){err.textContent='Deleting failed: '+r.status+' '+t;});}})\
.catch(function(e){err.textContent='Deleting failed: '+e;});}\
document.querySelectorAll('.actions').forEach(function(box){\
var ask=box.querySelector('.ask'),confirmBtn=box.querySelector('.confirm'),cancel=box.querySelector('.cancel');\
ask.addEventListener('click',function(){ask.hidden=true;confirmBtn.hidden=false;cancel.hidden=false;confirmBtn.focus();});\
cancel.addEventListener('click',function(){ask.hidden=false;confirmBtn.hidden=true;cancel.hidden=true;ask.focus();});\
confirmBtn.addEventListener('click',function(){vigilSend(box.dataset.method,box.dataset.url);});});";

fn head(html: &mut String, title: &str, ctx: &PageContext<'_>, view: View) {
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>{title} - Vigil Pushgateway</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>Vigil Pushgateway</h1><nav>"
    );
    for (v, path, name) in [
        (View::Metrics, "/", "Metrics"),
        (View::Status, "/status", "Status"),
    ] {
        let current = if v == view {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            html,
            "<a href=\"{}{path}\"{current}>{name}</a>",
            escape(ctx.route_prefix)
        );
    }
    html.push_str("</nav></header>\n<main>\n<p id=\"error\" role=\"alert\"></p>\n");
}

fn delete_controls(html: &mut String, method: &str, url: &str, what: &str) {
    let _ = writeln!(
        html,
        "<div class=\"actions\" data-method=\"{method}\" data-url=\"{}\">\
         <button type=\"button\" class=\"ask\">Delete {what}</button>\
         <button type=\"button\" class=\"confirm\" hidden>Confirm: delete {what}</button>\
         <button type=\"button\" class=\"cancel secondary\" hidden>Cancel</button></div>",
        escape(url)
    );
}

fn family(html: &mut String, f: &StoredFamily) {
    let mut text = Vec::new();
    encode::text::write(&mut text, &[f.to_family()]);
    let _ = write!(
        html,
        "<details class=\"family\"><summary><code>{}</code><span class=\"kind\">{}</span>\
         <span class=\"kind\">pushed {}</span></summary>",
        escape(&f.name),
        f.kind.as_str(),
        rfc3339(f.pushed_at)
    );
    let _ = writeln!(
        html,
        "<pre>{}</pre></details>",
        escape(&String::from_utf8_lossy(&text))
    );
}

fn group(html: &mut String, g: &Group, ctx: &PageContext<'_>) {
    html.push_str("<section class=\"group\">\n<h2>");
    for (n, v) in g.key.iter() {
        let _ = write!(
            html,
            "<span class=\"label\">{}=&quot;{}&quot;</span>",
            escape(n),
            escape(v)
        );
    }
    html.push_str("</h2>\n");
    let _ = writeln!(
        html,
        "<p class=\"meta\">last push: {}; last failure: <span{}>{}</span>; {} metric famil{}</p>",
        time(g.push_time),
        if g.last_push_successful() {
            ""
        } else {
            " class=\"failed\""
        },
        time(g.failure_time),
        g.families.len(),
        if g.families.len() == 1 { "y" } else { "ies" }
    );
    let url = format!("{}/metrics{}", ctx.route_prefix, g.key.to_path());
    delete_controls(html, "DELETE", &url, "group");
    for f in g.families.values() {
        family(html, f);
    }
    html.push_str("</section>\n");
}

fn status(html: &mut String, ctx: &PageContext<'_>) {
    let _ = write!(
        html,
        "<h2>Build information</h2>\n<table><tbody>\
         <tr><th scope=\"row\">version</th><td>{}</td></tr>\
         <tr><th scope=\"row\">started</th><td>{}</td></tr></tbody></table>\n\
         <h2>Flags</h2>\n<table><thead><tr><th>flag</th><th>value</th></tr></thead><tbody>",
        env!("CARGO_PKG_VERSION"),
        rfc3339(ctx.start)
    );
    for (k, v) in ctx.flags {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(k),
            escape(v)
        );
    }
    html.push_str("</tbody></table>\n");
}

/// Renders `view` for `groups`.
pub fn render<'a>(
    groups: impl Iterator<Item = &'a Group>,
    ctx: &PageContext<'_>,
    view: View,
) -> String {
    let mut html = String::with_capacity(4096);
    match view {
        View::Metrics => {
            head(&mut html, "Metrics", ctx, view);
            let groups: Vec<&Group> = groups.collect();
            let _ = writeln!(
                html,
                "<p class=\"meta\">{} group{}</p>",
                groups.len(),
                if groups.len() == 1 { "" } else { "s" }
            );
            if ctx.admin_api && !groups.is_empty() {
                let url = format!("{}/api/v1/admin/wipe", ctx.route_prefix);
                delete_controls(&mut html, "PUT", &url, "all groups");
            }
            for g in &groups {
                group(&mut html, g, ctx);
            }
            if groups.is_empty() {
                html.push_str("<p>No metrics have been pushed.</p>\n");
            }
        }
        View::Status => {
            head(&mut html, "Status", ctx, view);
            status(&mut html, ctx);
        }
    }
    let _ = write!(
        html,
        "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grouping::GroupingKey;

    fn ctx(flags: &BTreeMap<String, String>) -> PageContext<'_> {
        PageContext {
            route_prefix: "/pg",
            admin_api: true,
            flags,
            start: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn metrics_page_escapes_labels_and_links_delete_under_prefix() {
        let g = Group {
            key: GroupingKey::from_pairs([("job", "a<b"), ("instance", "x/y")]),
            families: BTreeMap::new(),
            push_time: None,
            failure_time: Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1)),
        };
        let flags = BTreeMap::new();
        let html = render([&g].into_iter(), &ctx(&flags), View::Metrics);
        assert!(html.contains("job=&quot;a&lt;b&quot;"), "{html}");
        assert!(!html.contains("a<b"));
        assert!(html.contains(&format!("data-url=\"/pg/metrics{}\"", g.key.to_path())));
        assert!(html.contains("data-url=\"/pg/api/v1/admin/wipe\""));
        assert!(html.contains("class=\"failed\""));
        assert!(html.contains("1 group<"));
    }

    #[test]
    fn empty_store_and_status_page() {
        let mut flags = BTreeMap::new();
        flags.insert("web.listen-address".to_string(), ":9091".to_string());
        let c = ctx(&flags);
        let html = render(std::iter::empty(), &c, View::Metrics);
        assert!(html.contains("No metrics have been pushed."));
        assert!(
            !html.contains("admin/wipe"),
            "no wipe button without groups"
        );
        let html = render(std::iter::empty(), &c, View::Status);
        assert!(html.contains("<td>web.listen-address</td><td>:9091</td>"));
        assert!(html.contains("1970-01-01T00:00:00Z"));
        assert!(html.contains("href=\"/pg/status\" aria-current=\"page\""));
    }
}
