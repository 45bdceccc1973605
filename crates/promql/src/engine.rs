//! The PromQL engine: evaluates a parsed expression over a [`Queryable`].
//!
//! (Contract for the evaluation work in progress; the evaluator lives in
//! `engine/` once it lands.)

use crate::error::ParseErrors;
use crate::storage::{Queryable, StorageError};
use crate::value::Value;

/// Engine settings (Prometheus' `promql.EngineOpts` and feature flags).
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// How far back an instant selector looks for a sample, in ms (5 m).
    pub lookback_delta: i64,
    /// Most samples a query may hold in memory at once (50 M).
    pub max_samples: usize,
    /// Whether experimental functions (e.g. `sort_by_label`, `info`) are allowed.
    pub enable_experimental_functions: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            lookback_delta: 5 * 60 * 1000,
            max_samples: 50_000_000,
            enable_experimental_functions: false,
        }
    }
}

/// Why a query failed. `Display` gives the text Prometheus gives.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The query does not parse.
    #[error("{0}")]
    Parse(#[from] ParseErrors),
    /// Storage failed.
    #[error("{0}")]
    Storage(#[from] StorageError),
    /// Evaluation failed (message as Prometheus words it).
    #[error("{0}")]
    Eval(String),
}

/// What a query returns: its value and the annotations it raised.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    /// The value (a matrix for range queries).
    pub value: Value,
    /// Warning annotations (`PromQL warning: ...`).
    pub warnings: Vec<String>,
    /// Info annotations (`PromQL info: ...`).
    pub infos: Vec<String>,
}

/// Evaluates PromQL queries.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    opts: EngineOptions,
}

impl Engine {
    /// An engine with `opts`.
    pub fn new(opts: EngineOptions) -> Engine {
        Engine { opts }
    }

    /// The engine's settings.
    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// Evaluates `query` at `ts` (ms since the epoch).
    pub fn instant_query(
        &self,
        _storage: &dyn Queryable,
        query: &str,
        _ts: i64,
    ) -> Result<QueryResult, QueryError> {
        crate::parse(query)?;
        Err(QueryError::Eval("evaluation not implemented yet".into()))
    }

    /// Evaluates `query` at every `step` ms from `start` to `end`
    /// inclusive; the value is always a matrix.
    pub fn range_query(
        &self,
        _storage: &dyn Queryable,
        query: &str,
        _start: i64,
        _end: i64,
        _step: i64,
    ) -> Result<QueryResult, QueryError> {
        crate::parse(query)?;
        Err(QueryError::Eval("evaluation not implemented yet".into()))
    }
}
