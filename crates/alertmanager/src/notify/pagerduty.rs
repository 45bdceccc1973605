//! PagerDuty: Events API v2 (`routing_key`) with the group's hashed key as
//! `dedup_key`, `trigger` while anything fires and `resolve` after; or the
//! older v1 API (`service_key`). `details` values are templates, rendered
//! through nested maps and lists; events over 512 KB lose their details.

use serde_json::{Map, Value, json};

use super::http::Outgoing;
use super::slack::put;
use super::{Ctx, NotifyError, secret, truncate_runes};
use crate::config::receivers::PagerdutyConfig;

const MAX_SUMMARY_RUNES: usize = 1024;
const MAX_V1_DESCRIPTION_RUNES: usize = 1024;
const MAX_EVENT_BYTES: usize = 512_000;
const V1_URL: &str = "https://events.pagerduty.com/generic/2010-04-15/create_event.json";

/// Renders templates in every string of a YAML value.
fn render(ctx: &Ctx<'_>, v: &serde_yaml_ng::Value) -> Result<Value, NotifyError> {
    use serde_yaml_ng::Value as Y;
    Ok(match v {
        Y::String(s) => Value::String(ctx.text(s)?),
        Y::Sequence(items) => Value::Array(
            items
                .iter()
                .map(|i| render(ctx, i))
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, i) in m {
                let key = match k {
                    Y::String(s) => s.clone(),
                    other => serde_yaml_ng::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                out.insert(key, render(ctx, i)?);
            }
            Value::Object(out)
        }
        other => serde_json::to_value(other).unwrap_or(Value::Null),
    })
}

pub(crate) fn build(ctx: &Ctx<'_>, c: &PagerdutyConfig) -> Result<Outgoing, NotifyError> {
    let action = if ctx.n.resolved() {
        "resolve"
    } else {
        "trigger"
    };
    let mut details = Map::new();
    for (k, v) in &c.details {
        details.insert(k.clone(), render(ctx, v)?);
    }
    let v1 = c.routing_key.is_empty() && c.routing_key_file.is_empty();
    let mut msg = if v1 {
        let key = secret(&c.service_key, &c.service_key_file)?;
        let mut m = Map::new();
        m.insert("service_key".into(), Value::String(ctx.text(&key)?));
        m.insert("incident_key".into(), Value::String(ctx.n.key_hash()));
        m.insert("event_type".into(), Value::String(action.into()));
        put(
            &mut m,
            "description",
            truncate_runes(ctx.text(&c.description)?, MAX_V1_DESCRIPTION_RUNES),
        );
        m.insert("event_action".into(), Value::String(String::new()));
        m.insert("payload".into(), Value::Null);
        if action == "trigger" {
            put(&mut m, "client", ctx.text(&c.client)?);
            put(&mut m, "client_url", ctx.text(&c.client_url)?);
        }
        m.insert("details".into(), Value::Object(details));
        m
    } else {
        let key = ctx.text(&secret(&c.routing_key, &c.routing_key_file)?)?;
        if key.is_empty() {
            return Err(NotifyError::Permanent("routing key cannot be empty".into()));
        }
        let severity = if c.severity.is_empty() {
            "error"
        } else {
            &c.severity
        };
        let mut payload = Map::new();
        payload.insert(
            "summary".into(),
            Value::String(truncate_runes(ctx.text(&c.description)?, MAX_SUMMARY_RUNES)),
        );
        payload.insert("source".into(), Value::String(ctx.text(&c.source)?));
        payload.insert("severity".into(), Value::String(ctx.text(severity)?));
        put(&mut payload, "class", ctx.text(&c.class)?);
        put(&mut payload, "component", ctx.text(&c.component)?);
        put(&mut payload, "group", ctx.text(&c.group)?);
        if !details.is_empty() {
            payload.insert("custom_details".into(), Value::Object(details));
        }
        let mut m = Map::new();
        m.insert("routing_key".into(), Value::String(key));
        m.insert("dedup_key".into(), Value::String(ctx.n.key_hash()));
        m.insert("event_action".into(), Value::String(action.into()));
        m.insert("payload".into(), Value::Object(payload));
        put(&mut m, "client", ctx.text(&c.client)?);
        put(&mut m, "client_url", ctx.text(&c.client_url)?);
        let mut images = Vec::new();
        for i in &c.images {
            let src = ctx.text(&i.src)?;
            if !src.is_empty() {
                images.push(
                    json!({"src": src, "alt": ctx.text(&i.alt)?, "href": ctx.text(&i.href)?}),
                );
            }
        }
        let mut links = Vec::new();
        for l in &c.links {
            let href = ctx.text(&l.href)?;
            if !href.is_empty() {
                links.push(json!({"href": href, "text": ctx.text(&l.text)?}));
            }
        }
        if !images.is_empty() {
            m.insert("images".into(), Value::Array(images));
        }
        if !links.is_empty() {
            m.insert("links".into(), Value::Array(links));
        }
        m
    };
    // PagerDuty refuses events over its size limit: the details go first.
    if Value::Object(msg.clone()).to_string().len() > MAX_EVENT_BYTES {
        let note = json!({"error": "Custom details have been removed because the original event exceeds the maximum size of 512kB"});
        if let Some(Value::Object(p)) = msg.get_mut("payload") {
            p.insert("custom_details".into(), note);
        } else {
            msg.insert("details".into(), note);
        }
    }
    let url = if v1 {
        V1_URL.to_string()
    } else {
        c.url
            .as_ref()
            .map(|u| u.as_str().to_string())
            .unwrap_or_default()
    };
    let mut out = Outgoing::post_json(url, Value::Object(msg));
    // v1 answers 403 when throttled, v2 429.
    out.retry_codes = if v1 { vec![403] } else { vec![429] };
    out.timeout = c.timeout.0;
    Ok(out)
}
