//! Value types of `alertmanager.yml` that Prometheus' configuration does not
//! have: URLs restricted to HTTP(S), secret URLs, Go `time.Duration`s,
//! `host:port` addresses, and yaml.v2's habit of reading any scalar into a
//! string field.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use vigil_config::Secret;

/// Checks a URL as Alertmanager's `ParseURL` does: scheme `http` or
/// `https`, and a host.
pub fn check_http_url(s: &str) -> Result<(), String> {
    let scheme = s.split_once(':').map_or("", |(sc, _)| sc);
    if s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(format!(
            "parse {s:?}: net/url: invalid control character in URL"
        ));
    }
    if scheme != "http" && scheme != "https" {
        let shown = if scheme.contains('/') { "" } else { scheme };
        return Err(format!("unsupported scheme {shown:?} for URL"));
    }
    let host = vigil_config::Url(s.to_string()).host().to_string();
    if host.is_empty() {
        return Err("missing host for URL".into());
    }
    Ok(())
}

/// A URL that must be `http` or `https` with a host (`amcommoncfg.URL`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct HttpUrl(pub String);

impl HttpUrl {
    /// A URL known to be valid (the built-in defaults).
    pub fn fixed(s: &str) -> HttpUrl {
        HttpUrl(s.to_string())
    }
    /// The URL text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Adds a trailing slash to the path, as several receivers require.
    pub fn with_trailing_slash(&self) -> HttpUrl {
        if self.0.ends_with('/') {
            self.clone()
        } else {
            HttpUrl(format!("{}/", self.0))
        }
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        check_http_url(&s).map_err(de::Error::custom)?;
        Ok(HttpUrl(s))
    }
}

/// A URL that is also a secret (webhook URLs carry tokens): checked like
/// [`HttpUrl`], printed as `<secret>`. `<secret>` itself is accepted on
/// input so a printed configuration can be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretUrl(pub Secret);

impl SecretUrl {
    /// The URL, for the code that sends to it.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl Serialize for SecretUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(Secret::PLACEHOLDER)
    }
}

impl<'de> Deserialize<'de> for SecretUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s != Secret::PLACEHOLDER {
            check_http_url(&s).map_err(de::Error::custom)?;
        }
        Ok(SecretUrl(Secret::new(s)))
    }
}

/// A secret URL that may be a Go template (the webhook's `url`): checked as
/// a URL only when it holds no `{{`, otherwise parsed as a template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecretTemplateUrl(pub Secret);

impl Serialize for SecretTemplateUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for SecretTemplateUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if !s.is_empty() && s != Secret::PLACEHOLDER {
            if s.contains("{{") {
                let mut t = vigil_template::Template::new("");
                t.parse(&s)
                    .map_err(|e| de::Error::custom(format!("invalid template syntax: {e}")))?;
            } else {
                check_http_url(&s).map_err(|e| de::Error::custom(format!("invalid URL: {e}")))?;
            }
        }
        Ok(SecretTemplateUrl(Secret::new(s)))
    }
}

/// A Go `time.Duration` (`30s`, `1m30s`, `1.5h`, `250ms`), as receivers'
/// `timeout` fields and Pushover's `retry`/`expire` take them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct GoDuration(pub std::time::Duration);

/// Parses Go's `time.ParseDuration` syntax (a sign is accepted only for zero).
pub fn parse_go_duration(s: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("time: invalid duration {s:?}");
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    let negative = rest.starts_with('-');
    rest = rest.strip_prefix('-').unwrap_or(rest);
    if rest == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        if n == 0 {
            return Err(bad());
        }
        let num: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..u] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err(format!("time: missing unit in duration {s:?}")),
            unit => return Err(format!("time: unknown unit {unit:?} in duration {s:?}")),
        };
        rest = &rest[u..];
        total += num * scale;
    }
    if negative && total > 0.0 {
        return Err(format!("negative duration {s:?}"));
    }
    std::time::Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// Formats a duration as Go's `time.Duration.String` does (`1h0m0s`, `1.5s`, `250ms`).
pub fn format_go_duration(d: std::time::Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".into();
    }
    if ns < 1_000_000_000 {
        let (unit, div) = if ns < 1_000 {
            ("ns", 1u128)
        } else if ns < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{}{unit}", trim_fraction(ns, div));
    }
    let secs = ns / 1_000_000_000;
    let frac = ns % 1_000_000_000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let s = trim_fraction(s * 1_000_000_000 + frac, 1_000_000_000);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

