//! What recording and alerting rules share: the instant query they run
//! ([`Querier`], Prometheus' `EngineQueryFunc`), their health, last error
//! and evaluation timing ([`RuleStatus`]), and the [`Rule`] enum the
//! groups hold.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use vigil_model::Labels;
use vigil_promql::engine::Engine;
use vigil_promql::storage::Queryable;
use vigil_promql::value::{Sample, Value};

use crate::alerting::AlertingRule;
use crate::error::EvalError;
use crate::recording::RecordingRule;

/// A rule's health after its last evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Health {
    /// Not evaluated yet.
    #[default]
    Unknown,
    /// The last evaluation succeeded.
    Ok,
    /// The last evaluation failed.
    Err,
}

impl Health {
    /// The word Prometheus' API uses (`ok`, `err`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Ok => "ok",
            Health::Err => "err",
        }
    }
}

/// Health and timing of a rule, updated by each evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleStatus {
    /// Health after the last evaluation.
    pub health: Health,
    /// The last evaluation's error, if it failed.
    pub last_error: Option<String>,
    /// Wall-clock start of the last evaluation.
    pub last_evaluation: Option<SystemTime>,
    /// How long the last evaluation took.
    pub evaluation_time: Duration,
}

/// Runs a rule's instant query against storage, as Prometheus'
/// `EngineQueryFunc`: a scalar result becomes a one-sample vector with no
/// labels, anything but a vector or scalar is an error.
#[derive(Clone)]
pub struct Querier {
    /// The engine.
    pub engine: Arc<Engine>,
    /// What the engine reads.
    pub queryable: Arc<dyn Queryable>,
}

impl std::fmt::Debug for Querier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Querier")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

impl Querier {
    /// Evaluates `expr` at `ts` (ms).
    pub fn query(&self, expr: &str, ts: i64) -> Result<Vec<Sample>, EvalError> {
        let res = self
            .engine
            .instant_query(&*self.queryable, expr, ts)
            .map_err(|e| EvalError::Query(e.to_string()))?;
        match res.value {
            Value::Vector(v) => Ok(v),
            Value::Scalar { t, v } => Ok(vec![Sample {
                metric: Labels::empty(),
                t,
                f: v,
                h: None,
                drop_name: false,
            }]),
            _ => Err(EvalError::NotVector),
        }
    }

    /// The `query` function of alert templates over this querier.
    pub fn template_query_fn(&self) -> vigil_template::QueryFn {
        let q = self.clone();
        Arc::new(move |expr: &str, ts: i64| {
            let samples = q.query(expr, ts).map_err(|e| e.to_string())?;
            Ok(samples
                .iter()
                .map(|s| {
                    crate::alert_template::query_sample(
                        &s.metric,
                        crate::alert_template::sample_value(s.f, s.h.as_deref()),
                    )
                })
                .collect())
        })
    }
}

/// A rule of either kind, as a group holds it.
#[derive(Debug)]
pub enum Rule {
    /// A recording rule.
    Recording(RecordingRule),
    /// An alerting rule.
    Alerting(AlertingRule),
}

impl Rule {
    /// The record or alert name.
    pub fn name(&self) -> &str {
        match self {
            Rule::Recording(r) => r.name(),
            Rule::Alerting(r) => r.name(),
        }
    }

    /// The rule's PromQL expression.
    pub fn expr(&self) -> &str {
        match self {
            Rule::Recording(r) => r.expr(),
            Rule::Alerting(r) => r.expr(),
        }
    }

    /// The rule's labels (group labels merged in).
    pub fn labels(&self) -> &Labels {
        match self {
            Rule::Recording(r) => r.labels(),
            Rule::Alerting(r) => r.labels(),
        }
    }

    /// The rule as YAML, which is how groups compare rules on reload.
    pub fn definition(&self) -> &str {
        match self {
            Rule::Recording(r) => r.definition(),
            Rule::Alerting(r) => r.definition(),
        }
    }

    /// The rule's status slot.
    pub(crate) fn status_cell(&self) -> &Mutex<RuleStatus> {
        match self {
            Rule::Recording(r) => &r.status,
            Rule::Alerting(r) => &r.status,
        }
    }

    /// A copy of the rule's health and timing.
    pub fn status(&self) -> RuleStatus {
        lock(self.status_cell()).clone()
    }
}

/// Locks a mutex, going on with the data if another thread panicked while
/// holding it (rule state stays usable; a panic is a bug reported elsewhere).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Builds the label set of a rule from the group's labels and its own
/// (the rule's win), as Prometheus' `FromMaps`.
pub(crate) fn merge_labels(
    group: &std::collections::BTreeMap<String, String>,
    rule: &std::collections::BTreeMap<String, String>,
) -> Labels {
    let mut b = vigil_model::LabelsBuilder::new();
    for (k, v) in group.iter().chain(rule.iter()) {
        b.set(k, v);
    }
    b.build()
}
