//! The HTTP API: Alertmanager's API v2 (alerts, alert groups, silences,
//! receivers, status) in the shapes of its OpenAPI document, the
//! lifecycle endpoints (`/-/healthy`, `/-/ready`, `/-/reload`) and
//! `/metrics`. Errors are 400 (bad input) or 404 (unknown silence) with a
//! JSON string body, as Alertmanager's generated server answers.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use crate::alert::Alert;
use crate::matcher::{LabelSet, Matchers, parse_matchers};
use crate::server::{Alertmanager, now_ns};
use crate::silence::{Silence, SilenceState, matcher_from_json, matcher_json};
use crate::time::{format_rfc3339, parse_rfc3339};

type Am = Arc<Alertmanager>;

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn bad_request(msg: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, &Value::String(msg.to_string()))
}

/// The router, with every path under `prefix` (`""` or `/path`).
pub fn router(am: Am, prefix: &str) -> Router {
    let api = Router::new()
        .route("/api/v2/status", get(status))
        .route("/api/v2/receivers", get(receivers))
        .route("/api/v2/alerts", get(get_alerts).post(post_alerts))
        .route("/api/v2/alerts/groups", get(get_groups))
        .route("/api/v2/silences", get(get_silences).post(post_silence))
        .route("/api/v2/silence/{id}", get(get_silence))
        .route("/api/v2/silence/{id}", delete(delete_silence))
        .route("/-/healthy", get(ok).head(ok))
        .route("/-/ready", get(ok).head(ok))
        .route("/-/reload", post(reload).put(reload))
        .route("/metrics", get(metrics))
        .with_state(am);
    let routed = if prefix.is_empty() || prefix == "/" {
        api
    } else {
        Router::new().nest(prefix, api)
    };
    routed.merge(crate::ui::routes(prefix))
}

async fn ok() -> &'static str {
    "OK"
}

async fn reload(State(am): State<Am>) -> Response {
    match am.reload() {
        Ok(()) => (StatusCode::OK, "").into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to reload config: {e}"),
        )
            .into_response(),
    }
}

/// Query parameters in order, percent-decoded (`+` is a space).
fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

struct Filters {
    matchers: Matchers,
    flags: std::collections::BTreeMap<String, bool>,
    receiver: Option<regex::Regex>,
}

fn filters(q: Option<&str>) -> Result<Filters, String> {
    let mut f = Filters {
        matchers: Matchers::default(),
        flags: Default::default(),
        receiver: None,
    };
    for (k, v) in query_pairs(q) {
        match k.as_str() {
            "filter" => f
                .matchers
                .0
                .extend(parse_matchers(&v).map_err(|e| e.to_string())?),
            "receiver" if !v.is_empty() => {
                f.receiver =
                    Some(regex::Regex::new(&format!("^(?:{v})$")).map_err(|e| e.to_string())?);
            }
            "active" | "silenced" | "inhibited" | "unprocessed" | "muted" | "expired"
            | "pending" => {
                let b = match v.as_str() {
                    "true" | "1" | "" => true,
                    "false" | "0" => false,
                    _ => return Err(format!("{k} in query should be of type boolean: {v:?}")),
                };
                f.flags.insert(k, b);
            }
            _ => {}
        }
    }
    Ok(f)
}

impl Filters {
    fn flag(&self, k: &str) -> bool {
        self.flags.get(k).copied().unwrap_or(true)
    }
}

fn labels_json(ls: &LabelSet) -> Value {
    json!(ls)
}

fn gettable_alert(
    a: &Alert,
    receivers: &[String],
    silenced: &[String],
    inhibited: &[u64],
) -> Value {
    let suppressed = !silenced.is_empty() || !inhibited.is_empty();
    let mut v = json!({
        "labels": labels_json(&a.labels),
        "annotations": labels_json(&a.annotations),
        "startsAt": format_rfc3339(a.starts_at),
        "endsAt": format_rfc3339(a.ends_at),
        "updatedAt": format_rfc3339(a.updated_at),
        "generatorURL": uri_escaped(&a.generator_url),
        "fingerprint": format!("{:016x}", a.fingerprint()),
        "receivers": receivers.iter().map(|r| json!({"name": r})).collect::<Vec<_>>(),
        "status": {
            "state": if suppressed { "suppressed" } else { "active" },
            "silencedBy": silenced,
            "inhibitedBy": inhibited.iter().map(|f| format!("{f:016x}")).collect::<Vec<_>>(),
            "mutedBy": Vec::<String>::new(),
        },
    });
    // Alertmanager leaves an empty generator URL out (it is not a valid
    // `uri`, which the schema asks for).
    if a.generator_url.is_empty()
        && let Some(o) = v.as_object_mut()
    {
        o.remove("generatorURL");
    }
    v
}

