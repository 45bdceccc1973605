//! Real clients against `vigil pushgateway`:
//! - Python's `prometheus_client` (`push_to_gateway`, `pushadd_to_gateway`,
//!   `delete_from_gateway`, grouping keys with `/` in values, which the
//!   client sends base64-encoded);
//! - Debian's Prometheus scraping it with `honor_labels: true`, queried
//!   through its `/api/v1/query`.

mod pushgateway_support;

use std::process::Command;

use pushgateway_support::*;

const SCRIPT: &str = r#"
import sys
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import push_to_gateway, pushadd_to_gateway, delete_from_gateway

gw = sys.argv[1]
step = sys.argv[2]
reg = CollectorRegistry()
if step == "push":
    g = Gauge("job_last_success_unixtime", "Last time the batch job succeeded.", ["stage"], registry=reg)
    g.labels("load").set(1234.5)
    c = Counter("job_records", "Records processed.", registry=reg)
    c.inc(42)
    h = Histogram("job_duration_seconds", "Duration.", buckets=(1, 5), registry=reg)
    h.observe(3)
    push_to_gateway(gw, job="batch", registry=reg, grouping_key={"instance": "host/1"})
elif step == "pushadd":
    g = Gauge("job_extra", "Added later.", registry=reg)
    g.set(7)
    pushadd_to_gateway(gw, job="batch", registry=reg, grouping_key={"instance": "host/1"})
elif step == "replace":
    g = Gauge("job_extra", "Added later.", registry=reg)
    g.set(8)
    push_to_gateway(gw, job="batch", registry=reg, grouping_key={"instance": "host/1"})
elif step == "delete":
    delete_from_gateway(gw, job="batch", grouping_key={"instance": "host/1"})
"#;

fn python(gw: &str, step: &str) {
    let out = Command::new("python3")
        .args(["-c", SCRIPT, gw, step])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python step {step} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn have_python_client() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import prometheus_client"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("python3 with prometheus_client is missing (CI is set)");
        }
        println!("skipped: python3 prometheus_client is not installed");
    }
    ok
}

#[test]
fn python_prometheus_client_push_pushadd_delete() {
    if !have_python_client() {
        return;
    }
    let vigil = start_vigil(&[]);
    let gw = vigil.addr();
    python(&gw, "push");
    let m = scrape(vigil.port);
    let key =
        r#"{__name__="job_last_success_unixtime", instance="host/1", job="batch", stage="load"}"#;
    assert_eq!(m.get(key), Some(&1234.5), "{m:#?}");
    assert_eq!(
        m.get(r#"{__name__="job_records_total", instance="host/1", job="batch"}"#),
        Some(&42.0)
    );
    assert_eq!(
        m.get(
            r#"{__name__="job_duration_seconds_bucket", instance="host/1", job="batch", le="5.0"}"#
        ),
        Some(&1.0),
        "{m:#?}"
    );
    python(&gw, "pushadd");
    let m = scrape(vigil.port);
    assert!(m.contains_key(key), "pushadd kept the other families");
    assert_eq!(
        m.get(r#"{__name__="job_extra", instance="host/1", job="batch"}"#),
        Some(&7.0)
    );
    python(&gw, "replace");
    let m = scrape(vigil.port);
    assert!(!m.contains_key(key), "push replaced the group: {m:#?}");
    assert_eq!(
        m.get(r#"{__name__="job_extra", instance="host/1", job="batch"}"#),
        Some(&8.0)
    );
    python(&gw, "delete");
    let m = scrape(vigil.port);
    assert!(
        m.keys().all(|k| !k.contains("batch")),
        "delete removed the group: {m:#?}"
    );
}

#[test]
fn debian_prometheus_scrapes_with_honor_labels() {
    prometheus_sees_pushes(&[]);
}

/// With native histograms enabled, Prometheus 2.42 asks for protobuf first,
/// so this scrapes Vigil's protobuf `/metrics`.
#[test]
fn debian_prometheus_scrapes_protobuf() {
    prometheus_sees_pushes(&["--enable-feature=native-histograms"]);
}

fn prometheus_sees_pushes(extra: &[&str]) {
    if !have_peer(DEBIAN_PROMETHEUS) {
        return;
    }
    let vigil = start_vigil(&[]);
    let body = "# TYPE backup_bytes gauge\nbackup_bytes{volume=\"root\"} 12345\n";
    let r = call(
        vigil.port,
        "PUT",
        "/metrics/job/backup/instance/db1",
        None,
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = call(
        vigil.port,
        "PUT",
        "/metrics/job/noinst",
        None,
        b"lonely 5\n",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n    static_configs:\n      - targets: ['{}']\n",
        vigil.addr()
    );
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(&config_path, config).expect("write config");
    let port = free_port();
    let args = vec![
        format!("--config.file={}", config_path.display()),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    let args: Vec<String> = args
        .into_iter()
        .chain(extra.iter().map(|s| s.to_string()))
        .collect();
    let _prom = start_other(DEBIAN_PROMETHEUS, &args, port, "/-/ready");
    let query = "/api/v1/query?query=backup_bytes%7Bjob%3D%22backup%22%2Cinstance%3D%22db1%22%7D";
    let mut last = String::new();
    let found = wait_for(30, || {
        let Ok(r) = request(port, "GET", query, &[], b"") else {
            return false;
        };
        last = r.text();
        last.contains("\"12345\"")
    });
    assert!(found, "Prometheus never saw the pushed series: {last}");
    // The pushed job label won over the scrape job (honor_labels).
    assert!(last.contains("\"job\":\"backup\""), "{last}");
    // A group without instance gets `instance=""`, so Prometheus does not
    // attach the gateway's address as the instance.
    let query = "/api/v1/query?query=lonely";
    let found = wait_for(30, || {
        let Ok(r) = request(port, "GET", query, &[], b"") else {
            return false;
        };
        last = r.text();
        last.contains("\"5\"")
    });
    assert!(found, "Prometheus never saw lonely: {last}");
    assert!(!last.contains("\"instance\""), "no instance label: {last}");
}
