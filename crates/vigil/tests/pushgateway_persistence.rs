//! `--persistence.file`: groups survive a SIGKILL after a persistence
//! interval and a SIGTERM at any time; a damaged file is reported with its
//! name and offset, the groups before the damage are kept, and the damaged
//! file is moved aside (`<file>.corrupt.<unix seconds>`) rather than
//! overwritten.

mod pushgateway_support;

use std::path::Path;
use std::time::Duration;

use pushgateway_support::*;

fn push_groups(port: u16) {
    let pushes: [(&str, Option<&str>, Vec<u8>); 3] = [
        (
            "/metrics/job/a",
            None,
            b"# HELP g A gauge.\n# TYPE g gauge\ng{x=\"1\"} 1.5\n".to_vec(),
        ),
        (
            "/metrics/job@base64/Yi9j/path@base64/L3Zhci90bXA=/empty@base64/=",
            None,
            b"# TYPE c counter\nc 7\n".to_vec(),
        ),
        (
            "/metrics/job/p/instance/x",
            Some(PROTOBUF),
            text_to_protobuf(
                "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n# TYPE s summary\ns{quantile=\"0.5\"} 4\ns_sum 5\ns_count 6\n",
            ),
        ),
    ];
    for (path, ct, body) in pushes {
        let r = call(port, "PUT", path, ct, &body);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
    // A failed push: its failure time must survive too.
    let r = call(port, "PUT", "/metrics/job/a", None, b"g 1 1000\n");
    assert_eq!(r.status, 400);
}

fn flags(file: &Path, interval: &str) -> Vec<String> {
    vec![
        format!("--persistence.file={}", file.display()),
        format!("--persistence.interval={interval}"),
    ]
}

fn start(file: &Path, interval: &str, log: Option<&Path>) -> Proc {
    let f = flags(file, interval);
    let refs: Vec<&str> = f.iter().map(String::as_str).collect();
    start_vigil_logged(&refs, log)
}

#[test]
fn groups_survive_sigkill_after_an_interval() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pg.data");
    let mut gw = start(&file, "1s", None);
    push_groups(gw.port);
    let before = scrape(gw.port);
    assert!(before.len() >= 12, "{before:#?}");
    // Wait past an interval and until the file holds the last change.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(file.exists(), "persistence file written");
    gw.signal_and_wait("KILL");
    let gw = start(&file, "1s", None);
    assert_eq!(scrape(gw.port), before);
}

#[test]
fn groups_survive_sigterm_before_any_interval() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pg.data");
    let mut gw = start(&file, "5m", None);
    push_groups(gw.port);
    let before = scrape(gw.port);
    gw.signal_and_wait("TERM");
    let mut gw = start(&file, "5m", None);
    assert_eq!(scrape(gw.port), before);
    // A delete and a wipe-by-quit round trip too.
    let r = call(gw.port, "DELETE", "/metrics/job/a", None, b"");
    assert_eq!(r.status, 202);
    let after_delete = scrape(gw.port);
    gw.signal_and_wait("INT");
    let gw = start(&file, "5m", None);
    assert_eq!(scrape(gw.port), after_delete);
    assert!(!after_delete.keys().any(|k| k.contains("job=\"a\"")));
}

#[test]
fn damaged_file_keeps_the_valid_prefix_and_is_moved_aside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pg.data");
    let mut gw = start(&file, "5m", None);
    push_groups(gw.port);
    gw.signal_and_wait("TERM");
    let mut data = std::fs::read(&file).expect("persisted");
    // Flip a byte near the end: the last group's record fails its CRC.
    let at = data.len() - 5;
    data[at] ^= 0x55;
    std::fs::write(&file, &data).expect("damage");
    let log = dir.path().join("log");
    let gw = start(&file, "5m", Some(&log));
    let m = scrape(gw.port);
    let groups: std::collections::BTreeSet<_> = m
        .keys()
        .filter(|k| k.starts_with("{__name__=\"push_time_seconds\""))
        .collect();
    assert_eq!(groups.len(), 2, "two of three groups kept: {m:#?}");
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains(&format!("{}: damaged at byte offset", file.display())),
        "log names file and offset: {text}"
    );
    let moved: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("pg.data.corrupt.")
        })
        .collect();
    assert_eq!(moved.len(), 1, "damaged file kept aside");
    assert_eq!(std::fs::read(moved[0].path()).expect("copy"), data);
    drop(gw);

    // Garbage that is not a persistence file at all: start empty, keep it aside.
    let file2 = dir.path().join("garbage.data");
    std::fs::write(&file2, b"\x00\x01 not a persistence file").expect("garbage");
    let gw = start(&file2, "5m", None);
    assert!(scrape(gw.port).is_empty());
    assert!(!file2.exists(), "garbage moved aside");

    // A file that cannot be read (here: a directory) is never overwritten.
    let unreadable = dir.path().join("dir.data");
    std::fs::create_dir(&unreadable).expect("dir");
    let mut gw = start(&unreadable, "5m", None);
    assert_eq!(
        call(gw.port, "PUT", "/metrics/job/x", None, b"g 1\n").status,
        200
    );
    gw.signal_and_wait("TERM");
    assert!(unreadable.is_dir(), "left alone");
}
