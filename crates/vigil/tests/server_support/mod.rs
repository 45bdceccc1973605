//! Shared helpers of the `server_*` tests: starting `vigil server` and a
//! Python app instrumented with `prometheus_client` on loopback ports, and
//! reading the HTTP API as JSON. Processes are killed on drop.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{Proc, request, wait_for};

/// Starts `vigil server` with `config` and `data` on `port` (plus `extra`
/// flags), writing its log to `log`, and waits until it is ready.
pub fn start_server(config: &Path, data: &Path, port: u16, log: &Path, extra: &[&str]) -> Proc {
    let mut args = vec![
        "server".to_string(),
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let stderr = std::fs::File::create(log).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start vigil server");
    let proc = Proc { child, port };
    let ready = wait_for(60, || {
        request(port, "GET", "/-/ready", &[], b"").is_ok_and(|r| r.status == 200)
    });
    assert!(
        ready,
        "vigil server did not become ready:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    proc
}

/// Runs `body` (Python using `prometheus_client` as `p`) and then serves
/// its registry on `port` until the test drops the process.
pub fn start_python_app(port: u16, body: &str) -> Proc {
    let script = format!(
        "import sys, prometheus_client as p\n{body}\n\
         p.start_http_server({port}, addr='127.0.0.1')\n\
         sys.stdin.read()\n"
    );
    let child = Command::new("python3")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python3");
    let proc = Proc { child, port };
    assert!(
        wait_for(30, || request(port, "GET", "/metrics", &[], b"")
            .is_ok_and(|r| r.status == 200)),
        "the python app did not start"
    );
    proc
}

/// `GET path` on `port`, parsed as JSON.
pub fn api(port: u16, path: &str) -> serde_json::Value {
    let r = request(port, "GET", path, &[], b"").unwrap_or_else(|e| panic!("GET {path}: {e}"));
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("GET {path}: {e}: {}", r.text()))
}
