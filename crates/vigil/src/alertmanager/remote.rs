//! `vigil tool am` commands that talk to a running Alertmanager (Vigil's
//! or Prometheus'): `alert [query|add]`, `silence [add|query|expire|import]`,
//! `cluster show` and `config show`, with amtool's flags, output and exit
//! codes. HTTP errors are reported as amtool's generated client reports
//! them: `[METHOD /path][code] operationStatus  body`.

use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use vigil_alertmanager::matcher::MatchType;
use vigil_alertmanager::time::{format_rfc3339, parse_rfc3339};
use vigil_alertmanager::{Matcher, parse_matcher};

mod silence;

pub(crate) use silence::{
    SilenceCommand, SilenceQueryArgs, silence_add, silence_expire, silence_import, silence_query,
};

use super::format::{Field, Output, go_format, go_struct, str_of, tabwrite, time_of};

/// Flags every remote command shares (amtool's global flags).
#[derive(Debug, Clone, Args)]
pub(crate) struct Global {
    /// Alertmanager to talk to.
    #[arg(long = "alertmanager.url", global = true)]
    pub(crate) url: Option<String>,
    /// Output formatter (simple, extended, json).
    #[arg(short = 'o', long, global = true, value_enum, default_value = "simple")]
    pub(crate) output: Output,
    /// Timeout for the executed command.
    #[arg(long, global = true, default_value = "30s", value_parser = parse_duration)]
    pub(crate) timeout: Duration,
    /// Format of date output (a Go time layout).
    #[arg(long = "date.format", global = true, default_value = super::format::DEFAULT_DATE_FORMAT)]
    pub(crate) date_format: String,
    /// Verbose running information (accepted for amtool compatibility).
    #[arg(short = 'v', long, global = true)]
    pub(crate) verbose: bool,
    /// Check the Alertmanager's version (accepted; no warning is printed).
    #[arg(long = "version-check", global = true)]
    pub(crate) version_check: bool,
    /// Skip the version check.
    #[arg(long = "no-version-check", global = true)]
    pub(crate) no_version_check: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    vigil_config::Duration::parse(s).map(vigil_config::Duration::to_std)
}

/// `alert` subcommands; `query` when none is given.
#[derive(Debug, Subcommand)]
pub(crate) enum AlertCommand {
    /// View and search through current alerts.
    Query(AlertQueryArgs),
    /// Add a new alert.
    Add(AlertAddArgs),
}

/// Arguments of `alert query`.
#[derive(Debug, Default, Args)]
pub(crate) struct AlertQueryArgs {
    /// Show inhibited alerts.
    #[arg(short = 'i', long)]
    inhibited: bool,
    /// Show silenced alerts.
    #[arg(short = 's', long)]
    silenced: bool,
    /// Show active alerts.
    #[arg(short = 'a', long)]
    active: bool,
    /// Show unprocessed alerts.
    #[arg(short = 'u', long)]
    unprocessed: bool,
    /// Show alerts matching receiver (supports regex syntax).
    #[arg(short = 'r', long, default_value = "")]
    receiver: String,
    /// Query filter: matchers; a first argument that is not one is the alertname.
    matcher_groups: Vec<String>,
}

/// Arguments of `alert add`.
#[derive(Debug, Args)]
pub(crate) struct AlertAddArgs {
    /// Set the URL of the source that generated the alert.
    #[arg(long = "generator-url", default_value = "")]
    generator_url: String,
    /// Set when the alert should start (RFC 3339).
    #[arg(long)]
    start: Option<String>,
    /// Set when the alert should end (RFC 3339).
    #[arg(long)]
    end: Option<String>,
    /// Set an annotation to be included with the alert (`name=value`).
    #[arg(long)]
    annotation: Vec<String>,
    /// Labels of the alert; a first argument without `=` is the alertname.
    labels: Vec<String>,
}

/// A failure, printed as `amtool: error: <msg>`.
type Fail = String;

