//! The web configuration file (`--web.config.file`), the format of
//! Prometheus' exporter-toolkit shared by the server, Alertmanager and the
//! exporters: TLS for the listener (`tls_server_config`), HTTP options
//! (`http_server_config`: HTTP/2 and a fixed set of response headers), a
//! request rate limit, and basic-auth users with bcrypt hashes.
//!
//! [`WebConfig::load_file`] reads a file as upstream does: strict YAML in
//! yaml.v2's words, upstream's defaults (TLS 1.2 to 1.3, server cipher
//! order preferred, HTTP/2 on), the header rules, and relative certificate
//! paths resolved against the file's directory. Checks that need the
//! certificate files (`tls.X509KeyPair`) are left to the caller, which owns
//! a TLS library; [`TlsServerConfig::check`] does the rest of upstream's
//! `ConfigToTLSConfig` without touching the disk.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::http::TlsVersion;
use crate::types::{Secret, join_dir};

/// A whole web configuration file.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// `tls_server_config`: TLS for the listener; off when no field is set.
    pub tls_server_config: TlsServerConfig,
    /// `http_server_config`.
    pub http_server_config: HttpServerConfig,
    /// `rate_limit`: requests allowed per interval, with a burst.
    pub rate_limit: RateLimitConfig,
    /// `basic_auth_users`: user name → bcrypt hash of the password.
    #[serde(deserialize_with = "users")]
    pub basic_auth_users: BTreeMap<String, Secret>,
}

/// `tls_server_config`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsServerConfig {
    /// `cert`: the certificate chain as inline PEM.
    #[serde(deserialize_with = "go_string")]
    pub cert: String,
    /// `key`: the private key as inline PEM.
    pub key: Secret,
    /// `client_ca`: client CAs as inline PEM.
    #[serde(deserialize_with = "go_string")]
    pub client_ca: String,
    /// `cert_file`.
    #[serde(deserialize_with = "go_string")]
    pub cert_file: String,
    /// `key_file`.
    #[serde(deserialize_with = "go_string")]
    pub key_file: String,
    /// `client_auth_type`: Go's `tls.ClientAuthType` by name (see
    /// [`ClientAuth`]); checked by [`TlsServerConfig::check`] as upstream
    /// checks it, after the certificates.
    #[serde(deserialize_with = "go_string")]
    pub client_auth_type: String,
    /// `client_ca_file`.
    #[serde(deserialize_with = "go_string")]
    pub client_ca_file: String,
    /// `cipher_suites`: TLS 1.0–1.2 suites by Go name; empty means Go's
    /// defaults.
    pub cipher_suites: Vec<CipherSuite>,
    /// `curve_preferences`.
    pub curve_preferences: Vec<Curve>,
    /// `min_version` (default TLS 1.2).
    pub min_version: TlsVersion,
    /// `max_version` (default TLS 1.3).
    pub max_version: TlsVersion,
    /// `prefer_server_cipher_suites` (default true; Go ignores it since
    /// 1.18, kept for compatibility).
    #[serde(deserialize_with = "crate::yaml::yaml11_bool")]
    pub prefer_server_cipher_suites: bool,
    /// `client_allowed_sans`: when set, a client certificate must carry
    /// one of these subject alternative names.
    pub client_allowed_sans: Option<Vec<String>>,
}

impl Default for TlsServerConfig {
    fn default() -> Self {
        TlsServerConfig {
            cert: String::new(),
            key: Secret::default(),
            client_ca: String::new(),
            cert_file: String::new(),
            key_file: String::new(),
            client_auth_type: String::new(),
            client_ca_file: String::new(),
            cipher_suites: Vec::new(),
            curve_preferences: Vec::new(),
            min_version: TlsVersion(2),
            max_version: TlsVersion(3),
            prefer_server_cipher_suites: true,
            client_allowed_sans: None,
        }
    }
}

/// `http_server_config`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpServerConfig {
    /// `http2` (default true): offer HTTP/2 over TLS.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool")]
    pub http2: bool,
    /// `headers`: extra response headers, limited to [`ALLOWED_HEADERS`].
    pub headers: BTreeMap<String, String>,
}

