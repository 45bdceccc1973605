//! AWS SNS: the `Publish` action of SNS' query API (a form POST signed
//! with Signature V4 for service `sns`) to a topic, a target ARN or a
//! phone number; FIFO topics get the group's hashed key as message group
//! and deduplication id. The endpoint is `api_url`, or the region's.

use std::time::SystemTime;

use super::http::{Body, Outgoing};
use super::{Ctx, NotifyError, truncate_runes};
use crate::config::receivers::SnsConfig;

/// SNS' limit on a message, in bytes.
const MAX_MESSAGE_BYTES: usize = 256 * 1024;

pub(crate) fn build(ctx: &Ctx<'_>, c: &SnsConfig) -> Result<Outgoing, NotifyError> {
    build_at(ctx, c, SystemTime::now())
}

pub(crate) fn build_at(
    ctx: &Ctx<'_>,
    c: &SnsConfig,
    now: SystemTime,
) -> Result<Outgoing, NotifyError> {
    let mut sig = c.sigv4.clone();
    if sig.service_name.is_empty() {
        sig.service_name = "sns".into();
    }
    let signer =
        vigil_sigv4::Signer::new(&sig).map_err(|e| NotifyError::Permanent(e.to_string()))?;
    let mut form: Vec<(String, String)> = vec![
        ("Action".into(), "Publish".into()),
        ("Version".into(), "2010-03-31".into()),
    ];
    let mut message = ctx.text(&c.message)?;
    if message.len() > MAX_MESSAGE_BYTES {
        let mut end = MAX_MESSAGE_BYTES;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
    form.push(("Message".into(), message));
    if !c.phone_number.is_empty() {
        form.push(("PhoneNumber".into(), ctx.text(&c.phone_number)?));
    } else {
        let (k, arn) = if c.topic_arn.is_empty() {
            ("TargetArn", ctx.text(&c.target_arn)?)
        } else {
            ("TopicArn", ctx.text(&c.topic_arn)?)
        };
        if arn.ends_with(".fifo") {
            form.push(("MessageGroupId".into(), ctx.n.key_hash()));
            form.push(("MessageDeduplicationId".into(), ctx.n.key_hash()));
        }
        form.push((k.into(), arn));
        form.push(("Subject".into(), truncate_runes(ctx.text(&c.subject)?, 100)));
    }
    for (i, (k, v)) in c.attributes.iter().enumerate() {
        let p = format!("MessageAttributes.entry.{}", i + 1);
        form.push((format!("{p}.Name"), k.clone()));
        form.push((format!("{p}.Value.DataType"), "String".into()));
        form.push((format!("{p}.Value.StringValue"), ctx.text(v)?));
    }
    let url = if c.api_url.is_empty() {
        format!("https://sns.{}.amazonaws.com/", signer.region())
    } else {
        c.api_url.clone()
    };
    let body =
        serde_urlencoded::to_string(&form).map_err(|e| NotifyError::Permanent(e.to_string()))?;
    let ctype = "application/x-www-form-urlencoded";
    let signed = signer
        .sign(
            &vigil_sigv4::Request {
                method: "POST",
                url: &url,
                headers: &[("Content-Type", ctype)],
                body: body.as_bytes(),
            },
            now,
        )
        .map_err(|e| NotifyError::Permanent(e.to_string()))?;
    let mut out = Outgoing::post_json(url, serde_json::Value::Null);
    out.body = Body::Form(form);
    for (k, v) in signed {
        out = out.header(k, v);
    }
    Ok(out)
}
