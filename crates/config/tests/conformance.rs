//! Loads every upstream test configuration (`config/testdata` and the
//! `check config` inputs of promtool) and compares Vigil's verdict with
//! Prometheus': `*.good.yml` must load, `*.bad.yml` must be refused, and
//! for bad files listed in upstream's `config_test.go` table the error must
//! contain upstream's message.

use std::path::{Path, PathBuf};

use vigil_config::{Config, LoadOptions};

fn conformance_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("conformance data missing at {}", dir.display());
    }
    println!("skipped: conformance data not found at {}", dir.display());
    None
}

/// Upstream's expected error fragments (`expectedErrors` in
/// `config/config_test.go`) for bad files whose text we check.
const EXPECTED: &[(&str, &str)] = &include!("expected_errors.in");

/// How upstream's tests judge a file: `(must load, load in agent mode)`.
///
/// Besides `*.good.yml` / `*.bad.yml`:
/// - `agent_mode.*` are loaded with `--agent` (upstream's `TestAgentMode`):
///   `agent_mode.good.yml` and `agent_mode.without_remote_writes.yml` load,
///   the `with_*` ones are refused.
/// - `*.incompatible.yml` are refused (`TestOTLPAllowUTF8`).
/// - `config_with_deprecated_am_api_config.yml` (Alertmanager API v1) is
///   refused by Prometheus 3.
/// - `otlp_empty.yml` and the `scrape_config_*validation_mode.yml` /
///   `*_infer_escaping.yml` files load (upstream checks their defaults).
/// - `rules_abs_path_windows.good.yml` is skipped: upstream loads it only on
///   Windows, where `c:\…` is an absolute path.
fn verdict(name: &str) -> Option<(bool, bool)> {
    match name {
        "rules_abs_path_windows.good.yml" => None,
        "agent_mode.good.yml" | "agent_mode.without_remote_writes.yml" => Some((true, true)),
        "config_with_deprecated_am_api_config.yml" => Some((false, false)),
        "otlp_empty.yml" => Some((true, false)),
        n if n.starts_with("agent_mode.with_") => Some((false, true)),
        n if n.ends_with(".incompatible.yml") => Some((false, false)),
        n if n.starts_with("scrape_config_")
            && (n.ends_with("validation_mode.yml") || n.ends_with("infer_escaping.yml")) =>
        {
            Some((true, false))
        }
        n if n.ends_with(".good.yml") => Some((true, false)),
        n if n.ends_with(".bad.yml") => Some((false, false)),
        _ => None,
    }
}

/// The configurations among promtool's test data and what `promtool check
/// config` (without `--syntax-only`) says about them (`cmd/promtool/main_test.go`).
fn promtool_verdict(name: &str) -> Option<(bool, bool)> {
    match name {
        "prometheus-config.good.yml"
        | "prometheus-config.lint.yml"
        | "prometheus-config.lint.too_long_scrape_interval.yml"
        | "prometheus-aws-sd-empty-region.good.yml"
        | "authorization_credentials_file.good.yml"
        | "config_with_service_discovery_files.yml"
        | "url_in_alert_targetgroup_with_relabel_config.good.yml"
        | "url_in_scrape_targetgroup_with_relabel_config.good.yml" => Some((true, false)),
        "prometheus-config.bad.yml"
        | "authorization_credentials_file.bad.yml"
        | "config_with_rule_files.yml"
        | "config_with_tls_files.yml"
        | "url_in_alert_targetgroup_with_relabel_config.bad.yml"
        | "url_in_scrape_targetgroup_with_relabel_config.bad.yml" => Some((false, false)),
        _ => None,
    }
}

struct Tally {
    accepted: usize,
    refused: usize,
    messages_checked: usize,
    messages_matched: usize,
    failures: Vec<String>,
}

