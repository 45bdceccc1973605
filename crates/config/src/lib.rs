//! The Prometheus configuration file (`prometheus.yml`) and relabeling.
//!
//! [`Config::load`] / [`Config::load_file`] read a configuration the way
//! Prometheus 3.x does: strictly (unknown fields and duplicate keys are
//! errors), with Prometheus' defaults filled in (scrape settings inherited
//! from `global`), every section validated with Prometheus' error messages,
//! file references resolved against the config file's directory, and
//! `scrape_config_files` merged in. [`Config::to_yaml`] prints the loaded
//! configuration as `/api/v1/status/config` does, with every [`Secret`]
//! shown as `<secret>`.
//!
//! [`LoadOptions`] selects agent mode (`--agent`: `alerting`, `rule_files`
//! and `remote_read` refused) and the environment used to expand
//! `$VAR` in external labels. [`Config::check_static_targets`] and
//! [`Config::check_referenced_files`] add what `promtool check config`
//! checks beyond loading (relabeled static target addresses; rule,
//! credential and TLS files).
//!
//! Decoding follows Go's yaml.v2 where it differs from YAML 1.2: any scalar
//! may fill a string field, `yes`/`no`/`on`/`off` are booleans, `!!binary`
//! scalars are decoded, a repeated key is an error.
//!
//! ```
//! use std::path::Path;
//! use vigil_config::Config;
//!
//! let cfg = Config::load(
//!     "scrape_configs:\n  - job_name: node\n    basic_auth: {username: u, password: p4ss}\n",
//!     Path::new("/etc/prometheus"),
//! )?;
//! assert_eq!(cfg.scrape_configs[0].scrape_interval.to_string(), "1m");
//! assert!(cfg.to_yaml().contains("password: <secret>"));
//! # Ok::<(), vigil_config::ConfigError>(())
//! ```
//!
//! [`web_config::WebConfig`] is the separate `--web.config.file` schema
//! (TLS, HTTP headers, basic-auth users) shared by every server.
//!
//! Main types: [`Config`], [`GlobalConfig`], [`ScrapeConfig`],
//! [`HttpClientConfig`], [`discovery::ServiceDiscoveryConfigs`],
//! [`RemoteWriteConfig`], [`AlertingConfig`]; [`relabel::RelabelConfig`] and
//! [`relabel::process`] for relabeling. Loading never panics: any input
//! yields a `Config` or a [`ConfigError`].

pub mod auth;
mod check;
pub mod discovery;
mod error;
mod glob;
pub mod global;
pub mod http;
pub mod misc;
pub mod relabel;
pub mod remote;
pub mod scrape;
pub mod types;
pub mod web_config;
mod yaml;

use std::path::{Path, PathBuf};

use serde_yaml_ng::{Mapping, Value};

pub use error::{ConfigError, Result};
pub use global::GlobalConfig;
pub use http::HttpClientConfig;
pub use misc::{OtlpConfig, RuntimeConfig, StorageConfig, TracingConfig};
pub use remote::{AlertingConfig, AlertmanagerConfig, RemoteReadConfig, RemoteWriteConfig};
pub use scrape::ScrapeConfig;
pub use types::{ByteSize, Duration, Secret, Url};

/// A loaded, validated configuration.
///
/// `Config::default()` is what an empty file loads to (Prometheus'
/// defaults), not a zeroed struct.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `global`.
    pub global: GlobalConfig,
    /// `runtime`.
    pub runtime: RuntimeConfig,
    /// `alerting`.
    pub alerting: AlertingConfig,
    /// `rule_files` (resolved paths / globs).
    pub rule_files: Vec<String>,
    /// `scrape_config_files` (resolved globs).
    pub scrape_config_files: Vec<String>,
    /// `scrape_configs`, followed by those read from `scrape_config_files`
    /// (marked by [`ScrapeConfig::source_file`]).
    pub scrape_configs: Vec<ScrapeConfig>,
    /// `storage`.
    pub storage: StorageConfig,
    /// `tracing`.
    pub tracing: Option<TracingConfig>,
    /// `remote_write`.
    pub remote_write: Vec<RemoteWriteConfig>,
    /// `remote_read`.
    pub remote_read: Vec<RemoteReadConfig>,
    /// `otlp`.
    pub otlp: OtlpConfig,
}

