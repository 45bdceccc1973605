//! Tests of the template data, the functions and the default templates.

use super::*;
use crate::alert::Alert;
use crate::matcher::LabelSet;

fn ls(pairs: &[(&str, &str)]) -> LabelSet {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn alert(labels: &[(&str, &str)], summary: &str, ends_at: i64) -> Alert {
    Alert {
        labels: ls(labels),
        annotations: ls(&[("summary", summary)]),
        starts_at: 1_700_000_000_000_000_000,
        ends_at,
        generator_url: "http://prom/graph".into(),
        updated_at: 0,
        timeout: false,
    }
}

const NOW: i64 = 1_700_000_600_000_000_000;

fn data() -> Data {
    Data::new(
        "team-x",
        &ls(&[("alertname", "HighLatency")]),
        &[
            alert(
                &[
                    ("alertname", "HighLatency"),
                    ("job", "api"),
                    ("instance", "a:1"),
                ],
                "slow",
                0,
            ),
            alert(
                &[
                    ("alertname", "HighLatency"),
                    ("job", "api"),
                    ("instance", "b:1"),
                ],
                "slow",
                NOW - 1,
            ),
        ],
        "http://am.example:9093",
        NOW,
    )
}

fn text(t: &str) -> String {
    Templates::defaults()
        .unwrap()
        .execute_text(t, &data().value)
        .unwrap()
}

#[test]
fn data_fields_and_methods() {
    assert_eq!(
        text("{{ .Receiver }} {{ .Status }} {{ len .Alerts }}"),
        "team-x firing 2"
    );
    assert_eq!(
        text("{{ len .Alerts.Firing }}/{{ len .Alerts.Resolved }}"),
        "1/1"
    );
    assert_eq!(
        text("{{ .CommonLabels }}|{{ .CommonLabels.Names }}|{{ .CommonLabels.Values }}"),
        "alertname=HighLatency, job=api|[alertname job]|[HighLatency api]"
    );
    assert_eq!(
        text("{{ range .CommonLabels.SortedPairs }}{{ .Name }}:{{ .Value }};{{ end }}"),
        "alertname:HighLatency;job:api;"
    );
    assert_eq!(
        text("{{ (index .Alerts 0).Labels.Remove (stringSlice \"job\" \"instance\") }}"),
        "alertname=HighLatency"
    );
    assert_eq!(
        text(
            "{{ range .Alerts.Resolved }}{{ .EndsAt.Unix }}{{ end }} {{ range .Alerts.Firing }}{{ .EndsAt.IsZero }}{{ end }}"
        ),
        "1700000599 true"
    );
    assert_eq!(text("{{ .GroupLabels.nothere }}|"), "|");
    // Alertmanager hands templates the receiver name regex-quoted.
    let d = Data::new("a.b", &LabelSet::new(), &[], "", 0);
    let t = Templates::defaults().unwrap();
    assert_eq!(
        t.execute_text("{{ .Receiver }}", &d.value).unwrap(),
        "a\\.b"
    );
}

#[test]
fn functions() {
    assert_eq!(
        text(
            "{{ date \"2006-01-02\" (index .Alerts 0).StartsAt }} {{ tz \"UTC\" (index .Alerts 0).StartsAt | date \"15:04\" }}"
        ),
        "2023-11-14 22:13"
    );
    if std::path::Path::new("/usr/share/zoneinfo/America/New_York").exists() {
        assert_eq!(
            text(
                "{{ (index .Alerts 0).StartsAt | tz \"America/New_York\" | date \"15:04 MST\" }} {{ (index .Alerts 0).StartsAt | tz \"America/New_York\" }}"
            ),
            "17:13 EST 2023-11-14 17:13:20 -0500 EST"
        );
    }
    assert_eq!(
        text("{{ title \"hello world\" }} {{ toUpper \"a\" }} {{ trimSpace \" x \" }}"),
        "Hello World A x"
    );
    assert_eq!(
        text("{{ reReplaceAll \"a(.)\" \"$1\" \"xaby\" }} {{ match \"^a\" \"abc\" }}"),
        "xby true"
    );
    assert_eq!(
        text("{{ base64encode \"hi?\" }} {{ base64decode \"aGk_\" }}"),
        "aGk_ hi?"
    );
    assert_eq!(text("{{ humanizeDuration 90 }}"), "1m 30s");
    assert!(text("{{ since (index .Alerts 0).StartsAt }}").ends_with('s'));
    assert_eq!(
        text("{{ $d := dict \"a\" 1 }}{{ $d.a }} {{ list 1 2 | len }}"),
        "1 2"
    );
    let t = Templates::defaults().unwrap();
    let e = t
        .execute_text(
            "{{ tz \"Mars/Olympus\" (index .Alerts 0).StartsAt }}",
            &data().value,
        )
        .unwrap_err();
    assert!(e.to_string().contains("Mars/Olympus"), "{e}");
    assert_eq!(
        text("{{ (index .Alerts 0) | toJson }}"),
        concat!(
            r#"{"status":"firing","labels":{"alertname":"HighLatency","instance":"a:1","job":"api"},"#,
            r#""annotations":{"summary":"slow"},"startsAt":"2023-11-14T22:13:20Z","#,
            r#""endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph","fingerprint":"#,
        )
        .to_string()
            + &format!("\"{:016x}\"}}", crate::alert::fingerprint(&ls(&[("alertname", "HighLatency"), ("job", "api"), ("instance", "a:1")])))
    );
}

#[test]
fn default_subject_and_lists() {
    assert_eq!(
        text("{{ template \"__subject\" . }}"),
        "[FIRING:1] HighLatency (api)"
    );
    let only_group = Data::new(
        "r",
        &ls(&[("alertname", "A")]),
        &[alert(&[("alertname", "A")], "s", NOW - 1)],
        "http://am",
        NOW,
    );
    let t = Templates::defaults().unwrap();
    assert_eq!(
        t.execute_text(
            "{{ template \"email.default.subject\" . }}",
            &only_group.value
        )
        .unwrap(),
        "[RESOLVED] A "
    );
    assert_eq!(
        text("{{ template \"slack.default.titlelink\" . }}"),
        "http://am.example:9093/#/alerts?receiver=team-x"
    );
    assert_eq!(text("{{ template \"slack.default.color\" . }}"), "danger");
    let list = text("{{ template \"__text_alert_list\" .Alerts.Firing }}");
    assert_eq!(
        list,
        "Labels:\n - alertname = HighLatency\n - instance = a:1\n - job = api\nAnnotations:\n - summary = slow\nSource: http://prom/graph\n"
    );
    let msg = text("{{ template \"telegram.default.message\" . }}");
    assert!(msg.contains("Alerts Firing:\nLabels:\n"), "{msg}");
    assert!(msg.contains("Alerts Resolved:\nLabels:\n"), "{msg}");
    let md = text("{{ template \"msteams.default.text\" . }}");
    assert!(md.contains("# Alerts Firing:"), "{md}");
    assert_eq!(
        text("{{ template \"opsgenie.default.description\" . }}")
            .lines()
            .next(),
        Some("slow")
    );
    assert_eq!(text("{{ template \"jira.default.priority\" . }}"), "");
}

#[test]
fn email_html_escapes_values() {
    let d = Data::new(
        "r",
        &ls(&[("alertname", "A<b>")]),
        &[alert(&[("alertname", "A<b>")], "x & y", 0)],
        "http://am",
        NOW,
    );
    let t = Templates::defaults().unwrap();
    let html = t
        .execute_html("{{ template \"email.default.html\" . }}", &d.value)
        .unwrap();
    assert!(html.contains("alertname = A&lt;b&gt;"), "{html}");
    assert!(html.contains("summary = x &amp; y"), "{html}");
    assert!(html.contains("[1] Firing"), "{html}");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
}

#[test]
fn user_templates_override_defaults() {
    let dir = std::env::temp_dir().join(format!("vigil-am-tmpl-o-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("mine.tmpl"),
        r#"{{ define "__subject" }}custom {{ .Status }}{{ end }}{{ define "x" }}{{ template "slack.default.title" . }}{{ end }}"#,
    )
    .unwrap();
    let t = Templates::from_globs(&[format!("{}/*.tmpl", dir.display())]).unwrap();
    assert_eq!(
        t.execute_text("{{ template \"x\" . }}", &data().value)
            .unwrap(),
        "custom firing"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn jira_priority_takes_the_most_severe() {
    let d = Data::new(
        "r",
        &LabelSet::new(),
        &[
            alert(&[("severity", "info")], "", 0),
            alert(&[("severity", "warning"), ("i", "2")], "", 0),
        ],
        "",
        NOW,
    );
    let t = Templates::defaults().unwrap();
    assert_eq!(
        t.execute_text("{{ template \"jira.default.priority\" . }}", &d.value)
            .unwrap(),
        "Medium"
    );
}
