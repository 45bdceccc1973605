//! Where the server's configuration comes from (a file, or the embedded
//! default that scrapes the server itself) and the reload bookkeeping
//! behind `prometheus_config_last_reload_*`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use vigil_config::Config;
use vigil_exposition::{FamilySample, MetricFamily};
use vigil_model::MetricType;

/// The embedded configuration, with `@PORT@` standing for the listen port.
const DEFAULT_CONFIG: &str = include_str!("default.yml");

/// The source of the configuration, fixed for the life of the process.
#[derive(Debug, Clone)]
pub(crate) enum ConfigSource {
    /// `--config.file` (or `./prometheus.yml`), re-read on every reload.
    File(PathBuf),
    /// The embedded default, already specialised to the listen port.
    Embedded(String),
}

impl ConfigSource {
    /// The file the flag names; without the flag, `./prometheus.yml` when
    /// it exists (Prometheus' default), else the embedded configuration.
    pub(crate) fn resolve(flag: Option<&Path>, listen_address: &str) -> ConfigSource {
        match flag {
            Some(p) => ConfigSource::File(p.to_path_buf()),
            None if Path::new("prometheus.yml").exists() => {
                ConfigSource::File(PathBuf::from("prometheus.yml"))
            }
            None => {
                let port = listen_address
                    .rsplit_once(':')
                    .map_or("9090", |(_, p)| p)
                    .to_string();
                ConfigSource::Embedded(DEFAULT_CONFIG.replace("@PORT@", &port))
            }
        }
    }

    /// Loads and validates the configuration.
    pub(crate) fn load(&self) -> anyhow::Result<Config> {
        match self {
            ConfigSource::File(path) => Config::load_file(path).with_context(|| {
                format!("error loading config (--config.file={})", path.display())
            }),
            ConfigSource::Embedded(text) => {
                Config::load(text, Path::new(".")).context("error loading the embedded config")
            }
        }
    }

    /// How the source is named in logs and `status/flags`.
    pub(crate) fn describe(&self) -> String {
        match self {
            ConfigSource::File(p) => p.display().to_string(),
            ConfigSource::Embedded(_) => "(embedded default)".to_string(),
        }
    }
}

/// Outcome of the last configuration (re)load, for the self-metrics.
#[derive(Debug, Default)]
pub(crate) struct ReloadState {
    inner: Mutex<(bool, f64)>,
}

impl ReloadState {
    /// Records a load: whether it succeeded, and when.
    pub(crate) fn record(&self, ok: bool) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64().floor())
            .unwrap_or(0.0);
        if let Ok(mut g) = self.inner.lock() {
            g.0 = ok;
            if ok {
                g.1 = now;
            }
        }
    }

    /// `prometheus_config_last_reload_successful` and
    /// `prometheus_config_last_reload_success_timestamp_seconds`.
    pub(crate) fn metrics(&self) -> Vec<MetricFamily> {
        let (ok, ts) = self.inner.lock().map(|g| *g).unwrap_or((false, 0.0));
        vec![
            gauge(
                "prometheus_config_last_reload_successful",
                "Whether the last configuration reload attempt was successful.",
                if ok { 1.0 } else { 0.0 },
            ),
            gauge(
                "prometheus_config_last_reload_success_timestamp_seconds",
                "Timestamp of the last successful configuration reload.",
                ts,
            ),
        ]
    }
}

/// A one-sample gauge family without labels beyond its name.
pub(crate) fn gauge(name: &str, help: &str, value: f64) -> MetricFamily {
    gauge_with(name, help, &[], value)
}

/// A one-sample gauge family with `labels`.
pub(crate) fn gauge_with(
    name: &str,
    help: &str,
    labels: &[(&str, &str)],
    value: f64,
) -> MetricFamily {
    MetricFamily::with_samples(
        name,
        MetricType::Gauge,
        help,
        vec![FamilySample::float(name, labels, value)],
    )
}

#[cfg(test)]
mod tests {
    use vigil_exposition::SampleValue;

    use super::*;

    #[test]
    fn embedded_config_scrapes_the_listen_port() {
        let src = ConfigSource::Embedded(DEFAULT_CONFIG.replace("@PORT@", "9191"));
        let cfg = src.load().unwrap();
        assert_eq!(cfg.scrape_configs.len(), 1);
        assert_eq!(cfg.scrape_configs[0].job_name, "prometheus");
        let yaml = cfg.to_yaml();
        assert!(yaml.contains("localhost:9191"), "{yaml}");
    }

    #[test]
    fn a_missing_file_names_the_flag() {
        let src = ConfigSource::File(PathBuf::from("/nonexistent/prometheus.yml"));
        let err = format!("{:#}", src.load().unwrap_err());
        assert!(
            err.contains("--config.file=/nonexistent/prometheus.yml"),
            "{err}"
        );
    }

    #[test]
    fn reload_state_keeps_the_last_success_time() {
        let s = ReloadState::default();
        s.record(true);
        let ok = s.metrics();
        assert_eq!(ok[0].samples[0].value, SampleValue::Float(1.0));
        let SampleValue::Float(t) = ok[1].samples[0].value else {
            panic!()
        };
        assert!(t > 1.0e9);
        s.record(false);
        let bad = s.metrics();
        assert_eq!(bad[0].samples[0].value, SampleValue::Float(0.0));
        assert_eq!(bad[1].samples[0].value, SampleValue::Float(t));
    }
}
