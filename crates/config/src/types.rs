//! Small value types shared by every section: durations, secrets, byte
//! sizes, URLs and the path joining rule for file references.

use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// A Prometheus duration (`1h30m`, `15s`, `0`), stored in milliseconds,
/// the resolution Prometheus keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Duration(i64);

impl Duration {
    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: i64) -> Duration {
        Duration(ms)
    }
    /// A duration of `s` seconds.
    pub const fn from_secs(s: i64) -> Duration {
        Duration(s * 1000)
    }
    /// The length in milliseconds.
    pub const fn as_millis(self) -> i64 {
        self.0
    }
    /// Whether the duration is zero (Prometheus' "unset").
    pub const fn is_zero(&self) -> bool {
        self.0 == 0
    }
    /// As a `std::time::Duration` (negative durations become zero).
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_millis(u64::try_from(self.0).unwrap_or(0))
    }
    /// Parses Prometheus' duration syntax.
    pub fn parse(s: &str) -> Result<Duration, String> {
        vigil_promql::parse_duration(s).map(|ns| Duration(ns / 1_000_000))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&vigil_promql::format_duration(
            self.0.saturating_mul(1_000_000),
        ))
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Duration::parse(&s).map_err(de::Error::custom)
    }
}

/// A secret string (password, token, key). It prints and serializes as
/// `<secret>` so that logs and `/api/v1/status/config` never reveal it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    /// What a secret prints as wherever a configuration is shown.
    pub const PLACEHOLDER: &'static str = "<secret>";

    /// The secret itself, for the code that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether no secret was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Secret::PLACEHOLDER)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Secret::PLACEHOLDER)
    }
}

impl Serialize for Secret {
    /// `<secret>`, or null when no secret is set (as Go's `Secret` marshals),
    /// so a printed config never suggests a secret that is not there.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_empty() {
            s.serialize_none()
        } else {
            s.serialize_str(Secret::PLACEHOLDER)
        }
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// A byte size with base-2 units as Prometheus' `body_size_limit` takes
/// them (`100MB` is 100 MiB; `KiB`, `MiB` … are accepted too; `0` alone
/// means unset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

const BYTE_UNITS: &[(&str, u32)] = &[
    ("B", 0),
    ("KB", 1),
    ("MB", 2),
    ("GB", 3),
    ("TB", 4),
    ("PB", 5),
    ("EB", 6),
    ("KiB", 1),
    ("MiB", 2),
    ("GiB", 3),
    ("TiB", 4),
    ("PiB", 5),
    ("EiB", 6),
];

impl ByteSize {
    /// Parses a size such as `100MB`, `1GiB512MiB` or `0`, with the error
    /// messages of the Go `units` package Prometheus uses.
    pub fn parse(s: &str) -> Result<ByteSize, String> {
        if s == "0" {
            return Ok(ByteSize(0));
        }
        let mut rest = s;
        let mut total: f64 = 0.0;
        if rest.is_empty() {
            return Err(format!("units: invalid {s}"));
        }
        while !rest.is_empty() {
            let n = rest
                .bytes()
                .take_while(|b| b.is_ascii_digit() || *b == b'.')
                .count();
            let (num, tail) = rest.split_at(n);
            let value: f64 = num.parse().map_err(|_| format!("units: invalid {s}"))?;
            let u = tail
                .bytes()
                .take_while(|b| !(b.is_ascii_digit() || *b == b'.'))
                .count();
            let (unit, tail) = tail.split_at(u);
            let Some((_, pow)) = BYTE_UNITS.iter().find(|(name, _)| *name == unit) else {
                return Err(format!("units: unknown unit {unit} in {s}"));
            };
            total += value * 1024f64.powi(*pow as i32);
            rest = tail;
        }
        if !(0.0..1.8e19).contains(&total) {
            return Err(format!("units: overflow in {s}"));
        }
        Ok(ByteSize(total as u64))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = self.0;
        if v == 0 {
            return f.write_str("0B");
        }
        for unit in ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] {
            if v % 1024 != 0 || unit == "PiB" {
                return write!(f, "{v}{unit}");
            }
            v /= 1024;
        }
        write!(f, "{v}EiB")
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_yaml_ng::Value::deserialize(d)?;
        let s = match v {
            serde_yaml_ng::Value::String(s) => s,
            serde_yaml_ng::Value::Number(n) => n.to_string(),
            _ => return Err(de::Error::custom("invalid byte size")),
        };
        ByteSize::parse(&s).map_err(de::Error::custom)
    }
}

/// A URL checked the way Go's `url.Parse` would accept it for Prometheus:
/// kept as text, with accessors for the parts validation needs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Url(pub String);

impl Url {
    /// The scheme (`http`), if the URL has one.
    pub fn scheme(&self) -> Option<&str> {
        let (scheme, _) = self.0.split_once(':')?;
        let ok = scheme.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphabetic() || (i > 0 && (b.is_ascii_digit() || b"+-.".contains(&b)))
        });
        (ok && !scheme.is_empty()).then_some(scheme)
    }
    /// The host (with port), empty if absent.
    pub fn host(&self) -> &str {
        let rest = match self.scheme() {
            Some(s) => self.0.get(s.len() + 1..).unwrap_or(""),
            None => self.0.as_str(),
        };
        let Some(rest) = rest.strip_prefix("//") else {
            return "";
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let auth = rest.get(..end).unwrap_or("");
        auth.rsplit_once('@').map_or(auth, |(_, h)| h)
    }
    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Whether Go's `url.Parse` would refuse the text (control characters,
    /// spaces in the host, a bad percent escape).
    pub fn parse_error(&self) -> Option<String> {
        let s = &self.0;
        if s.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Some(format!(
                "parse {s:?}: net/url: invalid control character in URL"
            ));
        }
        if self.host().contains(' ') {
            return Some(format!("parse {s:?}: invalid character \" \" in host name"));
        }
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b.get(i) == Some(&b'%') {
                let ok = b
                    .get(i + 1..i + 3)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
                if !ok {
                    return Some(format!("parse {s:?}: invalid URL escape"));
                }
                i += 3;
            } else {
                i += 1;
            }
        }
        None
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Joins a file reference onto the config file's directory, as Prometheus'
/// `config.JoinDir`: empty and absolute paths are left alone.
pub fn join_dir(dir: &Path, file: &str) -> String {
    if file.is_empty() || Path::new(file).is_absolute() || dir.as_os_str().is_empty() {
        return file.to_owned();
    }
    dir.join(file).to_string_lossy().into_owned()
}

/// Resolves `file` in place with [`join_dir`].
pub(crate) fn resolve(dir: &Path, file: &mut String) {
    *file = join_dir(dir, file);
}
