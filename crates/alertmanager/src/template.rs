//! Notification templates: Vigil's default templates (the names and data
//! of Alertmanager's, see `template/default.tmpl`) with the files named by
//! `templates` (glob patterns) parsed on top, executed with Alertmanager's
//! template functions on [`Data`] ([`Templates`]).
//!
//! The functions shared with Prometheus (`toUpper`, `toLower`, `title`,
//! `match`, `reReplaceAll`, `safeHtml`, `humanizeDuration`) come from
//! [`vigil_template::prometheus::functions`]; this module adds
//! Alertmanager's own: `trimSpace`, `join`, `safeUrl`, `urlUnescape`,
//! `stringSlice`, `toJson`, and in [`funcs`] the time, encoding and
//! value-building ones (`date`, `tz`, `since`, `base64encode`, `dict`, ...).

mod data;
mod funcs;
mod zone;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil_template::prometheus::{Context, functions};
use vigil_template::{ElemType, Func, FuncMap, List, Param, Template, Value};

pub use data::{Data, alert_status, alert_value, common, kv};

/// Vigil's default notification templates.
pub const DEFAULT_TEMPLATES: &str = include_str!("template/default.tmpl");

/// Why templates could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// A glob pattern is malformed.
    #[error("{0}")]
    Pattern(String),
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not a valid template.
    #[error("{0}")]
    Parse(String),
    /// Executing a template failed.
    #[error("{0}")]
    Exec(String),
}

/// Alertmanager's template functions.
pub fn am_functions() -> FuncMap {
    let mut m = FuncMap::new();
    let shared = functions(&Context::default());
    for name in [
        "toUpper",
        "toLower",
        "title",
        "match",
        "reReplaceAll",
        "safeHtml",
        "humanizeDuration",
    ] {
        if let Some(f) = shared.get(name) {
            m.insert(name.to_string(), f.clone());
        }
    }
    let s = |v: &Value| match v {
        Value::Str(s) | Value::SafeHtml(s) => s.to_string(),
        other => format!("{other:?}"),
    };
    m.insert(
        "trimSpace".into(),
        Func::new(vec![Param::Str], move |a| {
            Ok(Value::Str(
                a.first().map(s).unwrap_or_default().trim().into(),
            ))
        }),
    );
    m.insert(
        "safeUrl".into(),
        Func::new(vec![Param::Str], move |a| {
            Ok(Value::Str(a.first().map(s).unwrap_or_default().into()))
        }),
    );
    m.insert(
        "urlUnescape".into(),
        Func::new(vec![Param::Str], move |a| {
            url_unescape(&a.first().map(s).unwrap_or_default()).map(|v| Value::Str(v.into()))
        }),
    );
    m.insert(
        "join".into(),
        Func::new(vec![Param::Str, Param::Any], move |a| {
            let sep = a.first().map(s).unwrap_or_default();
            match a.get(1) {
                Some(Value::List(l)) => Ok(Value::Str(
                    l.items.iter().map(s).collect::<Vec<_>>().join(&sep).into(),
                )),
                Some(Value::Nil) => Ok(Value::Str("".into())),
                _ => Err("wrong type for value; expected []string".into()),
            }
        }),
    );
    m.insert(
        "stringSlice".into(),
        Func::variadic(vec![], Param::Str, move |a| {
            Ok(Value::List(Arc::new(List {
                items: a.to_vec(),
                elem: ElemType::String,
            })))
        }),
    );
    funcs::add(&mut m);
    m.insert(
        "toJson".into(),
        Func::new(vec![Param::Any], |a| {
            let mut out = String::new();
            to_json(a.first().unwrap_or(&Value::Nil), &mut out);
            Ok(Value::Str(out.into()))
        }),
    );
    m
}

