//! [`Template`]: a set of named trees parsed together (the main template and
//! its `define`s), the functions they may call, and Go's options.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::ast::Node;
use crate::builtins;
use crate::error::{Error, ExecError, ParseError};
use crate::exec::{Limits, State};
use crate::func::{Func, FuncMap};
use crate::value::Value;

/// Go's `missingkey` option: what a missing map key evaluates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// `missingkey=default`/`invalid`: "no value", printed `<no value>`.
    #[default]
    Invalid,
    /// `missingkey=zero`: the zero value of the map's element type.
    Zero,
    /// `missingkey=error`: execution stops with an error.
    Error,
}

/// One parsed tree and the text it was parsed from (for error positions).
#[derive(Debug)]
pub(crate) struct Tree {
    pub(crate) root: Vec<Node>,
    pub(crate) src: Arc<str>,
    /// Name of the template whose text held this tree.
    pub(crate) parse_name: String,
}

/// A set of associated templates, as Go's `*template.Template`.
#[derive(Debug, Clone)]
pub struct Template {
    name: String,
    pub(crate) trees: BTreeMap<String, Arc<Tree>>,
    pub(crate) funcs: Arc<FuncMap>,
    pub(crate) missing_key: MissingKey,
    /// HTML mode: action output is HTML-escaped unless it is `safeHtml`.
    pub(crate) html: bool,
    limits: Limits,
}

impl Template {
    /// An empty template set named `name` with Go's predefined functions.
    pub fn new(name: &str) -> Template {
        Template {
            name: name.to_string(),
            trees: BTreeMap::new(),
            funcs: Arc::new(FuncMap::new()),
            missing_key: MissingKey::Invalid,
            html: false,
            limits: Limits::default(),
        }
    }

    /// Adds functions (replacing ones of the same name, builtins included).
    pub fn funcs(mut self, funcs: FuncMap) -> Template {
        let mut map = (*self.funcs).clone();
        map.extend(funcs);
        self.funcs = Arc::new(map);
        self
    }

    /// Adds one function.
    pub fn func(self, name: &str, f: Func) -> Template {
        let mut m = FuncMap::new();
        m.insert(name.to_string(), f);
        self.funcs(m)
    }

    /// Applies Go's `Option("missingkey=...")`; unknown options are errors.
    pub fn option(mut self, opt: &str) -> Result<Template, String> {
        self.missing_key = match opt {
            "missingkey=default" | "missingkey=invalid" => MissingKey::Invalid,
            "missingkey=zero" => MissingKey::Zero,
            "missingkey=error" => MissingKey::Error,
            _ => return Err(format!("unrecognized option: {opt}")),
        };
        Ok(self)
    }

    /// Switches HTML mode on: printed values are HTML-escaped unless they
    /// are `template.HTML`, and missing values print as nothing. This covers
    /// what Prometheus' console and alert HTML rely on from `html/template`,
    /// not its full contextual escaping.
    pub fn html(mut self, on: bool) -> Template {
        self.html = on;
        self
    }

    /// Sets output and work limits.
    pub fn limits(mut self, limits: Limits) -> Template {
        self.limits = limits;
        self
    }

    /// The template's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether a function of this name can be called.
    pub fn has_func(&self, name: &str) -> bool {
        self.funcs.contains_key(name) || builtins::NAMES.contains(&name)
    }

    /// Parses `text` as the body of this template (and its `define`s).
    pub fn parse(&mut self, text: &str) -> Result<(), ParseError> {
        let name = self.name.clone();
        self.parse_named(&name, text)
    }

    /// Parses `text` as template `name` of the set.
    pub fn parse_named(&mut self, name: &str, text: &str) -> Result<(), ParseError> {
        let mut trees = BTreeMap::new();
        let funcs = self.funcs.clone();
        let has = |n: &str| funcs.contains_key(n) || builtins::NAMES.contains(&n);
        crate::parse::parse(name, text, &has, &mut trees)?;
        let src: Arc<str> = Arc::from(text);
        for (n, root) in trees {
            let empty = root
                .iter()
                .all(|x| matches!(x, Node::Text(t) if t.trim().is_empty()));
            if empty && self.trees.contains_key(&n) {
                continue;
            }
            self.trees.insert(
                n,
                Arc::new(Tree {
                    root,
                    src: src.clone(),
                    parse_name: name.to_string(),
                }),
            );
        }
        Ok(())
    }

    /// Executes the template with `data` as dot.
    pub fn execute(&self, data: &Value) -> Result<String, ExecError> {
        self.execute_template(&self.name, data)
    }

    /// Executes the associated template `name`.
    pub fn execute_template(&self, name: &str, data: &Value) -> Result<String, ExecError> {
        self.execute_nested(name, data, 0, self.limits)
    }

    pub(crate) fn execute_nested(
        &self,
        name: &str,
        data: &Value,
        depth: usize,
        limits: Limits,
    ) -> Result<String, ExecError> {
        let Some(tree) = self.trees.get(name) else {
            return Err(ExecError(
                if self.trees.is_empty() || name == self.name && self.trees.len() <= 1 {
                    format!(
                        "template: {}: {} is an incomplete or empty template",
                        name,
                        crate::gofmt::quote(name)
                    )
                } else {
                    format!(
                        "template: no template {} associated with template {}",
                        crate::gofmt::quote(name),
                        crate::gofmt::quote(&self.name)
                    )
                },
            ));
        };
        let mut st = State::new(self, tree, tree_name(&self.trees, name), data, limits);
        st.set_depth(depth);
        st.run(data)?;
        Ok(st.out)
    }

    /// Parses and executes in one go.
    pub fn render(mut self, text: &str, data: &Value) -> Result<String, Error> {
        self.parse(text)?;
        Ok(self.execute(data)?)
    }
}

fn tree_name<'a>(trees: &'a BTreeMap<String, Arc<Tree>>, name: &str) -> &'a str {
    trees.get_key_value(name).map_or("", |(k, _)| k.as_str())
}
