//! Arguments of function and method calls: Go's `evalArgs`/`evalArg`/
//! `validateType`, which check argument counts and convert each argument to
//! the parameter's type (constants by their syntax, values by their type),
//! with Go's messages (`wrong number of args for X: want N got M`,
//! `expected string; found 1`, `wrong type for value; expected ...`).

use super::{At, Res, State, ideal};
use crate::ast::Arg;
use crate::func::{Func, Param};
use crate::value::Value;

impl<'a> State<'a> {
    pub(super) fn eval_args(
        &mut self,
        dot: &Value,
        name: &str,
        func: &Func,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> Res<Vec<Value>> {
        let args = args.get(1..).unwrap_or(&[]);
        let num_in = args.len() + usize::from(fin.is_some());
        let fixed = func.params.len();
        match func.variadic {
            Some(_) if num_in < fixed => {
                return Err(self.error(format!(
                    "wrong number of args for {name}: want at least {fixed} got {}",
                    args.len()
                )));
            }
            None if num_in != fixed => {
                return Err(self.error(format!(
                    "wrong number of args for {name}: want {fixed} got {num_in}"
                )));
            }
            _ => {}
        }
        let param = |i: usize| {
            func.params
                .get(i)
                .copied()
                .or(func.variadic)
                .unwrap_or(Param::Any)
        };
        let mut out = Vec::with_capacity(num_in);
        for (i, a) in args.iter().enumerate() {
            out.push(self.eval_arg(dot, param(i), a)?);
        }
        if let Some(f) = fin {
            out.push(self.validate(f, param(args.len()))?);
        }
        Ok(out)
    }

    pub(super) fn validate(&self, v: Value, p: Param) -> Res<Value> {
        // "No value" passed as an interface becomes a nil interface, as Go's
        // validateType does.
        if p == Param::Any && matches!(v, Value::Missing) {
            return Ok(Value::Nil);
        }
        if p.accepts(&v) {
            return Ok(v);
        }
        if matches!(v, Value::Missing) {
            if let Some(z) = p.nil_value() {
                return Ok(z);
            }
            return Err(self.error(format!("invalid value; expected {}", p.go_name())));
        }
        Err(self.error(format!(
            "wrong type for value; expected {}; got {}",
            p.go_name(),
            v.type_name()
        )))
    }

    pub(super) fn eval_arg(&mut self, dot: &Value, p: Param, a: &'a Arg) -> Res<Value> {
        self.at = At::Arg(a);
        let v = match a {
            Arg::Dot(_) => dot.clone(),
            Arg::Nil(_) => {
                return match p.nil_value() {
                    Some(z) => Ok(z),
                    // An interface parameter can hold nil.
                    None if p == Param::Any => Ok(Value::Nil),
                    None => Err(self.error(format!("cannot assign nil to {}", p.go_name()))),
                };
            }
            Arg::Field { idents, .. } => {
                self.eval_field_chain(dot, dot.clone(), idents, std::slice::from_ref(a), None)?
            }
            Arg::Var { idents, .. } => {
                self.eval_variable(dot, a, idents, std::slice::from_ref(a), None)?
            }
            Arg::Pipe(pipe) => self.eval_pipeline(dot, pipe)?,
            Arg::Ident { name, .. } => {
                self.eval_function(dot, a, name, std::slice::from_ref(a), At::Arg(a), None)?
            }
            Arg::Chain { node, fields, .. } => {
                if let Arg::Nil(_) = node.as_ref() {
                    return Err(self.error(format!("indirection through explicit nil in {a}")));
                }
                let recv = self.eval_arg(dot, Param::Any, node)?;
                self.eval_field_chain(dot, recv, fields, std::slice::from_ref(a), None)?
            }
            Arg::Bool(_, b) => {
                return match p {
                    Param::Any | Param::Bool => Ok(Value::Bool(*b)),
                    _ => Err(self.error(format!("expected {}; found {a}", p.expect_word()))),
                };
            }
            Arg::Str { value, .. } => {
                return match p {
                    Param::Any | Param::Str => Ok(Value::from(value.as_str())),
                    _ => Err(self.error(format!("expected {}; found {a}", p.expect_word()))),
                };
            }
            Arg::Number { value, text, .. } => {
                return match (p, value.float, value.int) {
                    (Param::Any, _, _) => ideal(*value, text).map_err(|e| self.error(e)),
                    (Param::Float, Some(f), _) => Ok(Value::Float(f)),
                    (Param::Int, _, Some(i)) => Ok(Value::Int(i)),
                    _ => Err(self.error(format!("expected {}; found {a}", p.expect_word()))),
                };
            }
        };
        self.validate(v, p)
    }
}
