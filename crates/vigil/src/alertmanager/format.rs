//! amtool's output formats for `vigil tool am`: `simple` and `extended`
//! (columns aligned as Go's `text/tabwriter` aligns them with a padding of
//! two), and `json` (the API models re-encoded the way amtool's Go client
//! encodes them: its field order, millisecond timestamps, HTML-safe
//! escaping). Dates are printed with a Go time layout (`--date.format`).

use serde_json::Value;
use vigil_alertmanager::time::parse_rfc3339;

/// amtool's default `--date.format`.
pub(crate) const DEFAULT_DATE_FORMAT: &str = "2006-01-02 15:04:05 MST";

/// The three output formats of `-o/--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Output {
    /// Columns of the main fields.
    Simple,
    /// Columns of every field.
    Extended,
    /// The API objects as JSON.
    Json,
}

/// Aligns tab-terminated cells into columns, as Go's tabwriter does with
/// minwidth 0, padding 2 and spaces: a column's width is set per block of
/// consecutive lines that have a cell in it; text after the last tab of a
/// line is not part of any column.
pub(crate) fn tabwrite(text: &str) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    // widths[i][col] once computed for that line's block.
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|l| vec![0; l.len()]).collect();
    let max_cols = lines.iter().map(|l| l.len()).max().unwrap_or(0);
    for col in 0..max_cols {
        let mut start = 0;
        while start < lines.len() {
            // Only terminated cells (not the trailing text) form columns.
            let has = |i: usize| lines.get(i).is_some_and(|l| l.len() > col + 1);
            if !has(start) {
                start += 1;
                continue;
            }
            let mut end = start;
            while has(end) {
                end += 1;
            }
            let width = (start..end)
                .filter_map(|i| lines.get(i).and_then(|l| l.get(col)))
                .map(|c| c.chars().count() + 2)
                .max()
                .unwrap_or(2);
            for w in widths.iter_mut().take(end).skip(start) {
                if let Some(x) = w.get_mut(col) {
                    *x = width;
                }
            }
            start = end;
        }
    }
    let mut out = String::new();
    for (i, (line, w)) in lines.iter().zip(&widths).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let last = line.len().saturating_sub(1);
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if j < last {
                let pad = w
                    .get(j)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
    }
    out
}

/// Formats a time (ns since the epoch, UTC) with a Go layout, as the
/// template engine's `Format` does.
pub(crate) fn go_format(ns: i64, layout: &str) -> String {
    vigil_template::time::format_time(ns, layout)
}

/// A timestamp field of an API object, in ns (0 when absent or unreadable).
pub(crate) fn time_of(v: &Value, key: &str) -> i64 {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| parse_rfc3339(s).ok())
        .unwrap_or(0)
}

/// A string field of an API object ("" when absent).
pub(crate) fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A Go-encoded JSON string (HTML-sensitive characters and the line and
/// paragraph separators escaped), as the server's API writes them.
fn go_string(s: &str, out: &mut String) {
    vigil_web::json::push_str(out, s);
}

/// Encodes a value as Go's encoder would a map-typed value (keys sorted).
pub(crate) fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => go_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(x, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(k, out);
                out.push(':');
                go_json(x, out);
            }
            out.push('}');
        }
    }
}

/// Fields of a struct in the order given; `Time` fields are re-printed
/// with milliseconds as Go's `strfmt.DateTime` does, `OmitEmpty` fields
/// are left out when empty or absent.
pub(crate) enum Field<'a> {
    /// A field copied as it came (null when absent).
    Plain(&'a str),
    /// A date-time field.
    Time(&'a str),
    /// A string field left out when empty.
    OmitEmpty(&'a str),
    /// A field whose value is computed.
    With(&'a str, String),
}

/// Encodes the fields of `v` as one Go struct.
pub(crate) fn go_struct(v: &Value, fields: &[Field<'_>], out: &mut String) {
    out.push('{');
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !first {
            out.push(',');
        }
        first = false;
    };
    for f in fields {
        match f {
            Field::Plain(k) => {
                sep(out);
                go_string(k, out);
                out.push(':');
                go_json(v.get(*k).unwrap_or(&Value::Null), out);
            }
            Field::Time(k) => {
                sep(out);
                go_string(k, out);
                out.push(':');
                if v.get(*k).and_then(Value::as_str).is_some() {
                    let t = go_format(time_of(v, k), "2006-01-02T15:04:05.000Z07:00");
                    go_string(&t, out);
                } else {
                    out.push_str("null");
                }
            }
            Field::OmitEmpty(k) => {
                if let Some(s) = v.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()) {
                    sep(out);
                    go_string(k, out);
                    out.push(':');
                    go_string(s, out);
                }
            }
            Field::With(k, raw) => {
                sep(out);
                go_string(k, out);
                out.push(':');
                out.push_str(raw);
            }
        }
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabwriter_pads_columns_per_block() {
        assert_eq!(tabwrite("A\tBB\t\nCCC\tD\t\n"), "A    BB  \nCCC  D   \n");
        // A blank line ends a block; trailing text is not a column.
        assert_eq!(
            tabwrite("Cluster Status:\tx\nNode Name:\ty\n\nAddress\tName\n"),
            "Cluster Status:  x\nNode Name:       y\n\nAddress  Name\n"
        );
        assert_eq!(tabwrite("a\t\t\n"), "a    \n");
    }

    #[test]
    fn go_layouts() {
        let t = parse_rfc3339("2026-12-08T01:02:03.456Z").unwrap();
        assert_eq!(go_format(t, DEFAULT_DATE_FORMAT), "2026-12-08 01:02:03 UTC");
        assert_eq!(
            go_format(t, "2006-01-02T15:04:05.000Z07:00"),
            "2026-12-08T01:02:03.456Z"
        );
        assert_eq!(go_format(t, "Mon Jan _2 03:04PM"), "Tue Dec  8 01:02AM");
    }

    #[test]
    fn go_json_escapes_like_go() {
        let mut s = String::new();
        go_json(&serde_json::json!({"b": "<&>", "a": [1, null]}), &mut s);
        assert_eq!(s, r#"{"a":[1,null],"b":"\u003c\u0026\u003e"}"#);
    }
}
