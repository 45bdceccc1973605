//! The HTTP client options shared by scrape configs, remote write/read,
//! Alertmanager configs and many service discoveries (prometheus/common's
//! `HTTPClientConfig`): authentication, TLS, proxies, redirects, HTTP/2.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_yaml_ng::Value;

use crate::types::{Secret, Url, resolve};
use crate::yaml;

/// The YAML keys of [`HttpClientConfig`], which sit inline in the mapping of
/// the section that uses it.
pub(crate) const HTTP_KEYS: &[&str] = &[
    "basic_auth",
    "authorization",
    "oauth2",
    "bearer_token",
    "bearer_token_file",
    "tls_config",
    "follow_redirects",
    "enable_http2",
    "proxy_url",
    "no_proxy",
    "proxy_from_environment",
    "proxy_connect_header",
    "http_headers",
];

fn yes() -> bool {
    true
}
fn is_false(b: &bool) -> bool {
    !*b
}

/// HTTP client options. Defaults: follow redirects, HTTP/2 enabled.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpClientConfig {
    /// `basic_auth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// `authorization` (a `bearer_token` is moved here by validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// `oauth2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
    /// Legacy `bearer_token`; empty after validation.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub bearer_token: Secret,
    /// Legacy `bearer_token_file`; empty after validation.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bearer_token_file: String,
    /// `tls_config`.
    #[serde(default)]
    pub tls_config: TlsConfig,
    /// `follow_redirects` (default true).
    #[serde(deserialize_with = "crate::yaml::yaml11_bool", default = "yes")]
    pub follow_redirects: bool,
    /// `enable_http2` (default true).
    #[serde(deserialize_with = "crate::yaml::yaml11_bool", default = "yes")]
    pub enable_http2: bool,
    /// `proxy_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<Url>,
    /// `no_proxy`: comma-separated hosts that bypass the proxy.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub no_proxy: String,
    /// `proxy_from_environment`: use `HTTP_PROXY` & co.
    #[serde(
        deserialize_with = "crate::yaml::yaml11_bool",
        default,
        skip_serializing_if = "is_false"
    )]
    pub proxy_from_environment: bool,
    /// `proxy_connect_header`: headers sent with CONNECT.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub proxy_connect_header: BTreeMap<String, Vec<Secret>>,
    /// `http_headers`: extra request headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_headers: Option<BTreeMap<String, Header>>,
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        HttpClientConfig {
            basic_auth: None,
            authorization: None,
            oauth2: None,
            bearer_token: Secret::default(),
            bearer_token_file: String::new(),
            tls_config: TlsConfig::default(),
            follow_redirects: true,
            enable_http2: true,
            proxy_url: None,
            no_proxy: String::new(),
            proxy_from_environment: false,
            proxy_connect_header: BTreeMap::new(),
            http_headers: None,
        }
    }
}

/// `basic_auth`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    /// `username`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// `username_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username_file: String,
    /// `username_ref` (a secret manager reference).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username_ref: String,
    /// `password`.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub password: Secret,
    /// `password_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password_file: String,
    /// `password_ref`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password_ref: String,
}

/// `authorization`: the `Authorization` header's type and credentials.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// `type` (default `Bearer`).
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `credentials`.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub credentials: Secret,
    /// `credentials_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub credentials_file: String,
    /// `credentials_ref`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub credentials_ref: String,
}

/// `oauth2`: client credentials or JWT bearer grant.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    /// `client_id`.
    #[serde(default)]
    pub client_id: String,
    /// `client_secret`.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub client_secret: Secret,
    /// `client_secret_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_secret_file: String,
    /// `client_secret_ref`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_secret_ref: String,
    /// `client_certificate_key_id`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_certificate_key_id: String,
    /// `client_certificate_key`.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub client_certificate_key: Secret,
    /// `client_certificate_key_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_certificate_key_file: String,
    /// `client_certificate_key_ref`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_certificate_key_ref: String,
    /// `grant_type`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub grant_type: String,
    /// `signature_algorithm`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature_algorithm: String,
    /// `iss`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub iss: String,
    /// `audience`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub audience: String,
    /// `claims`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub claims: BTreeMap<String, Value>,
    /// `scopes`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// `token_url`.
    #[serde(default)]
    pub token_url: String,
    /// `endpoint_params`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub endpoint_params: BTreeMap<String, String>,
    /// `tls_config` used towards the token endpoint.
    #[serde(default)]
    pub tls_config: TlsConfig,
    /// `proxy_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<Url>,
    /// `no_proxy`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub no_proxy: String,
    /// `proxy_from_environment`.
    #[serde(
        deserialize_with = "crate::yaml::yaml11_bool",
        default,
        skip_serializing_if = "is_false"
    )]
    pub proxy_from_environment: bool,
    /// `proxy_connect_header`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub proxy_connect_header: BTreeMap<String, Vec<Secret>>,
}

