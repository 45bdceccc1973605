//! `vigil tool check healthy|ready` against a small HTTP server on a free
//! loopback port (one that answers 200 with Prometheus' texts, one that
//! answers 503) and a port where nothing listens. The expected texts are
//! promtool 3.x's (`CheckServerStatus`); Debian's promtool 2.42 has no
//! `check healthy|ready`, so it is compared only when it knows them.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Serves `/-/healthy` and `/-/ready` with `status` until dropped.
struct FakeServer {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl FakeServer {
    fn start(status: &'static str) -> FakeServer {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = l.local_addr().expect("bound address").port();
        l.set_nonblocking(true).expect("nonblocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            // Bounded: the test stops the server long before this runs out.
            for _ in 0..6000 {
                if stopped.load(Ordering::Relaxed) {
                    return;
                }
                let Ok((mut s, _)) = l.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    continue;
                };
                let _ = s.set_nonblocking(false);
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).unwrap_or(0);
                let req = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned();
                let body = if req.contains("/-/ready") {
                    "Prometheus Server is Ready.\n"
                } else {
                    "Prometheus Server is Healthy.\n"
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes());
            }
        });
        FakeServer { port, stop }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn run(program: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("bound address").port()
}

#[test]
fn check_healthy_and_ready_report_as_promtool() {
    let vigil = env!("CARGO_BIN_EXE_vigil");
    let promtool = "/usr/bin/promtool";
    // 2.42 lacks these commands; a newer promtool is compared too.
    let have_promtool =
        Path::new(promtool).exists() && run(promtool, &["check", "healthy", "--help"]).0 == 0;
    if !have_promtool {
        println!("no promtool with `check healthy`: checking against 3.x's texts only");
    }
    let ok = FakeServer::start("200 OK");
    let down = FakeServer::start("503 Service Unavailable");
    let nothing = free_port();
    let urls = [
        (format!("http://127.0.0.1:{}", ok.port), 0),
        (format!("http://127.0.0.1:{}/", ok.port), 0),
        (format!("http://127.0.0.1:{}", down.port), 1),
        (format!("http://127.0.0.1:{nothing}"), 1),
    ];
    for what in ["healthy", "ready"] {
        for (url, code) in &urls {
            let args = ["check", what, "--url", url.as_str()];
            let mut vargs = vec!["tool"];
            vargs.extend_from_slice(&args);
            let got = run(vigil, &vargs);
            assert_eq!(got.0, *code, "{what} {url}: {got:?}");
            assert_eq!(got.1, "", "{what} {url}: stdout");
            if *code == 0 {
                let text = if what == "ready" { "Ready" } else { "Healthy" };
                assert_eq!(
                    got.2,
                    format!("  SUCCESS:  Prometheus Server is {text}.\n\n")
                );
            } else if url.contains(&down.port.to_string()) {
                assert_eq!(
                    got.2,
                    format!("check failed: URL={url}, status=503\n"),
                    "{what}"
                );
            } else {
                assert!(got.2.contains("connection refused"), "{got:?}");
            }
            if have_promtool {
                let want = run(promtool, &args);
                assert_eq!(want.0, got.0, "{what} {url}: exit codes: {want:?}");
                assert_eq!(want.1, got.1, "{what} {url}: stdout");
                if *code == 0 || url.contains(&down.port.to_string()) {
                    assert_eq!(want.2, got.2, "{what} {url}: stderr");
                } else {
                    // Go names the dialled address its own way; both say why.
                    assert!(got.2.contains("connection refused"), "{got:?}");
                }
            }
        }
    }
}
