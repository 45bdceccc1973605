//! The template expander of Prometheus' `template` package: parses and runs
//! one template with Prometheus' functions, in text or HTML mode, and the
//! alert-template data (`$labels`, `$value`, ...) of alerting rules.

use std::collections::BTreeMap;
use std::sync::Arc;

use thiserror::Error;

use crate::error::{ExecError, ParseError};
use crate::func::FuncMap;
use crate::prometheus::{Context, functions, tmpl_func};
use crate::template::Template;
use crate::value::{Struct, Value};

/// The variable definitions Prometheus prepends to alert labels and
/// annotations so that `$labels.foo`, `$value`, `$externalLabels` and
/// `$externalURL` work.
pub const ALERT_TEMPLATE_DEFS: &str = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

/// An expansion error, worded as Prometheus' expander words it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExpandError {
    /// `error parsing template NAME: ...`.
    #[error("error parsing template {name}: {source}")]
    Parse {
        /// Template name.
        name: String,
        /// The parse error.
        source: ParseError,
    },
    /// `error executing template NAME: ...`.
    #[error("error executing template {name}: {source}")]
    Exec {
        /// Template name.
        name: String,
        /// The execution error.
        source: ExecError,
    },
    /// An unknown `Option` string.
    #[error("{0}")]
    Option(String),
}

/// Expands one template with Prometheus' functions, as `template.Expander`.
#[derive(Debug, Clone)]
pub struct Expander {
    text: String,
    name: String,
    data: Value,
    ctx: Context,
    options: Vec<String>,
    extra: FuncMap,
}

impl Expander {
    /// A new expander (options default to `missingkey=zero`, as Prometheus').
    pub fn new(text: &str, name: &str, data: Value, ctx: Context) -> Expander {
        Expander {
            text: text.to_string(),
            name: name.to_string(),
            data,
            ctx,
            options: vec!["missingkey=zero".into()],
            extra: FuncMap::new(),
        }
    }

    /// Adds functions, replacing Prometheus' ones of the same name (as
    /// upstream's `Expander.Funcs`).
    pub fn with_funcs(mut self, funcs: FuncMap) -> Expander {
        self.extra.extend(funcs);
        self
    }

    /// Replaces the options (`missingkey=...`).
    pub fn with_options(mut self, options: Vec<String>) -> Expander {
        self.options = options;
        self
    }

    fn template(&self, html: bool) -> Result<Template, ExpandError> {
        let mut t = Template::new(&self.name)
            .funcs(functions(&self.ctx))
            .funcs(self.extra.clone())
            .html(html);
        if html {
            t = t.func("tmpl", tmpl_func());
        }
        for o in &self.options {
            t = t.option(o).map_err(ExpandError::Option)?;
        }
        Ok(t)
    }

    /// Expands in text mode.
    pub fn expand(&self) -> Result<String, ExpandError> {
        self.run(false, &[])
    }

    /// Expands in HTML mode, with extra templates (name, text) available to
    /// `{{template}}` and `tmpl`, like console template libraries.
    pub fn expand_html(&self, files: &[(&str, &str)]) -> Result<String, ExpandError> {
        self.run(true, files)
    }

    fn run(&self, html: bool, files: &[(&str, &str)]) -> Result<String, ExpandError> {
        let mut t = self.template(html)?;
        t.parse(&self.text).map_err(|source| ExpandError::Parse {
            name: self.name.clone(),
            source,
        })?;
        for (n, text) in files {
            t.parse_named(n, text)
                .map_err(|source| ExpandError::Parse {
                    name: self.name.clone(),
                    source,
                })?;
        }
        t.execute(&self.data).map_err(|source| ExpandError::Exec {
            name: self.name.clone(),
            source,
        })
    }

    /// Parses only (rule validation), with `missingkey=zero`.
    pub fn parse_test(&self) -> Result<(), ParseError> {
        let mut t = Template::new(&self.name)
            .funcs(functions(&self.ctx))
            .funcs(self.extra.clone());
        t.parse(&self.text)
    }
}

/// Prometheus' `AlertTemplateData`: the dot of alert label and annotation
/// templates (`.Labels`, `.ExternalLabels`, `.ExternalURL`, `.Value`).
pub fn alert_template_data(
    labels: &BTreeMap<String, String>,
    external_labels: &BTreeMap<String, String>,
    external_url: &str,
    value: Value,
) -> Value {
    let map = |m: &BTreeMap<String, String>| {
        Value::string_map(m.iter().map(|(k, v)| (k.clone(), v.as_str())))
    };
    Value::Struct(Arc::new(Struct {
        type_name: "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }".into(),
        fields: vec![
            ("Labels".into(), map(labels)),
            ("ExternalLabels".into(), map(external_labels)),
            ("ExternalURL".into(), Value::from(external_url)),
            ("Value".into(), value),
        ],
    }))
}

/// Expands an alert label or annotation template as Prometheus' alerting
/// rules do: the definitions of [`ALERT_TEMPLATE_DEFS`] are prepended and
/// the template is named `__alert_<alertname>`.
pub fn expand_alert_template(
    alert_name: &str,
    text: &str,
    data: Value,
    ctx: Context,
) -> Result<String, ExpandError> {
    let full = format!("{ALERT_TEMPLATE_DEFS}{text}");
    Expander::new(&full, &format!("__alert_{alert_name}"), data, ctx).expand()
}

/// What an alerting rule puts in a label or annotation: the expansion, or
/// `<error expanding template: ...>` when it fails (Prometheus logs the
/// error and keeps the alert).
pub fn expand_alert_text(alert_name: &str, text: &str, data: Value, ctx: Context) -> String {
    match expand_alert_template(alert_name, text, data, ctx) {
        Ok(s) => s,
        Err(e) => format!("<error expanding template: {e}>"),
    }
}

/// Checks that an alert label or annotation template parses, as
/// `rulefmt` does, with the alert definitions prepended.
pub fn parse_alert_template(alert_name: &str, text: &str) -> Result<(), ParseError> {
    // Parsing needs only the functions' names: build them once, since rule
    // files check every label and annotation of every alert.
    static FUNCS: std::sync::OnceLock<Arc<FuncMap>> = std::sync::OnceLock::new();
    let funcs = FUNCS.get_or_init(|| Arc::new(functions(&Context::default())));
    let full = format!("{ALERT_TEMPLATE_DEFS}{text}");
    let mut t = Template::new(&format!("__alert_{alert_name}"));
    t.funcs = funcs.clone();
    t.parse(&full)
}
