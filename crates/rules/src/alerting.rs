//! Alerting rules and the alert state machine (Prometheus'
//! `rules/alerting.go`).
//!
//! Each evaluation runs the expression; every output sample is an alert
//! whose labels are the sample's (without `__name__`) plus the rule's
//! expanded label templates and `alertname`. A new alert is *pending*; it
//! turns *firing* once it has been active for the rule's `for`; when it
//! leaves the result it becomes *inactive* (resolved) — unless it fires
//! and `keep_firing_for` holds it — and is kept 15 minutes so that the
//! resolution can be resent. Pending alerts that leave are forgotten.
//! Each evaluation also yields the `ALERTS` and `ALERTS_FOR_STATE` samples
//! of every pending or firing alert, once the rule's `for` state has been
//! restored (see [`crate::group`]).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use vigil_model::{Labels, LabelsBuilder};
use vigil_promql::value::Sample;
use vigil_template::{Context, Value, expand_alert_template};

use crate::alert_template::{labels_map, sample_value, template_data};
use crate::error::EvalError;
use crate::rule::{Querier, RuleStatus, lock};

/// The series holding every pending and firing alert.
pub const ALERT_METRIC_NAME: &str = "ALERTS";
/// The series holding each active alert's start (seconds), read back to
/// restore `for` state after a restart.
pub const ALERT_FOR_STATE_METRIC_NAME: &str = "ALERTS_FOR_STATE";
/// How long a resolved alert is kept (and resent) after it resolved.
pub const RESOLVED_RETENTION_MS: i64 = 15 * 60 * 1000;

/// The state of an alert, or of a rule (its most advanced alert's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertState {
    /// A rule that has not been evaluated yet.
    Unknown,
    /// Resolved, or a rule without active alerts.
    Inactive,
    /// Active for less than the rule's `for`.
    Pending,
    /// Active for at least the rule's `for`.
    Firing,
}

impl AlertState {
    /// The word Prometheus uses (`inactive`, `pending`, `firing`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Unknown => "unknown",
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// One alert of a rule. Times are milliseconds since the epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Its state.
    pub state: AlertState,
    /// Its labels (`alertname` included).
    pub labels: Labels,
    /// Its expanded annotations.
    pub annotations: Labels,
    /// The value of the sample that made it (0 for histograms).
    pub value: f64,
    /// Since when it has been active.
    pub active_at: i64,
    /// When it started firing.
    pub fired_at: Option<i64>,
    /// When it resolved.
    pub resolved_at: Option<i64>,
    /// When it was last sent to the notifier.
    pub last_sent_at: Option<i64>,
    /// Until when the last send said it holds.
    pub valid_until: Option<i64>,
    /// Since when it keeps firing although its condition cleared.
    pub keep_firing_since: Option<i64>,
}

impl Alert {
    /// Whether it must be (re)sent at `ts`: never while pending; at once
    /// when it resolved after the last send; else after `resend_delay`.
    pub fn needs_sending(&self, ts: i64, resend_delay: i64) -> bool {
        if self.state == AlertState::Pending {
            return false;
        }
        if let Some(resolved) = self.resolved_at
            && self.last_sent_at.is_none_or(|sent| resolved > sent)
        {
            return true;
        }
        self.last_sent_at
            .is_none_or(|sent| sent + resend_delay < ts)
    }
}

/// An alert as handed to the notifier (Prometheus' `notifier.Alert`).
/// Times are milliseconds since the epoch; `None` is Go's zero time.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingAlert {
    /// Labels.
    pub labels: Labels,
    /// Annotations.
    pub annotations: Labels,
    /// When it started firing.
    pub starts_at: Option<i64>,
    /// When it resolved, or until when it holds if unresolved.
    pub ends_at: Option<i64>,
    /// Link to the expression in the expression browser.
    pub generator_url: String,
}

#[derive(Debug, Default)]
struct AlertsState {
    active: HashMap<Labels, Alert>,
    /// Whether `for` state has been restored (or needs no restoring);
    /// `ALERTS` samples are written only from then on.
    restored: bool,
    evaluated: bool,
}

