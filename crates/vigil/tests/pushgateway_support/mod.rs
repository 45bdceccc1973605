//! Shared helpers of the `pushgateway_*` tests: starting `vigil pushgateway`
//! and peer binaries on free loopback ports (killed on drop), a tiny HTTP/1.1
//! client over `std::net::TcpStream`, and parsing `/metrics` into samples.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vigil_exposition::{Entry, Parser, TextParser};
use vigil_model::LabelsBuilder;

/// A child process killed (SIGKILL) and reaped on drop.
pub struct Proc {
    pub child: Child,
    pub port: u16,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Sends `signal` (e.g. "TERM", "KILL") by pid and waits for the exit.
    pub fn signal_and_wait(&mut self, signal: &str) {
        let _ = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("process {} did not exit after SIG{signal}", self.child.id());
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Whether a peer binary is installed; when it is not, the test is skipped
/// (prints "skipped") unless `CI` is set, where it fails.
pub fn have_peer(path: &str) -> bool {
    if Path::new(path).exists() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{path} is missing (CI is set, so this fails instead of skipping)");
    }
    println!("skipped: {path} is not installed");
    false
}

pub const DEBIAN_PUSHGATEWAY: &str = "/usr/bin/prometheus-pushgateway";
pub const DEBIAN_PROMETHEUS: &str = "/usr/bin/prometheus";

fn spawn(program: &str, args: &[String], port: u16, ready_path: &str) -> Proc {
    spawn_logged(program, args, port, ready_path, None)
}

fn spawn_logged(
    program: &str,
    args: &[String],
    port: u16,
    ready_path: &str,
    stderr: Option<&Path>,
) -> Proc {
    let stderr = match stderr {
        Some(p) => Stdio::from(std::fs::File::create(p).expect("log file")),
        None => Stdio::null(),
    };
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let proc = Proc { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = request(port, "GET", ready_path, &[], b"") {
            if r.status == 200 {
                return proc;
            }
        }
        assert!(Instant::now() < deadline, "{program} did not become ready");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `vigil pushgateway` on a free port with extra flags.
pub fn start_vigil(extra: &[&str]) -> Proc {
    start_vigil_logged(extra, None)
}

/// Like [`start_vigil`], writing the gateway's log (stderr) to `log`.
pub fn start_vigil_logged(extra: &[&str], log: Option<&Path>) -> Proc {
    let port = free_port();
    let mut args = vec![
        "pushgateway".to_string(),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    spawn_logged(env!("CARGO_BIN_EXE_vigil"), &args, port, "/-/ready", log)
}

/// Starts Debian's pushgateway on a free port. `--persistence.file` is
/// always given: Debian's default points into /var/lib.
pub fn start_debian(persistence_file: &Path, extra: &[&str]) -> Proc {
    let port = free_port();
    let mut args = vec![
        format!("--web.listen-address=127.0.0.1:{port}"),
        format!("--persistence.file={}", persistence_file.display()),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    spawn(DEBIAN_PUSHGATEWAY, &args, port, "/-/ready")
}

/// Starts any program that serves `ready_path` once up.
pub fn start_other(program: &str, args: &[String], port: u16, ready_path: &str) -> Proc {
    spawn(program, args, port, ready_path)
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(nl) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = std::str::from_utf8(&b[..nl])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = nl + 2;
        let end = (start + size).min(b.len());
        out.extend_from_slice(&b[start..end]);
        b = b.get(end + 2..).unwrap_or(&[]);
    }
}

/// One HTTP/1.1 request with `Connection: close`.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    // One write: a server that answers before reading the body (Go does
    // for bad URLs) then has it all buffered and does not reset the
    // connection on close.
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    s.write_all(&bytes)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// Like [`request`] but panics on I/O errors.
pub fn call(port: u16, method: &str, path: &str, ct: Option<&str>, body: &[u8]) -> Response {
    let headers: Vec<(&str, &str)> = ct.map(|c| ("Content-Type", c)).into_iter().collect();
    request(port, method, path, &headers, body)
        .unwrap_or_else(|e| panic!("{method} {path} on port {port}: {e}"))
}

/// `/metrics` in the text format as `labels → value`, without the gateways'
/// own metrics (`pushgateway_*`, `process_*`, `go_*`).
pub fn scrape(port: u16) -> BTreeMap<String, f64> {
    try_scrape(port).unwrap_or_else(|e| panic!("scrape failed: {e}"))
}

/// Like [`scrape`], but an error status or a connection problem is an `Err`.
pub fn try_scrape(port: u16) -> Result<BTreeMap<String, f64>, String> {
    Ok(try_scrape_all(port)?.into_iter().collect())
}

/// Every sample (the gateways' own left out) as `(labels, value)`, sorted;
/// series that differ only by empty labels are kept apart.
pub fn try_scrape_all(port: u16) -> Result<Vec<(String, f64)>, String> {
    let r = request(port, "GET", "/metrics", &[("Accept", "text/plain")], b"")
        .map_err(|e| e.to_string())?;
    if r.status != 200 {
        return Err(format!("status {}: {}", r.status, r.text()));
    }
    let mut parser = TextParser::new(&r.body);
    let mut out = Vec::new();
    let mut b = LabelsBuilder::new();
    while let Some(e) = parser.next().expect("valid exposition") {
        if e != Entry::Series {
            continue;
        }
        parser.labels(&mut b);
        let labels = b.build();
        let name = labels.metric_name().unwrap_or_default();
        if ["pushgateway_", "process_", "go_"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            continue;
        }
        let (_, _, v) = parser.series();
        out.push((labels.to_string(), v));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    Ok(out)
}

pub const PROTOBUF: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// A text exposition re-encoded as delimited protobuf.
pub fn text_to_protobuf(text: &str) -> Vec<u8> {
    let mut p = TextParser::new(text.as_bytes());
    let families = vigil_exposition::collect(&mut p).expect("valid text");
    let mut out = Vec::new();
    vigil_exposition::encode::protobuf::write(&mut out, &families);
    out
}

/// Waits until `f` holds, for at most `secs` seconds.
pub fn wait_for(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
