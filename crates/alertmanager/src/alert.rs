//! Alerts as the Alertmanager holds them: labels, annotations, the active
//! range `[starts_at, ends_at)`, and the rule for merging a re-sent alert
//! into the one already held. Times are nanoseconds since the epoch; an
//! `ends_at` of 0 means "not set".

use std::collections::HashMap;

use crate::matcher::LabelSet;

/// An alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Identifying labels.
    pub labels: LabelSet,
    /// Informational annotations.
    pub annotations: LabelSet,
    /// When the alert started firing.
    pub starts_at: i64,
    /// When it resolved (or will, if not updated: see `timeout`).
    pub ends_at: i64,
    /// The link back to the alert's source.
    pub generator_url: String,
    /// When the Alertmanager last received it.
    pub updated_at: i64,
    /// Whether `ends_at` was set by `resolve_timeout` rather than by the sender.
    pub timeout: bool,
}

/// Prometheus' label-set fingerprint: FNV-1a 64 over each name and value
/// (sorted by name), each followed by the byte 0xff.
pub fn fingerprint(labels: &LabelSet) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in labels {
        for b in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

impl Alert {
    /// The alert's fingerprint.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(&self.labels)
    }

    /// Whether the alert is resolved at `now` (its end is set and not after now).
    pub fn resolved_at(&self, now: i64) -> bool {
        self.ends_at != 0 && self.ends_at <= now
    }

    /// Merges two versions of one alert as Alertmanager does: the younger
    /// (by `updated_at`) wins, the earliest start is kept, and an explicit
    /// end of the older one wins when it is later.
    pub fn merge(&self, other: &Alert, now: i64) -> Alert {
        if other.updated_at < self.updated_at {
            return other.merge(self, now);
        }
        let mut res = other.clone();
        if self.starts_at < other.starts_at {
            res.starts_at = self.starts_at;
        }
        if other.resolved_at(now) {
            if self.resolved_at(now) && self.ends_at > other.ends_at {
                res.ends_at = self.ends_at;
            }
        } else if self.ends_at > other.ends_at && !self.timeout {
            res.ends_at = self.ends_at;
        }
        res
    }

    /// Checks an alert as the API does before storing it.
    pub fn validate(&self) -> Result<(), String> {
        if self.starts_at == 0 {
            return Err("start time missing".into());
        }
        if self.ends_at != 0 && self.ends_at < self.starts_at {
            return Err("start time must be before end time".into());
        }
        if self.labels.is_empty() {
            return Err("at least one label pair required".into());
        }
        for (k, v) in &self.labels {
            if k.is_empty() {
                return Err(format!("invalid label set: invalid name {k:?}"));
            }
            if v.is_empty() {
                return Err(format!("invalid label set: invalid value {v:?} for {k:?}"));
            }
        }
        for k in self.annotations.keys() {
            if k.is_empty() {
                return Err(format!("invalid annotations: invalid name {k:?}"));
            }
        }
        Ok(())
    }
}

/// The alerts held, by fingerprint.
#[derive(Debug, Default)]
pub struct AlertStore {
    alerts: HashMap<u64, Alert>,
}

impl AlertStore {
    /// Stores an alert, merged with the held version when their active
    /// ranges overlap. Returns the stored version.
    pub fn put(&mut self, alert: Alert, now: i64) -> Alert {
        let fp = alert.fingerprint();
        let alert = match self.alerts.get(&fp) {
            Some(old)
                if (alert.ends_at > old.starts_at && alert.ends_at < old.ends_at)
                    || (alert.starts_at > old.starts_at && alert.starts_at < old.ends_at) =>
            {
                old.merge(&alert, now)
            }
            _ => alert,
        };
        self.alerts.insert(fp, alert.clone());
        alert
    }

    /// The alert with this fingerprint.
    pub fn get(&self, fp: u64) -> Option<&Alert> {
        self.alerts.get(&fp)
    }

    /// Every alert held.
    pub fn iter(&self) -> impl Iterator<Item = (&u64, &Alert)> {
        self.alerts.iter()
    }

    /// How many alerts are held.
    pub fn len(&self) -> usize {
        self.alerts.len()
    }

    /// Whether none are held.
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }

    /// Drops resolved alerts; returns their fingerprints.
    pub fn gc(&mut self, now: i64) -> Vec<u64> {
        let gone: Vec<u64> = self
            .alerts
            .iter()
            .filter(|(_, a)| a.resolved_at(now))
            .map(|(fp, _)| *fp)
            .collect();
        for fp in &gone {
            self.alerts.remove(fp);
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(start: i64, end: i64, updated: i64) -> Alert {
        Alert {
            labels: [("alertname".to_string(), "x".to_string())].into(),
            annotations: LabelSet::new(),
            starts_at: start,
            ends_at: end,
            generator_url: String::new(),
            updated_at: updated,
            timeout: false,
        }
    }

    #[test]
    fn fingerprint_matches_prometheus() {
        // The fingerprint Alertmanager's API test expects for these labels.
        let ls: LabelSet = [
            ("severity".to_string(), "critical".to_string()),
            ("alertname".to_string(), "alert1".to_string()),
        ]
        .into();
        assert_eq!(format!("{:016x}", fingerprint(&ls)), "0223b772b51c29e1");
        assert_eq!(fingerprint(&LabelSet::new()), 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn merge_rules() {
        let old = alert(10, 100, 1);
        let new = alert(20, 50, 2);
        let m = old.merge(&new, 30);
        assert_eq!(
            (m.starts_at, m.ends_at),
            (10, 100),
            "earliest start, later explicit end"
        );
        let mut to = old.clone();
        to.timeout = true;
        assert_eq!(to.merge(&new, 30).ends_at, 50, "a timeout end does not win");
        let resolved = alert(20, 25, 2);
        assert_eq!(old.merge(&resolved, 30).ends_at, 25);
        let mut store = AlertStore::default();
        store.put(alert(10, 100, 1), 30);
        assert_eq!(store.put(alert(20, 200, 2), 30).starts_at, 10);
        assert_eq!(store.gc(150).len(), 0);
        assert_eq!(store.gc(250).len(), 1);
    }

    #[test]
    fn validation() {
        assert!(alert(10, 5, 1).validate().is_err());
        assert!(alert(0, 5, 1).validate().is_err());
        let mut a = alert(1, 0, 1);
        assert!(a.validate().is_ok());
        a.labels.clear();
        assert!(a.validate().is_err());
    }
}
