//! The errors of rule evaluation and rule loading: [`EvalError`] is what a
//! rule's `lastError` shows (worded as Prometheus words it), [`LoadError`]
//! why [`crate::manager::RuleManager::update`] kept the previous rules.

use thiserror::Error;

use crate::rulefmt::RuleError;

/// Why one evaluation of a rule failed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EvalError {
    /// The query failed (its message as the engine gives it).
    #[error("{0}")]
    Query(String),
    /// The expression yielded something other than a vector or scalar.
    #[error("rule result is not a vector or scalar")]
    NotVector,
    /// Two output series of a recording rule have the same labels.
    #[error("vector contains metrics with the same labelset after applying rule labels")]
    DuplicateRecordingLabelSet,
    /// Two alerts of an alerting rule have the same labels.
    #[error("vector contains metrics with the same labelset after applying alert labels")]
    DuplicateAlertLabelSet,
    /// A recording rule produced more series than the group's `limit`.
    #[error("exceeded limit of {limit} with {count} series")]
    SeriesLimit {
        /// The group's limit.
        limit: i64,
        /// How many series the rule produced.
        count: usize,
    },
    /// An alerting rule had more active alerts than the group's `limit`.
    #[error("exceeded limit of {limit} with {count} alerts")]
    AlertLimit {
        /// The group's limit.
        limit: i64,
        /// How many alerts were active or pending.
        count: usize,
    },
    /// Appending the results to storage failed.
    #[error("{0}")]
    Append(String),
}

/// Why a set of rule files could not be loaded; the running rules are
/// left as they were.
#[derive(Debug, Error)]
pub enum LoadError {
    /// A rule file does not parse or validate (every problem found).
    #[error("error loading rules, previous rule set restored: {}", join(.0))]
    Rules(Vec<RuleError>),
    /// A rule file pattern is not a valid glob.
    #[error("error retrieving rule files for {pattern}: {reason}")]
    Glob {
        /// The `rule_files` entry.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The rule manager has been stopped.
    #[error("rule manager stopped")]
    Stopped,
}

fn join(errs: &[RuleError]) -> String {
    errs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
