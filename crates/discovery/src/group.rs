//! Target groups: what every provider finds and the manager publishes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use vigil_model::{Labels, LabelsBuilder};

/// The label holding a target's `host:port`.
pub const ADDRESS_LABEL: &str = "__address__";

/// Targets sharing a set of labels, as one provider reported them.
///
/// `source` identifies the group within its provider (`0`, `file.yml:2`,
/// `http://sd/targets:0`, a DNS name) so that a later update of the same
/// source replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetGroup {
    /// Identity of the group within its provider.
    pub source: String,
    /// One label set per target; each holds at least `__address__`.
    pub targets: Vec<Labels>,
    /// Labels common to every target of the group (`__meta_*` included).
    pub labels: Labels,
}

/// What the discovery manager publishes: every job's target groups.
pub type TargetSets = Arc<HashMap<String, Vec<TargetGroup>>>;

impl TargetGroup {
    /// A group from a `static_configs` entry or an SD file entry: each
    /// target becomes `{__address__="<target>"}`, and `extra` labels
    /// (such as `__meta_filepath`) are added to the group's labels.
    pub fn from_config(
        g: &vigil_config::discovery::TargetGroup,
        source: String,
        extra: &[(&str, &str)],
    ) -> TargetGroup {
        TargetGroup {
            source,
            targets: g
                .targets
                .iter()
                .map(|t| Labels::from_pairs(&[(ADDRESS_LABEL, t.as_str())]))
                .collect(),
            labels: group_labels(&g.labels, extra),
        }
    }

    /// The number of targets.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the group has no target.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
}

/// The group labels of a config/file group plus the provider's own.
pub(crate) fn group_labels(labels: &BTreeMap<String, String>, extra: &[(&str, &str)]) -> Labels {
    let mut b = LabelsBuilder::new();
    for (n, v) in labels {
        b.set(n, v);
    }
    for (n, v) in extra {
        b.set(n, v);
    }
    b.build()
}

/// The groups of a job's `static_configs`, sourced by their index as
/// Prometheus does.
pub fn static_groups(list: &[Option<vigil_config::discovery::TargetGroup>]) -> Vec<TargetGroup> {
    list.iter()
        .flatten()
        .enumerate()
        .map(|(i, g)| TargetGroup::from_config(g, i.to_string(), &[]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_group_becomes_address_labels() {
        let g = vigil_config::discovery::TargetGroup {
            targets: vec!["a:1".into(), "b:2".into()],
            labels: [("env".to_string(), "prod".to_string())].into(),
        };
        let tg = TargetGroup::from_config(&g, "f.yml:0".into(), &[("__meta_filepath", "f.yml")]);
        assert_eq!(tg.len(), 2);
        assert_eq!(tg.targets[1].get(ADDRESS_LABEL), Some("b:2"));
        assert_eq!(tg.labels.get("env"), Some("prod"));
        assert_eq!(tg.labels.get("__meta_filepath"), Some("f.yml"));
        let s = static_groups(&[Some(g.clone()), None, Some(g)]);
        assert_eq!(
            s.iter().map(|g| g.source.as_str()).collect::<Vec<_>>(),
            ["0", "1"]
        );
    }
}
