//! The consistency check: would the exposition of every group merged with
//! the gateway's own metrics still be valid after this push?
//!
//! The Pushgateway answers this by building the whole new state and running
//! client_golang's `Gatherers.Gather` over it on every push, which costs
//! time proportional to everything stored. The same rules are checked here
//! incrementally, touching only what the push can affect:
//!
//! - names: family, metric and label names must be legacy names (any
//!   non-empty UTF-8 with `--push.enable-utf8-names`), and label names must
//!   not start with `__`;
//! - types: a family name has one type across all groups and the gateway's
//!   own metrics (untyped counts as a type of its own); a per-name count of
//!   types over all groups ([`TypeIndex`]) answers this without a scan;
//! - suffix collisions: a summary or histogram `x` cannot coexist with a
//!   family `x_sum`, `x_count` (or `x_bucket` for histograms);
//! - duplicates: no two samples of a family may have the same labels. The
//!   grouping labels override the body's, so two groups can only hold the
//!   same series when their grouping keys agree on every label both name
//!   ([`GroupingKey::compatible`]); only such groups are compared. Like the
//!   Pushgateway, labels with empty values count: samples of groups with
//!   different empty-valued grouping labels are different series
//!   ([`GroupingKey::same_empty_labels`]), and two groups whose keys differ
//!   only by `instance=""` clash through their push-time gauges.
//!
//! Help strings are never an error: like the Pushgateway, `/metrics` shows
//! one of them (and the standard help for names the gateway uses itself).

use std::collections::{BTreeMap, HashMap, HashSet};

use vigil_exposition::MetricFamily;
use vigil_model::names::{is_valid_label_name, is_valid_metric_name};
use vigil_model::{METRIC_NAME, MetricType, ValidationScheme};

use crate::grouping::GroupingKey;
use crate::selfmetrics::self_metric_type;
use crate::store::Group;

/// How many groups hold a family of each name, per type.
#[derive(Debug, Default, Clone)]
pub struct TypeIndex {
    counts: HashMap<String, [u32; 8]>,
}

fn slot(kind: MetricType) -> usize {
    match kind {
        MetricType::Counter => 0,
        MetricType::Gauge => 1,
        MetricType::Histogram => 2,
        MetricType::GaugeHistogram => 3,
        MetricType::Summary => 4,
        MetricType::Info => 5,
        MetricType::StateSet => 6,
        MetricType::Unknown => 7,
    }
}

const KINDS: [MetricType; 8] = [
    MetricType::Counter,
    MetricType::Gauge,
    MetricType::Histogram,
    MetricType::GaugeHistogram,
    MetricType::Summary,
    MetricType::Info,
    MetricType::StateSet,
    MetricType::Unknown,
];

impl TypeIndex {
    /// Counts a group's family `name` of type `kind`.
    pub fn add(&mut self, name: &str, kind: MetricType) {
        let c = self.counts.entry(name.to_string()).or_default();
        c[slot(kind)] += 1;
    }

    /// Forgets one group's family `name` of type `kind`.
    pub fn remove(&mut self, name: &str, kind: MetricType) {
        if let Some(c) = self.counts.get_mut(name) {
            c[slot(kind)] = c[slot(kind)].saturating_sub(1);
            if c.iter().all(|&n| n == 0) {
                self.counts.remove(name);
            }
        }
    }

    fn counts(&self, name: &str) -> [u32; 8] {
        self.counts.get(name).copied().unwrap_or_default()
    }
}

/// The push under check: the target group (if it exists), the sanitised
/// body families, and whether the push replaces the whole group.
pub(crate) struct Pending<'a> {
    pub(crate) key: &'a GroupingKey,
    pub(crate) old: Option<&'a Group>,
    pub(crate) families: &'a BTreeMap<String, MetricFamily>,
    pub(crate) replace: bool,
}

impl Pending<'_> {
    /// The types family `name` would have after the push, per type, across
    /// all groups and the gateway's own metrics.
    fn types_after(&self, index: &TypeIndex, name: &str) -> [u32; 8] {
        let mut c = index.counts(name);
        if let Some(old) = self.old.and_then(|g| g.families.get(name)) {
            if self.replace || self.families.contains_key(name) {
                c[slot(old.kind)] = c[slot(old.kind)].saturating_sub(1);
            }
        }
        if let Some(f) = self.families.get(name) {
            c[slot(f.kind)] += 1;
        }
        if let Some(kind) = self_metric_type(name) {
            c[slot(kind)] += 1;
        }
        c
    }

    fn exists_after(&self, index: &TypeIndex, name: &str) -> bool {
        self.types_after(index, name).iter().any(|&n| n > 0)
    }

    fn has_type_after(&self, index: &TypeIndex, name: &str, kinds: &[MetricType]) -> bool {
        let c = self.types_after(index, name);
        kinds.iter().any(|&k| c[slot(k)] > 0)
    }
}