fn url_unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        format!(
                            "invalid URL escape {:?}",
                            s.get(i..(i + 3).min(s.len())).unwrap_or("%")
                        )
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// Encodes a template value as JSON (what Go's `json.Marshal` gives for
/// the alert data types: strings, numbers, lists, maps, structs, times).
pub fn to_json(v: &Value, out: &mut String) {
    match v {
        Value::Nil | Value::Missing => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Uint(u) => out.push_str(&u.to_string()),
        Value::Float(f) if f.is_finite() => out.push_str(&f.to_string()),
        Value::Float(_) => out.push_str("null"),
        Value::Str(s) | Value::SafeHtml(s) | Value::Histogram(s) => json_str(s, out),
        Value::Duration(d) => out.push_str(&d.to_string()),
        Value::Time(ns) if *ns == vigil_template::time::ZERO_TIME_NS => {
            json_str("0001-01-01T00:00:00Z", out);
        }
        Value::Time(ns) => json_str(&crate::time::format_rfc3339(*ns), out),
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                to_json(item, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_str(k, out);
                out.push(':');
                to_json(item, out);
            }
            out.push('}');
        }
        Value::Struct(st) => {
            // The alert and data structs carry lower-camel JSON tags.
            let tagged = matches!(st.type_name.as_str(), "template.Alert" | "*template.Data");
            out.push('{');
            for (i, (k, item)) in st.fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if tagged {
                    let mut c = k.chars();
                    let first = c.next().map(|f| f.to_ascii_lowercase().to_string());
                    json_str(&format!("{}{}", first.unwrap_or_default(), c.as_str()), out);
                } else {
                    json_str(k, out);
                }
                out.push(':');
                to_json(item, out);
            }
            out.push('}');
        }
        Value::Object(o) => to_json(&o.data, out),
        Value::QueryResult(_) | Value::Sample(_) => out.push_str("null"),
    }
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether `name` matches a shell pattern (`*`, `?`, `[a-z]`, `[!x]`), as
/// Go's `filepath.Match` does within one path element.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, TemplateError> {
    fn go(p: &[char], n: &[char]) -> Result<bool, String> {
        let Some((&c, rest)) = p.split_first() else {
            return Ok(n.is_empty());
        };
        match c {
            '*' => {
                for i in 0..=n.len() {
                    if go(rest, &n[i..])? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            '?' => Ok(!n.is_empty() && go(rest, &n[1..])?),
            '[' => {
                let end = rest
                    .iter()
                    .skip(1)
                    .position(|&x| x == ']')
                    .map(|i| i + 1)
                    .ok_or_else(|| "syntax error in pattern".to_string())?;
                let (class, after) = (&rest[..end], &rest[end + 1..]);
                let (negate, class) = match class.first() {
                    Some('!' | '^') => (true, &class[1..]),
                    _ => (false, class),
                };
                let Some(&ch) = n.first() else {
                    return Ok(false);
                };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if class.get(i + 1) == Some(&'-') && i + 2 < class.len() {
                        hit |= class[i] <= ch && ch <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == ch;
                        i += 1;
                    }
                }
                Ok(hit != negate && go(after, &n[1..])?)
            }
            '\\' => match rest.split_first() {
                Some((&e, rest)) => Ok(n.first() == Some(&e) && go(rest, &n[1..])?),
                None => Err("syntax error in pattern".into()),
            },
            c => Ok(n.first() == Some(&c) && go(rest, &n[1..])?),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n).map_err(TemplateError::Pattern)
}

/// The files a pattern names (wildcards in the last path element only),
/// sorted; a pattern without wildcards names itself only if it exists.
pub fn expand_glob(pattern: &str) -> Result<Vec<PathBuf>, TemplateError> {
    let path = Path::new(pattern);
    let (dir, file) = match (path.parent(), path.file_name()) {
        (Some(d), Some(f)) => (d, f.to_string_lossy().into_owned()),
        _ => return Ok(Vec::new()),
    };
    if !file.contains(['*', '?', '[', '\\']) {
        return Ok(if path.exists() {
            vec![path.to_path_buf()]
        } else {
            Vec::new()
        });
    }
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        // Go's Glob ignores I/O errors: a missing directory matches nothing.
        glob_match(&file, "")?;
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if glob_match(&file, &name)? {
            out.push(dir.join(name));
        }
    }
    out.sort();
    Ok(out)
}

/// Parses every file the patterns name into one template set.
pub fn from_globs(patterns: &[String]) -> Result<Template, TemplateError> {
    let mut t = Template::new("").funcs(am_functions());
    for (name, text) in read_files(patterns)? {
        t.parse_named(&name, &text)
            .map_err(|e| TemplateError::Parse(e.to_string()))?;
    }
    Ok(t)
}

