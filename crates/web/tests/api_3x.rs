//! Endpoints Prometheus 3.x added to API v1 (Debian's 2.42 has none of
//! them, so the expected JSON follows 3.x's source): `parse_query`, rule
//! group pagination, `features` and `notifications`.

mod common;

use std::sync::Arc;

use common::{get, post_form, start};
use serde_json::Value;
use vigil_web::{RecordingRule, Rule, RuleGroup, RulesProvider};

fn data(body: &str) -> Value {
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["status"], "success", "{body}");
    v["data"].clone()
}

#[tokio::test]
async fn parse_query_returns_the_tree() {
    let s = start(|_| {}, |st| st).await;
    let (code, body) = get(&s, "/api/v1/parse_query?query=sum(rate(x%5B5m%5D))").await;
    assert_eq!(code, 200, "{body}");
    let d = data(&body);
    assert_eq!(d["type"], "aggregation");
    assert_eq!(d["op"], "sum");
    assert_eq!(d["expr"]["type"], "call");
    assert_eq!(d["expr"]["args"][0]["type"], "matrixSelector");
    assert_eq!(d["expr"]["args"][0]["range"], 300_000);
    // POST form works too, and errors are bad_data on the parameter.
    let (code, body) = post_form(&s, "/api/v1/parse_query", "query=1%2B").await;
    assert_eq!(code, 400, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["errorType"], "bad_data");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid parameter \"query\": 1:3: parse error"),
        "{body}"
    );
    s.stop().await;
}

struct Groups(Vec<RuleGroup>);

impl RulesProvider for Groups {
    fn rule_groups(&self) -> Vec<RuleGroup> {
        self.0.clone()
    }
}

fn group(file: &str, name: &str, rules: &[&str]) -> RuleGroup {
    RuleGroup {
        name: name.into(),
        file: file.into(),
        interval: 60.0,
        rules: rules
            .iter()
            .map(|r| {
                Rule::Recording(RecordingRule {
                    name: (*r).into(),
                    query: "vector(1)".into(),
                    ..RecordingRule::default()
                })
            })
            .collect(),
        ..RuleGroup::default()
    }
}

