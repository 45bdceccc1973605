//! A Go `text/template`-compatible template engine with Prometheus'
//! template functions, used by alerting rules (labels and annotations),
//! console templates and, later, the Alertmanager's notification templates.
//!
//! - [`Template`]: parse ([`Template::parse`]) and execute
//!   ([`Template::execute`]) Go templates: actions, pipelines, variables,
//!   `if`/`else if`/`range`/`with`/`break`/`continue`, `define`/`template`/
//!   `block`, whitespace trimming, comments, and Go's predefined functions
//!   with Go's comparison rules, `fmt` formatting and error messages
//!   (`template: NAME:LINE:COL: executing "NAME" at <NODE>: ...`).
//! - [`Value`]: the dynamic values templates see, each remembering the Go
//!   type it stands for; [`Object`] gives a value methods, which is how the
//!   Alertmanager's data types (`KV.SortedPairs`, `Alerts.Firing`) will be
//!   expressed.
//! - [`prometheus::functions`] and [`Expander`]: Prometheus' functions
//!   (`humanize`, `query`, `label`, ...) and its expander; `query` calls an
//!   injected [`QueryFn`], so this crate does not depend on the PromQL engine.
//! - [`expand_alert_template`] / [`alert_template_data`]: what alerting rules
//!   do with `$labels`, `$value`, `$externalLabels` and `$externalURL`.
//!
//! Executing a template never panics and is bounded: parse nesting
//! ([`parse::MAX_DEPTH`]), template recursion ([`exec::MAX_TEMPLATE_DEPTH`])
//! and output size and work ([`Limits`]) all have limits.

mod ast;
mod builtins;
mod error;
pub mod exec;
mod expander;
mod func;
mod gofmt;
mod lex;
mod methods;
pub mod parse;
pub mod prometheus;
mod template;
pub mod time;
mod unquote;
mod value;

pub use builtins::{html_escape, js_escape, query_escape};
pub use error::{Error, ExecError, ParseError};
pub use exec::Limits;
pub use expander::{
    ALERT_TEMPLATE_DEFS, ExpandError, Expander, alert_template_data, expand_alert_template,
    expand_alert_text, parse_alert_template,
};
pub use func::{Func, FuncBody, FuncMap, Param};
pub use prometheus::{Context, QueryFn};
pub use template::{MissingKey, Template};
pub use value::{ElemType, List, Map, Object, Sample, Struct, Value};
