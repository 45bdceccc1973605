//! The notification pipeline of a running `Alertmanager` against a local
//! webhook receiver, in the spirit of Alertmanager's acceptance tests
//! (`test/with_api_v2/acceptance/send_test.go`): alerts arriving together
//! are grouped into one notification after `group_wait`; a new alert in
//! the group is sent at the next `group_interval` with the others; a
//! resolved alert is sent when `send_resolved` is set; a silenced alert is
//! left out; and an unchanged group is not re-sent before
//! `repeat_interval`. Assertions are on the sequence and content of
//! notifications, with bounded waits; no timing is asserted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vigil_alertmanager::alert::Alert;
use vigil_alertmanager::matcher::{LabelSet, Matchers, parse_matchers};
use vigil_alertmanager::server::{Alertmanager, Options, now_ns};
use vigil_alertmanager::silence::Silence;

type Got = Arc<Mutex<Vec<serde_json::Value>>>;

fn webhook() -> (u16, Got) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got: Got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut r = BufReader::new(stream);
            let mut len = 0;
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_ok()
                && let Ok(v) = serde_json::from_slice(&body)
            {
                sink.lock().unwrap().push(v);
            }
            let _ = r
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (port, got)
}

fn wait_for(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn alert(i: &str, ends_at: i64) -> Alert {
    let now = now_ns();
    Alert {
        labels: [
            ("alertname".to_string(), "Flow".to_string()),
            ("i".to_string(), i.to_string()),
        ]
        .into(),
        annotations: LabelSet::new(),
        starts_at: now,
        ends_at,
        generator_url: String::new(),
        updated_at: now,
        timeout: false,
    }
}

fn names(n: &serde_json::Value) -> Vec<(String, String)> {
    n["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["labels"]["i"].as_str().unwrap().to_string(),
                a["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn grouping_updates_resolution_and_silences() {
    let dir = tempfile_dir();
    let (port, got) = webhook();
    std::fs::write(
        dir.join("am.yml"),
        format!(
            "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 300ms\n  group_interval: 500ms\n  repeat_interval: 1h\n\
             receivers:\n  - name: hook\n    webhook_configs:\n      - url: http://127.0.0.1:{port}/\n        send_resolved: true\n"
        ),
    )
    .unwrap();
    let am = Alertmanager::new(Options {
        config_file: dir.join("am.yml"),
        storage_path: dir.clone(),
        external_url: "http://am.example:9093".into(),
        retention: Duration::from_secs(3600),
        version: "test".into(),
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.spawn(am.clone().run_dispatcher());

    let far = now_ns() + 3_600_000_000_000;
    am.put_alerts(vec![alert("1", far), alert("2", far)]);
    assert!(
        wait_for(20, || !got.lock().unwrap().is_empty()),
        "first notification"
    );
    let first = got.lock().unwrap()[0].clone();
    assert_eq!(
        names(&first),
        [("1".into(), "firing".into()), ("2".into(), "firing".into())]
    );
    assert_eq!(first["groupKey"], "{}:{alertname=\"Flow\"}");

    // A third alert joins the group and goes out with the others.
    am.put_alerts(vec![alert("3", far)]);
    assert!(wait_for(20, || got.lock().unwrap().len() >= 2), "update");
    assert_eq!(names(&got.lock().unwrap()[1]).len(), 3);

    // Silencing 2 and resolving 1: the resolved alert is sent, 2 is left out.
    {
        let mut core = am.core();
        let s = Silence {
            id: String::new(),
            matchers: Matchers(parse_matchers("i=2").unwrap()),
            starts_at: now_ns(),
            ends_at: far,
            updated_at: 0,
            created_by: "t".into(),
            comment: "c".into(),
            annotations: LabelSet::new(),
        };
        core.silences.set(s, now_ns()).unwrap();
    }
    am.put_alerts(vec![alert("1", now_ns())]);
    assert!(
        wait_for(20, || got.lock().unwrap().len() >= 3),
        "resolution"
    );
    let third = got.lock().unwrap()[2].clone();
    assert_eq!(third["status"], "firing");
    assert_eq!(
        names(&third),
        [
            ("1".into(), "resolved".into()),
            ("3".into(), "firing".into())
        ]
    );

    // Nothing changes: no notification before repeat_interval, however long we look.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        got.lock().unwrap().len(),
        3,
        "an unchanged group is not re-sent"
    );
    drop(rt);
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("vigil-am-flow-{}-{}", std::process::id(), now_ns()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn reload_is_all_or_nothing() {
    let dir = tempfile_dir();
    let file = dir.join("am.yml");
    std::fs::write(&file, "route: {receiver: a}\nreceivers: [{name: a}]\n").unwrap();
    let am = Alertmanager::new(Options {
        config_file: file.clone(),
        storage_path: dir.clone(),
        external_url: String::new(),
        retention: Duration::from_secs(60),
        version: "test".into(),
    })
    .unwrap();
    std::fs::write(&file, "route: {receiver: b}\nreceivers: [{name: a}]\n").unwrap();
    let err = am.reload().unwrap_err().to_string();
    assert!(err.contains("undefined receiver \"b\""), "{err}");
    assert_eq!(am.core().route.opts.receiver, "a", "the old config stays");
    assert!(!am.counters.reload.lock().unwrap().0);
    std::fs::write(&file, "route: {receiver: b}\nreceivers: [{name: b}]\n").unwrap();
    am.reload().unwrap();
    assert_eq!(am.core().route.opts.receiver, "b");
    assert!(am.counters.reload.lock().unwrap().0);
    let _ = std::fs::remove_dir_all(&dir);
}
