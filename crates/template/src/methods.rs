//! Methods of the Go values templates can reach: `time.Time` (`Format`,
//! `Add`, `Unix`, `UnixMilli`, ...) and `time.Duration` (`String`,
//! `Seconds`, ...), as Prometheus' template examples call them.

use crate::func::{Func, Param};
use crate::time::{format_duration, format_time, time_string};
use crate::value::Value;

/// The signature of method `name` of `recv`, if it has one.
pub(crate) fn lookup(recv: &Value, name: &str) -> Option<Func> {
    let none = |_: &[Value]| Ok(Value::Nil);
    let params = match (recv, name) {
        (Value::Time(_), "Format") => vec![Param::Str],
        (Value::Time(_), "Add") => vec![Param::Any],
        (
            Value::Time(_),
            "Unix" | "UnixMilli" | "UnixMicro" | "UnixNano" | "String" | "UTC" | "Year" | "Month"
            | "Day" | "Hour" | "Minute" | "Second" | "Nanosecond" | "YearDay" | "Weekday"
            | "IsZero",
        ) => vec![],
        (
            Value::Duration(_),
            "String" | "Seconds" | "Minutes" | "Hours" | "Milliseconds" | "Microseconds"
            | "Nanoseconds",
        ) => vec![],
        _ => return None,
    };
    Some(Func::new(params, none))
}

/// Calls method `name` of `recv` with checked arguments.
pub(crate) fn call(recv: &Value, name: &str, args: &[Value]) -> Result<Value, String> {
    match recv {
        Value::Time(ns) => time_method(*ns, name, args),
        Value::Duration(d) => {
            let d = *d;
            Ok(match name {
                "String" => Value::from(format_duration(d)),
                "Seconds" => Value::Float(d as f64 / 1e9),
                "Minutes" => Value::Float(d as f64 / 6e10),
                "Hours" => Value::Float(d as f64 / 3.6e12),
                "Milliseconds" => Value::Int(d / 1_000_000),
                "Microseconds" => Value::Int(d / 1_000),
                _ => Value::Int(d),
            })
        }
        _ => Err(format!("no method {name}")),
    }
}

fn time_method(ns: i64, name: &str, args: &[Value]) -> Result<Value, String> {
    let secs = ns.div_euclid(1_000_000_000);
    let field = |layout: &str| format_time(ns, layout).trim().parse::<i64>().unwrap_or(0);
    Ok(match name {
        "Format" => Value::from(format_time(
            ns,
            args.first().and_then(Value::as_str).unwrap_or(""),
        )),
        "Add" => match args.first() {
            Some(Value::Duration(d)) => Value::Time(ns.saturating_add(*d)),
            Some(v) => {
                return Err(format!(
                    "wrong type for value; expected time.Duration; got {}",
                    v.type_name()
                ));
            }
            None => return Err("wrong number of args for Add: want 1 got 0".into()),
        },
        "Unix" => Value::Int(secs),
        "UnixMilli" => Value::Int(ns.div_euclid(1_000_000)),
        "UnixMicro" => Value::Int(ns.div_euclid(1_000)),
        "UnixNano" => Value::Int(ns),
        "String" => Value::from(time_string(ns)),
        "UTC" => Value::Time(ns),
        "Year" => Value::Int(field("2006")),
        "Month" => Value::from(format_time(ns, "January")),
        "Day" => Value::Int(field("2")),
        "Hour" => Value::Int(field("15")),
        "Minute" => Value::Int(field("4")),
        "Second" => Value::Int(field("5")),
        "Nanosecond" => Value::Int(ns.rem_euclid(1_000_000_000)),
        "YearDay" => Value::Int(field("002")),
        "Weekday" => Value::from(format_time(ns, "Monday")),
        "IsZero" => Value::Bool(ns == crate::time::ZERO_TIME_NS),
        _ => return Err(format!("no method {name}")),
    })
}