fn type_word(kind: MetricType) -> &'static str {
    match kind {
        MetricType::Counter => "COUNTER",
        MetricType::Gauge => "GAUGE",
        MetricType::Summary => "SUMMARY",
        MetricType::Histogram => "HISTOGRAM",
        MetricType::GaugeHistogram => "GAUGE_HISTOGRAM",
        MetricType::Info | MetricType::StateSet | MetricType::Unknown => "UNTYPED",
    }
}

/// Checks a push against the current state; the error is the message the
/// client gets (after the "pushed metrics are invalid..." prefix).
pub(crate) fn check(
    pending: &Pending<'_>,
    index: &TypeIndex,
    groups: &BTreeMap<GroupingKey, Group>,
    scheme: ValidationScheme,
) -> Result<(), String> {
    for (name, fam) in pending.families {
        check_names(fam, scheme)?;
        check_type(pending, index, name, fam)?;
        check_suffixes(pending, index, name, fam.kind)?;
    }
    check_duplicates(pending, groups)
}

fn check_names(fam: &MetricFamily, scheme: ValidationScheme) -> Result<(), String> {
    if !is_valid_metric_name(&fam.name, scheme) {
        return Err(format!("{:?} is not a valid metric name", fam.name));
    }
    for s in &fam.samples {
        for l in s.labels.iter() {
            if l.name == METRIC_NAME {
                if !is_valid_metric_name(l.value, scheme) {
                    return Err(format!("{:?} is not a valid metric name", l.value));
                }
                continue;
            }
            if !is_valid_label_name(l.name, scheme) {
                return Err(format!(
                    "collected metric {} has a label with invalid name {:?}",
                    s.labels, l.name
                ));
            }
            if l.name.starts_with("__") {
                return Err(format!(
                    "collected metric {} has a label with reserved name {:?}",
                    s.labels, l.name
                ));
            }
        }
    }
    Ok(())
}

fn check_type(
    pending: &Pending<'_>,
    index: &TypeIndex,
    name: &str,
    fam: &MetricFamily,
) -> Result<(), String> {
    let c = pending.types_after(index, name);
    for (i, kind) in KINDS.iter().enumerate() {
        if *kind != fam.kind && c[i] > 0 {
            let labels = fam
                .samples
                .first()
                .map(|s| s.labels.to_string())
                .unwrap_or_default();
            return Err(format!(
                "collected metric {name:?} {labels} is not a {}",
                type_word(*kind)
            ));
        }
    }
    Ok(())
}

fn check_suffixes(
    pending: &Pending<'_>,
    index: &TypeIndex,
    name: &str,
    kind: MetricType,
) -> Result<(), String> {
    let own: &[&str] = match kind {
        MetricType::Summary => &["_count", "_sum"],
        MetricType::Histogram | MetricType::GaugeHistogram => &["_count", "_sum", "_bucket"],
        _ => &[],
    };
    for suffix in own {
        let other = format!("{name}{suffix}");
        if pending.exists_after(index, &other) {
            return Err(format!(
                "collected histogram or summary named {name:?} collides with previously collected metric named {other:?}"
            ));
        }
    }
    for (suffix, kinds) in [
        ("_count", &[MetricType::Summary, MetricType::Histogram][..]),
        ("_sum", &[MetricType::Summary, MetricType::Histogram][..]),
        ("_bucket", &[MetricType::Histogram][..]),
    ] {
        if let Some(base) = name.strip_suffix(suffix) {
            if pending.has_type_after(index, base, kinds) {
                return Err(format!(
                    "collected metric named {name:?} collides with previously collected histogram or summary named {base:?}"
                ));
            }
        }
    }
    Ok(())
}

fn check_duplicates(
    pending: &Pending<'_>,
    groups: &BTreeMap<GroupingKey, Group>,
) -> Result<(), String> {
    // The push-time gauges of two groups whose keys differ only by an
    // empty `instance` are the same series: the Pushgateway refuses every
    // push to the second such group.
    if let Some(other) = groups
        .keys()
        .find(|k| *k != pending.key && k.equivalent(pending.key))
    {
        return Err(format!(
            "collected metric \"push_time_seconds\" of group {other:?} was collected before with the same name and label values"
        ));
    }
    // Only groups that can hold the same series are compared, found once.
    let candidates: Vec<&Group> = groups
        .iter()
        .filter(|(key, _)| {
            *key != pending.key && key.compatible(pending.key) && key.same_empty_labels(pending.key)
        })
        .map(|(_, g)| g)
        .collect();
    for (name, fam) in pending.families {
        let mut seen = HashSet::with_capacity(fam.samples.len());
        for s in &fam.samples {
            if !seen.insert(&s.labels) {
                return Err(format!(
                    "collected metric {} was collected before with the same name and label values",
                    s.labels
                ));
            }
        }
        for group in &candidates {
            let Some(other) = group.families.get(name) else {
                continue;
            };
            if let Some(labels) = other.labels().find(|l| seen.contains(l)) {
                return Err(format!(
                    "collected metric {labels} was collected before with the same name and label values"
                ));
            }
        }
    }
    Ok(())
}
