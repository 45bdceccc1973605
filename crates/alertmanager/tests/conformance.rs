//! Loads every file of the Alertmanager conformance corpus
//! (`/work/shared/conformance/alertmanager/config/`) and checks the verdict
//! recorded in `config-expectations.tsv` (`load` or `refuse`); a refusal
//! must name the field at fault. The `amtool/` files are checked too.

use std::path::{Path, PathBuf};

use vigil_alertmanager::Config;

const ROOT: &str = "/work/shared/conformance/alertmanager";

/// The corpus directory, or `None` (test skipped) when it is absent
/// outside CI; in CI a missing corpus fails the test.
fn corpus() -> Option<PathBuf> {
    let root = PathBuf::from(ROOT);
    if root.join("config-expectations.tsv").is_file() {
        return Some(root);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "conformance data missing at {ROOT}"
    );
    eprintln!("skipped: no conformance data at {ROOT}");
    None
}

/// The word of the refusal message that shows which field is wrong, for
/// each file the corpus expects to be refused.
fn field_named(file: &str) -> &'static str {
    match file {
        "conf.mattermost-no-webhook-url.yml" => "webhook_url",
        f if f.starts_with("conf.mattermost") => "mattermost_webhook_url",
        f if f.starts_with("conf.nil-match_re") => "invalid_label",
        f if f.starts_with("conf.nil-source") => "invalid_source_label",
        f if f.starts_with("conf.nil-target") => "invalid_target_label",
        "conf.opsgenie-default-apikey-old-team.yml" => "teams",
        "conf.opsgenie-no-apikey.yml" => "OpsGenie API Key",
        f if f.starts_with("conf.opsgenie") => "api_key",
        "conf.rocketchat-both-tokenid-and-tokenidfile.yml" => "rocketchat_token_id",
        "conf.rocketchat-no-token.yml" => "Rocketchat Token",
        f if f.starts_with("conf.rocketchat") => "rocketchat_token",
        "conf.slack-both-file-and-token.yml" => "slack_app_token",
        "conf.slack-both-file-and-url.yml" | "conf.slack-both-url-and-token.yml" => "slack_api_url",
        "conf.slack-update-message-and-webhook.yml" => "update_message",
        f if f.starts_with("conf.slack") => "Slack API URL",
        f if f.starts_with("conf.smtp") => "smtp_auth_password",
        f if f.starts_with("conf.sns") => "ARN",
        f if f.starts_with("conf.telegram") => "bot_token",
        "conf.victorops-no-apikey.yml" => "VictorOps API Key",
        f if f.starts_with("conf.victorops") => "victorops_api_key",
        "conf.wechat-no-api-secret.yml" => "Wechat Api Secret",
        f if f.starts_with("conf.wechat") => "wechat_api_secret",
        _ => "",
    }
}

#[test]
fn config_expectations() {
    let Some(root) = corpus() else { return };
    let tsv = std::fs::read_to_string(root.join("config-expectations.tsv")).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in tsv.lines().filter(|l| !l.trim().is_empty()) {
        let (file, verdict) = line.split_once('\t').unwrap();
        let result = Config::load_file(&root.join("config").join(file));
        match (verdict, result) {
            ("load", Ok(_)) => {}
            ("refuse", Err(e)) => {
                let msg = e.to_string();
                let field = field_named(file);
                if field.is_empty() || !msg.contains(field) {
                    failures.push(format!(
                        "{file}: refused, but the message does not name {field:?}: {msg}"
                    ));
                }
            }
            ("load", Err(e)) => failures.push(format!("{file}: expected to load, got: {e}")),
            ("refuse", Ok(_)) => failures.push(format!("{file}: expected a refusal, loaded")),
            (v, _) => failures.push(format!("{file}: unknown verdict {v}")),
        }
        checked += 1;
    }
    let files = std::fs::read_dir(root.join("config")).unwrap().count();
    assert_eq!(checked, files, "every corpus file has a verdict");
    assert!(
        failures.is_empty(),
        "{} of {checked} files:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} corpus files match their expectation");
}

#[test]
fn amtool_files() {
    let Some(root) = corpus() else { return };
    let dir = root.join("amtool");
    for good in [
        "conf.good.yml",
        "conf.routing.yml",
        "conf.routing-reverted.yml",
    ] {
        let cfg = Config::load_file(&dir.join(good)).unwrap_or_else(|e| panic!("{good}: {e}"));
        assert_eq!(cfg.templates, ["/etc/alertmanager/template/*.tmpl"]);
    }
    let err = Config::load_file(&dir.join("conf.bad.yml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid type"), "{err}");
    assert!(Config::load_file(Path::new("/nonexistent/alertmanager.yml")).is_err());
}

#[test]
fn good_file_details() {
    let Some(root) = corpus() else { return };
    let cfg = Config::load_file(&root.join("config/conf.good.yml")).unwrap();
    assert_eq!(cfg.receivers.len(), 9);
    assert_eq!(cfg.inhibit_rules.len(), 1);
    let printed = cfg.to_yaml();
    assert!(
        !printed.contains("mysecret"),
        "secrets must not be printed:\n{printed}"
    );
    let route = vigil_alertmanager::Route::new(cfg.route.as_ref().unwrap());
    let labels = [
        ("service", "database"),
        ("owner2", "team-X"),
        ("owner", "team-Y"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let receivers: Vec<_> = route
        .match_labels(&labels)
        .iter()
        .map(|r| r.opts.receiver.as_str())
        .collect();
    assert_eq!(receivers, ["team-X-pager", "team-Y-pager"]);
}
