//! `vigil tool am template render`: amtool's offline template renderer.
//! The files the globs name are parsed over the default notification
//! templates, `--template.text` is executed (as text or HTML) on the
//! `template.Data` read from `--template.data`, or on amtool's example
//! data when no file is given, and the result is printed as is.
//!
//! Flags are checked here rather than by clap so that a missing flag or
//! a bad `--template.type` fails as amtool does: a message and exit 1.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand};
use serde_json::Value as Json;
use vigil_alertmanager::LabelSet;
use vigil_alertmanager::template::{Templates, kv};
use vigil_alertmanager::time::parse_rfc3339;
use vigil_template::time::ZERO_TIME_NS;
use vigil_template::{ElemType, Func, Object, Struct, Value};

/// Arguments of `vigil tool am template`.
#[derive(Debug, Args)]
pub(crate) struct TemplateArgs {
    #[command(subcommand)]
    command: TemplateCommand,
}

#[derive(Debug, Subcommand)]
enum TemplateCommand {
    /// Render a given definition in a template file to standard output.
    Render(RenderArgs),
}

#[derive(Debug, Args)]
struct RenderArgs {
    /// Glob of template files to parse over the default templates
    /// (repeatable; required).
    #[arg(long = "template.glob")]
    globs: Vec<String>,
    /// The template text to render (required).
    #[arg(long = "template.text")]
    text: Option<String>,
    /// `text` (the default) or `html`.
    #[arg(long = "template.type")]
    kind: Option<String>,
    /// JSON file with the `template.Data` to render with; amtool's example
    /// alerts when not given.
    #[arg(long = "template.data")]
    data: Option<String>,
}

/// Runs `vigil tool am template ...`; the rendered text, or amtool's
/// error message.
pub(crate) fn run(args: TemplateArgs) -> Result<String, String> {
    let TemplateCommand::Render(args) = args.command;
    render(args)
}

fn render(args: RenderArgs) -> Result<String, String> {
    if args.globs.is_empty() {
        return Err("required flag --template.glob not provided".into());
    }
    let Some(text) = args.text else {
        return Err("required flag --template.text not provided".into());
    };
    let html = match args.kind.as_deref() {
        None | Some("text") => false,
        Some("html") => true,
        Some(other) => {
            return Err(format!(
                "enum value must be one of html,text, got '{other}'"
            ));
        }
    };
    let tmpl = Templates::from_globs(&args.globs).map_err(|e| e.to_string())?;
    let data = match &args.data {
        None => example_data(now_ns()),
        Some(path) => {
            let body = std::fs::read(path).map_err(|e| format!("open {path}: {}", io_text(&e)))?;
            let json: Json = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            data_from_json(&json)?
        }
    };
    let out = if html {
        tmpl.execute_html(&text, &data)
    } else {
        tmpl.execute_text(&text, &data)
    };
    out.map_err(|e| e.to_string())
}

/// Go's wording of the common open errors (`no such file or directory`),
/// without Rust's ` (os error N)` suffix.
fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s.get(..i).unwrap_or(&s).to_lowercase(),
        None => s,
    }
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// One alert of `template.Data`, as the JSON (or the example) gives it:
/// unlike a notification's data, the status and fingerprint are taken as
/// written, not derived.
#[derive(Debug, Default)]
struct AlertIn {
    status: String,
    labels: LabelSet,
    annotations: LabelSet,
    starts_at: i64,
    ends_at: i64,
    generator_url: String,
    fingerprint: String,
}

/// `template.Data` before it becomes a template value.
#[derive(Debug, Default)]
struct DataIn {
    receiver: String,
    status: String,
    alerts: Vec<AlertIn>,
    group_labels: LabelSet,
    common_labels: LabelSet,
    common_annotations: LabelSet,
    external_url: String,
}

