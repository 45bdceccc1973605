//! The coloured difference `test rules --diff` prints between expected and
//! firing alerts: the layout of `github.com/nsf/jsondiff` with its console
//! options, which promtool 3.x uses. Both documents are printed as one
//! indented JSON tree; keys only in the expected side are red, keys only in
//! the received side green, and changed scalars yellow as `old => new`.

use serde_json::Value;

const ADDED: &str = "\x1b[0;32m";
const REMOVED: &str = "\x1b[0;31m";
const CHANGED: &str = "\x1b[0;33m";
const END: &str = "\x1b[0m";
const INDENT: &str = "    ";

/// Whether the documents matched, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Difference {
    /// Equal.
    Full,
    /// The first holds everything of the second, and more.
    Superset,
    /// Anything else.
    None,
}

/// The colour in force while printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Normal,
    Added,
    Removed,
    Changed,
}

impl Tag {
    fn begin(self) -> &'static str {
        match self {
            Tag::Normal => "",
            Tag::Added => ADDED,
            Tag::Removed => REMOVED,
            Tag::Changed => CHANGED,
        }
    }
    fn end(self) -> &'static str {
        if self == Tag::Normal { "" } else { END }
    }
}

#[derive(Debug)]
struct Ctx {
    level: usize,
    last: Option<Tag>,
    diff: Difference,
}

/// Compares `a` (expected) with `b` (received).
pub(crate) fn compare(a: &Value, b: &Value) -> (Difference, String) {
    let mut ctx = Ctx {
        level: 0,
        last: None,
        diff: Difference::Full,
    };
    let out = ctx.print_diff(a, b);
    (ctx.diff, out)
}

impl Ctx {
    fn newline(&self, buf: &mut String, s: &str) {
        buf.push_str(s);
        if let Some(t) = self.last {
            buf.push_str(t.end());
        }
        buf.push('\n');
        for _ in 0..self.level {
            buf.push_str(INDENT);
        }
        if let Some(t) = self.last {
            buf.push_str(t.begin());
        }
    }

    fn tag(&mut self, buf: &mut String, t: Tag) {
        if self.last == Some(t) {
            return;
        }
        if let Some(l) = self.last {
            buf.push_str(l.end());
        }
        buf.push_str(t.begin());
        self.last = Some(t);
    }

    fn finalize(&mut self, mut buf: String) -> String {
        if let Some(l) = self.last.take() {
            buf.push_str(l.end());
        }
        buf
    }

    fn result(&mut self, d: Difference) {
        match d {
            Difference::None => self.diff = Difference::None,
            Difference::Superset if self.diff != Difference::None => {
                self.diff = Difference::Superset;
            }
            _ => {}
        }
    }

    fn write_value(&mut self, buf: &mut String, v: &Value, full: bool) {
        match v {
            Value::Null => buf.push_str("null"),
            Value::Bool(b) => buf.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => buf.push_str(&n.to_string()),
            Value::String(s) => buf.push_str(&go_quote(s)),
            Value::Array(items) if full => {
                if items.is_empty() {
                    buf.push('[');
                } else {
                    self.level += 1;
                    self.newline(buf, "[");
                }
                for (i, item) in items.iter().enumerate() {
                    self.write_value(buf, item, true);
                    if i + 1 != items.len() {
                        self.newline(buf, ",");
                    } else {
                        self.level -= 1;
                        self.newline(buf, "");
                    }
                }
                buf.push(']');
            }
            Value::Array(_) => buf.push_str("[]"),
            Value::Object(m) if full => {
                if m.is_empty() {
                    buf.push('{');
                } else {
                    self.level += 1;
                    self.newline(buf, "{");
                }
                for (i, (k, item)) in m.iter().enumerate() {
                    buf.push_str(&go_quote(k));
                    buf.push_str(": ");
                    self.write_value(buf, item, true);
                    if i + 1 != m.len() {
                        self.newline(buf, ",");
                    } else {
                        self.level -= 1;
                        self.newline(buf, "");
                    }
                }
                buf.push('}');
            }
            Value::Object(_) => buf.push_str("{}"),
        }
    }

    fn print_mismatch(&mut self, a: &Value, b: &Value) -> String {
        let mut buf = String::new();
        self.tag(&mut buf, Tag::Changed);
        self.write_value(&mut buf, a, false);
        buf.push_str(" => ");
        self.write_value(&mut buf, b, false);
        self.result(Difference::None);
        self.finalize(buf)
    }