/// An alerting rule with its alerts.
#[derive(Debug)]
pub struct AlertingRule {
    name: String,
    expr: String,
    hold: i64,
    keep_firing_for: i64,
    labels: Labels,
    annotations: Labels,
    external_labels: Labels,
    external_url: String,
    definition: String,
    pub(crate) status: Mutex<RuleStatus>,
    state: Mutex<AlertsState>,
}

/// The settings of an alerting rule.
#[derive(Debug, Clone, Default)]
pub struct AlertingRuleSpec {
    /// The alert name.
    pub name: String,
    /// The expression, as printed.
    pub expr: String,
    /// `for`, in ms.
    pub hold: i64,
    /// `keep_firing_for`, in ms.
    pub keep_firing_for: i64,
    /// Label templates (group labels merged in).
    pub labels: Labels,
    /// Annotation templates.
    pub annotations: Labels,
    /// The external labels (`$externalLabels`).
    pub external_labels: Labels,
    /// `--web.external-url` (`$externalURL`).
    pub external_url: String,
    /// Whether `for` state counts as restored from the start.
    pub restored: bool,
}

impl AlertingRule {
    /// A rule from its settings.
    pub fn new(spec: AlertingRuleSpec) -> AlertingRule {
        let dur = |ms: i64| ms.saturating_mul(1_000_000);
        let def = crate::rulefmt::Rule {
            alert: spec.name.clone(),
            expr: spec.expr.clone(),
            for_: dur(spec.hold),
            keep_firing_for: dur(spec.keep_firing_for),
            labels: labels_map(&spec.labels),
            annotations: labels_map(&spec.annotations),
            ..Default::default()
        };
        AlertingRule {
            definition: def.to_yaml(),
            name: spec.name,
            expr: spec.expr,
            hold: spec.hold,
            keep_firing_for: spec.keep_firing_for,
            labels: spec.labels,
            annotations: spec.annotations,
            external_labels: spec.external_labels,
            external_url: spec.external_url,
            status: Mutex::new(RuleStatus::default()),
            state: Mutex::new(AlertsState {
                restored: spec.restored,
                ..Default::default()
            }),
        }
    }

    /// The alert name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The expression, as printed.
    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// `for`, in ms.
    pub fn hold_duration(&self) -> i64 {
        self.hold
    }

    /// `keep_firing_for`, in ms.
    pub fn keep_firing_for(&self) -> i64 {
        self.keep_firing_for
    }

    /// The label templates.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// The annotation templates.
    pub fn annotations(&self) -> &Labels {
        &self.annotations
    }

    /// The rule as YAML.
    pub fn definition(&self) -> &str {
        &self.definition
    }

    /// Whether `for` state has been restored.
    pub fn restored(&self) -> bool {
        lock(&self.state).restored
    }

    pub(crate) fn set_restored(&self, restored: bool) {
        lock(&self.state).restored = restored;
    }

    /// The most advanced state of its alerts (`Unknown` before the first
    /// evaluation).
    pub fn state(&self) -> AlertState {
        let st = lock(&self.state);
        if !st.evaluated {
            return AlertState::Unknown;
        }
        st.active
            .values()
            .map(|a| a.state)
            .max()
            .unwrap_or(AlertState::Inactive)
            .max(AlertState::Inactive)
    }

    /// Every alert held, resolved ones included, sorted by labels.
    pub fn current_alerts(&self) -> Vec<Alert> {
        let mut v: Vec<Alert> = lock(&self.state).active.values().cloned().collect();
        v.sort_by(|a, b| a.labels.cmp(&b.labels));
        v
    }

    /// The unresolved alerts (pending or firing), sorted by labels.
    pub fn active_alerts(&self) -> Vec<Alert> {
        let mut v = self.current_alerts();
        v.retain(|a| a.resolved_at.is_none());
        v
    }

    /// Takes over the alerts of the same rule in a group being replaced.
    pub(crate) fn copy_alerts_from(&self, from: &AlertingRule) {
        let src = lock(&from.state).active.clone();
        lock(&self.state).active.extend(src);
    }