impl Default for HttpServerConfig {
    fn default() -> Self {
        HttpServerConfig {
            http2: true,
            headers: BTreeMap::new(),
        }
    }
}

/// `rate_limit`: a token bucket over all requests.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// `burst`: requests allowed at once.
    pub burst: u32,
    /// `interval`: one more request is allowed per interval; unset (zero)
    /// turns the limiter off.
    pub interval: Option<crate::types::Duration>,
}

/// Response headers a web configuration may set, each with the values it
/// may take (`None`: any value). Upstream keeps this list closed so that
/// every Prometheus component offers the same security headers.
pub const ALLOWED_HEADERS: &[(&str, Option<&[&str]>)] = &[
    ("Strict-Transport-Security", None),
    ("X-Content-Type-Options", Some(&["nosniff"])),
    ("X-Frame-Options", Some(&["deny", "sameorigin"])),
    ("X-XSS-Protection", None),
    ("Content-Security-Policy", None),
];

/// Cipher suites accepted by name: Go's `tls.CipherSuites()`, the suites
/// without known weaknesses, with their IANA code points.
pub const CIPHER_SUITES: &[(&str, u16)] = &[
    ("TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f),
    ("TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035),
    ("TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009c),
    ("TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d),
    ("TLS_AES_128_GCM_SHA256", 0x1301),
    ("TLS_AES_256_GCM_SHA384", 0x1302),
    ("TLS_CHACHA20_POLY1305_SHA256", 0x1303),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc00a),
    ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013),
    ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc014),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c),
    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f),
    ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030),
    ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca8),
    ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca9),
];

/// One `cipher_suites` entry (an IANA code point).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CipherSuite(pub u16);

impl CipherSuite {
    /// The Go name of the suite.
    pub fn name(self) -> &'static str {
        CIPHER_SUITES
            .iter()
            .find(|(_, id)| *id == self.0)
            .map_or("", |(n, _)| n)
    }
}

impl<'de> Deserialize<'de> for CipherSuite {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = go_string(d)?;
        CIPHER_SUITES
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, id)| CipherSuite(*id))
            .ok_or_else(|| de::Error::custom(format!("unknown cipher: {s}")))
    }
}

impl Serialize for CipherSuite {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One `curve_preferences` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Curve {
    /// `CurveP256` (secp256r1).
    P256,
    /// `CurveP384` (secp384r1).
    P384,
    /// `CurveP521` (secp521r1).
    P521,
    /// `X25519`.
    X25519,
}

impl TryFrom<String> for Curve {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match s.as_str() {
            "CurveP256" => Ok(Curve::P256),
            "CurveP384" => Ok(Curve::P384),
            "CurveP521" => Ok(Curve::P521),
            "X25519" => Ok(Curve::X25519),
            _ => Err(format!("unknown curve: {s}")),
        }
    }
}

impl From<Curve> for &'static str {
    fn from(c: Curve) -> &'static str {
        match c {
            Curve::P256 => "CurveP256",
            Curve::P384 => "CurveP384",
            Curve::P521 => "CurveP521",
            Curve::X25519 => "X25519",
        }
    }
}

/// Go's `tls.ClientAuthType`, from `client_auth_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `""` or `NoClientCert`.
    NoClientCert,
    /// `RequestClientCert`: asked for, not required, not verified.
    RequestClientCert,
    /// `RequireAnyClientCert` (or the older `RequireClientCert`).
    RequireAnyClientCert,
    /// `VerifyClientCertIfGiven`.
    VerifyClientCertIfGiven,
    /// `RequireAndVerifyClientCert`.
    RequireAndVerifyClientCert,
}

impl TlsServerConfig {
    /// Whether TLS is configured at all: any certificate, key, CA or
    /// client-auth field set.
    pub fn is_enabled(&self) -> bool {
        !self.cert.is_empty()
            || !self.cert_file.is_empty()
            || !self.key.is_empty()
            || !self.key_file.is_empty()
            || !self.client_ca.is_empty()
            || !self.client_ca_file.is_empty()
            || !self.client_auth_type.is_empty()
    }

