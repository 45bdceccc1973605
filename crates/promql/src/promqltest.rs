//! A runner for Prometheus' PromQL test-script language (`promqltest`),
//! which checks the engine against the upstream `.test` files.
//!
//! A script is a list of commands (see the upstream
//! `promql/promqltest/README.md` for the language):
//!
//! ```text
//! load 1m
//!     metric{env="prod"} 0+10x5 _ stale {{schema:1 sum:3 count:22 buckets:[5 10 7]}}
//!
//! eval instant at 2m metric
//!     expect no_warn
//!     metric{env="prod"} 20
//!
//! eval range from 0 to 2m step 1m rate(metric[2m])
//!     {env="prod"} _ 0.1666 0.1666
//! ```
//!
//! - [`series`]/[`histogram_desc`]: series descriptions (`1+2x3 _ stale {{…}}`).
//! - [`script`]: the command parser ([`parse_script`]).
//! - [`storage`]: [`MemStorage`], the in-memory [`crate::storage::Queryable`].
//! - [`load`]: applying `load`/`load_with_nhcb` blocks.
//! - [`compare`]: result comparison with upstream's tolerance rules.
//! - [`runner`]: executing scripts ([`run_script`]); each `eval` is a case.
//!
//! [`engine_options`] gives the engine settings upstream runs the scripts
//! with, as far as [`EngineOptions`] can express them.
//!
//! The upstream scripts run as the integration test `tests/promqltest.rs`
//! (cases that may fail are listed in `tests/promqltest_known_failures.txt`;
//! `PROMQLTEST_UPDATE=1` rewrites it, `PROMQLTEST_FILE=name` runs a subset),
//! and from the command line with
//! `vigil tool test promql FILE.test[:LINE]...`.
//!
//! Not supported yet: start timestamps (`metric@st …` lines are parsed and
//! kept in [`MemStorage`], but [`crate::storage::Queryable`] has no way to
//! hand them to the engine).

pub mod compare;
pub mod histogram_desc;
pub mod load;
pub mod runner;
pub mod script;
pub mod series;
pub mod storage;

pub use runner::{Backend, CaseResult, FileReport, run_script, run_script_lines, run_script_on};
pub use script::{ScriptError, parse_script};
pub use series::{SequenceValue, SeriesDesc, SeriesError, parse_series_desc};
pub use storage::MemStorage;

use crate::engine::EngineOptions;

/// Upstream's sample limit for script queries.
pub const MAX_SAMPLES: usize = 10_000;

/// The engine settings the reference runner uses for scripts: lookback
/// 5 m, at most 10 000 samples per query and experimental functions on;
/// every other setting keeps the engine's default.
///
/// Upstream also enables the `@` modifier, negative offsets, delayed
/// `__name__` removal, start timestamps, a 1 m default subquery step and
/// every experimental parser feature; where [`EngineOptions`] has no switch
/// for one of those, the engine must behave that way by default.
pub fn engine_options() -> EngineOptions {
    script_settings(EngineOptions::default())
}

/// Applies the script settings to `o` (starting from the defaults keeps
/// this working as the engine grows options).
fn script_settings(mut o: EngineOptions) -> EngineOptions {
    o.lookback_delta = 5 * 60 * 1000;
    o.max_samples = MAX_SAMPLES;
    o.enable_experimental_functions = true;
    o
}
