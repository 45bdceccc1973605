//! `vigil server` evaluating rules end to end: a recording rule's series is
//! queryable; an alerting rule fires, reaches Debian's Alertmanager with
//! its labels and rendered annotations (checked with `amtool`), and
//! resolves when its condition stops; a pending alert keeps its `for`
//! progress across a restart.

#[path = "server_support/mod.rs"]
mod server_support;
#[path = "pushgateway_support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;

use server_support::{api, start_python_app, start_server};
use support::{free_port, have_peer, start_other, wait_for};

/// Restore `for` state of rules with short `for` too.
const GRACE: &[&str] = &["--rules.alert.for-grace-period=1s"];

const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";
const AMTOOL: &str = "/usr/bin/amtool";

/// Vigil's active alerts named `name`.
fn alerts(port: u16, name: &str) -> Vec<serde_json::Value> {
    let v = api(port, "/api/v1/alerts");
    v["data"]["alerts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["labels"]["alertname"] == name)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The alerts Alertmanager holds, as `amtool alert query -o json` lists
/// them (active ones only).
fn amtool_alerts(am_port: u16) -> Vec<serde_json::Value> {
    let out = Command::new(AMTOOL)
        .args([
            "alert",
            "query",
            "-o",
            "json",
            &format!("--alertmanager.url=http://127.0.0.1:{am_port}"),
        ])
        .output()
        .expect("run amtool");
    assert!(
        out.status.success(),
        "amtool: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

#[test]
fn rules_record_alerts_reach_alertmanager_and_resolve() {
    if !have_peer(ALERTMANAGER) || !have_peer(AMTOOL) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let am_port = free_port();
    let am_config = dir.path().join("am.yml");
    std::fs::write(
        &am_config,
        "route:\n  receiver: blackhole\n  group_wait: 0s\n  group_interval: 1s\nreceivers:\n- name: blackhole\n",
    )
    .unwrap();
    let _am = start_other(
        ALERTMANAGER,
        &[
            format!("--config.file={}", am_config.display()),
            format!("--storage.path={}", dir.path().join("am").display()),
            format!("--web.listen-address=127.0.0.1:{am_port}"),
            "--cluster.listen-address=".to_string(),
        ],
        am_port,
        "/-/ready",
    );

    let value = dir.path().join("value");
    set_value(&value, "20");
    let app_port = free_port();
    let _app = start_python_app(
        app_port,
        &format!(
            "g = p.Gauge('e2e_temperature_celsius', 'Temperature.')\n\
             g.set_function(lambda: float(open({:?}).read()))",
            value.display().to_string()
        ),
    );

    let rules = dir.path().join("rules.yml");
    std::fs::write(
        &rules,
        "groups:\n\
         - name: e2e\n  interval: 1s\n  rules:\n\
         \x20 - record: job:e2e_temperature_celsius:max\n    expr: max by (job) (e2e_temperature_celsius)\n\
         \x20 - alert: TooHot\n    expr: e2e_temperature_celsius > 30\n    for: 2s\n\
         \x20   labels:\n      severity: page\n\
         \x20   annotations:\n      summary: '{{ $labels.instance }} is at {{ $value }} degrees'\n\
         \x20 - alert: Warm\n    expr: e2e_temperature_celsius > 10\n    for: 10m\n",
    )
    .unwrap();
    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n  external_labels:\n    site: lab\n\
             rule_files: ['{}']\n\
             alerting:\n  alertmanagers:\n  - static_configs:\n    - targets: ['127.0.0.1:{am_port}']\n\
             scrape_configs:\n\
             - job_name: app\n  static_configs:\n  - targets: ['127.0.0.1:{app_port}']\n",
            rules.display()
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("vigil.log");
    let mut server = start_server(&config, &data, port, &log, GRACE);
    let dump = |log: &Path| std::fs::read_to_string(log).unwrap_or_default();

    // The recording rule's series is queryable.
    let recorded = wait_for(30, || {
        let v = api(port, "/api/v1/query?query=job:e2e_temperature_celsius:max");
        v["data"]["result"][0]["value"][1] == "20"
    });
    assert!(recorded, "no recorded series: {}", dump(&log));
    let v = api(port, "/api/v1/rules");
    assert_eq!(v["data"]["groups"][0]["name"], "e2e", "{v}");
    assert_eq!(
        v["data"]["groups"][0]["rules"].as_array().map(Vec::len),
        Some(3)
    );

    // Warm is pending; TooHot is not active.
    assert!(wait_for(20, || alerts(port, "Warm")
        .first()
        .is_some_and(|a| a["state"] == "pending")));
    assert!(alerts(port, "TooHot").is_empty());

    // Hot: TooHot fires and reaches Alertmanager with rendered annotations.
    set_value(&value, "35");
    let firing = wait_for(30, || {
        alerts(port, "TooHot")
            .first()
            .is_some_and(|a| a["state"] == "firing")
    });
    assert!(
        firing,
        "TooHot never fired: {:?}\n{}",
        api(port, "/api/v1/alerts"),
        dump(&log)
    );
    let delivered = wait_for(30, || {
        amtool_alerts(am_port)
            .iter()
            .any(|a| a["labels"]["alertname"] == "TooHot")
    });
    assert!(delivered, "Alertmanager never got TooHot: {}", dump(&log));
    let am = amtool_alerts(am_port);
    let hot = am
        .iter()
        .find(|a| a["labels"]["alertname"] == "TooHot")
        .unwrap();
    assert_eq!(hot["labels"]["severity"], "page", "{hot}");
    assert_eq!(hot["labels"]["job"], "app", "{hot}");
    assert_eq!(
        hot["labels"]["site"], "lab",
        "external labels are added: {hot}"
    );
    assert_eq!(
        hot["annotations"]["summary"],
        format!("127.0.0.1:{app_port} is at 35 degrees"),
        "{hot}"
    );
    assert!(
        hot["generatorURL"]
            .as_str()
            .is_some_and(|u| u.contains("/graph?g0.expr=")),
        "{hot}"
    );
    // ALERTS series are written.
    let v = api(
        port,
        "/api/v1/query?query=ALERTS%7Balertname%3D%22TooHot%22%7D",
    );
    assert_eq!(
        v["data"]["result"][0]["metric"]["alertstate"], "firing",
        "{v}"
    );

    // Cool again: the alert resolves in Vigil and in Alertmanager.
    set_value(&value, "20");
    assert!(wait_for(30, || alerts(port, "TooHot").is_empty()));
    let resolved = wait_for(60, || {
        !amtool_alerts(am_port)
            .iter()
            .any(|a| a["labels"]["alertname"] == "TooHot")
    });
    assert!(
        resolved,
        "TooHot still active in Alertmanager: {}",
        dump(&log)
    );

    // A restart keeps Warm's `for` progress: Prometheus restores the time
    // it had spent pending (ALERTS_FOR_STATE), shifting its start by the
    // downtime, so it does not start over at the restart.
    let mut warm = Vec::new();
    assert!(
        wait_for(30, || {
            warm = alerts(port, "Warm");
            !warm.is_empty()
        }),
        "Warm is not active: {}",
        dump(&log)
    );
    let active_at = rfc3339_secs(warm[0]["activeAt"].as_str().unwrap());
    assert!(wait_for(30, || now_secs() - active_at >= 6.0));
    server.signal_and_wait("TERM");
    drop(server);
    let restarted_at = now_secs();
    let log2 = dir.path().join("vigil2.log");
    let _server = start_server(&config, &data, port, &log2, GRACE);
    // Restore runs after the second evaluation, as in Prometheus; until
    // then the alert is pending since the restart. Without a restore it
    // would stay so.
    let restored = wait_for(20, || {
        alerts(port, "Warm").first().is_some_and(|a| {
            a["state"] == "pending"
                && a["activeAt"]
                    .as_str()
                    .is_some_and(|t| rfc3339_secs(t) < restarted_at - 2.0)
        })
    });
    assert!(
        restored,
        "Warm restarted its `for`: {:?}\n{}",
        alerts(port, "Warm"),
        dump(&log2)
    );
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
fn rfc3339_secs(s: &str) -> f64 {
    let num = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (num(0, 4), num(5, 7), num(8, 10));
    let (hh, mm, ss) = (num(11, 13), num(14, 16), num(17, 19));
    let frac: f64 = s[19..].trim_end_matches('Z').parse::<f64>().unwrap_or(0.0);
    // Days from civil (proleptic Gregorian).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400 + hh * 3600 + mm * 60 + ss) as f64 + frac
}

/// Writes the app's value file atomically (a temporary file renamed over
/// it): the app reads it on every scrape, and a plain write could be seen
/// truncated, failing that scrape and resetting the alerts.
fn set_value(path: &Path, v: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, v).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}