/// `tls_config`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// `ca`: inline PEM.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ca: String,
    /// `cert`: inline PEM.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cert: String,
    /// `key`: inline PEM.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub key: Secret,
    /// `ca_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ca_file: String,
    /// `cert_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cert_file: String,
    /// `key_file`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key_file: String,
    /// `ca_ref`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ca_ref: String,
    /// `cert_ref`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cert_ref: String,
    /// `key_ref`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key_ref: String,
    /// `server_name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub server_name: String,
    /// `insecure_skip_verify`.
    #[serde(deserialize_with = "crate::yaml::yaml11_bool", default)]
    pub insecure_skip_verify: bool,
    /// `min_version` (`TLS10` … `TLS13`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<TlsVersion>,
    /// `max_version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_version: Option<TlsVersion>,
}

/// A TLS protocol version as named in the config (`TLS12`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TlsVersion(pub u8);

impl Serialize for TlsVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("TLS1{}", self.0))
    }
}

impl<'de> Deserialize<'de> for TlsVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "TLS10" => Ok(TlsVersion(0)),
            "TLS11" => Ok(TlsVersion(1)),
            "TLS12" => Ok(TlsVersion(2)),
            "TLS13" => Ok(TlsVersion(3)),
            _ => Err(de::Error::custom(format!("unknown TLS version: {s}"))),
        }
    }
}

/// One `http_headers` entry: literal values, secret values or files.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// `values`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// `secrets`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// `files`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

