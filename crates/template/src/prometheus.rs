//! Prometheus' template functions (`humanize`, `query`, `label`, ...; see
//! Prometheus' `docs/configuration/template_reference.md`), with the same
//! number formatting and error words as Prometheus' `template` package and
//! prometheus/common's `helpers/templates`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use crate::builtins::query_escape;
use crate::func::{Func, FuncMap, Param};
use crate::gofmt::{fmt_g, to_string};
use crate::value::{ElemType, Sample, Value};

/// Runs a PromQL instant query at a time (milliseconds) and returns the
/// resulting vector. Injected so that this crate does not depend on the engine.
pub type QueryFn = Arc<dyn Fn(&str, i64) -> Result<Vec<Sample>, String> + Send + Sync>;

/// What Prometheus' functions need from their surroundings.
#[derive(Clone, Default)]
pub struct Context {
    /// The `query` function's engine; `None` makes `query` fail.
    pub query: Option<QueryFn>,
    /// `--web.external-url`, as `externalURL` prints it.
    pub external_url: String,
    /// The evaluation time in milliseconds (`now`, `query`).
    pub timestamp_ms: i64,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("external_url", &self.external_url)
            .field("timestamp_ms", &self.timestamp_ms)
            .finish_non_exhaustive()
    }
}

/// The path of a URL (`http://h:9090/path/prefix?x` → `/path/prefix`).
fn url_path(url: &str) -> String {
    let rest = match url.find("://") {
        Some(i) => url.get(i + 3..).unwrap_or(""),
        None => return url.split(['?', '#']).next().unwrap_or("").to_string(),
    };
    match rest.find('/') {
        Some(i) => rest
            .get(i..)
            .unwrap_or("")
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .to_string(),
        None => String::new(),
    }
}

/// `strconv.ParseFloat(s, 64)` with Go's error text.
pub(crate) fn parse_float(s: &str) -> Result<f64, String> {
    let err = |what: &str| {
        format!(
            "strconv.ParseFloat: parsing {}: {what}",
            crate::gofmt::quote(s)
        )
    };
    let (neg, body) = match s.strip_prefix(['+', '-']) {
        Some(b) => (s.starts_with('-'), b),
        None => (false, s),
    };
    match body.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => {
            return Ok(if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        "nan" => return Ok(f64::NAN),
        _ => {}
    }
    match crate::unquote::parse_float_checked(s) {
        Ok(v) => Ok(v),
        Err(true) => Err(err("value out of range")),
        Err(false) => Err(err("invalid syntax")),
    }
}

/// prometheus/common `ConvertToFloat`.
pub(crate) fn to_float(v: &Value) -> Result<f64, String> {
    if let Value::Object(o) = v {
        return to_float(&o.data).map_err(|_| format!("can't convert {} to float", o.type_name));
    }
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Uint(u) => Ok(*u as f64),
        Value::Str(s) => parse_float(s),
        Value::Duration(d) => Ok(*d as f64),
        _ => Err(format!("can't convert {} to float", v.type_name())),
    }
}

fn g4(v: f64) -> String {
    fmt_g(v, Some(4), false)
}

/// `humanize`: SI prefixes, 4 significant digits.
pub fn humanize(v: f64) -> String {
    if v == 0.0 || v.is_nan() || v.is_infinite() {
        return g4(v);
    }
    let mut v = v;
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", g4(v))
}

/// `humanize1024`: binary prefixes.
pub fn humanize1024(v: f64) -> String {
    if v.abs() <= 1.0 || v.is_nan() || v.is_infinite() {
        return g4(v);
    }
    let mut v = v;
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", g4(v))
}

/// `humanizeDuration`: seconds as `1d 2h 3m 4s`, sub-second with prefixes.
pub fn humanize_duration(v: f64) -> String {
    if v.is_nan() || v.is_infinite() {
        return g4(v);
    }
    if v == 0.0 {
        return format!("{}s", g4(v));
    }
    if v.abs() >= 1.0 {
        let (sign, v) = if v < 0.0 { ("-", -v) } else { ("", v) };
        let d = v as i64;
        let (secs, mins, hours, days) = (d % 60, d / 60 % 60, d / 3600 % 24, d / 86400);
        if days != 0 {
            return format!("{sign}{days}d {hours}h {mins}m {secs}s");
        }
        if hours != 0 {
            return format!("{sign}{hours}h {mins}m {secs}s");
        }
        if mins != 0 {
            return format!("{sign}{mins}m {secs}s");
        }
        return format!("{sign}{}s", g4(v));
    }
    let mut v = v;
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", g4(v))
}

