//! The PromQL engine: evaluates a parsed expression over a [`Queryable`].
//!
//! Every node is evaluated once for all steps of the query (an instant
//! query is a range of one step). Instant vectors travel either
//! series-major (one label set per series, one point per step — what
//! selectors, range functions, element-wise functions, group aggregations
//! and most operators produce) or as one vector per step (what needs the
//! whole step at once, e.g. `topk`, `sort`, histogram functions). Each
//! selector reads storage once for the query's whole range; `@`-pinned
//! (step-invariant) expressions are evaluated once and repeated.
//!
//! Layout of `engine/`: `eval` (the tree walk, result shaping),
//! `selector` (instant and range selectors, subqueries), `binary` and
//! `binary_series` (operators and vector matching), `aggregate`,
//! `count_values`, `functions/` (one file per family), `hist` and `trim`
//! (native-histogram arithmetic), `numeric` (Kahan sums, quantiles),
//! `annotations` (warning/info texts), `labels` (label-set helpers).

mod agg_stream;
mod aggregate;
mod annotations;
mod binary;
mod binary_series;
mod count_values;
mod eval;
mod functions;
mod hist;
mod labels;
mod numeric;
mod selector;
#[cfg(test)]
mod tests;
mod trim;

use crate::ParseOptions;
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
    /// Prometheus 3.x delayed `__name__` removal: functions and operators
    /// mark series whose name is to go, and the name is removed only at the
    /// end of evaluation. On by default because the upstream test engine
    /// runs with it; the server sets it from the
    /// `promql-delayed-name-removal` feature flag.
    pub enable_delayed_name_removal: bool,
    /// Use samples' start timestamps (when storage has them) to detect
    /// counter resets in `rate`, `increase`, `irate` and `resets`
    /// (Prometheus' `UseStartTimestamps`, on in its test engine).
    pub use_start_timestamps: bool,
    /// Step of subqueries written without one (`x[5m:]`), in ms (1 m, the
    /// default global evaluation interval).
    pub default_subquery_step: i64,
    /// Longest a query may evaluate (`--query.timeout`, 2 m); `None` for no
    /// limit.
    pub timeout: Option<std::time::Duration>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            lookback_delta: 5 * 60 * 1000,
            max_samples: 50_000_000,
            enable_experimental_functions: false,
            enable_delayed_name_removal: true,
            use_start_timestamps: true,
            default_subquery_step: 60_000,
            timeout: Some(std::time::Duration::from_secs(120)),
        }
    }
}

/// Why a query failed. `Display` gives the text Prometheus gives.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The query does not parse.
    #[error("{0}")]
    Parse(#[from] ParseErrors),
    /// Storage failed (worded like Prometheus: `expanding series: ...`).
    #[error("expanding series: {0}")]
    Storage(#[from] StorageError),
    /// Evaluation failed (message as Prometheus words it).
    #[error("{0}")]
    Eval(String),
    /// The query ran past its timeout (API error type `timeout`).
    #[error("query timed out in expression evaluation")]
    Timeout,
    /// The query was canceled (API error type `canceled`).
    #[error("query was canceled in expression evaluation")]
    Canceled,
}

/// Lets a caller cancel a running query from another thread (a client
/// that went away, a shutdown).
#[derive(Debug, Clone, Default)]
pub struct QueryControl {
    canceled: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl QueryControl {
    /// A control that has not been canceled.
    pub fn new() -> QueryControl {
        QueryControl::default()
    }

    /// Makes the query stop at its next check with [`QueryError::Canceled`].
    pub fn cancel(&self) {
        self.canceled
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn is_canceled(&self) -> bool {
        self.canceled.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// What evaluating a query cost (Prometheus' `stats=all` figures).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QueryStats {
    /// Samples read from storage and produced, summed over the query.
    pub total_samples: u64,
    /// Most samples held in memory at once.
    pub peak_samples: u64,
    /// Seconds spent evaluating.
    pub eval_seconds: f64,
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
    /// What the query cost.
    pub stats: QueryStats,
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

    fn parse(&self, query: &str) -> Result<crate::Expr, QueryError> {
        let mut po = ParseOptions::all();
        po.experimental_functions = self.opts.enable_experimental_functions;
        Ok(crate::parse_with(query, po)?)
    }

    /// Evaluates `query` at `ts` (ms since the epoch).
    pub fn instant_query(
        &self,
        storage: &dyn Queryable,
        query: &str,
        ts: i64,
    ) -> Result<QueryResult, QueryError> {
        self.instant_query_with(storage, query, ts, &QueryControl::new())
    }

    /// As [`Engine::instant_query`], cancelable through `ctl`.
    pub fn instant_query_with(
        &self,
        storage: &dyn Queryable,
        query: &str,
        ts: i64,
        ctl: &QueryControl,
    ) -> Result<QueryResult, QueryError> {
        let expr = self.parse(query)?;
        eval::run(&self.opts, storage, query, &expr, ts, ts, 0, ctl)
    }

    /// Evaluates `query` at every `step` ms from `start` to `end`
    /// inclusive; the value is always a matrix.
    pub fn range_query(
        &self,
        storage: &dyn Queryable,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<QueryResult, QueryError> {
        self.range_query_with(storage, query, start, end, step, &QueryControl::new())
    }

    /// As [`Engine::range_query`], cancelable through `ctl`.
    pub fn range_query_with(
        &self,
        storage: &dyn Queryable,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
        ctl: &QueryControl,
    ) -> Result<QueryResult, QueryError> {
        let expr = self.parse(query)?;
        match expr.type_of() {
            crate::ValueType::Vector | crate::ValueType::Scalar => {}
            t => {
                return Err(QueryError::Eval(format!(
                    "invalid expression type \"{}\" for range query, must be Scalar or instant Vector",
                    t.documented()
                )));
            }
        }
        if step <= 0 {
            return Err(QueryError::Eval(
                "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
            ));
        }
        if end < start {
            return Err(QueryError::Eval(
                "end timestamp must not be before start time".into(),
            ));
        }
        eval::run(&self.opts, storage, query, &expr, start, end, step, ctl)
    }
}
