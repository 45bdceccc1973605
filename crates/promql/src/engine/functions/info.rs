//! `info(v, {data label selector})`: enriches series with the data labels
//! of matching info metrics (`target_info` by default), joined on the
//! identifying labels `instance` and `job`.

use std::collections::{BTreeMap, HashMap, HashSet};

use vigil_model::{Labels, LabelsBuilder, METRIC_NAME, MatchType, Matcher};

use crate::ast::{AtModifier, Call, Expr, SubqueryExpr, VectorSelector};
use crate::engine::eval::{EResult, Evaluator, Range, Val, err};
use crate::engine::selector::lookup;
use crate::value::Vector;

const TARGET_INFO: &str = "target_info";
const IDENTIFYING: [&str; 2] = ["instance", "job"];

/// The first vector selector in `e` with the subqueries enclosing it
/// (innermost last).
fn first_selector<'e>(e: &'e Expr, path: &mut Vec<&'e SubqueryExpr>) -> Option<&'e VectorSelector> {
    match e {
        Expr::VectorSelector(vs) => Some(vs),
        Expr::MatrixSelector(m) => first_selector(&m.vector, path),
        Expr::Subquery(sq) => {
            path.push(sq);
            let r = first_selector(&sq.expr, path);
            if r.is_none() {
                path.pop();
            }
            r
        }
        _ => e
            .children()
            .into_iter()
            .find_map(|c| first_selector(c, path)),
    }
}

/// The `@` time and offset (ns) the info series are read at: the
/// selector's own, else accumulated from the enclosing subqueries until
/// one has an `@`.
fn select_time(e: &Expr) -> (Option<AtModifier>, i64) {
    let mut path = Vec::new();
    let Some(vs) = first_selector(e, &mut path) else {
        return (None, 0);
    };
    let (mut at, mut offset) = (vs.at, vs.offset);
    for sq in path.iter().rev() {
        if at.is_some() {
            break;
        }
        offset += sq.offset;
        at = sq.at;
    }
    (at, offset)
}

fn matcher(kind: MatchType, name: &str, value: &str) -> EResult<Matcher> {
    Matcher::new(kind, name, value).map_err(|e| crate::engine::QueryError::Eval(e.to_string()))
}

/// The name matchers that pick info metrics: as given if one of them is
/// positive (`=`/`=~`), otherwise restricted to `.+_info`; `target_info`
/// when none are given.
fn effective_name_matchers(ms: &[Matcher]) -> EResult<Vec<Matcher>> {
    if ms
        .iter()
        .any(|m| matches!(m.kind(), MatchType::Equal | MatchType::Regexp))
    {
        return Ok(ms.to_vec());
    }
    if !ms.is_empty() {
        let mut out = vec![matcher(MatchType::Regexp, METRIC_NAME, ".+_info")?];
        out.extend(ms.iter().cloned());
        return Ok(out);
    }
    Ok(vec![matcher(MatchType::Equal, METRIC_NAME, TARGET_INFO)?])
}

fn signature(name: &str, l: &Labels) -> Labels {
    let mut b = LabelsBuilder::new();
    b.set(METRIC_NAME, name);
    for n in IDENTIFYING {
        if let Some(v) = l.get(n) {
            b.set(n, v);
        }
    }
    b.build()
}