/// Prometheus' `floatToTime`: seconds to a UTC time with millisecond
/// precision; `None` for NaN/Inf.
fn float_to_time(v: f64) -> Result<Option<i64>, String> {
    if v.is_nan() || v.is_infinite() {
        return Ok(None);
    }
    let ts = v * 1e9;
    if ts > i64::MAX as f64 || ts < i64::MIN as f64 {
        return Err(format!(
            "{} cannot be represented as a nanoseconds timestamp since it overflows int64",
            fmt_g(v, None, false)
        ));
    }
    // model.TimeFromUnixNano keeps milliseconds only.
    Ok(Some((ts as i64) / 1_000_000 * 1_000_000))
}

/// `net.SplitHostPort`.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    let i = s.rfind(':')?;
    let host = if s.starts_with('[') {
        let end = s.find(']')?;
        if end + 1 != i {
            return None;
        }
        s.get(1..end)?
    } else {
        let h = s.get(..i)?;
        if h.contains(':') {
            return None;
        }
        h
    };
    if host.contains(['[', ']']) && !s.starts_with('[') {
        return None;
    }
    let port = s.get(i + 1..)?;
    if port.contains(['[', ']']) {
        return None;
    }
    Some((host, port))
}

/// `cases.Title(language.AmericanEnglish, cases.NoLower)`: upper-cases the
/// first letter of each word (letters, digits and `_`; an apostrophe ends a
/// word, as Prometheus prints `Don'T`) and leaves the rest.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        if c.is_alphanumeric() || c == '_' {
            if in_word {
                out.push(c);
            } else {
                out.push(upper_rune(c));
            }
            in_word = true;
        } else {
            in_word = false;
            out.push(c);
        }
    }
    out
}

/// Go's `unicode.ToUpper` of one rune: simple case mapping only, so a
/// character whose upper case is several characters (`ß`, `ﬁ`) stays.
fn upper_rune(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Go's `strings.ToUpper`.
fn go_upper(s: &str) -> String {
    s.chars().map(upper_rune).collect()
}

/// Go's `strings.ToLower` (only `İ` lower-cases to several characters in
/// full mapping; its simple mapping is `i`).
fn go_lower(s: &str) -> String {
    s.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

/// Prometheus' duration syntax with an optional leading `-`, in seconds.
fn parse_duration_seconds(s: &str) -> Result<f64, String> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let invalid = || format!("not a valid duration string: {}", crate::gofmt::quote(s));
    if body == "0" {
        return Ok(0.0);
    }
    if body.is_empty() {
        return Err("empty duration string".into());
    }
    const UNITS: [(&str, i128); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ];
    let mut rest = body;
    let mut total: i128 = 0;
    let mut last = 0;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        let num: i128 = rest
            .get(..n)
            .and_then(|d| d.parse().ok())
            .ok_or_else(invalid)?;
        rest = rest.get(n..).unwrap_or("");
        let u = rest.bytes().take_while(|b| !b.is_ascii_digit()).count();
        let unit = rest.get(..u).unwrap_or("");
        rest = rest.get(u..).unwrap_or("");
        let (idx, mult) = UNITS
            .iter()
            .enumerate()
            .find(|(_, (n, _))| *n == unit)
            .map(|(i, (_, m))| (i + 1, *m))
            .ok_or_else(invalid)?;
        // Units must come in decreasing order, each at most once.
        if idx <= last {
            return Err(invalid());
        }
        last = idx;
        total = total.saturating_add(num.saturating_mul(mult));
        if total > i64::MAX as i128 / 1_000_000 {
            return Err("duration out of range".into());
        }
    }
    let secs = total as f64 / 1000.0;
    Ok(if neg { -secs } else { secs })
}