    fn print_diff(&mut self, a: &Value, b: &Value) -> String {
        match (a, b) {
            (Value::Array(x), Value::Array(y)) => {
                let n = x.len().max(y.len());
                let pairs: Vec<(Option<&Value>, Option<&Value>, String)> = (0..n)
                    .map(|i| (x.get(i), y.get(i), String::new()))
                    .collect();
                self.print_collection("[", "]", pairs)
            }
            (Value::Object(x), Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                let pairs = keys
                    .into_iter()
                    .map(|k| (x.get(k), y.get(k), format!("{}: ", go_quote(k))))
                    .collect();
                self.print_collection("{", "}", pairs)
            }
            _ if std::mem::discriminant(a) != std::mem::discriminant(b) || a != b => {
                self.print_mismatch(a, b)
            }
            _ => {
                let mut buf = String::new();
                self.tag(&mut buf, Tag::Normal);
                self.write_value(&mut buf, a, true);
                self.finalize(buf)
            }
        }
    }

    /// An array or object: `pairs` holds each position's two sides and
    /// the key prefix to print (empty for arrays).
    fn print_collection(
        &mut self,
        open: &str,
        close: &str,
        pairs: Vec<(Option<&Value>, Option<&Value>, String)>,
    ) -> String {
        // Differences of common entries are rendered first, one level in.
        self.level += 1;
        let diffs: Vec<String> = pairs
            .iter()
            .map(|(a, b, _)| match (a, b) {
                (Some(a), Some(b)) => self.print_diff(a, b),
                _ => String::new(),
            })
            .collect();
        self.level -= 1;

        let mut buf = String::new();
        self.tag(&mut buf, Tag::Normal);
        if pairs.is_empty() {
            buf.push_str(open);
            buf.push_str(close);
            return self.finalize(buf);
        }
        self.level += 1;
        self.newline(&mut buf, open);
        let count = pairs.len();
        for (i, ((a, b, key), diff)) in pairs.iter().zip(diffs).enumerate() {
            match (a, b) {
                (Some(_), Some(_)) => {
                    buf.push_str(key);
                    buf.push_str(&diff);
                }
                (Some(a), None) => {
                    self.tag(&mut buf, Tag::Removed);
                    buf.push_str(key);
                    self.write_value(&mut buf, a, true);
                    self.result(Difference::Superset);
                }
                (None, Some(b)) => {
                    self.tag(&mut buf, Tag::Added);
                    buf.push_str(key);
                    self.write_value(&mut buf, b, true);
                    self.result(Difference::None);
                }
                (None, None) => {}
            }
            if i + 1 < count {
                self.tag(&mut buf, Tag::Normal);
                self.newline(&mut buf, ",");
            } else {
                self.level -= 1;
                self.tag(&mut buf, Tag::Normal);
                self.newline(&mut buf, "");
            }
        }
        buf.push_str(close);
        self.finalize(buf)
    }
}

/// Go's `strconv.Quote` for the label text found in alerts.
fn go_quote(s: &str) -> String {
    vigil_model::quote::quote(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_documents_match() {
        let v = json!([{"Labels": {"a": "1"}}]);
        let (d, _) = compare(&v, &v);
        assert_eq!(d, Difference::Full);
    }

    #[test]
    fn changed_added_and_removed_are_coloured() {
        let exp = json!([{"Annotations": {}, "Labels": {"alertname": "A", "sev": "page"}}]);
        let got =
            json!([{"Annotations": {}, "Labels": {"alertname": "A", "sev": "warn", "x": "1"}}]);
        let (d, out) = compare(&exp, &got);
        assert_eq!(d, Difference::None);
        assert_eq!(
            out,
            "[\n    {\n        \"Annotations\": {},\n        \"Labels\": {\n            \"alertname\": \"A\",\n            \"sev\": \x1b[0;33m\"page\" => \"warn\"\x1b[0m,\n            \x1b[0;32m\"x\": \"1\"\x1b[0m\n        }\n    }\n]"
        );
        let (d, out) = compare(&json!({"a": "1", "b": "2"}), &json!({"a": "1"}));
        assert_eq!(d, Difference::Superset);
        assert_eq!(
            out,
            "{\n    \"a\": \"1\",\n    \x1b[0;31m\"b\": \"2\"\x1b[0m\n}"
        );
    }
}
