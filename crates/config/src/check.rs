//! What `promtool check config` verifies beyond loading: every static
//! target, after target relabeling, must have a usable address.

use vigil_model::{Labels, LabelsBuilder};

use crate::relabel;
use crate::{Config, ConfigError};

/// A target address Prometheus can scrape: `host:port`, no scheme or path.
fn check_address(addr: &str) -> Result<(), String> {
    if addr.is_empty() {
        return Err("no address".into());
    }
    if addr.contains('/') {
        return Err(format!("{addr:?} is not a valid hostname"));
    }
    Ok(())
}

impl Config {
    /// Relabels every static target of every scrape job and Alertmanager
    /// config as Prometheus would, and checks the resulting address
    /// (promtool's `checkTargetGroupsForScrapeConfig` and
    /// `checkTargetGroupsForAlertmanager`).
    pub fn check_static_targets(&self) -> Result<(), ConfigError> {
        let mut b = LabelsBuilder::new();
        for sc in &self.scrape_configs {
            for g in sc.sd.static_configs.iter().flatten() {
                for t in &g.targets {
                    b.reset();
                    for (k, v) in &g.labels {
                        b.set(k, v);
                    }
                    b.set("__address__", t);
                    b.set("job", &sc.job_name);
                    b.set("__scrape_interval__", &sc.scrape_interval.to_string());
                    b.set("__scrape_timeout__", &sc.scrape_timeout.to_string());
                    b.set("__metrics_path__", &sc.metrics_path);
                    b.set("__scheme__", &sc.scheme);
                    for (k, v) in &sc.params {
                        if let Some(first) = v.first() {
                            b.set(&format!("__param_{k}"), first);
                        }
                    }
                    let labels: Labels = b.build();
                    if let Some(out) = relabel::process(&labels, &sc.relabel_configs) {
                        check_address(out.get("__address__").unwrap_or(""))
                            .map_err(ConfigError::Invalid)?;
                    }
                }
            }
        }
        for am in &self.alerting.alertmanagers {
            for g in am.sd.static_configs.iter().flatten() {
                for t in &g.targets {
                    b.reset();
                    for (k, v) in &g.labels {
                        b.set(k, v);
                    }
                    b.set("__address__", t);
                    b.set("__scheme__", &am.scheme);
                    b.set("__alerts_path__", &am.path_prefix);
                    let labels = b.build();
                    if let Some(out) = relabel::process(&labels, &am.relabel_configs) {
                        check_address(out.get("__address__").unwrap_or(""))
                            .map_err(ConfigError::Invalid)?;
                    }
                }
            }
        }
        Ok(())
    }
}
