//! The status page at `/`: server-rendered HTML listing every group with its
//! grouping labels, last push and failure times, and its metrics in the text
//! exposition format. No scripts, no external assets.

use std::fmt::Write as _;

use vigil_exposition::encode;

use crate::api::rfc3339;
use crate::store::{Group, StoredFamily};

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

fn time(t: Option<std::time::SystemTime>) -> String {
    t.map_or_else(|| "never".to_string(), rfc3339)
}

/// Renders the page for `groups`.
pub fn render<'a>(groups: impl Iterator<Item = &'a Group>) -> String {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Vigil Pushgateway</title>\n<style>\
         body{font-family:sans-serif;margin:1em 2em}\
         .group{border:1px solid #ccc;border-radius:4px;margin:1em 0;padding:.5em 1em}\
         .label{background:#eef;border-radius:3px;padding:0 .3em;margin-right:.3em}\
         .failed{color:#a00}pre{background:#f6f6f6;padding:.5em;overflow-x:auto}\
         </style>\n</head>\n<body>\n<h1>Vigil Pushgateway</h1>\n",
    );
    let mut count = 0;
    for g in groups {
        count += 1;
        html.push_str("<div class=\"group\">\n<h2>");
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
            "<p>last push: {}; last failure: <span{}>{}</span></p>",
            time(g.push_time),
            if g.last_push_successful() {
                ""
            } else {
                " class=\"failed\""
            },
            time(g.failure_time)
        );
        let families: Vec<_> = g.families.values().map(StoredFamily::to_family).collect();
        let mut text = Vec::new();
        encode::text::write(&mut text, &families);
        let _ = writeln!(
            html,
            "<pre>{}</pre>\n</div>",
            escape(&String::from_utf8_lossy(&text))
        );
    }
    if count == 0 {
        html.push_str("<p>No metrics have been pushed.</p>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}
