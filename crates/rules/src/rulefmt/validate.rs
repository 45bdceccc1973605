//! The checks of upstream's `RuleGroups.Validate` and `Rule.Validate`, in
//! the same order and words, plus promtool's duplicate-rule lint.
//!
//! Go iterates label and annotation maps in random order; here they are
//! checked in name order so that output is stable.

use std::collections::BTreeSet;

use vigil_model::names::{is_valid_label_name, is_valid_metric_name};

use super::error::{Pos, RuleError, go_quote};
use super::position::GroupPos;
use super::{ParseOptions, Rule, RuleGroup, RuleGroups};

pub(super) fn validate(
    groups: &RuleGroups,
    positions: &[GroupPos],
    opts: &ParseOptions,
) -> Vec<RuleError> {
    let mut errs = Vec::new();
    let mut seen = BTreeSet::new();
    for (j, g) in groups.groups.iter().enumerate() {
        let gpos = positions.get(j);
        let at = gpos
            .and_then(|p| p.pos)
            .map_or_else(|| "0:0: ".to_string(), |(l, c)| format!("{l}:{c}: "));
        if g.name.is_empty() {
            errs.push(RuleError::Group(format!("{at}Groupname must not be empty")));
        }
        if !seen.insert(g.name.as_str()) {
            errs.push(RuleError::Group(format!(
                "{at}groupname: \"{}\" is repeated in the same file",
                g.name
            )));
        }
        for k in g.labels.keys() {
            if !is_valid_label_name(k, opts.name_validation) || k == "__name__" {
                errs.push(RuleError::Group(format!("invalid label name: {k}")));
            }
        }
        for (i, r) in g.rules.iter().enumerate() {
            let rpos = gpos.and_then(|p| p.rules.get(i));
            let pos_of =
                |key: &str| -> Pos { rpos.and_then(|m| m.get(key).copied()).unwrap_or((0, 0)) };
            for (msg, pos, alt) in validate_rule(r, &pos_of, opts) {
                errs.push(RuleError::Rule {
                    group: g.name.clone(),
                    index: i + 1,
                    name: r.name().to_string(),
                    pos,
                    alt,
                    msg,
                });
            }
        }
    }
    errs
}

type Found = (String, Option<Pos>, Option<Pos>);

fn validate_rule(r: &Rule, pos_of: &dyn Fn(&str) -> Pos, opts: &ParseOptions) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    let (record, alert, expr) = (
        Some(pos_of("record")),
        Some(pos_of("alert")),
        Some(pos_of("expr")),
    );
    if !r.record.is_empty() && !r.alert.is_empty() {
        out.push((
            "only one of 'record' and 'alert' must be set".into(),
            record,
            alert,
        ));
    }
    if r.record.is_empty() && r.alert.is_empty() {
        out.push((
            "one of 'record' or 'alert' must be set".into(),
            record,
            alert,
        ));
    }
    if r.expr.is_empty() {
        out.push(("field 'expr' must be set in rule".into(), expr, None));
    } else if let Err(e) = vigil_promql::parse_with(&r.expr, opts.promql) {
        out.push((format!("could not parse expression: {e}"), expr, None));
    }
    if !r.record.is_empty() {
        if !r.annotations.is_empty() {
            out.push((
                "invalid field 'annotations' in recording rule".into(),
                record,
                None,
            ));
        }
        if r.for_ != 0 {
            out.push(("invalid field 'for' in recording rule".into(), record, None));
        }
        if r.keep_firing_for != 0 {
            out.push((
                "invalid field 'keep_firing_for' in recording rule".into(),
                record,
                None,
            ));
        }
        if !is_valid_metric_name(&r.record, opts.name_validation) {
            out.push((
                format!("invalid recording rule name: {}", r.record),
                record,
                None,
            ));
        }
        // A valid UTF-8 name, but most likely a selector put in the wrong field.
        if r.record.contains(['{', '}']) {
            out.push((
                format!(
                    "braces present in the recording rule name; should it be in expr?: {}",
                    r.record
                ),
                record,
                None,
            ));
        }
    }
    for k in r.labels.keys() {
        if !is_valid_label_name(k, opts.name_validation) || k == "__name__" {
            out.push((format!("invalid label name: {k}"), None, None));
        }
    }
    for k in r.annotations.keys() {
        if !is_valid_label_name(k, opts.name_validation) {
            out.push((format!("invalid annotation name: {k}"), None, None));
        }
    }
    if !r.alert.is_empty() {
        for (k, v) in &r.labels {
            if let Err(e) = vigil_template::parse_alert_template(&r.alert, v) {
                out.push((format!("label {}: {e}", go_quote(k)), None, None));
            }
        }
        for (k, v) in &r.annotations {
            if let Err(e) = vigil_template::parse_alert_template(&r.alert, v) {
                out.push((format!("annotation {}: {e}", go_quote(k)), None, None));
            }
        }
    }
    out
}

/// A rule defined more than once: same name and same labels (group labels
/// merged under rule labels), as promtool's `checkDuplicates` reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DuplicateRule {
    /// The `record` or `alert` name.
    pub metric: String,
    /// The merged labels, sorted by name.
    pub labels: Vec<(String, String)>,
}

fn merged(g: &RuleGroup, r: &Rule) -> Vec<(String, String)> {
    let mut m = g.labels.clone();
    m.extend(r.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    m.into_iter().collect()
}

/// promtool's duplicate-rule lint over every group of a file: each
/// duplicated (name, labels) pair once, in sorted order.
pub fn check_duplicates(groups: &[RuleGroup]) -> Vec<DuplicateRule> {
    let mut all: Vec<DuplicateRule> = groups
        .iter()
        .flat_map(|g| {
            g.rules.iter().map(move |r| DuplicateRule {
                metric: r.name().to_string(),
                labels: merged(g, r),
            })
        })
        .collect();
    all.sort();
    let mut dups: Vec<DuplicateRule> = Vec::new();
    for w in all.windows(2) {
        if let [a, b] = w
            && a == b
            && dups.last() != Some(b)
        {
            dups.push(b.clone());
        }
    }
    dups
}

impl DuplicateRule {
    /// promtool's report of a set of duplicates.
    pub fn report(dups: &[DuplicateRule]) -> String {
        let mut s = format!("{} duplicate rule(s) found.\n", dups.len());
        for d in dups {
            s.push_str(&format!("Metric: {}\nLabel(s):\n", d.metric));
            for (k, v) in &d.labels {
                s.push_str(&format!("\t{k}: {v}\n"));
            }
        }
        s.push_str("Might cause inconsistency while recording expressions");
        s
    }
}