/// Applies the API's alert filters; `Some(json)` if the alert is shown.
fn alert_if_shown(core: &crate::server::Core, a: &Alert, f: &Filters, now: i64) -> Option<Value> {
    if a.resolved_at(now) || !f.matchers.matches(&a.labels) {
        return None;
    }
    let receivers = core.receivers(a);
    if let Some(re) = &f.receiver
        && !receivers.iter().any(|r| re.is_match(r))
    {
        return None;
    }
    let (sil, inh) = core.status(a, now);
    let suppressed = !sil.is_empty() || !inh.is_empty();
    if (!f.flag("active") && !suppressed)
        || (!f.flag("silenced") && !sil.is_empty())
        || (!f.flag("inhibited") && !inh.is_empty())
    {
        return None;
    }
    Some(gettable_alert(a, &receivers, &sil, &inh))
}

async fn get_alerts(State(am): State<Am>, RawQuery(q): RawQuery) -> Response {
    let f = match filters(q.as_deref()) {
        Ok(f) => f,
        Err(e) => return bad_request(&e),
    };
    let now = now_ns();
    let core = am.core();
    // Each alert is encoded as soon as it is built: holding every alert as
    // a value tree until the end doubled the process' peak memory.
    let mut list: Vec<(u64, String)> = core
        .alerts
        .iter()
        .filter_map(|(fp, a)| Some((*fp, alert_if_shown(&core, a, &f, now)?.to_string())))
        .collect();
    drop(core);
    list.sort_by_key(|(fp, _)| *fp);
    let parts: Vec<String> = list.into_iter().map(|(_, v)| v).collect();
    raw_json(format!("[{}]", parts.join(",")))
}

/// A 200 answer whose JSON body is already encoded.
fn raw_json(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

async fn get_groups(State(am): State<Am>, RawQuery(q): RawQuery) -> Response {
    let f = match filters(q.as_deref()) {
        Ok(f) => f,
        Err(e) => return bad_request(&e),
    };
    let now = now_ns();
    let core = am.core();
    let mut out = Vec::new();
    for g in core.dispatcher.groups.values() {
        if let Some(re) = &f.receiver
            && !re.is_match(&g.opts.receiver)
        {
            continue;
        }
        let alerts: Vec<(bool, String)> = g
            .alerts
            .values()
            .filter_map(|a| {
                core.alerts
                    .get(a.fingerprint())
                    .filter(|s| *s == a)
                    .or(Some(a))
            })
            .filter_map(|a| alert_if_shown(&core, a, &f, now))
            .map(|v| (v["status"]["state"] == "suppressed", v.to_string()))
            .collect();
        if alerts.is_empty() {
            continue;
        }
        let all_muted = alerts.iter().all(|(muted, _)| *muted);
        if !f.flag("muted") && all_muted {
            continue;
        }
        let alerts: Vec<String> = alerts.into_iter().map(|(_, a)| a).collect();
        out.push(format!(
            "{{\"labels\":{},\"routeLabels\":{{}},\"receiver\":{},\"alerts\":[{}]}}",
            labels_json(&g.labels),
            json!({"name": g.opts.receiver}),
            alerts.join(",")
        ));
    }
    raw_json(format!("[{}]", out.join(",")))
}

fn time_field(v: &Value, k: &str) -> Result<i64, String> {
    match v.get(k) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(s)) if s.is_empty() => Ok(0),
        Some(Value::String(s)) => {
            let t = parse_rfc3339(s).map_err(|e| format!("{k}: {e}"))?;
            Ok(if t == i64::MIN { 0 } else { t })
        }
        Some(_) => Err(format!("{k} in body must be of type date-time")),
    }
}

fn labelset_field(v: &Value, k: &str) -> Result<LabelSet, String> {
    match v.get(k) {
        None | Some(Value::Null) => Ok(LabelSet::new()),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k2, x)| {
                x.as_str()
                    .map(|s| (k2.clone(), s.to_string()))
                    .ok_or_else(|| format!("{k}.{k2} in body must be of type string"))
            })
            .collect(),
        Some(_) => Err(format!("{k} in body must be of type object")),
    }
}

