//! Chat integrations addressed by a webhook or a bot: Discord (an embed
//! coloured by status), Microsoft Teams (a MessageCard, or an Adaptive
//! Card for Workflows), Telegram (`sendMessage` of a bot, HTML parse mode
//! by default, in which the message is executed as an HTML template) and
//! Webex (markdown to a room).

use serde_json::{Map, Value, json};

use super::http::Outgoing;
use super::{Ctx, NotifyError, read_secret_file, secret, truncate_runes};
use crate::config::receivers::{
    DiscordConfig, MsTeamsConfig, MsTeamsV2Config, TelegramConfig, WebexConfig,
};
use crate::config::types::SecretUrl;

fn url_of(u: Option<&SecretUrl>, file: &str) -> Result<String, NotifyError> {
    match u {
        Some(u) => Ok(u.expose().to_string()),
        None => read_secret_file(file),
    }
}

/// Cuts `s` to at most `n` bytes on a character boundary, `...` marking the cut.
fn truncate_bytes(s: String, n: usize) -> String {
    if s.len() <= n {
        return s;
    }
    let mut end = n.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", s.get(..end).unwrap_or(""))
}

pub(crate) fn discord(ctx: &Ctx<'_>, c: &DiscordConfig) -> Result<Outgoing, NotifyError> {
    let color = match ctx.data.status {
        "firing" => 0x992D22,
        "resolved" => 0x2ECC71,
        _ => 0x95A5A6,
    };
    let mut m = Map::new();
    m.insert(
        "content".into(),
        Value::String(truncate_runes(ctx.text(&c.content)?, 2000)),
    );
    m.insert(
        "embeds".into(),
        json!([{
            "title": truncate_runes(ctx.text(&c.title)?, 256),
            "description": truncate_runes(ctx.text(&c.message)?, 4096),
            "color": color,
        }]),
    );
    if !c.username.is_empty() {
        m.insert("username".into(), Value::String(c.username.clone()));
    }
    if !c.avatar_url.is_empty() {
        m.insert("avatar_url".into(), Value::String(c.avatar_url.clone()));
    }
    let url = url_of(c.webhook_url.as_ref(), &c.webhook_url_file)?;
    Ok(Outgoing::post_json(url, Value::Object(m)))
}

pub(crate) fn msteams(ctx: &Ctx<'_>, c: &MsTeamsConfig) -> Result<Outgoing, NotifyError> {
    let color = match ctx.data.status {
        "firing" => "8C1A1A",
        "resolved" => "2DC72D",
        _ => "808080",
    };
    let body = json!({
        "@context": "http://schema.org/extensions",
        "type": "MessageCard",
        "title": ctx.text(&c.title)?,
        "summary": ctx.text(&c.summary)?,
        "text": ctx.text(&c.text)?,
        "themeColor": color,
    });
    let url = url_of(c.webhook_url.as_ref(), &c.webhook_url_file)?;
    Ok(Outgoing::post_json(url, body))
}

pub(crate) fn msteamsv2(ctx: &Ctx<'_>, c: &MsTeamsV2Config) -> Result<Outgoing, NotifyError> {
    let color = if ctx.data.status == "firing" {
        "Attention"
    } else {
        "Good"
    };
    let body = json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.2",
                "body": [
                    {"type": "TextBlock", "text": ctx.text(&c.title)?, "weight": "Bolder",
                     "size": "Medium", "wrap": true, "style": "heading", "color": color},
                    {"type": "TextBlock", "text": ctx.text(&c.text)?, "wrap": true},
                ],
                "msteams": {"width": "full"},
            },
        }],
    });
    let url = url_of(c.webhook_url.as_ref(), &c.webhook_url_file)?;
    Ok(Outgoing::post_json(url, body))
}

pub(crate) fn telegram(ctx: &Ctx<'_>, c: &TelegramConfig) -> Result<Outgoing, NotifyError> {
    let text = if c.parse_mode == "HTML" {
        ctx.html(&c.message)?
    } else {
        ctx.text(&c.message)?
    };
    let chat_id = if c.chat_id_file.is_empty() {
        c.chat_id
    } else {
        let s = read_secret_file(&c.chat_id_file)?;
        s.parse()
            .map_err(|_| NotifyError::Permanent(format!("chat_id_file: not an integer: {s:?}")))?
    };
    let mut m = Map::new();
    m.insert("chat_id".into(), json!(chat_id));
    m.insert("text".into(), Value::String(truncate_runes(text, 4096)));
    if !c.parse_mode.is_empty() {
        m.insert("parse_mode".into(), Value::String(c.parse_mode.clone()));
    }
    if c.disable_notifications {
        m.insert("disable_notification".into(), Value::Bool(true));
    }
    if c.message_thread_id != 0 {
        m.insert("message_thread_id".into(), json!(c.message_thread_id));
    }
    let token = secret(&c.bot_token, &c.bot_token_file)?;
    let base = c
        .api_url
        .as_ref()
        .map_or("https://api.telegram.org", |u| u.as_str());
    let url = format!("{}/bot{token}/sendMessage", base.trim_end_matches('/'));
    Ok(Outgoing::post_json(url, Value::Object(m)))
}

pub(crate) fn webex(ctx: &Ctx<'_>, c: &WebexConfig) -> Result<Outgoing, NotifyError> {
    let msg = truncate_bytes(ctx.text(&c.message)?, 7439);
    let body = json!({"markdown": msg, "roomId": ctx.text(&c.room_id)?});
    let url = c
        .api_url
        .as_ref()
        .map(|u| u.as_str().to_string())
        .unwrap_or_default();
    Ok(Outgoing::post_json(url, body))
}
