//! Prometheus rule files for Vigil: everything rule evaluation needs that
//! does not depend on the PromQL engine.
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
//!
//! Parsing never panics: any byte string yields groups or errors.

pub mod alert_template;
pub mod rulefmt;

pub use vigil_template as template;