/// The alert's `generatorURL`: absent or empty, or a URL with a scheme and
/// no control characters (Alertmanager refuses what Go's URL parser cannot
/// read with 422; relative URLs cannot be given back in the schema's `uri`
/// format).
fn generator_url(item: &Value) -> Result<String, String> {
    match item.get("generatorURL") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) if s.is_empty() || is_url(s) => Ok(s.clone()),
        Some(_) => Err("generatorURL in body must be of type uri".into()),
    }
}

fn is_url(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        && sc.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !s.chars().any(char::is_control)
}

/// The URL with every byte RFC 3986 does not allow (braces, spaces,
/// non-ASCII, a `%` not starting an escape) percent-escaped, so what Go's
/// lenient parser accepted is given back as a valid `uri`.
fn uri_escaped(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in b.iter().enumerate() {
        let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
        let keep = c.is_ascii_alphanumeric()
            || b"-._~:/?#[]@!$&'()*+,;=".contains(&c)
            || (c == b'%' && hex(i + 1) && hex(i + 2));
        if keep {
            out.push(char::from(c));
        } else {
            let _ = write!(out, "%{c:02X}");
        }
    }
    out
}

/// Whether a silence id has the UUID shape the API's path parameter
/// declares; other ids are refused with 422 before any lookup, as
/// Alertmanager's generated server does.
fn is_uuid(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn not_uuid(id: &str) -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({"code": 602, "message": format!("silenceID in path must be of type uuid: {id:?}")}),
    )
}

async fn post_alerts(State(am): State<Am>, body: Bytes) -> Response {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(&format!("parsing alerts: {e}")),
    };
    let Some(items) = v.as_array() else {
        return bad_request("alerts in body must be of type array");
    };
    let now = now_ns();
    let resolve_timeout = am.core().config.global().resolve_timeout.to_std();
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for item in items {
        let parsed = (|| -> Result<Alert, String> {
            if item.get("labels").is_none() {
                return Err("labels in body is required".into());
            }
            let mut a = Alert {
                labels: labelset_field(item, "labels")?,
                annotations: labelset_field(item, "annotations")?,
                starts_at: time_field(item, "startsAt")?,
                ends_at: time_field(item, "endsAt")?,
                generator_url: generator_url(item)?,
                updated_at: now,
                timeout: false,
            };
            if a.starts_at == 0 {
                a.starts_at = if a.ends_at == 0 { now } else { a.ends_at };
            }
            if a.ends_at == 0 {
                a.timeout = true;
                a.ends_at = now
                    .saturating_add(i64::try_from(resolve_timeout.as_nanos()).unwrap_or(i64::MAX));
            }
            a.validate()?;
            Ok(a)
        })();
        match parsed {
            Ok(a) => {
                let counter = if a.resolved_at(now) {
                    &am.counters.received_resolved
                } else {
                    &am.counters.received_firing
                };
                counter.fetch_add(1, Ordering::Relaxed);
                ok.push(a);
            }
            Err(e) => {
                am.counters.invalid.fetch_add(1, Ordering::Relaxed);
                errors.push(e);
            }
        }
    }
    am.put_alerts(ok);
    if errors.is_empty() {
        (StatusCode::OK, "").into_response()
    } else {
        bad_request(&errors.join("; "))
    }
}

fn gettable_silence(s: &Silence, now: i64) -> Value {
    json!({
        "id": s.id,
        "status": {"state": s.state(now).as_str()},
        "updatedAt": format_rfc3339(s.updated_at),
        "matchers": s.matchers.0.iter().map(matcher_json).collect::<Vec<_>>(),
        "startsAt": format_rfc3339(s.starts_at),
        "endsAt": format_rfc3339(s.ends_at),
        "createdBy": s.created_by,
        "comment": s.comment,
        "annotations": labels_json(&s.annotations),
    })
}