fn labels(pairs: &[(&str, &str)]) -> LabelSet {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// amtool's example data: two alerts with an `alertstatus` status (so
/// neither is in `.Alerts.Firing` or `.Alerts.Resolved`), started five
/// and ten minutes ago and ending now.
fn example_data(now: i64) -> Value {
    const MINUTE: i64 = 60_000_000_000;
    let common = [
        ("commonlabelkey1", "commonlabelvalue1"),
        ("commonlabelkey2", "commonlabelvalue2"),
    ];
    let common_ann = [
        ("commonannotationkey1", "commonannotationvalue1"),
        ("commonannotationkey2", "commonannotationvalue2"),
    ];
    let alert = |extra: &[(&str, &str)], ann: &[(&str, &str)], ago: i64, fp: &str| {
        let mut l = labels(extra);
        l.extend(labels(&common));
        let mut a = labels(ann);
        a.extend(labels(&common_ann));
        AlertIn {
            status: "alertstatus".into(),
            labels: l,
            annotations: a,
            starts_at: now.saturating_sub(ago * MINUTE),
            ends_at: now,
            generator_url: "https://generatorurl.com".into(),
            fingerprint: fp.into(),
        }
    };
    let d = DataIn {
        receiver: "receiver".into(),
        status: "alertstatus".into(),
        alerts: vec![
            alert(
                &[
                    ("label1", "value1"),
                    ("label2", "value2"),
                    ("instance", "foo.bar:1234"),
                ],
                &[("annotation1", "value1"), ("annotation2", "value2")],
                5,
                "fingerprint1",
            ),
            alert(
                &[("foo", "bar"), ("baz", "qux")],
                &[("aaa", "bbb"), ("ccc", "ddd")],
                10,
                "fingerprint2",
            ),
        ],
        group_labels: labels(&[
            ("grouplabelkey1", "grouplabelvalue1"),
            ("grouplabelkey2", "grouplabelvalue2"),
        ]),
        common_labels: labels(&common),
        common_annotations: labels(&common_ann),
        external_url: "https://example.com".into(),
    };
    data_value(&d)
}

fn alert_value(a: &AlertIn) -> Value {
    Value::Struct(Arc::new(Struct {
        type_name: "template.Alert".into(),
        fields: vec![
            ("Status".into(), Value::from(a.status.as_str())),
            ("Labels".into(), kv(&a.labels)),
            ("Annotations".into(), kv(&a.annotations)),
            ("StartsAt".into(), Value::Time(a.starts_at)),
            ("EndsAt".into(), Value::Time(a.ends_at)),
            ("GeneratorURL".into(), Value::from(a.generator_url.as_str())),
            ("Fingerprint".into(), Value::from(a.fingerprint.as_str())),
        ],
    }))
}

/// The `template.Data` value; amtool hands the struct itself (not a
/// pointer) to the template, which error messages show.
fn data_value(d: &DataIn) -> Value {
    let with_status = |s: &str| {
        Value::list(
            d.alerts
                .iter()
                .filter(|a| a.status == s)
                .map(alert_value)
                .collect(),
            ElemType::Any,
        )
    };
    let (firing, resolved) = (with_status("firing"), with_status("resolved"));
    let mut methods = BTreeMap::new();
    methods.insert(
        "Firing".to_string(),
        Func::new(vec![], move |_| Ok(firing.clone())),
    );
    methods.insert(
        "Resolved".to_string(),
        Func::new(vec![], move |_| Ok(resolved.clone())),
    );
    let alerts = Value::Object(Arc::new(Object {
        type_name: "template.Alerts".into(),
        data: Value::list(d.alerts.iter().map(alert_value).collect(), ElemType::Any),
        methods,
    }));
    Value::Struct(Arc::new(Struct {
        type_name: "template.Data".into(),
        fields: vec![
            ("Receiver".into(), Value::from(d.receiver.as_str())),
            ("Status".into(), Value::from(d.status.as_str())),
            ("Alerts".into(), alerts),
            ("GroupLabels".into(), kv(&d.group_labels)),
            ("CommonLabels".into(), kv(&d.common_labels)),
            ("CommonAnnotations".into(), kv(&d.common_annotations)),
            ("ExternalURL".into(), Value::from(d.external_url.as_str())),
        ],
    }))
}

/// JSON's name of a value's kind, as Go's decoder reports it.
fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn mismatch(v: &Json, field: &str, ty: &str) -> String {
    format!(
        "json: cannot unmarshal {} into Go struct field {field} of type {ty}",
        json_kind(v)
    )
}

/// A field of a JSON object as Go's decoder finds it: the exact key, or
/// else one equal to it ignoring case.
fn field<'a>(obj: &'a serde_json::Map<String, Json>, key: &str) -> Option<&'a Json> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn string_field(
    obj: &serde_json::Map<String, Json>,
    key: &str,
    owner: &str,
) -> Result<String, String> {
    match field(obj, key) {
        None | Some(Json::Null) => Ok(String::new()),
        Some(Json::String(s)) => Ok(s.clone()),
        Some(v) => Err(mismatch(v, &format!("{owner}.{key}"), "string")),
    }
}

fn kv_field(
    obj: &serde_json::Map<String, Json>,
    key: &str,
    owner: &str,
) -> Result<LabelSet, String> {
    let path = format!("{owner}.{key}");
    match field(obj, key) {
        None | Some(Json::Null) => Ok(LabelSet::new()),
        Some(Json::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Json::String(s) => Ok((k.clone(), s.clone())),
                // Go stores a null into a map as the zero string.
                Json::Null => Ok((k.clone(), String::new())),
                other => Err(mismatch(other, &path, "string")),
            })
            .collect(),
        Some(v) => Err(mismatch(v, &path, "template.KV")),
    }
}

