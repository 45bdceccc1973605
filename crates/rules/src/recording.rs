//! Recording rules: evaluate an expression, rename each output series to
//! the rule's `record` name, add the rule's labels, and hand the samples
//! to the group, which appends them (Prometheus' `rules/recording.go`).

use std::collections::HashSet;
use std::sync::Mutex;

use vigil_model::Labels;
use vigil_promql::value::Sample;

use crate::error::EvalError;
use crate::rule::{Querier, RuleStatus};

/// A recording rule.
#[derive(Debug)]
pub struct RecordingRule {
    name: String,
    expr: String,
    labels: Labels,
    definition: String,
    pub(crate) status: Mutex<RuleStatus>,
}

impl RecordingRule {
    /// A rule writing `expr` (in printed form) as series `name`, with
    /// `labels` added.
    pub fn new(name: &str, expr: &str, labels: Labels) -> RecordingRule {
        let def = crate::rulefmt::Rule {
            record: name.to_string(),
            expr: expr.to_string(),
            labels: crate::alert_template::labels_map(&labels),
            ..Default::default()
        };
        RecordingRule {
            name: name.to_string(),
            expr: expr.to_string(),
            labels,
            definition: def.to_yaml(),
            status: Mutex::new(RuleStatus::default()),
        }
    }

    /// The recorded series' name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The expression, as printed.
    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// Labels added to every output series.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// The rule as YAML.
    pub fn definition(&self) -> &str {
        &self.definition
    }

    /// Evaluates the rule at `ts - query_offset` (ms) and returns the
    /// samples to append; `limit` (0: none) bounds the number of series.
    pub fn eval(
        &self,
        querier: &Querier,
        ts: i64,
        query_offset: i64,
        limit: i64,
    ) -> Result<Vec<Sample>, EvalError> {
        let mut vector = querier.query(&self.expr, ts - query_offset)?;
        let mut b = vigil_model::LabelsBuilder::new();
        for s in &mut vector {
            b.reset();
            for l in s.metric.iter() {
                b.push(l.name, l.value);
            }
            b.set("__name__", &self.name);
            for l in self.labels.iter() {
                b.set(l.name, l.value);
            }
            s.metric = b.build();
        }
        let mut seen = HashSet::with_capacity(vector.len());
        if !vector.iter().all(|s| seen.insert(&s.metric)) {
            return Err(EvalError::DuplicateRecordingLabelSet);
        }
        if limit > 0 && vector.len() as i64 > limit {
            return Err(EvalError::SeriesLimit {
                limit,
                count: vector.len(),
            });
        }
        Ok(vector)
    }
}
