//! The email integration: the message (configured headers executed as
//! templates, `From`/`To`/`Subject` defaulted from the config, a
//! `multipart/alternative` body with the text part when `text` is set and
//! the HTML part when `html` is) sent with [`super::smtp`].

use std::time::Duration;

use base64::Engine as _;

use super::smtp::{self, Auth, Session, SmtpError};
use super::{Ctx, NotifyError, secret};
use crate::config::receivers::EmailConfig;

/// The address inside `Name <addr>`, or the text itself.
fn address(s: &str) -> String {
    let s = s.trim();
    match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => s.get(a + 1..b).unwrap_or("").trim().to_string(),
        _ => s.to_string(),
    }
}

/// A header value, MIME-encoded when it is not plain ASCII.
fn header_value(v: &str) -> String {
    if v.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        v.to_string()
    } else {
        let clean: String = v.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        format!(
            "=?UTF-8?b?{}?=",
            base64::engine::general_purpose::STANDARD.encode(clean)
        )
    }
}

/// Base64 in lines of 76 characters.
fn body_b64(s: &str) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(s);
    let mut out = String::with_capacity(enc.len() + enc.len() / 76 * 2 + 2);
    let mut rest = enc.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(76));
        out.push_str(line);
        out.push_str("\r\n");
        rest = tail;
    }
    out
}

/// The time as RFC 1123 with a numeric zone, in UTC.
fn rfc1123z(ns: i64) -> String {
    vigil_template::time::format_time(ns, "Mon, 02 Jan 2006 15:04:05 -0700")
}

/// The message: envelope sender, recipients, and the text sent after DATA.
pub(crate) fn message(
    ctx: &Ctx<'_>,
    c: &EmailConfig,
) -> Result<(String, Vec<String>, String), NotifyError> {
    let mut headers = c.headers.clone();
    headers
        .entry("Subject".into())
        .or_insert_with(|| "{{ template \"email.default.subject\" . }}".into());
    headers.entry("To".into()).or_insert_with(|| c.to.clone());
    headers
        .entry("From".into())
        .or_insert_with(|| c.from.clone());
    let from = address(&ctx.text(&c.from)?);
    let to: Vec<String> = ctx
        .text(&c.to)?
        .split(',')
        .map(address)
        .filter(|a| !a.is_empty())
        .collect();
    if to.is_empty() {
        return Err(NotifyError::Permanent(
            "no recipients in email config".into(),
        ));
    }
    let mut out = String::new();
    for (k, v) in &headers {
        let v = ctx.text(v)?;
        out.push_str(&format!("{k}: {}\r\n", header_value(&v)));
    }
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    let unique = ctx.n.now ^ i64::from(std::process::id());
    out.push_str(&format!(
        "Message-Id: <{}.{}@{host}>\r\n",
        ctx.n.now,
        ctx.n.key_hash().get(..16).unwrap_or("0")
    ));
    out.push_str(&format!("Date: {}\r\n", rfc1123z(ctx.n.now)));
    out.push_str("MIME-Version: 1.0\r\n");
    let boundary = format!("vigil-{unique:x}");
    out.push_str(&format!(
        "Content-Type: multipart/alternative;  boundary={boundary}\r\n\r\n"
    ));
    let mut part = |ctype: &str, body: &str| {
        out.push_str(&format!("--{boundary}\r\n"));
        out.push_str("Content-Transfer-Encoding: base64\r\n");
        out.push_str(&format!("Content-Type: {ctype}; charset=UTF-8\r\n\r\n"));
        out.push_str(&body_b64(body));
    };
    let text = ctx.text(&c.text)?;
    if !text.is_empty() {
        part("text/plain", &text);
    }
    let html = ctx.html(&c.html)?;
    if !html.is_empty() {
        part("text/html", &html);
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    Ok((from, to, out))
}

fn session(c: &EmailConfig) -> Result<Session, NotifyError> {
    let (host, port) = (c.smarthost.host.clone(), c.smarthost.port.clone());
    let port: u16 = port
        .parse()
        .map_err(|_| NotifyError::Permanent(format!("invalid smarthost port {port:?}")))?;
    let auth = if c.auth_username.is_empty() {
        None
    } else {
        Some(Auth {
            username: c.auth_username.clone(),
            password: secret(&c.auth_password, &c.auth_password_file)?,
            secret: secret(&c.auth_secret, &c.auth_secret_file)?,
            identity: c.auth_identity.clone(),
        })
    };
    Ok(Session {
        host,
        port,
        hello: if c.hello.is_empty() {
            "localhost".into()
        } else {
            c.hello.clone()
        },
        tls: c.tls_config.clone().unwrap_or_default(),
        require_tls: c.require_tls.unwrap_or(true),
        implicit_tls: c.force_implicit_tls.unwrap_or(false),
        auth,
        timeout: Duration::from_secs(60),
    })
}

pub(crate) async fn send(ctx: &Ctx<'_>, c: &EmailConfig) -> Result<(), NotifyError> {
    let (from, to, data) = message(ctx, c)?;
    let s = session(c)?;
    smtp::send(&s, &from, &to, &data)
        .await
        .map_err(|e| match e {
            SmtpError::Reply { code, .. } => NotifyError::Status {
                code,
                retry: e.retriable(),
                msg: e.to_string(),
            },
            SmtpError::Io(m) => NotifyError::Retry(m),
            SmtpError::Config(m) => NotifyError::Permanent(m),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(address("Ops <ops@example.org>"), "ops@example.org");
        assert_eq!(address(" a@b "), "a@b");
        assert_eq!(header_value("plain"), "plain");
        assert_eq!(header_value("é"), "=?UTF-8?b?w6k=?=");
        assert_eq!(rfc1123z(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    }
}
