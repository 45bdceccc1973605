//! The server's web UI in a real browser (see `browser_support` for the
//! harness) against `vigil server` scraping itself every second with one
//! recording rule and one always-firing alert. Each test saves a screenshot
//! under `<target>/ui-screenshots/`.

mod browser_support;

use std::process::{Command, Stdio};

use browser_support::{Browser, ENTER, Proc, free_port, have_browser, http, wait_for};
use serde_json::json;

/// `vigil server` scraping itself every second, with a recording rule and
/// an alert that always fires; extra flags in `extra`.
struct Server {
    _proc: Proc,
    _dir: tempfile::TempDir,
    port: u16,
    base: String,
}

fn start_server(extra: &[&str], prefix: &str) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let rules = dir.path().join("rules.yml");
    std::fs::write(
        &rules,
        "groups:\n- name: ui-test\n  rules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n\
         \x20 - alert: AlwaysFiring\n    expr: vector(1)\n    labels:\n      severity: page\n\
         \x20   annotations:\n      summary: It always fires.\n",
    )
    .expect("rules");
    let config = dir.path().join("vigil.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: ['{}']\n\
             scrape_configs:\n- job_name: vigil\n  metrics_path: {prefix}/metrics\n  static_configs:\n  - targets: ['127.0.0.1:{port}']\n",
            rules.display()
        ),
    )
    .expect("config");
    let log = dir.path().join("vigil.log");
    let mut args = vec![
        "server".to_string(),
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("start vigil server");
    let proc = Proc(child);
    // Ready once `up` has been scraped and the alert fires.
    let ready = wait_for(60, || {
        let up = http(
            port,
            "GET",
            &format!("{prefix}/api/v1/query?query=up"),
            None,
        );
        let alerts = http(port, "GET", &format!("{prefix}/api/v1/alerts"), None);
        matches!(up, Ok((200, b)) if b.contains("\"job\":\"vigil\""))
            && matches!(alerts, Ok((200, b)) if b.contains("\"state\":\"firing\""))
    });
    assert!(
        ready,
        "vigil server did not scrape and fire:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    Server {
        _proc: proc,
        _dir: dir,
        port,
        base: format!("http://127.0.0.1:{port}{prefix}"),
    }
}

/// Counts canvas pixels that are not transparent: the graph drew something.
const PAINTED: &str = "const c = document.querySelector('.chart canvas'); \
    if (!c || !c.width) return 0; \
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; \
    let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n;";

