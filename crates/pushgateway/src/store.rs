//! The metric store: every group, what a push or delete does to it, and
//! the merged view `/metrics` serves.
//!
//! Semantics follow the Pushgateway's `DiskMetricStore`:
//! - `PUT` ([`PushRequest::replace`]) replaces every family of the group,
//!   `POST` only the families named in the body; an empty body is a valid
//!   push that only updates `push_time_seconds`.
//! - Before storing, every sample gets the grouping labels (overriding the
//!   body's labels of the same names; an empty grouping value removes the
//!   label). Families named `push_time_seconds` or
//!   `push_failure_time_seconds` in a body are replaced by the gateway's own.
//! - A push with a timestamped sample, or one failing the consistency
//!   check, changes nothing except the group's `push_failure_time_seconds`
//!   (creating the group, without metrics, if it did not exist).
//! - `DELETE` removes the group, whether or not it exists.

use std::collections::BTreeMap;
use std::time::SystemTime;

use vigil_exposition::{FamilySample, MetricFamily, SampleValue};
use vigil_model::{Labels, LabelsBuilder, METRIC_NAME, MetricType, ValidationScheme};

use crate::consistency::{Pending, TypeIndex, check};
use crate::error::PushError;
use crate::grouping::GroupingKey;

/// Name of the per-group gauge holding the last successful push time.
pub const PUSH_TIME_METRIC: &str = "push_time_seconds";
/// Help of [`PUSH_TIME_METRIC`].
pub const PUSH_TIME_HELP: &str =
    "Last Unix time when changing this group in the Pushgateway succeeded.";
/// Name of the per-group gauge holding the last failed push time.
pub const PUSH_FAILURE_METRIC: &str = "push_failure_time_seconds";
/// Help of [`PUSH_FAILURE_METRIC`].
pub const PUSH_FAILURE_HELP: &str =
    "Last Unix time when changing this group in the Pushgateway failed.";

/// A family as stored in a group, with the time it was last pushed.
///
/// Samples are kept compactly: a plain float sample (no timestamp,
/// exemplar or created timestamp, the overwhelmingly common case) is its
/// labels and value, 32 bytes instead of a [`FamilySample`]'s 240; anything
/// else is boxed whole. Sample order is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFamily {
    /// The family name.
    pub name: String,
    /// The family type.
    pub kind: MetricType,
    /// Help text, if any.
    pub help: Option<String>,
    /// Unit, if any.
    pub unit: Option<String>,
    samples: Vec<StoredSample>,
    /// When the push that stored it was received.
    pub pushed_at: SystemTime,
}

#[derive(Debug, Clone, PartialEq)]
enum StoredSample {
    Float(Labels, f64),
    Full(Box<FamilySample>),
}

impl StoredFamily {
    /// Stores `family` (whose samples already carry the grouping labels).
    pub fn new(family: MetricFamily, pushed_at: SystemTime) -> StoredFamily {
        // Collected into a new allocation on purpose: `collect` would reuse
        // the 240-byte-per-sample buffer of the `FamilySample`s in place.
        let mut samples = Vec::with_capacity(family.samples.len());
        samples.extend(family.samples.into_iter().map(|s| match s {
            FamilySample {
                labels,
                value: SampleValue::Float(v),
                timestamp: None,
                exemplars,
                created_timestamp: None,
            } if exemplars.is_empty() => StoredSample::Float(labels, v),
            s => StoredSample::Full(Box::new(s)),
        }));
        StoredFamily {
            name: family.name,
            kind: family.kind,
            help: family.help,
            unit: family.unit,
            samples,
            pushed_at,
        }
    }

