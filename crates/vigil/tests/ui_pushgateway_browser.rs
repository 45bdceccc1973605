//! The Pushgateway's web UI in a real browser (see `browser_support`):
//! pushed groups are listed with their labels and metrics, a group is
//! deleted through its two-step button, the status page shows the flags.
//! Screenshots go to `<target>/ui-screenshots/`.

mod browser_support;

use std::process::{Command, Stdio};
use std::time::Duration;

use browser_support::{Browser, Proc, free_port, have_browser, http, http_raw, wait_for};

/// `vigil pushgateway` on a free port under `prefix`, with the admin API.
fn start_gateway(prefix: &str) -> (Proc, u16) {
    let port = free_port();
    let mut args = vec![
        "pushgateway".to_string(),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--web.enable-admin-api".to_string(),
    ];
    if !prefix.is_empty() {
        args.push(format!("--web.route-prefix={prefix}"));
    }
    let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vigil pushgateway");
    let proc = Proc(child);
    let ready = wait_for(30, || {
        matches!(
            http(port, "GET", &format!("{prefix}/-/ready"), None),
            Ok((200, _))
        )
    });
    assert!(ready, "vigil pushgateway did not become ready");
    (proc, port)
}

fn push(port: u16, path: &str, body: &str) {
    let (code, text) = http_raw(
        port,
        "PUT",
        path,
        "text/plain; version=0.0.4",
        body.as_bytes(),
        Duration::from_secs(10),
    )
    .expect("push");
    assert_eq!(code, 200, "push {path}: {text}");
}

#[test]
fn groups_listed_deleted_and_status_shown() {
    if !have_browser("groups_listed_deleted_and_status_shown") {
        return;
    }
    let prefix = "/pg";
    let (_gw, port) = start_gateway(prefix);
    push(
        port,
        "/pg/metrics/job/backup/instance/db-1",
        "# HELP backup_last_success_seconds Last successful backup.\n\
         # TYPE backup_last_success_seconds gauge\nbackup_last_success_seconds 1.7e9\n",
    );
    // A value with a slash: the page must address it through base64.
    push(
        port,
        "/pg/metrics/job/batch/path@base64/L3Zhci90bXA=",
        "# TYPE batch_items_total counter\nbatch_items_total{kind=\"a\"} 42\n",
    );

    let b = Browser::start();
    let base = format!("http://127.0.0.1:{port}{prefix}");
    b.goto(&format!("{base}/"));
    let page = b.wait_text(
        "main",
        &[
            "2 groups",
            "job=\"backup\"",
            "instance=\"db-1\"",
            "job=\"batch\"",
            "path=\"/var/tmp\"",
            "backup_last_success_seconds",
            "batch_items_total",
        ],
    );
    assert!(page.contains("gauge"), "{page}");
    // Open a family: its samples in the text format.
    b.click("section.group details.family summary");
    b.wait_text(
        "section.group details.family pre",
        &["backup_last_success_seconds"],
    );
    b.screenshot("pushgateway-groups");

    // Delete the "batch" group (the second section, groups sort by key):
    // the first click only asks.
    let batch = "section.group:nth-of-type(2)";
    assert!(b.text(batch).contains("job=\"batch\""), "{}", b.text(batch));
    b.click(&format!("{batch} button.ask"));
    b.click(&format!("{batch} button.confirm"));
    b.wait_text("main", &["1 group"]);
    let main = b.text("main");
    assert!(!main.contains("job=\"batch\""), "{main}");
    assert!(main.contains("job=\"backup\""), "{main}");
    let (code, api) = http(port, "GET", "/pg/api/v1/metrics", None).expect("api");
    assert_eq!(code, 200);
    assert!(!api.contains("batch_items_total"), "{api}");
    assert!(api.contains("backup_last_success_seconds"), "{api}");

    // Cancel leaves the group in place.
    b.click("section.group button.ask");
    b.click("section.group button.cancel");
    b.find("section.group button.ask:not([hidden])");
    assert!(b.text("main").contains("job=\"backup\""));

    b.click("nav a[href=\"/pg/status\"]");
    b.wait_text(
        "main",
        &["Flags", "web.enable-admin-api", "web.route-prefix"],
    );
    b.screenshot("pushgateway-status");
    b.assert_no_console_errors();

    // Delete all groups through the admin API button.
    b.goto(&format!("{base}/"));
    b.click("main > .actions button.ask");
    b.click("main > .actions button.confirm");
    b.wait_text("main", &["No metrics have been pushed."]);
    b.assert_no_console_errors();
}
