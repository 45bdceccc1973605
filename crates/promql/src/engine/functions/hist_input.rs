//! The input of the histogram functions, one step at a time: native
//! histograms, and classic bucket series (`le`) grouped by their other
//! labels. Series-major input has each series' `le` parsed and group found
//! once, not at every step.

use vigil_model::{BUCKET_LABEL, Labels};

use crate::ast::PosRange;
use crate::engine::annotations::quote;
use crate::engine::eval::{EResult, Evaluator, Range, Val, err};
use crate::engine::labels::FastMap;
use crate::value::{Matrix, Sample, Vector};

/// A step's input to a histogram function: native histograms, and classic
/// bucket series grouped by their labels without `le`.
pub(super) struct Classified {
    pub(super) natives: Vec<Sample>,
    pub(super) classic: Vec<(Labels, Vec<(f64, f64)>)>,
}

fn classify(ev: &mut Evaluator<'_>, v: Vector, pos: PosRange) -> Classified {
    let delayed = ev.opts.enable_delayed_name_removal;
    let qq = ev.query;
    let mut index: FastMap<Labels, usize> = FastMap::default();
    let mut classic: Vec<(Labels, Vec<(f64, f64)>)> = Vec::new();
    let mut natives: Vec<Sample> = Vec::new();
    for s in v {
        if s.h.is_some() {
            natives.push(s);
            continue;
        }
        let le = s.metric.get(BUCKET_LABEL).unwrap_or("");
        let Some(ub) = parse_go_float(le) else {
            let name = if delayed {
                s.metric.metric_name().unwrap_or("")
            } else {
                ""
            };
            let mut msg = format!(
                "bucket label \"le\" is missing or has a malformed value of {}",
                quote(le)
            );
            if !name.is_empty() {
                msg.push_str(&format!(" for metric name {}", quote(name)));
            }
            ev.annos.warn(qq, pos, msg);
            continue;
        };
        let key = s.metric.without(&[BUCKET_LABEL]);
        match index.get(&key).and_then(|&i| classic.get_mut(i)) {
            Some(g) => g.1.push((ub, s.f)),
            None => {
                index.insert(key.clone(), classic.len());
                classic.push((key, vec![(ub, s.f)]));
            }
        }
    }
    let mut kept = Vec::with_capacity(natives.len());
    for s in natives {
        if let Some(g) = index.get(&s.metric).and_then(|&i| classic.get_mut(i)) {
            let mut msg = "vector contains a mix of classic and native histograms".to_string();
            if delayed {
                if let Some(n) = s.metric.metric_name() {
                    msg.push_str(&format!(" for metric name {}", quote(n)));
                }
            }
            ev.annos.warn(qq, pos, msg);
            g.1.clear();
            continue;
        }
        kept.push(s);
    }
    classic.retain(|g| !g.1.is_empty());
    Classified {
        natives: kept,
        classic,
    }
}

fn bad_le_warning(ev: &mut Evaluator<'_>, metric: &Labels, le: &str, pos: PosRange) {
    let name = if ev.opts.enable_delayed_name_removal {
        metric.metric_name().unwrap_or("")
    } else {
        ""
    };
    let mut msg = format!(
        "bucket label \"le\" is missing or has a malformed value of {}",
        quote(le)
    );
    if !name.is_empty() {
        msg.push_str(&format!(" for metric name {}", quote(name)));
    }
    let q = ev.query;
    ev.annos.warn(q, pos, msg);
}

/// A histogram function's argument, handed out step by step.
pub(super) enum HistInput {
    Steps(Vec<Vector>),
    Series {
        m: Matrix,
        /// Per series: its `le` bound (`None`: malformed) and group.
        info: Vec<(Option<f64>, usize)>,
        groups: Vec<Labels>,
        index: FastMap<Labels, usize>,
        cursors: Vec<(usize, usize)>,
    },
}