#[test]
fn query_page_table_graph_completion_and_errors() {
    if !have_browser("query_page_table_graph_completion_and_errors") {
        return;
    }
    let s = start_server(&[], "");
    let b = Browser::start();
    let series = format!("up{{instance=\"127.0.0.1:{}\", job=\"vigil\"}}", s.port);

    // Completion: a metric name prefix, Enter takes the first entry, a
    // second Enter runs the query.
    b.goto(&format!("{}/query", s.base));
    b.type_into("textarea", "scrape_duration_sec");
    b.wait_text(".complete", &["scrape_duration_seconds"]);
    b.type_into("textarea", ENTER);
    let expr = b.js("return document.querySelector('textarea').value");
    assert_eq!(expr, json!("scrape_duration_seconds"));
    b.type_into("textarea", ENTER);
    b.wait_text(
        "table.result",
        &["scrape_duration_seconds{", "job=\"vigil\""],
    );

    // A parse error shows Prometheus' message and where it is.
    b.clear("textarea");
    b.type_into("textarea", "sum(up");
    b.click("button.primary");
    b.wait_text(".error", &["parse error", "^"]);

    // Label values: after `job="` the values of `up`'s jobs are offered,
    // and taking one closes the quote.
    b.clear("textarea");
    b.type_into("textarea", "up{job=\"vi");
    b.wait_text(".complete", &["vigil"]);
    b.type_into("textarea", ENTER);
    let expr = b.js("return document.querySelector('textarea').value");
    assert_eq!(expr, json!("up{job=\"vigil\""));

    // Highlighting: the box's text is drawn in colour underneath, token
    // by token, and stays the same text.
    b.clear("textarea");
    b.type_into("textarea", "sum by (job) (rate(up{job=~\"v.*\"}[5m]))");
    let spans = b.js(
        "return [...document.querySelectorAll('.expr-hl span')].map(s => s.className + ':' + s.textContent).join(' ')",
    );
    let spans = spans.as_str().unwrap_or_default();
    for want in [
        "hl-agg:sum",
        "hl-kw:by",
        "hl-label:job",
        "hl-fn:rate",
        "hl-str:\"v.*\"",
        "hl-num:5m",
        "hl-op:=~",
    ] {
        assert!(spans.contains(want), "{want} not in {spans}");
    }
    b.screenshot("query-highlighting");
    let drawn =
        b.js("return document.querySelector('.expr-hl').textContent.replace('\\u200b', '')");
    assert_eq!(drawn, json!("sum by (job) (rate(up{job=~\"v.*\"}[5m]))"));

    // The table, then the graph, of `up`.
    b.clear("textarea");
    b.type_into("textarea", "up");
    b.click("button.primary");
    let table = b.wait_text("table.result", &[&series]);
    assert!(table.contains('1'), "{table}");
    assert!(
        b.js("return location.search")
            .as_str()
            .is_some_and(|q| q.contains("g0.expr=up") && q.contains("g0.tab=table")),
        "the URL keeps the state"
    );
    b.screenshot("query-table");
    b.click("[role=tab]:nth-child(2)");
    b.wait_text(".legend", &[&series]);
    assert!(wait_for(10, || b.js(PAINTED).as_u64().unwrap_or(0) > 500));
    assert!(
        b.text("[role=tabpanel]:not([hidden]) .stats")
            .contains("1 series")
    );
    b.screenshot("query-graph");

    // Clicking the legend entry hides the series.
    b.click(".legend button");
    assert_eq!(
        b.js("return document.querySelector('.legend button').getAttribute('aria-pressed')"),
        json!("false")
    );

    // Prometheus' old /graph links open the same state here.
    b.goto(&format!(
        "{}/graph?g0.expr=job%3Aup%3Asum&g0.tab=0&g0.range_input=30m&g0.stacked=1",
        s.base
    ));
    b.wait_text(".legend", &["job:up:sum{job=\"vigil\"}"]);
    let q = b.js("return location.pathname + location.search");
    let q = q.as_str().unwrap_or("");
    assert!(
        q.starts_with("/query?")
            && q.contains("g0.tab=graph")
            && q.contains("g0.range_input=30m")
            && q.contains("g0.display_mode=stacked"),
        "{q}"
    );
    // A second panel.
    b.click("main > button");
    assert_eq!(
        b.js("return document.querySelectorAll('.panel').length"),
        json!(2)
    );
    // 100 series of 1,000 points: set and drawn three times (lines,
    // stacked, lines) well within a second.
    let ms = b.js(HUNDRED_BY_THOUSAND);
    eprintln!("100 series x 1000 points, three draws: {ms} ms");
    assert!(ms.as_f64().is_some_and(|ms| ms < 1500.0), "{ms}");
    b.screenshot("graph-100-series");
    b.assert_no_console_errors();
}

/// Draws 100 synthetic series of 1,000 points with the page's own chart
/// module and returns the milliseconds it took.
const HUNDRED_BY_THOUSAND: &str = "\
    const src = document.querySelector('script[type=module]').src.replace('app.js', 'graph.js');\
    return import(src).then(({ Chart }) => {\
      const c = new Chart();\
      document.querySelector('main').prepend(c.el);\
      const result = [];\
      for (let i = 0; i < 100; i++) {\
        const values = [];\
        for (let k = 0; k < 1000; k++) values.push([k, String(Math.sin(k / 50 + i) + i / 10)]);\
        result.push({ metric: { __name__: 'synthetic', i: String(i) }, values });\
      }\
      const t0 = performance.now();\
      c.setData(result, 0, 999, 1);\
      c.setStacked(true);\
      c.setStacked(false);\
      return performance.now() - t0;\
    });";

