//! `label_replace` and `label_join`: rewrite series labels, keep values.
//! Series-major input is rewritten once per series rather than per step.

use vigil_model::{Labels, METRIC_NAME};

use super::{check_unique_series, string_arg, string_arg_valid};
use crate::ast::Call;
use crate::engine::eval::{EResult, Evaluator, Range, Val, check_unique, err};

/// How the labels of one series change.
enum Rewrite {
    Replace {
        dst: String,
        repl: String,
        src: String,
        re: regex::Regex,
    },
    Join {
        dst: String,
        sep: String,
        srcs: Vec<String>,
    },
}

impl Rewrite {
    fn dst(&self) -> &str {
        match self {
            Rewrite::Replace { dst, .. } | Rewrite::Join { dst, .. } => dst,
        }
    }

    /// The new label set, or `None` when it stays as it is.
    fn apply(&self, l: &Labels) -> Option<Labels> {
        match self {
            Rewrite::Replace { dst, repl, src, re } => {
                let sv = l.get(src).unwrap_or("");
                let caps = re.captures(sv)?;
                let mut out = String::new();
                caps.expand(repl, &mut out);
                let mut b = l.to_builder();
                b.set(dst, &out);
                Some(b.build())
            }
            Rewrite::Join { dst, sep, srcs } => {
                let joined = srcs
                    .iter()
                    .map(|n| l.get(n).unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join(sep);
                let mut b = l.to_builder();
                b.set(dst, &joined);
                Some(b.build())
            }
        }
    }
}

fn rewrite(c: &Call) -> EResult<Rewrite> {
    let name = c.func.name;
    let strings: Vec<String> = c
        .args
        .iter()
        .skip(1)
        .map(string_arg)
        .collect::<EResult<_>>()?;
    let s = |i: usize| strings.get(i).cloned().unwrap_or_default();
    let dst = s(0);
    let dst_ok = !dst.is_empty() && c.args.get(1).is_none_or(string_arg_valid);
    if name == "label_replace" {
        let re_src = s(3);
        let Ok(re) = regex::Regex::new(&format!("^(?s:{re_src})$")) else {
            return err(format!(
                "invalid regular expression in label_replace(): {re_src}"
            ));
        };
        if !dst_ok {
            return err(format!(
                "invalid destination label name in label_replace(): {dst}"
            ));
        }
        return Ok(Rewrite::Replace {
            dst,
            repl: s(1),
            src: s(2),
            re,
        });
    }
    let srcs: Vec<String> = strings.get(2..).unwrap_or_default().to_vec();
    let bad_arg = c.args.iter().skip(3).position(|a| !string_arg_valid(a));
    if let Some(bad) = srcs
        .iter()
        .enumerate()
        .find(|(i, s)| s.is_empty() || bad_arg == Some(*i))
        .map(|(_, s)| s)
    {
        return err(format!("invalid source label name in label_join(): {bad}"));
    }
    if !dst_ok {
        return err(format!(
            "invalid destination label name in label_join(): {dst}"
        ));
    }
    Ok(Rewrite::Join {
        dst,
        sep: s(1),
        srcs,
    })
}

/// Dispatches the functions of this family; `None` if `c` is not one.
pub(super) fn call(ev: &mut Evaluator<'_>, c: &Call, r: Range) -> EResult<Option<Val>> {
    let name = c.func.name;
    if name != "label_replace" && name != "label_join" {
        return Ok(None);
    }
    let Some(arg) = c.args.first() else {
        return err(format!("{name} needs arguments"));
    };
    let rw = rewrite(c)?;
    // Setting the name un-marks it for removal.
    let sets_name = rw.dst() == METRIC_NAME;
    match ev.eval(arg, r)? {
        Val::Series(mut m) => {
            for s in &mut m {
                if let Some(l) = rw.apply(&s.metric) {
                    s.metric = l;
                    if sets_name {
                        s.drop_name = false;
                    }
                }
            }
            check_unique_series(&m)?;
            Ok(Some(Val::Series(m)))
        }
        other => {
            let mut steps = match other {
                Val::Vector(v) => v,
                _ => return err(format!("{name} needs an instant vector")),
            };
            for (i, v) in steps.iter_mut().enumerate() {
                for s in v.iter_mut() {
                    s.t = r.ts(i);
                    if let Some(l) = rw.apply(&s.metric) {
                        s.metric = l;
                        if sets_name {
                            s.drop_name = false;
                        }
                    }
                }
                check_unique(v)?;
            }
            Ok(Some(Val::Vector(steps)))
        }
    }
}
