//! YAML decoding of rule files with `serde_yaml_ng`, and the translation of
//! its errors into the words of Go's `yaml.v3` that Prometheus prints
//! (`yaml: unmarshal errors:\n  line 8: field annotation not found in type
//! rulefmt.Rule`, `yaml: line 3: ...`).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_yaml_ng::Value as Yaml;

use super::{Rule, RuleGroup, RuleGroups};

/// A string as Go's yaml decodes one: any scalar is accepted as its text
/// as written (`1.10` stays `1.10`), null is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Str(String);

impl<'de> Deserialize<'de> for Str {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Str, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Str;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str, E> {
                // The scalar's raw text; a plain null reads as empty, as in Go.
                if matches!(v, "~" | "null" | "Null" | "NULL") {
                    return Ok(Str::default());
                }
                Ok(Str(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Str, E> {
                Ok(Str(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Str, E> {
                Ok(Str(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Str, E> {
                Ok(Str(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Str, E> {
                Ok(Str(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Str, E> {
                Ok(Str::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Str, E> {
                Ok(Str::default())
            }
        }
        d.deserialize_str(V)
    }
}

/// A Prometheus duration (`model.Duration`), in nanoseconds.
#[derive(Debug, Clone, Copy, Default)]
struct Dur(i64);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dur, D::Error> {
        let s = Str::deserialize(d)?;
        if s.0.is_empty() {
            return Ok(Dur(0));
        }
        vigil_promql::parse_duration(&s.0)
            .map(Dur)
            .map_err(de::Error::custom)
    }
}

/// A `map[string]string`; a repeated key is an error, as in Go's yaml.
#[derive(Debug, Default)]
struct StrMap(BTreeMap<Str, Str>);

impl<'de> Deserialize<'de> for StrMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StrMap, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_unit<E: de::Error>(self) -> Result<StrMap, E> {
                Ok(StrMap::default())
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<StrMap, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = m.next_entry::<Str, Str>()? {
                    if out.contains_key(&k) {
                        return Err(de::Error::custom(format!("duplicate field `{}`", k.0)));
                    }
                    out.insert(k, v);
                }
                Ok(StrMap(out))
            }
        }
        d.deserialize_map(V)
    }
}

type Map = Option<StrMap>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroups {
    groups: Option<Vec<RawGroup>>,
}

/// An `int` as Go's yaml decodes one: floats are truncated.
#[derive(Debug, Clone, Copy, Default)]
struct Int(i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Int, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("i64")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::invalid_type(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                if v.is_finite() && v.abs() < 9.2e18 {
                    return Ok(Int(v as i64));
                }
                Err(E::invalid_type(de::Unexpected::Float(v), &self))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Int, E> {
                Ok(Int(0))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    #[serde(default)]
    name: Str,
    interval: Option<Dur>,
    query_offset: Option<Dur>,
    limit: Option<Int>,
    rules: Option<Vec<RawRule>>,
    labels: Map,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    record: Str,
    #[serde(default)]
    alert: Str,
    #[serde(default)]
    expr: Str,
    #[serde(rename = "for")]
    for_: Option<Dur>,
    keep_firing_for: Option<Dur>,
    labels: Map,
    annotations: Map,
}

const GROUPS_FIELDS: [&str; 1] = ["groups"];
const GROUP_FIELDS: [&str; 6] = [
    "name",
    "interval",
    "query_offset",
    "limit",
    "rules",
    "labels",
];
const RULE_FIELDS: [&str; 7] = [
    "record",
    "alert",
    "expr",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
];

fn map(m: Map) -> BTreeMap<String, String> {
    m.unwrap_or_default()
        .0
        .into_iter()
        .map(|(k, v)| (k.0, v.0))
        .collect()
}

fn convert(raw: RawGroups) -> RuleGroups {
    RuleGroups {
        groups: raw
            .groups
            .unwrap_or_default()
            .into_iter()
            .map(|g| RuleGroup {
                name: g.name.0,
                interval: g.interval.unwrap_or_default().0,
                query_offset: g.query_offset.map(|d| d.0),
                limit: g.limit.unwrap_or_default().0,
                labels: map(g.labels),
                rules: g
                    .rules
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| Rule {
                        record: r.record.0,
                        alert: r.alert.0,
                        expr: r.expr.0,
                        for_: r.for_.unwrap_or_default().0,
                        keep_firing_for: r.keep_firing_for.unwrap_or_default().0,
                        labels: map(r.labels),
                        annotations: map(r.annotations),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Removes keys the format does not know (for `ignore_unknown_fields`).
fn strip_unknown(v: &mut Yaml) {
    fn keep(m: &mut serde_yaml_ng::Mapping, known: &[&str]) {
        m.retain(|k, _| k.as_str().is_some_and(|k| known.contains(&k)));
    }
    let Yaml::Mapping(top) = v else { return };
    keep(top, &GROUPS_FIELDS);
    let Some(Yaml::Sequence(groups)) = top.get_mut("groups") else {
        return;
    };
    for g in groups {
        let Yaml::Mapping(gm) = g else { continue };
        keep(gm, &GROUP_FIELDS);
        let Some(Yaml::Sequence(rules)) = gm.get_mut("rules") else {
            continue;
        };
        for r in rules {
            if let Yaml::Mapping(rm) = r {
                keep(rm, &RULE_FIELDS);
            }
        }
    }
}

/// Go's type name for the struct at a serde path (`groups[0].rules[1]`).
fn type_at(path: &str) -> &'static str {
    let last = path.rsplit('.').next().unwrap_or("");
    if last.starts_with("rules[") {
        "rulefmt.Rule"
    } else if last.starts_with("groups[") {
        "rulefmt.RuleGroup"
    } else {
        "rulefmt.RuleGroups"
    }
}

/// `string "abc", expected i64` → Go's `cannot unmarshal !!str `abc` into int`.
fn go_type_error(rest: &str, path: &str) -> Option<String> {
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let (tag, value) = if let Some(v) = found.strip_prefix("string ") {
        ("!!str", Some(v.trim_matches('"').to_string()))
    } else if let Some(v) = found.strip_prefix("integer ") {
        ("!!int", Some(v.trim_matches('`').to_string()))
    } else if let Some(v) = found.strip_prefix("floating point ") {
        ("!!float", Some(v.trim_matches('`').to_string()))
    } else if let Some(v) = found.strip_prefix("boolean ") {
        ("!!bool", Some(v.trim_matches('`').to_string()))
    } else if found == "sequence" {
        ("!!seq", None)
    } else if found == "map" {
        ("!!map", None)
    } else {
        return None;
    };
    let last = path.rsplit('.').next().unwrap_or("");
    let into = match expected {
        "i64" => "int",
        "a string" => "string",
        "a map" => "map[string]string",
        "struct RawGroups" => "rulefmt.RuleGroups",
        "struct RawGroup" => "rulefmt.RuleGroup",
        "struct RawRule" => "rulefmt.Rule",
        "a sequence" if last == "rules" => "[]rulefmt.Rule",
        "a sequence" => "[]rulefmt.RuleGroup",
        _ => return None,
    };
    Some(match value {
        Some(v) => format!("cannot unmarshal {tag} `{v}` into {into}"),
        None => format!("cannot unmarshal {tag} into {into}"),
    })
}

/// Lines of the first two occurrences of `key` in the block mapping that
/// starts on line `start` (1-based), for Go's "already defined" message.
fn duplicate_lines(text: &str, start: usize, key: &str) -> Option<(usize, usize)> {
    let mut col = None;
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate().skip(start.checked_sub(1)?) {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let mut body = line.trim_start_matches(' ');
        let mut c = indent;
        if col.is_none() {
            while let Some(rest) = body.strip_prefix("- ") {
                let rest_trim = rest.trim_start_matches(' ');
                c += 2 + (rest.len() - rest_trim.len());
                body = rest_trim;
            }
            col = Some(c);
        } else if body.is_empty() || body.starts_with('#') {
            continue;
        } else if Some(indent) != col {
            if col.is_some_and(|k| indent < k) {
                break;
            }
            continue;
        }
        let k = body
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches(['"', '\'']);
        if k == key && body.contains(':') {
            found.push(i + 1);
            if let [a, b] = found[..] {
                return Some((a, b));
            }
        }
    }
    None
}

/// Go's yaml reports every unknown field of the document in one error;
/// serde stops at the first, so the others are found from the layout.
fn all_unknown_fields(text: &str) -> Option<String> {
    use super::position::{Level, keys};
    let lines: Vec<String> = keys(text)
        .into_iter()
        .filter_map(|(level, key, line)| {
            let (known, ty): (&[&str], &str) = match level {
                Level::Top => (&GROUPS_FIELDS, "rulefmt.RuleGroups"),
                Level::Group => (&GROUP_FIELDS, "rulefmt.RuleGroup"),
                Level::Rule => (&RULE_FIELDS, "rulefmt.Rule"),
            };
            (!known.contains(&key.as_str()) && key != "<<")
                .then(|| format!("  line {line}: field {key} not found in type {ty}"))
        })
        .collect();
    if lines.is_empty() {
        return None;
    }
    Some(format!("yaml: unmarshal errors:\n{}", lines.join("\n")))
}

/// Rewrites a `serde_yaml_ng` error in Go's yaml.v3 words.
fn yaml_error_in(e: &serde_yaml_ng::Error, text: &str) -> String {
    let msg = yaml_error(e);
    if msg.contains(": field ") && msg.contains(" not found in type ") {
        if let Some(all) = all_unknown_fields(text) {
            if all.contains(msg.split("errors:\n").nth(1).unwrap_or("")) {
                return all;
            }
        }
        return msg;
    }
    let line = e.location().map_or(0, |l| l.line());
    if let Some(field) = msg
        .split("duplicate field `")
        .nth(1)
        .and_then(|r| r.split('`').next())
    {
        if let Some((first, second)) = duplicate_lines(text, line, field) {
            return format!(
                "yaml: unmarshal errors:\n  line {second}: mapping key \"{field}\" already defined at line {first}"
            );
        }
        return format!(
            "yaml: unmarshal errors:\n  line {line}: mapping key \"{field}\" already defined"
        );
    }
    msg
}

/// Rewrites a `serde_yaml_ng` error in Go's yaml.v3 words.
fn yaml_error(e: &serde_yaml_ng::Error) -> String {
    let line = e.location().map_or(0, |l| l.line());
    let mut msg = e.to_string();
    if let Some(i) = msg.rfind(" at line ") {
        msg.truncate(i);
    }
    // A path prefix (`groups[0].rules[0]: `) says where in the structure.
    let (path, body) = match msg.split_once(": ") {
        Some((p, b)) if p.starts_with("groups") || p == "." => (p.to_string(), b.to_string()),
        _ => (String::new(), msg.clone()),
    };
    if let Some(rest) = body.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or("");
        return format!(
            "yaml: unmarshal errors:\n  line {line}: field {field} not found in type {}",
            type_at(&path)
        );
    }
    if let Some(go) = body
        .strip_prefix("invalid type: ")
        .and_then(|r| go_type_error(r, &path))
    {
        return format!("yaml: unmarshal errors:\n  line {line}: {go}");
    }
    if body.starts_with("invalid type")
        || body.starts_with("invalid value")
        || body.starts_with("duplicate field")
    {
        return format!("yaml: unmarshal errors:\n  line {line}: {body}");
    }
    if path.is_empty()
        && line > 0
        && !body.starts_with("not a valid duration")
        && !body.starts_with("unknown unit")
    {
        return format!("yaml: line {line}: {body}");
    }
    body
}

/// Decodes the first YAML document (later ones are ignored, as upstream
/// does with a warning).
/// A libyaml syntax error (`PROBLEM at line L column C[, CONTEXT at line
/// L column C]`) in go-yaml's words: `yaml: line N: PROBLEM`. Like go-yaml,
/// N is the context's 0-based line when that is not 0, else the problem's,
/// plus one for scanner errors; with N = 0 the line is left out.
fn syntax_error(msg: &str) -> Option<String> {
    fn split_mark(s: &str) -> Option<(&str, usize)> {
        let (text, mark) = s.rsplit_once(" at line ")?;
        let line: usize = mark.split(' ').next()?.parse().ok()?;
        Some((text, line.saturating_sub(1)))
    }
    let (problem_part, context_part) = match msg.split_once(", while ") {
        Some((p, c)) => (p, Some(c)),
        None => (msg, None),
    };
    let (problem, problem_line) = split_mark(problem_part)?;
    let context = context_part.and_then(split_mark);
    let scanner = match context {
        Some((ctx, _)) => ctx.starts_with("scanning"),
        None => !problem.starts_with("did not find expected"),
    };
    let line = match context {
        Some((_, l)) if l != 0 => l,
        _ => problem_line,
    };
    let line = if line != 0 && scanner { line + 1 } else { line };
    if line == 0 {
        return Some(format!("yaml: {problem}"));
    }
    Some(format!("yaml: line {line}: {problem}"))
}

/// A repeated key found while reading the document, in go-yaml's words.
fn duplicate_key_error(msg: &str, line: usize, text: &str) -> Option<String> {
    let key = msg
        .split("duplicate entry with key \"")
        .nth(1)?
        .split('"')
        .next()?;
    Some(match duplicate_lines(text, line, key) {
        Some((first, second)) => format!(
            "yaml: unmarshal errors:\n  line {second}: mapping key \"{key}\" already defined at line {first}"
        ),
        None => {
            format!("yaml: unmarshal errors:\n  line {line}: mapping key \"{key}\" already defined")
        }
    })
}

pub(super) fn decode(text: &str, ignore_unknown: bool) -> Result<RuleGroups, String> {
    let Some(doc) = serde_yaml_ng::Deserializer::from_str(text).next() else {
        return Ok(RuleGroups::default());
    };
    // Like go-yaml, read the whole document before decoding it, so that a
    // syntax error anywhere wins over a type error earlier on.
    if let Err(e) = Yaml::deserialize(doc) {
        let msg = e.to_string();
        let line = e.location().map_or(0, |l| l.line());
        return Err(duplicate_key_error(&msg, line, text)
            .or_else(|| syntax_error(&msg))
            .unwrap_or_else(|| yaml_error(&e)));
    }
    let Some(doc) = serde_yaml_ng::Deserializer::from_str(text).next() else {
        return Ok(RuleGroups::default());
    };
    if !ignore_unknown {
        // Typed decoding first: its errors carry line numbers.
        let err = match Option::<RawGroups>::deserialize(doc) {
            Ok(Some(r)) => return Ok(convert(r)),
            Ok(None) => return Ok(RuleGroups::default()),
            Err(e) => e,
        };
        let err = yaml_error_in(&err, text);
        // Merge keys (`<<: *anchor`) need the generic tree to be resolved.
        if !text.contains("<<") {
            return Err(err);
        }
    }
    let Some(doc) = serde_yaml_ng::Deserializer::from_str(text).next() else {
        return Ok(RuleGroups::default());
    };
    let mut v = Yaml::deserialize(doc).map_err(|e| yaml_error(&e))?;
    v.apply_merge().map_err(|e| yaml_error(&e))?;
    if ignore_unknown {
        strip_unknown(&mut v);
    }
    if v.is_null() {
        return Ok(RuleGroups::default());
    }
    // Back to text, so that scalars decode as strings exactly as above.
    let text = serde_yaml_ng::to_string(&v).map_err(|e| yaml_error(&e))?;
    match Option::<RawGroups>::deserialize(serde_yaml_ng::Deserializer::from_str(&text)) {
        Ok(r) => Ok(r.map(convert).unwrap_or_default()),
        Err(e) => Err(yaml_error(&e)),
    }
}
