//! `sort`, `sort_desc`, `sort_by_label`, `sort_by_label_desc`.

use std::cmp::Ordering;

use super::string_arg;
use crate::ast::Call;
use crate::engine::eval::{EResult, Evaluator, Range, Val};
use crate::value::Sample;

/// Natural ordering of strings: runs of digits compare as numbers.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            let boundary =
                i == bytes.len() || bytes[i].is_ascii_digit() != bytes[i - 1].is_ascii_digit();
            if boundary {
                out.push(&s[start..i]);
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(cb.iter()) {
        if x == y {
            continue;
        }
        let nums = (x.parse::<u128>(), y.parse::<u128>());
        if let (Ok(nx), Ok(ny)) = nums {
            if nx != ny {
                return nx.cmp(&ny);
            }
            continue;
        }
        return x.cmp(y);
    }
    ca.len().cmp(&cb.len())
}

/// Dispatches the functions of this family; `None` if `c` is not one.
pub(super) fn call(ev: &mut Evaluator<'_>, c: &Call, r: Range) -> EResult<Option<Val>> {
    let name = c.func.name;
    if !matches!(
        name,
        "sort" | "sort_desc" | "sort_by_label" | "sort_by_label_desc"
    ) {
        return Ok(None);
    }
    let Some(arg) = c.args.first() else {
        return Ok(None);
    };
    if r.len() > 1 {
        let q = ev.query;
        ev.annos.warn(
            q,
            c.pos,
            "sort is ineffective for range queries since results are always ordered by labels",
        );
    }
    let labels: Vec<String> = c
        .args
        .iter()
        .skip(1)
        .map(string_arg)
        .collect::<EResult<_>>()?;
    let mut steps = ev.eval_vector(arg, r)?;
    for (i, v) in steps.iter_mut().enumerate() {
        for s in v.iter_mut() {
            s.t = r.ts(i);
        }
        match name {
            "sort" | "sort_desc" => {
                v.retain(|s| s.h.is_none());
                let desc = name == "sort_desc";
                v.sort_by(|a, b| value_cmp(a, b, desc));
            }
            _ => {
                let desc = name == "sort_by_label_desc";
                v.sort_by(|a, b| {
                    let mut o = Ordering::Equal;
                    for l in &labels {
                        let (x, y) = (a.metric.get(l).unwrap_or(""), b.metric.get(l).unwrap_or(""));
                        if x != y {
                            o = natural_cmp(x, y);
                            break;
                        }
                    }
                    if o == Ordering::Equal {
                        o = a.metric.cmp(&b.metric);
                    }
                    if desc { o.reverse() } else { o }
                });
            }
        }
    }
    Ok(Some(Val::Vector(steps)))
}

/// Value order with NaN always last.
fn value_cmp(a: &Sample, b: &Sample, desc: bool) -> Ordering {
    match (a.f.is_nan(), b.f.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => {
            let o = a.f.partial_cmp(&b.f).unwrap_or(Ordering::Equal);
            if desc { o.reverse() } else { o }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural() {
        assert_eq!(natural_cmp("a2", "a10"), Ordering::Less);
        assert_eq!(natural_cmp("b", "a10"), Ordering::Greater);
        assert_eq!(natural_cmp("a", "a1"), Ordering::Less);
    }
}