/// Evaluates `info(...)` at every step of `r`.
pub(super) fn call(ev: &mut Evaluator<'_>, c: &Call, r: Range) -> EResult<Option<Val>> {
    if c.func.name != "info" {
        return Ok(None);
    }
    let Some(arg) = c.args.first() else {
        return Ok(None);
    };
    let (at, offset_ns) = select_time(arg);
    let at = ev.at_time(at);
    let offset = offset_ns / 1_000_000;
    let base = ev.eval_vector(arg, r)?;

    // Data-label matchers by label name (BTreeMap: deterministic order).
    let mut data: BTreeMap<String, Vec<Matcher>> = BTreeMap::new();
    let mut name_matchers = Vec::new();
    if let Some(Expr::VectorSelector(sel)) = c.args.get(1).map(super::unparen) {
        for m in &sel.matchers {
            data.entry(m.name().to_string())
                .or_default()
                .push(m.clone());
            if m.name() == METRIC_NAME {
                name_matchers.push(m.clone());
            }
        }
    } else {
        name_matchers.push(matcher(MatchType::Equal, METRIC_NAME, TARGET_INFO)?);
    }
    let effective = effective_name_matchers(&name_matchers)?;
    let mut ignore: HashSet<Labels> = HashSet::new();
    let mut id_values: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for s in base.iter().flatten() {
        let name = s.metric.metric_name().unwrap_or("");
        if effective.iter().all(|m| m.matches(name)) {
            ignore.insert(s.metric.clone());
            continue;
        }
        for n in IDENTIFYING {
            if let Some(v) = s.metric.get(n) {
                let vals = id_values.entry(n).or_default();
                if !vals.iter().any(|x| x == v) {
                    vals.push(v.to_string());
                }
            }
        }
    }
    // Remove the name matchers: only data labels are copied.
    let name_data: Vec<Matcher> = data.remove(METRIC_NAME).unwrap_or_default();
    let mut info_series = Vec::new();
    if !id_values.is_empty() {
        let mut ms = Vec::new();
        for (n, vals) in &id_values {
            let re = vals
                .iter()
                .map(|v| regex::escape(v))
                .collect::<Vec<_>>()
                .join("|");
            ms.push(matcher(MatchType::Regexp, n, &re)?);
        }
        ms.extend(data.values().flatten().cloned());
        ms.extend(effective_name_matchers(&name_data)?);
        let lookback = ev.opts.lookback_delta;
        let (lo, hi) = match at {
            Some(a) => (a, a),
            None => (r.start, r.ts(r.len().saturating_sub(1))),
        };
        info_series = ev.select_matchers(&ms, lo - lookback + 1 - offset, hi - offset, r.step)?;
        if let Some(s) = info_series.iter().find(|s| !s.histograms.is_empty()) {
            return err(format!(
                "this should be an info metric, with float samples: {}",
                s.metric
            ));
        }
    }
    let sigs: Vec<(String, Labels)> = info_series
        .iter()
        .map(|s| {
            let n = s.metric.metric_name().unwrap_or("").to_string();
            let sig = signature(&n, &s.metric);
            (n, sig)
        })
        .collect();
    let mut info_names: Vec<&str> = sigs.iter().map(|x| x.0.as_str()).collect();
    info_names.sort_unstable();
    info_names.dedup();
    let lookback = ev.opts.lookback_delta;
    let mut out = Vec::with_capacity(base.len());
    for (i, bv) in base.into_iter().enumerate() {
        let ts = r.ts(i);
        let rt = at.unwrap_or(ts) - offset;
        // The newest info sample per signature at this step.
        let mut by_sig: HashMap<&Labels, (i64, usize)> = HashMap::new();
        for (k, s) in info_series.iter().enumerate() {
            let Some((t, _, _)) = lookup(s, rt, lookback) else {
                continue;
            };
            let Some((_, sig)) = sigs.get(k) else {
                continue;
            };
            match by_sig.get(sig) {
                Some(&(et, ek)) if et == t => {
                    let existing = info_series.get(ek).map(|x| x.metric.to_string());
                    return err(format!(
                        "found duplicate series for info metric: existing {} @ {et}, new {} @ {t}",
                        existing.unwrap_or_default(),
                        s.metric
                    ));
                }
                Some(&(et, _)) if et > t => {}
                _ => {
                    by_sig.insert(sig, (t, k));
                }
            }
        }
        let mut res: Vector = Vec::with_capacity(bv.len());
        for mut bs in bv {
            bs.t = ts;
            if ignore.contains(&bs.metric) {
                res.push(bs);
                continue;
            }
            let mut add = LabelsBuilder::new();
            let mut seen = 0;
            for name in &info_names {
                let sig = signature(name, &bs.metric);
                let Some(&(_, k)) = by_sig.get(&sig) else {
                    continue;
                };
                let Some(is) = info_series.get(k) else {
                    continue;
                };
                for l in is.metric.iter() {
                    if l.name == METRIC_NAME || (!data.is_empty() && !data.contains_key(l.name)) {
                        continue;
                    }
                    if let Some(v) = add.get(l.name) {
                        if v != l.value {
                            return err(format!("conflicting label: {}", l.name));
                        }
                    }
                    if bs.metric.has(l.name) {
                        continue;
                    }
                    add.set(l.name, l.value);
                }
                seen += 1;
            }
            if seen == 0 && !data.values().flatten().all(|m| m.matches("")) {
                continue;
            }
            let extra = add.build();
            if !extra.is_empty() {
                let mut b = bs.metric.to_builder();
                for l in extra.iter() {
                    b.set(l.name, l.value);
                }
                bs.metric = b.build();
            }
            res.push(bs);
        }
        crate::engine::eval::check_unique(&res)?;
        out.push(res);
    }
    Ok(Some(Val::Vector(out)))
}
