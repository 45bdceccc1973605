//! Alertmanagers from discovered targets (Prometheus'
//! `notifier/alertmanager.go`): each target's labels, with `__scheme__`
//! and `__alerts_path__` set from the `alertmanagers` entry and the
//! group's labels filled in, go through the entry's `relabel_configs`;
//! what survives is an Alertmanager at
//! `<__scheme__>://<__address__><__alerts_path__>`, what is dropped is
//! listed as a dropped Alertmanager.

use vigil_config::AlertmanagerConfig;
use vigil_config::relabel::process_builder;
use vigil_model::{Labels, LabelsBuilder};

/// The label holding an Alertmanager's push path.
pub const PATH_LABEL: &str = "__alerts_path__";
/// The label holding the scheme.
pub const SCHEME_LABEL: &str = "__scheme__";
/// The label holding `host:port`.
pub const ADDRESS_LABEL: &str = "__address__";

/// A group of discovered Alertmanager targets, as service discovery
/// reports it (each target holds at least `__address__`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertmanagerGroup {
    /// One label set per target.
    pub targets: Vec<Labels>,
    /// Labels common to the group's targets (a target's own win).
    pub labels: Labels,
}

impl AlertmanagerGroup {
    /// The groups of an entry's `static_configs`.
    pub fn from_static(cfg: &AlertmanagerConfig) -> Vec<AlertmanagerGroup> {
        cfg.sd
            .static_configs
            .iter()
            .flatten()
            .map(|g| {
                let pairs: Vec<(&str, &str)> = g
                    .labels
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                AlertmanagerGroup {
                    targets: g
                        .targets
                        .iter()
                        .map(|t| Labels::from_pairs(&[(ADDRESS_LABEL, t.as_str())]))
                        .collect(),
                    labels: Labels::from_pairs(&pairs),
                }
            })
            .collect()
    }
}

/// The push path for a prefix and API version: `/<prefix>/api/<v>/alerts`
/// with slashes cleaned as Go's `path.Join` cleans them.
pub fn post_path(prefix: &str, api_version: &str) -> String {
    let joined = format!("/{prefix}/api/{api_version}/alerts");
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The URL an Alertmanager's labels name.
pub fn url_of(labels: &Labels) -> String {
    format!(
        "{}://{}{}",
        labels.get(SCHEME_LABEL).unwrap_or(""),
        labels.get(ADDRESS_LABEL).unwrap_or(""),
        labels.get(PATH_LABEL).unwrap_or("")
    )
}

/// The Alertmanagers of a group, kept and dropped (each as its labels,
/// the dropped ones before relabeling), or an error naming a bad address.
pub fn alertmanagers_from_group(
    group: &AlertmanagerGroup,
    cfg: &AlertmanagerConfig,
) -> Result<(Vec<Labels>, Vec<Labels>), String> {
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    let path = post_path(&cfg.path_prefix, &cfg.api_version);
    for target in &group.targets {
        let mut b = LabelsBuilder::new();
        for l in target.iter() {
            b.set(l.name, l.value);
        }
        b.set(SCHEME_LABEL, &cfg.scheme);
        b.set(PATH_LABEL, &path);
        for l in group.labels.iter() {
            if target.get(l.name).is_none() {
                b.set(l.name, l.value);
            }
        }
        let before = b.build();
        if !process_builder(&mut b, &cfg.relabel_configs) {
            dropped.push(before);
            continue;
        }
        let labels = b.build();
        let addr = labels.get(ADDRESS_LABEL).unwrap_or("");
        if addr.contains('/') {
            return Err(format!("{addr:?} is not a valid hostname"));
        }
        kept.push(labels);
    }
    Ok((kept, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(yaml: &str) -> AlertmanagerConfig {
        let c = vigil_config::Config::load(yaml, std::path::Path::new(".")).expect("config");
        c.alerting.alertmanagers.into_iter().next().expect("one")
    }

    #[test]
    fn paths() {
        assert_eq!(post_path("", "v2"), "/api/v2/alerts");
        assert_eq!(post_path("/am/", "v2"), "/am/api/v2/alerts");
        assert_eq!(post_path("a/b", "v2"), "/a/b/api/v2/alerts");
    }

    #[test]
    fn relabeled_targets() {
        let c = cfg(r#"
alerting:
  alertmanagers:
    - path_prefix: /pre
      static_configs:
        - targets: ["am1:9093", "am2:9093"]
          labels: {dc: eu}
      relabel_configs:
        - source_labels: [__address__]
          regex: am2.*
          action: drop
"#);
        let groups = AlertmanagerGroup::from_static(&c);
        let (kept, dropped) = alertmanagers_from_group(&groups[0], &c).expect("ok");
        assert_eq!(kept.len(), 1);
        assert_eq!(url_of(&kept[0]), "http://am1:9093/pre/api/v2/alerts");
        assert_eq!(kept[0].get("dc"), Some("eu"));
        assert_eq!(url_of(&dropped[0]), "http://am2:9093/pre/api/v2/alerts");
        let bad = AlertmanagerGroup {
            targets: vec![Labels::from_pairs(&[(ADDRESS_LABEL, "h/x")])],
            labels: Labels::empty(),
        };
        assert!(alertmanagers_from_group(&bad, &c).is_err());
    }
}
