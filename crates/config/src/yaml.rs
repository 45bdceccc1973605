//! Helpers for reading YAML the way Prometheus' strict `yaml.v2` decoding
//! does: a document is first read into a [`Value`] (so duplicate keys and
//! syntax errors are caught with a position), then sections are split and
//! decoded into typed structs with `deny_unknown_fields`.
//!
//! Prometheus inlines several structs into one YAML mapping (the HTTP client
//! options and every `*_sd_configs` list sit beside a scrape config's own
//! keys). Serde's `flatten` cannot be combined with `deny_unknown_fields`,
//! so the mapping is split by key name instead ([`take_keys`]).

use serde::de::DeserializeOwned;
use serde_yaml_ng::{Mapping, Value};

use crate::error::ConfigError;

/// Parses a YAML document into a [`Value`], resolving `<<` merge keys.
/// An empty document is an empty mapping.
pub(crate) fn parse_document(text: &str) -> Result<Value, ConfigError> {
    let text = inline_binary(text).map_err(ConfigError::Yaml)?;
    let mut v: Value = serde_yaml_ng::from_str(&text).map_err(|e| {
        let msg = e.to_string();
        // yaml.v2 words a repeated key as a strict-decoding error.
        match msg
            .strip_prefix("duplicate entry with key \"")
            .and_then(|r| r.split_once('"'))
        {
            Some((key, _)) => {
                ConfigError::Yaml(format!("field {key} already set in type config.plain"))
            }
            None => ConfigError::Yaml(msg),
        }
    })?;
    resolve_binary(&mut v, false).map_err(ConfigError::Yaml)?;
    v.apply_merge()
        .map_err(|e| ConfigError::Yaml(e.to_string()))?;
    if v.is_null() {
        v = Value::Mapping(Mapping::new());
    }
    Ok(v)
}

/// [`parse_document`] for documents that need not be mappings (SD files
/// are lists); an empty document stays null.
pub(crate) fn parse_document_any(text: &str) -> Result<Value, ConfigError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    parse_document(text)
}

/// Moves the entries whose key satisfies `pred` out of `map` into a new mapping.
pub(crate) fn take_keys(map: &mut Mapping, pred: impl Fn(&str) -> bool) -> Mapping {
    let keys: Vec<Value> = map
        .keys()
        .filter(|k| k.as_str().is_some_and(&pred))
        .cloned()
        .collect();
    let mut out = Mapping::new();
    for k in keys {
        if let Some(v) = map.remove(&k) {
            out.insert(k, v);
        }
    }
    out
}

/// Rewrites serde's wording of strict-decoding errors into yaml.v2's
/// (`field X not found in type T`), which users of Prometheus know.
pub(crate) fn go_style(msg: &str, type_name: &str) -> String {
    // serde prefixes the path of the offending field (`a.b: ...`); find the
    // known wordings anywhere and keep the path in front.
    if let Some(i) = msg.find("invalid type: ") {
        let (path, rest) = msg.split_at(i);
        let rest = rest.get("invalid type: ".len()..).unwrap_or("");
        if let Some((got, want)) = rest.split_once(", expected ") {
            return format!("yaml: unmarshal errors:\n  {path}cannot unmarshal {got} into {want}");
        }
    }
    for (needle, verb) in [
        ("unknown field `", "not found in"),
        ("duplicate field `", "already set in"),
    ] {
        if let Some(i) = msg.find(needle) {
            let rest = msg.get(i + needle.len()..).unwrap_or("");
            if let Some((field, _)) = rest.split_once('`') {
                return format!("field {field} {verb} type {type_name}");
            }
        }
    }
    msg.to_owned()
}

/// Decodes `v` into `T`, naming the Go type in unknown-field errors.
///
/// The value goes back through YAML text on purpose: serde_yaml_ng's text
/// deserializer, like Go's yaml.v2, lets any scalar fill a string field
/// (`password: 1234`), which decoding a [`Value`] does not. Null mapping
/// values are dropped first, so they leave a field at its default as in Go.
pub(crate) fn decode<T: DeserializeOwned>(mut v: Value, type_name: &str) -> Result<T, String> {
    strip_nulls(&mut v);
    let text = serde_yaml_ng::to_string(&v).map_err(|e| e.to_string())?;
    serde_yaml_ng::from_str(&text).map_err(|e| {
        let msg = e.to_string();
        // Positions refer to the re-serialized text, not the user's file.
        let msg = match msg.find(" at line ") {
            Some(i) => msg.get(..i).unwrap_or(&msg).to_owned(),
            None => msg,
        };
        go_style(&msg, type_name)
    })
}

