//! Paging and messaging services: Pushover (a form to its messages API),
//! VictorOps / Splunk On-Call (the REST endpoint keyed by API and routing
//! key, `RECOVERY` once resolved) and WeChat Work (an access token from
//! `gettoken`, then `message/send`).

use serde_json::{Map, Value, json};

use super::http::{Body, Check, Http, Outgoing};
use super::{Ctx, NotifyError, secret, truncate_runes};
use crate::config::receivers::{PushoverConfig, VictorOpsConfig, WechatConfig};

const PUSHOVER_URL: &str = "https://api.pushover.net/1/messages.json";

pub(crate) fn pushover(ctx: &Ctx<'_>, c: &PushoverConfig) -> Result<Outgoing, NotifyError> {
    let mut form = vec![
        (
            "token".to_string(),
            ctx.text(&secret(&c.token, &c.token_file)?)?,
        ),
        (
            "user".to_string(),
            ctx.text(&secret(&c.user_key, &c.user_key_file)?)?,
        ),
        (
            "title".to_string(),
            truncate_runes(ctx.text(&c.title)?, 250),
        ),
    ];
    let mut message = truncate_runes(ctx.text(&c.message)?, 1024);
    if message.trim().is_empty() {
        message = "(no details)".into();
    }
    form.push(("message".into(), message));
    if c.html {
        form.push(("html".into(), "1".into()));
    }
    if c.monospace {
        form.push(("monospace".into(), "1".into()));
    }
    form.push(("url".into(), truncate_runes(ctx.text(&c.url)?, 512)));
    form.push((
        "url_title".into(),
        truncate_runes(ctx.text(&c.url_title)?, 100),
    ));
    form.push(("priority".into(), ctx.text(&c.priority)?));
    form.push(("retry".into(), c.retry.0.as_secs().to_string()));
    form.push(("expire".into(), c.expire.0.as_secs().to_string()));
    if !c.ttl.0.is_zero() {
        form.push(("ttl".into(), c.ttl.0.as_secs().to_string()));
    }
    form.push(("device".into(), ctx.text(&c.device)?));
    form.push(("sound".into(), ctx.text(&c.sound)?));
    let mut out = Outgoing::post_json(PUSHOVER_URL.into(), Value::Null);
    out.body = Body::Form(form);
    Ok(out)
}

pub(crate) fn victorops(ctx: &Ctx<'_>, c: &VictorOpsConfig) -> Result<Outgoing, NotifyError> {
    let mut kind = ctx.text(&c.message_type)?;
    if ctx.n.resolved() {
        kind = "RECOVERY".into();
    } else if !["CRITICAL", "WARNING", "INFO"].contains(&kind.as_str()) {
        kind = "CRITICAL".into();
    }
    let mut m = Map::new();
    m.insert("message_type".into(), Value::String(kind));
    m.insert("entity_id".into(), Value::String(ctx.n.key_hash()));
    m.insert(
        "entity_display_name".into(),
        Value::String(ctx.text(&c.entity_display_name)?),
    );
    m.insert(
        "state_message".into(),
        Value::String(truncate_runes(ctx.text(&c.state_message)?, 20480)),
    );
    m.insert(
        "monitoring_tool".into(),
        Value::String(ctx.text(&c.monitoring_tool)?),
    );
    for (k, v) in &c.custom_fields {
        m.insert(k.clone(), Value::String(ctx.text(v)?));
    }
    let key = secret(&c.api_key, &c.api_key_file)?;
    let base = c
        .api_url
        .as_ref()
        .map(|u| u.as_str().to_string())
        .unwrap_or_default();
    let url = format!("{base}{key}/{}", ctx.text(&c.routing_key)?);
    Ok(Outgoing::post_json(url, Value::Object(m)))
}

/// The message request; its URL ends in `access_token=` for the token.
pub(crate) fn wechat(ctx: &Ctx<'_>, c: &WechatConfig) -> Result<Outgoing, NotifyError> {
    let content = ctx.text(&c.message)?;
    let mut m = Map::new();
    m.insert("touser".into(), Value::String(ctx.text(&c.to_user)?));
    m.insert("toparty".into(), Value::String(ctx.text(&c.to_party)?));
    m.insert("totag".into(), Value::String(ctx.text(&c.to_tag)?));
    m.insert("agentid".into(), Value::String(ctx.text(&c.agent_id)?));
    m.insert("safe".into(), Value::String("0".into()));
    m.insert("msgtype".into(), Value::String(c.message_type.clone()));
    m.insert(c.message_type.clone(), json!({"content": content}));
    let base = c
        .api_url
        .as_ref()
        .map(|u| u.as_str().to_string())
        .unwrap_or_default();
    let mut out = Outgoing::post_json(
        format!("{base}message/send?access_token="),
        Value::Object(m),
    );
    out.check = Check::Wechat;
    Ok(out)
}

/// Fetches a token, then sends the message.
pub(crate) async fn wechat_send(
    ctx: &Ctx<'_>,
    c: &WechatConfig,
    ua: &str,
) -> Result<(), NotifyError> {
    let mut out = wechat(ctx, c)?;
    let http = Http::new(c.http_config.as_ref(), ua)?;
    let base = c
        .api_url
        .as_ref()
        .map(|u| u.as_str().to_string())
        .unwrap_or_default();
    let q = serde_urlencoded::to_string([
        ("corpsecret", secret(&c.api_secret, &c.api_secret_file)?),
        ("corpid", ctx.text(&c.corp_id)?),
    ])
    .map_err(|e| NotifyError::Permanent(e.to_string()))?;
    let token = http.get_json(&format!("{base}gettoken?{q}")).await?;
    let token = token
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| NotifyError::Retry("WeChat returned no access token".into()))?;
    let enc: String =
        percent_encoding::utf8_percent_encode(token, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    out.url.push_str(&enc);
    http.send(&out).await
}