    /// Resolves the relative file paths against `dir`.
    pub fn set_directory(&mut self, dir: &Path) {
        for f in [
            &mut self.cert_file,
            &mut self.key_file,
            &mut self.client_ca_file,
        ] {
            *f = join_dir(dir, f);
        }
    }

    /// Upstream's first check of an enabled TLS section: a certificate and
    /// a key are both given (inline or as files).
    pub fn check_paths(&self) -> Result<(), ConfigError> {
        if self.cert_file.is_empty() && self.cert.is_empty() {
            return Err(ConfigError::invalid("missing one of cert or cert_file"));
        }
        if self.key_file.is_empty() && self.key.is_empty() {
            return Err(ConfigError::invalid("missing one of key or key_file"));
        }
        Ok(())
    }

    /// The client-auth policy, and the rule that client CAs need one;
    /// upstream checks this after loading the certificates.
    pub fn check(&self) -> Result<ClientAuth, ConfigError> {
        let auth = match self.client_auth_type.as_str() {
            "" | "NoClientCert" => ClientAuth::NoClientCert,
            "RequestClientCert" => ClientAuth::RequestClientCert,
            "RequireAnyClientCert" | "RequireClientCert" => ClientAuth::RequireAnyClientCert,
            "VerifyClientCertIfGiven" => ClientAuth::VerifyClientCertIfGiven,
            "RequireAndVerifyClientCert" => ClientAuth::RequireAndVerifyClientCert,
            other => {
                return Err(ConfigError::invalid(format!("invalid ClientAuth: {other}")));
            }
        };
        if (!self.client_ca_file.is_empty() || !self.client_ca.is_empty())
            && auth == ClientAuth::NoClientCert
        {
            return Err(ConfigError::invalid(
                "client CA's have been configured without a Client Auth Policy",
            ));
        }
        Ok(auth)
    }
}

impl WebConfig {
    /// Parses a web configuration and checks its headers (no file is
    /// read; paths stay as written).
    pub fn parse(text: &str) -> Result<WebConfig, ConfigError> {
        let cfg = decode(text)?;
        check_headers(&cfg.http_server_config.headers)?;
        Ok(cfg)
    }

    /// Reads `path`, parses it with [`WebConfig::parse`] and resolves the
    /// certificate paths against the file's directory.
    pub fn load_file(path: &Path) -> Result<WebConfig, ConfigError> {
        let text = std::fs::read(path).map_err(|error| ConfigError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        let mut cfg = WebConfig::parse(&String::from_utf8_lossy(&text))?;
        cfg.tls_server_config
            .set_directory(path.parent().unwrap_or(Path::new("")));
        Ok(cfg)
    }

    /// Checks that every user's password is a well-formed bcrypt hash, in
    /// user-name order (upstream walks a Go map, in no fixed order).
    pub fn check_users(&self) -> Result<(), ConfigError> {
        for hash in self.basic_auth_users.values() {
            bcrypt_cost(hash.expose()).map_err(ConfigError::Invalid)?;
        }
        Ok(())
    }
}

/// The cost of a bcrypt hash, or the reason it is not one, worded as Go's
/// `bcrypt.Cost`. Like upstream this reads only the form (length, `$`,
/// version, cost); salt and digest are not decoded.
pub fn bcrypt_cost(hash: &str) -> Result<u32, String> {
    let b = hash.as_bytes();
    // `$2a$10$` + 22 salt + 31 digest characters.
    const MIN_LEN: usize = 59;
    if b.len() < MIN_LEN {
        return Err("crypto/bcrypt: hashedSecret too short to be a bcrypted password".into());
    }
    let at = |i: usize| b.get(i).copied().unwrap_or(b'$');
    if at(0) != b'$' {
        return Err(format!(
            "crypto/bcrypt: bcrypt hashes must start with '$', but hashedSecret started with '{}'",
            char::from(at(0))
        ));
    }
    if at(1) > b'2' {
        return Err(format!(
            "crypto/bcrypt: bcrypt algorithm version '{}' requested is newer than current version '2'",
            char::from(at(1))
        ));
    }
    let cost_at = if at(2) == b'$' { 3 } else { 4 };
    let digits = String::from_utf8_lossy(b.get(cost_at..cost_at + 2).unwrap_or_default());
    let cost = go_atoi(&digits)?;
    if !(4..=31).contains(&cost) {
        return Err(format!(
            "crypto/bcrypt: cost {cost} is outside allowed range (4,31)"
        ));
    }
    // In range, so the conversion cannot fail.
    Ok(u32::try_from(cost).unwrap_or(4))
}

/// Go's `strconv.Atoi` on a short string, with its error wording.
fn go_atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing {s:?}: invalid syntax"));
    }
    let v: i64 = digits
        .parse()
        .map_err(|_| format!("strconv.Atoi: parsing {s:?}: value out of range"))?;
    Ok(if s.starts_with('-') { -v } else { v })
}