fn names(d: &Value) -> Vec<String> {
    d["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn rule_groups_are_paginated() {
    let groups = vec![
        group("a.yml", "g1", &["r1"]),
        group("a.yml", "g2", &["r2"]),
        group("b.yml", "g3", &["r3"]),
        group("b.yml", "g4", &["r4"]),
        group("b.yml", "g5", &["r5"]),
    ];
    let s = start(|_| {}, |st| st.with_rules(Arc::new(Groups(groups)))).await;
    // Without a limit, every group and no token.
    let (_, body) = get(&s, "/api/v1/rules").await;
    let d = data(&body);
    assert_eq!(names(&d).len(), 5);
    assert!(d.get("groupNextToken").is_none());

    let mut seen = Vec::new();
    let mut path = "/api/v1/rules?group_limit=2".to_string();
    let mut pages = 0;
    loop {
        let (code, body) = get(&s, &path).await;
        assert_eq!(code, 200, "{body}");
        let d = data(&body);
        seen.extend(names(&d));
        pages += 1;
        match d.get("groupNextToken").and_then(Value::as_str) {
            Some(t) => {
                // The token is sha256("<file>;<group>") of the first group
                // of the next page, as in Prometheus.
                assert_eq!(t.len(), 64);
                path = format!("/api/v1/rules?group_limit=2&group_next_token={t}");
            }
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["g1", "g2", "g3", "g4", "g5"]);
    // The first group's token, computed independently.
    let (_, body) = get(&s, "/api/v1/rules?group_limit=1").await;
    assert_eq!(
        data(&body)["groupNextToken"],
        // sha256("a.yml;g2"), from sha256sum.
        "a3b9da0b105221cde2021e6b4db4a93c8ee872c083ea95cbbc7b89cf54cd794f"
    );

    for (q, msg) in [
        (
            "group_next_token=abc",
            "invalid parameter \"group_next_token\": group_limit needs to be present in order to paginate over the groups",
        ),
        (
            "group_limit=x",
            "invalid parameter \"group_limit\": group_limit needs to be a valid number: strconv.ParseInt: parsing \"x\": invalid syntax",
        ),
        (
            "group_limit=0",
            "invalid parameter \"group_limit\": group_limit needs to be greater than 0",
        ),
        (
            "group_limit=2&group_next_token=abc",
            "invalid parameter \"group_next_token\": invalid group_next_token 'abc'. were rule groups changed?",
        ),
    ] {
        let (code, body) = get(&s, &format!("/api/v1/rules?{q}")).await;
        assert_eq!(code, 400, "{q}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"], msg, "{q}");
    }
    // Filters apply before the page is cut.
    let (_, body) = get(&s, "/api/v1/rules?group_limit=1&file[]=b.yml").await;
    let d = data(&body);
    assert_eq!(names(&d), ["g3"]);
    assert!(d["groupNextToken"].is_string());
    s.stop().await;
}

#[tokio::test]
async fn features_list_what_the_server_has() {
    let s = start(|o| o.enable_admin_api = true, |st| st).await;
    let (code, body) = get(&s, "/api/v1/features").await;
    assert_eq!(code, 200, "{body}");
    // Operators are written unescaped, as Prometheus writes this object.
    assert!(body.contains(r#"">=":true"#), "{body}");
    let d = data(&body);
    assert_eq!(d["api"]["admin"], true);
    assert_eq!(d["api"]["lifecycle"], false);
    assert_eq!(d["promql_functions"]["histogram_quantile"], true);
    assert_eq!(d["promql"]["at_modifier"], true);
    s.state.features().enable("rules", "keep_firing_for");
    let (_, body) = get(&s, "/api/v1/features").await;
    assert_eq!(data(&body)["rules"]["keep_firing_for"], true);
    s.stop().await;
}

#[tokio::test]
async fn notifications_are_listed_and_streamed() {
    use vigil_web::notifications::{CONFIGURATION_UNSUCCESSFUL, STARTING_UP};
    let s = start(|_| {}, |st| st).await;
    let (code, body) = get(&s, "/api/v1/notifications").await;
    assert_eq!(code, 200);
    assert_eq!(data(&body), serde_json::json!([]));

    s.state.notifications().add(STARTING_UP);
    let mut live = common::client()
        .get(s.url("/api/v1/notifications/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(
        live.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    // Reads one `data: …\n\n` event, across chunks if need be.
    let mut buf = String::new();
    let mut next_event = async || -> Value {
        loop {
            if let Some(end) = buf.find("\n\n") {
                let event = buf[..end].to_string();
                buf.drain(..end + 2);
                let json = event.strip_prefix("data: ").expect("an SSE data line");
                return serde_json::from_str(json).unwrap();
            }
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(30), live.chunk())
                .await
                .expect("no event within 30 s")
                .unwrap()
                .expect("stream ended");
            buf.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    };
    let first = next_event().await;
    assert_eq!(first["text"], STARTING_UP);
    assert_eq!(first["active"], true);
    s.state.notifications().add(CONFIGURATION_UNSUCCESSFUL);
    s.state.notifications().delete(STARTING_UP);
    let second = next_event().await;
    assert_eq!(second["text"], CONFIGURATION_UNSUCCESSFUL);
    let third = next_event().await;
    assert_eq!(
        (third["text"].clone(), third["active"].clone()),
        (Value::from(STARTING_UP), Value::from(false))
    );

    let (_, body) = get(&s, "/api/v1/notifications").await;
    let list = data(&body);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["text"], CONFIGURATION_UNSUCCESSFUL);
    assert!(list[0]["date"].as_str().unwrap().ends_with('Z'));
    drop(live);
    s.stop().await;
}
