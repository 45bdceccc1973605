//! `vigil tool am silence ...`: add, query, expire and import silences,
//! with amtool's arguments, output formats and errors.

use std::io::Read as _;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use vigil_alertmanager::Matcher;
use vigil_alertmanager::matcher::MatchType;
use vigil_alertmanager::time::format_rfc3339;

use super::super::format::{Field, Output, go_format, go_struct, str_of, tabwrite, time_of};
use super::{
    Client, Fail, Global, concat_structs, now_ns, parse_duration, parse_matchers_args, parse_time,
    with_alertname,
};

/// `silence` subcommands; `query` when none is given.
#[derive(Debug, Subcommand)]
pub(crate) enum SilenceCommand {
    /// Add a new alertmanager silence.
    Add(SilenceAddArgs),
    /// Query Alertmanager silences.
    Query(SilenceQueryArgs),
    /// Expire an alertmanager silence.
    Expire(SilenceExpireArgs),
    /// Import alertmanager silences from a JSON file or stdin.
    Import(SilenceImportArgs),
}

/// Arguments of `silence add`.
#[derive(Debug, Args)]
pub(crate) struct SilenceAddArgs {
    /// Username for the createdBy field.
    #[arg(short = 'a', long, default_value_t = username())]
    author: String,
    /// Require a comment to be set.
    #[arg(long = "require-comment", hide = true, default_value = "true", action = clap::ArgAction::Set)]
    require_comment: bool,
    /// Duration of the silence.
    #[arg(short = 'd', long, default_value = "1h")]
    duration: String,
    /// Set when the silence should start (RFC 3339).
    #[arg(long)]
    start: Option<String>,
    /// Set when the silence should end (overwrites duration; RFC 3339).
    #[arg(long)]
    end: Option<String>,
    /// A comment to help describe the silence.
    #[arg(short = 'c', long, default_value = "")]
    comment: String,
    /// Matchers; a first argument that is not one is the alertname.
    matcher_groups: Vec<String>,
}

/// Arguments of `silence query`.
#[derive(Debug, Default, Args)]
pub(crate) struct SilenceQueryArgs {
    /// Show expired silences instead of active.
    #[arg(long)]
    expired: bool,
    /// Only show silence ids.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Show silences that belong to this creator.
    #[arg(long = "created-by", default_value = "")]
    created_by: String,
    /// Show silences that will expire or have expired within a duration.
    #[arg(long, value_parser = parse_duration)]
    within: Option<Duration>,
    /// Query filter: matchers; a first argument that is not one is the alertname.
    matcher_groups: Vec<String>,
}

/// Arguments of `silence expire`.
#[derive(Debug, Args)]
pub(crate) struct SilenceExpireArgs {
    /// Ids of silences to expire.
    silence_ids: Vec<String>,
}

/// Arguments of `silence import`.
#[derive(Debug, Args)]
pub(crate) struct SilenceImportArgs {
    /// Force adding new silences even if they already exist.
    #[arg(short = 'f', long)]
    force: bool,
    /// Number of concurrent workers to use for import.
    #[arg(short = 'w', long = "worker", default_value = "8")]
    worker: usize,
    /// JSON file with silences (standard input when absent).
    input_file: Option<String>,
}

/// The user running the command, amtool's default author.
fn username() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_default()
}

/// A matcher in the API's shape.
fn matcher_api(m: &Matcher) -> Value {
    let (eq, re) = match m.kind() {
        MatchType::Equal => (true, false),
        MatchType::NotEqual => (false, false),
        MatchType::Regexp => (true, true),
        MatchType::NotRegexp => (false, true),
    };
    json!({"name": m.name(), "value": m.value(), "isRegex": re, "isEqual": eq})
}

