//! The feature registry behind `GET /api/v1/features` (Prometheus 3.x):
//! which optional features this server has, by category (`api`, `promql`,
//! `promql_functions`, `promql_operators`, `rules`, `tsdb`, …), each
//! `true` or `false`. Clients read it to find out what they may use, so
//! a feature is listed as enabled only when Vigil implements it.
//!
//! The web crate registers the API's and PromQL's features itself
//! ([`Features::register_api`], [`Features::register_promql`]); the binary
//! adds those of the components it wires up.

use std::collections::BTreeMap;
use std::sync::RwLock;

use vigil_promql::ast::{AggregateOp, BinaryOp};

use crate::state::WebOptions;

/// Feature categories, named as Prometheus names them.
pub mod category {
    /// HTTP API features.
    pub const API: &str = "api";
    /// Server-wide modes.
    pub const PROMETHEUS: &str = "prometheus";
    /// PromQL language features and keywords.
    pub const PROMQL: &str = "promql";
    /// PromQL functions.
    pub const PROMQL_FUNCTIONS: &str = "promql_functions";
    /// PromQL operators and aggregations.
    pub const PROMQL_OPERATORS: &str = "promql_operators";
    /// Rule evaluation.
    pub const RULES: &str = "rules";
    /// Scraping.
    pub const SCRAPE: &str = "scrape";
    /// Service discovery mechanisms that run.
    pub const SERVICE_DISCOVERY_PROVIDERS: &str = "service_discovery_providers";
    /// Alert template functions.
    pub const TEMPLATING_FUNCTIONS: &str = "templating_functions";
    /// Storage.
    pub const TSDB: &str = "tsdb";
}

/// Category → feature → enabled.
#[derive(Debug, Default)]
pub struct Features {
    map: RwLock<BTreeMap<String, BTreeMap<String, bool>>>,
}

impl Features {
    /// Records whether `name` of `category` is enabled.
    pub fn set(&self, category: &str, name: &str, enabled: bool) {
        let mut m = self.map.write().unwrap_or_else(|e| e.into_inner());
        m.entry(category.to_string())
            .or_default()
            .insert(name.to_string(), enabled);
    }

    /// Records `name` of `category` as enabled.
    pub fn enable(&self, category: &str, name: &str) {
        self.set(category, name, true);
    }

    /// A copy of the registry.
    pub fn snapshot(&self) -> BTreeMap<String, BTreeMap<String, bool>> {
        self.map.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The JSON object `/api/v1/features` answers with: keys sorted, and
    /// (as Prometheus writes this one object) `<`, `>` and `&` left
    /// unescaped, since operator names contain them.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        for (i, (cat, names)) in self.snapshot().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_plain_str(&mut out, cat);
            out.push_str(":{");
            for (j, (name, on)) in names.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                push_plain_str(&mut out, name);
                out.push_str(if *on { ":true" } else { ":false" });
            }
            out.push('}');
        }
        out.push('}');
        out
    }

    /// The API's features, from the server's options and what the
    /// handlers implement.
    pub fn register_api(&self, o: &WebOptions) {
        use category::API;
        self.set(API, "lifecycle", o.enable_lifecycle);
        self.set(API, "admin", o.enable_admin_api);
        self.set(API, "remote_write_receiver", o.enable_remote_write_receiver);
        self.set(API, "otlp_write_receiver", false);
        self.set(API, "search", false);
        for f in [
            "label_values_match",
            "query_warnings",
            "query_stats",
            "time_range_series",
            "time_range_labels",
            "exclude_alerts",
        ] {
            self.enable(API, f);
        }
        self.set(API, "openapi_3.1", false);
        self.set(API, "openapi_3.2", false);
    }

    /// PromQL's keywords, operators, aggregations and functions as the
    /// engine parses them (`experimental` gates experimental functions
    /// and `limitk`/`limit_ratio`), and the engine's features.
    pub fn register_promql(&self, experimental: bool, delayed_name_removal: bool) {
        use category::{PROMQL, PROMQL_FUNCTIONS, PROMQL_OPERATORS};
        // The engine parses duration expressions, `anchored`/`smoothed`
        // and `fill*` modifiers without a flag.
        for k in [
            "bool",
            "by",
            "group_left",
            "group_right",
            "ignoring",
            "offset",
            "on",
            "without",
            "anchored",
            "smoothed",
            "fill",
            "fill_left",
            "fill_right",
            "duration_expr",
            "at_modifier",
            "negative_offset",
            "per_query_lookback_delta",
            "subqueries",
        ] {
            self.enable(PROMQL, k);
        }
        self.set(PROMQL, "per_step_stats", false);
        self.set(PROMQL, "type_and_unit_labels", false);
        self.set(PROMQL, "delayed_name_removal", delayed_name_removal);
        use BinaryOp::*;
        for op in [
            Add, Sub, Mul, Div, Mod, Pow, Atan2, Eql, Neq, Lte, Lss, Gte, Gtr, TrimUpper,
            TrimLower, And, Or, Unless,
        ] {
            self.enable(PROMQL_OPERATORS, op.as_str());
        }
        // Selector and `@` operators are parsed too.
        for op in ["=~", "!~", "@"] {
            self.enable(PROMQL_OPERATORS, op);
        }
        for op in AggregateOp::ALL {
            self.set(
                PROMQL_OPERATORS,
                op.as_str(),
                !op.is_experimental() || experimental,
            );
        }
        for f in vigil_promql::FUNCTIONS {
            self.set(PROMQL_FUNCTIONS, f.name, !f.experimental || experimental);
        }
    }
}

/// A JSON string escaped as Go does without HTML escaping.
fn push_plain_str(out: &mut String, s: &str) {
    let mut escaped = String::new();
    crate::json::push_str(&mut escaped, s);
    out.push_str(
        &escaped
            .replace("\\u003c", "<")
            .replace("\\u003e", ">")
            .replace("\\u0026", "&"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_sorted_and_not_html_escaped() {
        let f = Features::default();
        f.enable("b", "z");
        f.set("b", "a", false);
        f.enable("a", ">=");
        assert_eq!(f.to_json(), r#"{"a":{">=":true},"b":{"a":false,"z":true}}"#);
    }

    #[test]
    fn experimental_functions_follow_the_flag() {
        let f = Features::default();
        f.register_promql(false, false);
        let m = f.snapshot();
        assert!(m["promql_functions"]["rate"]);
        assert!(!m["promql_operators"]["limitk"]);
        assert!(m["promql_operators"]["+"]);
        let experimental = vigil_promql::FUNCTIONS.iter().find(|f| f.experimental);
        if let Some(e) = experimental {
            assert!(!m["promql_functions"][e.name]);
            f.register_promql(true, false);
            assert!(f.snapshot()["promql_functions"][e.name]);
        }
    }
}
