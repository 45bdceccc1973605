//! What the server asks of the parts it does not own: the scrape manager
//! (targets, scrape pools, metadata), the rule manager (rule groups and
//! their alerts) and the notifier (Alertmanagers). The binary implements
//! these traits over its components; without a provider the endpoints
//! answer as Prometheus does when nothing is configured (empty lists).
//!
//! The structs mirror the JSON of Prometheus' API field for field.

use std::time::SystemTime;

use vigil_model::{Labels, MetricType};

/// Health of a target after its last scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetHealth {
    /// Not scraped yet.
    #[default]
    Unknown,
    /// The last scrape succeeded.
    Up,
    /// The last scrape failed.
    Down,
}

impl TargetHealth {
    /// The JSON word (`up`, `down`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetHealth::Unknown => "unknown",
            TargetHealth::Up => "up",
            TargetHealth::Down => "down",
        }
    }
}

/// A target being scraped (an element of `activeTargets`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActiveTarget {
    /// Labels from service discovery, before relabeling.
    pub discovered_labels: Labels,
    /// Labels after relabeling (attached to every scraped series).
    pub labels: Labels,
    /// The scrape pool (job) it belongs to.
    pub scrape_pool: String,
    /// The URL scraped.
    pub scrape_url: String,
    /// The URL as reachable from outside (`globalUrl`); empty for the same
    /// as `scrape_url`.
    pub global_url: String,
    /// The last scrape's error, empty if it succeeded.
    pub last_error: String,
    /// When it was last scraped (`None` before the first scrape).
    pub last_scrape: Option<SystemTime>,
    /// How long the last scrape took, in seconds.
    pub last_scrape_duration: f64,
    /// Health after the last scrape.
    pub health: TargetHealth,
    /// The scrape interval as configured (`15s`).
    pub scrape_interval: String,
    /// The scrape timeout as configured (`10s`).
    pub scrape_timeout: String,
}

/// A target relabeling dropped (an element of `droppedTargets`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DroppedTarget {
    /// Labels from service discovery.
    pub discovered_labels: Labels,
    /// The scrape pool it was discovered for.
    pub scrape_pool: String,
}

/// Metadata of one metric family as a target exposed it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricMetadata {
    /// The family name.
    pub metric: String,
    /// Its type.
    pub kind: MetricType,
    /// Its help text.
    pub help: String,
    /// Its unit.
    pub unit: String,
}

/// The metadata one active target exposed.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetMetadata {
    /// The target's labels (after relabeling).
    pub target: Labels,
    /// Its families' metadata.
    pub metadata: Vec<MetricMetadata>,
}

/// The scrape manager, as `/api/v1/targets`, `/targets/metadata`,
/// `/metadata` and `/scrape_pools` see it. Calls must be cheap and must
/// not block for long: they run on a blocking thread for each request.
pub trait TargetsProvider: Send + Sync {
    /// Every active target, in any order (the server sorts by pool).
    fn active(&self) -> Vec<ActiveTarget>;
    /// Targets relabeling dropped (the provider may keep only some).
    fn dropped(&self) -> Vec<DroppedTarget>;
    /// Number of dropped targets per pool, counted even when not all
    /// dropped targets are kept; by default counted from
    /// [`TargetsProvider::dropped`].
    fn dropped_counts(&self) -> Vec<(String, usize)> {
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for t in self.dropped() {
            *counts.entry(t.scrape_pool).or_default() += 1;
        }
        counts.into_iter().collect()
    }
    /// Names of the configured scrape pools.
    fn scrape_pools(&self) -> Vec<String>;
    /// Metadata per active target (all families when `metric` is `None`,
    /// else only that family), in target order.
    fn metadata(&self, metric: Option<&str>) -> Vec<TargetMetadata>;
}

/// A rule's health after its last evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleHealth {
    /// Not evaluated yet.
    #[default]
    Unknown,
    /// The last evaluation succeeded.
    Ok,
    /// The last evaluation failed.
    Err,
}

impl RuleHealth {
    /// The JSON word (`ok`, `err`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleHealth::Unknown => "unknown",
            RuleHealth::Ok => "ok",
            RuleHealth::Err => "err",
        }
    }
}

/// An active alert of an alerting rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alert {
    /// The alert's labels.
    pub labels: Labels,
    /// Its annotations (expanded templates).
    pub annotations: Labels,
    /// `pending` or `firing`.
    pub state: String,
    /// Since when it is active.
    pub active_at: Option<SystemTime>,
    /// Since when it keeps firing although its condition cleared.
    pub keep_firing_since: Option<SystemTime>,
    /// The value that triggered it.
    pub value: f64,
}

/// An alerting rule with its state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertingRule {
    /// `inactive`, `pending` or `firing`.
    pub state: String,
    /// The alert name.
    pub name: String,
    /// The expression, as printed.
    pub query: String,
    /// `for`, in seconds.
    pub duration: f64,
    /// `keep_firing_for`, in seconds.
    pub keep_firing_for: f64,
    /// Labels added to the alerts.
    pub labels: Labels,
    /// Annotation templates.
    pub annotations: Labels,
    /// Its active alerts.
    pub alerts: Vec<Alert>,
    /// Health after the last evaluation.
    pub health: RuleHealth,
    /// The last evaluation's error, empty if none.
    pub last_error: String,
    /// Seconds the last evaluation took.
    pub evaluation_time: f64,
    /// When it was last evaluated.
    pub last_evaluation: Option<SystemTime>,
}

/// A recording rule with its state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordingRule {
    /// The recorded series name.
    pub name: String,
    /// The expression, as printed.
    pub query: String,
    /// Labels added to the recorded series.
    pub labels: Labels,
    /// Health after the last evaluation.
    pub health: RuleHealth,
    /// The last evaluation's error, empty if none.
    pub last_error: String,
    /// Seconds the last evaluation took.
    pub evaluation_time: f64,
    /// When it was last evaluated.
    pub last_evaluation: Option<SystemTime>,
}

/// A rule of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// An alerting rule.
    Alerting(AlertingRule),
    /// A recording rule.
    Recording(RecordingRule),
}

impl Rule {
    /// The rule's name (alert name or recorded series).
    pub fn name(&self) -> &str {
        match self {
            Rule::Alerting(r) => &r.name,
            Rule::Recording(r) => &r.name,
        }
    }

    /// The rule's labels.
    pub fn labels(&self) -> &Labels {
        match self {
            Rule::Alerting(r) => &r.labels,
            Rule::Recording(r) => &r.labels,
        }
    }
}

/// A rule group with its rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleGroup {
    /// Group name.
    pub name: String,
    /// The file it was loaded from.
    pub file: String,
    /// Rules in file order.
    pub rules: Vec<Rule>,
    /// Evaluation interval in seconds.
    pub interval: f64,
    /// `limit` of the group (0 for none).
    pub limit: i64,
    /// Seconds the last evaluation of the group took.
    pub evaluation_time: f64,
    /// When the group was last evaluated.
    pub last_evaluation: Option<SystemTime>,
}

/// The rule manager, as `/api/v1/rules` and `/api/v1/alerts` see it.
pub trait RulesProvider: Send + Sync {
    /// Every rule group, in the order the rule files list them.
    fn rule_groups(&self) -> Vec<RuleGroup>;
}

/// The notifier, as `/api/v1/alertmanagers` sees it.
pub trait AlertmanagersProvider: Send + Sync {
    /// URLs of the Alertmanagers alerts are sent to.
    fn active(&self) -> Vec<String>;
    /// URLs of discovered Alertmanagers relabeling dropped.
    fn dropped(&self) -> Vec<String>;
}
