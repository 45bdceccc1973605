//! Go's predefined template functions: `and or not len index slice print
//! printf println html js urlquery call eq ne lt le gt ge`, with Go's
//! comparison rules (`eq 1 1.0` is "incompatible types for comparison").

use std::fmt::Write as _;

use crate::func::{Func, Param};
use crate::gofmt;
use crate::value::{ElemType, Value};

/// Names of the predefined functions, for the parser.
pub(crate) const NAMES: [&str; 19] = [
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "html", "js",
    "urlquery", "call", "eq", "ne", "lt", "le", "gt", "ge",
];

/// The predefined function `name`.
pub(crate) fn builtin(name: &str) -> Option<Func> {
    use Param::{Any, Str};
    let f = match name {
        "and" | "or" => {
            let mut f = Func::variadic(vec![Any], Any, |a| {
                Ok(a.last().cloned().unwrap_or(Value::Nil))
            });
            f.lazy_logic = true;
            f
        }
        "not" => Func::new(vec![Any], |a| {
            Ok(Value::Bool(!a.first().is_some_and(Value::truth)))
        }),
        "len" => Func::new(vec![Any], |a| length(a.first().unwrap_or(&Value::Nil))),
        "index" => Func::variadic(vec![Any], Any, index),
        "slice" => Func::variadic(vec![Any], Any, slice),
        "print" => Func::variadic(vec![], Any, |a| Ok(Value::from(gofmt::sprint(a)))),
        "println" => Func::variadic(vec![], Any, |a| Ok(Value::from(gofmt::sprintln(a)))),
        "printf" => Func::variadic(vec![Str], Any, |a| {
            let fmt = a.first().and_then(Value::as_str).unwrap_or("");
            Ok(Value::from(gofmt::sprintf(fmt, a.get(1..).unwrap_or(&[]))))
        }),
        "html" => Func::variadic(vec![], Any, |a| Ok(Value::from(html_escape(&eval_args(a))))),
        "js" => Func::variadic(vec![], Any, |a| Ok(Value::from(js_escape(&eval_args(a))))),
        "urlquery" => Func::variadic(vec![], Any, |a| {
            Ok(Value::from(query_escape(&eval_args(a))))
        }),
        "call" => Func::variadic(vec![Any], Any, |a| {
            let f = a.first().unwrap_or(&Value::Nil);
            if matches!(f, Value::Nil | Value::Missing) {
                return Err("call of nil".into());
            }
            Err(format!("non-function of type {}", f.type_name()))
        }),
        "eq" => Func::variadic(vec![Any], Any, |a| {
            let first = a.first().unwrap_or(&Value::Nil);
            let rest = a.get(1..).unwrap_or(&[]);
            if rest.is_empty() {
                return Err("missing argument for comparison".into());
            }
            for b in rest {
                if eq(first, b)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }),
        "ne" => Func::new(vec![Any, Any], |a| {
            Ok(Value::Bool(!eq(arg(a, 0), arg(a, 1))?))
        }),
        "lt" => Func::new(vec![Any, Any], |a| {
            Ok(Value::Bool(lt(arg(a, 0), arg(a, 1))?))
        }),
        "le" => Func::new(vec![Any, Any], |a| {
            Ok(Value::Bool(le(arg(a, 0), arg(a, 1))?))
        }),
        "gt" => Func::new(vec![Any, Any], |a| {
            Ok(Value::Bool(!le(arg(a, 0), arg(a, 1))?))
        }),
        "ge" => Func::new(vec![Any, Any], |a| {
            Ok(Value::Bool(!lt(arg(a, 0), arg(a, 1))?))
        }),
        _ => return None,
    };
    Some(f)
}

fn arg(a: &[Value], i: usize) -> &Value {
    a.get(i).unwrap_or(&Value::Nil)
}

/// Go's `evalArgs` for `html`/`js`/`urlquery`: one string as is, otherwise `fmt.Sprint`.
fn eval_args(a: &[Value]) -> String {
    if let [v] = a
        && let Some(s) = v.as_str()
    {
        return s.to_string();
    }
    // Go's printableValue shows nil as "no value" here.
    let a: Vec<Value> = a
        .iter()
        .map(|v| match v {
            Value::Nil | Value::Missing => Value::from("<no value>"),
            v => v.clone(),
        })
        .collect();
    gofmt::sprint(&a)
}

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    Str,
}

fn kind(v: &Value) -> Kind {
    match v.data() {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) => Kind::Int,
        Value::Uint(_) => Kind::Uint,
        Value::Float(_) => Kind::Float,
        Value::Str(_) | Value::SafeHtml(_) => Kind::Str,
        _ => Kind::Invalid,
    }
}

fn is_nilish(v: &Value) -> bool {
    matches!(v, Value::Nil | Value::Missing)
}

fn eq(a: &Value, b: &Value) -> Result<bool, String> {
    let (ka, kb) = (kind(a), kind(b));
    if ka != kb {
        return match (a, b) {
            (Value::Int(i), Value::Uint(u)) | (Value::Uint(u), Value::Int(i)) => {
                Ok(*i >= 0 && *i as u64 == *u)
            }
            _ if is_nilish(a) || is_nilish(b) => Ok(false),
            _ => Err("incompatible types for comparison".into()),
        };
    }
    Ok(match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Uint(x), Value::Uint(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        // Go compares string kinds by content, whatever their named type.
        _ if ka == Kind::Str => a.as_str() == b.as_str(),
        _ if is_nilish(a) && is_nilish(b) => true,
        (Value::List(_) | Value::Map(_) | Value::QueryResult(_), _) => {
            return Err(format!(
                "non-comparable type {}: {}",
                gofmt::to_string(a),
                a.type_name()
            ));
        }
        _ => {
            if a.type_name() != b.type_name() {
                return Err("incompatible types for comparison".into());
            }
            a == b
        }
    })
}

fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    let (ka, kb) = (kind(a), kind(b));
    if ka == Kind::Invalid || kb == Kind::Invalid {
        return Err("invalid type for comparison".into());
    }
    if ka != kb {
        return match (a, b) {
            (Value::Int(i), Value::Uint(u)) => Ok(*i < 0 || (*i as u64) < *u),
            (Value::Uint(u), Value::Int(i)) => Ok(*i >= 0 && *u < *i as u64),
            _ => Err("incompatible types for comparison".into()),
        };
    }
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x < y),
        (Value::Uint(x), Value::Uint(y)) => Ok(x < y),
        (Value::Float(x), Value::Float(y)) => Ok(x < y),
        _ if ka == Kind::Str => Ok(a.as_str() < b.as_str()),
        _ => Err("invalid type for comparison".into()),
    }
}

fn le(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(lt(a, b)? || eq(a, b)?)
}

fn length(v: &Value) -> Result<Value, String> {
    let n = match v.data() {
        Value::Str(s) | Value::SafeHtml(s) => s.len(),
        Value::List(l) => l.items.len(),
        Value::Map(m) => m.entries.len(),
        Value::QueryResult(q) => q.len(),
        // Go's reflect panics on the zero Value; the call reports it.
        Value::Nil | Value::Missing => {
            return Err("reflect: call of reflect.Value.Type on zero Value".into());
        }
        _ => return Err(format!("len of type {}", v.type_name())),
    };
    Ok(Value::Int(n as i64))
}

fn index_arg(i: &Value, len: usize, cap: usize) -> Result<usize, String> {
    let x = match i {
        Value::Int(x) => *x as i128,
        Value::Uint(x) => *x as i128,
        Value::Nil | Value::Missing => return Err("cannot index slice/array with nil".into()),
        _ => {
            return Err(format!(
                "cannot index slice/array with type {}",
                i.type_name()
            ));
        }
    };
    if x < 0 || x as u128 > cap as u128 || (x as u128 >= len as u128 && cap == len) {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(a: &[Value]) -> Result<Value, String> {
    let mut item = a.first().cloned().unwrap_or(Value::Nil);
    if is_nilish(&item) {
        return Err("index of untyped nil".into());
    }
    for i in a.get(1..).unwrap_or(&[]) {
        item = match item.data() {
            Value::List(l) => l
                .items
                .get(index_arg(i, l.items.len(), l.items.len())?)
                .cloned()
                .unwrap_or(Value::Nil),
            Value::QueryResult(q) => {
                let x = index_arg(i, q.len(), q.len())?;
                q.get(x).map_or(Value::Nil, |s| Value::Sample(s.clone()))
            }
            Value::Str(s) => {
                let x = index_arg(i, s.len(), s.len())?;
                Value::Uint(u64::from(s.as_bytes().get(x).copied().unwrap_or(0)))
            }
            Value::Map(m) => match i.as_str() {
                Some(k) => m.entries.get(k).cloned().unwrap_or_else(|| m.elem.zero()),
                None if is_nilish(i) => m.elem.zero(),
                None => {
                    return Err(format!(
                        "value has type {}; should be string",
                        i.type_name()
                    ));
                }
            },
            Value::Nil | Value::Missing => return Err("index of nil pointer".into()),
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice(a: &[Value]) -> Result<Value, String> {
    let item = a.first().cloned().unwrap_or(Value::Nil);
    if is_nilish(&item) {
        return Err("slice of untyped nil".into());
    }
    let idx = a.get(1..).unwrap_or(&[]);
    if idx.len() > 3 {
        return Err(format!("too many slice indexes: {}", idx.len()));
    }
    let item = item.data().clone();
    let len = match &item {
        Value::Str(s) => {
            if idx.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::List(l) => l.items.len(),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut ix = [0usize, len, len];
    for (n, i) in idx.iter().enumerate() {
        if let Some(slot) = ix.get_mut(n) {
            *slot = index_arg(i, len, len)?;
        }
    }
    if ix[0] > ix[1] {
        return Err(format!("invalid slice index: {} > {}", ix[0], ix[1]));
    }
    if idx.len() == 3 && ix[1] > ix[2] {
        return Err(format!("invalid slice index: {} > {}", ix[1], ix[2]));
    }
    match &item {
        Value::Str(s) => match s.get(ix[0]..ix[1]) {
            Some(sub) => Ok(Value::from(sub)),
            None => Ok(Value::from(
                String::from_utf8_lossy(s.as_bytes().get(ix[0]..ix[1]).unwrap_or(&[])).into_owned(),
            )),
        },
        Value::List(l) => Ok(Value::list(
            l.items.get(ix[0]..ix[1]).unwrap_or(&[]).to_vec(),
            l.elem,
        )),
        _ => Ok(Value::list(Vec::new(), ElemType::Any)),
    }
}

/// `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `html/template`'s escaping of values printed in HTML text: like
/// [`html_escape`], and `+` too (it can start a UTF-7 sequence).
pub(crate) fn html_text_escape(s: &str) -> String {
    html_escape(s).replace('+', "&#43;")
}

/// `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c if c.is_ascii() || gofmt::is_print(c) => out.push(c),
            c => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
        }
    }
    out
}

/// `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}
