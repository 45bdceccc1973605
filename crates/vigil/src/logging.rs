//! The server's logger: a `log` facade backend writing one line per record
//! to stderr in the two formats of Prometheus 3's `--log.format` (`logfmt`
//! and `json`, as its `log/slog` handlers print them), filtered by
//! `--log.level`. Library crates log through the `log` macros; this is the
//! only place that decides where the lines go.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use log::{Level, LevelFilter, Log, Metadata, Record};
use vigil_model::civil::civil_from_days;

/// Output format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `time=… level=INFO source=… msg="…"`.
    Logfmt,
    /// One JSON object per line.
    Json,
}

impl Format {
    /// Parses a `--log.format` value.
    pub(crate) fn parse(s: &str) -> Option<Format> {
        match s {
            "logfmt" => Some(Format::Logfmt),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Parses a `--log.level` value (`debug`, `info`, `warn`, `error`).
pub(crate) fn parse_level(s: &str) -> Option<LevelFilter> {
    match s {
        "debug" => Some(LevelFilter::Debug),
        "info" => Some(LevelFilter::Info),
        "warn" => Some(LevelFilter::Warn),
        "error" => Some(LevelFilter::Error),
        _ => None,
    }
}

#[derive(Debug)]
struct Logger {
    format: Format,
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = render(self.format, SystemTime::now(), record);
        // A full or closed stderr must not take the server down.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    fn flush(&self) {}
}

/// Installs the logger once; a second call changes nothing.
pub(crate) fn init(level: LevelFilter, format: Format) {
    let logger: &'static Logger = Box::leak(Box::new(Logger { format }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "ERROR",
        Level::Warn => "WARN",
        Level::Info => "INFO",
        Level::Debug | Level::Trace => "DEBUG",
    }
}

/// The component a record comes from: the crate and module path without
/// the `vigil_` prefix (`scrape::manager`), or the file for records
/// without one.
fn source(record: &Record<'_>) -> String {
    let target = record.target();
    target.strip_prefix("vigil_").unwrap_or(target).to_string()
}

fn render(format: Format, now: SystemTime, record: &Record<'_>) -> String {
    let time = rfc3339_millis(now);
    let msg = record.args().to_string();
    let level = level_name(record.level());
    let source = source(record);
    match format {
        Format::Logfmt => {
            format!(
                "time={time} level={level} source={source} msg={}\n",
                logfmt_value(&msg)
            )
        }
        Format::Json => {
            let obj = serde_json::json!({
                "time": time,
                "level": level,
                "source": source,
                "msg": msg,
            });
            format!("{obj}\n")
        }
    }
}

/// Quotes a logfmt value when it holds spaces, quotes, `=` or control
/// characters, as slog's text handler does.
fn logfmt_value(v: &str) -> String {
    let plain = !v.is_empty()
        && v.chars()
            .all(|c| c != ' ' && c != '"' && c != '=' && !c.is_control());
    if plain {
        v.to_string()
    } else {
        // Debug formatting escapes quotes, backslashes and control
        // characters the way Go's strconv.Quote does for ASCII.
        format!("{v:?}")
    }
}

/// `2006-01-02T15:04:05.000Z` for a system time (UTC).
pub(crate) fn rfc3339_millis(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (y, m, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn timestamps_are_utc_with_millis() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(rfc3339_millis(t), "2023-11-14T22:13:20.123Z");
        assert_eq!(rfc3339_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339_millis(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn logfmt_quotes_only_when_needed() {
        assert_eq!(logfmt_value("ready"), "ready");
        assert_eq!(logfmt_value("Server is ready"), "\"Server is ready\"");
        assert_eq!(logfmt_value("a=b"), "\"a=b\"");
        assert_eq!(logfmt_value("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(logfmt_value(""), "\"\"");
    }

    #[test]
    fn records_render_in_both_formats() {
        let args = format_args!("Server is ready to receive web requests.");
        let record = Record::builder()
            .args(args)
            .level(Level::Info)
            .target("vigil_web::server")
            .build();
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(
            render(Format::Logfmt, t, &record),
            "time=2023-11-14T22:13:20.123Z level=INFO source=web::server \
             msg=\"Server is ready to receive web requests.\"\n"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(Format::Json, t, &record)).unwrap();
        assert_eq!(json["level"], "INFO");
        assert_eq!(json["msg"], "Server is ready to receive web requests.");
    }
}