/// A blocking client for one Alertmanager's API v2.
struct Client {
    base: reqwest::Url,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Client {
    fn new(g: &Global) -> Result<Client, Fail> {
        let Some(url) = g.url.as_deref() else {
            return Err("required flag --alertmanager.url not provided".into());
        };
        let mut base = reqwest::Url::parse(url).map_err(|e| format!("parse {url:?}: {e}"))?;
        let path = format!("{}/api/v2", base.path().trim_end_matches('/'));
        base.set_path(&path);
        let http = reqwest::Client::builder()
            .timeout(g.timeout)
            .user_agent(concat!("vigil-amtool/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Client { base, http, rt })
    }

    /// Sends a request; `op` is the API operation, for error messages.
    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        template: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        op: &str,
    ) -> Result<(u16, Vec<u8>), Fail> {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.base.path()));
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut req = self.http.request(method.clone(), url.clone());
        if !self.base.username().is_empty() {
            req = req.basic_auth(self.base.username(), self.base.password());
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let verb = method.as_str().to_string();
        let (code, bytes) = self.rt.block_on(async {
            let resp = req
                .send()
                .await
                .map_err(|e| request_error(&verb, &url, &e))?;
            let code = resp.status().as_u16();
            let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
            Ok::<_, Fail>((code, bytes.to_vec()))
        })?;
        if (200..300).contains(&code) {
            return Ok((code, bytes));
        }
        Err(http_error(&verb, template, op, code, &bytes))
    }

    fn get_json(&self, path: &str, query: &[(&str, String)], op: &str) -> Result<Value, Fail> {
        let (_, body) = self.call(reqwest::Method::GET, path, path, query, None, op)?;
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }
}

/// Go's wording of a failed request: `Get "url": reason`.
fn request_error(method: &str, url: &reqwest::Url, e: &reqwest::Error) -> Fail {
    let mut verb = method.to_ascii_lowercase();
    if let Some(f) = verb.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = s.to_string();
        src = s.source();
    }
    format!("{verb} \"{url}\": {msg}")
}

/// The error amtool's generated client prints for a non-2xx answer: the
/// operation's response name when the API declares that status, else the
/// generic "does not match" text.
fn http_error(method: &str, template: &str, op: &str, code: u16, body: &[u8]) -> Fail {
    let declared: &[u16] = match op {
        "deleteSilence" | "getSilence" => &[404, 500],
        "getStatus" | "getReceivers" => &[],
        _ => &[400, 500],
    };
    let name = match code {
        400 => "BadRequest",
        404 => "NotFound",
        500 => "InternalServerError",
        _ => "",
    };
    if !declared.contains(&code) || name.is_empty() {
        return format!(
            "response status code does not match any response statuses defined for this endpoint in the swagger spec (status {code}): {{}}"
        );
    }
    // String payloads are printed bare, as Go prints a string.
    let payload = match serde_json::from_slice::<Value>(body) {
        Ok(Value::String(s)) => s,
        Ok(v) => v.to_string(),
        Err(_) => String::from_utf8_lossy(body).trim().to_string(),
    };
    format!("[{method} {template}][{code}] {op}{name}  {payload}")
}

/// amtool's first-argument rule: an argument that is not a matcher names
/// the alert (`foo` → `alertname=foo`).
fn with_alertname(mut args: Vec<String>) -> Vec<String> {
    if let Some(first) = args.first_mut()
        && parse_matcher(first).is_err()
    {
        *first = format!("alertname={first}");
    }
    args
}

fn parse_matchers_args(args: &[String]) -> Result<Vec<Matcher>, Fail> {
    args.iter()
        .map(|a| parse_matcher(a).map_err(|e| e.to_string()))
        .collect()
}

