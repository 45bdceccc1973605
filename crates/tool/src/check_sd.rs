//! `vigil tool check service-discovery CONFIG JOB`: the targets a job's
//! service discovery finds, before and after relabeling, as the indented
//! JSON promtool prints (`discoveredLabels`, `labels`, and an `error` that
//! Go renders as `{}` when relabeling fails). Static and file SD configs
//! are read once, synchronously, so the command answers at once instead of
//! waiting out `--timeout` as promtool does; other SD families are listed
//! on stderr as not run.

use std::io::Write;

use vigil_config::{Config, ScrapeConfig};
use vigil_discovery::TargetGroup;
use vigil_discovery::file::FileDiscovery;
use vigil_discovery::group::static_groups;
use vigil_model::Labels;
use vigil_scrape::target::{Populated, discovered_labels, populate_labels};

use crate::query::value::json_string;

/// One target's result.
#[derive(Debug, Clone, PartialEq)]
struct SdResult {
    discovered: Labels,
    labels: Labels,
    failed: bool,
}

/// The results of every target of `groups`, without repeats (as promtool
/// drops equal results).
fn results(cfg: &ScrapeConfig, groups: &[TargetGroup]) -> Vec<SdResult> {
    let mut out: Vec<SdResult> = Vec::new();
    for g in groups {
        for t in &g.targets {
            let discovered = discovered_labels(cfg, t, &g.labels);
            let (labels, failed) = match populate_labels(cfg, t, &g.labels) {
                Ok(Populated::Keep(l)) => (l, false),
                Ok(Populated::Dropped) => (Labels::default(), false),
                Err(_) => (Labels::default(), true),
            };
            let r = SdResult {
                discovered,
                labels,
                failed,
            };
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

fn write_labels(o: &mut String, l: &Labels) {
    if l.iter().next().is_none() {
        o.push_str("{}");
        return;
    }
    o.push_str("{\n");
    let mut first = true;
    for x in l.iter() {
        if !first {
            o.push_str(",\n");
        }
        first = false;
        o.push_str("      ");
        json_string(o, x.name);
        o.push_str(": ");
        json_string(o, x.value);
    }
    o.push_str("\n    }");
}

/// Go's `json.MarshalIndent(results, "", "  ")`.
fn render(results: &[SdResult]) -> String {
    if results.is_empty() {
        return "[]".into();
    }
    let mut o = String::from("[\n");
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            o.push_str(",\n");
        }
        o.push_str("  {\n    \"discoveredLabels\": ");
        write_labels(&mut o, &r.discovered);
        o.push_str(",\n    \"labels\": ");
        write_labels(&mut o, &r.labels);
        if r.failed {
            o.push_str(",\n    \"error\": {}");
        }
        o.push_str("\n  }");
    }
    o.push_str("\n]");
    o
}

/// Runs the check; the exit code.
pub fn check_sd(
    config: &str,
    job: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let cfg = match Config::load_file(config) {
        Ok(c) => c,
        Err(e) => {
            writeln!(err, "Cannot load config {e}")?;
            return Ok(1);
        }
    };
    let Some(sc) = cfg.scrape_configs.iter().find(|s| s.job_name == job) else {
        writeln!(err, "Job {job} not found. Select one of:")?;
        for s in &cfg.scrape_configs {
            writeln!(err, "\t{}", s.job_name)?;
        }
        return Ok(1);
    };
    let mut groups = static_groups(&sc.sd.static_configs);
    for f in sc.sd.file_sd_configs.iter().flatten() {
        let refresh = FileDiscovery::new(f.clone()).refresh();
        for e in &refresh.errors {
            writeln!(err, "{e}")?;
        }
        groups.extend(refresh.groups);
    }
    let others = sc.sd.len() - sc.sd.static_configs.len() - sc.sd.file_sd_configs.len();
    if others > 0 {
        writeln!(
            err,
            "{others} service discovery config(s) of job {job} not run: only static and file SD are checked"
        )?;
    }
    write!(out, "{}", render(&results(sc, &groups)))?;
    Ok(0)
}
