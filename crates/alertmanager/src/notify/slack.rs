//! Slack: one message with one attachment (title, link, text, fields,
//! actions, colour) to an incoming webhook or, with an app token, the Web
//! API's `chat.postMessage`. Responses are read as Slack answers: JSON
//! `ok`, or the text `ok` from webhooks.

use serde_json::{Map, Value, json};

use super::http::{Check, Outgoing};
use super::{Ctx, NotifyError, read_secret_file, truncate_runes};
use crate::config::receivers::SlackConfig;

const MAX_TITLE_RUNES: usize = 1024;

/// Inserts `v` under `k` unless it is empty (Go's `omitempty`).
pub(crate) fn put(m: &mut Map<String, Value>, k: &str, v: String) {
    if !v.is_empty() {
        m.insert(k.to_string(), Value::String(v));
    }
}

pub(crate) fn build(ctx: &Ctx<'_>, c: &SlackConfig) -> Result<Outgoing, NotifyError> {
    let mut att = Map::new();
    put(
        &mut att,
        "title",
        truncate_runes(ctx.text(&c.title)?, MAX_TITLE_RUNES),
    );
    put(&mut att, "title_link", ctx.text(&c.title_link)?);
    put(&mut att, "pretext", ctx.text(&c.pretext)?);
    att.insert("text".into(), Value::String(ctx.text(&c.text)?));
    att.insert("fallback".into(), Value::String(ctx.text(&c.fallback)?));
    att.insert(
        "callback_id".into(),
        Value::String(ctx.text(&c.callback_id)?),
    );
    if !c.fields.is_empty() {
        let mut fields = Vec::new();
        for f in &c.fields {
            fields.push(json!({
                "title": ctx.text(&f.title)?,
                "value": ctx.text(&f.value)?,
                "short": f.short.unwrap_or(c.short_fields),
            }));
        }
        att.insert("fields".into(), Value::Array(fields));
    }
    if !c.actions.is_empty() {
        let mut actions = Vec::new();
        for a in &c.actions {
            let mut m = Map::new();
            m.insert("type".into(), Value::String(ctx.text(&a.type_)?));
            m.insert("text".into(), Value::String(ctx.text(&a.text)?));
            put(&mut m, "url", ctx.text(&a.url)?);
            put(&mut m, "style", ctx.text(&a.style)?);
            put(&mut m, "name", ctx.text(&a.name)?);
            put(&mut m, "value", ctx.text(&a.value)?);
            if let Some(cf) = &a.confirm {
                m.insert(
                    "confirm".into(),
                    json!({
                        "text": ctx.text(&cf.text)?,
                        "title": ctx.text(&cf.title)?,
                        "ok_text": ctx.text(&cf.ok_text)?,
                        "dismiss_text": ctx.text(&cf.dismiss_text)?,
                    }),
                );
            }
            actions.push(Value::Object(m));
        }
        att.insert("actions".into(), Value::Array(actions));
    }
    put(&mut att, "image_url", ctx.text(&c.image_url)?);
    put(&mut att, "thumb_url", ctx.text(&c.thumb_url)?);
    att.insert("footer".into(), Value::String(ctx.text(&c.footer)?));
    put(&mut att, "color", ctx.text(&c.color)?);
    let mrkdwn: Vec<String> = if c.mrkdwn_in.is_empty() {
        vec!["fallback".into(), "pretext".into(), "text".into()]
    } else {
        c.mrkdwn_in.clone()
    };
    att.insert("mrkdwn_in".into(), json!(mrkdwn));

    let mut req = Map::new();
    put(&mut req, "channel", ctx.text(&c.channel)?);
    put(&mut req, "username", ctx.text(&c.username)?);
    put(&mut req, "icon_emoji", ctx.text(&c.icon_emoji)?);
    put(&mut req, "icon_url", ctx.text(&c.icon_url)?);
    if c.link_names {
        req.insert("link_names".into(), Value::Bool(true));
    }
    put(&mut req, "text", ctx.text(&c.message_text)?);
    req.insert("attachments".into(), Value::Array(vec![Value::Object(att)]));

    let url = match &c.api_url {
        Some(u) => u.expose().to_string(),
        None => read_secret_file(&c.api_url_file)?,
    };
    let mut out = Outgoing::post_json(url, Value::Object(req));
    out.check = Check::Slack;
    out.timeout = c.timeout.0;
    Ok(out)
}