    /// The family as the encoders take it (a copy).
    pub fn to_family(&self) -> MetricFamily {
        MetricFamily {
            name: self.name.clone(),
            kind: self.kind,
            help: self.help.clone(),
            unit: self.unit.clone(),
            samples: self
                .samples
                .iter()
                .map(|s| match s {
                    StoredSample::Float(labels, v) => FamilySample {
                        labels: labels.clone(),
                        value: SampleValue::Float(*v),
                        timestamp: None,
                        exemplars: Vec::new(),
                        created_timestamp: None,
                    },
                    StoredSample::Full(s) => (**s).clone(),
                })
                .collect(),
        }
    }

    /// The label sets of the samples, in order.
    pub fn labels(&self) -> impl Iterator<Item = &Labels> {
        self.samples.iter().map(|s| match s {
            StoredSample::Float(labels, _) => labels,
            StoredSample::Full(s) => &s.labels,
        })
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether the family has no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

/// One group: the metrics pushed under one grouping key.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The grouping key.
    pub key: GroupingKey,
    /// The pushed families by name (without the two push-time gauges).
    pub families: BTreeMap<String, StoredFamily>,
    /// Time of the last successful push, `None` if there was none.
    pub push_time: Option<SystemTime>,
    /// Time of the last failed push, `None` if there was none.
    pub failure_time: Option<SystemTime>,
}

impl Group {
    fn new(key: GroupingKey) -> Group {
        Group {
            key,
            families: BTreeMap::new(),
            push_time: None,
            failure_time: None,
        }
    }

