//! What `promtool check config` verifies beyond loading: every static
//! target, after target relabeling, must have a usable address; and,
//! unless `--syntax-only`, the files the configuration points at exist.

use std::path::Path;

use vigil_model::{Labels, LabelsBuilder};

use crate::discovery::{TargetGroup, read_sd_file};
use crate::http::TlsConfig;
use crate::relabel;
use crate::scrape::ScrapeConfig;
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

/// Relabels the targets of `groups` as a scrape job would and checks the
/// resulting addresses.
fn check_scrape_groups(sc: &ScrapeConfig, groups: &[&TargetGroup]) -> Result<(), ConfigError> {
    let mut b = LabelsBuilder::new();
    for g in groups {
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
            let groups: Vec<&TargetGroup> = sc.sd.static_configs.iter().flatten().collect();
            check_scrape_groups(sc, &groups)?;
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

    /// promtool's reading of `file_sd_configs` files: every existing file
    /// must parse, and its targets pass the same checks as static ones.
    /// Missing files are not errors (promtool only warns).
    pub fn check_sd_files(&self) -> Result<(), ConfigError> {
        for sc in &self.scrape_configs {
            for f in sc.sd.file_sd_configs.iter().flatten() {
                for pattern in &f.files {
                    let files = crate::glob::glob(pattern).unwrap_or_default();
                    for file in files {
                        let groups = read_sd_file(&file).map_err(|e| {
                            ConfigError::invalid(format!("checking SD file {pattern:?}: {e}"))
                        })?;
                        let refs: Vec<&TargetGroup> = groups.iter().collect();
                        check_scrape_groups(sc, &refs)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// promtool's `checkFileExists`: an empty path is fine, otherwise `stat` it.
fn check_file_exists(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Ok(());
    }
    std::fs::metadata(path)
        .map(|_| ())
        .map_err(|e| format!("stat {path}: {}", io_message(&e)))
}

/// Go's wording of the common `stat` errors.
fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// promtool's `checkTLSConfig`.
fn check_tls_files(tls: &TlsConfig, syntax_only: bool) -> Result<(), String> {
    if !tls.cert_file.is_empty() && tls.key_file.is_empty() {
        return Err(format!(
            "client cert file {:?} specified without client key file",
            tls.cert_file
        ));
    }
    if !tls.key_file.is_empty() && tls.cert_file.is_empty() {
        return Err(format!(
            "client key file {:?} specified without client cert file",
            tls.key_file
        ));
    }
    if syntax_only {
        return Ok(());
    }
    check_file_exists(&tls.cert_file)
        .map_err(|e| format!("error checking client cert file {:?}: {e}", tls.cert_file))?;
    check_file_exists(&tls.key_file)
        .map_err(|e| format!("error checking client key file {:?}: {e}", tls.key_file))
}

impl Config {
    /// The file checks of `promtool check config` (skipped parts with
    /// `syntax_only`, as `--syntax-only` does): rule files that are not
    /// globs must exist, and so must scrape jobs' credentials and TLS
    /// client certificate files.
    pub fn check_referenced_files(&self, syntax_only: bool) -> Result<(), ConfigError> {
        let fail = ConfigError::Invalid;
        if !syntax_only {
            for rf in &self.rule_files {
                if rf.contains('*') {
                    continue;
                }
                if !Path::new(rf).exists() {
                    return Err(fail(format!("{rf:?} does not point to an existing file")));
                }
            }
        }
        for sc in &self.scrape_configs {
            if !syntax_only {
                if let Some(a) = &sc.http.authorization {
                    check_file_exists(&a.credentials_file).map_err(|e| {
                        fail(format!(
                            "error checking authorization credentials or bearer token file {:?}: {e}",
                            a.credentials_file
                        ))
                    })?;
                }
            }
            check_tls_files(&sc.http.tls_config, syntax_only).map_err(fail)?;
            for k in sc.sd.kubernetes_sd_configs.iter().flatten() {
                check_tls_files(&k.http.tls_config, syntax_only).map_err(fail)?;
            }
        }
        Ok(())
    }
}
