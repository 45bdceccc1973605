//! `label_replace` and `label_join`: rewrite series labels, keep values.

use vigil_model::METRIC_NAME;

use super::{string_arg, string_arg_valid};
use crate::ast::Call;
use crate::engine::eval::{EResult, Evaluator, Range, Val, check_unique, err};

/// Dispatches the functions of this family; `None` if `c` is not one.
pub(super) fn call(ev: &mut Evaluator<'_>, c: &Call, r: Range) -> EResult<Option<Val>> {
    let name = c.func.name;
    if name != "label_replace" && name != "label_join" {
        return Ok(None);
    }
    let Some(arg) = c.args.first() else {
        return err(format!("{name} needs arguments"));
    };
    let strings: Vec<String> = c
        .args
        .iter()
        .skip(1)
        .map(string_arg)
        .collect::<EResult<_>>()?;
    let dst = strings.first().cloned().unwrap_or_default();
    let mut steps;
    if name == "label_replace" {
        let repl = strings.get(1).cloned().unwrap_or_default();
        let src = strings.get(2).cloned().unwrap_or_default();
        let re_src = strings.get(3).cloned().unwrap_or_default();
        let Ok(re) = regex::Regex::new(&format!("^(?s:{re_src})$")) else {
            return err(format!(
                "invalid regular expression in label_replace(): {re_src}"
            ));
        };
        if dst.is_empty() || !c.args.get(1).is_none_or(string_arg_valid) {
            return err(format!(
                "invalid destination label name in label_replace(): {dst}"
            ));
        }
        steps = ev.eval_vector(arg, r)?;
        for v in &mut steps {
            for s in v.iter_mut() {
                let sv = s.metric.get(&src).unwrap_or("");
                if let Some(caps) = re.captures(sv) {
                    let mut out = String::new();
                    caps.expand(&repl, &mut out);
                    let mut b = s.metric.to_builder();
                    b.set(&dst, &out);
                    s.metric = b.build();
                    if dst == METRIC_NAME {
                        s.drop_name = false;
                    }
                }
            }
        }
    } else {
        let sep = strings.get(1).cloned().unwrap_or_default();
        let srcs = strings.get(2..).unwrap_or_default();
        let bad_arg = c.args.iter().skip(3).position(|a| !string_arg_valid(a));
        if let Some(bad) = srcs
            .iter()
            .enumerate()
            .find(|(i, s)| s.is_empty() || bad_arg == Some(*i))
            .map(|(_, s)| s)
        {
            return err(format!("invalid source label name in label_join(): {bad}"));
        }
        if dst.is_empty() || !c.args.get(1).is_none_or(string_arg_valid) {
            return err(format!(
                "invalid destination label name in label_join(): {dst}"
            ));
        }
        steps = ev.eval_vector(arg, r)?;
        for v in &mut steps {
            for s in v.iter_mut() {
                let joined = srcs
                    .iter()
                    .map(|l| s.metric.get(l).unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join(&sep);
                let mut b = s.metric.to_builder();
                b.set(&dst, &joined);
                s.metric = b.build();
                if dst == METRIC_NAME {
                    s.drop_name = false;
                }
            }
        }
    }
    for (i, v) in steps.iter_mut().enumerate() {
        for s in v.iter_mut() {
            s.t = r.ts(i);
        }
        check_unique(v)?;
    }
    Ok(Some(Val::Vector(steps)))
}
