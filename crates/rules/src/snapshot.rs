//! Plain copies of the rule manager's state for the HTTP API:
//! `/api/v1/rules` ([`GroupSnapshot`] with its [`RuleSnapshot`]s) and
//! `/api/v1/alerts` ([`AlertSnapshot`]). Taking one locks each rule only
//! briefly, never for a whole evaluation.

use std::time::{Duration, SystemTime};

use vigil_model::Labels;

use crate::alerting::{Alert, AlertState, AlertingRule};
use crate::group::Group;
use crate::rule::{Health, Rule};

/// An alert as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSnapshot {
    /// Labels.
    pub labels: Labels,
    /// Expanded annotations.
    pub annotations: Labels,
    /// `pending` or `firing`.
    pub state: AlertState,
    /// Since when it is active.
    pub active_at: SystemTime,
    /// Since when it keeps firing although its condition cleared.
    pub keep_firing_since: Option<SystemTime>,
    /// The value that triggered it.
    pub value: f64,
}

/// An alerting rule as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertingRuleSnapshot {
    /// The alert name.
    pub name: String,
    /// The expression, as printed.
    pub query: String,
    /// `for`, in seconds.
    pub duration: f64,
    /// `keep_firing_for`, in seconds.
    pub keep_firing_for: f64,
    /// Label templates.
    pub labels: Labels,
    /// Annotation templates.
    pub annotations: Labels,
    /// The rule's state (its most advanced alert's).
    pub state: AlertState,
    /// Its pending and firing alerts.
    pub alerts: Vec<AlertSnapshot>,
    /// Health after the last evaluation.
    pub health: Health,
    /// The last evaluation's error, empty if none.
    pub last_error: String,
    /// Seconds the last evaluation took.
    pub evaluation_time: f64,
    /// When it was last evaluated.
    pub last_evaluation: Option<SystemTime>,
}

/// A recording rule as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingRuleSnapshot {
    /// The recorded series' name.
    pub name: String,
    /// The expression, as printed.
    pub query: String,
    /// Labels added to the output.
    pub labels: Labels,
    /// Health after the last evaluation.
    pub health: Health,
    /// The last evaluation's error, empty if none.
    pub last_error: String,
    /// Seconds the last evaluation took.
    pub evaluation_time: f64,
    /// When it was last evaluated.
    pub last_evaluation: Option<SystemTime>,
}

/// A rule of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleSnapshot {
    /// An alerting rule.
    Alerting(AlertingRuleSnapshot),
    /// A recording rule.
    Recording(RecordingRuleSnapshot),
}

/// A group as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSnapshot {
    /// Group name.
    pub name: String,
    /// The file it came from.
    pub file: String,
    /// Rules in file order.
    pub rules: Vec<RuleSnapshot>,
    /// Evaluation interval in seconds.
    pub interval: f64,
    /// `limit` (0: none).
    pub limit: i64,
    /// Seconds the last evaluation took.
    pub evaluation_time: f64,
    /// When the group was last evaluated.
    pub last_evaluation: Option<SystemTime>,
}

fn system_time(ms: i64) -> SystemTime {
    let d = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        SystemTime::UNIX_EPOCH + d
    } else {
        SystemTime::UNIX_EPOCH - d
    }
}

pub(crate) fn alert(a: &Alert) -> AlertSnapshot {
    AlertSnapshot {
        labels: a.labels.clone(),
        annotations: a.annotations.clone(),
        state: a.state,
        active_at: system_time(a.active_at),
        keep_firing_since: a.keep_firing_since.map(system_time),
        value: a.value,
    }
}

pub(crate) fn alerting_rule(r: &AlertingRule, rule: &Rule) -> AlertingRuleSnapshot {
    let st = rule.status();
    AlertingRuleSnapshot {
        name: r.name().to_string(),
        query: r.expr().to_string(),
        duration: r.hold_duration() as f64 / 1000.0,
        keep_firing_for: r.keep_firing_for() as f64 / 1000.0,
        labels: r.labels().clone(),
        annotations: r.annotations().clone(),
        state: r.state(),
        alerts: r.active_alerts().iter().map(alert).collect(),
        health: st.health,
        last_error: st.last_error.unwrap_or_default(),
        evaluation_time: st.evaluation_time.as_secs_f64(),
        last_evaluation: st.last_evaluation,
    }
}

pub(crate) fn group(g: &Group) -> GroupSnapshot {
    let rules = g
        .rules()
        .iter()
        .map(|rule| match rule {
            Rule::Alerting(r) => RuleSnapshot::Alerting(alerting_rule(r, rule)),
            Rule::Recording(r) => {
                let st = rule.status();
                RuleSnapshot::Recording(RecordingRuleSnapshot {
                    name: r.name().to_string(),
                    query: r.expr().to_string(),
                    labels: r.labels().clone(),
                    health: st.health,
                    last_error: st.last_error.unwrap_or_default(),
                    evaluation_time: st.evaluation_time.as_secs_f64(),
                    last_evaluation: st.last_evaluation,
                })
            }
        })
        .collect();
    let timing = g.timing();
    GroupSnapshot {
        name: g.name().to_string(),
        file: g.file().to_string(),
        rules,
        interval: g.interval() as f64 / 1000.0,
        limit: g.limit(),
        evaluation_time: timing.evaluation_time.as_secs_f64(),
        last_evaluation: timing.last_evaluation,
    }
}
