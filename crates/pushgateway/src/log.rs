//! A minimal structured logger for the gateway, to stderr, in the two
//! formats of the Pushgateway's `--log.format` (`logfmt`, `json`) with
//! `--log.level` filtering. It is small on purpose: a handful of lines per
//! run do not justify a logging framework.

use std::io::Write as _;
use std::sync::OnceLock;

/// Severity, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Details for debugging.
    Debug,
    /// Normal operation.
    Info,
    /// Something unusual that was handled.
    Warn,
    /// Something failed.
    Error,
}

impl Level {
    /// Parses `debug`, `info`, `warn` or `error`.
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "debug" => Level::Debug,
            "info" => Level::Info,
            "warn" => Level::Warn,
            "error" => Level::Error,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `key=value` pairs.
    Logfmt,
    /// One JSON object per line.
    Json,
}

static CONFIG: OnceLock<(Level, Format)> = OnceLock::new();

/// Sets the level and format once; later calls are ignored.
pub fn init(level: Level, format: Format) {
    let _ = CONFIG.set((level, format));
}

/// Logs `msg` with key/value pairs at `level`.
pub fn log(level: Level, msg: &str, kv: &[(&str, &dyn std::fmt::Display)]) {
    let (min, format) = CONFIG
        .get()
        .copied()
        .unwrap_or((Level::Info, Format::Logfmt));
    if level < min {
        return;
    }
    let ts = crate::api::rfc3339(std::time::SystemTime::now());
    let mut line = String::new();
    match format {
        Format::Logfmt => {
            line.push_str(&format!("ts={ts} level={} msg={msg:?}", level.as_str()));
            for (k, v) in kv {
                line.push_str(&format!(" {k}={:?}", v.to_string()));
            }
        }
        Format::Json => {
            let mut obj = serde_json::Map::new();
            obj.insert("ts".into(), ts.into());
            obj.insert("level".into(), level.as_str().into());
            obj.insert("msg".into(), msg.into());
            for (k, v) in kv {
                obj.insert((*k).into(), v.to_string().into());
            }
            line.push_str(&serde_json::Value::Object(obj).to_string());
        }
    }
    line.push('\n');
    let _ = std::io::stderr().write_all(line.as_bytes());
}