/// Removes `key: null` entries from every mapping in `v`.
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Mapping(m) => {
            m.retain(|_, v| !v.is_null());
            for (_, x) in m.iter_mut() {
                strip_nulls(x);
            }
        }
        Value::Sequence(s) => s.iter_mut().for_each(strip_nulls),
        Value::Tagged(t) => strip_nulls(&mut t.value),
        _ => {}
    }
}

/// Decodes a mapping (or null, as an empty mapping) into `T`.
pub(crate) fn decode_map<T: DeserializeOwned>(m: Mapping, type_name: &str) -> Result<T, String> {
    decode(Value::Mapping(m), type_name)
}

/// The mapping inside `v`; null counts as empty, anything else is an error.
pub(crate) fn as_mapping(v: Value, what: &str) -> Result<Mapping, String> {
    match v {
        Value::Mapping(m) => Ok(m),
        Value::Null => Ok(Mapping::new()),
        other => Err(format!(
            "cannot unmarshal {} into {what}",
            kind_name(&other)
        )),
    }
}

/// The elements of a sequence; null counts as empty.
pub(crate) fn as_sequence(v: Value, what: &str) -> Result<Vec<Value>, String> {
    match v {
        Value::Sequence(s) => Ok(s),
        Value::Null => Ok(Vec::new()),
        other => Err(format!(
            "cannot unmarshal {} into {what}",
            kind_name(&other)
        )),
    }
}

/// A short name of a YAML value's kind for error messages.
pub(crate) fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "!!bool",
        Value::Number(_) => "!!number",
        Value::String(_) => "!!str",
        Value::Sequence(_) => "!!seq",
        Value::Mapping(_) => "!!map",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Serializes `v` to a YAML [`Value`]; serialization of these plain structs
/// cannot fail, but a failure is reported as null rather than a panic.
pub(crate) fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_yaml_ng::to_value(v).unwrap_or(Value::Null)
}

/// Appends every entry of `extra` (a mapping) to `base` (a mapping).
pub(crate) fn merge_into(base: &mut Value, extra: Value) {
    if let (Value::Mapping(b), Value::Mapping(e)) = (base, extra) {
        for (k, v) in e {
            b.insert(k, v);
        }
    }
}

/// Replaces `!!binary` scalars by the text they encode, as yaml.v2 does
/// when it decodes one into a string; bytes that are not UTF-8 cannot be a
/// label name or value, so they are refused here with Prometheus' message.
fn resolve_binary(v: &mut Value, is_key: bool) -> Result<(), String> {
    match v {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            if tag == "!!binary" || tag == "tag:yaml.org,2002:binary" || tag == "!binary" {
                let Value::String(s) = &t.value else {
                    return Err("!!binary value must be a string".into());
                };
                let bytes =
                    base64_decode(s).ok_or("!!binary value contains invalid base64 data")?;
                match String::from_utf8(bytes) {
                    Ok(text) => *v = Value::String(text),
                    Err(e) => {
                        let quoted = go_quote_bytes(e.as_bytes());
                        let what = if is_key { "name" } else { "value" };
                        return Err(format!("{quoted} is not a valid label {what}"));
                    }
                }
                Ok(())
            } else {
                resolve_binary(&mut t.value, is_key)
            }
        }
        Value::Mapping(m) => {
            let entries: Vec<(Value, Value)> = std::mem::take(m).into_iter().collect();
            for (mut k, mut x) in entries {
                resolve_binary(&mut k, true)?;
                resolve_binary(&mut x, false)?;
                m.insert(k, x);
            }
            Ok(())
        }
        Value::Sequence(s) => s.iter_mut().try_for_each(|x| resolve_binary(x, false)),
        _ => Ok(()),
    }
}

/// Standard base64 with padding, whitespace ignored (what Go's yaml.v2 accepts).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if clean.len() % 4 != 0 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let chunks = clean.chunks(4);
    let n = chunks.len();
    for (i, chunk) in clean.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != n) {
            return None;
        }
        let mut acc = 0u32;
        for (j, c) in chunk.iter().enumerate() {
            let d = if j >= 4 - pad { 0 } else { val(*c)? };
            acc = (acc << 6) | d;
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(bytes.get(1..4 - pad).unwrap_or(&[]));
    }
    Some(out)
}

