use super::*;

fn refuse(y: &str) -> String {
    match Config::load(y) {
        Ok(_) => panic!("loaded:\n{y}"),
        Err(e) => e.to_string(),
    }
}

const BASE: &str = "route:\n  receiver: r\nreceivers:\n  - name: r\n";

#[test]
fn defaults() {
    let c = Config::load(BASE).unwrap();
    let g = c.global();
    assert_eq!(g.resolve_timeout, vigil_config::Duration::from_secs(300));
    assert_eq!(g.smtp_hello, "localhost");
    assert!(g.smtp_require_tls);
    assert_eq!(
        g.pagerduty_url.as_ref().map(types::HttpUrl::as_str),
        Some("https://events.pagerduty.com/v2/enqueue")
    );
    assert!(c.templates.is_empty());
}

#[test]
fn empty_and_bad_documents() {
    assert_eq!(refuse(""), "no route provided in config");
    assert_eq!(refuse("# only a comment\n"), "no route provided in config");
    assert!(refuse("BAD").contains("invalid type"));
    assert!(refuse("route:\n  receiver: r\n  bogus: 1\nreceivers: [{name: r}]").contains("bogus"));
    assert!(
        refuse("route: {receiver: r}\nreceivers: [{name: r}]\nroute: {receiver: r}")
            .contains("route")
    );
}

#[test]
fn route_rules() {
    let cases = [
        (
            "route: {receiver: x}\nreceivers: [{name: r}]",
            "undefined receiver \"x\" used in route",
        ),
        (
            "route: {}\nreceivers: [{name: r}]",
            "root route must specify a default receiver",
        ),
        (
            "route: {receiver: r, continue: true}\nreceivers: [{name: r}]",
            "cannot have continue in root route",
        ),
        (
            "route: {receiver: r, match: {a: b}}\nreceivers: [{name: r}]",
            "root route must not have any matchers",
        ),
        (
            "route: {receiver: r, matchers: ['a=b']}\nreceivers: [{name: r}]",
            "root route must not have any matchers",
        ),
        (
            "route: {receiver: r, group_by: ['...', a]}\nreceivers: [{name: r}]",
            "cannot have wildcard group_by",
        ),
        (
            "route: {receiver: r, group_by: [a, a]}\nreceivers: [{name: r}]",
            "duplicated label \"a\" in group_by",
        ),
        (
            "route: {receiver: r, group_interval: 0s}\nreceivers: [{name: r}]",
            "group_interval cannot be zero",
        ),
        (
            "route: {receiver: r, repeat_interval: 0s}\nreceivers: [{name: r}]",
            "repeat_interval cannot be zero",
        ),
        (
            "route: {receiver: r, routes: [{match: {'a-b': c}}]}\nreceivers: [{name: r}]",
            "invalid label name \"a-b\"",
        ),
        (
            "route: {receiver: r, routes: [{matchers: ['a=~(']}]}\nreceivers: [{name: r}]",
            "invalid regular expression",
        ),
        (
            "route: {receiver: r, routes: [{mute_time_intervals: [x]}]}\nreceivers: [{name: r}]",
            "undefined time interval \"x\" used in route",
        ),
        (
            "route: {receiver: r, mute_time_intervals: [x]}\nreceivers: [{name: r}]\ntime_intervals: [{name: x}]",
            "root route must not have any mute time intervals",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r}, {name: r}]",
            "notification config name \"r\" is not unique",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r}]\ntime_intervals: [{name: x}, {name: x}]",
            "time interval \"x\" is not unique",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r}]\nmute_time_intervals: [{time_intervals: []}]",
            "missing name in mute time interval",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: ''}]",
            "missing name in receiver",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r}]\ninhibit_rules: [{equal: ['']}]",
            "invalid label name \"\" in equal list",
        ),
    ];
    for (y, want) in cases {
        let got = refuse(y);
        assert!(got.contains(want), "{y}\n got: {got}\nwant: {want}");
    }
    // Muting intervals defined and used below the root are fine.
    Config::load("route: {receiver: r, routes: [{receiver: r, active_time_intervals: [x]}]}\nreceivers: [{name: r}]\ntime_intervals: [{name: x, time_intervals: [{weekdays: [monday]}]}]").unwrap();
}