fn str_arg(a: &[Value], i: usize) -> &str {
    a.get(i).and_then(Value::as_str).unwrap_or("")
}

fn sample_arg(a: &[Value], i: usize) -> Result<&Sample, String> {
    match a.get(i) {
        Some(Value::Sample(s)) => Ok(s),
        _ => Err("runtime error: invalid memory address or nil pointer dereference".into()),
    }
}

fn float_fn(f: fn(f64) -> Result<Value, String>) -> Func {
    Func::new(vec![Param::Any], move |a| {
        f(to_float(a.first().unwrap_or(&Value::Nil))?)
    })
}

/// Go's wording of a regexp syntax error (`missing closing ): `(``),
/// derived from the Rust parser's error kind and span.
fn go_regex_error(pattern: &str) -> String {
    use regex_syntax::ast::ErrorKind as K;
    let Err(e) = regex_syntax::ast::parse::Parser::new().parse(pattern) else {
        return "error parsing regexp: invalid syntax".into();
    };
    let span = e.span();
    let at = |a: usize, b: usize| pattern.get(a..b).unwrap_or("").to_string();
    let (msg, expr) = match e.kind() {
        K::GroupUnclosed => ("missing closing )", pattern.to_string()),
        K::GroupUnopened => ("unexpected )", pattern.to_string()),
        K::ClassUnclosed => ("missing closing ]", at(span.start.offset, pattern.len())),
        K::RepetitionMissing => (
            "missing argument to repetition operator",
            at(span.start.offset, span.start.offset + 1),
        ),
        K::EscapeUnrecognized => (
            "invalid escape sequence",
            at(span.start.offset, span.end.offset),
        ),
        K::ClassRangeInvalid => (
            "invalid character class range",
            at(span.start.offset, span.end.offset),
        ),
        K::RepetitionCountInvalid | K::RepetitionCountDecimalEmpty | K::RepetitionCountUnclosed => {
            (
                "invalid repeat count",
                at(span.start.offset, span.end.offset),
            )
        }
        K::GroupNameInvalid
        | K::GroupNameUnexpectedEof
        | K::FlagUnrecognized
        | K::UnsupportedLookAround => (
            "invalid or unsupported Perl syntax",
            at(span.start.offset, span.end.offset),
        ),
        _ => return format!("error parsing regexp: {}", e.kind()),
    };
    format!("error parsing regexp: {msg}: `{expr}`")
}

/// What Go's RE2 parser refuses but Rust's accepts: nested repetition
/// operators (`a**`) and repeat counts above 1000.
fn go_only_error(pattern: &str) -> Option<String> {
    use regex_syntax::ast::{Ast, RepetitionKind, RepetitionRange};
    fn walk(ast: &Ast, pattern: &str) -> Option<String> {
        match ast {
            Ast::Repetition(rep) => {
                let op = pattern
                    .get(rep.op.span.start.offset..rep.op.span.end.offset)
                    .unwrap_or("");
                if let RepetitionKind::Range(r) = &rep.op.kind {
                    let max = match r {
                        RepetitionRange::Exactly(n) | RepetitionRange::AtLeast(n) => *n,
                        RepetitionRange::Bounded(a, b) => (*a).max(*b),
                    };
                    if max > 1000 {
                        return Some(format!(
                            "error parsing regexp: invalid repeat count: `{op}`"
                        ));
                    }
                }
                if let Ast::Repetition(inner) = rep.ast.as_ref() {
                    let both = pattern
                        .get(inner.op.span.start.offset..rep.op.span.end.offset)
                        .unwrap_or("");
                    return Some(format!(
                        "error parsing regexp: invalid nested repetition operator: `{both}`"
                    ));
                }
                walk(&rep.ast, pattern)
            }
            Ast::Group(g) => walk(&g.ast, pattern),
            Ast::Alternation(a) => a.asts.iter().find_map(|x| walk(x, pattern)),
            Ast::Concat(c) => c.asts.iter().find_map(|x| walk(x, pattern)),
            _ => None,
        }
    }
    let ast = regex_syntax::ast::parse::Parser::new()
        .parse(pattern)
        .ok()?;
    walk(&ast, pattern)
}

