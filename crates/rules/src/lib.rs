//! Prometheus rules for Vigil: rule files and their evaluation.
//!
//! - [`rulefmt`]: parses and validates rule files (`groups` of recording
//!   and alerting rules) with every check Prometheus' `model/rulefmt` makes
//!   and in its words, YAML positions included (`4:17: group "g", rule 1,
//!   "r": ...`); [`rulefmt::RuleGroups`] is the parsed file,
//!   [`rulefmt::RuleError`] one refusal. [`rulefmt::check_duplicates`] is
//!   promtool's duplicate-rule lint.
//! - Alert templates are expanded by `vigil-template` (re-exported as
//!   [`template`]), whose [`template::expand_alert_template`] prepends the
//!   `$labels`/`$value`/`$externalLabels`/`$externalURL` definitions as
//!   Prometheus' alerting rules do; [`alert_template`] builds its data and
//!   `query` samples from `vigil-model` labels and histograms.
//! - Evaluation: [`manager::RuleManager`] loads rule files into
//!   [`group::Group`]s and runs each on its own thread at its aligned
//!   times; [`recording::RecordingRule`] writes series,
//!   [`alerting::AlertingRule`] drives alerts through pending, firing and
//!   resolved, writes `ALERTS`/`ALERTS_FOR_STATE` and hands alerts due for
//!   sending to a [`group::NotifyFn`]. Results are written through
//!   [`storage::Appendable`] (implemented for the TSDB's `Db`);
//!   [`snapshot`] copies state for the HTTP API and [`metrics`] renders the
//!   `prometheus_rule_*` metrics.
//! - Rules of a group run in order unless [`ManagerOptions::concurrent_evals`]
//!   is on (3.x's `concurrent-rule-eval`): then rules that neither read nor
//!   feed another rule of the group (`concurrency`, a conservative analysis
//!   of their selectors) run at once, bounded by
//!   [`ManagerOptions::max_concurrent_evals`] across all groups.
//!
//! Parsing never panics: any byte string yields groups or errors. A rule
//! evaluation's failure (query error, template error, duplicate output) is
//! recorded as the rule's health, never a crash.

pub mod alert_template;
pub mod alerting;
mod concurrency;
pub mod error;
mod files;
pub mod group;
pub mod manager;
pub mod metrics;
pub mod recording;
pub mod rule;
pub mod rulefmt;
pub mod snapshot;
pub mod storage;
#[cfg(test)]
mod testutil;

pub use alerting::{Alert, AlertState, AlertingRule, OutgoingAlert};
pub use error::{EvalError, LoadError};
pub use files::expand_rule_files;
pub use group::{Group, NotifyFn};
pub use manager::{ManagerOptions, RuleManager, RulesConfig};
pub use rule::{Health, Rule};
pub use snapshot::{AlertSnapshot, GroupSnapshot, RuleSnapshot};
pub use storage::{Appendable, head_appender};
pub use vigil_template as template;
