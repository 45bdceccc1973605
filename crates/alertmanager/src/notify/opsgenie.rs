//! OpsGenie Alert API v2: create an alert aliased by the group's hashed
//! key (with `update_alerts`, also rewrite its message and description),
//! or close it once everything is resolved. `GenieKey` authorisation.

use serde_json::{Map, Value, json};

use super::http::Outgoing;
use super::slack::put;
use super::{Ctx, NotifyError, read_secret_file, truncate_runes};
use crate::config::receivers::OpsGenieConfig;

const MAX_MESSAGE_RUNES: usize = 130;

/// Splits a comma list, dropping empty items.
fn split(s: &str) -> Vec<String> {
    s.trim()
        .split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

pub(crate) fn build(ctx: &Ctx<'_>, c: &OpsGenieConfig) -> Result<Outgoing, NotifyError> {
    let base = c
        .api_url
        .as_ref()
        .map(|u| u.as_str().to_string())
        .unwrap_or_default();
    let alias = ctx.n.key_hash();
    let key = if c.api_key.is_empty() {
        ctx.text(&read_secret_file(&c.api_key_file)?)?
    } else {
        ctx.text(c.api_key.expose())?
    };
    let auth = format!("GenieKey {key}");
    let mut out = if ctx.n.resolved() {
        let url = format!("{base}v2/alerts/{alias}/close?identifierType=alias");
        Outgoing::post_json(url, json!({"source": ctx.text(&c.source)?}))
    } else {
        let mut details = Map::new();
        for (k, v) in &ctx.data.common_labels {
            details.insert(k.clone(), Value::String(v.clone()));
        }
        for (k, v) in &c.details {
            details.insert(k.clone(), Value::String(ctx.text(v)?));
        }
        let mut responders = Vec::new();
        for r in &c.responders {
            let (id, name, user, kind) = (
                ctx.text(&r.id)?,
                ctx.text(&r.name)?,
                ctx.text(&r.username)?,
                ctx.text(&r.type_)?,
            );
            if id.is_empty() && name.is_empty() && user.is_empty() && kind.is_empty() {
                continue;
            }
            if kind == "teams" {
                for team in split(&name) {
                    responders.push(json!({"name": team, "type": "team"}));
                }
                continue;
            }
            let mut m = Map::new();
            put(&mut m, "id", id);
            put(&mut m, "name", name);
            put(&mut m, "username", user);
            m.insert("type".into(), Value::String(kind));
            responders.push(Value::Object(m));
        }
        let message = truncate_runes(ctx.text(&c.message)?, MAX_MESSAGE_RUNES);
        let description = ctx.text(&c.description)?;
        let mut m = Map::new();
        m.insert("alias".into(), Value::String(alias.clone()));
        m.insert("message".into(), Value::String(message.clone()));
        put(&mut m, "description", description.clone());
        m.insert("details".into(), Value::Object(details));
        m.insert("source".into(), Value::String(ctx.text(&c.source)?));
        if !responders.is_empty() {
            m.insert("responders".into(), Value::Array(responders));
        }
        let tags = split(&ctx.text(&c.tags)?);
        if !tags.is_empty() {
            m.insert("tags".into(), json!(tags));
        }
        put(&mut m, "note", ctx.text(&c.note)?);
        put(&mut m, "priority", ctx.text(&c.priority)?);
        put(&mut m, "entity", ctx.text(&c.entity)?);
        let actions = split(&ctx.text(&c.actions)?);
        if !actions.is_empty() {
            m.insert("actions".into(), json!(actions));
        }
        let mut out = Outgoing::post_json(format!("{base}v2/alerts"), Value::Object(m));
        if c.update_alerts {
            let upd = |what: &str, body: Value| {
                let mut o = Outgoing::post_json(
                    format!("{base}v2/alerts/{alias}/{what}?identifierType=alias"),
                    body,
                )
                .header("Authorization", auth.clone());
                o.method = "PUT";
                o
            };
            let mut msg = Map::new();
            put(&mut msg, "message", message);
            let mut desc = Map::new();
            put(&mut desc, "description", description);
            out.then = vec![
                upd("message", Value::Object(msg)),
                upd("description", Value::Object(desc)),
            ];
        }
        out
    };
    out = out.header("Authorization", auth);
    Ok(out)
}