fn compile(pattern: &str) -> Result<regex::Regex, String> {
    if let Some(e) = go_only_error(pattern) {
        return Err(e);
    }
    regex::Regex::new(pattern).map_err(|_| go_regex_error(pattern))
}

/// `regexp.MustCompile`'s panic text, which Go reports as the call's error.
fn must_compile(pattern: &str) -> Result<regex::Regex, String> {
    compile(pattern).map_err(|err| {
        let q = if pattern.contains('`') || pattern.chars().any(|c| c.is_control() && c != '\t') {
            crate::gofmt::quote(pattern)
        } else {
            format!("`{pattern}`")
        };
        format!("regexp: Compile({q}): {err}")
    })
}

/// Prometheus' template functions for `ctx`. `tmpl` is not included: it
/// exists in HTML mode only, where the executor provides it.
pub fn functions(ctx: &Context) -> FuncMap {
    use Param::{Any, QueryResult, Str};
    let mut m = FuncMap::new();
    let mut add = |name: &str, f: Func| {
        m.insert(name.to_string(), f);
    };
    let c = ctx.clone();
    add(
        "query",
        Func::new(vec![Str], move |a| {
            let Some(q) = &c.query else {
                return Err("no query engine configured".into());
            };
            let samples = q(str_arg(a, 0), c.timestamp_ms)?;
            Ok(Value::QueryResult(Arc::new(
                samples.into_iter().map(Arc::new).collect(),
            )))
        }),
    );
    add(
        "first",
        Func::new(vec![QueryResult], |a| match a.first() {
            Some(Value::QueryResult(q)) if !q.is_empty() => {
                Ok(q.first().map_or(Value::Nil, |s| Value::Sample(s.clone())))
            }
            _ => Err("first() called on vector with no elements".into()),
        }),
    );
    add(
        "label",
        Func::new(vec![Str, Param::Sample], |a| {
            let s = sample_arg(a, 1)?;
            Ok(Value::from(
                s.labels.get(str_arg(a, 0)).map_or("", String::as_str),
            ))
        }),
    );
    add(
        "value",
        Func::new(vec![Param::Sample], |a| Ok(sample_arg(a, 0)?.value.clone())),
    );
    add(
        "strvalue",
        Func::new(vec![Param::Sample], |a| {
            Ok(Value::from(
                sample_arg(a, 0)?
                    .labels
                    .get("__value__")
                    .map_or("", String::as_str),
            ))
        }),
    );
    add(
        "args",
        Func::variadic(vec![], Any, |a| {
            let entries: BTreeMap<String, Value> = a
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("arg{i}"), v.clone()))
                .collect();
            Ok(Value::map(entries, ElemType::Any))
        }),
    );
    add(
        "reReplaceAll",
        Func::new(vec![Str, Str, Str], |a| {
            let re = must_compile(str_arg(a, 0))?;
            Ok(Value::from(
                re.replace_all(str_arg(a, 2), str_arg(a, 1)).into_owned(),
            ))
        }),
    );
    add(
        "safeHtml",
        Func::new(vec![Str], |a| Ok(Value::SafeHtml(Arc::from(str_arg(a, 0))))),
    );
    add(
        "match",
        Func::new(vec![Str, Str], |a| {
            Ok(Value::Bool(compile(str_arg(a, 0))?.is_match(str_arg(a, 1))))
        }),
    );
    add(
        "title",
        Func::new(vec![Str], |a| Ok(Value::from(title(str_arg(a, 0))))),
    );
    add(
        "toUpper",
        Func::new(vec![Str], |a| Ok(Value::from(go_upper(str_arg(a, 0))))),
    );
    add(
        "toLower",
        Func::new(vec![Str], |a| Ok(Value::from(go_lower(str_arg(a, 0))))),
    );
    add(
        "graphLink",
        Func::new(vec![Str], |a| {
            Ok(Value::from(format!(
                "/graph?g0.expr={}&g0.tab=0",
                query_escape(str_arg(a, 0))
            )))
        }),
    );
    add(
        "tableLink",
        Func::new(vec![Str], |a| {
            Ok(Value::from(format!(
                "/graph?g0.expr={}&g0.tab=1",
                query_escape(str_arg(a, 0))
            )))
        }),
    );
    add(
        "sortByLabel",
        Func::new(vec![Str, QueryResult], |a| {
            let label = str_arg(a, 0);
            let mut v: Vec<Arc<Sample>> = match a.get(1) {
                Some(Value::QueryResult(q)) => q.as_ref().clone(),
                _ => Vec::new(),
            };
            v.sort_by(|x, y| {
                let get = |s: &Sample| s.labels.get(label).cloned().unwrap_or_default();
                get(x).cmp(&get(y))
            });
            Ok(Value::QueryResult(Arc::new(v)))
        }),
    );
    add(
        "stripPort",
        Func::new(vec![Str], |a| {
            let hp = str_arg(a, 0);
            Ok(Value::from(split_host_port(hp).map_or(hp, |(h, _)| h)))
        }),
    );
    add(
        "stripDomain",
        Func::new(vec![Str], |a| {
            let hp = str_arg(a, 0);
            let (host, port) = split_host_port(hp).unwrap_or((hp, ""));
            if host.parse::<IpAddr>().is_ok() {
                return Ok(Value::from(hp));
            }
            let host = host.split('.').next().unwrap_or("");
            if port.is_empty() {
                return Ok(Value::from(host));
            }
            Ok(Value::from(if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            }))
        }),
    );
    add("humanize", float_fn(|v| Ok(Value::from(humanize(v)))));
    add(
        "humanize1024",
        float_fn(|v| Ok(Value::from(humanize1024(v)))),
    );
    add(
        "humanizeDuration",
        float_fn(|v| Ok(Value::from(humanize_duration(v)))),
    );
    add(
        "humanizePercentage",
        float_fn(|v| Ok(Value::from(format!("{}%", g4(v * 100.0))))),
    );
    add(
        "humanizeTimestamp",
        float_fn(|v| {
            Ok(match float_to_time(v)? {
                Some(ns) => Value::from(to_string(&Value::Time(ns))),
                None => Value::from(g4(v)),
            })
        }),
    );
    add(
        "toTime",
        float_fn(|v| match float_to_time(v)? {
            Some(ns) => Ok(Value::Time(ns)),
            None => Err("value is NaN or Inf".into()),
        }),
    );
    add(
        "toDuration",
        float_fn(|v| Ok(Value::Duration((v * 1e9) as i64))),
    );
    let ts = ctx.timestamp_ms;
    add(
        "now",
        Func::new(vec![], move |_| Ok(Value::Float(ts as f64 / 1000.0))),
    );
    let path = url_path(&ctx.external_url);
    add(
        "pathPrefix",
        Func::new(vec![], move |_| Ok(Value::from(path.as_str()))),
    );
    let url = ctx.external_url.clone();
    add(
        "externalURL",
        Func::new(vec![], move |_| Ok(Value::from(url.as_str()))),
    );
    add(
        "parseDuration",
        Func::new(vec![Str], |a| {
            Ok(Value::Float(parse_duration_seconds(str_arg(a, 0))?))
        }),
    );
    add(
        "urlQueryEscape",
        Func::new(vec![Str], |a| Ok(Value::from(query_escape(str_arg(a, 0))))),
    );
    m
}

/// `tmpl` (HTML mode only): its body is run by the executor.
pub(crate) fn tmpl_func() -> Func {
    Func::new(vec![Param::Str, Param::Any], |_| Ok(Value::Nil))
}

/// Go's `%v` of a value; exposed for callers that print template values.
pub fn format_value(v: &Value) -> String {
    to_string(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths() {
        assert_eq!(url_path("http://testhost:9090/path/prefix"), "/path/prefix");
        assert_eq!(url_path("http://testhost:9090"), "");
    }

    #[test]
    fn host_port() {
        assert_eq!(split_host_port("[::1]:80"), Some(("::1", "80")));
        assert_eq!(split_host_port("[2001:0DB8::1]::12345"), None);
        assert_eq!(split_host_port("a:b:c"), None);
    }
}