    /// Whether the last push succeeded (the Pushgateway's `LastPushSuccess`).
    pub fn last_push_successful(&self) -> bool {
        seconds(self.push_time) >= seconds(self.failure_time)
    }
}

/// Seconds since the epoch, 0 for `None` (as the push-time gauges show it).
pub fn seconds(t: Option<SystemTime>) -> f64 {
    t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One push: the target group, the parsed body, and `PUT` vs `POST`.
#[derive(Debug, Clone)]
pub struct PushRequest {
    /// The group pushed to.
    pub key: GroupingKey,
    /// The body's families by name.
    pub families: BTreeMap<String, MetricFamily>,
    /// `PUT` (replace the group) rather than `POST` (replace named families).
    pub replace: bool,
    /// When the push was received.
    pub time: SystemTime,
}

/// Every group, with the per-name type index the consistency check uses.
#[derive(Debug, Default)]
pub struct Store {
    groups: BTreeMap<GroupingKey, Group>,
    index: TypeIndex,
    check: bool,
    names: ValidationScheme,
    generation: u64,
}

impl Store {
    /// An empty store with legacy names; `check` enables the consistency check.
    pub fn new(check: bool) -> Store {
        Store::with_names(check, ValidationScheme::Legacy)
    }

    /// An empty store whose consistency check validates names with `names`.
    pub fn with_names(check: bool, names: ValidationScheme) -> Store {
        Store {
            check,
            names,
            ..Store::default()
        }
    }

    /// Counts changes; persistence writes when it moved.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The groups in grouping-key order.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// The number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there is no group.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Applies a push. On error the state is unchanged except for the
    /// group's failure time (see the module docs).
    pub fn push(&mut self, mut req: PushRequest) -> Result<(), PushError> {
        let timestamped = req
            .families
            .values()
            .any(|f| f.samples.iter().any(|s| s.timestamp.is_some()));
        if timestamped {
            self.record_failure(&req.key, req.time);
            return Err(PushError::Inconsistent(
                "pushed metrics must not have timestamps".to_string(),
            ));
        }
        req.families.remove(PUSH_TIME_METRIC);
        req.families.remove(PUSH_FAILURE_METRIC);
        sanitize(&req.key, &mut req.families);
        if self.check {
            let pending = Pending {
                key: &req.key,
                old: self.groups.get(&req.key),
                families: &req.families,
                replace: req.replace,
            };
            if let Err(msg) = check(&pending, &self.index, &self.groups, self.names) {
                self.record_failure(&req.key, req.time);
                return Err(PushError::Inconsistent(msg));
            }
        }
        self.apply(req);
        Ok(())
    }

    fn apply(&mut self, req: PushRequest) {
        self.generation += 1;
        let group = self
            .groups
            .entry(req.key.clone())
            .or_insert_with(|| Group::new(req.key));
        if req.replace {
            for (name, old) in std::mem::take(&mut group.families) {
                self.index.remove(&name, old.kind);
            }
        }
        for (name, family) in req.families {
            self.index.add(&name, family.kind);
            let stored = StoredFamily::new(family, req.time);
            if let Some(old) = group.families.insert(name.clone(), stored) {
                self.index.remove(&name, old.kind);
            }
        }
        group.push_time = Some(req.time);
    }

    fn record_failure(&mut self, key: &GroupingKey, time: SystemTime) {
        self.generation += 1;
        let group = self
            .groups
            .entry(key.clone())
            .or_insert_with(|| Group::new(key.clone()));
        group.failure_time = Some(time);
    }

    /// Removes a group (nothing happens if it does not exist).
    pub fn delete(&mut self, key: &GroupingKey) {
        self.generation += 1;
        if let Some(group) = self.groups.remove(key) {
            for (name, f) in group.families {
                self.index.remove(&name, f.kind);
            }
        }
    }

    /// Removes every group (the admin API's wipe).
    pub fn wipe(&mut self) {
        self.generation += 1;
        self.groups.clear();
        self.index = TypeIndex::default();
    }

    /// Adds a group as persisted, replacing one with the same key. Restored
    /// groups are trusted: they passed the check when they were pushed.
    pub fn restore(&mut self, group: Group) {
        self.delete(&group.key);
        for (name, f) in &group.families {
            self.index.add(name, f.kind);
        }
        self.groups.insert(group.key.clone(), group);
    }

    /// The pushed metrics of every group merged by family name, with the
    /// push-time gauges, sorted by name. Samples keep group order (groups
    /// sorted by key), then body order.
    pub fn gather(&self) -> Vec<MetricFamily> {
        let mut merged: BTreeMap<&str, MetricFamily> = BTreeMap::new();
        for group in self.groups.values() {
            for (name, stored) in &group.families {
                let piece = stored.to_family();
                match merged.get_mut(name.as_str()) {
                    Some(fam) => fam.samples.extend(piece.samples),
                    None => {
                        merged.insert(name, piece);
                    }
                }
            }
        }
        let mut out: Vec<MetricFamily> = merged.into_values().collect();
        for fam in self.time_families() {
            let at = out.partition_point(|f| f.name < fam.name);
            out.insert(at, fam);
        }
        out
    }

    /// The `push_time_seconds` and `push_failure_time_seconds` gauges of
    /// every group (none when there is no group).
    pub fn time_families(&self) -> Vec<MetricFamily> {
        let mut out = Vec::new();
        let mut builder = LabelsBuilder::new();
        for (name, help, failure) in [
            (PUSH_FAILURE_METRIC, PUSH_FAILURE_HELP, true),
            (PUSH_TIME_METRIC, PUSH_TIME_HELP, false),
        ] {
            let samples: Vec<FamilySample> = self
                .groups
                .values()
                .map(|g| {
                    builder.reset();
                    for (n, v) in g.key.iter() {
                        builder.push(n, v);
                    }
                    builder.push(METRIC_NAME, name);
                    let t = if failure { g.failure_time } else { g.push_time };
                    FamilySample {
                        labels: builder.build(),
                        value: SampleValue::Float(seconds(t)),
                        timestamp: None,
                        exemplars: Vec::new(),
                        created_timestamp: None,
                    }
                })
                .collect();
            if !samples.is_empty() {
                out.push(MetricFamily {
                    name: name.to_string(),
                    kind: MetricType::Gauge,
                    help: Some(help.to_string()),
                    unit: None,
                    samples,
                });
            }
        }
        out
    }
}

/// Gives every sample the grouping labels (the Pushgateway's `sanitizeLabels`).
fn sanitize(key: &GroupingKey, families: &mut BTreeMap<String, MetricFamily>) {
    let mut builder = LabelsBuilder::new();
    for fam in families.values_mut() {
        for s in &mut fam.samples {
            let already = key.iter().all(|(n, v)| s.labels.get(n).unwrap_or("") == v);
            if already {
                continue;
            }
            builder.reset();
            for l in s.labels.iter() {
                builder.push(l.name, l.value);
            }
            for (n, v) in key.iter() {
                builder.set(n, v);
            }
            s.labels = builder.build();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{BodyFormat, parse_body};

    fn push(store: &mut Store, job: &str, body: &str, replace: bool) -> Result<(), PushError> {
        store.push(PushRequest {
            key: GroupingKey::from_pairs([("job", job)]),
            families: parse_body(BodyFormat::Text, body.as_bytes())?,
            replace,
            time: SystemTime::now(),
        })
    }

    #[test]
    fn put_post_delete() {
        let mut s = Store::new(true);
        push(&mut s, "a", "x 1\ny 2\n", true).unwrap();
        push(&mut s, "a", "y 3\n", false).unwrap();
        let g = s.groups().next().unwrap();
        assert_eq!(g.families.len(), 2);
        push(&mut s, "a", "y 3\n", true).unwrap();
        assert_eq!(s.groups().next().unwrap().families.len(), 1);
        s.delete(&GroupingKey::from_pairs([("job", "a")]));
        assert!(s.is_empty());
    }

    #[test]
    fn type_clash_is_rejected_and_state_kept() {
        let mut s = Store::new(true);
        push(&mut s, "a", "# TYPE x gauge\nx 1\n", true).unwrap();
        let err = push(&mut s, "b", "# TYPE x counter\nx 1\n", true).unwrap_err();
        assert!(matches!(err, PushError::Inconsistent(_)), "{err}");
        let b = GroupingKey::from_pairs([("job", "b")]);
        let g = s.groups().find(|g| g.key == b).unwrap();
        assert!(g.families.is_empty() && !g.last_push_successful());
        // Replacing the only holder of the name with another type is fine.
        push(&mut s, "a", "# TYPE x counter\nx 1\n", true).unwrap();
    }

    #[test]
    fn grouping_labels_override_and_duplicates_across_groups() {
        let mut s = Store::new(true);
        push(&mut s, "a", "x{job=\"other\",instance=\"i\"} 1\n", true).unwrap();
        let fams = s.gather();
        let x = fams.iter().find(|f| f.name == "x").unwrap();
        assert_eq!(x.samples[0].labels.get("job"), Some("a"));
        let key = GroupingKey::from_pairs([("job", "a"), ("instance", "i")]);
        let err = s
            .push(PushRequest {
                key,
                families: parse_body(BodyFormat::Text, b"x 2\n").unwrap(),
                replace: true,
                time: SystemTime::now(),
            })
            .unwrap_err();
        assert!(err.to_string().contains("collected before"), "{err}");
    }

    #[test]
    fn timestamps_and_suffix_collisions() {
        let mut s = Store::new(true);
        assert!(push(&mut s, "a", "x 1 1000\n", true).is_err());
        push(&mut s, "a", "# TYPE s summary\ns_sum 1\ns_count 1\n", true).unwrap();
        assert!(push(&mut s, "b", "# TYPE s_count gauge\ns_count 1\n", true).is_err());
        assert!(
            push(
                &mut s,
                "b",
                "# TYPE process_cpu_seconds_total gauge\nprocess_cpu_seconds_total 1\n",
                true
            )
            .is_err()
        );
        let mut unchecked = Store::new(false);
        push(&mut unchecked, "a", "# TYPE x gauge\nx 1\n", true).unwrap();
        push(&mut unchecked, "b", "# TYPE x counter\nx 1\n", true).unwrap();
    }
}
