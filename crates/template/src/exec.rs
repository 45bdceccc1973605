//! The executor: walks a tree with a dot value and variables, as Go's
//! `text/template/exec.go` does, including which node an error is reported
//! "at" (Go remembers the last node it started evaluating).
//!
//! Work is bounded: template calls nest at most [`MAX_TEMPLATE_DEPTH`]
//! deep, and output and evaluation steps are capped by [`Limits`], so that
//! no template can exhaust memory or the stack.

use std::sync::Arc;

use crate::ast::{Arg, Branch, Command, Node, Number, Pipe};
use crate::builtins;
use crate::error::ExecError;
use crate::func::{Func, Param};
use crate::gofmt;
use crate::methods;
use crate::template::{MissingKey, Template, Tree};
use crate::value::Value;

/// Deepest nesting of `{{template}}` calls.
pub const MAX_TEMPLATE_DEPTH: usize = 100;

/// Resource limits of one execution.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest output in bytes.
    pub max_output: usize,
    /// Most evaluation steps (commands and nodes walked).
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_output: 16 << 20,
            max_steps: 10_000_000,
        }
    }
}

/// What `{{break}}` and `{{continue}}` do to the enclosing walk.
#[derive(PartialEq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

/// The node an error is reported at, as Go's `state.at`.
#[derive(Clone, Copy)]
enum At<'a> {
    None,
    Arg(&'a Arg),
    Cmd(&'a Command),
    Pipe(&'a Pipe),
    Range(&'a Branch),
    Template(usize, &'a str),
}

pub(crate) type Res<T> = Result<T, ExecError>;

mod args;

pub(crate) struct State<'a> {
    tmpl: &'a Template,
    tree: &'a Tree,
    /// Name of the template being executed.
    name: &'a str,
    vars: Vec<(String, Value)>,
    pub(crate) out: String,
    at: At<'a>,
    depth: usize,
    steps: u64,
    limits: Limits,
}

fn at_string(at: At<'_>) -> (usize, String) {
    match at {
        At::None => (0, String::new()),
        At::Arg(a) => (a.pos(), a.to_string()),
        At::Cmd(c) => (c.pos, c.to_string()),
        At::Pipe(p) => (p.pos, p.to_string()),
        At::Range(b) => (b.pos, format!("{{{{range {}}}}}", b.pipe)),
        At::Template(pos, name) => (pos, format!("{{{{template {}}}}}", gofmt::quote(name))),
    }
}

impl<'a> State<'a> {
    pub(crate) fn new(
        tmpl: &'a Template,
        tree: &'a Tree,
        name: &'a str,
        dot: &Value,
        limits: Limits,
    ) -> Self {
        State {
            tmpl,
            tree,
            name,
            vars: vec![("$".to_string(), dot.clone())],
            out: String::new(),
            at: At::None,
            depth: 0,
            steps: 0,
            limits,
        }
    }

    pub(crate) fn set_depth(&mut self, depth: usize) {
        self.depth = depth;
    }

    /// Formats an error at the current node.
    pub(crate) fn error(&self, msg: impl std::fmt::Display) -> ExecError {
        if let At::None = self.at {
            return ExecError(format!("template: {}: {msg}", self.name));
        }
        let (pos, ctx) = at_string(self.at);
        let text = self
            .tree
            .src
            .get(..pos.min(self.tree.src.len()))
            .unwrap_or("");
        let (line, col) = match text.rfind('\n') {
            Some(nl) => (1 + text.matches('\n').count(), pos - nl - 1),
            None => (1, pos),
        };
        ExecError(format!(
            "template: {}:{line}:{col}: executing {} at <{ctx}>: {msg}",
            self.tree.parse_name,
            gofmt::quote(self.name)
        ))
    }

    fn step(&mut self) -> Res<()> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(self.error(format!(
                "exceeded maximum number of evaluation steps ({})",
                self.limits.max_steps
            )));
        }
        Ok(())
    }

    fn write(&mut self, s: &str) -> Res<()> {
        if self.out.len() + s.len() > self.limits.max_output {
            return Err(self.error(format!(
                "output exceeds the limit of {} bytes",
                self.limits.max_output
            )));
        }
        self.out.push_str(s);
        Ok(())
    }

    fn walk_list(&mut self, dot: &Value, list: &'a [Node]) -> Res<Flow> {
        for n in list {
            let flow = self.walk(dot, n)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    pub(crate) fn run(&mut self, dot: &Value) -> Res<()> {
        let root: &'a [Node] = &self.tree.root;
        self.walk_list(dot, root)?;
        Ok(())
    }

    fn walk(&mut self, dot: &Value, node: &'a Node) -> Res<Flow> {
        self.step()?;
        match node {
            Node::Text(t) => self.write(t)?,
            Node::Action(pipe) => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.print_value(&v)?;
                }
            }
            Node::If(b) | Node::With(b) => {
                let mark = self.vars.len();
                let v = self.eval_pipeline(dot, &b.pipe)?;
                let is_with = matches!(node, Node::With(_));
                let flow = if v.truth() {
                    let d = if is_with { v } else { dot.clone() };
                    self.walk_list(&d, &b.list)?
                } else if let Some(e) = &b.else_list {
                    self.walk_list(dot, e)?
                } else {
                    Flow::Normal
                };
                self.vars.truncate(mark);
                return Ok(flow);
            }
            Node::Range(b) => {
                self.walk_range(dot, b)?;
            }
            Node::Template { pos, name, pipe } => {
                self.at = At::Template(*pos, name);
                let Some(tree) = self.tmpl.trees.get(name.as_str()).map(|t| &**t) else {
                    return Err(self.error(format!("template {} not defined", gofmt::quote(name))));
                };
                if self.depth >= MAX_TEMPLATE_DEPTH {
                    return Err(self.error(format!(
                        "exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})"
                    )));
                }
                let new_dot = match pipe {
                    Some(p) => self.eval_pipeline(dot, p)?,
                    None => Value::Missing,
                };
                let saved_vars =
                    std::mem::replace(&mut self.vars, vec![("$".into(), new_dot.clone())]);
                let saved_tree = std::mem::replace(&mut self.tree, tree);
                let saved_name = std::mem::replace(&mut self.name, name.as_str());
                self.depth += 1;
                let r = self.walk_list(&new_dot, &tree.root);
                self.depth -= 1;
                self.vars = saved_vars;
                self.tree = saved_tree;
                self.name = saved_name;
                r?;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_range(&mut self, dot: &Value, b: &'a Branch) -> Res<()> {
        self.at = At::Range(b);
        let mark = self.vars.len();
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let inner_mark = self.vars.len();
        let mut iterated = false;
        let items: Vec<(Value, Value)> = match val.data() {
            Value::List(l) => l
                .items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), v.clone()))
                .collect(),
            Value::QueryResult(q) => q
                .iter()
                .enumerate()
                .map(|(i, s)| (Value::Int(i as i64), Value::Sample(s.clone())))
                .collect(),
            Value::Map(m) => m
                .entries
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), v.clone()))
                .collect(),
            Value::Int(n) => {
                if b.pipe.decl.len() > 1 {
                    return Err(self.error(format!(
                        "can't use {} to iterate over more than one variable",
                        gofmt::to_string(&val)
                    )));
                }
                let n = *n;
                let mut i = 0;
                while i < n {
                    iterated = true;
                    self.step()?;
                    let elem = Value::Int(i);
                    if self.range_iteration(b, inner_mark, elem.clone(), elem)? == Flow::Break {
                        break;
                    }
                    i += 1;
                }
                Vec::new()
            }
            Value::Nil | Value::Missing => Vec::new(),
            _ => {
                return Err(self.error(format!(
                    "range can't iterate over {}",
                    gofmt::to_string(&val)
                )));
            }
        };
        for (index, elem) in items {
            iterated = true;
            if self.range_iteration(b, inner_mark, index, elem)? == Flow::Break {
                break;
            }
        }
        if !iterated && let Some(e) = &b.else_list {
            self.walk_list(dot, e)?;
        }
        self.vars.truncate(mark);
        Ok(())
    }

    fn range_iteration(
        &mut self,
        b: &'a Branch,
        mark: usize,
        index: Value,
        elem: Value,
    ) -> Res<Flow> {
        let decl = &b.pipe.decl;
        if b.pipe.is_assign {
            match decl.as_slice() {
                [] => {}
                [v] => self.set_var(v, elem.clone())?,
                [i, e, ..] => {
                    self.set_var(i, index)?;
                    self.set_var(e, elem.clone())?;
                }
            }
        } else {
            // The declared variables are the last ones pushed.
            let n = self.vars.len();
            match decl.len() {
                0 => {}
                1 => {
                    if let Some(v) = self.vars.get_mut(n - 1) {
                        v.1 = elem.clone();
                    }
                }
                _ => {
                    if let Some(v) = self.vars.get_mut(n - 2) {
                        v.1 = index;
                    }
                    if let Some(v) = self.vars.get_mut(n - 1) {
                        v.1 = elem.clone();
                    }
                }
            }
        }
        let flow = self.walk_list(&elem, &b.list)?;
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn set_var(&mut self, name: &str, v: Value) -> Res<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => Err(self.error(format!("undefined variable: {name}"))),
        }
    }

    fn var_value(&self, name: &str) -> Res<Value> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.error(format!("undefined variable: {name}"))),
        }
    }

    fn print_value(&mut self, v: &Value) -> Res<()> {
        if self.tmpl.html {
            let s = match v {
                Value::SafeHtml(s) => s.to_string(),
                Value::Sample(_) => builtins::html_text_escape(&gofmt::to_string(v).split_off(1)),
                Value::Missing => String::new(),
                _ => builtins::html_text_escape(&gofmt::to_string(v)),
            };
            return self.write(&s);
        }
        // Go prints through one pointer indirection: a `*sample` prints as
        // its struct, without the `&` that `print` would show.
        let s = match v {
            Value::Sample(_) => gofmt::to_string(v).split_off(1),
            _ => gofmt::to_string(v),
        };
        self.write(&s)
    }

    pub(crate) fn eval_pipeline(&mut self, dot: &Value, pipe: &'a Pipe) -> Res<Value> {
        self.at = At::Pipe(pipe);
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or(Value::Missing);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<Value>) -> Res<()> {
        if args.len() > 1 || fin.is_some() {
            let first = args.first().map(ToString::to_string).unwrap_or_default();
            return Err(self.error(format!("can't give argument to non-function {first}")));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &'a Command, fin: Option<Value>) -> Res<Value> {
        self.step()?;
        let Some(first) = cmd.args.first() else {
            return Err(self.error("empty command"));
        };
        match first {
            Arg::Field { idents, .. } => {
                self.at = At::Arg(first);
                self.eval_field_chain(dot, dot.clone(), idents, &cmd.args, fin)
            }
            Arg::Chain { node, fields, .. } => {
                self.at = At::Arg(first);
                if let Arg::Nil(_) = node.as_ref() {
                    return Err(self.error(format!("indirection through explicit nil in {first}")));
                }
                let recv = self.eval_arg(dot, Param::Any, node)?;
                self.eval_field_chain(dot, recv, fields, &cmd.args, fin)
            }
            Arg::Ident { name, .. } => {
                self.eval_function(dot, first, name, &cmd.args, At::Cmd(cmd), fin)
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                self.eval_pipeline(dot, p)
            }
            Arg::Var { idents, .. } => self.eval_variable(dot, first, idents, &cmd.args, fin),
            _ => {
                self.at = At::Arg(first);
                self.not_a_function(&cmd.args, &fin)?;
                match first {
                    Arg::Bool(_, b) => Ok(Value::Bool(*b)),
                    Arg::Dot(_) => Ok(dot.clone()),
                    Arg::Nil(_) => Err(self.error("nil is not a command")),
                    Arg::Number { value, text, .. } => {
                        ideal(*value, text).map_err(|e| self.error(e))
                    }
                    Arg::Str { value, .. } => Ok(Value::from(value.as_str())),
                    _ => Err(self.error(format!("can't evaluate command {first}"))),
                }
            }
        }
    }

    fn eval_variable(
        &mut self,
        dot: &Value,
        node: &'a Arg,
        idents: &'a [String],
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> Res<Value> {
        self.at = At::Arg(node);
        let name = idents.first().map_or("$", String::as_str);
        let v = self.var_value(name)?;
        if idents.len() <= 1 {
            self.not_a_function(args, &fin)?;
            return Ok(v);
        }
        self.eval_field_chain(dot, v, idents.get(1..).unwrap_or(&[]), args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Value,
        mut recv: Value,
        idents: &'a [String],
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> Res<Value> {
        let n = idents.len();
        for (i, name) in idents.iter().enumerate() {
            if i + 1 < n {
                recv = self.eval_field(dot, name, &[], None, recv)?;
            } else {
                return self.eval_field(dot, name, args, fin, recv);
            }
        }
        Ok(recv)
    }

    fn eval_field(
        &mut self,
        dot: &Value,
        name: &str,
        args: &'a [Arg],
        fin: Option<Value>,
        recv: Value,
    ) -> Res<Value> {
        let has_args = args.len() > 1 || fin.is_some();
        if let Value::Object(o) = &recv {
            if let Some(m) = o.methods.get(name) {
                let vals = self.eval_args(dot, name, m, args, fin)?;
                return (m.f)(&vals).map_err(|e| self.error(format!("error calling {name}: {e}")));
            }
            let data = o.data.clone();
            return self.eval_field(dot, name, args, fin, data);
        }
        if let Some(sig) = methods::lookup(&recv, name) {
            let vals = self.eval_args(dot, name, &sig, args, fin)?;
            return methods::call(&recv, name, &vals)
                .map_err(|e| self.error(format!("error calling {name}: {e}")));
        }
        match &recv {
            Value::Nil | Value::Missing => {
                if self.tmpl.missing_key == MissingKey::Error {
                    return Err(
                        self.error(format!("nil data; no entry for key {}", gofmt::quote(name)))
                    );
                }
                Ok(Value::Missing)
            }
            Value::Map(m) => {
                if has_args {
                    return Err(self.error(format!("{name} is not a method but has arguments")));
                }
                match m.entries.get(name) {
                    Some(v) => Ok(v.clone()),
                    None => {
                        match self.tmpl.missing_key {
                            MissingKey::Invalid => Ok(Value::Missing),
                            MissingKey::Zero => Ok(m.elem.zero()),
                            MissingKey::Error => Err(self
                                .error(format!("map has no entry for key {}", gofmt::quote(name)))),
                        }
                    }
                }
            }
            Value::Struct(s) => match s.fields.iter().find(|(n, _)| n == name) {
                Some((_, v)) => {
                    if has_args {
                        return Err(self.error(format!(
                            "{name} has arguments but cannot be invoked as function"
                        )));
                    }
                    Ok(v.clone())
                }
                None => Err(self.error(format!(
                    "can't evaluate field {name} in type {}",
                    s.type_name
                ))),
            },
            Value::Sample(s) if name == "Labels" || name == "Value" => {
                if has_args {
                    return Err(self.error(format!(
                        "{name} has arguments but cannot be invoked as function"
                    )));
                }
                Ok(if name == "Labels" {
                    Value::string_map(s.labels.iter().map(|(k, v)| (k.clone(), v.as_str())))
                } else {
                    s.value.clone()
                })
            }
            _ => Err(self.error(format!(
                "can't evaluate field {name} in type {}",
                recv.type_name()
            ))),
        }
    }

    fn find_func(&self, name: &str) -> Option<Func> {
        self.tmpl
            .funcs
            .get(name)
            .cloned()
            .or_else(|| builtins::builtin(name))
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        node: &'a Arg,
        name: &str,
        args: &'a [Arg],
        err_at: At<'a>,
        fin: Option<Value>,
    ) -> Res<Value> {
        self.at = At::Arg(node);
        let Some(func) = self.find_func(name) else {
            return Err(self.error(format!("{} is not a defined function", gofmt::quote(name))));
        };
        if func.is_lazy_logic() {
            return self.eval_and_or(dot, name, args, fin);
        }
        if name == "tmpl" && self.tmpl.html {
            let vals = self.eval_args(dot, name, &func, args, fin)?;
            return self.call_tmpl(err_at, &vals);
        }
        let vals = self.eval_args(dot, name, &func, args, fin)?;
        match (func.f)(&vals) {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at = err_at;
                Err(self.error(format!("error calling {name}: {e}")))
            }
        }
    }

    fn call_tmpl(&mut self, err_at: At<'a>, vals: &[Value]) -> Res<Value> {
        let name = vals
            .first()
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let data = vals.get(1).cloned().unwrap_or(Value::Nil);
        if self.depth >= MAX_TEMPLATE_DEPTH {
            return Err(self.error(format!(
                "exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})"
            )));
        }
        let r = self
            .tmpl
            .execute_nested(&name, &data, self.depth + 1, self.limits);
        match r {
            Ok(s) => Ok(Value::SafeHtml(Arc::from(s))),
            Err(e) => {
                self.at = err_at;
                Err(self.error(format!("error calling tmpl: {e}")))
            }
        }
    }

    fn eval_and_or(
        &mut self,
        dot: &Value,
        name: &str,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> Res<Value> {
        let args = args.get(1..).unwrap_or(&[]);
        let n = args.len() + usize::from(fin.is_some());
        if n < 1 {
            return Err(self.error(format!(
                "wrong number of args for {name}: want at least 1 got 0"
            )));
        }
        let or = name == "or";
        let mut v = Value::Missing;
        for a in args {
            // Go passes `and`/`or` arguments as reflect.Values: "no value"
            // stays itself rather than becoming nil.
            v = match a {
                Arg::Dot(_) => dot.clone(),
                _ => self.eval_arg(dot, Param::Any, a)?,
            };
            if v.truth() == or {
                return Ok(v);
            }
        }
        if let Some(f) = fin {
            v = f;
        }
        Ok(v)
    }
}

/// An untyped constant as an empty interface (Go's `idealConstant`):
/// `float64` when written as a float, else `int`; an unsigned constant too
/// large for `int` is an error.
pub(crate) fn ideal(n: Number, text: &str) -> Result<Value, String> {
    match (n.float, n.int) {
        (Some(f), _) if n.float_syntax => Ok(Value::Float(f)),
        (_, Some(i)) => Ok(Value::Int(i)),
        _ => Err(format!("{text} overflows int")),
    }
}