fn label_pairs(args: &[String]) -> Result<serde_json::Map<String, Value>, Fail> {
    let mut out = serde_json::Map::new();
    for m in parse_matchers_args(args)? {
        if m.kind() != MatchType::Equal {
            return Err("labels must be specified as key=value pairs".into());
        }
        out.insert(m.name().to_string(), Value::String(m.value().to_string()));
    }
    Ok(out)
}

fn parse_time(s: &str) -> Result<i64, Fail> {
    parse_rfc3339(s).map_err(|_| {
        format!(
            "parsing time {s:?} as \"2006-01-02T15:04:05Z07:00\": cannot parse {s:?} as \"2006\""
        )
    })
}

fn now_ns() -> i64 {
    vigil_alertmanager::server::now_ns()
}

/// Runs `alert query`.
pub(crate) fn alert_query(g: &Global, mut a: AlertQueryArgs) -> Result<(), Fail> {
    let client = Client::new(g)?;
    let filters = with_alertname(std::mem::take(&mut a.matcher_groups));
    if !(a.silenced || a.inhibited || a.active || a.unprocessed) {
        a.active = true;
    }
    let mut q: Vec<(&str, String)> = vec![
        ("active", a.active.to_string()),
        ("inhibited", a.inhibited.to_string()),
        ("silenced", a.silenced.to_string()),
        ("unprocessed", a.unprocessed.to_string()),
        ("receiver", a.receiver.clone()),
    ];
    q.extend(filters.into_iter().map(|f| ("filter", f)));
    let v = client.get_json("/alerts", &q, "getAlerts")?;
    let mut alerts = v.as_array().cloned().unwrap_or_default();
    // The tables are sorted by start; JSON keeps the server's order.
    if g.output != Output::Json {
        alerts.sort_by_key(|x| time_of(x, "startsAt"));
    }
    print!("{}", format_alerts(g, &alerts));
    Ok(())
}

fn label_list(v: Option<&Value>) -> String {
    let mut out: Vec<String> = v
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, x)| format!("{k}=\"{}\"", x.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.join(" ")
}

fn format_alerts(g: &Global, alerts: &[Value]) -> String {
    let date = |a: &Value, k: &str| go_format(time_of(a, k), &g.date_format);
    let state = |a: &Value| str_of(a.get("status").unwrap_or(&Value::Null), "state").to_string();
    match g.output {
        Output::Simple => {
            let mut t = String::from("Alertname\tStarts At\tSummary\tState\t\n");
            for a in alerts {
                let label = |m: &str, k: &str| {
                    a.get(m)
                        .and_then(|l| l.get(k))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                t.push_str(&format!(
                    "{}\t{}\t{}\t{}\t\n",
                    label("labels", "alertname"),
                    date(a, "startsAt"),
                    label("annotations", "summary"),
                    state(a)
                ));
            }
            tabwrite(&t)
        }
        Output::Extended => {
            let mut t =
                String::from("Labels\tAnnotations\tStarts At\tEnds At\tGenerator URL\tState\t\n");
            for a in alerts {
                t.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t\n",
                    label_list(a.get("labels")),
                    label_list(a.get("annotations")),
                    date(a, "startsAt"),
                    date(a, "endsAt"),
                    str_of(a, "generatorURL"),
                    state(a)
                ));
            }
            tabwrite(&t)
        }
        Output::Json => {
            let mut out = String::from("[");
            for (i, a) in alerts.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                alert_json(a, &mut out);
            }
            out.push_str("]\n");
            out
        }
    }
}