async fn get_silences(State(am): State<Am>, RawQuery(q): RawQuery) -> Response {
    let f = match filters(q.as_deref()) {
        Ok(f) => f,
        Err(e) => return bad_request(&e),
    };
    let now = now_ns();
    let core = am.core();
    let list: Vec<Value> = core
        .silences
        .list(now)
        .into_iter()
        .filter(|s| {
            let shown = match s.state(now) {
                SilenceState::Active => f.flag("active"),
                SilenceState::Pending => f.flag("pending"),
                SilenceState::Expired => f.flag("expired"),
            };
            // A filter keeps silences having an equal matcher for each filter matcher.
            shown && f.matchers.0.iter().all(|m| s.matchers.0.contains(m))
        })
        .map(|s| gettable_silence(s, now))
        .collect();
    json_response(StatusCode::OK, &Value::Array(list))
}

async fn get_silence(State(am): State<Am>, Path(id): Path<String>) -> Response {
    if !is_uuid(&id) {
        return not_uuid(&id);
    }
    let core = am.core();
    match core.silences.get(&id) {
        Some(s) => json_response(StatusCode::OK, &gettable_silence(s, now_ns())),
        None => (StatusCode::NOT_FOUND, "").into_response(),
    }
}

async fn delete_silence(State(am): State<Am>, Path(id): Path<String>) -> Response {
    if !is_uuid(&id) {
        return not_uuid(&id);
    }
    let mut core = am.core();
    match core.silences.expire(&id, now_ns()) {
        Ok(()) => (StatusCode::OK, "").into_response(),
        Err(crate::silence::SilenceError::NotFound) => (StatusCode::NOT_FOUND, "").into_response(),
        Err(e) => bad_request(&e.to_string()),
    }
}

async fn post_silence(State(am): State<Am>, body: Bytes) -> Response {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(&format!("parsing silence: {e}")),
    };
    let parsed = (|| -> Result<Silence, String> {
        let matchers = v
            .get("matchers")
            .and_then(|m| m.as_array())
            .ok_or("matchers in body is required")?
            .iter()
            .map(matcher_from_json)
            .collect::<Result<Vec<_>, _>>()?;
        let text = |k: &str| -> Result<String, String> {
            v.get(k)
                .and_then(|x| x.as_str())
                .map(str::to_string)
                .ok_or(format!("{k} in body is required"))
        };
        Ok(Silence {
            id: v
                .get("id")
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string(),
            matchers: Matchers(matchers),
            starts_at: time_field(&v, "startsAt")?,
            ends_at: time_field(&v, "endsAt")?,
            updated_at: 0,
            created_by: text("createdBy")?,
            comment: text("comment")?,
            annotations: labelset_field(&v, "annotations")?,
        })
    })();
    let s = match parsed {
        Ok(s) => s,
        Err(e) => return bad_request(&e),
    };
    let mut core = am.core();
    match core.silences.set(s, now_ns()) {
        Ok(id) => json_response(StatusCode::OK, &json!({"silenceID": id})),
        Err(crate::silence::SilenceError::NotFound) => json_response(
            StatusCode::NOT_FOUND,
            &Value::String("silence not found".into()),
        ),
        Err(e) => bad_request(&e.to_string()),
    }
}

async fn receivers(State(am): State<Am>) -> Response {
    let core = am.core();
    let list: Vec<Value> = core
        .config
        .receivers
        .iter()
        .map(|r| json!({"name": r.name}))
        .collect();
    json_response(StatusCode::OK, &Value::Array(list))
}

async fn status(State(am): State<Am>) -> Response {
    let core = am.core();
    json_response(
        StatusCode::OK,
        &json!({
            "cluster": {"status": "disabled", "peers": []},
            "versionInfo": {
                "version": am.opts.version,
                "revision": "",
                "branch": "",
                "buildUser": "",
                "buildDate": "",
                "goVersion": "none (Vigil is written in Rust)",
            },
            "config": {"original": core.config_yaml},
            "uptime": format_rfc3339(am.started),
        }),
    )
}

