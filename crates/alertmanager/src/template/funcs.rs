//! Alertmanager's template functions that Prometheus does not have: time
//! (`date`, `tz`, `since`, `now`, `toDate`, `mustToDate`), encoding
//! (`base64encode`, `base64decode`) and building values (`list`,
//! `append`, `dict`).
//!
//! `tz` reads the system's zoneinfo files ([`super::zone`]); the zoned
//! time it returns formats and prints in that zone.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use vigil_template::time::format_time;
use vigil_template::{ElemType, Func, FuncMap, List, Param, Value};

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Formats a time argument, in its zone when `tz` gave it one.
fn format_arg(v: Option<&Value>, layout: &str) -> Result<String, String> {
    if let Some(Value::Object(o)) = v
        && let Some(f) = o.methods.get("Format")
    {
        return match (f.f)(&[Value::from(layout)])? {
            Value::Str(s) => Ok(s.to_string()),
            other => Ok(format!("{other:?}")),
        };
    }
    Ok(format_time(time_arg(v)?, layout))
}

fn time_arg(v: Option<&Value>) -> Result<i64, String> {
    match v.map(Value::data) {
        Some(Value::Time(ns)) => Ok(*ns),
        Some(other) => Err(format!(
            "wrong type for value; expected time.Time; got {}",
            other.type_name()
        )),
        None => Err("missing time argument".into()),
    }
}

fn str_arg(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or_default().to_string()
}

/// Parses `s` with a Go reference layout made of the common numeric
/// elements (`2006 01 02 15 04 05`, with any separators), as UTC.
fn parse_with_layout(layout: &str, s: &str) -> Result<i64, String> {
    let fail = || format!("parsing time {s:?} as {layout:?}: cannot parse");
    let (mut l, mut t) = (layout, s);
    let (mut y, mut mo, mut d, mut h, mut mi, mut se) = (1970i64, 1i64, 1i64, 0i64, 0i64, 0i64);
    while !l.is_empty() {
        let (width, slot): (usize, Option<&mut i64>) = if l.starts_with("2006") {
            (4, Some(&mut y))
        } else if l.starts_with("01") {
            (2, Some(&mut mo))
        } else if l.starts_with("02") {
            (2, Some(&mut d))
        } else if l.starts_with("15") {
            (2, Some(&mut h))
        } else if l.starts_with("04") {
            (2, Some(&mut mi))
        } else if l.starts_with("05") {
            (2, Some(&mut se))
        } else {
            (1, None)
        };
        let lw = l.get(..width).ok_or_else(fail)?;
        let tw = t.get(..width).ok_or_else(fail)?;
        match slot {
            Some(slot) => *slot = tw.parse().map_err(|_| fail())?,
            None if lw != tw => return Err(fail()),
            None => {}
        }
        l = l.get(width..).unwrap_or("");
        t = t.get(width..).unwrap_or("");
    }
    if !t.is_empty() || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return Err(fail());
    }
    let days = {
        let yy = if mo <= 2 { y - 1 } else { y };
        let era = yy.div_euclid(400);
        let yoe = yy.rem_euclid(400);
        let doy = (153 * ((mo + 9) % 12) + 2) / 5 + d - 1;
        era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
    };
    let secs = days * 86_400 + h * 3600 + mi * 60 + se;
    secs.checked_mul(1_000_000_000).ok_or_else(fail)
}

fn strings_of(v: &Value) -> Vec<Value> {
    match v.data() {
        Value::List(l) => l.items.clone(),
        _ => Vec::new(),
    }
}

/// Adds the functions to `m`.
pub(crate) fn add(m: &mut FuncMap) {
    m.insert(
        "date".into(),
        Func::new(vec![Param::Str, Param::Any], |a| {
            Ok(Value::from(format_arg(a.get(1), &str_arg(a.first()))?))
        }),
    );
    m.insert(
        "tz".into(),
        Func::new(vec![Param::Str, Param::Any], |a| {
            let t = time_arg(a.get(1))?;
            let name = str_arg(a.first());
            if name.is_empty() || name == "UTC" {
                return Ok(Value::Time(t));
            }
            let data = super::zone::load(&name)?;
            let off = super::zone::offset_at(&data, t.div_euclid(1_000_000_000))
                .ok_or_else(|| format!("unknown time zone {name}"))?;
            Ok(super::zone::zoned(t, off))
        }),
    );
    m.insert(
        "since".into(),
        Func::new(vec![Param::Any], |a| {
            Ok(Value::Duration(
                now_ns().saturating_sub(time_arg(a.first())?),
            ))
        }),
    );
    m.insert(
        "now".into(),
        Func::new(vec![], |_| Ok(Value::Time(now_ns()))),
    );
    m.insert(
        "toDate".into(),
        Func::new(vec![Param::Str, Param::Str], |a| {
            Ok(Value::Time(
                parse_with_layout(&str_arg(a.first()), &str_arg(a.get(1)))
                    .unwrap_or(vigil_template::time::ZERO_TIME_NS),
            ))
        }),
    );
    m.insert(
        "mustToDate".into(),
        Func::new(vec![Param::Str, Param::Str], |a| {
            parse_with_layout(&str_arg(a.first()), &str_arg(a.get(1))).map(Value::Time)
        }),
    );
    m.insert(
        "base64encode".into(),
        Func::new(vec![Param::Str], |a| {
            Ok(Value::from(
                base64::engine::general_purpose::URL_SAFE.encode(str_arg(a.first())),
            ))
        }),
    );
    m.insert(
        "base64decode".into(),
        Func::new(vec![Param::Str], |a| {
            let bytes = base64::engine::general_purpose::URL_SAFE
                .decode(str_arg(a.first()))
                .map_err(|e| e.to_string())?;
            String::from_utf8(bytes)
                .map(Value::from)
                .map_err(|e| e.to_string())
        }),
    );
    m.insert(
        "list".into(),
        Func::variadic(vec![], Param::Any, |a| {
            Ok(Value::List(Arc::new(List {
                items: a.to_vec(),
                elem: ElemType::Any,
            })))
        }),
    );
    m.insert(
        "append".into(),
        Func::variadic(vec![Param::Any], Param::Any, |a| {
            let mut items = a.first().map(strings_of).unwrap_or_default();
            items.extend(a.iter().skip(1).cloned());
            Ok(Value::list(items, ElemType::Any))
        }),
    );
    m.insert(
        "dict".into(),
        Func::variadic(vec![], Param::Any, |a| {
            if a.len() % 2 != 0 {
                return Err("dict requires an even number of arguments".into());
            }
            let mut entries = BTreeMap::new();
            for pair in a.chunks(2) {
                let (Some(k), Some(v)) = (pair.first(), pair.get(1)) else {
                    continue;
                };
                let Value::Str(k) = k else {
                    return Err("dict keys must be strings".into());
                };
                entries.insert(k.to_string(), v.clone());
            }
            Ok(Value::map(entries, ElemType::Any))
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        assert_eq!(
            parse_with_layout("2006-01-02 15:04:05", "1970-01-02 00:00:01").unwrap(),
            86_401_000_000_000
        );
        assert!(parse_with_layout("2006-01-02", "1970-13-01").is_err());
        assert!(parse_with_layout("2006-01-02", "1970-01").is_err());
    }
}