/// Headers Go's HTTP client manages itself; `http_headers` may not set them.
const RESERVED_HTTP_HEADERS: &[&str] = &[
    "authorization",
    "host",
    "content-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "www-authenticate",
    "accept-encoding",
    "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version",
    "x-prometheus-scrape-timeout-seconds",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

fn count(flags: &[bool]) -> usize {
    flags.iter().filter(|f| **f).count()
}

impl HttpClientConfig {
    /// Checks the combination rules of prometheus/common and moves a legacy
    /// `bearer_token(_file)` into `authorization`, as upstream does.
    pub fn validate(&mut self) -> Result<(), String> {
        let bearer = !self.bearer_token.is_empty() || !self.bearer_token_file.is_empty();
        if !self.bearer_token.is_empty() && !self.bearer_token_file.is_empty() {
            return Err(
                "at most one of bearer_token & bearer_token_file must be configured".into(),
            );
        }
        if (self.basic_auth.is_some() || self.oauth2.is_some()) && bearer {
            return Err("at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured".into());
        }
        if let Some(b) = &self.basic_auth {
            if count(&[
                !b.username.is_empty(),
                !b.username_file.is_empty(),
                !b.username_ref.is_empty(),
            ]) > 1
            {
                return Err("at most one of basic_auth username, username_file & username_ref must be configured".into());
            }
            if count(&[
                !b.password.is_empty(),
                !b.password_file.is_empty(),
                !b.password_ref.is_empty(),
            ]) > 1
            {
                return Err("at most one of basic_auth password, password_file & password_ref must be configured".into());
            }
        }
        if let Some(a) = &mut self.authorization {
            if bearer {
                return Err(
                    "authorization is not compatible with bearer_token & bearer_token_file".into(),
                );
            }
            if count(&[
                !a.credentials.is_empty(),
                !a.credentials_file.is_empty(),
                !a.credentials_ref.is_empty(),
            ]) > 1
            {
                return Err("at most one of authorization credentials & credentials_file must be configured".into());
            }
            a.kind = a.kind.trim().to_owned();
            if a.kind.is_empty() {
                a.kind = "Bearer".into();
            }
            if a.kind.eq_ignore_ascii_case("basic") {
                return Err(
                    r#"authorization type cannot be set to "basic", use "basic_auth" instead"#
                        .into(),
                );
            }
            if self.basic_auth.is_some() || self.oauth2.is_some() {
                return Err(
                    "at most one of basic_auth, oauth2 & authorization must be configured".into(),
                );
            }
        } else if !self.bearer_token.is_empty() {
            self.authorization = Some(Authorization {
                kind: "Bearer".into(),
                credentials: std::mem::take(&mut self.bearer_token),
                ..Authorization::default()
            });
        } else if !self.bearer_token_file.is_empty() {
            self.authorization = Some(Authorization {
                kind: "Bearer".into(),
                credentials_file: std::mem::take(&mut self.bearer_token_file),
                ..Authorization::default()
            });
        }
        if let Some(o) = &self.oauth2 {
            if self.basic_auth.is_some() {
                return Err(
                    "at most one of basic_auth, oauth2 & authorization must be configured".into(),
                );
            }
            if o.client_id.is_empty() {
                return Err("oauth2 client_id must be configured".into());
            }
            if o.token_url.is_empty() {
                return Err("oauth2 token_url must be configured".into());
            }
            if o.grant_type == "urn:ietf:params:oauth:grant-type:jwt-bearer" {
                if count(&[
                    !o.client_certificate_key.is_empty(),
                    !o.client_certificate_key_file.is_empty(),
                    !o.client_certificate_key_ref.is_empty(),
                ]) > 1
                {
                    return Err("at most one of oauth2 client_certificate_key, client_certificate_key_file & client_certificate_key_ref must be configured using grant-type=urn:ietf:params:oauth:grant-type:jwt-bearer".into());
                }
                if !o.signature_algorithm.is_empty()
                    && !["RS256", "RS384", "RS512"].contains(&o.signature_algorithm.as_str())
                {
                    return Err("valid signature algorithms are RS256, RS384 and RS512".into());
                }
            } else if count(&[
                !o.client_secret.is_empty(),
                !o.client_secret_file.is_empty(),
                !o.client_secret_ref.is_empty(),
            ]) > 1
            {
                return Err("at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured using grant-type=client_credentials".into());
            }
            validate_proxy(
                o.proxy_url.as_ref(),
                &o.no_proxy,
                o.proxy_from_environment,
                &o.proxy_connect_header,
            )?;
            o.tls_config.validate()?;
        }
        self.tls_config.validate()?;
        validate_proxy(
            self.proxy_url.as_ref(),
            &self.no_proxy,
            self.proxy_from_environment,
            &self.proxy_connect_header,
        )?;
        if let Some(h) = &self.http_headers {
            for name in h.keys() {
                if RESERVED_HTTP_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                    return Err(format!(
                        "setting header {:?} is not allowed",
                        canonical_header_key(name)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Resolves every file reference against `dir` (the config file's directory).
    pub fn set_directory(&mut self, dir: &Path) {
        if let Some(b) = &mut self.basic_auth {
            resolve(dir, &mut b.username_file);
            resolve(dir, &mut b.password_file);
        }
        if let Some(a) = &mut self.authorization {
            resolve(dir, &mut a.credentials_file);
        }
        if let Some(o) = &mut self.oauth2 {
            resolve(dir, &mut o.client_secret_file);
            resolve(dir, &mut o.client_certificate_key_file);
            o.tls_config.set_directory(dir);
        }
        resolve(dir, &mut self.bearer_token_file);
        self.tls_config.set_directory(dir);
        if let Some(h) = &mut self.http_headers {
            for header in h.values_mut() {
                for f in &mut header.files {
                    resolve(dir, f);
                }
            }
        }
    }

    /// Whether any option differs from the defaults (Kubernetes SD refuses
    /// a custom client without `api_server`).
    pub fn is_default(&self) -> bool {
        *self == HttpClientConfig::default()
    }
}

fn validate_proxy(
    url: Option<&Url>,
    no_proxy: &str,
    from_env: bool,
    connect: &BTreeMap<String, Vec<Secret>>,
) -> Result<(), String> {
    if let Some(u) = url {
        if let Some(e) = u.parse_error() {
            return Err(e);
        }
    }
    let has_url = url.is_some_and(|u| !u.as_str().is_empty());
    // Same order as prometheus/common's ProxyConfig.Validate.
    if !connect.is_empty() && !from_env && !has_url {
        return Err("if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured".into());
    }
    if from_env && has_url {
        return Err(
            "if proxy_from_environment is configured, proxy_url must not be configured".into(),
        );
    }
    if from_env && !no_proxy.is_empty() {
        return Err(
            "if proxy_from_environment is configured, no_proxy must not be configured".into(),
        );
    }
    if url.is_none() && !no_proxy.is_empty() {
        return Err("if no_proxy is configured, proxy_url must also be configured".into());
    }
    Ok(())
}

impl TlsConfig {
    /// Checks that inline and file forms are not both given.
    pub fn validate(&self) -> Result<(), String> {
        if count(&[
            !self.ca.is_empty(),
            !self.ca_file.is_empty(),
            !self.ca_ref.is_empty(),
        ]) > 1
        {
            return Err("at most one of ca, ca_file & ca_ref must be configured".into());
        }
        if count(&[
            !self.cert.is_empty(),
            !self.cert_file.is_empty(),
            !self.cert_ref.is_empty(),
        ]) > 1
        {
            return Err("at most one of cert, cert_file & cert_ref must be configured".into());
        }
        if count(&[
            !self.key.is_empty(),
            !self.key_file.is_empty(),
            !self.key_ref.is_empty(),
        ]) > 1
        {
            return Err("at most one of key and key_file must be configured".into());
        }
        let has_cert =
            !self.cert.is_empty() || !self.cert_file.is_empty() || !self.cert_ref.is_empty();
        let has_key = !self.key.is_empty() || !self.key_file.is_empty() || !self.key_ref.is_empty();
        if has_cert && !has_key {
            return Err("exactly one of key or key_file must be configured when a client certificate is configured".into());
        }
        if has_key && !has_cert {
            return Err("exactly one of cert or cert_file must be configured when a client key is configured".into());
        }
        if let (Some(min), Some(max)) = (self.min_version, self.max_version) {
            if min > max {
                return Err("tls_config: min_version must not be greater than max_version".into());
            }
        }
        Ok(())
    }

    /// Resolves the file references against `dir`.
    pub fn set_directory(&mut self, dir: &Path) {
        resolve(dir, &mut self.ca_file);
        resolve(dir, &mut self.cert_file);
        resolve(dir, &mut self.key_file);
    }
}

/// A section `T` with [`HttpClientConfig`]'s keys inline in the same YAML
/// mapping, as Prometheus' `yaml:",inline"` does.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WithHttp<T> {
    /// The section's own options.
    pub inner: T,
    /// The inline HTTP client options.
    pub http: HttpClientConfig,
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for WithHttp<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let mut map = yaml::as_mapping(v, "a config section").map_err(de::Error::custom)?;
        let http = yaml::take_keys(&mut map, |k| HTTP_KEYS.contains(&k));
        let inner = yaml::decode_map(map, &go_type_name::<T>()).map_err(de::Error::custom)?;
        let http = yaml::decode_map(http, "config.HTTPClientConfig").map_err(de::Error::custom)?;
        Ok(WithHttp { inner, http })
    }
}

impl<T: Serialize> Serialize for WithHttp<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = yaml::to_value(&self.inner);
        yaml::merge_into(&mut v, yaml::to_value(&self.http));
        v.serialize(s)
    }
}

/// Go's name for the plain type behind `T` in strict-decoding errors
/// (`kubernetes.plain` for the Kubernetes SD config): the Rust module that
/// defines `T` is named after the Go package.
fn go_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let path = full.split('<').next().unwrap_or(full);
    let mut parts = path.rsplit("::");
    parts.next();
    format!("{}.plain", parts.next().unwrap_or("config"))
}

/// Go's `http.CanonicalHeaderKey`: `x-foo-bar` becomes `X-Foo-Bar`.
fn canonical_header_key(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}
