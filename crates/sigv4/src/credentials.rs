//! Where AWS credentials and the region come from, in the order the AWS
//! SDK's default chain looks: the `sigv4` block's static keys; then, when
//! the block names a `profile`, the shared files for that profile; then
//! the environment (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, or the
//! older `AWS_ACCESS_KEY`/`AWS_SECRET_KEY`, with `AWS_SESSION_TOKEN`);
//! then the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else
//! `~/.aws/credentials`) and config file (`AWS_CONFIG_FILE`, else
//! `~/.aws/config`) for `AWS_PROFILE` or `default`.

use std::collections::HashMap;
use std::path::PathBuf;

use vigil_config::auth::SigV4Config;

use crate::SigV4Error;

/// One set of AWS credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id.
    pub access_key: String,
    /// The secret access key.
    pub secret_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    // The secret and the token never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

/// A process environment, so that tests need not change the real one.
pub trait Environment {
    /// The value of variable `name`, when set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process' own environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Environment for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// The credentials for `config` from the process environment.
pub fn resolve(config: &SigV4Config) -> Result<Credentials, SigV4Error> {
    resolve_in(config, &ProcessEnvironment)
}

/// The credentials for `config` from `env` and the shared files it points
/// to.
pub fn resolve_in(config: &SigV4Config, env: &dyn Environment) -> Result<Credentials, SigV4Error> {
    if !config.access_key.is_empty() {
        return Ok(Credentials {
            access_key: config.access_key.clone(),
            secret_key: config.secret_key.expose().to_string(),
            session_token: None,
        });
    }
    if !config.profile.is_empty() {
        if let Some(c) = from_shared_files(&config.profile, env)? {
            return Ok(c);
        }
    }
    let key = env
        .var("AWS_ACCESS_KEY_ID")
        .or_else(|| env.var("AWS_ACCESS_KEY"));
    let secret = env
        .var("AWS_SECRET_ACCESS_KEY")
        .or_else(|| env.var("AWS_SECRET_KEY"));
    if let (Some(access_key), Some(secret_key)) = (key, secret) {
        return Ok(Credentials {
            access_key,
            secret_key,
            session_token: env.var("AWS_SESSION_TOKEN"),
        });
    }
    let profile = profile_name(&config.profile, env);
    if let Some(c) = from_shared_files(&profile, env)? {
        return Ok(c);
    }
    Err(SigV4Error::NoCredentials(format!(
        "none in the sigv4 config, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or profile {profile:?} of the shared credentials file"
    )))
}

/// The region from the environment or the shared config file when the
/// `sigv4` block sets none.
pub(crate) fn region_from_environment(profile: &str) -> Result<Option<String>, SigV4Error> {
    region_in(profile, &ProcessEnvironment)
}

/// [`region_from_environment`] with an explicit environment.
pub fn region_in(profile: &str, env: &dyn Environment) -> Result<Option<String>, SigV4Error> {
    if let Some(r) = env
        .var("AWS_REGION")
        .or_else(|| env.var("AWS_DEFAULT_REGION"))
    {
        return Ok(Some(r));
    }
    let profile = profile_name(profile, env);
    let Some(path) = config_file(env) else {
        return Ok(None);
    };
    let Some(ini) = read_ini(&path)? else {
        return Ok(None);
    };
    Ok(config_section(&ini, &profile).and_then(|s| s.get("region").cloned()))
}

fn profile_name(configured: &str, env: &dyn Environment) -> String {
    if !configured.is_empty() {
        return configured.to_string();
    }
    env.var("AWS_PROFILE")
        .or_else(|| env.var("AWS_DEFAULT_PROFILE"))
        .unwrap_or_else(|| "default".into())
}

fn home(env: &dyn Environment) -> Option<PathBuf> {
    env.var("HOME").map(PathBuf::from)
}

fn credentials_file(env: &dyn Environment) -> Option<PathBuf> {
    env.var("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| home(env).map(|h| h.join(".aws").join("credentials")))
}

fn config_file(env: &dyn Environment) -> Option<PathBuf> {
    env.var("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| home(env).map(|h| h.join(".aws").join("config")))
}

type Ini = HashMap<String, HashMap<String, String>>;

/// Reads an INI file of the AWS shared-file kind: `[section]` headers and
/// `key = value` lines; `#` and `;` start comments. A missing file is
/// `None`, not an error.
fn read_ini(path: &PathBuf) -> Result<Option<Ini>, SigV4Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(SigV4Error::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            });
        }
    };
    Ok(Some(parse_ini(&text)))
}

fn parse_ini(text: &str) -> Ini {
    let mut out = Ini::new();
    let mut section: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim().to_string();
            out.entry(name.clone()).or_default();
            section = Some(name);
        } else if let (Some(s), Some((k, v))) = (&section, line.split_once('=')) {
            out.entry(s.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

/// A profile's section of the config file: `[default]` or `[profile x]`
/// (also `[x]`, which older tools wrote).
fn config_section<'a>(ini: &'a Ini, profile: &str) -> Option<&'a HashMap<String, String>> {
    if profile == "default" {
        return ini.get("default");
    }
    ini.get(&format!("profile {profile}"))
        .or_else(|| ini.get(profile))
}

fn keys_of(section: &HashMap<String, String>) -> Option<Credentials> {
    let access_key = section.get("aws_access_key_id").filter(|v| !v.is_empty())?;
    let secret_key = section
        .get("aws_secret_access_key")
        .filter(|v| !v.is_empty())?;
    Some(Credentials {
        access_key: access_key.clone(),
        secret_key: secret_key.clone(),
        session_token: section
            .get("aws_session_token")
            .filter(|v| !v.is_empty())
            .cloned(),
    })
}

fn from_shared_files(
    profile: &str,
    env: &dyn Environment,
) -> Result<Option<Credentials>, SigV4Error> {
    if let Some(path) = credentials_file(env) {
        if let Some(ini) = read_ini(&path)? {
            if let Some(c) = ini.get(profile).and_then(keys_of) {
                return Ok(Some(c));
            }
        }
    }
    if let Some(path) = config_file(env) {
        if let Some(ini) = read_ini(&path)? {
            if let Some(c) = config_section(&ini, profile).and_then(keys_of) {
                return Ok(Some(c));
            }
        }
    }
    Ok(None)
}
