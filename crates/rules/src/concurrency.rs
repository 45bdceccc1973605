//! Concurrent evaluation of the rules of a group, as Prometheus 3.x does it
//! behind `--enable-feature=concurrent-rule-eval`.
//!
//! A rule depends on an earlier rule of its group when one of its vector
//! selectors could match that rule's output: the selector's `__name__`
//! matcher matches the record (or alert) name, or the selector reads
//! `ALERTS`/`ALERTS_FOR_STATE` and its `alertname` matcher (if any) matches
//! an alerting rule's name. A selector without a name matcher could read
//! anything, so one such selector makes the whole group "indeterminate" and
//! it runs in order, as before. Otherwise the group is split into batches
//! run one after the other: first every rule without dependencies
//! (concurrently), then each rule with both dependencies and dependents on
//! its own, then the rules nothing depends on (concurrently).
//!
//! Concurrency is bounded across all groups by one [`EvalLimiter`]: a rule
//! that finds no free slot is evaluated on the group's own thread, so a
//! busy server degrades to sequential evaluation instead of queueing.

use std::sync::atomic::{AtomicUsize, Ordering};

use vigil_model::Matcher;
use vigil_promql::Expr;

use crate::rule::Rule;

/// The slots for concurrent rule evaluations, shared by every group
/// (`--rules.max-concurrent-evals`).
#[derive(Debug)]
pub(crate) struct EvalLimiter {
    max: usize,
    in_use: AtomicUsize,
}

impl EvalLimiter {
    /// A limiter allowing `max` evaluations at once beside the groups' own
    /// threads.
    pub(crate) fn new(max: usize) -> EvalLimiter {
        EvalLimiter {
            max,
            in_use: AtomicUsize::new(0),
        }
    }

    /// Takes a slot if one is free, without waiting.
    pub(crate) fn try_acquire(&self) -> bool {
        self.in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .is_ok()
    }

