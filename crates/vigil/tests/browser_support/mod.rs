//! The browser harness shared by the UI tests: Debian's headless
//! `chromium`, driven over WebDriver by `chromedriver` with a few JSON calls
//! over a plain TCP socket (no client crate), plus loopback HTTP and process
//! helpers. Every request stays on 127.0.0.1: Chromium's resolver maps every
//! other host to nothing and its background services are off. Screenshots
//! go to `<target>/ui-screenshots/`. Without chromium a test prints that it
//! skipped, unless `CI` is set: then it fails.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The WebDriver key code of Enter.
pub const ENTER: &str = "\u{E007}";

/// A child process killed (by its own id) on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// One HTTP/1.1 exchange (`Connection: close`) with a loopback server:
/// (status, body).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, String)> {
    http_within(port, method, path, body, Duration::from_secs(60))
}

/// [`http`] giving up after `timeout` (a starting chromedriver may accept
/// a connection and never answer it).
pub fn http_within(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> std::io::Result<(u16, String)> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    http_raw(
        port,
        method,
        path,
        "application/json",
        body.as_bytes(),
        timeout,
    )
}

/// One HTTP/1.1 exchange carrying `body` as `content_type`.
pub fn http_raw(
    port: u16,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(timeout))?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
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

pub fn dechunk(mut rest: &str) -> String {
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

pub fn wait_for(secs: u64, mut f: impl FnMut() -> bool) -> bool {
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
pub fn have_browser(test: &str) -> bool {
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

/// A chromedriver with one headless Chromium session.
pub struct Browser {
    _driver: Proc,
    _profile: tempfile::TempDir,
    port: u16,
    session: String,
}

impl Browser {
    pub fn start() -> Browser {
        Browser::start_in_zone(None)
    }

    /// Like [`Browser::start`] with the browser's time zone set to `tz`
    /// (an IANA name), to see local-time displays.
    pub fn start_in_zone(tz: Option<&str>) -> Browser {
        let port = free_port();
        let mut cmd = Command::new(CHROMEDRIVER);
        if let Some(tz) = tz {
            cmd.env("TZ", tz);
        }
        let driver = Proc(
            cmd.args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
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

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let body = body.or_else(|| (method == "POST").then(|| json!({})));
        let (code, text) = http(self.port, method, &path, body.as_ref())
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(code, 200, "{method} {path}: {text}");
        v["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Runs `body` as an async function (it may `await`, e.g. a dynamic
    /// `import`); WebDriver waits for the promise and returns its value.
    pub fn js_async(&self, body: &str) -> Value {
        self.js(&format!("return (async () => {{ {body} }})();"))
    }

    pub fn find(&self, css: &str) -> String {
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

    pub fn click(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/click"), None);
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn clear(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/clear"), None);
    }

    pub fn text(&self, css: &str) -> String {
        let v = self.js(&format!(
            "const e = document.querySelector({}); return e ? e.innerText : ''",
            json!(css)
        ));
        v.as_str().unwrap_or("").to_string()
    }

    /// Waits until the text of `css` contains every one of `wanted`.
    pub fn wait_text(&self, css: &str, wanted: &[&str]) -> String {
        let mut last = String::new();
        let ok = wait_for(20, || {
            last = self.text(css);
            wanted.iter().all(|w| last.contains(w))
        });
        assert!(ok, "{css} lacks {wanted:?}; it reads:\n{last}");
        last
    }

    pub fn screenshot(&self, name: &str) -> PathBuf {
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
    pub fn assert_no_console_errors(&self) {
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
pub fn screenshot_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("ui-screenshots")
}

pub fn base64_decode(s: &str) -> Vec<u8> {
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