async fn metrics(State(am): State<Am>) -> Response {
    let now = now_ns();
    let mut out = String::new();
    let c = &am.counters;
    let _ = writeln!(
        out,
        "# HELP alertmanager_alerts_received_total The total number of received alerts.\n# TYPE alertmanager_alerts_received_total counter"
    );
    let _ = writeln!(
        out,
        "alertmanager_alerts_received_total{{status=\"firing\",version=\"v2\"}} {}",
        c.received_firing.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "alertmanager_alerts_received_total{{status=\"resolved\",version=\"v2\"}} {}",
        c.received_resolved.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP alertmanager_alerts_invalid_total The total number of received alerts that were invalid.\n# TYPE alertmanager_alerts_invalid_total counter"
    );
    let _ = writeln!(
        out,
        "alertmanager_alerts_invalid_total{{version=\"v2\"}} {}",
        c.invalid.load(Ordering::Relaxed)
    );
    {
        let core = am.core();
        let (mut active, mut suppressed) = (0, 0);
        for (_, a) in core.alerts.iter().filter(|(_, a)| !a.resolved_at(now)) {
            let (s, i) = core.status(a, now);
            if s.is_empty() && i.is_empty() {
                active += 1
            } else {
                suppressed += 1
            }
        }
        let _ = writeln!(
            out,
            "# HELP alertmanager_alerts How many alerts by state.\n# TYPE alertmanager_alerts gauge"
        );
        let _ = writeln!(
            out,
            "alertmanager_alerts{{state=\"active\"}} {active}\nalertmanager_alerts{{state=\"suppressed\"}} {suppressed}\nalertmanager_alerts{{state=\"unprocessed\"}} 0"
        );
        let _ = writeln!(
            out,
            "# HELP alertmanager_silences How many silences by state.\n# TYPE alertmanager_silences gauge"
        );
        for (st, n) in core.silences.count_by_state(now) {
            let _ = writeln!(
                out,
                "alertmanager_silences{{state=\"{}\"}} {n}",
                st.as_str()
            );
        }
        let _ = writeln!(
            out,
            "# HELP alertmanager_dispatcher_aggregation_groups Number of active aggregation groups\n# TYPE alertmanager_dispatcher_aggregation_groups gauge\nalertmanager_dispatcher_aggregation_groups {}",
            core.dispatcher.groups.len()
        );
        let _ = writeln!(
            out,
            "# HELP alertmanager_nflog_snapshot_entries Entries in the notification log.\n# TYPE alertmanager_nflog_snapshot_entries gauge\nalertmanager_nflog_snapshot_entries {}",
            core.nflog.len()
        );
    }
    am.notifier.metrics().render(&mut out);
    let (ok, ts) = *c.reload.lock().unwrap_or_else(|e| e.into_inner());
    let _ = writeln!(
        out,
        "# HELP alertmanager_config_last_reload_successful Whether the last configuration reload attempt was successful.\n# TYPE alertmanager_config_last_reload_successful gauge\nalertmanager_config_last_reload_successful {}",
        u8::from(ok)
    );
    let _ = writeln!(
        out,
        "# HELP alertmanager_config_last_reload_success_timestamp_seconds Timestamp of the last successful configuration reload.\n# TYPE alertmanager_config_last_reload_success_timestamp_seconds gauge\nalertmanager_config_last_reload_success_timestamp_seconds {}",
        ts / 1_000_000_000
    );
    let _ = writeln!(
        out,
        "# HELP alertmanager_build_info A metric with a constant '1' value labeled by version.\n# TYPE alertmanager_build_info gauge\nalertmanager_build_info{{version=\"{}\"}} 1",
        am.opts.version
    );
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    am: Am,
    listener: tokio::net::TcpListener,
    prefix: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(am, prefix))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_urls_must_be_absolute_uris() {
        assert!(is_url("http://prom:9090/graph?g0.expr=up%3D%3D0"));
        assert!(is_url("urn:x"));
        assert!(is_url("http://a/{b}"));
        assert!(!is_url("/graph"));
        assert!(!is_url("http://a\nb"));
        assert!(!is_url("1http://a"));
        assert_eq!(
            uri_escaped("http://a/q?e=up{i=\"1\"}%2"),
            "http://a/q?e=up%7Bi=%221%22%7D%252"
        );
        assert_eq!(uri_escaped("http://a/%3D"), "http://a/%3D");
        assert_eq!(generator_url(&json!({})), Ok(String::new()));
        assert!(generator_url(&json!({"generatorURL": 3})).is_err());
    }

    #[test]
    fn silence_ids_are_uuids() {
        assert!(is_uuid("5010e18b-fa06-420c-b161-c71504227a5a"));
        assert!(!is_uuid("5010e18b-fa06-420c-b161-c71504227a5"));
        assert!(!is_uuid("5010e18bxfa06-420c-b161-c71504227a5a"));
        assert!(!is_uuid("abc"));
    }
}