/// Upstream's header rule: only [`ALLOWED_HEADERS`], and for those with a
/// fixed set of values, one of them.
pub fn check_headers(headers: &BTreeMap<String, String>) -> Result<(), ConfigError> {
    for (name, value) in headers {
        let Some((_, allowed)) = ALLOWED_HEADERS.iter().find(|(n, _)| n == name) else {
            return Err(ConfigError::invalid(format!(
                "HTTP header {name:?} can not be configured"
            )));
        };
        if let Some(allowed) = allowed {
            if !allowed.contains(&value.as_str()) {
                let list: Vec<String> = allowed.iter().map(|v| format!("{v:?}")).collect();
                return Err(ConfigError::invalid(format!(
                    "invalid value for {name}. Expected one of: [{}], but got: {value:?}",
                    list.join(" ")
                )));
            }
        }
    }
    Ok(())
}

/// A string field as yaml.v2 fills one: any scalar, null as empty.
fn go_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Option::<String>::deserialize(d).map(Option::unwrap_or_default)
}

/// `basic_auth_users`; null is an empty map.
fn users<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Secret>, D::Error> {
    Option::<BTreeMap<String, Secret>>::deserialize(d).map(Option::unwrap_or_default)
}

/// Go's type names for the struct at a serde path, for unknown-field errors.
fn type_at(path: &str) -> &'static str {
    match path.split('.').next().unwrap_or("") {
        "tls_server_config" => "web.TLSConfig",
        "http_server_config" => "web.HTTPConfig",
        "rate_limit" => "web.RateLimiterConfig",
        _ => "web.Config",
    }
}

/// The Go type a value at `path` is decoded into, for type errors.
fn go_type_at(path: &str) -> &'static str {
    let last = path.rsplit('.').next().unwrap_or("");
    let last = last.split('[').next().unwrap_or(last);
    match (path.split('.').next().unwrap_or(""), last) {
        (_, "tls_server_config") => "web.TLSConfig",
        (_, "http_server_config") => "web.HTTPConfig",
        (_, "rate_limit") => "web.RateLimiterConfig",
        (_, "basic_auth_users") => "map[string]config.Secret",
        (_, "headers") => "map[string]string",
        (_, "http2" | "prefer_server_cipher_suites") => "bool",
        (_, "cipher_suites") => "[]web.Cipher",
        (_, "curve_preferences") => "[]web.Curve",
        (_, "client_allowed_sans") => "[]string",
        (_, "burst") => "int",
        (_, "interval") => "time.Duration",
        ("", _) | ("basic_auth_users", _) => "config.Secret",
        _ => "string",
    }
}

/// `string "x"` / `sequence` (serde's words for a found value) as yaml.v2
/// names it: ``!!str `x` `` / `!!seq`.
fn go_found(found: &str) -> String {
    for (prefix, tag) in [
        ("string ", "!!str"),
        ("integer ", "!!int"),
        ("floating point ", "!!float"),
        ("boolean ", "!!bool"),
    ] {
        if let Some(v) = found.strip_prefix(prefix) {
            return format!("{tag} `{}`", v.trim_matches(['"', '`']));
        }
    }
    match found {
        "sequence" => "!!seq".into(),
        "map" => "!!map".into(),
        other => other.into(),
    }
}