impl Default for Config {
    fn default() -> Self {
        let mut global = GlobalConfig::default();
        // An empty global section always validates; it only fills defaults.
        let _ = global.validate();
        global.metric_name_escaping_scheme = "allow-utf-8".into();
        let mut otlp = OtlpConfig::default();
        let _ = otlp.validate();
        Config {
            global,
            runtime: RuntimeConfig::default(),
            alerting: AlertingConfig::default(),
            rule_files: Vec::new(),
            scrape_config_files: Vec::new(),
            scrape_configs: Vec::new(),
            storage: StorageConfig::default(),
            tracing: None,
            remote_write: Vec::new(),
            remote_read: Vec::new(),
            otlp,
        }
    }
}

/// How to load a configuration.
#[derive(Default)]
pub struct LoadOptions {
    /// Agent mode (`--agent`): `alerting`, `rule_files` and `remote_read`
    /// are refused.
    pub agent: bool,
    /// Environment lookup for external label expansion; `None` reads the
    /// process environment.
    #[allow(clippy::type_complexity)]
    pub env: Option<Box<dyn Fn(&str) -> Option<String>>>,
}

impl std::fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("agent", &self.agent)
            .field("env", &self.env.as_ref().map(|_| "custom"))
            .finish()
    }
}

/// Go's `os.Expand` with Prometheus' mapping (`$$` stays `$`).
fn expand_env(s: &str, lookup: &impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('$') {
        out.push_str(rest.get(..pos).unwrap_or(""));
        let after = rest.get(pos + 1..).unwrap_or("");
        let (name, width) = shell_name(after);
        // A lone `$` and `$$` both leave a literal dollar.
        if (name.is_empty() && width == 0) || name == "$" {
            out.push('$');
        } else if !name.is_empty() {
            out.push_str(&lookup(name).unwrap_or_default());
        }
        rest = after.get(width..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Go's `getShellName`: the variable name after a `$` and how many bytes
/// it spans; an empty name with a width is malformed syntax to drop.
fn shell_name(s: &str) -> (&str, usize) {
    let special = |c: u8| b"*#$@!?-0123456789".contains(&c);
    let b = s.as_bytes();
    match b.first() {
        Some(b'{') => {
            if b.len() > 2 && b.get(1).copied().is_some_and(special) && b.get(2) == Some(&b'}') {
                return (s.get(1..2).unwrap_or(""), 3);
            }
            match b.iter().skip(1).position(|c| *c == b'}') {
                Some(0) => ("", 2),
                Some(i) => (s.get(1..=i).unwrap_or(""), i + 2),
                None => ("", 1),
            }
        }
        Some(&c) if special(c) => (s.get(..1).unwrap_or(""), 1),
        _ => {
            let n = b
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            (s.get(..n).unwrap_or(""), n)
        }
    }
}

/// The top-level keys Prometheus knows.
const TOP_KEYS: &[&str] = &[
    "global",
    "runtime",
    "alerting",
    "rule_files",
    "scrape_config_files",
    "scrape_configs",
    "storage",
    "tracing",
    "remote_write",
    "remote_read",
    "otlp",
];

/// Whether a rule or scrape-config file pattern is acceptable: a `*` may
/// only appear in the last path element (Prometheus' `patRulePath`).
fn valid_file_pattern(p: &str) -> bool {
    match p.find('*') {
        None => true,
        Some(i) => !p.get(i..).unwrap_or("").contains('/'),
    }
}

impl Config {
    /// Parses and validates `text`; relative file references are resolved
    /// against `base_dir` (the directory of the file the text came from).
    pub fn load(text: &str, base_dir: &Path) -> Result<Config> {
        Config::load_with(text, base_dir, &LoadOptions::default())
    }

    /// [`Config::load`] with options (agent mode, environment lookup).
    pub fn load_with(text: &str, base_dir: &Path, opts: &LoadOptions) -> Result<Config> {
        let mut cfg = Config::parse(text)?;
        cfg.expand_external_labels(|name| match &opts.env {
            Some(env) => env(name),
            None => std::env::var(name).ok(),
        });
        if opts.agent {
            cfg.check_agent_mode()?;
        }
        cfg.set_directory(base_dir);
        cfg.load_scrape_config_files()?;
        Ok(cfg)
    }

    /// Reads, parses and validates the file at `path`; errors name the file.
    pub fn load_file(path: impl AsRef<Path>) -> Result<Config> {
        Config::load_file_with(path, &LoadOptions::default())
    }

    /// [`Config::load_file`] with options.
    pub fn load_file_with(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Config> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Io {
            path: path.to_owned(),
            error,
        })?;
        let dir = path.parent().unwrap_or(Path::new(""));
        Config::load_with(&text, dir, opts).map_err(|e| match e {
            e @ (ConfigError::InFile { .. } | ConfigError::AgentMode(_)) => e,
            e => e.in_file(path),
        })
    }

    /// Refuses the sections an agent (`--agent`) has no use for, as
    /// Prometheus does after loading the file.
    fn check_agent_mode(&self) -> Result<()> {
        if !self.alerting.alertmanagers.is_empty()
            || !self.alerting.alert_relabel_configs.is_empty()
        {
            return Err(ConfigError::AgentMode("alerting"));
        }
        if !self.rule_files.is_empty() {
            return Err(ConfigError::AgentMode("rule_files"));
        }
        if !self.remote_read.is_empty() {
            return Err(ConfigError::AgentMode("remote_read"));
        }
        Ok(())
    }

    /// Expands `$VAR` / `${VAR}` in external label values from the
    /// environment as Go's `os.Expand` does (`$$` is a literal `$`, an
    /// unset variable is empty, a malformed `${` is dropped).
    pub fn expand_external_labels(&mut self, lookup: impl Fn(&str) -> Option<String>) {
        for v in self.global.external_labels.values_mut() {
            if v.contains('$') {
                *v = expand_env(v, &lookup);
            }
        }
    }

    /// Parses and validates without resolving paths or reading other files.
    fn parse(text: &str) -> Result<Config> {
        let doc = yaml::parse_document(text)?;
        let mut map = yaml::as_mapping(doc, "config.plain").map_err(ConfigError::Yaml)?;
        for k in map.keys() {
            let name = k.as_str().unwrap_or("");
            if !TOP_KEYS.contains(&name) {
                return Err(ConfigError::invalid(format!(
                    "field {} not found in type config.plain",
                    yaml_key(k)
                )));
            }
        }
        let mut take = |k: &str| map.remove(k).unwrap_or(Value::Null);
        fn inv(section: &'static str) -> impl Fn(String) -> ConfigError {
            move |e| ConfigError::invalid(format!("{section}: {e}"))
        }
        let plain = |e: String| ConfigError::invalid(e);

        let global = take("global");
        let mut cfg = Config::default();
        if !global.is_null() {
            cfg.global = yaml::decode(global, "config.plain").map_err(plain)?;
        }
        // An empty `global` block is replaced by the defaults whole (upstream's
        // isZero), which is the only way the global escaping scheme gets set.
        let empty_global = cfg.global == GlobalConfig::default();
        cfg.global.validate().map_err(plain)?;
        if empty_global {
            cfg.global.metric_name_escaping_scheme = "allow-utf-8".into();
        }
        let scheme = cfg.global.validation_scheme();

        let runtime = take("runtime");
        if !runtime.is_null() {
            cfg.runtime = yaml::decode(runtime, "config.plain").map_err(inv("runtime"))?;
        }
        if cfg.runtime.gogc == 0 {
            cfg.runtime.gogc = 75;
        }
        let storage = take("storage");
        if !storage.is_null() {
            cfg.storage = yaml::decode(storage, "config.plain").map_err(plain)?;
        }
        cfg.storage.validate().map_err(plain)?;

        cfg.rule_files = yaml::decode(non_null_list(take("rule_files")), "[]string")
            .map_err(inv("rule_files"))?;
        cfg.rule_files.retain(|_| true);
        for rf in &cfg.rule_files {
            if !valid_file_pattern(rf) {
                return Err(ConfigError::invalid(format!(
                    "invalid rule file path {rf:?}"
                )));
            }
        }
        cfg.scrape_config_files =
            yaml::decode(non_null_list(take("scrape_config_files")), "[]string")
                .map_err(inv("scrape_config_files"))?;
        for sf in &cfg.scrape_config_files {
            if !valid_file_pattern(sf) {
                return Err(ConfigError::invalid(format!(
                    "invalid scrape config file path {sf:?}"
                )));
            }
        }

        let scrape =
            yaml::as_sequence(take("scrape_configs"), "[]*config.ScrapeConfig").map_err(plain)?;
        for (i, item) in scrape.into_iter().enumerate() {
            let job = job_name_of(&item);
            let sc =
                ScrapeConfig::parse(item, &cfg.global).map_err(|e| scrape_context(i, &job, e))?;
            if cfg.scrape_configs.iter().any(|c| c.job_name == sc.job_name) {
                return Err(ConfigError::invalid(format!(
                    "found multiple scrape configs with job name {:?}",
                    sc.job_name
                )));
            }
            cfg.scrape_configs.push(sc);
        }

        let alerting = take("alerting");
        cfg.alerting = AlertingConfig::parse(alerting, scheme)
            .map_err(|e| ConfigError::invalid(format!("alerting: {e}")))?;

        let writes = yaml::as_sequence(take("remote_write"), "[]*config.RemoteWriteConfig")
            .map_err(plain)?;
        for (i, item) in writes.into_iter().enumerate() {
            let rw = RemoteWriteConfig::parse(item, scheme)
                .map_err(|e| ConfigError::invalid(format!("remote_write[{i}]: {e}")))?;
            if !rw.name.is_empty() && cfg.remote_write.iter().any(|c| c.name == rw.name) {
                return Err(ConfigError::invalid(format!(
                    "found multiple remote write configs with job name {:?}",
                    rw.name
                )));
            }
            cfg.remote_write.push(rw);
        }
        let reads =
            yaml::as_sequence(take("remote_read"), "[]*config.RemoteReadConfig").map_err(plain)?;
        for (i, item) in reads.into_iter().enumerate() {
            let rr = RemoteReadConfig::parse(item)
                .map_err(|e| ConfigError::invalid(format!("remote_read[{i}]: {e}")))?;
            if !rr.name.is_empty() && cfg.remote_read.iter().any(|c| c.name == rr.name) {
                return Err(ConfigError::invalid(format!(
                    "found multiple remote read configs with job name {:?}",
                    rr.name
                )));
            }
            cfg.remote_read.push(rr);
        }

        let tracing = take("tracing");
        if !tracing.is_null() {
            let mut t: TracingConfig = yaml::decode(tracing, "config.plain").map_err(plain)?;
            if t != TracingConfig::default() {
                t.validate().map_err(plain)?;
                cfg.tracing = Some(t);
            }
        }
        let otlp = take("otlp");
        if !otlp.is_null() {
            cfg.otlp = yaml::decode(otlp, "config.plain").map_err(plain)?;
        }
        cfg.otlp.validate().map_err(plain)?;
        let strategy = cfg.otlp.translation_strategy.as_str();
        if matches!(strategy, "NoTranslation" | "NoUTF8EscapingWithSuffixes")
            && scheme == vigil_model::ValidationScheme::Legacy
        {
            return Err(ConfigError::invalid(format!(
                "OTLP translation strategy {strategy:?} is not allowed when UTF8 is disabled"
            )));
        }
        Ok(cfg)
    }

    /// Resolves every relative file reference against `dir`.
    pub fn set_directory(&mut self, dir: &Path) {
        self.global.set_directory(dir);
        for a in &mut self.alerting.alertmanagers {
            a.set_directory(dir);
        }
        if let Some(t) = &mut self.tracing {
            t.set_directory(dir);
        }
        for f in &mut self.rule_files {
            types::resolve(dir, f);
        }
        for f in &mut self.scrape_config_files {
            types::resolve(dir, f);
        }
        for s in &mut self.scrape_configs {
            s.set_directory(dir);
        }
        for r in &mut self.remote_write {
            r.set_directory(dir);
        }
        for r in &mut self.remote_read {
            r.set_directory(dir);
        }
    }

    /// Reads the files matched by `scrape_config_files` and appends their
    /// jobs, validated against this config's `global` (upstream's
    /// `GetScrapeConfigs`): a job name may appear only once overall.
    fn load_scrape_config_files(&mut self) -> Result<()> {
        let mut files: Vec<PathBuf> = Vec::new();
        for pattern in &self.scrape_config_files {
            files.extend(glob::glob(pattern).map_err(|e| {
                ConfigError::invalid(format!(
                    "error retrieving scrape config files for {pattern:?}: {e}"
                ))
            })?);
        }
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|error| ConfigError::Io {
                path: file.clone(),
                error,
            })?;
            let jobs =
                Self::parse_scrape_file(&text, &self.global).map_err(|e| e.in_file(&file))?;
            let dir = file.parent().unwrap_or(Path::new("")).to_owned();
            for mut job in jobs {
                if self
                    .scrape_configs
                    .iter()
                    .any(|c| c.job_name == job.job_name)
                {
                    return Err(ConfigError::invalid(format!(
                        "found multiple scrape configs with job name {:?}",
                        job.job_name
                    ))
                    .in_file(&file));
                }
                job.set_directory(&dir);
                job.source_file = Some(file.clone());
                self.scrape_configs.push(job);
            }
        }
        Ok(())
    }

    fn parse_scrape_file(text: &str, global: &GlobalConfig) -> Result<Vec<ScrapeConfig>> {
        let doc = yaml::parse_document(text)?;
        let mut map = yaml::as_mapping(doc, "config.ScrapeConfigs").map_err(ConfigError::Yaml)?;
        let list = map.remove("scrape_configs").unwrap_or(Value::Null);
        if let Some(k) = map.keys().next() {
            return Err(ConfigError::invalid(format!(
                "field {} not found in type config.ScrapeConfigs",
                yaml_key(k)
            )));
        }
        let mut out = Vec::new();
        let items = yaml::as_sequence(list, "[]*config.ScrapeConfig").map_err(ConfigError::Yaml)?;
        for (i, item) in items.into_iter().enumerate() {
            let job = job_name_of(&item);
            out.push(ScrapeConfig::parse(item, global).map_err(|e| scrape_context(i, &job, e))?);
        }
        Ok(out)
    }

    /// The configuration as YAML, secrets masked, as Prometheus serves it
    /// on `/api/v1/status/config`.
    pub fn to_yaml(&self) -> String {
        let mut m = Mapping::new();
        m.insert("global".into(), yaml::to_value(&self.global));
        m.insert("runtime".into(), yaml::to_value(&self.runtime));
        let alerting = self.alerting.to_yaml_value();
        if alerting.as_mapping().is_some_and(|a| !a.is_empty()) {
            m.insert("alerting".into(), alerting);
        }
        if !self.rule_files.is_empty() {
            m.insert("rule_files".into(), yaml::to_value(&self.rule_files));
        }
        if !self.scrape_config_files.is_empty() {
            m.insert(
                "scrape_config_files".into(),
                yaml::to_value(&self.scrape_config_files),
            );
        }
        // Jobs from `scrape_config_files` stay in their files, as upstream
        // prints only the main file's jobs (reloading the printed config
        // reads the files again).
        let list: Vec<Value> = self
            .scrape_configs
            .iter()
            .filter(|s| s.source_file.is_none())
            .map(ScrapeConfig::to_yaml_value)
            .collect();
        if !list.is_empty() {
            m.insert("scrape_configs".into(), Value::Sequence(list));
        }
        m.insert("storage".into(), yaml::to_value(&self.storage));
        if let Some(t) = &self.tracing {
            m.insert("tracing".into(), yaml::to_value(t));
        }
        if !self.remote_write.is_empty() {
            let list = self
                .remote_write
                .iter()
                .map(RemoteWriteConfig::to_yaml_value)
                .collect();
            m.insert("remote_write".into(), Value::Sequence(list));
        }
        if !self.remote_read.is_empty() {
            let list = self
                .remote_read
                .iter()
                .map(RemoteReadConfig::to_yaml_value)
                .collect();
            m.insert("remote_read".into(), Value::Sequence(list));
        }
        m.insert("otlp".into(), yaml::to_value(&self.otlp));
        serde_yaml_ng::to_string(&Value::Mapping(m)).unwrap_or_default()
    }
}

/// A mapping key as text for error messages.
fn yaml_key(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// A missing or null list is an empty one (`rule_files:` with no entries).
fn non_null_list(v: Value) -> Value {
    if v.is_null() {
        Value::Sequence(Vec::new())
    } else {
        v
    }
}

/// ` (job "x")` for error context, when the entry names its job.
fn job_name_of(v: &Value) -> String {
    match v.get("job_name").and_then(Value::as_str) {
        Some(j) => format!(" (job {j:?})"),
        None => String::new(),
    }
}

/// Names the failing scrape job in front of `e`, unless the message names
/// it already (upstream's own wording, kept verbatim).
fn scrape_context(i: usize, job: &str, e: String) -> ConfigError {
    if e.contains("with job name") {
        ConfigError::Invalid(e)
    } else {
        ConfigError::Invalid(format!("scrape_configs[{i}]{job}: {e}"))
    }
}
