//! `vigil tool check config FILE…`: promtool's configuration check. A file
//! is loaded as Prometheus loads it (`vigil_config`), then, unless
//! `--syntax-only`, the files it references are checked (rule files,
//! credentials, TLS client files, file-SD target files with their
//! relabeled targets) and its rule files are checked as `check rules`
//! does; lints (`--lint`) flag duplicate rules and scrape intervals at or
//! above the lookback delta.
//!
//! Output and exit codes follow promtool 3.x.

use std::io::Write;

use vigil_config::{Config, ConfigError, LoadOptions};

use crate::check_rules::{RulesLint, RulesVerdict, check_rule_files};

/// Options of `check config`.
#[derive(Debug, Clone, Default)]
pub struct CheckConfigOptions {
    /// `--agent`: check as an agent-mode configuration.
    pub agent: bool,
    /// `--syntax-only`: skip every check of referenced files.
    pub syntax_only: bool,
    /// The rule-file lints and `--lint-fatal`.
    pub rules_lint: RulesLint,
    /// `too-long-scrape-interval` (or `all`): the lookback delta in ms
    /// scrape intervals must stay below; 0 disables the lint.
    pub lookback_delta: i64,
}

impl CheckConfigOptions {
    /// Applies promtool's `--lint` value for configurations: `all`,
    /// `duplicate-rules`, `too-long-scrape-interval`, `none`
    /// (comma-separated); `lookback` is `--query.lookback-delta` in ms.
    pub fn set_lint(
        &mut self,
        value: &str,
        lookback: i64,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let mut rules = Vec::new();
        let mut none = false;
        self.lookback_delta = 0;
        for option in value.split(',') {
            match option {
                "all" => {
                    self.lookback_delta = lookback;
                    rules.push("all");
                }
                "too-long-scrape-interval" => self.lookback_delta = lookback,
                "none" => none = true,
                other => rules.push(other),
            }
        }
        if none {
            self.lookback_delta = 0;
            rules.clear();
        }
        let (fatal, ignore) = (self.rules_lint.fatal, self.rules_lint.ignore_unknown_fields);
        self.rules_lint = RulesLint::parse(&rules.join(","), out)?;
        self.rules_lint.fatal = fatal;
        self.rules_lint.ignore_unknown_fields = ignore;
        Ok(())
    }
}

/// Checks every file, printing promtool's report; the exit code.
pub fn check_config(
    files: &[String],
    opts: &CheckConfigOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let mut v = RulesVerdict::default();
    for f in files {
        writeln!(out, "Checking {f}")?;
        let checked = match load_and_check(f, opts, out)? {
            Ok(c) => {
                if !c.1.is_empty() {
                    writeln!(out, "  SUCCESS: {} rule files found", c.1.len())?;
                }
                writeln!(out, " SUCCESS: {f} is valid prometheus config file syntax")?;
                Some(c)
            }
            Err(e) => {
                writeln!(err, "  FAILED: {e}")?;
                v.failed = true;
                v.has_errors = true;
                None
            }
        };
        writeln!(out)?;
        if opts.syntax_only {
            continue;
        }
        let Some((cfg, rule_files)) = checked else {
            continue;
        };
        if opts.lookback_delta > 0 {
            let too_long = cfg
                .scrape_configs
                .iter()
                .find(|sc| sc.scrape_interval.to_std().as_millis() >= opts.lookback_delta as u128);
            if let Some(sc) = too_long {
                writeln!(
                    err,
                    "  FAILED: too long scrape interval found, data point will be marked as stale - job: {}, interval: {}",
                    sc.job_name, sc.scrape_interval
                )?;
                v.failed = true;
            }
        }
        let r = check_rule_files(&rule_files, &opts.rules_lint, out, err)?;
        v.failed |= r.failed;
        v.has_errors |= r.has_errors;
    }
    Ok(v.exit_code(opts.rules_lint.fatal))
}

/// Loads `path` and runs promtool's checks; the config and its rule files.
fn load_and_check(
    path: &str,
    opts: &CheckConfigOptions,
    out: &mut dyn Write,
) -> std::io::Result<Result<(Config, Vec<String>), ConfigError>> {
    let load = LoadOptions {
        agent: opts.agent,
        env: None,
    };
    let cfg = match Config::load_file_with(path, &load) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    if let Err(e) = cfg.check_referenced_files(opts.syntax_only) {
        return Ok(Err(e));
    }
    let mut rule_files = Vec::new();
    if !opts.syntax_only {
        for rf in &cfg.rule_files {
            match vigil_rules::expand_rule_files(std::slice::from_ref(rf)) {
                Ok(found) => rule_files.extend(found),
                Err(e) => return Ok(Err(ConfigError::Invalid(e.to_string()))),
            }
        }
    }
    if let Err(e) = cfg.check_static_targets() {
        return Ok(Err(e));
    }
    if !opts.syntax_only {
        // promtool only warns about file-SD patterns that match nothing.
        for sc in &cfg.scrape_configs {
            for fsd in sc.sd.file_sd_configs.iter().flatten() {
                for pattern in &fsd.files {
                    if !matches_any(pattern) {
                        writeln!(
                            out,
                            "  WARNING: file {pattern:?} for file_sd in scrape job {:?} does not exist",
                            sc.job_name
                        )?;
                    }
                }
            }
        }
        for am in &cfg.alerting.alertmanagers {
            for fsd in am.sd.file_sd_configs.iter().flatten() {
                for pattern in &fsd.files {
                    if !matches_any(pattern) {
                        writeln!(
                            out,
                            "  WARNING: file {pattern:?} for file_sd in alertmanager config does not exist"
                        )?;
                    }
                }
            }
        }
        if let Err(e) = cfg.check_sd_files() {
            return Ok(Err(e));
        }
    }
    Ok(Ok((cfg, rule_files)))
}

/// Whether a file-SD pattern (Go glob) names at least one file.
fn matches_any(pattern: &str) -> bool {
    vigil_rules::expand_rule_files(&[pattern.to_string()]).is_ok_and(|f| !f.is_empty())
}