fn check_dir(dir: &Path, tally: &mut Tally, only_configs: bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        let judged = if only_configs {
            promtool_verdict(&name)
        } else {
            verdict(&name)
        };
        let Some((good, agent)) = judged else {
            continue;
        };
        let opts = LoadOptions {
            agent,
            ..LoadOptions::default()
        };
        // promtool additionally relabels static targets and checks addresses.
        let loaded = Config::load_file_with(&path, &opts).and_then(|c| {
            if only_configs {
                c.check_static_targets()?;
                c.check_referenced_files(false)?;
                c.check_sd_files()?;
            }
            Ok(c)
        });
        match (loaded, good) {
            (Ok(_), true) => tally.accepted += 1,
            (Err(e), false) => {
                tally.refused += 1;
                if let Some((_, want)) = EXPECTED.iter().find(|(f, _)| *f == name) {
                    tally.messages_checked += 1;
                    let got = e.to_string();
                    // Upstream's test loads `testdata/<file>`; we load by full path.
                    let want = want.replace("testdata/", &format!("{}/", dir.display()));
                    if got.contains(&want) {
                        tally.messages_matched += 1;
                    } else {
                        println!("message differs: {name}\n  want: {want}\n  got:  {got}");
                    }
                }
            }
            (Ok(_), false) => tally
                .failures
                .push(format!("{name}: accepted, Prometheus refuses it")),
            (Err(e), true) => tally.failures.push(format!("{name}: refused: {e}")),
        }
    }
}

#[test]
fn upstream_configs_agree() {
    let Some(root) = conformance_dir() else {
        return;
    };
    let mut tally = Tally {
        accepted: 0,
        refused: 0,
        messages_checked: 0,
        messages_matched: 0,
        failures: Vec::new(),
    };
    check_dir(&root.join("config"), &mut tally, false);
    println!(
        "config/: accepted {} good, refused {} bad",
        tally.accepted, tally.refused
    );
    let (a, r) = (tally.accepted, tally.refused);
    check_dir(&root.join("promtool"), &mut tally, true);
    println!(
        "promtool/: accepted {} good, refused {} bad",
        tally.accepted - a,
        tally.refused - r
    );
    println!(
        "accepted {} good, refused {} bad; upstream error messages matched {}/{}",
        tally.accepted, tally.refused, tally.messages_matched, tally.messages_checked
    );
    for f in &tally.failures {
        println!("DISAGREE {f}");
    }
    assert!(
        tally.failures.is_empty(),
        "{} disagreements",
        tally.failures.len()
    );
}

/// Truncating any input anywhere yields a config or an error, never a panic.
#[test]
fn truncated_inputs_never_panic() {
    let Some(root) = conformance_dir() else {
        return;
    };
    let dir = root.join("config");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let len = text.len();
        for cut in [
            len / 7,
            len / 5,
            len / 3,
            len / 2,
            2 * len / 3,
            len * 9 / 10,
            len.saturating_sub(1),
        ] {
            let cut = (0..=cut)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            let _ = Config::load(text.get(..cut).unwrap_or(""), &dir);
            n += 1;
        }
    }
    println!("loaded {n} truncated inputs");
}

