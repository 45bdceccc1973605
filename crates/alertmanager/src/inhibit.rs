//! Inhibition: an alert matching a rule's target matchers is muted while
//! a firing alert matches the rule's source matchers and has the same
//! values for the rule's `equal` labels (a missing label counts as empty).
//! An alert matching both sides cannot inhibit itself, nor be inhibited by
//! alerts that match both sides, as in Alertmanager.

use crate::alert::{Alert, AlertStore};
use crate::config::InhibitRule;
use crate::matcher::Matchers;

/// A compiled inhibit rule.
#[derive(Debug, Clone)]
pub struct Inhibitor {
    source: Matchers,
    target: Matchers,
    equal: Vec<String>,
}

impl Inhibitor {
    /// Compiles a configured rule.
    pub fn new(rule: &InhibitRule) -> Inhibitor {
        Inhibitor {
            source: rule.source(),
            target: rule.target(),
            equal: rule.equal.clone(),
        }
    }
}

/// Fingerprints of the firing alerts that inhibit `alert` under any rule.
pub fn inhibited_by(rules: &[Inhibitor], alerts: &AlertStore, alert: &Alert, now: i64) -> Vec<u64> {
    let fp = alert.fingerprint();
    let mut out = Vec::new();
    for r in rules {
        if !r.target.matches(&alert.labels) {
            continue;
        }
        let two_sided = r.source.matches(&alert.labels);
        for (sfp, src) in alerts.iter() {
            if *sfp == fp || src.resolved_at(now) || !r.source.matches(&src.labels) {
                continue;
            }
            if two_sided && r.target.matches(&src.labels) {
                continue;
            }
            let equal = r.equal.iter().all(|l| {
                src.labels.get(l).map_or("", String::as_str)
                    == alert.labels.get(l).map_or("", String::as_str)
            });
            if equal && !out.contains(sfp) {
                out.push(*sfp);
            }
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn alert(pairs: &[(&str, &str)], ends_at: i64) -> Alert {
        Alert {
            labels: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: Default::default(),
            starts_at: 1,
            ends_at,
            generator_url: String::new(),
            updated_at: 1,
            timeout: false,
        }
    }

    #[test]
    fn source_mutes_target_with_equal_labels() {
        let cfg = Config::load(
            "route: {receiver: r}\nreceivers: [{name: r}]\ninhibit_rules:\n  - source_matchers: [severity=critical]\n    target_matchers: [severity=warning]\n    equal: [cluster]\n",
        )
        .unwrap();
        let rules: Vec<Inhibitor> = cfg.inhibit_rules.iter().map(Inhibitor::new).collect();
        let mut store = AlertStore::default();
        let src = alert(&[("severity", "critical"), ("cluster", "a")], 0);
        store.put(src.clone(), 5);
        let warn_a = alert(&[("severity", "warning"), ("cluster", "a")], 0);
        let warn_b = alert(&[("severity", "warning"), ("cluster", "b")], 0);
        assert_eq!(
            inhibited_by(&rules, &store, &warn_a, 5),
            [src.fingerprint()]
        );
        assert!(inhibited_by(&rules, &store, &warn_b, 5).is_empty());
        // A resolved source no longer inhibits.
        store.put(alert(&[("severity", "critical"), ("cluster", "a")], 4), 5);
        assert!(inhibited_by(&rules, &store, &warn_a, 5).is_empty());
    }
}