/// Runs `silence add`; prints the new silence's id.
pub(crate) fn silence_add(g: &Global, a: SilenceAddArgs) -> Result<(), Fail> {
    let mut args = a.matcher_groups;
    if let Some(first) = args.first_mut()
        && parse_matchers_args(std::slice::from_ref(first)).is_err()
    {
        *first = format!("alertname={first}");
    }
    let matchers = parse_matchers_args(&args)?;
    if matchers.is_empty() {
        return Err("no matchers specified".into());
    }
    let starts = match &a.start {
        Some(s) => parse_time(s)?,
        None => now_ns(),
    };
    let ends = match &a.end {
        Some(s) => parse_time(s)?,
        None => {
            let d = vigil_config::Duration::parse(&a.duration)?.to_std();
            if d.is_zero() {
                return Err("silence duration must be greater than 0".into());
            }
            starts.saturating_add(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        }
    };
    if starts > ends {
        return Err("silence cannot start after it ends".into());
    }
    if a.require_comment && a.comment.is_empty() {
        return Err("comment required by config".into());
    }
    let client = Client::new(g)?;
    let body = json!({
        "matchers": matchers.iter().map(matcher_api).collect::<Vec<_>>(),
        "startsAt": format_rfc3339(starts),
        "endsAt": format_rfc3339(ends),
        "createdBy": a.author,
        "comment": a.comment,
    });
    let id = post_silence(&client, &body)?;
    println!("{id}");
    Ok(())
}

fn post_silence(client: &Client, body: &Value) -> Result<String, Fail> {
    let (_, resp) = client.call(
        reqwest::Method::POST,
        "/silences",
        "/silences",
        &[],
        Some(body),
        "postSilences",
    )?;
    let v: Value = serde_json::from_slice(&resp).map_err(|e| e.to_string())?;
    Ok(str_of(&v, "silenceID").to_string())
}

/// Runs `silence query`.
pub(crate) fn silence_query(g: &Global, a: SilenceQueryArgs) -> Result<(), Fail> {
    let client = Client::new(g)?;
    let filters = with_alertname(a.matcher_groups);
    let q: Vec<(&str, String)> = filters.into_iter().map(|f| ("filter", f)).collect();
    let v = client.get_json("/silences", &q, "getSilences")?;
    let now = now_ns();
    let within = a
        .within
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .filter(|w| *w > 0);
    let mut shown: Vec<Value> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| {
            let ends = time_of(s, "endsAt");
            let keep = if a.expired {
                ends <= now && within.is_none_or(|w| ends >= now.saturating_sub(w))
            } else {
                ends >= now && within.is_none_or(|w| ends <= now.saturating_add(w))
            };
            keep && (a.created_by.is_empty() || str_of(s, "createdBy") == a.created_by)
        })
        .cloned()
        .collect();
    if a.quiet {
        for s in &shown {
            println!("{}", str_of(s, "id"));
        }
        return Ok(());
    }
    if g.output != Output::Json {
        shown.sort_by_key(|s| time_of(s, "endsAt"));
    }
    print!("{}", format_silences(g, &shown));
    Ok(())
}

/// A silence's matchers as amtool prints them: `a="b" c=~"d"` (simple)
/// or `{a="b",c=~"d"}` (extended).
fn matchers_text(s: &Value, extended: bool) -> String {
    let ms: Vec<String> = s
        .get("matchers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| {
            let b = |k: &str, d: bool| m.get(k).and_then(Value::as_bool).unwrap_or(d);
            let kind = match (b("isRegex", false), b("isEqual", true)) {
                (false, true) => MatchType::Equal,
                (false, false) => MatchType::NotEqual,
                (true, true) => MatchType::Regexp,
                (true, false) => MatchType::NotRegexp,
            };
            // amtool 0.25 prints the name as is and the value Go-quoted.
            format!(
                "{}{}{}",
                str_of(m, "name"),
                kind.as_str(),
                vigil_model::quote::quote(str_of(m, "value"))
            )
        })
        .collect();
    if extended {
        format!("{{{}}}", ms.join(","))
    } else {
        ms.join(" ")
    }
}

