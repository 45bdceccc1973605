//! `vigil tool check service-discovery` beside Debian's promtool: static
//! configs with relabeling compared byte for byte (stdout, stderr, exit
//! code). promtool 2.42 panics on file SD ("send on closed channel" when
//! its timeout ends), so file SD is checked against the 3.x shape only.

#[path = "pushgateway_support/mod.rs"]
mod support;

use std::process::Command;

use support::have_peer;

const PROMTOOL: &str = "/usr/bin/promtool";

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

const STATIC: &str = r#"global:
  scrape_interval: 15s
scrape_configs:
  - job_name: plain
    static_configs:
      - targets: ['localhost:9090', 'b.example:80']
        labels: {team: "x<y>"}
  - job_name: relabeled
    scheme: https
    metrics_path: /m
    static_configs:
      - targets: ['a:1', 'drop-me:2', 'a:1']
    relabel_configs:
      - source_labels: [__address__]
        regex: 'drop-me:.*'
        action: drop
      - source_labels: [__address__]
        target_label: host
        regex: '([^:]+):.*'
      - target_label: __param_x
        replacement: y
  - job_name: empty
    static_configs: []
"#;

#[test]
fn static_targets_match_promtool() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("prometheus.yml");
    std::fs::write(&cfg, STATIC).expect("write config");
    let cfg = cfg.to_string_lossy().into_owned();
    let vigil = env!("CARGO_BIN_EXE_vigil");
    let compare = have_peer(PROMTOOL);
    let mut agree = 0;
    let jobs = ["plain", "relabeled", "empty", "missing"];
    for job in jobs {
        let got = run(
            vigil,
            &[
                "tool",
                "check",
                "service-discovery",
                &cfg,
                job,
                "--timeout=1s",
            ],
        );
        if job == "missing" {
            assert_eq!(got.0, 1);
            assert!(
                got.2
                    .starts_with("Job missing not found. Select one of:\n\tplain\n")
            );
        } else {
            assert_eq!(got.0, 0, "{job}: {got:?}");
        }
        if compare {
            let want = run(
                PROMTOOL,
                &["check", "service-discovery", &cfg, job, "--timeout=1s"],
            );
            assert_eq!(got, want, "{job}");
            agree += 1;
        }
    }
    if compare {
        println!("{agree} of {} jobs agree with promtool", jobs.len());
    }
}

#[test]
fn file_sd_targets_are_listed_and_relabeled() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("targets.json"),
        r#"[{"targets":["10.0.0.1:9100","10.0.0.2:9100"],"labels":{"env":"prod"}}]"#,
    )
    .expect("write targets");
    let cfg = dir.path().join("prometheus.yml");
    std::fs::write(
        &cfg,
        "scrape_configs:\n  - job_name: f\n    file_sd_configs:\n      - files: ['targets.json']\n    relabel_configs:\n      - source_labels: [__address__]\n        regex: '10.0.0.2:.*'\n        action: drop\n",
    )
    .expect("write config");
    let cfg = cfg.to_string_lossy().into_owned();
    let got = run(
        env!("CARGO_BIN_EXE_vigil"),
        &["tool", "check", "service-discovery", &cfg, "f"],
    );
    assert_eq!(got.0, 0, "{got:?}");
    let v: serde_json::Value = serde_json::from_str(&got.1).expect("JSON");
    let path = dir
        .path()
        .join("targets.json")
        .to_string_lossy()
        .into_owned();
    assert_eq!(v[0]["discoveredLabels"]["__meta_filepath"], path.as_str());
    assert_eq!(v[0]["labels"]["instance"], "10.0.0.1:9100");
    assert_eq!(v[0]["labels"]["env"], "prod");
    assert_eq!(v[1]["discoveredLabels"]["__address__"], "10.0.0.2:9100");
    // Dropped by relabeling: Go prints the empty label set.
    assert_eq!(v[1]["labels"], serde_json::json!({}));
    assert!(!got.1.ends_with('\n'), "promtool prints no final newline");
}