/// Quotes bytes as Go's `%q` does for invalid UTF-8 (`"\xff"`).
fn go_quote_bytes(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                c => s.push(c),
            }
        }
        for byte in chunk.invalid() {
            s.push_str(&format!("\\x{byte:02x}"));
        }
    }
    s.push('"');
    s
}

/// Rewrites `!!binary <base64>` scalars into the quoted text they encode.
///
/// serde_yaml_ng reads a `!!binary` scalar as its base64 text, while Go's
/// yaml.v2 decodes it; doing it on the text keeps the rest of the loader
/// unaware of tags.
fn inline_binary(text: &str) -> Result<std::borrow::Cow<'_, str>, String> {
    const TAG: &str = "!!binary";
    if !text.contains(TAG) {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(TAG) {
        out.push_str(rest.get(..pos).unwrap_or(""));
        let after = rest
            .get(pos + TAG.len()..)
            .unwrap_or("")
            .trim_start_matches([' ', '\t']);
        let (encoded, tail) = if let Some(q) = after.strip_prefix('"') {
            let end = q
                .find('"')
                .ok_or("!!binary value contains invalid base64 data")?;
            (q.get(..end).unwrap_or(""), q.get(end + 1..).unwrap_or(""))
        } else if let Some(q) = after.strip_prefix('\'') {
            let end = q
                .find('\'')
                .ok_or("!!binary value contains invalid base64 data")?;
            (q.get(..end).unwrap_or(""), q.get(end + 1..).unwrap_or(""))
        } else {
            let end = after
                .find(|c: char| c.is_whitespace() || c == ',' || c == ']' || c == '}')
                .unwrap_or(after.len());
            (
                after.get(..end).unwrap_or(""),
                after.get(end..).unwrap_or(""),
            )
        };
        let bytes = base64_decode(encoded).ok_or("!!binary value contains invalid base64 data")?;
        match String::from_utf8(bytes) {
            Ok(decoded) => {
                out.push('"');
                for c in decoded.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
            Err(e) => {
                let is_key = tail.trim_start_matches([' ', '\t']).starts_with(':');
                let what = if is_key { "name" } else { "value" };
                return Err(format!(
                    "{} is not a valid label {what}",
                    go_quote_bytes(e.as_bytes())
                ));
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    Ok(std::borrow::Cow::Owned(out))
}

/// yaml.v2 (YAML 1.1) reads `yes`/`no`/`on`/`off`/`y`/`n` as booleans in a
/// boolean field; serde_yaml_ng (YAML 1.2) only knows `true`/`false`.
fn yaml11_bool_word(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

struct Yaml11Bool;

impl serde::de::Visitor<'_> for Yaml11Bool {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<bool, E> {
        yaml11_bool_word(v).ok_or_else(|| E::invalid_type(serde::de::Unexpected::Str(v), &self))
    }
}

/// `deserialize_with` for `bool` fields, accepting YAML 1.1 words.
pub(crate) fn yaml11_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    d.deserialize_any(Yaml11Bool)
}

/// `deserialize_with` for `Option<bool>` fields, accepting YAML 1.1 words.
pub(crate) fn yaml11_opt_bool<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(Yaml11Bool).map(Some)
}

/// Field decoding for the SD config structs: yaml.v2's booleans for `bool`
/// fields, plain serde for everything else (implemented per field type
/// because stable Rust cannot specialise a blanket impl).
pub(crate) trait Lenient: Sized {
    /// Decodes the field.
    fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// `deserialize_with` target used by `sd_struct!` for every field.
pub(crate) fn lenient<'de, D: serde::Deserializer<'de>, T: Lenient>(d: D) -> Result<T, D::Error> {
    T::lenient(d)
}

impl Lenient for bool {
    fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        yaml11_bool(d)
    }
}

impl Lenient for Option<bool> {
    fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        yaml11_opt_bool(d)
    }
}

macro_rules! plain_lenient {
    ($($t:ty),* $(,)?) => {$(
        impl Lenient for $t {
            fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$t as serde::Deserialize>::deserialize(d)
            }
        }
    )*};
}

plain_lenient!(
    String,
    Option<String>,
    u16,
    u32,
    Option<u16>,
    Option<u32>,
    Vec<String>,
    std::collections::BTreeMap<String, String>,
    Option<Value>,
    crate::types::Secret,
    crate::types::Url,
    Option<crate::types::Duration>,
    crate::http::TlsConfig,
    Vec<crate::discovery::AwsFilter>,
    Vec<crate::discovery::DockerFilter>,
);
