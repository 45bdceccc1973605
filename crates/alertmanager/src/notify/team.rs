//! Team chats: Mattermost incoming webhooks (the message as one attachment
//! unless `attachments` are configured, which then carry their own fields)
//! and Rocket.Chat's `chat.postMessage` with `X-Auth-Token`/`X-User-Id`.

use serde_json::{Map, Value, json};

use super::http::Outgoing;
use super::slack::put;
use super::{Ctx, NotifyError, read_secret_file};
use crate::config::receivers::{MattermostConfig, MattermostField, RocketchatConfig};

fn fields(ctx: &Ctx<'_>, fs: &[MattermostField]) -> Result<Option<Value>, NotifyError> {
    if fs.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for f in fs {
        let mut m = Map::new();
        m.insert("title".into(), Value::String(ctx.text(&f.title)?));
        m.insert("value".into(), Value::String(ctx.text(&f.value)?));
        if let Some(s) = f.short {
            m.insert("short".into(), Value::Bool(s));
        }
        out.push(Value::Object(m));
    }
    Ok(Some(Value::Array(out)))
}

pub(crate) fn mattermost(ctx: &Ctx<'_>, c: &MattermostConfig) -> Result<Outgoing, NotifyError> {
    let text = ctx.text(&c.text)?;
    let mut req = Map::new();
    put(&mut req, "channel", ctx.text(&c.channel)?);
    put(&mut req, "username", ctx.text(&c.username)?);
    put(&mut req, "icon_url", ctx.text(&c.icon_url)?);
    put(&mut req, "icon_emoji", ctx.text(&c.icon_emoji)?);
    put(&mut req, "type", ctx.text(&c.type_)?);
    if let Some(p) = c.priority.as_ref().filter(|p| !p.priority.is_empty()) {
        req.insert(
            "priority".into(),
            json!({
                "priority": ctx.text(&p.priority)?,
                "requested_ack": p.requested_ack,
                "persistent_notifications": p.persistent_notifications,
            }),
        );
    }
    if let Some(p) = c.props.as_ref().filter(|p| !p.card.is_empty()) {
        req.insert("props".into(), json!({"card": ctx.text(&p.card)?}));
    }
    let mut atts = Vec::new();
    if c.attachments.is_empty() {
        let mut a = Map::new();
        put(&mut a, "fallback", ctx.text(&c.fallback)?);
        put(&mut a, "color", ctx.text(&c.color)?);
        put(&mut a, "pretext", ctx.text(&c.pretext)?);
        put(&mut a, "text", text);
        put(&mut a, "author_name", ctx.text(&c.author_name)?);
        put(&mut a, "author_link", ctx.text(&c.author_link)?);
        put(&mut a, "author_icon", ctx.text(&c.author_icon)?);
        put(&mut a, "title", ctx.text(&c.title)?);
        put(&mut a, "title_link", ctx.text(&c.title_link)?);
        if let Some(f) = fields(ctx, &c.fields)? {
            a.insert("fields".into(), f);
        }
        put(&mut a, "thumb_url", ctx.text(&c.thumb_url)?);
        put(&mut a, "footer", ctx.text(&c.footer)?);
        put(&mut a, "footer_icon", ctx.text(&c.footer_icon)?);
        put(&mut a, "image_url", ctx.text(&c.image_url)?);
        atts.push(Value::Object(a));
    } else {
        // With explicit attachments the text goes into the message itself.
        put(&mut req, "text", text);
        for att in &c.attachments {
            let mut a = Map::new();
            put(&mut a, "fallback", ctx.text(&att.fallback)?);
            put(&mut a, "color", ctx.text(&att.color)?);
            put(&mut a, "pretext", ctx.text(&att.pretext)?);
            put(&mut a, "text", ctx.text(&att.text)?);
            put(&mut a, "author_name", ctx.text(&att.author_name)?);
            put(&mut a, "author_link", ctx.text(&att.author_link)?);
            put(&mut a, "author_icon", ctx.text(&att.author_icon)?);
            put(&mut a, "title", ctx.text(&att.title)?);
            put(&mut a, "title_link", ctx.text(&att.title_link)?);
            if let Some(f) = fields(ctx, &att.fields)? {
                a.insert("fields".into(), f);
            }
            put(&mut a, "thumb_url", ctx.text(&att.thumb_url)?);
            put(&mut a, "footer", ctx.text(&att.footer)?);
            put(&mut a, "footer_icon", ctx.text(&att.footer_icon)?);
            put(&mut a, "image_url", ctx.text(&att.image_url)?);
            atts.push(Value::Object(a));
        }
    }
    req.insert("attachments".into(), Value::Array(atts));
    let url = match &c.webhook_url {
        Some(u) => u.expose().to_string(),
        None => read_secret_file(&c.webhook_url_file)?,
    };
    Ok(Outgoing::post_json(url, Value::Object(req)))
}

pub(crate) fn rocketchat(ctx: &Ctx<'_>, c: &RocketchatConfig) -> Result<Outgoing, NotifyError> {
    let mut att = Map::new();
    put(&mut att, "title", ctx.text(&c.title)?);
    put(&mut att, "title_link", ctx.text(&c.title_link)?);
    put(&mut att, "text", ctx.text(&c.text)?);
    put(&mut att, "image_url", ctx.text(&c.image_url)?);
    put(&mut att, "thumb_url", ctx.text(&c.thumb_url)?);
    put(&mut att, "color", ctx.text(&c.color)?);
    if !c.fields.is_empty() {
        let mut fs = Vec::new();
        for f in &c.fields {
            let mut m = Map::new();
            m.insert(
                "short".into(),
                Value::Bool(f.short.unwrap_or(c.short_fields)),
            );
            put(&mut m, "title", ctx.text(&f.title)?);
            put(&mut m, "value", ctx.text(&f.value)?);
            fs.push(Value::Object(m));
        }
        att.insert("fields".into(), Value::Array(fs));
    }
    let mut actions = Vec::new();
    for a in &c.actions {
        let mut m = Map::new();
        put(&mut m, "type", "button".to_string());
        put(&mut m, "text", ctx.text(&a.text)?);
        put(&mut m, "url", ctx.text(&a.url)?);
        put(&mut m, "msg", ctx.text(&a.msg)?);
        actions.push(Value::Object(m));
    }
    let mut req = Map::new();
    put(&mut req, "channel", ctx.text(&c.channel)?);
    put(&mut req, "emoji", ctx.text(&c.emoji)?);
    put(&mut req, "avatar", ctx.text(&c.icon_url)?);
    req.insert("attachments".into(), json!([Value::Object(att)]));
    if !actions.is_empty() {
        req.insert("actions".into(), Value::Array(actions));
    }
    let token = match &c.token {
        Some(t) if !t.is_empty() => t.expose().to_string(),
        _ => read_secret_file(&c.token_file)?,
    };
    let token_id = match &c.token_id {
        Some(t) if !t.is_empty() => t.expose().to_string(),
        _ => read_secret_file(&c.token_id_file)?,
    };
    let base = c
        .api_url
        .as_ref()
        .map_or("https://open.rocket.chat/", |u| u.as_str());
    let url = format!("{}/api/v1/chat.postMessage", base.trim_end_matches('/'));
    Ok(Outgoing::post_json(url, Value::Object(req))
        .header("X-Auth-Token", token)
        .header("X-User-Id", token_id))
}