/// One alert in amtool 0.25's model: its own fields, then the embedded
/// `alert` part (generator URL, labels).
fn alert_json(a: &Value, out: &mut String) {
    let status = a.get("status").cloned().unwrap_or(Value::Null);
    let mut st = String::new();
    go_struct(
        &status,
        &[
            Field::Plain("inhibitedBy"),
            Field::Plain("silencedBy"),
            Field::Plain("state"),
        ],
        &mut st,
    );
    let mut receivers = String::from("[");
    for (i, r) in a
        .get("receivers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if i > 0 {
            receivers.push(',');
        }
        go_struct(r, &[Field::Plain("name")], &mut receivers);
    }
    receivers.push(']');
    let mut own = String::new();
    go_struct(
        a,
        &[
            Field::Plain("annotations"),
            Field::Time("endsAt"),
            Field::Plain("fingerprint"),
            Field::With("receivers", receivers),
            Field::Time("startsAt"),
            Field::With("status", st),
            Field::Time("updatedAt"),
        ],
        &mut own,
    );
    let mut embedded = String::new();
    go_struct(
        a,
        &[Field::OmitEmpty("generatorURL"), Field::Plain("labels")],
        &mut embedded,
    );
    concat_structs(&own, &embedded, out);
}

/// Joins two encoded objects into one, as Go's `swag.ConcatJSON` does.
fn concat_structs(a: &str, b: &str, out: &mut String) {
    let a_inner = a
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or("");
    let b_inner = b
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or("");
    out.push('{');
    out.push_str(a_inner);
    if !a_inner.is_empty() && !b_inner.is_empty() {
        out.push(',');
    }
    out.push_str(b_inner);
    out.push('}');
}

/// Runs `alert add`.
pub(crate) fn alert_add(g: &Global, a: AlertAddArgs) -> Result<(), Fail> {
    let client = Client::new(g)?;
    let mut labels = a.labels;
    if let Some(first) = labels.first_mut()
        && label_pairs(std::slice::from_ref(first)).is_err()
    {
        *first = format!("alertname={first}");
    }
    let mut alert = json!({
        "labels": label_pairs(&labels)?,
        "annotations": label_pairs(&a.annotation)?,
    });
    if let Some(o) = alert.as_object_mut() {
        if !a.generator_url.is_empty() {
            o.insert("generatorURL".into(), json!(a.generator_url));
        }
        for (k, v) in [("startsAt", &a.start), ("endsAt", &a.end)] {
            if let Some(s) = v {
                o.insert(k.into(), json!(format_rfc3339(parse_time(s)?)));
            }
        }
    }
    client.call(
        reqwest::Method::POST,
        "/alerts",
        "/alerts",
        &[],
        Some(&json!([alert])),
        "postAlerts",
    )?;
    Ok(())
}

fn status(g: &Global) -> Result<Value, Fail> {
    Client::new(g)?.get_json("/status", &[], "getStatus")
}