fn trim_fraction(n: u128, div: u128) -> String {
    let whole = n / div;
    let frac = n % div;
    if frac == 0 {
        return whole.to_string();
    }
    let width = div.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_go_duration(self.0))
    }
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Scalar::deserialize(d)?.0 {
            ScalarKind::Int(ns) => Ok(GoDuration(std::time::Duration::from_nanos(
                u64::try_from(ns).map_err(|_| de::Error::custom("negative duration"))?,
            ))),
            ScalarKind::Text(s) => parse_go_duration(&s)
                .map(GoDuration)
                .map_err(de::Error::custom),
        }
    }
}

/// A `host:port` address (`smtp_smarthost`); the port must not be empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostPort {
    /// The host name or address (IPv6 without brackets).
    pub host: String,
    /// The port.
    pub port: String,
}

impl HostPort {
    /// Whether no address was given.
    pub fn is_empty(&self) -> bool {
        self.host.is_empty() && self.port.is_empty()
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            Ok(())
        } else if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl Serialize for HostPort {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HostPort {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(HostPort::default());
        }
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, p) = rest
                .split_once(']')
                .ok_or_else(|| de::Error::custom(format!("address {s}: missing ']' in address")))?;
            let p = p.strip_prefix(':').ok_or_else(|| {
                de::Error::custom(format!("address {s}: missing port in address"))
            })?;
            (h.to_string(), p.to_string())
        } else {
            let (h, p) = s.rsplit_once(':').ok_or_else(|| {
                de::Error::custom(format!("address {s}: missing port in address"))
            })?;
            if h.contains(':') {
                return Err(de::Error::custom(format!(
                    "address {s}: too many colons in address"
                )));
            }
            (h.to_string(), p.to_string())
        };
        if port.is_empty() {
            return Err(de::Error::custom(format!(
                "address {s:?}: port cannot be empty"
            )));
        }
        Ok(HostPort { host, port })
    }
}

enum ScalarKind {
    Int(i64),
    Text(String),
}

/// Any YAML scalar, as yaml.v2 reads one into a string field.
struct Scalar(ScalarKind);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(ScalarKind::Text(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(ScalarKind::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                i64::try_from(v)
                    .map(|v| Scalar(ScalarKind::Int(v)))
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(ScalarKind::Text(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(ScalarKind::Text(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// `deserialize_with` for string fields: any scalar becomes its text, as
/// yaml.v2 does (`test: 2` is the string `"2"`).
pub fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Scalar::deserialize(d)?.0 {
        ScalarKind::Int(i) => i.to_string(),
        ScalarKind::Text(s) => s,
    })
}

/// `deserialize_with` for string-to-string maps (`match`, `labels`,
/// `headers`): values may be any scalar; a null map is an empty one.
pub fn lenient_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    #[derive(Deserialize)]
    struct S(#[serde(deserialize_with = "lenient_string")] String);
    let m: Option<BTreeMap<String, Option<S>>> = Option::deserialize(d)?;
    Ok(m.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.map(|s| s.0).unwrap_or_default()))
        .collect())
}

/// `deserialize_with` for booleans: YAML 1.1 words (`yes`, `on`) as yaml.v2 reads them.
pub fn yaml_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct V;
    impl de::Visitor<'_> for V {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            match v {
                "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On"
                | "ON" => Ok(true),
                "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off"
                | "OFF" => Ok(false),
                _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
            }
        }
    }
    d.deserialize_any(V)
}

/// `deserialize_with` for `Option<bool>` fields.
pub fn yaml_opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    yaml_bool(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("0"), Ok(Duration::ZERO));
        assert!(parse_go_duration("5").is_err());
        assert!(parse_go_duration("1d").is_err());
        assert_eq!(format_go_duration(Duration::from_secs(3600)), "1h0m0s");
        assert_eq!(format_go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_go_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_go_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn urls() {
        assert!(check_http_url("https://example.org/x").is_ok());
        assert_eq!(
            check_http_url("ftp://example.org"),
            Err("unsupported scheme \"ftp\" for URL".into())
        );
        assert_eq!(
            check_http_url("http://"),
            Err("missing host for URL".into())
        );
    }

    #[test]
    fn host_port() {
        let hp: HostPort = serde_yaml_ng::from_str("'localhost:25'").unwrap();
        assert_eq!(hp.to_string(), "localhost:25");
        assert!(serde_yaml_ng::from_str::<HostPort>("'localhost'").is_err());
        assert!(serde_yaml_ng::from_str::<HostPort>("'localhost:'").is_err());
        let hp: HostPort = serde_yaml_ng::from_str("'[::1]:25'").unwrap();
        assert_eq!(hp.to_string(), "[::1]:25");
    }
}
