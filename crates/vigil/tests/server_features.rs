//! `vigil server`'s `/api/v1/features` follows its flags, and
//! `--enable-feature=concurrent-rule-eval` with `--rules.max-concurrent-evals`
//! reaches the rule manager: independent rules of a group still record.

#[path = "server_support/mod.rs"]
mod server_support;
#[path = "pushgateway_support/mod.rs"]
mod support;

use server_support::{api, start_server};
use support::{free_port, wait_for};

fn value(port: u16, q: &str) -> Option<f64> {
    api(port, &format!("/api/v1/query?query={q}"))["data"]["result"][0]["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
}

#[test]
fn features_follow_the_flags_and_concurrent_rules_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yml");
    std::fs::write(
        &rules,
        "groups:\n- name: g\n  interval: 1s\n  rules:\n  - record: a\n    expr: vector(1)\n  \
         - record: b\n    expr: vector(2)\n  - record: c\n    expr: a + 1\n",
    )
    .unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, format!("rule_files: ['{}']\n", rules.display())).unwrap();
    let port = free_port();
    let _server = start_server(
        &config,
        &dir.path().join("data"),
        port,
        &dir.path().join("vigil.log"),
        &[
            "--enable-feature=concurrent-rule-eval",
            "--rules.max-concurrent-evals=2",
            "--web.enable-lifecycle",
        ],
    );
    let f = api(port, "/api/v1/features");
    assert_eq!(f["data"]["rules"]["concurrent_rule_eval"], true, "{f}");
    assert_eq!(f["data"]["api"]["lifecycle"], true);
    assert_eq!(f["data"]["api"]["admin"], false);
    assert_eq!(f["data"]["prometheus"]["server_mode"], true);
    assert_eq!(f["data"]["service_discovery_providers"]["file"], true);
    assert_eq!(f["data"]["templating_functions"]["humanize"], true);
    assert!(wait_for(30, || value(port, "a") == Some(1.0)
        && value(port, "b") == Some(2.0)
        && value(port, "c") == Some(2.0)));
}