fn time_field(obj: &serde_json::Map<String, Json>, key: &str, owner: &str) -> Result<i64, String> {
    match field(obj, key) {
        None | Some(Json::Null) => Ok(ZERO_TIME_NS),
        Some(Json::String(s)) => parse_rfc3339(s),
        Some(v) => Err(mismatch(v, &format!("{owner}.{key}"), "time.Time")),
    }
}

fn alert_from_json(v: &Json) -> Result<AlertIn, String> {
    let obj = match v {
        Json::Null => return Ok(AlertIn::default()),
        Json::Object(o) => o,
        other => return Err(mismatch(other, "Data.alerts", "template.Alert")),
    };
    let owner = "Alert";
    Ok(AlertIn {
        status: string_field(obj, "status", owner)?,
        labels: kv_field(obj, "labels", owner)?,
        annotations: kv_field(obj, "annotations", owner)?,
        starts_at: time_field(obj, "startsAt", owner)?,
        ends_at: time_field(obj, "endsAt", owner)?,
        generator_url: string_field(obj, "generatorURL", owner)?,
        fingerprint: string_field(obj, "fingerprint", owner)?,
    })
}

/// Decodes `template.Data` from JSON the way Go's `encoding/json` does for
/// its tagged fields: keys matched ignoring case, unknown keys and nulls
/// ignored, a value of the wrong kind an error.
fn data_from_json(v: &Json) -> Result<Value, String> {
    let obj = match v {
        Json::Null => return Ok(data_value(&DataIn::default())),
        Json::Object(o) => o,
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type template.Data",
                json_kind(other)
            ));
        }
    };
    let owner = "Data";
    let alerts = match field(obj, "alerts") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => items
            .iter()
            .map(alert_from_json)
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(mismatch(other, "Data.alerts", "template.Alerts")),
    };
    let d = DataIn {
        receiver: string_field(obj, "receiver", owner)?,
        status: string_field(obj, "status", owner)?,
        alerts,
        group_labels: kv_field(obj, "groupLabels", owner)?,
        common_labels: kv_field(obj, "commonLabels", owner)?,
        common_annotations: kv_field(obj, "commonAnnotations", owner)?,
        external_url: string_field(obj, "externalURL", owner)?,
    };
    Ok(data_value(&d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str, data: Option<&str>) -> RenderArgs {
        RenderArgs {
            globs: vec!["/nonexistent/*.tmpl".into()],
            text: Some(text.into()),
            kind: None,
            data: data.map(str::to_string),
        }
    }

    #[test]
    fn example_data_renders() {
        let out = render(args(
            "{{ .Receiver }} {{ len .Alerts }} {{ len .Alerts.Firing }} \
             {{ range .Alerts }}{{ .Fingerprint }} {{ end }}{{ .CommonLabels.commonlabelkey1 }}",
            None,
        ))
        .unwrap();
        assert_eq!(
            out,
            "receiver 2 0 fingerprint1 fingerprint2 commonlabelvalue1"
        );
    }

    #[test]
    fn json_data_and_errors() {
        let dir = std::env::temp_dir().join(format!("vigil-am-render-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("d.json");
        std::fs::write(
            &f,
            r#"{"Receiver":"r","alerts":[{"status":"firing","startsAt":"2024-01-02T03:04:05Z","labels":{"a":"b"}}]}"#,
        )
        .unwrap();
        let p = f.display().to_string();
        let out = render(args(
            "{{ .Receiver }} {{ range .Alerts.Firing }}{{ .StartsAt }} {{ .EndsAt }} {{ .Labels.a }}{{ end }}",
            Some(&p),
        ))
        .unwrap();
        assert_eq!(
            out,
            "r 2024-01-02 03:04:05 +0000 UTC 0001-01-01 00:00:00 +0000 UTC b"
        );
        std::fs::write(&f, r#"{"receiver":5}"#).unwrap();
        assert_eq!(
            render(args("x", Some(&p))).unwrap_err(),
            "json: cannot unmarshal number into Go struct field Data.receiver of type string"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        let mut a = args("x", None);
        a.kind = Some("xml".into());
        assert!(render(a).unwrap_err().contains("got 'xml'"));
        let mut a = args("x", None);
        a.globs.clear();
        assert!(render(a).unwrap_err().contains("--template.glob"));
    }
}
