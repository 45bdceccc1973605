//! Functions callable from templates: a parameter list with Go's types
//! (arguments are checked and converted as Go's `evalArg` does) and a body.

use std::fmt;
use std::sync::Arc;

use crate::value::Value;

/// The Go type of a function parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `interface {}`: anything.
    Any,
    /// `string`.
    Str,
    /// `float64`.
    Float,
    /// `int`.
    Int,
    /// `bool`.
    Bool,
    /// Prometheus' `queryResult`.
    QueryResult,
    /// Prometheus' `*sample`.
    Sample,
}

impl Param {
    /// Go's name of the type.
    pub fn go_name(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::Str => "string",
            Param::Float => "float64",
            Param::Int => "int",
            Param::Bool => "bool",
            Param::QueryResult => "template.queryResult",
            Param::Sample => "*template.sample",
        }
    }

    /// The word of Go's "expected X; found Y" for constants.
    pub(crate) fn expect_word(self) -> &'static str {
        match self {
            Param::Str => "string",
            Param::Float => "float",
            Param::Int => "integer",
            Param::Bool => "bool",
            _ => self.go_name(),
        }
    }

    /// Whether a value is assignable to the type.
    pub(crate) fn accepts(self, v: &Value) -> bool {
        matches!(
            (self, v),
            (Param::Any, _)
                | (Param::Str, Value::Str(_))
                | (Param::Float, Value::Float(_))
                | (Param::Int, Value::Int(_))
                | (Param::Bool, Value::Bool(_))
                | (Param::QueryResult, Value::QueryResult(_))
                | (Param::Sample, Value::Sample(_))
        )
    }

    /// The value `nil` converts to, for types that can be nil.
    pub(crate) fn nil_value(self) -> Option<Value> {
        match self {
            Param::QueryResult => Some(Value::QueryResult(Arc::new(Vec::new()))),
            Param::Sample => Some(Value::Nil),
            _ => None,
        }
    }
}

/// The body of a function: gets the converted arguments, returns a value or
/// an error message (reported as `error calling NAME: MESSAGE`).
pub type FuncBody = Arc<dyn Fn(&[Value]) -> Result<Value, String> + Send + Sync>;

/// A template function.
#[derive(Clone)]
pub struct Func {
    /// Fixed parameters.
    pub params: Vec<Param>,
    /// The type of further arguments, for variadic functions.
    pub variadic: Option<Param>,
    /// The body.
    pub f: FuncBody,
    pub(crate) lazy_logic: bool,
}

impl fmt::Debug for Func {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Func")
            .field("params", &self.params)
            .field("variadic", &self.variadic)
            .finish_non_exhaustive()
    }
}

impl Func {
    /// A function with fixed parameters.
    pub fn new(
        params: Vec<Param>,
        f: impl Fn(&[Value]) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Func {
        Func {
            params,
            variadic: None,
            f: Arc::new(f),
            lazy_logic: false,
        }
    }

    /// A variadic function: `params` then any number of `rest`.
    pub fn variadic(
        params: Vec<Param>,
        rest: Param,
        f: impl Fn(&[Value]) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Func {
        Func {
            params,
            variadic: Some(rest),
            f: Arc::new(f),
            lazy_logic: false,
        }
    }

    /// `and` / `or`, whose arguments are evaluated lazily by the executor.
    pub(crate) fn is_lazy_logic(&self) -> bool {
        self.lazy_logic
    }
}

/// Functions by name.
pub type FuncMap = std::collections::BTreeMap<String, Func>;
