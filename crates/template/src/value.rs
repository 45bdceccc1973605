//! The dynamic values templates work on, standing in for the Go values
//! Prometheus hands to `text/template` (strings, numbers, maps, slices, the
//! alert data struct, query results, `time.Time`, `time.Duration`).
//!
//! Each variant remembers which Go type it stands for, because Go's rules
//! depend on it: `eq 1 1.0` is an error (int vs float64), a missing key of a
//! `map[string]string` reads as `""` under `missingkey=zero` but as `<nil>`
//! for a `map[string]interface {}`, and error messages name the Go type.

use std::collections::BTreeMap;
use std::sync::Arc;

/// A template value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Go's untyped `nil` (an empty interface).
    Nil,
    /// "No value": a missing field or key; prints as `<no value>`.
    Missing,
    /// `bool`.
    Bool(bool),
    /// `int` (also `int64`).
    Int(i64),
    /// `uint` / `uint64`.
    Uint(u64),
    /// `float64`.
    Float(f64),
    /// `string`.
    Str(Arc<str>),
    /// `html/template.HTML`: a string exempt from escaping in HTML mode.
    SafeHtml(Arc<str>),
    /// A slice; Go type `[]<elem>`.
    List(Arc<List>),
    /// A map with string keys, iterated in key order as Go does.
    Map(Arc<Map>),
    /// A struct (such as the alert template data), fields in order.
    Struct(Arc<Struct>),
    /// The result of `query`: Prometheus' `queryResult` (`[]*sample`).
    QueryResult(Arc<Vec<Arc<Sample>>>),
    /// One element of a query result (`*sample`).
    Sample(Arc<Sample>),
    /// `time.Time`, as nanoseconds since the epoch, in UTC.
    Time(i64),
    /// `time.Duration` in nanoseconds.
    Duration(i64),
    /// A native histogram, kept as the text Go's `String()` gives it.
    Histogram(Arc<str>),
    /// A value of a named Go type with methods (such as the Alertmanager's
    /// `KV` with `.SortedPairs`): fields, ranging, indexing and printing use
    /// its data; `.Name` calls a method first.
    Object(Arc<Object>),
}

/// A value with methods; see [`Value::Object`].
#[derive(Clone)]
pub struct Object {
    /// Go's type name (`template.KV`).
    pub type_name: String,
    /// The underlying data (a map, slice, struct ...).
    pub data: Value,
    /// Methods by name; their bodies capture what they need of the data.
    pub methods: BTreeMap<String, crate::func::Func>,
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Object")
            .field("type_name", &self.type_name)
            .field("data", &self.data)
            .field("methods", &self.methods.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl PartialEq for Object {
    fn eq(&self, other: &Object) -> bool {
        self.type_name == other.type_name && self.data == other.data
    }
}

/// The element type of a slice or map, which Go needs for zero values and
/// for type names in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElemType {
    /// `interface {}`.
    Any,
    /// `string`.
    String,
    /// `float64`.
    Float,
    /// `int64`.
    Int,
    /// `uint64`.
    Uint,
}

impl ElemType {
    /// Go's name of the type.
    pub fn go_name(self) -> &'static str {
        match self {
            ElemType::Any => "interface {}",
            ElemType::String => "string",
            ElemType::Float => "float64",
            ElemType::Int => "int64",
            ElemType::Uint => "uint64",
        }
    }

    /// The zero value of the type.
    pub fn zero(self) -> Value {
        match self {
            ElemType::Any => Value::Nil,
            ElemType::String => Value::from(""),
            ElemType::Float => Value::Float(0.0),
            ElemType::Int => Value::Int(0),
            ElemType::Uint => Value::Uint(0),
        }
    }
}

/// A slice.
#[derive(Debug, Clone, PartialEq)]
pub struct List {
    /// The elements.
    pub items: Vec<Value>,
    /// The element type.
    pub elem: ElemType,
}

/// A map from strings.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    /// The entries, sorted by key.
    pub entries: BTreeMap<String, Value>,
    /// The value type.
    pub elem: ElemType,
}

/// A struct value.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    /// Go's type name for messages (`struct { Labels map[string]string; ... }`).
    pub type_name: String,
    /// Fields in declaration order.
    pub fields: Vec<(String, Value)>,
}

/// One sample of a query result, as Prometheus' template `sample`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series' labels, `__name__` included.
    pub labels: BTreeMap<String, String>,
    /// The float value, or a native histogram.
    pub value: Value,
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl Value {
    /// A `map[string]string` from string pairs.
    pub fn string_map<K: Into<String>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Value {
        let entries = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), Value::from(v.as_ref())))
            .collect();
        Value::Map(Arc::new(Map {
            entries,
            elem: ElemType::String,
        }))
    }

    /// A map of the given element type.
    pub fn map(entries: BTreeMap<String, Value>, elem: ElemType) -> Value {
        Value::Map(Arc::new(Map { entries, elem }))
    }

    /// A slice of the given element type.
    pub fn list(items: Vec<Value>, elem: ElemType) -> Value {
        Value::List(Arc::new(List { items, elem }))
    }

    /// Go's name of the value's type, as error messages print it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil | Value::Missing => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Uint(_) => "uint64".into(),
            Value::Float(_) => "float64".into(),
            Value::Str(_) => "string".into(),
            Value::SafeHtml(_) => "template.HTML".into(),
            Value::List(l) => format!("[]{}", l.elem.go_name()),
            Value::Map(m) => format!("map[string]{}", m.elem.go_name()),
            Value::Struct(s) => s.type_name.clone(),
            Value::QueryResult(_) => "template.queryResult".into(),
            Value::Sample(_) => "*template.sample".into(),
            Value::Time(_) => "*time.Time".into(),
            Value::Duration(_) => "*time.Duration".into(),
            Value::Histogram(_) => "*histogram.FloatHistogram".into(),
            Value::Object(o) => o.type_name.clone(),
        }
    }

    /// Go's truth (`if`, `with`, `and`, `or`, `not`): false for the zero
    /// value and for empty strings, slices and maps.
    pub fn truth(&self) -> bool {
        match self {
            Value::Nil | Value::Missing => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Uint(u) => *u != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) | Value::SafeHtml(s) => !s.is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.entries.is_empty(),
            Value::QueryResult(q) => !q.is_empty(),
            Value::Object(o) => o.data.truth(),
            Value::Struct(_)
            | Value::Sample(_)
            | Value::Time(_)
            | Value::Duration(_)
            | Value::Histogram(_) => true,
        }
    }

    /// The data behind an [`Value::Object`]; the value itself otherwise.
    pub fn data(&self) -> &Value {
        match self {
            Value::Object(o) => o.data.data(),
            v => v,
        }
    }

    /// The string inside a `string` or `template.HTML`.
    pub fn as_str(&self) -> Option<&str> {
        match self.data() {
            Value::Str(s) | Value::SafeHtml(s) => Some(s),
            _ => None,
        }
    }
}
