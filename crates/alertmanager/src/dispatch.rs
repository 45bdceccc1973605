//! Aggregation groups: alerts routed to one node of the routing tree with
//! equal values of its `group_by` labels (all labels for `...`) form a
//! group. A new group waits `group_wait` before its first notification
//! (none if its first alert is already older than that), then is flushed
//! every `group_interval`; the repeat interval is applied by the
//! notification log. Time is passed in (nanoseconds), so the rules are
//! tested without clocks.

use std::collections::BTreeMap;

use crate::alert::Alert;
use crate::matcher::LabelSet;
use crate::routing::{Route, RouteOpts};

/// One aggregation group.
#[derive(Debug, Clone)]
pub struct AggrGroup {
    /// The route node's id.
    pub route_id: String,
    /// The route node's options.
    pub opts: RouteOpts,
    /// The grouping labels.
    pub labels: LabelSet,
    /// `<route key>:<labels>`, the key notifications carry.
    pub key: String,
    /// Alerts by fingerprint.
    pub alerts: BTreeMap<u64, Alert>,
    /// When the group is next flushed (ns).
    pub next_flush: i64,
    /// Whether it was flushed at least once.
    pub has_flushed: bool,
    /// Whether a flush is under way (a slow receiver must not get a second
    /// flush of the same group in parallel; the next one waits for it).
    pub in_flight: bool,
}

/// Go's `model.LabelSet.String()`: `{a="b", c="d"}`.
pub fn labelset_string(ls: &LabelSet) -> String {
    let parts: Vec<String> = ls
        .iter()
        .map(|(k, v)| format!("{k}={}", vigil_model::quote::quote(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// The grouping labels of an alert under a route's options.
pub fn group_labels(alert: &Alert, opts: &RouteOpts) -> LabelSet {
    if opts.group_by_all {
        return alert.labels.clone();
    }
    alert
        .labels
        .iter()
        .filter(|(k, _)| opts.group_by.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn nanos(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// Every aggregation group.
#[derive(Debug, Default)]
pub struct Dispatcher {
    /// Groups by `(route id, grouping labels)`.
    pub groups: BTreeMap<(String, String), AggrGroup>,
}

impl Dispatcher {
    /// Routes an alert (new or updated) into its groups.
    pub fn process(&mut self, root: &Route, alert: &Alert, now: i64) {
        for route in root.match_labels(&alert.labels) {
            let labels = group_labels(alert, &route.opts);
            let ls = labelset_string(&labels);
            let group = self
                .groups
                .entry((route.id.clone(), ls.clone()))
                .or_insert_with(|| AggrGroup {
                    route_id: route.id.clone(),
                    opts: route.opts.clone(),
                    key: format!("{}:{ls}", route.key),
                    labels,
                    alerts: BTreeMap::new(),
                    next_flush: now.saturating_add(nanos(route.opts.group_wait)),
                    has_flushed: false,
                    in_flight: false,
                });
            // An alert older than group_wait need not wait for company.
            if !group.has_flushed
                && alert.starts_at.saturating_add(nanos(group.opts.group_wait)) < now
            {
                group.next_flush = group.next_flush.min(now);
            }
            group.alerts.insert(alert.fingerprint(), alert.clone());
        }
    }

    /// Keys of the groups due at `now`; their next flush is set one
    /// `group_interval` ahead.
    pub fn take_due(&mut self, now: i64) -> Vec<(String, String)> {
        let mut due = Vec::new();
        for (k, g) in self.groups.iter_mut() {
            if g.next_flush <= now && !g.in_flight {
                g.next_flush = now.saturating_add(nanos(g.opts.group_interval));
                g.has_flushed = true;
                g.in_flight = true;
                due.push(k.clone());
            }
        }
        due
    }

    /// Marks a flush as over without a successful notification.
    pub fn abort_flush(&mut self, key: &(String, String)) {
        if let Some(g) = self.groups.get_mut(key) {
            g.in_flight = false;
        }
    }

    /// After a successful flush: drops the alerts that were sent resolved
    /// and have not changed since, and the group if it is empty.
    pub fn finish_flush(&mut self, key: &(String, String), sent: &[Alert], now: i64) {
        let Some(g) = self.groups.get_mut(key) else {
            return;
        };
        g.in_flight = false;
        for a in sent.iter().filter(|a| a.resolved_at(now)) {
            let fp = a.fingerprint();
            if g.alerts.get(&fp) == Some(a) {
                g.alerts.remove(&fp);
            }
        }
        if g.alerts.is_empty() {
            self.groups.remove(key);
        }
    }

    /// The earliest next flush of a group not being flushed, if any.
    pub fn next_deadline(&self) -> Option<i64> {
        self.groups
            .values()
            .filter(|g| !g.in_flight)
            .map(|g| g.next_flush)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const S: i64 = 1_000_000_000;

    fn alert(name: &str, start: i64, end: i64) -> Alert {
        Alert {
            labels: [
                ("alertname".to_string(), name.to_string()),
                ("i".to_string(), start.to_string()),
            ]
            .into(),
            annotations: LabelSet::new(),
            starts_at: start,
            ends_at: end,
            generator_url: String::new(),
            updated_at: start,
            timeout: false,
        }
    }

    #[test]
    fn grouping_and_timers() {
        let cfg = Config::load(
            "route: {receiver: r, group_by: [alertname], group_wait: 10s, group_interval: 60s}\nreceivers: [{name: r}]",
        )
        .unwrap();
        let root = Route::new(cfg.route.as_ref().unwrap());
        let mut d = Dispatcher::default();
        d.process(&root, &alert("a", 100 * S, 0), 100 * S);
        d.process(&root, &alert("a", 101 * S, 0), 101 * S);
        d.process(&root, &alert("b", 101 * S, 0), 101 * S);
        assert_eq!(d.groups.len(), 2);
        let g = d.groups.values().next().unwrap();
        assert_eq!(g.key, "{}:{alertname=\"a\"}");
        assert_eq!(g.alerts.len(), 2);
        assert_eq!(d.next_deadline(), Some(110 * S));
        assert!(d.take_due(109 * S).is_empty());
        let due = d.take_due(110 * S);
        assert_eq!(due.len(), 1);
        assert_eq!(d.groups[&due[0]].next_flush, 170 * S);
        assert!(
            d.take_due(200 * S).len() == 1,
            "the group in flight is skipped"
        );
        d.abort_flush(&due[0]);
        // An old alert in a new group is flushed at once.
        d.process(&root, &alert("c", 10 * S, 0), 120 * S);
        let c = d.groups.values().find(|g| g.key.contains("\"c\"")).unwrap();
        assert_eq!(c.next_flush, 120 * S);
        // Resolved alerts leave the group once sent; an empty group goes.
        let sent = vec![alert("a", 100 * S, 150 * S), alert("a", 101 * S, 150 * S)];
        for a in &sent {
            d.process(&root, a, 160 * S);
        }
        d.finish_flush(&due[0], &sent, 170 * S);
        assert!(!d.groups.contains_key(&due[0]));
    }
}