fn format_silences(g: &Global, silences: &[Value]) -> String {
    let date = |s: &Value, k: &str| go_format(time_of(s, k), &g.date_format);
    match g.output {
        Output::Simple => {
            let mut t = String::from("ID\tMatchers\tEnds At\tCreated By\tComment\t\n");
            for s in silences {
                t.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t\n",
                    str_of(s, "id"),
                    matchers_text(s, false),
                    date(s, "endsAt"),
                    str_of(s, "createdBy"),
                    str_of(s, "comment")
                ));
            }
            tabwrite(&t)
        }
        Output::Extended => {
            let mut t = String::from(
                "ID\tMatchers\tStarts At\tEnds At\tUpdated At\tCreated By\tComment\t\n",
            );
            for s in silences {
                t.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t\n",
                    str_of(s, "id"),
                    matchers_text(s, true),
                    date(s, "startsAt"),
                    date(s, "endsAt"),
                    date(s, "updatedAt"),
                    str_of(s, "createdBy"),
                    str_of(s, "comment")
                ));
            }
            tabwrite(&t)
        }
        Output::Json => {
            let mut out = String::from("[");
            for (i, s) in silences.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                silence_json(s, &mut out);
            }
            out.push_str("]\n");
            out
        }
    }
}

/// One silence in amtool 0.25's model: id, status, updatedAt, then the
/// embedded `silence` part.
fn silence_json(s: &Value, out: &mut String) {
    let mut status = String::new();
    go_struct(
        s.get("status").unwrap_or(&Value::Null),
        &[Field::Plain("state")],
        &mut status,
    );
    let mut own = String::new();
    go_struct(
        s,
        &[
            Field::Plain("id"),
            Field::With("status", status),
            Field::Time("updatedAt"),
        ],
        &mut own,
    );
    let mut matchers = String::from("[");
    for (i, m) in s
        .get("matchers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if i > 0 {
            matchers.push(',');
        }
        go_struct(
            m,
            &[
                Field::Plain("isEqual"),
                Field::Plain("isRegex"),
                Field::Plain("name"),
                Field::Plain("value"),
            ],
            &mut matchers,
        );
    }
    matchers.push(']');
    let mut embedded = String::new();
    go_struct(
        s,
        &[
            Field::Plain("comment"),
            Field::Plain("createdBy"),
            Field::Time("endsAt"),
            Field::With("matchers", matchers),
            Field::Time("startsAt"),
        ],
        &mut embedded,
    );
    concat_structs(&own, &embedded, out);
}

/// Runs `silence expire`.
pub(crate) fn silence_expire(g: &Global, a: SilenceExpireArgs) -> Result<(), Fail> {
    if a.silence_ids.is_empty() {
        return Err("no silence IDs specified".into());
    }
    let client = Client::new(g)?;
    for id in &a.silence_ids {
        let path = format!(
            "/silence/{}",
            percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
        );
        client.call(
            reqwest::Method::DELETE,
            &path,
            "/silence/{silenceID}",
            &[],
            None,
            "deleteSilence",
        )?;
    }
    Ok(())
}

/// Runs `silence import`: each silence is posted; one whose id the server
/// does not know is created anew. Prints the ids, reports failures on
/// stderr, and fails if any silence could not be imported.
pub(crate) fn silence_import(g: &Global, a: SilenceImportArgs) -> Result<(), Fail> {
    let mut text = String::new();
    let read = match &a.input_file {
        Some(f) => std::fs::read_to_string(f).map(|t| text = t),
        None => std::io::stdin().read_to_string(&mut text).map(|_| ()),
    };
    read.map_err(|e| e.to_string())?;
    let silences: Vec<Value> = serde_json::from_str(&text)
        .map_err(|e| format!("couldn't unmarshal input data, is it JSON?: {e}"))?;
    let client = Client::new(g)?;
    let mut failed = 0;
    for mut s in silences {
        let id = str_of(&s, "id").to_string();
        if a.force
            && let Some(o) = s.as_object_mut()
        {
            o.insert("id".into(), json!(""));
        }
        let mut result = post_silence(&client, &s);
        if result.as_ref().is_err_and(|e| e.contains("[404]"))
            && let Some(o) = s.as_object_mut()
        {
            o.insert("id".into(), json!(""));
            result = post_silence(&client, &s);
        }
        match result {
            Ok(new_id) => println!("{new_id}"),
            Err(e) => {
                eprintln!("Error adding silence id='{id}': {e}");
                failed += 1;
            }
        }
    }
    let _ = a.worker;
    if failed > 0 {
        return Err(format!(
            "couldn't import {failed} out of {} silences",
            text_count(&text)
        ));
    }
    Ok(())
}

fn text_count(text: &str) -> usize {
    serde_json::from_str::<Vec<Value>>(text).map_or(0, |v| v.len())
}
