//! Label-set helpers shared by the evaluator's parts.

use vigil_model::{Labels, LabelsBuilder, METRIC_NAME};

/// Labels that describe a metric rather than a series: removed together
/// when an operation changes what the value means.
pub(crate) const METADATA_LABELS: [&str; 3] = [METRIC_NAME, "__type__", "__unit__"];

/// `l` without the metric name (and the type/unit metadata labels).
pub(crate) fn drop_metric_name(l: &Labels) -> Labels {
    if !METADATA_LABELS.iter().any(|n| l.has(n)) {
        return l.clone();
    }
    l.without(&METADATA_LABELS)
}

/// The labels an aggregation's output group carries: the `by` labels, or
/// everything but the `without` labels and the metric name.
pub(crate) fn grouping_labels(l: &Labels, grouping: &[&str], without: bool) -> Labels {
    if without {
        let mut b = LabelsBuilder::new();
        for x in l.iter() {
            if x.name != METRIC_NAME && !grouping.contains(&x.name) {
                b.push(x.name, x.value);
            }
        }
        b.build()
    } else if grouping.is_empty() {
        Labels::empty()
    } else {
        l.keep_only(grouping)
    }
}

/// Hash identifying the group of `l` (see [`grouping_labels`]).
pub(crate) fn grouping_hash(l: &Labels, grouping: &[&str], without: bool) -> u64 {
    if without {
        l.hash_without_labels(grouping)
    } else if grouping.is_empty() {
        0
    } else {
        l.hash_for_labels(grouping)
    }
}

/// The labels a vector-matching signature is made of (`on`: only those;
/// `ignoring`: all but those and the metric name).
pub(crate) fn match_labels(l: &Labels, on: bool, names: &[&str]) -> Labels {
    grouping_labels(l, names, !on)
}