/// The files the glob patterns name, in order, as (file name, contents).
fn read_files(patterns: &[String]) -> Result<Vec<(String, String)>, TemplateError> {
    let mut out = Vec::new();
    for p in patterns {
        for file in expand_glob(p)? {
            let text = std::fs::read_to_string(&file).map_err(|source| TemplateError::Io {
                path: file.clone(),
                source,
            })?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push((name, text));
        }
    }
    Ok(out)
}

/// The text and HTML template sets of a configuration: the defaults, then
/// the user's files, as Alertmanager keeps one of each (`missingkey=zero`).
#[derive(Debug, Clone)]
pub struct Templates {
    text: Template,
    html: Template,
}

impl Templates {
    /// The default templates and the files the patterns name.
    pub fn from_globs(patterns: &[String]) -> Result<Templates, TemplateError> {
        let base = Template::new("")
            .funcs(am_functions())
            .option("missingkey=zero")
            .map_err(TemplateError::Parse)?;
        let mut text = base.clone();
        let mut html = base.html(true);
        for t in [&mut text, &mut html] {
            t.parse_named("default.tmpl", DEFAULT_TEMPLATES)
                .map_err(|e| TemplateError::Parse(e.to_string()))?;
        }
        for (name, body) in read_files(patterns)? {
            for t in [&mut text, &mut html] {
                t.parse_named(&name, &body)
                    .map_err(|e| TemplateError::Parse(e.to_string()))?;
            }
        }
        Ok(Templates { text, html })
    }

    /// Only the default templates.
    pub fn defaults() -> Result<Templates, TemplateError> {
        Templates::from_globs(&[])
    }

    fn run(base: &Template, text: &str, data: &Value) -> Result<String, TemplateError> {
        if text.is_empty() {
            return Ok(String::new());
        }
        // Each text is parsed into a copy, as Alertmanager clones its set,
        // so a `define` in one field does not leak into the next.
        let mut t = base.clone();
        t.parse_named("", text)
            .map_err(|e| TemplateError::Parse(e.to_string()))?;
        t.execute_template("", data)
            .map_err(|e| TemplateError::Exec(e.to_string()))
    }

    /// Executes `text` as a text template.
    pub fn execute_text(&self, text: &str, data: &Value) -> Result<String, TemplateError> {
        Templates::run(&self.text, text, data)
    }

    /// Executes `text` as an HTML template (values are escaped unless
    /// they are `safeHtml`).
    pub fn execute_html(&self, text: &str, data: &Value) -> Result<String, TemplateError> {
        Templates::run(&self.html, text, data)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*.tmpl", "a.tmpl").unwrap());
        assert!(!glob_match("*.tmpl", "a.tmp").unwrap());
        assert!(glob_match("[a-c]?.t", "bx.t").unwrap());
        assert!(!glob_match("[!a-c]?.t", "bx.t").unwrap());
        assert!(glob_match("[", "x").is_err());
        assert!(expand_glob("/nonexistent/dir/*.tmpl").unwrap().is_empty());
    }

    #[test]
    fn files_parse_with_am_functions() {
        let dir = std::env::temp_dir().join(format!("vigil-am-tmpl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("a.tmpl"),
            r#"{{ define "x" }}{{ .A | toUpper | trimSpace }} {{ join "," (stringSlice "a" "b") }} {{ toJson .A }}{{ end }}"#,
        )
        .unwrap();
        std::fs::write(dir.join("b.txt"), "{{ bad").unwrap();
        let t = from_globs(&[format!("{}/*.tmpl", dir.display())]).unwrap();
        let data = Value::Map(Arc::new(vigil_template::Map {
            entries: [("A".to_string(), Value::Str(" x<".into()))].into(),
            elem: ElemType::Any,
        }));
        assert_eq!(
            t.execute_template("x", &data).unwrap(),
            "X< a,b \" x\\u003c\""
        );
        std::fs::write(dir.join("c.tmpl"), "{{ nosuchfunc }}").unwrap();
        let e = from_globs(&[format!("{}/*.tmpl", dir.display())]).unwrap_err();
        assert!(e.to_string().contains("nosuchfunc"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unescape() {
        assert_eq!(url_unescape("a%20b+c").unwrap(), "a b c");
        assert!(url_unescape("%zz").is_err());
    }
}