    /// Expands one label or annotation template; a failure becomes the
    /// text Prometheus puts in its place.
    fn expand(&self, text: &str, data: &Value, ctx: &Context) -> String {
        match expand_alert_template(&self.name, text, data.clone(), ctx.clone()) {
            Ok(s) => s,
            Err(e) => {
                log::warn!(
                    "Expanding alert template failed: alert={} err={e}",
                    self.name
                );
                format!("<error expanding template: {e}>")
            }
        }
    }

    /// Evaluates the rule at `ts` (ms), querying at `ts - query_offset`,
    /// advances the alerts' states and returns the `ALERTS` and
    /// `ALERTS_FOR_STATE` samples to append. `limit` (0: none) bounds the
    /// number of pending and firing alerts.
    pub fn eval(
        &self,
        querier: &Querier,
        ts: i64,
        query_offset: i64,
        limit: i64,
    ) -> Result<Vec<Sample>, EvalError> {
        let res = querier.query(&self.expr, ts - query_offset)?;
        let ctx = Context {
            query: Some(querier.template_query_fn()),
            external_url: self.external_url.clone(),
            timestamp_ms: ts,
        };
        let mut fresh: HashMap<Labels, Alert> = HashMap::with_capacity(res.len());
        let mut b = LabelsBuilder::new();
        for s in &res {
            let data = template_data(
                &s.metric,
                &self.external_labels,
                &self.external_url,
                sample_value(s.f, s.h.as_deref()),
            );
            b.reset();
            for l in s.metric.iter() {
                b.push(l.name, l.value);
            }
            b.del("__name__");
            for l in self.labels.iter() {
                b.set(l.name, &self.expand(l.value, &data, &ctx));
            }
            b.set("alertname", &self.name);
            let labels = b.build();
            let mut ab = LabelsBuilder::new();
            for l in self.annotations.iter() {
                ab.push(l.name, &self.expand(l.value, &data, &ctx));
            }
            if fresh.contains_key(&labels) {
                return Err(EvalError::DuplicateAlertLabelSet);
            }
            fresh.insert(
                labels.clone(),
                Alert {
                    state: AlertState::Pending,
                    labels,
                    annotations: ab.build(),
                    value: s.f,
                    active_at: ts,
                    fired_at: None,
                    resolved_at: None,
                    last_sent_at: None,
                    valid_until: None,
                    keep_firing_since: None,
                },
            );
        }
        let mut st = lock(&self.state);
        st.evaluated = true;
        let in_result: HashSet<Labels> = fresh.keys().cloned().collect();
        for (k, a) in fresh {
            match st.active.get_mut(&k) {
                Some(old) if old.state != AlertState::Inactive => {
                    old.value = a.value;
                    old.annotations = a.annotations;
                }
                _ => {
                    st.active.insert(k, a);
                }
            }
        }
        let restored = st.restored;
        let mut out = Vec::new();
        let mut active_or_pending = 0usize;
        st.active.retain(|k, a| {
            if !in_result.contains(k) {
                let mut keep_firing = false;
                if a.state == AlertState::Firing && self.keep_firing_for > 0 {
                    let since = *a.keep_firing_since.get_or_insert(ts);
                    keep_firing = ts - since < self.keep_firing_for;
                }
                let expired = a
                    .resolved_at
                    .is_some_and(|r| ts - r > RESOLVED_RETENTION_MS);
                if a.state == AlertState::Pending || expired {
                    return false;
                }
                if a.state != AlertState::Inactive && !keep_firing {
                    a.state = AlertState::Inactive;
                    a.resolved_at = Some(ts);
                }
                if !keep_firing {
                    return true;
                }
            } else {
                a.keep_firing_since = None;
            }
            active_or_pending += 1;
            if a.state == AlertState::Pending && ts - a.active_at >= self.hold {
                a.state = AlertState::Firing;
                a.fired_at = Some(ts);
            }
            // A restored start can put a firing alert back under its `for`.
            if a.state == AlertState::Firing && ts - a.active_at < self.hold {
                a.state = AlertState::Pending;
                a.fired_at = None;
                a.last_sent_at = None;
                a.keep_firing_since = None;
            }
            if restored {
                out.push(self.alerts_sample(a, ts - query_offset));
                out.push(self.for_state_sample(
                    Some(&a.labels),
                    ts - query_offset,
                    a.active_at.div_euclid(1000) as f64,
                ));
            }
            true
        });
        if limit > 0 && active_or_pending as i64 > limit {
            st.active.clear();
            return Err(EvalError::AlertLimit {
                limit,
                count: active_or_pending,
            });
        }
        out.sort_by(|a, b| a.metric.cmp(&b.metric));
        Ok(out)
    }

