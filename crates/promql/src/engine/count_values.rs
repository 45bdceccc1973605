//! `count_values`: counts the elements of each value, labelled with it.

use std::collections::HashMap;

use super::labels::{grouping_hash, grouping_labels};
use crate::value::{Sample, Vector};

/// Go's `%v` of a float for error texts.
pub(crate) fn go_float(v: f64) -> String {
    super::annotations::fmt_g(v)
}

/// Go's `%q` of possibly invalid UTF-8 bytes.
pub(crate) fn go_quote_bytes(b: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in b.utf8_chunks() {
        let q = super::annotations::quote(chunk.valid());
        out.push_str(q.get(1..q.len().saturating_sub(1)).unwrap_or(""));
        for x in chunk.invalid() {
            out.push_str(&format!("\\x{x:02x}"));
        }
    }
    out.push('"');
    out
}

/// Formats a float as Go's `strconv.FormatFloat(f, 'f', -1, 64)`.
pub(crate) fn format_float_f(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{f}")
    }
}

pub(crate) fn count_values(v: &Vector, label: &str, grouping: &[&str], without: bool) -> Vector {
    let mut grouping: Vec<&str> = grouping.to_vec();
    if !without {
        grouping.push(label);
    }
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut out: Vector = Vec::new();
    for s in v {
        let value = match &s.h {
            Some(h) => h.to_string(),
            None => format_float_f(s.f),
        };
        let mut b = s.metric.to_builder();
        b.set(label, &value);
        let m = b.build();
        let key = grouping_hash(&m, &grouping, without);
        match index.get(&key).and_then(|&i| out.get_mut(i)) {
            Some(o) => o.f += 1.0,
            None => {
                index.insert(key, out.len());
                out.push(Sample {
                    metric: grouping_labels(&m, &grouping, without),
                    t: 0,
                    f: 1.0,
                    h: None,
                    drop_name: false,
                });
            }
        }
    }
    out
}