#[test]
fn receiver_rules() {
    let g = |globals: &str, rcv: &str| {
        format!("global:\n{globals}\nroute: {{receiver: r}}\nreceivers:\n  - name: r\n{rcv}")
    };
    let cases = [
        (
            g("  {}", "    webhook_configs: [{}]"),
            "one of url or url_file must be configured",
        ),
        (
            g("  {}", "    webhook_configs: [{url: 'ftp://x'}]"),
            "unsupported scheme \"ftp\" for URL",
        ),
        (
            g(
                "  {}",
                "    webhook_configs: [{url: 'http://x', url_file: /f}]",
            ),
            "at most one of url & url_file",
        ),
        (
            g("  {}", "    email_configs: [{to: a@b}]"),
            "no global SMTP smarthost set",
        ),
        (
            g("  smtp_smarthost: 'h:25'", "    email_configs: [{to: a@b}]"),
            "no global SMTP from set",
        ),
        (
            g("  {}", "    email_configs: [{}]"),
            "missing to address in email config",
        ),
        (
            g("  {}", "    pagerduty_configs: [{}]"),
            "missing service or routing key",
        ),
        (
            g("  {}", "    pushover_configs: [{token: t}]"),
            "one of user_key or user_key_file",
        ),
        (
            g("  {}", "    victorops_configs: [{api_key: k}]"),
            "missing Routing key in VictorOps config",
        ),
        (
            g(
                "  {}",
                "    victorops_configs: [{api_key: k, routing_key: r, custom_fields: {entity_id: x}}]",
            ),
            "conflicts with the fixed/static fields",
        ),
        (
            g(
                "  {}",
                "    opsgenie_configs: [{api_key: k, responders: [{name: a, type: bogus}]}]",
            ),
            "type does not match valid options",
        ),
        (
            g("  {}", "    telegram_configs: [{bot_token: t}]"),
            "missing chat_id or chat_id_file",
        ),
        (
            g(
                "  {}",
                "    telegram_configs: [{bot_token: t, chat_id: 1, parse_mode: x}]",
            ),
            "unknown parse_mode",
        ),
        (
            g("  {}", "    discord_configs: [{}]"),
            "one of webhook_url or webhook_url_file",
        ),
        (
            g("  {}", "    webex_configs: [{room_id: x}]"),
            "missing webex_configs.http_config.authorization",
        ),
        (
            g("  {}", "    msteams_configs: [{}]"),
            "one of webhook_url or webhook_url_file",
        ),
        (
            g("  {}", "    jira_configs: [{project: p, issue_type: Bug}]"),
            "no global Jira Cloud URL set",
        ),
        (
            g("  {}", "    wechat_configs: [{api_secret: s}]"),
            "no global Wechat CorpID set",
        ),
        (
            g(
                "  {}",
                "    wechat_configs: [{api_secret: s, corp_id: c, message_type: html}]",
            ),
            "weChat message type",
        ),
        (
            g(
                "  {}",
                "    slack_configs: [{api_url: 'http://x', fields: [{title: t}]}]",
            ),
            "missing value in Slack field configuration",
        ),
        (
            g(
                "  {}",
                "    slack_configs: [{api_url: 'http://x', http_config: {bearer_token: a, bearer_token_file: b}}]",
            ),
            "at most one of bearer_token & bearer_token_file",
        ),
    ];
    for (y, want) in cases {
        let got = refuse(&y);
        assert!(got.contains(want), "{y}\n got: {got}\nwant: {want}");
    }
}

#[test]
fn inheritance_and_secrets() {
    let y = "
global:
  smtp_smarthost: 'localhost:25'
  smtp_from: am@example.org
  smtp_auth_password: hunter2
  slack_app_token: xoxb-1
  opsgenie_api_key: ogkey
  http_config:
    proxy_url: 'http://127.0.0.1:1025'
route: {receiver: r}
receivers:
  - name: r
    email_configs: [{to: a@b}, {to: c@d, auth_password_file: /p}]
    slack_configs: [{channel: '#a'}]
    opsgenie_configs: [{api_url: 'https://og.example.org/v2'}]
    webhook_configs: [{url: 'http://h/{{ .GroupKey }}', max_alerts: 3}]
";
    let c = Config::load(y).unwrap();
    let r = &c.receivers[0];
    assert_eq!(r.email_configs[0].from, "am@example.org");
    assert_eq!(r.email_configs[0].auth_password.expose(), "hunter2");
    assert!(
        r.email_configs[1].auth_password.is_empty(),
        "a local file wins"
    );
    assert_eq!(r.email_configs[0].require_tls, Some(true));
    let slack = r.slack_configs[0].as_ref().unwrap();
    let auth = slack
        .http_config
        .as_ref()
        .unwrap()
        .authorization
        .as_ref()
        .unwrap();
    assert_eq!(auth.credentials.expose(), "xoxb-1");
    assert_eq!(
        slack.api_url.as_ref().unwrap().expose(),
        "https://slack.com/api/chat.postMessage"
    );
    assert_eq!(slack.title, "{{ template \"slack.default.title\" . }}");
    let og = r.opsgenie_configs[0].as_ref().unwrap();
    assert_eq!(
        og.api_url.as_ref().unwrap().as_str(),
        "https://og.example.org/v2/"
    );
    assert_eq!(og.api_key.expose(), "ogkey");
    let wh = &r.webhook_configs[0];
    assert_eq!(wh.max_alerts, 3);
    assert!(wh.send_resolved);
    assert!(
        wh.http_config.as_ref().unwrap().proxy_url.is_some(),
        "global http_config inherited"
    );
    let printed = c.to_yaml();
    for secret in ["hunter2", "xoxb-1", "ogkey", "GroupKey"] {
        assert!(!printed.contains(secret), "{secret} leaked:\n{printed}");
    }
    assert!(printed.contains("<secret>"));
}

#[test]
fn lenient_scalars_and_paths() {
    let c = Config::load("route: {receiver: r, routes: [{receiver: r, match: {test: 2, on: true}}]}\nreceivers: [{name: r}]\ntemplates: [t/*.tmpl, /abs/x.tmpl]").unwrap();
    let m = &c.route.as_ref().unwrap().routes[0].match_;
    assert_eq!(m.get("test").map(String::as_str), Some("2"));
    let mut c = c;
    c.resolve_paths(Path::new("/etc/am"));
    assert_eq!(c.templates, ["/etc/am/t/*.tmpl", "/abs/x.tmpl"]);
}