    /// The `ALERTS` sample of an alert: the rule's label templates
    /// overlaid by the alert's labels, plus name and state.
    fn alerts_sample(&self, a: &Alert, t: i64) -> Sample {
        let mut b = LabelsBuilder::new();
        for l in self.labels.iter().chain(a.labels.iter()) {
            b.set(l.name, l.value);
        }
        b.set("__name__", ALERT_METRIC_NAME);
        b.set("alertname", &self.name);
        b.set("alertstate", a.state.as_str());
        sample(b.build(), t, 1.0)
    }

    /// The `ALERTS_FOR_STATE` sample of an alert (or, without one, the
    /// labels every such series of the rule shares).
    pub(crate) fn for_state_sample(&self, alert: Option<&Labels>, t: i64, v: f64) -> Sample {
        let mut b = LabelsBuilder::new();
        for l in self
            .labels
            .iter()
            .chain(alert.into_iter().flat_map(|l| l.iter()))
        {
            b.set(l.name, l.value);
        }
        b.set("__name__", ALERT_FOR_STATE_METRIC_NAME);
        b.set("alertname", &self.name);
        sample(b.build(), t, v)
    }

    /// Marks the alerts due for sending at `ts` as sent and returns them
    /// as the notifier gets them: `starts_at` is when the alert fired,
    /// `ends_at` its resolution or, while unresolved, `ts` plus four times
    /// the larger of `resend_delay` and the group's `interval` (so that a
    /// missed resend does not resolve it in the Alertmanager).
    pub fn send_alerts(
        &self,
        ts: i64,
        resend_delay: i64,
        interval: i64,
        generator_url: &str,
    ) -> Vec<OutgoingAlert> {
        let mut st = lock(&self.state);
        let mut out = Vec::new();
        for a in st.active.values_mut() {
            if !a.needs_sending(ts, resend_delay) {
                continue;
            }
            a.last_sent_at = Some(ts);
            let valid_until = ts + 4 * interval.max(resend_delay);
            a.valid_until = Some(valid_until);
            out.push(OutgoingAlert {
                labels: a.labels.clone(),
                annotations: a.annotations.clone(),
                starts_at: a.fired_at,
                ends_at: Some(a.resolved_at.unwrap_or(valid_until)),
                generator_url: generator_url.to_string(),
            });
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }

    /// Sets restored start times: `f` gets each alert's labels and
    /// returns its new `active_at`, or `None` to leave it.
    pub(crate) fn restore_active_at(&self, mut f: impl FnMut(&Labels) -> Option<i64>) {
        let mut st = lock(&self.state);
        for a in st.active.values_mut() {
            if let Some(t) = f(&a.labels) {
                a.active_at = t;
            }
        }
    }
}

fn sample(metric: Labels, t: i64, f: f64) -> Sample {
    Sample {
        metric,
        t,
        f,
        h: None,
        drop_name: false,
    }
}

/// When a restored alert counts as active since, as Prometheus computes
/// it (all in ms): the series said at `down_at` that the alert was active
/// since `active_at`; `now` is the time of the restore. An alert that had
/// already waited its `for` keeps its start; one with less than
/// `grace` left gets `grace` from now; otherwise the outage does not count
/// towards its `for`.
pub fn restored_active_at(down_at: i64, active_at: i64, hold: i64, grace: i64, now: i64) -> i64 {
    let remaining = hold - (down_at - active_at);
    if remaining <= 0 {
        active_at
    } else if remaining < grace {
        now + grace - hold
    } else {
        active_at + (now - down_at)
    }
}

#[cfg(test)]
#[path = "alerting/tests.rs"]
mod tests;
