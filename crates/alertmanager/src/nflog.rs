//! The notification log: for each aggregation group and receiver
//! integration, which alerts were firing and resolved when the last
//! notification went out, and when. The dispatcher consults it to send a
//! notification only when something changed or the repeat interval passed.
//! Entries expire after their retention and are persisted like silences.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use crate::silence::write_atomically;

/// One logged notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Fingerprints of the alerts firing at the time.
    pub firing: BTreeSet<u64>,
    /// Fingerprints of the alerts resolved at the time.
    pub resolved: BTreeSet<u64>,
    /// When it was sent (ns).
    pub timestamp: i64,
    /// When the entry may be dropped (ns).
    pub expires_at: i64,
}

/// The log, keyed by `(group key, receiver integration key)`.
#[derive(Debug, Default)]
pub struct NotificationLog {
    entries: HashMap<(String, String), Entry>,
    snapshot: Option<PathBuf>,
}

/// Whether a notification is due, by Alertmanager's rule: new firing
/// alerts, all alerts resolved after a notification about firing ones,
/// newly resolved alerts when they are sent, or the repeat interval passed.
pub fn needs_update(
    entry: Option<&Entry>,
    firing: &BTreeSet<u64>,
    resolved: &BTreeSet<u64>,
    send_resolved: bool,
    repeat_ns: i64,
    now: i64,
) -> bool {
    let Some(e) = entry else {
        return !firing.is_empty();
    };
    if !firing.is_subset(&e.firing) {
        return true;
    }
    if firing.is_empty() {
        return !e.firing.is_empty();
    }
    if send_resolved && !resolved.is_subset(&e.resolved) {
        return true;
    }
    e.timestamp < now.saturating_sub(repeat_ns)
}

impl NotificationLog {
    /// An empty log persisted to `snapshot` if given.
    pub fn new(snapshot: Option<PathBuf>) -> NotificationLog {
        NotificationLog {
            entries: HashMap::new(),
            snapshot,
        }
    }

    /// The entry of a group and integration.
    pub fn query(&self, group: &str, receiver: &str) -> Option<&Entry> {
        self.entries.get(&(group.to_string(), receiver.to_string()))
    }

    /// Records a notification.
    pub fn log(&mut self, group: &str, receiver: &str, entry: Entry) {
        self.entries
            .insert((group.to_string(), receiver.to_string()), entry);
    }

    /// Drops expired entries.
    pub fn gc(&mut self, now: i64) -> usize {
        let before = self.entries.len();
        self.entries.retain(|_, e| e.expires_at > now);
        before - self.entries.len()
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes the snapshot atomically.
    pub fn persist(&self) -> std::io::Result<()> {
        let Some(path) = &self.snapshot else {
            return Ok(());
        };
        let list: Vec<serde_json::Value> = self
            .entries
            .iter()
            .map(|((g, r), e)| {
                serde_json::json!({
                    "group": g, "receiver": r,
                    "firing": e.firing.iter().map(|f| format!("{f:016x}")).collect::<Vec<_>>(),
                    "resolved": e.resolved.iter().map(|f| format!("{f:016x}")).collect::<Vec<_>>(),
                    "timestamp": e.timestamp, "expiresAt": e.expires_at,
                })
            })
            .collect();
        write_atomically(path, serde_json::Value::Array(list).to_string().as_bytes())
    }

    /// Loads the snapshot if present; entries that do not parse are skipped.
    pub fn load(&mut self) -> Result<usize, String> {
        let Some(path) = &self.snapshot else {
            return Ok(0);
        };
        let data = match std::fs::read(path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(format!("reading {}: {e}", path.display())),
        };
        let v: serde_json::Value =
            serde_json::from_slice(&data).map_err(|e| format!("{}: {e}", path.display()))?;
        let set = |x: Option<&serde_json::Value>| -> BTreeSet<u64> {
            x.and_then(|a| a.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|f| u64::from_str_radix(f.as_str()?, 16).ok())
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut n = 0;
        for item in v.as_array().into_iter().flatten() {
            let (Some(g), Some(r), Some(ts), Some(exp)) = (
                item.get("group").and_then(|x| x.as_str()),
                item.get("receiver").and_then(|x| x.as_str()),
                item.get("timestamp").and_then(|x| x.as_i64()),
                item.get("expiresAt").and_then(|x| x.as_i64()),
            ) else {
                continue;
            };
            self.log(
                g,
                r,
                Entry {
                    firing: set(item.get("firing")),
                    resolved: set(item.get("resolved")),
                    timestamp: ts,
                    expires_at: exp,
                },
            );
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[u64]) -> BTreeSet<u64> {
        v.iter().copied().collect()
    }

    #[test]
    fn update_rules() {
        let e = Entry {
            firing: set(&[1, 2]),
            resolved: set(&[]),
            timestamp: 100,
            expires_at: 1000,
        };
        assert!(needs_update(None, &set(&[1]), &set(&[]), true, 50, 120));
        assert!(!needs_update(None, &set(&[]), &set(&[1]), true, 50, 120));
        assert!(
            needs_update(Some(&e), &set(&[1, 3]), &set(&[]), true, 50, 120),
            "new firing alert"
        );
        assert!(
            !needs_update(Some(&e), &set(&[1]), &set(&[2]), false, 50, 120),
            "resolved, not sent"
        );
        assert!(
            needs_update(Some(&e), &set(&[1]), &set(&[2]), true, 50, 120),
            "resolved, sent"
        );
        assert!(
            needs_update(Some(&e), &set(&[]), &set(&[1, 2]), false, 50, 120),
            "all resolved"
        );
        assert!(!needs_update(
            Some(&e),
            &set(&[1, 2]),
            &set(&[]),
            true,
            50,
            120
        ));
        assert!(
            needs_update(Some(&e), &set(&[1, 2]), &set(&[]), true, 50, 151),
            "repeat interval"
        );
    }

    #[test]
    fn snapshot() {
        let dir = std::env::temp_dir().join(format!("vigil-am-nflog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut l = NotificationLog::new(Some(dir.join("nflog.json")));
        let e = Entry {
            firing: set(&[u64::MAX]),
            resolved: set(&[3]),
            timestamp: 5,
            expires_at: 10,
        };
        l.log("g", "r/webhook/0", e.clone());
        l.persist().unwrap();
        let mut m = NotificationLog::new(Some(dir.join("nflog.json")));
        assert_eq!(m.load().unwrap(), 1);
        assert_eq!(m.query("g", "r/webhook/0"), Some(&e));
        assert_eq!(m.gc(10), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