/// Decodes the document in two passes, as go-yaml reads the whole
/// document before decoding: syntax and repeated keys first, then the
/// typed structure.
fn decode(text: &str) -> Result<WebConfig, ConfigError> {
    if let Err(e) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) {
        return Err(ConfigError::Yaml(syntax_error(&e)));
    }
    match serde_yaml_ng::from_str::<Option<WebConfig>>(text) {
        Ok(c) => Ok(c.unwrap_or_default()),
        Err(e) => Err(typed_error(&e)),
    }
}

/// A syntax or repeated-key error in go-yaml's words (`yaml: line N: …`).
fn syntax_error(e: &serde_yaml_ng::Error) -> String {
    let msg = e.to_string();
    if let Some(key) = msg
        .strip_prefix("duplicate entry with key \"")
        .and_then(|r| r.split_once('"'))
        .map(|(k, _)| k)
    {
        let line = e.location().map_or(0, |l| l.line());
        return format!(
            "yaml: unmarshal errors:\n  line {line}: mapping key \"{key}\" already defined"
        );
    }
    // libyaml: `PROBLEM at line L column C[, while CONTEXT at line L …]`;
    // go-yaml prints the context's line when there is one.
    let (problem, context) = match msg.split_once(", while ") {
        Some((p, c)) => (p, Some(c)),
        None => (msg.as_str(), None),
    };
    let line_of = |s: &str| -> Option<(String, usize)> {
        let (text, mark) = s.rsplit_once(" at line ")?;
        let line = mark.split(' ').next()?.parse().ok()?;
        Some((text.to_string(), line))
    };
    let Some((problem, problem_line)) = line_of(problem) else {
        return format!("yaml: {msg}");
    };
    let line = context.and_then(line_of).map_or(problem_line, |(_, l)| l);
    format!("yaml: line {line}: {problem}")
}

/// A decoding error in yaml.v2's words.
fn typed_error(e: &serde_yaml_ng::Error) -> ConfigError {
    let line = e.location().map_or(0, |l| l.line());
    let mut msg = e.to_string();
    if let Some(i) = msg.rfind(" at line ") {
        msg.truncate(i);
    }
    let (path, body) = match msg.split_once(": ") {
        Some((p, b)) if !p.contains(' ') => (p.to_string(), b.to_string()),
        _ => (String::new(), msg.clone()),
    };
    // The enumerations' own errors are returned as they are.
    if [
        "unknown cipher: ",
        "unknown curve: ",
        "unknown TLS version: ",
    ]
    .iter()
    .any(|p| body.starts_with(p))
    {
        return ConfigError::Yaml(body);
    }
    if let Some(field) = body
        .strip_prefix("unknown field `")
        .and_then(|r| r.split('`').next())
    {
        // serde points at the value after the key; go-yaml at the key, and
        // a nested mapping key is on the line serde reports too.
        return ConfigError::Yaml(format!(
            "yaml: unmarshal errors:\n  line {line}: field {field} not found in type {}",
            type_at(&path)
        ));
    }
    if let Some(rest) = body.strip_prefix("invalid type: ") {
        let found = rest.rsplit_once(", expected ").map_or(rest, |(f, _)| f);
        return ConfigError::Yaml(format!(
            "yaml: unmarshal errors:\n  line {line}: cannot unmarshal {} into {}",
            go_found(found),
            go_type_at(&path)
        ));
    }
    ConfigError::Yaml(format!("yaml: unmarshal errors:\n  line {line}: {body}"))
}