/// Every good file, printed as `/api/v1/status/config` would, loads again
/// to the same configuration (upstream's `TestYAMLRoundtrip`, for all files).
#[test]
fn printed_configs_load_again() {
    let Some(root) = conformance_dir() else {
        return;
    };
    let dir = root.join("config");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut n = 0;
    let mut failures = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !matches!(verdict(&name), Some((true, _))) {
            continue;
        }
        let opts = LoadOptions {
            agent: name.starts_with("agent_mode"),
            ..LoadOptions::default()
        };
        let Ok(cfg) = Config::load_file_with(e.path(), &opts) else {
            continue;
        };
        let printed = cfg.to_yaml();
        match Config::load_with(&printed, &dir, &opts) {
            Ok(again) => {
                n += 1;
                // External labels are expanded from the environment on every
                // load (`$$` becomes `$`), so that file cannot print stably.
                let stable = name != "external_labels.good.yml";
                if again.scrape_configs.len() != cfg.scrape_configs.len()
                    || (stable && again.to_yaml() != printed)
                {
                    failures.push(format!("{name}: printed config differs after reloading"));
                }
            }
            Err(err) => failures.push(format!("{name}: {err}\n{printed}")),
        }
    }
    println!("{n} printed configs loaded again");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Deterministic mutations of the upstream files (characters YAML and our
/// parsers care about, inserted, replaced or deleted) must load or fail,
/// never panic.
#[test]
fn mutated_inputs_never_panic() {
    let Some(root) = conformance_dir() else {
        return;
    };
    let dir = root.join("config");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let texts: Vec<String> = entries
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    const PIECES: &[&str] = &[
        ":",
        "-",
        " ",
        "\n",
        "[",
        "]",
        "{",
        "}",
        "'",
        "\"",
        "&a",
        "*a",
        "<<: *a",
        "!!binary /w==",
        "!!str",
        "$",
        "${1}",
        "(",
        ")",
        "\\",
        "0",
        "-1",
        "1e400",
        "99999999999999999999",
        "null",
        "~",
        "\t",
        "#",
        "é",
        "a{1001}",
        "%zz",
        "://",
        "?",
        "|",
        ">",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // `MUTATIONS=2000` for a longer hunt; CI runs a quick round.
    let rounds: usize = std::env::var("MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let mut n = 0;
    for text in &texts {
        for _ in 0..rounds {
            let mut t = text.clone();
            for _ in 0..1 + next() % 3 {
                let len = t.len().max(1);
                let mut at = (next() as usize) % len;
                while at > 0 && !t.is_char_boundary(at) {
                    at -= 1;
                }
                let piece = PIECES[(next() as usize) % PIECES.len()];
                match next() % 3 {
                    0 => t.insert_str(at, piece),
                    1 => {
                        let mut end = (at + 1 + (next() as usize) % 8).min(t.len());
                        while end < t.len() && !t.is_char_boundary(end) {
                            end += 1;
                        }
                        t.replace_range(at..end, piece);
                    }
                    _ => {
                        let mut end = (at + (next() as usize) % 16).min(t.len());
                        while end < t.len() && !t.is_char_boundary(end) {
                            end += 1;
                        }
                        t.replace_range(at..end, "");
                    }
                }
            }
            if let Ok(c) = Config::load(&t, &dir) {
                let _ = c.to_yaml();
                let _ = c.check_static_targets();
            }
            n += 1;
        }
    }
    println!("loaded {n} mutated inputs");
}

/// Upstream's `TestScrapeConfigNameValidationSettings` and
/// `TestScrapeConfigNameEscapingSettings`.
#[test]
fn name_validation_and_escaping_settings() {
    let Some(root) = conformance_dir() else {
        return;
    };
    for (file, scheme, escaping) in [
        (
            "scrape_config_default_validation_mode",
            "utf8",
            "allow-utf-8",
        ),
        ("scrape_config_global_validation_mode", "legacy", "dots"),
        ("scrape_config_local_validation_mode", "legacy", "values"),
        ("scrape_config_local_global_validation_mode", "utf8", "dots"),
        (
            "scrape_config_local_infer_escaping",
            "legacy",
            "underscores",
        ),
    ] {
        let c = Config::load_file(root.join("config").join(format!("{file}.yml")))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let sc = &c.scrape_configs[0];
        assert_eq!(
            (
                sc.metric_name_validation_scheme.as_str(),
                sc.metric_name_escaping_scheme.as_str()
            ),
            (scheme, escaping),
            "{file}"
        );
    }
}

/// Upstream's `TestGetScrapeConfigs` expectations for the histogram,
/// protocol and extra-metrics switches: `(file, native histograms, always
/// scrape classic, convert to NHCB, extra metrics, protocols)`.
#[test]
fn scrape_switches_inherit_as_upstream() {
    let Some(root) = conformance_dir() else {
        return;
    };
    const DEFAULT: &[&str] = &[
        "OpenMetricsText1.0.0",
        "OpenMetricsText0.0.1",
        "PrometheusText1.0.0",
        "PrometheusText0.0.4",
    ];
    const PROTO_FIRST: &[&str] = &[
        "PrometheusProto",
        "OpenMetricsText1.0.0",
        "OpenMetricsText0.0.1",
        "PrometheusText1.0.0",
        "PrometheusText0.0.4",
    ];
    const TEXT: &[&str] = &["PrometheusText0.0.4"];
    /// `(file, native, classic, nhcb, extra, protocols)`.
    type Case = (
        &'static str,
        bool,
        bool,
        bool,
        bool,
        &'static [&'static str],
    );
    let cases: &[Case] = &[
        (
            "global_convert_classic_hist_to_nhcb",
            false,
            false,
            true,
            false,
            DEFAULT,
        ),
        (
            "local_disable_convert_classic_hist_to_nhcb",
            false,
            false,
            false,
            false,
            DEFAULT,
        ),
        (
            "local_convert_classic_hist_to_nhcb",
            false,
            false,
            true,
            false,
            DEFAULT,
        ),
        (
            "global_enable_always_scrape_classic_hist",
            false,
            true,
            false,
            false,
            DEFAULT,
        ),
        (
            "global_disable_always_scrape_classic_hist",
            false,
            false,
            false,
            false,
            DEFAULT,
        ),
        (
            "local_enable_always_scrape_classic_hist",
            false,
            true,
            false,
            false,
            DEFAULT,
        ),
        (
            "local_disable_always_scrape_classic_hist",
            false,
            false,
            false,
            false,
            DEFAULT,
        ),
        (
            "global_enable_scrape_native_hist",
            true,
            false,
            false,
            false,
            PROTO_FIRST,
        ),
        (
            "global_enable_scrape_native_hist_and_scrape_protocols",
            true,
            false,
            false,
            false,
            TEXT,
        ),
        (
            "local_enable_scrape_native_hist",
            true,
            false,
            false,
            false,
            PROTO_FIRST,
        ),
        (
            "local_enable_scrape_native_hist_and_scrape_protocols",
            true,
            false,
            false,
            false,
            TEXT,
        ),
        (
            "local_disable_scrape_native_hist",
            false,
            false,
            false,
            false,
            DEFAULT,
        ),
        (
            "global_scrape_protocols_and_local_disable_scrape_native_hist",
            false,
            false,
            false,
            false,
            TEXT,
        ),
        (
            "global_enable_extra_scrape_metrics",
            false,
            false,
            false,
            true,
            DEFAULT,
        ),
        (
            "global_disable_extra_scrape_metrics",
            false,
            false,
            false,
            false,
            DEFAULT,
        ),
        (
            "local_enable_extra_scrape_metrics",
            false,
            false,
            false,
            true,
            DEFAULT,
        ),
        (
            "local_disable_extra_scrape_metrics",
            false,
            false,
            false,
            false,
            DEFAULT,
        ),
    ];
    for (file, native, classic, nhcb, extra, protocols) in cases {
        let c = Config::load_file(root.join("config").join(format!("{file}.good.yml")))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let sc = &c.scrape_configs[0];
        let got = (
            sc.scrape_native_histograms,
            sc.always_scrape_classic_histograms,
            sc.convert_classic_histograms_to_nhcb,
            sc.extra_scrape_metrics,
        );
        assert_eq!(
            got,
            (Some(*native), Some(*classic), Some(*nhcb), Some(*extra)),
            "{file}"
        );
        assert_eq!(
            sc.scrape_protocols.as_deref(),
            Some(
                &protocols
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect::<Vec<_>>()[..]
            ),
            "{file}"
        );
        assert_eq!(
            (
                sc.scrape_interval.to_string(),
                sc.scrape_timeout.to_string()
            ),
            ("1m".to_owned(), "10s".to_owned()),
            "{file}"
        );
    }
}

/// Upstream's `TestElideSecrets`: no secret of `conf.good.yml` survives
/// printing, whichever section or SD family holds it.
#[test]
fn printed_conf_good_elides_secrets() {
    let Some(root) = conformance_dir() else {
        return;
    };
    let c = Config::load_file(root.join("config/conf.good.yml")).expect("conf.good.yml loads");
    let printed = c.to_yaml();
    for secret in ["mysecret", "testAppSecret", "multiline"] {
        assert!(!printed.contains(secret), "{secret} printed");
    }
    // Upstream counts 29 masked secrets in the same file.
    assert_eq!(printed.matches("<secret>").count(), 29, "{printed}");
}

/// promtool's `TestCheckSDFile`: target group files by extension.
#[test]
fn sd_files_as_promtool_reads_them() {
    use vigil_config::discovery::read_sd_file;
    let Some(root) = conformance_dir() else {
        return;
    };
    let dir = root.join("promtool");
    for good in ["good-sd-file.yml", "good-sd-file.yaml", "good-sd-file.json"] {
        let groups = read_sd_file(&dir.join(good)).unwrap_or_else(|e| panic!("{good}: {e}"));
        assert!(!groups.is_empty(), "{good}");
        assert!(
            groups
                .iter()
                .any(|g| g.targets.iter().any(|t| t == "localhost:9100")),
            "{good}"
        );
    }
    let e = read_sd_file(&dir.join("bad-sd-file-extension.nonexistent")).expect_err("extension");
    assert_eq!(e.to_string(), r#"invalid file extension: ".nonexistent""#);
    let e = read_sd_file(&dir.join("bad-sd-file-format.yml")).expect_err("typo");
    let want = "yaml: unmarshal errors:\n  line 1: field targats not found in type struct { Targets []string \"yaml:\\\"targets\\\"\"; Labels model.LabelSet \"yaml:\\\"labels\\\"\" }";
    // Upstream's message carries a line number, which ours (decoded per entry) does not.
    let want = want.replace("line 1: ", "");
    assert_eq!(e.to_string(), want);
}
