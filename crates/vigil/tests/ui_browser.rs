//! The web UI in a real browser: Debian's headless `chromium`, driven over
//! WebDriver by `chromedriver` (a few JSON calls over a plain TCP socket,
//! no client crate), against `vigil server` scraping itself every second
//! with one recording rule and one always-firing alert. Each test saves a
//! screenshot under `<target>/ui-screenshots/`. Without chromium the tests
//! print that they skipped, unless `CI` is set: then they fail. Every
//! request stays on 127.0.0.1 (Chromium's resolver maps every other host to
//! nothing, and its background services are off).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const ENTER: &str = "\u{E007}";

/// A child process killed (by its own id) on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// One HTTP/1.1 exchange (`Connection: close`) with a loopback server:
/// (status, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, String)> {
    http_within(port, method, path, body, Duration::from_secs(60))
}

/// [`http`] giving up after `timeout` (a starting chromedriver may accept
/// a connection and never answer it).
fn http_within(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(timeout))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())?;
    // Read by Content-Length when there is one: chromedriver keeps the
    // connection open after its answer despite `Connection: close`.
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            if len.is_some_and(|len| raw.len() >= end + 4 + len) {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Ok((
        status,
        if chunked {
            dechunk(rest)
        } else {
            rest.to_string()
        },
    ))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

fn wait_for(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// Whether the browser is installed; fails under CI when it is not.
fn have_browser(test: &str) -> bool {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
    );
    eprintln!("{test}: skipped, {CHROMIUM} or {CHROMEDRIVER} is missing");
    false
}

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

/// A chromedriver with one headless Chromium session.
struct Browser {
    _driver: Proc,
    _profile: tempfile::TempDir,
    port: u16,
    session: String,
}

impl Browser {
    fn start() -> Browser {
        let port = free_port();
        let driver = Proc(
            Command::new(CHROMEDRIVER)
                .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start chromedriver"),
        );
        assert!(
            wait_for(30, || http_within(
                port,
                "GET",
                "/status",
                None,
                Duration::from_secs(2)
            )
            .is_ok_and(|(_, b)| b.contains("\"ready\":true"))),
            "chromedriver did not start"
        );
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let (code, body) = http(port, "POST", "/session", Some(&caps)).expect("new session");
        assert_eq!(code, 200, "new session: {body}");
        let v: Value = serde_json::from_str(&body).expect("session json");
        let session = v["value"]["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        Browser {
            _driver: driver,
            _profile: profile,
            port,
            session,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let body = body.or_else(|| (method == "POST").then(|| json!({})));
        let (code, text) = http(self.port, method, &path, body.as_ref())
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(code, 200, "{method} {path}: {text}");
        v["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    fn find(&self, css: &str) -> String {
        let mut id = None;
        wait_for(20, || {
            let v = self.js(&format!(
                "return document.querySelector({}) !== null",
                json!(css)
            ));
            if v == json!(true) {
                let e = self.call(
                    "POST",
                    "/element",
                    Some(json!({"using": "css selector", "value": css})),
                );
                id = e[ELEMENT].as_str().map(str::to_string);
            }
            id.is_some()
        });
        id.unwrap_or_else(|| panic!("no element {css}; page: {}", self.text("body")))
    }

    fn click(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/click"), None);
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn clear(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/clear"), None);
    }

    fn text(&self, css: &str) -> String {
        let v = self.js(&format!(
            "const e = document.querySelector({}); return e ? e.innerText : ''",
            json!(css)
        ));
        v.as_str().unwrap_or("").to_string()
    }

    /// Waits until the text of `css` contains every one of `wanted`.
    fn wait_text(&self, css: &str, wanted: &[&str]) -> String {
        let mut last = String::new();
        let ok = wait_for(20, || {
            last = self.text(css);
            wanted.iter().all(|w| last.contains(w))
        });
        assert!(ok, "{css} lacks {wanted:?}; it reads:\n{last}");
        last
    }

    fn screenshot(&self, name: &str) -> PathBuf {
        let v = self.call("GET", "/screenshot", None);
        let png = base64_decode(v.as_str().expect("screenshot"));
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        eprintln!("screenshot: {}", path.display());
        path
    }

    /// Fails on any console error or uncaught exception logged so far.
    fn assert_no_console_errors(&self) {
        let v = self.call("POST", "/se/log", Some(json!({"type": "browser"})));
        let errors: Vec<&Value> = v
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|e| e["level"] == "SEVERE")
                    // A query the API rejects (status 400 or 422) is a
                    // result shown on the page, not a page error.
                    .filter(|e| {
                        let m = e["message"].as_str().unwrap_or("");
                        !(e["source"] == "network"
                            && m.contains("/api/v1/")
                            && (m.contains("status of 400") || m.contains("status of 422")))
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert!(errors.is_empty(), "console errors: {errors:#?}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}

/// `<target>/ui-screenshots`, wherever CARGO_TARGET_DIR puts the target.
fn screenshot_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("ui-screenshots")
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
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
    b.click("input[type=checkbox]");
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
