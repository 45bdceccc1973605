//! Warning and info annotations, worded as Prometheus'
//! `util/annotations` words them, with the `(line:col)` suffix pointing at
//! the expression that raised them.

use std::collections::HashSet;

use crate::ast::PosRange;

/// The annotations one query raised, deduplicated, in the order raised.
#[derive(Debug, Default)]
pub(crate) struct Annotations {
    pub(crate) warnings: Vec<String>,
    pub(crate) infos: Vec<String>,
    seen: HashSet<String>,
}

/// `line:col` (1-based) of `pos.start` in `query`.
pub(crate) fn position(query: &str, pos: PosRange) -> String {
    let upto = query.get(..pos.start.min(query.len())).unwrap_or(query);
    let line = 1 + upto.bytes().filter(|b| *b == b'\n').count();
    let col = match upto.rfind('\n') {
        Some(i) => pos.start - i,
        None => pos.start + 1,
    };
    format!("{line}:{col}")
}

impl Annotations {
    fn push(&mut self, warn: bool, text: String) {
        if self.seen.insert(text.clone()) {
            if warn {
                self.warnings.push(text);
            } else {
                self.infos.push(text);
            }
        }
    }

    /// Adds `PromQL warning: <msg> (<pos>)`.
    pub(crate) fn warn(&mut self, query: &str, pos: PosRange, msg: impl AsRef<str>) {
        let text = format!(
            "PromQL warning: {} ({})",
            msg.as_ref(),
            position(query, pos)
        );
        self.push(true, text);
    }

    /// Adds `PromQL info: <msg> (<pos>)`.
    pub(crate) fn info(&mut self, query: &str, pos: PosRange, msg: impl AsRef<str>) {
        let text = format!("PromQL info: {} ({})", msg.as_ref(), position(query, pos));
        self.push(false, text);
    }
}

/// Go's `%q` for the strings we quote in messages.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    // Writing to a String cannot fail.
    let _ = vigil_model::quote::write_quoted(&mut out, s);
    out
}

/// Go's `%g` formatting of a float, as used in annotation texts.
pub(crate) fn fmt_g(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let exp = if v == 0.0 {
        0
    } else {
        v.abs().log10().floor() as i32
    };
    if (-4..21).contains(&exp) {
        format!("{v}")
    } else {
        let s = format!("{v:e}");
        // Rust prints `1e21`; Go prints `1e+21`.
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => {
                let e = if e.len() < 2 {
                    format!("0{e}")
                } else {
                    e.into()
                };
                format!("{m}e+{e}")
            }
            Some((m, e)) => {
                let d = &e[1..];
                let d = if d.len() < 2 {
                    format!("0{d}")
                } else {
                    d.into()
                };
                format!("{m}e-{d}")
            }
            None => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        assert_eq!(position("rate(foo[1m])", PosRange::new(5, 12)), "1:6");
        assert_eq!(position("a\nrate(foo)", PosRange::new(7, 10)), "2:6");
    }

    #[test]
    fn go_g() {
        assert_eq!(fmt_g(1.5), "1.5");
        assert_eq!(fmt_g(-1.0), "-1");
        assert_eq!(fmt_g(1e21), "1e+21");
    }
}