    /// Gives back a slot taken by [`EvalLimiter::try_acquire`].
    pub(crate) fn release(&self) {
        self.in_use.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the dependency analysis found for each rule of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dependencies {
    /// `dependencies[i]`: indexes of the earlier rules rule `i` reads.
    pub(crate) dependencies: Vec<Vec<usize>>,
    /// `dependents[i]`: indexes of the later rules that read rule `i`.
    pub(crate) dependents: Vec<Vec<usize>>,
}

/// The name a rule's output series carry, and whether it is an alert.
fn output_name(rule: &Rule) -> (&str, bool) {
    (rule.name(), matches!(rule, Rule::Alerting(_)))
}

/// Every vector selector's matchers in `e`, or `None` if a selector has no
/// name matcher (it could read any rule's output).
fn selectors(e: &Expr, out: &mut Vec<Vec<Matcher>>) -> Option<()> {
    if let Expr::VectorSelector(v) = e {
        if !v.matchers.iter().any(|m| m.name() == "__name__") {
            return None;
        }
        out.push(v.matchers.clone());
    }
    for c in e.children() {
        selectors(c, out)?;
    }
    Some(())
}

/// Analyses a group's rules; `None` when the relationships cannot be known
/// (a selector without a metric name, or an expression that does not
/// parse), in which case the group must run in order.
pub(crate) fn analyse(rules: &[Rule]) -> Option<Dependencies> {
    let n = rules.len();
    let mut deps = Dependencies {
        dependencies: vec![Vec::new(); n],
        dependents: vec![Vec::new(); n],
    };
    if n <= 1 {
        return Some(deps);
    }
    for (i, rule) in rules.iter().enumerate() {
        let expr = vigil_promql::parse(rule.expr()).ok()?;
        let mut sels = Vec::new();
        selectors(&expr, &mut sels)?;
        for matchers in &sels {
            let name = matchers.iter().find(|m| m.name() == "__name__")?;
            let reads_alerts = name.matches("ALERTS") || name.matches("ALERTS_FOR_STATE");
            let alertname = matchers.iter().find(|m| m.name() == "alertname");
            // Only earlier rules count: a later rule's output is read from
            // the previous evaluation either way.
            for (j, other) in rules.iter().enumerate().take(i) {
                let (other_name, other_is_alert) = output_name(other);
                let depends = name.matches(other_name)
                    || (reads_alerts
                        && other_is_alert
                        && alertname.is_none_or(|m| m.matches(other_name)));
                if depends {
                    if !deps.dependencies[i].contains(&j) {
                        deps.dependencies[i].push(j);
                    }
                    if !deps.dependents[j].contains(&i) {
                        deps.dependents[j].push(i);
                    }
                }
            }
        }
    }
    Some(deps)
}

/// The batches a group runs, in order; a batch of more than one rule may
/// run concurrently. Indeterminate groups get one batch per rule.
pub(crate) fn batches(rules: &[Rule]) -> Vec<Vec<usize>> {
    let Some(d) = analyse(rules) else {
        return (0..rules.len()).map(|i| vec![i]).collect();
    };
    let mut first = Vec::new();
    let mut middle = Vec::new();
    let mut last = Vec::new();
    for i in 0..rules.len() {
        let no_deps = d.dependencies.get(i).is_none_or(Vec::is_empty);
        let no_dependents = d.dependents.get(i).is_none_or(Vec::is_empty);
        if no_deps {
            first.push(i);
        } else if !no_dependents {
            middle.push(vec![i]);
        } else {
            last.push(i);
        }
    }
    let mut out = Vec::new();
    if !first.is_empty() {
        out.push(first);
    }
    out.extend(middle);
    if !last.is_empty() {
        out.push(last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerting::{AlertingRule, AlertingRuleSpec};
    use crate::recording::RecordingRule;
    use vigil_model::Labels;

    fn rec(name: &str, expr: &str) -> Rule {
        Rule::Recording(RecordingRule::new(name, expr, Labels::default()))
    }

    fn alert(name: &str, expr: &str) -> Rule {
        Rule::Alerting(AlertingRule::new(AlertingRuleSpec {
            name: name.into(),
            expr: expr.into(),
            ..Default::default()
        }))
    }

    #[test]
    fn independent_rules_share_one_batch() {
        let rules = [
            rec("a:sum", "sum(a)"),
            rec("b:sum", "sum(rate(b[5m]))"),
            rec("c:max", "max(c) > 1"),
        ];
        assert_eq!(batches(&rules), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn chains_keep_their_order() {
        let rules = [
            rec("a:sum", "sum(a)"),
            rec("a:double", "a:sum * 2"),
            rec("a:triple", "a:double * 1.5"),
            rec("b:sum", "sum(b)"),
        ];
        let d = analyse(&rules).unwrap();
        assert_eq!(d.dependencies, vec![vec![], vec![0], vec![1], vec![]]);
        assert_eq!(d.dependents, vec![vec![1], vec![2], vec![], vec![]]);
        assert_eq!(batches(&rules), vec![vec![0, 3], vec![1], vec![2]]);
    }

    #[test]
    fn regex_names_and_alerts_count() {
        let rules = [
            rec("job:a", "sum(a)"),
            rec("x", "sum({__name__=~\"job:.*\"})"),
            alert("High", "x > 1"),
            rec("firing", "count(ALERTS{alertname=\"High\"})"),
            rec("other", "count(ALERTS{alertname=\"Low\"})"),
        ];
        let d = analyse(&rules).unwrap();
        assert_eq!(d.dependencies[1], vec![0]);
        assert_eq!(d.dependencies[2], vec![1]);
        assert_eq!(d.dependencies[3], vec![2]);
        assert!(d.dependencies[4].is_empty());
    }

    #[test]
    fn a_selector_without_a_name_makes_the_group_sequential() {
        let rules = [rec("a", "sum(a)"), rec("b", "count({job=\"x\"})")];
        assert_eq!(analyse(&rules), None);
        assert_eq!(batches(&rules), vec![vec![0], vec![1]]);
    }

    #[test]
    fn later_rules_are_not_dependencies() {
        let rules = [rec("a", "sum(b)"), rec("b", "sum(c)")];
        assert_eq!(batches(&rules), vec![vec![0, 1]]);
    }

    #[test]
    fn limiter_is_bounded() {
        let l = EvalLimiter::new(2);
        assert!(l.try_acquire());
        assert!(l.try_acquire());
        assert!(!l.try_acquire());
        l.release();
        assert!(l.try_acquire());
    }
}