/// Runs `cluster show`.
pub(crate) fn cluster_show(g: &Global) -> Result<(), Fail> {
    let st = status(g)?;
    let c = st.get("cluster").cloned().unwrap_or(Value::Null);
    match g.output {
        Output::Simple => print!(
            "{}",
            tabwrite(&format!(
                "Cluster Status:\t{}\nNode Name:\t{}\n",
                str_of(&c, "status"),
                str_of(&c, "name")
            ))
        ),
        Output::Extended => {
            let mut t = format!(
                "Cluster Status:\t{}\nNode Name:\t{}\n\nAddress\tName\n",
                str_of(&c, "status"),
                str_of(&c, "name")
            );
            let mut peers = c
                .get("peers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            peers.sort_by_key(|p| peer_key(str_of(p, "address")));
            for p in &peers {
                t.push_str(&format!(
                    "{}\t{}\t\n",
                    str_of(p, "address"),
                    str_of(p, "name")
                ));
            }
            print!("{}", tabwrite(&t));
        }
        Output::Json => println!("{}", cluster_json(&c)),
    }
    Ok(())
}

/// Orders peers by IP then port, as amtool does.
fn peer_key(addr: &str) -> (Option<std::net::IpAddr>, u32) {
    let (host, port) = addr.rsplit_once(':').unwrap_or((addr, "0"));
    (
        host.trim_matches(['[', ']']).parse().ok(),
        port.parse().unwrap_or(0),
    )
}

fn cluster_json(c: &Value) -> String {
    let mut peers = String::from("[");
    match c.get("peers").and_then(Value::as_array) {
        Some(list) => {
            for (i, p) in list.iter().enumerate() {
                if i > 0 {
                    peers.push(',');
                }
                go_struct(
                    p,
                    &[Field::Plain("address"), Field::Plain("name")],
                    &mut peers,
                );
            }
            peers.push(']');
        }
        None => peers = "null".into(),
    }
    let mut out = String::new();
    go_struct(
        c,
        &[
            Field::OmitEmpty("name"),
            Field::With("peers", peers),
            Field::Plain("status"),
        ],
        &mut out,
    );
    out
}

/// Runs `config show`.
pub(crate) fn config_show(g: &Global) -> Result<(), Fail> {
    let st = status(g)?;
    let original = st
        .get("config")
        .map(|c| str_of(c, "original"))
        .unwrap_or("");
    let vi = st.get("versionInfo").cloned().unwrap_or(Value::Null);
    match g.output {
        Output::Simple => println!("{original}"),
        Output::Extended => {
            println!("{original}");
            for k in [
                "buildUser",
                "goVersion",
                "revision",
                "version",
                "branch",
                "buildDate",
            ] {
                println!("{k} {}", str_of(&vi, k));
            }
            println!(
                "uptime {}",
                go_format(time_of(&st, "uptime"), "2006-01-02T15:04:05.000Z07:00")
            );
        }
        Output::Json => {
            let mut config = String::new();
            go_struct(
                st.get("config").unwrap_or(&Value::Null),
                &[Field::Plain("original")],
                &mut config,
            );
            let mut version = String::new();
            go_struct(
                &vi,
                &[
                    Field::Plain("branch"),
                    Field::Plain("buildDate"),
                    Field::Plain("buildUser"),
                    Field::Plain("goVersion"),
                    Field::Plain("revision"),
                    Field::Plain("version"),
                ],
                &mut version,
            );
            let mut out = String::new();
            go_struct(
                &st,
                &[
                    Field::With(
                        "cluster",
                        cluster_json(st.get("cluster").unwrap_or(&Value::Null)),
                    ),
                    Field::With("config", config),
                    Field::Time("uptime"),
                    Field::With("versionInfo", version),
                ],
                &mut out,
            );
            println!("{out}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_argument_names_the_alert() {
        assert_eq!(
            with_alertname(vec!["foo".into(), "a=b".into()]),
            ["alertname=foo", "a=b"]
        );
        assert_eq!(with_alertname(vec!["a=~b".into()]), ["a=~b"]);
    }

    #[test]
    fn errors_read_like_amtools() {
        assert_eq!(
            http_error(
                "POST",
                "/alerts",
                "postAlerts",
                400,
                br#""start time must be before end time""#
            ),
            "[POST /alerts][400] postAlertsBadRequest  start time must be before end time"
        );
        assert!(
            http_error(
                "DELETE",
                "/silence/{silenceID}",
                "deleteSilence",
                422,
                b"{}"
            )
            .contains("(status 422)")
        );
    }

    #[test]
    fn alerts_encode_in_amtools_field_order() {
        let a = json!({"labels": {"alertname": "x"}, "annotations": {}, "startsAt": "2026-01-01T00:00:00Z",
            "endsAt": "2026-01-01T00:05:00.123456Z", "updatedAt": "2026-01-01T00:00:00Z", "fingerprint": "ab",
            "receivers": [{"name": "r"}], "generatorURL": "",
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": [], "mutedBy": []}});
        let mut s = String::new();
        alert_json(&a, &mut s);
        assert_eq!(
            s,
            r#"{"annotations":{},"endsAt":"2026-01-01T00:05:00.123Z","fingerprint":"ab","receivers":[{"name":"r"}],"startsAt":"2026-01-01T00:00:00.000Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-01-01T00:00:00.000Z","labels":{"alertname":"x"}}"#
        );
    }
}