#[test]
fn status_pages_show_alerts_targets_rules_and_tsdb() {
    if !have_browser("status_pages_show_alerts_targets_rules_and_tsdb") {
        return;
    }
    let s = start_server(&[], "");
    let b = Browser::start();
    let target = format!("http://127.0.0.1:{}/metrics", s.port);
    let pages: &[(&str, &[&str])] = &[
        (
            "alerts",
            &[
                "AlwaysFiring",
                "firing",
                "severity=\"page\"",
                "It always fires.",
            ],
        ),
        ("targets", &["vigil", "1/1 up", &target, "up"]),
        (
            "rules",
            &[
                "ui-test",
                "job:up:sum",
                "AlwaysFiring",
                "ok",
                "sum by (job) (up)",
            ],
        ),
        ("service-discovery", &["vigil", "__address__", "1 active"]),
        (
            "status",
            &["Runtime information", "Build information", "version"],
        ),
        ("flags", &["--config.file", "--web.listen-address"]),
        ("config", &["scrape_interval", "job_name: vigil"]),
        (
            "tsdb-status",
            &[
                "Head block",
                "Number of series",
                "prometheus_http_requests_total",
            ],
        ),
    ];
    for (page, wanted) in pages {
        b.goto(&format!("{}/{page}", s.base));
        b.wait_text("main", wanted);
        let current = b.text(".top nav a[aria-current=page]");
        assert!(!current.is_empty(), "{page}: no current nav entry");
        b.screenshot(page);
    }
    // Targets: the filter and the unhealthy-only toggle.
    b.goto(&format!("{}/targets", s.base));
    b.wait_text("main", &[&target]);
    b.type_into("input[type=search]", "nomatch");
    b.wait_text("main", &["No targets match."]);
    b.clear("input[type=search]");
    b.click("main input[type=checkbox]");
    b.wait_text("main", &["No targets match."]);
    b.assert_no_console_errors();
}

#[test]
fn ui_under_route_prefix_with_cached_assets() {
    if !have_browser("ui_under_route_prefix_with_cached_assets") {
        return;
    }
    let s = start_server(&["--web.route-prefix=/vigil"], "/vigil");
    // The shell revalidates; hashed assets are immutable and answer 304.
    let (code, html) = http(s.port, "GET", "/vigil/query", None).expect("shell");
    assert_eq!(code, 200);
    let asset = html
        .split("href=\"")
        .find_map(|p| p.split('"').next().filter(|u| u.ends_with("style.css")))
        .expect("stylesheet link")
        .to_string();
    assert!(asset.starts_with("assets/"), "{asset}");
    let (code, css) = http(s.port, "GET", &format!("/vigil/{asset}"), None).expect("css");
    assert_eq!(code, 200);
    assert!(css.contains("prefers-color-scheme"));
    let b = Browser::start();
    b.goto(&format!("{}/query?g0.expr=up&g0.tab=table", s.base));
    b.wait_text("table.result", &["up{", "job=\"vigil\""]);
    let cache = b.js(&format!(
        "return fetch({}).then(r => r.headers.get('cache-control'))",
        json!(asset)
    ));
    assert_eq!(cache, json!("public, max-age=31536000, immutable"));
    b.click(".top nav a[href=alerts]");
    b.wait_text("main", &["AlwaysFiring"]);
    let path = b.js("return location.pathname");
    assert_eq!(path, json!("/vigil/alerts"));
    b.screenshot("prefix-alerts");
    b.assert_no_console_errors();
}

#[test]
fn local_time_setting_changes_display_not_links() {
    if !have_browser("local_time_setting_changes_display_not_links") {
        return;
    }
    let s = start_server(&[], "");
    // India has no daylight saving: a fixed +05:30 from UTC.
    let b = Browser::start_in_zone(Some("Asia/Kolkata"));
    let url = format!(
        "{}/query?g0.expr=up&g0.tab=graph&g0.range_input=1h&g0.end_input=2026-01-01%2000%3A00%3A00",
        s.base
    );
    b.goto(&url);
    b.find("#local-time");
    let end = "return document.querySelector('input[aria-label^=\"End time\"]').value";
    assert_eq!(b.js(end), json!("2026-01-01 00:00:00"), "UTC by default");

    b.click("#local-time");
    // The page reloads with the setting on: the same moment, in +05:30.
    assert!(
        wait_for(20, || b.js(&end.replace(".value", "?.value ?? ''"))
            == json!("2026-01-01 05:30:00")),
        "end time not shown in local time: {}",
        b.js(&end.replace(".value", "?.value ?? ''"))
    );
    let label = b.js(
        "return document.querySelector('input[aria-label^=\"End time\"]').getAttribute('aria-label')",
    );
    assert!(
        label.as_str().is_some_and(|l| l.contains("Asia/")),
        "zone not named: {label}"
    );
    // The link keeps UTC, so it means the same moment to everyone.
    let search = b.js("return decodeURIComponent(location.search.replace(/\\+/g, ' '))");
    assert!(
        search
            .as_str()
            .is_some_and(|q| q.contains("g0.end_input=2026-01-01 00:00:00")),
        "{search}"
    );
    b.screenshot("query-local-time");
    b.click("#local-time");
    assert!(
        wait_for(20, || b.js(&end.replace(".value", "?.value ?? ''"))
            == json!("2026-01-01 00:00:00")),
        "back to UTC"
    );
    b.assert_no_console_errors();
}
