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
    let mut v: Value =
        serde_yaml_ng::from_str(text).map_err(|e| ConfigError::Yaml(e.to_string()))?;
    v.apply_merge()
        .map_err(|e| ConfigError::Yaml(e.to_string()))?;
    if v.is_null() {
        v = Value::Mapping(Mapping::new());
    }
    Ok(v)
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
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        if let Some((field, _)) = rest.split_once('`') {
            return format!("field {field} not found in type {type_name}");
        }
    }
    if let Some(rest) = msg.strip_prefix("duplicate field `") {
        if let Some((field, _)) = rest.split_once('`') {
            return format!("field {field} already set in type {type_name}");
        }
    }
    msg.to_owned()
}

/// Decodes `v` into `T`, naming the Go type in unknown-field errors.
pub(crate) fn decode<T: DeserializeOwned>(v: Value, type_name: &str) -> Result<T, String> {
    serde_yaml_ng::from_value(v).map_err(|e| go_style(&e.to_string(), type_name))
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