impl fmt::Display for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClientAuth::NoClientCert => "NoClientCert",
            ClientAuth::RequestClientCert => "RequestClientCert",
            ClientAuth::RequireAnyClientCert => "RequireAnyClientCert",
            ClientAuth::VerifyClientCertIfGiven => "VerifyClientCertIfGiven",
            ClientAuth::RequireAndVerifyClientCert => "RequireAndVerifyClientCert",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        WebConfig::parse(text).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_upstreams() {
        let c = WebConfig::parse("").unwrap();
        assert_eq!(c.tls_server_config.min_version, TlsVersion(2));
        assert_eq!(c.tls_server_config.max_version, TlsVersion(3));
        assert!(c.tls_server_config.prefer_server_cipher_suites);
        assert!(c.http_server_config.http2);
        assert!(!c.tls_server_config.is_enabled());
        let c = WebConfig::parse("tls_server_config:\n  client_auth_type: RequestClientCert\n")
            .unwrap();
        assert!(c.tls_server_config.is_enabled());
    }

    #[test]
    fn enumerations_are_checked() {
        assert_eq!(
            err("tls_server_config:\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n"),
            "unknown cipher: TLS_RSA_WITH_RC4_128_SHA"
        );
        assert_eq!(
            err("tls_server_config:\n  curve_preferences: [P256]\n"),
            "unknown curve: P256"
        );
        assert_eq!(
            err("tls_server_config:\n  max_version: TLS14\n"),
            "unknown TLS version: TLS14"
        );
        let c = WebConfig::parse(
            "tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n  curve_preferences: [X25519]\n",
        )
        .unwrap();
        assert_eq!(c.tls_server_config.cipher_suites, [CipherSuite(0x1301)]);
        assert_eq!(c.tls_server_config.curve_preferences, [Curve::X25519]);
    }

    #[test]
    fn strict_decoding_in_yaml_v2_words() {
        assert_eq!(
            err("tls_server_config:\n  cert_filse: a\n"),
            "yaml: unmarshal errors:\n  line 2: field cert_filse not found in type web.TLSConfig"
        );
        assert_eq!(
            err("http_server_config:\n  http2: maybe\n"),
            "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `maybe` into bool"
        );
        assert_eq!(
            err("basic_auth_users: [alice]\n"),
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into map[string]config.Secret"
        );
        // yaml.v2 reads yes/no as booleans.
        assert!(
            !WebConfig::parse("http_server_config: {http2: no}\n")
                .unwrap()
                .http_server_config
                .http2
        );
    }

    #[test]
    fn headers_are_a_closed_list() {
        assert_eq!(
            err("http_server_config:\n  headers:\n    Server: x\n"),
            "HTTP header \"Server\" can not be configured"
        );
        assert_eq!(
            err("http_server_config:\n  headers:\n    X-Frame-Options: allow\n"),
            "invalid value for X-Frame-Options. Expected one of: [\"deny\" \"sameorigin\"], but got: \"allow\""
        );
        WebConfig::parse("http_server_config:\n  headers:\n    X-XSS-Protection: '1'\n").unwrap();
    }

    #[test]
    fn bcrypt_form_is_checked_as_go_does() {
        let good = "$2y$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234";
        assert_eq!(bcrypt_cost(good), Ok(10));
        assert_eq!(
            bcrypt_cost(&good.replace("$2y$", "$2$$")),
            Err("strconv.Atoi: parsing \"$1\": invalid syntax".into())
        );
        assert!(bcrypt_cost("short").unwrap_err().contains("too short"));
        assert!(
            bcrypt_cost(&good.replace("$10$", "$03$"))
                .unwrap_err()
                .contains("cost 3 is outside allowed range (4,31)")
        );
        assert!(
            bcrypt_cost(&good.replacen('$', "x", 1))
                .unwrap_err()
                .contains("started with 'x'")
        );
    }

    #[test]
    fn client_auth_rules() {
        let mut t = TlsServerConfig {
            client_ca_file: "ca.pem".into(),
            ..TlsServerConfig::default()
        };
        assert!(
            t.check()
                .unwrap_err()
                .to_string()
                .contains("without a Client Auth Policy")
        );
        t.client_auth_type = "RequireClientCert".into();
        assert_eq!(t.check().unwrap(), ClientAuth::RequireAnyClientCert);
        t.client_auth_type = "Maybe".into();
        assert_eq!(
            t.check().unwrap_err().to_string(),
            "invalid ClientAuth: Maybe"
        );
    }
}
