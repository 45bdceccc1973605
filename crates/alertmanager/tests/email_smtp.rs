//! Email through a real SMTP server on loopback (PyPI's `aiosmtpd`):
//! the email receiver of an `alertmanager.yml`, its notification built
//! from the default templates and sent by [`Notifier::send`], arrives with
//! its envelope, headers and both parts; with AUTH PLAIN and LOGIN on a
//! plain connection, with STARTTLS and with implicit TLS (certificates
//! made by `openssl`). A server that does not offer STARTTLS is refused
//! while `require_tls` holds.
//!
//! The server runs on a free 127.0.0.1 port with a bounded wait for it to
//! listen and is stopped by its pid. Without Python's `aiosmtpd` or
//! `openssl` the test says it skipped, or fails when `CI` is set.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vigil_alertmanager::Config;
use vigil_alertmanager::alert::Alert;
use vigil_alertmanager::matcher::LabelSet;
use vigil_alertmanager::notify::{Notification, Notifier};

const SERVER: &str = r#"
import json, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, out, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]

class Sink:
    async def handle_DATA(self, server, session, envelope):
        with open(out, "a") as f:
            f.write(json.dumps({
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "data": envelope.content.decode("utf-8", "replace"),
                "auth": bool(session.authenticated),
            }) + "\n")
        return "250 OK"

def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == b"am" and data.password == b"pw"
    return AuthResult(success=ok)

kw = dict(hostname="127.0.0.1", port=port, authenticator=check, auth_require_tls=False)
if mode in ("starttls", "implicit"):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    if mode == "starttls":
        kw.update(tls_context=ctx, require_starttls=True)
    else:
        kw.update(ssl_context=ctx)
if mode == "login":
    kw.update(auth_exclude_mechanism=["PLAIN"])
Controller(Sink(), **kw).start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"#;

/// Whether a tool is usable; when it is not, fails under `CI`, else says so.
fn have(what: &str, ok: bool) -> bool {
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{what} is needed for this test under CI"
        );
        eprintln!("skipped: {what} is not available");
    }
    ok
}

fn tools() -> bool {
    let py = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let ssl = Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    have("python3 with aiosmtpd", py) && have("openssl", ssl)
}

/// The SMTP server process, stopped by pid when dropped.
struct Smtp {
    child: Child,
    port: u16,
    out: PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &Path, mode: &str) -> Smtp {
    let script = dir.join("smtp_server.py");
    std::fs::write(&script, SERVER).unwrap();
    let port = free_port();
    let out = dir.join(format!("{mode}.jsonl"));
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .arg(port.to_string())
        .arg(&out)
        .arg(mode)
        .arg(dir.join("srv.pem"))
        .arg(dir.join("srv.key"))
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let smtp = Smtp { child, port, out };
    let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
    assert_eq!(line.trim(), "ready", "the SMTP server did not start");
    smtp
}

fn openssl(dir: &Path, args: &[&str]) {
    let ok = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "openssl {args:?}");
}

/// A CA and a server certificate for `localhost` / 127.0.0.1 signed by it.
fn certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=vigil test CA",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "srv.key",
        "-out",
        "srv.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(dir, &csr);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "srv.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "srv.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

fn notification() -> Notification {
    let now = 1_700_000_600_000_000_000;
    let labels = |p: &[(&str, &str)]| -> LabelSet {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    Notification {
        receiver: "mail".into(),
        group_key: "{}:{alertname=\"Down\"}".into(),
        group_labels: labels(&[("alertname", "Down")]),
        alerts: vec![Alert {
            labels: labels(&[("alertname", "Down"), ("job", "node")]),
            annotations: labels(&[("summary", "node is down")]),
            starts_at: now - 60_000_000_000,
            ends_at: 0,
            generator_url: "http://prom/g".into(),
            updated_at: 0,
            timeout: false,
        }],
        external_url: "http://am:9093".into(),
        now,
    }
}

fn send(yaml: &str) -> Result<(), String> {
    let cfg = Config::load(yaml).map_err(|e| e.to_string())?;
    let notifier = Notifier::new("0.27.0").unwrap();
    notifier.load_templates(&cfg.templates).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let r = cfg.receivers[0].clone();
    rt.block_on(async {
        notifier
            .send("email", 0, &r, &notification(), Duration::from_secs(20))
            .await
    })
    .map_err(|e| e.to_string())
}

fn received(s: &Smtp) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(&s.out)
            && let Some(line) = text.lines().next()
        {
            return serde_json::from_str(line).unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no message reached the SMTP server");
}

fn config(port: u16, extra: &str) -> String {
    format!(
        r#"
global:
  smtp_smarthost: 127.0.0.1:{port}
  smtp_from: 'Vigil <am@example.org>'
  smtp_hello: vigil.test
route: {{receiver: mail}}
receivers:
- name: mail
  email_configs:
  - to: 'ops@example.org, Dev <dev@example.org>'
    text: 'text part: {{{{ .CommonAnnotations.summary }}}}'
{extra}
"#
    )
}

fn check_message(m: &serde_json::Value, auth: bool) {
    assert_eq!(m["from"], "am@example.org");
    assert_eq!(
        m["to"],
        serde_json::json!(["ops@example.org", "dev@example.org"])
    );
    assert_eq!(m["auth"], auth);
    let data = m["data"].as_str().unwrap();
    assert!(data.contains("Subject: [FIRING:1] Down (node)"), "{data}");
    assert!(data.contains("From: Vigil <am@example.org>"), "{data}");
    assert!(
        data.contains("Content-Type: text/html; charset=UTF-8"),
        "{data}"
    );
    assert!(
        data.contains("Content-Type: text/plain; charset=UTF-8"),
        "{data}"
    );
}

#[test]
fn email_reaches_a_local_smtp_server() {
    if !tools() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("vigil-email-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    certificates(&dir);
    let ca = dir.join("ca.pem").display().to_string();
    let tls = format!("    tls_config:\n      ca_file: {ca}\n      server_name: localhost\n");

    // Plain SMTP, AUTH PLAIN (allowed in clear to a loopback host only).
    let s = start(&dir, "plain");
    send(&config(
        s.port,
        "    require_tls: false\n    auth_username: am\n    auth_password: pw\n",
    ))
    .unwrap();
    check_message(&received(&s), true);
    // Without STARTTLS on offer, require_tls (the default) refuses to send.
    let e = send(&config(s.port, "")).unwrap_err();
    assert!(e.contains("STARTTLS"), "{e}");
    drop(s);

    // AUTH LOGIN when PLAIN is not offered.
    let s = start(&dir, "login");
    send(&config(
        s.port,
        "    require_tls: false\n    auth_username: am\n    auth_password: pw\n",
    ))
    .unwrap();
    check_message(&received(&s), true);
    drop(s);

    // STARTTLS, verified against the test CA; then AUTH over TLS.
    let s = start(&dir, "starttls");
    send(&config(
        s.port,
        &format!("{tls}    auth_username: am\n    auth_password: pw\n"),
    ))
    .unwrap();
    check_message(&received(&s), true);
    drop(s);

    // Implicit TLS.
    let s = start(&dir, "implicit");
    send(&config(
        s.port,
        &format!("{tls}    force_implicit_tls: true\n"),
    ))
    .unwrap();
    check_message(&received(&s), false);
    drop(s);

    std::fs::remove_dir_all(&dir).unwrap();
}
