//! Rule evaluation and alert delivery inside the server: the rule
//! manager's snapshots as `vigil-web`'s [`RulesProvider`], the notifier as
//! its [`AlertmanagersProvider`], the bridge that hands alerts from rules
//! to the notifier, and service discovery of Alertmanagers.

use std::collections::HashMap;
use std::sync::Arc;

use vigil_config::Config;
use vigil_discovery::{DiscoveryManager, DiscoveryOptions, TargetSets};
use vigil_notifier::{AlertmanagerGroup, Notifier};
use vigil_rules::{
    AlertSnapshot, AlertState, GroupSnapshot, Health, NotifyFn, RuleManager, RuleSnapshot,
    RulesConfig,
};
use vigil_web::{
    Alert, AlertingRule, AlertmanagersProvider, RecordingRule, Rule, RuleGroup, RuleHealth,
    RulesProvider,
};

/// Hands alerts due for sending from the rule manager to the notifier.
pub(crate) fn notify_fn(notifier: Arc<Notifier>) -> NotifyFn {
    Arc::new(move |alerts| {
        notifier.send(
            alerts
                .into_iter()
                .map(|a| vigil_notifier::Alert {
                    labels: a.labels,
                    annotations: a.annotations,
                    starts_at: a.starts_at,
                    ends_at: a.ends_at,
                    generator_url: a.generator_url,
                })
                .collect(),
        );
    })
}

/// What the rule manager needs from a configuration.
pub(crate) fn rules_config(
    config: &Config,
    external_url: &str,
) -> Result<RulesConfig, vigil_rules::LoadError> {
    Ok(RulesConfig {
        interval: config.global.evaluation_interval.as_millis(),
        files: vigil_rules::expand_rule_files(&config.rule_files)?,
        external_labels: external_labels(config),
        external_url: external_url.to_string(),
        default_query_offset: config.global.rule_query_offset.as_millis(),
    })
}

/// `global.external_labels` as a label set.
pub(crate) fn external_labels(config: &Config) -> vigil_model::Labels {
    let pairs: Vec<(&str, &str)> = config
        .global
        .external_labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    vigil_model::Labels::from_pairs(&pairs)
}

/// A discovery manager for the `alerting.alertmanagers` sets, named
/// `notify` in its metrics as in Prometheus.
pub(crate) fn alertmanager_discovery() -> DiscoveryManager {
    DiscoveryManager::new(DiscoveryOptions {
        name: "notify".to_string(),
        ..DiscoveryOptions::default()
    })
}

/// Points Alertmanager discovery at the sets of `config` (`config-<i>`,
/// the keys the notifier uses).
pub(crate) fn apply_alertmanager_discovery(discovery: &DiscoveryManager, config: &Config) {
    let jobs = config
        .alerting
        .alertmanagers
        .iter()
        .enumerate()
        .map(|(i, am)| (format!("config-{i}"), am.sd.clone()))
        .collect::<HashMap<_, _>>();
    discovery.apply_config(&jobs);
}

/// Feeds what Alertmanager discovery publishes to the notifier.
pub(crate) async fn follow_alertmanagers(
    notifier: Arc<Notifier>,
    mut rx: tokio::sync::watch::Receiver<TargetSets>,
) {
    while rx.changed().await.is_ok() {
        let sets = rx.borrow_and_update().clone();
        for (set, groups) in sets.iter() {
            let groups: Vec<AlertmanagerGroup> = groups
                .iter()
                .map(|g| AlertmanagerGroup {
                    targets: g.targets.clone(),
                    labels: g.labels.clone(),
                })
                .collect();
            notifier.set_alertmanagers(set, &groups);
        }
    }
}

/// The rule manager as `/api/v1/rules` and `/api/v1/alerts` see it.
#[derive(Debug)]
pub(crate) struct Rules(pub(crate) Arc<RuleManager>);

fn health(h: Health) -> RuleHealth {
    match h {
        Health::Unknown => RuleHealth::Unknown,
        Health::Ok => RuleHealth::Ok,
        Health::Err => RuleHealth::Err,
    }
}

fn state_word(s: AlertState) -> String {
    s.as_str().to_string()
}

fn alert(a: AlertSnapshot) -> Alert {
    Alert {
        labels: a.labels,
        annotations: a.annotations,
        state: state_word(a.state),
        active_at: Some(a.active_at),
        keep_firing_since: a.keep_firing_since,
        value: a.value,
    }
}

fn group(g: GroupSnapshot) -> RuleGroup {
    RuleGroup {
        name: g.name,
        file: g.file,
        rules: g
            .rules
            .into_iter()
            .map(|r| match r {
                RuleSnapshot::Alerting(a) => Rule::Alerting(AlertingRule {
                    state: state_word(a.state),
                    name: a.name,
                    query: a.query,
                    duration: a.duration,
                    keep_firing_for: a.keep_firing_for,
                    labels: a.labels,
                    annotations: a.annotations,
                    alerts: a.alerts.into_iter().map(alert).collect(),
                    health: health(a.health),
                    last_error: a.last_error,
                    evaluation_time: a.evaluation_time,
                    last_evaluation: a.last_evaluation,
                }),
                RuleSnapshot::Recording(r) => Rule::Recording(RecordingRule {
                    name: r.name,
                    query: r.query,
                    labels: r.labels,
                    health: health(r.health),
                    last_error: r.last_error,
                    evaluation_time: r.evaluation_time,
                    last_evaluation: r.last_evaluation,
                }),
            })
            .collect(),
        interval: g.interval,
        limit: g.limit,
        evaluation_time: g.evaluation_time,
        last_evaluation: g.last_evaluation,
    }
}

impl RulesProvider for Rules {
    fn rule_groups(&self) -> Vec<RuleGroup> {
        self.0.groups().into_iter().map(group).collect()
    }
}

/// The notifier as `/api/v1/alertmanagers` sees it.
#[derive(Debug)]
pub(crate) struct Alertmanagers(pub(crate) Arc<Notifier>);

impl AlertmanagersProvider for Alertmanagers {
    fn active(&self) -> Vec<String> {
        self.0.alertmanagers()
    }

    fn dropped(&self) -> Vec<String> {
        self.0.dropped_alertmanagers()
    }
}