impl HistInput {
    pub(super) fn new(v: Val) -> EResult<HistInput> {
        Ok(match v {
            Val::Series(m) => {
                let mut index: FastMap<Labels, usize> = FastMap::default();
                let mut groups = Vec::new();
                let info = m
                    .iter()
                    .map(|s| {
                        let le = parse_go_float(s.metric.get(BUCKET_LABEL).unwrap_or(""));
                        let key = s.metric.without(&[BUCKET_LABEL]);
                        let n = groups.len();
                        let g = *index.entry(key.clone()).or_insert(n);
                        if g == n {
                            groups.push(key);
                        }
                        (le, g)
                    })
                    .collect();
                let cursors = vec![(0, 0); m.len()];
                HistInput::Series {
                    m,
                    info,
                    groups,
                    index,
                    cursors,
                }
            }
            Val::Vector(v) => HistInput::Steps(v),
            _ => return err("expected instant vector"),
        })
    }

    /// The classified input of step `i` (at `ts`).
    pub(super) fn step(
        &mut self,
        ev: &mut Evaluator<'_>,
        r: Range,
        i: usize,
        pos: PosRange,
    ) -> Classified {
        match self {
            HistInput::Steps(v) => {
                let v = v.get_mut(i).map(std::mem::take).unwrap_or_default();
                classify(ev, v, pos)
            }
            HistInput::Series {
                m,
                info,
                groups,
                index,
                cursors,
            } => {
                let ts = r.ts(i);
                let mut buckets: Vec<Vec<(f64, f64)>> = vec![Vec::new(); groups.len()];
                let mut natives = Vec::new();
                for (k, s) in m.iter().enumerate() {
                    let (Some(c), Some(&(le, g))) = (cursors.get_mut(k), info.get(k)) else {
                        continue;
                    };
                    if let Some(p) = s.floats.get(c.0).filter(|p| p.t == ts) {
                        c.0 += 1;
                        match le {
                            Some(ub) => {
                                if let Some(b) = buckets.get_mut(g) {
                                    b.push((ub, p.f));
                                }
                            }
                            None => {
                                let raw = s.metric.get(BUCKET_LABEL).unwrap_or("");
                                bad_le_warning(ev, &s.metric, raw, pos);
                            }
                        }
                    } else if let Some(p) = s.histograms.get(c.1).filter(|p| p.t == ts) {
                        c.1 += 1;
                        natives.push(Sample {
                            metric: s.metric.clone(),
                            t: ts,
                            f: 0.0,
                            h: Some(p.h.clone()),
                            drop_name: s.drop_name,
                        });
                    }
                }
                let delayed = ev.opts.enable_delayed_name_removal;
                let q = ev.query;
                let mut kept = Vec::with_capacity(natives.len());
                for s in natives {
                    let clash = index
                        .get(&s.metric)
                        .and_then(|&g| buckets.get_mut(g))
                        .filter(|b| !b.is_empty());
                    if let Some(b) = clash {
                        let mut msg =
                            "vector contains a mix of classic and native histograms".to_string();
                        if delayed {
                            if let Some(n) = s.metric.metric_name() {
                                msg.push_str(&format!(" for metric name {}", quote(n)));
                            }
                        }
                        ev.annos.warn(q, pos, msg);
                        b.clear();
                        continue;
                    }
                    kept.push(s);
                }
                let classic = groups
                    .iter()
                    .zip(buckets)
                    .filter(|(_, b)| !b.is_empty())
                    .map(|(l, b)| (l.clone(), b))
                    .collect();
                Classified {
                    natives: kept,
                    classic,
                }
            }
        }
    }
}

/// Go's `strconv.ParseFloat` for `le` values (accepts `+Inf`, `Inf`, ...).
fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.trim_start_matches(['+', '-']);
    let neg = s.starts_with('-');
    let special = match t.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = special {
        return Some(if neg { -v } else { v });
    }
    if s.is_empty() || s.contains('_') {
        return None;
    }
    s.parse::<f64>().ok()
}
