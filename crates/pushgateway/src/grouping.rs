//! Grouping keys: the `job` and labels a push names in its URL path,
//! `/metrics/job/<job>{/<label>/<value>}`, which identify one group.
//!
//! Rules, as the Pushgateway applies them:
//! - A label name ending in `@base64` (and the path element `job@base64`)
//!   marks its value as URL-safe base64 (RFC 4648 §5); trailing `=` padding
//!   is ignored, so `=` alone is the empty value, and a decoded value may
//!   contain `/`.
//! - Label names must be legacy label names (or, with UTF-8 names enabled,
//!   any name, written in the `U__` value escaping) and must not start
//!   with `__`.
//! - An odd number of path elements after the job is an error; so is an
//!   empty job.
//! - Values may be empty; an empty value is part of the key (it is shown by
//!   the API) even though the samples carry no such label.

use std::collections::BTreeMap;

use std::borrow::Cow;

use vigil_model::names::is_valid_label_name;
use vigil_model::{EscapingScheme, ValidationScheme, unescape_name};

use crate::error::PathError;

/// Marks a base64-encoded label value in the URL path.
pub const BASE64_SUFFIX: &str = "@base64";

/// The label set that identifies a group, `job` included, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GroupingKey(BTreeMap<String, String>);

impl GroupingKey {
    /// A key from `(name, value)` pairs (later pairs win).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> GroupingKey {
        GroupingKey(
            pairs
                .into_iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The labels in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The value of label `name`, if the key has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Whether a sample could carry both this key's and `other`'s labels:
    /// no label both keys name has different values in them. Only groups
    /// compatible in this sense can hold the same series.
    pub fn compatible(&self, other: &GroupingKey) -> bool {
        self.0
            .iter()
            .all(|(n, v)| other.0.get(n).is_none_or(|w| w == v))
    }

    /// The names with empty values, `instance` left out. The Pushgateway
    /// keeps such labels on every sample (and `instance=""` on samples
    /// without an instance), so two samples are the same series for it only
    /// when these sets agree.
    fn empty_names(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(|(n, v)| v.is_empty() && *n != "instance")
            .map(|(n, _)| n.as_str())
    }

    /// Whether samples of this group and of `other` with equal non-empty
    /// labels are the same series to the Pushgateway (see `empty_names`).
    pub fn same_empty_labels(&self, other: &GroupingKey) -> bool {
        self.empty_names().eq(other.empty_names())
    }

    /// Whether the two groups' push-time gauges would be the same series:
    /// the keys are equal once `instance=""` is taken as no instance.
    pub fn equivalent(&self, other: &GroupingKey) -> bool {
        // Cheap rejection first: this runs against every group per push.
        if self.get("job") != other.get("job") {
            return false;
        }
        self.without_empty_instance()
            .eq(other.without_empty_instance())
    }

    fn without_empty_instance(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0
            .iter()
            .filter(|(n, v)| !(v.is_empty() && n.as_str() == "instance"))
    }

    /// The number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the key has no labels (never true for a parsed key).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The URL path (after `/metrics`) that names this group, every value
    /// base64-encoded so that any value round-trips.
    pub fn to_path(&self) -> String {
        let mut out = String::from("/job@base64/");
        out.push_str(&encode_base64(self.get("job").unwrap_or_default()));
        for (n, v) in self.iter().filter(|(n, _)| *n != "job") {
            out.push('/');
            out.push_str(n);
            out.push_str(BASE64_SUFFIX);
            out.push('/');
            out.push_str(&encode_base64(v));
        }
        out
    }
}

/// Parses the part of a push URL after `/metrics/job` (or `/metrics/job@base64`,
/// then `job_base64` is true): `/<job>{/<label>/<value>}`, already
/// percent-decoded, with legacy label names.
pub fn parse_push_path(rest: &str, job_base64: bool) -> Result<GroupingKey, PathError> {
    parse_push_path_with(rest, job_base64, ValidationScheme::Legacy)
}

/// Like [`parse_push_path`], validating label names with `scheme`. With
/// UTF-8 names (`--push.enable-utf8-names`) a label name in the path is
/// unescaped from the `U__` value encoding first, as upstream does.
pub fn parse_push_path_with(
    rest: &str,
    job_base64: bool,
    scheme: ValidationScheme,
) -> Result<GroupingKey, PathError> {
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let (job, labels) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let job = if job_base64 {
        decode_base64(job).map_err(|e| PathError::JobBase64 {
            job: job.to_string(),
            reason: e,
        })?
    } else {
        job.to_string()
    };
    let mut key = split_labels(labels, scheme)?;
    if job.is_empty() {
        return Err(PathError::JobRequired);
    }
    key.0.insert("job".to_string(), job);
    Ok(key)
}

/// Splits `/<name>/<value>/...` into labels (the Pushgateway's `splitLabels`).
fn split_labels(labels: &str, scheme: ValidationScheme) -> Result<GroupingKey, PathError> {
    let mut out = BTreeMap::new();
    if labels.len() <= 1 {
        return Ok(GroupingKey(out));
    }
    let components: Vec<&str> = labels[1..].split('/').collect();
    if components.len() % 2 != 0 {
        return Err(PathError::OddComponents(labels.to_string()));
    }
    for pair in components.chunks_exact(2) {
        let (name, value) = (pair[0], pair[1]);
        let trimmed = name.strip_suffix(BASE64_SUFFIX).unwrap_or(name);
        let unescaped = match scheme {
            ValidationScheme::Legacy => Cow::Borrowed(trimmed),
            ValidationScheme::Utf8 => unescape_name(trimmed, EscapingScheme::Values),
        };
        if !is_valid_label_name(&unescaped, scheme) || trimmed.starts_with("__") {
            return Err(PathError::LabelName(trimmed.to_string()));
        }
        let value = if trimmed == name {
            value.to_string()
        } else {
            decode_base64(value).map_err(|reason| PathError::LabelBase64 {
                name: trimmed.to_string(),
                value: value.to_string(),
                reason,
            })?
        };
        out.insert(unescaped.into_owned(), value);
    }
    Ok(GroupingKey(out))
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes `s` as URL-safe base64 with padding (`=` for the empty string,
/// which a bare empty path element could not express).
pub fn encode_base64(s: &str) -> String {
    if s.is_empty() {
        return "=".to_string();
    }
    let mut out = String::with_capacity(s.len().div_ceil(3) * 4);
    for chunk in s.as_bytes().chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes URL-safe base64, ignoring trailing `=` (Go's `RawURLEncoding`
/// after trimming padding). The result must be valid UTF-8.
pub fn decode_base64(s: &str) -> Result<String, String> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for (i, c) in s.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return Err(format!("illegal base64 data at input byte {i}")),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // One leftover character (6 bits) cannot encode a byte; non-zero
    // leftover bits mean a non-canonical encoding, which Go rejects too.
    if bits == 6 || acc != 0 {
        return Err(format!("illegal base64 data at input byte {}", s.len()));
    }
    String::from_utf8(out).map_err(|_| "decoded value is not valid UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for s in ["", "a", "ab", "abc", "foo/bar", "ä/ö?=&"] {
            assert_eq!(decode_base64(&encode_base64(s)).as_deref(), Ok(s));
        }
        assert_eq!(decode_base64("Zm9vL2Jhcg==").as_deref(), Ok("foo/bar"));
        assert_eq!(decode_base64("=").as_deref(), Ok(""));
        assert!(decode_base64("!!").is_err());
        assert!(decode_base64("A").is_err());
    }

    #[test]
    fn paths() {
        let k = parse_push_path("/j/a@base64/Zm9vL2Jhcg==/instance/", false).unwrap();
        assert_eq!(k.get("job"), Some("j"));
        assert_eq!(k.get("a"), Some("foo/bar"));
        assert_eq!(k.get("instance"), Some(""));
        assert!(matches!(
            parse_push_path("/j/a", false),
            Err(PathError::OddComponents(_))
        ));
        assert!(matches!(
            parse_push_path("/j/__a/b", false),
            Err(PathError::LabelName(_))
        ));
        assert!(matches!(
            parse_push_path("/=", true),
            Err(PathError::JobRequired)
        ));
        let k = parse_push_path_with("/j/U__a_2e_b/v", false, ValidationScheme::Utf8).unwrap();
        assert_eq!(k.get("a.b"), Some("v"));
        assert!(parse_push_path("/j/a.b/v", false).is_err());
        let k = parse_push_path("/j/job/other", false).unwrap();
        assert_eq!(k.get("job"), Some("j"));
        assert_eq!(parse_push_path(&k.to_path()[11..], true), Ok(k));
    }
}
