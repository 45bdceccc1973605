//! The rule manager's own metrics (Prometheus' `rules.Metrics`): counters
//! and gauges per group, labelled `rule_group="<file>;<group>"`, and the
//! rule and group evaluation durations as summaries without quantiles
//! (count and sum). [`Metrics::families`] renders them for `/metrics`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use vigil_exposition::{FamilySample, MetricFamily};
use vigil_model::MetricType;

use crate::rule::lock;

/// The values kept per group.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct GroupValues {
    pub(crate) evaluations: u64,
    pub(crate) failures: u64,
    pub(crate) iterations: u64,
    pub(crate) missed: u64,
    pub(crate) interval_seconds: f64,
    pub(crate) last_evaluation_seconds: f64,
    pub(crate) last_duration_seconds: f64,
    pub(crate) last_rule_duration_sum_seconds: f64,
    pub(crate) last_restore_duration_seconds: f64,
    pub(crate) rules: usize,
    pub(crate) samples: usize,
}

#[derive(Debug, Default, Clone, Copy)]
struct SummaryValues {
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Inner {
    groups: BTreeMap<String, GroupValues>,
    rule_duration: SummaryValues,
    group_duration: SummaryValues,
}

/// Metrics of every group of a rule manager.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    /// Changes the values of group `key` (created at zero if new).
    pub(crate) fn group(&self, key: &str, f: impl FnOnce(&mut GroupValues)) {
        let mut g = lock(&self.inner);
        f(g.groups.entry(key.to_string()).or_default());
    }

    /// Forgets a group that is gone.
    pub(crate) fn remove_group(&self, key: &str) {
        lock(&self.inner).groups.remove(key);
    }

    /// Records one rule evaluation's duration.
    pub(crate) fn observe_rule(&self, seconds: f64) {
        let mut g = lock(&self.inner);
        g.rule_duration.count += 1;
        g.rule_duration.sum += seconds;
    }

    /// Records one group evaluation's duration.
    pub(crate) fn observe_group(&self, seconds: f64) {
        let mut g = lock(&self.inner);
        g.group_duration.count += 1;
        g.group_duration.sum += seconds;
    }

    /// A copy of a group's values (for tests and snapshots).
    pub(crate) fn group_values(&self, key: &str) -> Option<GroupValues> {
        lock(&self.inner).groups.get(key).cloned()
    }

    /// Every metric as exposition families.
    pub fn families(&self) -> Vec<MetricFamily> {
        let g = lock(&self.inner);
        type Get = fn(&GroupValues) -> f64;
        let per_group: [(&str, MetricType, &str, Get); 11] = [
            (
                "prometheus_rule_evaluations_total",
                MetricType::Counter,
                "The total number of rule evaluations.",
                |v| v.evaluations as f64,
            ),
            (
                "prometheus_rule_evaluation_failures_total",
                MetricType::Counter,
                "The total number of rule evaluation failures.",
                |v| v.failures as f64,
            ),
            (
                "prometheus_rule_group_iterations_total",
                MetricType::Counter,
                "The total number of scheduled rule group evaluations, whether executed or missed.",
                |v| v.iterations as f64,
            ),
            (
                "prometheus_rule_group_iterations_missed_total",
                MetricType::Counter,
                "The total number of rule group evaluations missed due to slow rule group evaluation.",
                |v| v.missed as f64,
            ),
            (
                "prometheus_rule_group_interval_seconds",
                MetricType::Gauge,
                "The interval of a rule group.",
                |v| v.interval_seconds,
            ),
            (
                "prometheus_rule_group_last_evaluation_timestamp_seconds",
                MetricType::Gauge,
                "The timestamp of the last rule group evaluation in seconds.",
                |v| v.last_evaluation_seconds,
            ),
            (
                "prometheus_rule_group_last_duration_seconds",
                MetricType::Gauge,
                "The duration of the last rule group evaluation.",
                |v| v.last_duration_seconds,
            ),
            (
                "prometheus_rule_group_last_rule_duration_sum_seconds",
                MetricType::Gauge,
                "The sum of time in seconds it took to evaluate each rule in the group regardless of concurrency.",
                |v| v.last_rule_duration_sum_seconds,
            ),
            (
                "prometheus_rule_group_last_restore_duration_seconds",
                MetricType::Gauge,
                "The duration of the last alert rules alerts restoration using the `ALERTS_FOR_STATE` series.",
                |v| v.last_restore_duration_seconds,
            ),
            (
                "prometheus_rule_group_rules",
                MetricType::Gauge,
                "The number of rules.",
                |v| v.rules as f64,
            ),
            (
                "prometheus_rule_group_last_evaluation_samples",
                MetricType::Gauge,
                "The number of samples returned during the last rule group evaluation.",
                |v| v.samples as f64,
            ),
        ];
        let mut out = Vec::new();
        for (name, kind, help, get) in per_group {
            let samples = g
                .groups
                .iter()
                .map(|(key, v)| FamilySample::float(name, &[("rule_group", key)], get(v)))
                .collect();
            out.push(MetricFamily::with_samples(name, kind, help, samples));
        }
        for (name, help, s) in [
            (
                "prometheus_rule_evaluation_duration_seconds",
                "The duration for a rule to execute.",
                g.rule_duration,
            ),
            (
                "prometheus_rule_group_duration_seconds",
                "The duration of rule group evaluations.",
                g.group_duration,
            ),
        ] {
            out.push(MetricFamily::with_samples(
                name,
                MetricType::Summary,
                help,
                vec![
                    FamilySample::float(&format!("{name}_sum"), &[], s.sum),
                    FamilySample::float(&format!("{name}_count"), &[], s.count as f64),
                ],
            ));
        }
        out
    }
}
