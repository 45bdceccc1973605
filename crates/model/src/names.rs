//! Metric and label name validation.
//!
//! Prometheus 3 accepts any non-empty UTF-8 string as a metric or label name
//! ("UTF-8 names"); the legacy charset is still what the text format can write
//! unquoted and what `--…validation-scheme=legacy` enforces.
//!
//! The escaping schemes ([`EscapingScheme`], [`escape_name`],
//! [`unescape_name`]) map UTF-8 names onto the legacy charset for consumers
//! that cannot take UTF-8; they follow prometheus/common's `model.EscapeName`
//! and `model.UnescapeName` and are selected through the `escaping=`
//! parameter of `Accept` / `Content-Type` headers.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Which names are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValidationScheme {
    /// Metric names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`.
    Legacy,
    /// Any non-empty valid UTF-8 string (Prometheus 3's default).
    #[default]
    Utf8,
}

/// Whether `name` is a metric name in the legacy charset.
pub fn is_legacy_metric_name(name: &str) -> bool {
    let b = name.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b':' => {}
        _ => return false,
    }
    b[1..]
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b':')
}

/// Whether `name` is a label name in the legacy charset.
pub fn is_legacy_label_name(name: &str) -> bool {
    let b = name.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        _ => return false,
    }
    b[1..]
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Whether `name` is a valid metric name under `scheme`.
pub fn is_valid_metric_name(name: &str, scheme: ValidationScheme) -> bool {
    match scheme {
        ValidationScheme::Legacy => is_legacy_metric_name(name),
        ValidationScheme::Utf8 => !name.is_empty(),
    }
}

/// Whether `name` is a valid label name under `scheme`.
pub fn is_valid_label_name(name: &str, scheme: ValidationScheme) -> bool {
    match scheme {
        ValidationScheme::Legacy => is_legacy_label_name(name),
        ValidationScheme::Utf8 => !name.is_empty(),
    }
}

/// Label names starting with `__` are reserved for internal use and are
/// removed from targets after relabeling.
pub fn is_reserved_label_name(name: &str) -> bool {
    name.starts_with("__")
}

/// How names outside the legacy charset are rewritten for a consumer that
/// only understands legacy names (the `escaping=` media-type parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EscapingScheme {
    /// `allow-utf-8`: names pass through unchanged.
    AllowUtf8,
    /// `underscores`: every character not allowed in a legacy name becomes `_`
    /// (lossy; Prometheus 3's default for clients that do not ask for UTF-8).
    #[default]
    Underscores,
    /// `dots`: `_` becomes `__`, `.` becomes `_dot_`, any other invalid
    /// character becomes `__`; reversible for names made of legacy
    /// characters and dots.
    Dots,
    /// `values`: names that are not legacy-valid get a `U__` prefix, `_`
    /// doubles and every invalid character becomes `_<hex code point>_`;
    /// fully reversible.
    Values,
}

/// The media-type parameter that names an escaping scheme.
pub const ESCAPING_KEY: &str = "escaping";

impl EscapingScheme {
    /// The parameter value used in media types (`allow-utf-8`, `underscores`, `dots`, `values`).
    pub fn as_str(self) -> &'static str {
        match self {
            EscapingScheme::AllowUtf8 => "allow-utf-8",
            EscapingScheme::Underscores => "underscores",
            EscapingScheme::Dots => "dots",
            EscapingScheme::Values => "values",
        }
    }

    /// Parses a parameter value; `None` for anything unknown (including empty).
    pub fn parse(s: &str) -> Option<EscapingScheme> {
        Some(match s {
            "allow-utf-8" => EscapingScheme::AllowUtf8,
            "underscores" => EscapingScheme::Underscores,
            "dots" => EscapingScheme::Dots,
            "values" => EscapingScheme::Values,
            _ => return None,
        })
    }
}

impl std::fmt::Display for EscapingScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `c`, found at byte offset `i` of a name, may appear in a legacy
/// metric name (digits only after the first position).
fn is_legacy_char(c: char, i: usize) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':' || (c.is_ascii_digit() && i > 0)
}

/// Rewrites `name` so that it only uses the legacy metric-name charset,
/// according to `scheme`. Names that need no change are borrowed.
///
/// `Underscores` and `Values` leave legacy-valid names alone; `Dots` always
/// rewrites underscores, so that [`unescape_name`] can undo it.
pub fn escape_name(name: &str, scheme: EscapingScheme) -> Cow<'_, str> {
    if name.is_empty() {
        return Cow::Borrowed(name);
    }
    match scheme {
        EscapingScheme::AllowUtf8 => Cow::Borrowed(name),
        EscapingScheme::Underscores => {
            if is_legacy_metric_name(name) {
                return Cow::Borrowed(name);
            }
            let mut out = String::with_capacity(name.len());
            for (i, c) in name.char_indices() {
                out.push(if is_legacy_char(c, i) { c } else { '_' });
            }
            Cow::Owned(out)
        }
        EscapingScheme::Dots => {
            if !name
                .contains(|c: char| c == '_' || c == '.' || !c.is_ascii_alphanumeric() && c != ':')
                && is_legacy_metric_name(name)
            {
                return Cow::Borrowed(name);
            }
            let mut out = String::with_capacity(name.len() + 8);
            for (i, c) in name.char_indices() {
                match c {
                    '_' => out.push_str("__"),
                    '.' => out.push_str("_dot_"),
                    c if is_legacy_char(c, i) => out.push(c),
                    _ => out.push_str("__"),
                }
            }
            Cow::Owned(out)
        }
        EscapingScheme::Values => {
            if is_legacy_metric_name(name) {
                return Cow::Borrowed(name);
            }
            let mut out = String::with_capacity(name.len() + 16);
            out.push_str("U__");
            for (i, c) in name.char_indices() {
                match c {
                    '_' => out.push_str("__"),
                    c if is_legacy_char(c, i) => out.push(c),
                    // Writing into a String cannot fail.
                    c => {
                        let _ = write!(out, "_{:x}_", c as u32);
                    }
                }
            }
            Cow::Owned(out)
        }
    }
}

/// Reverses [`escape_name`] where the scheme allows it. `Underscores` is
/// lossy and returns the name unchanged; a `Values` name that is not a
/// well-formed escape is returned unchanged too.
pub fn unescape_name(name: &str, scheme: EscapingScheme) -> Cow<'_, str> {
    match scheme {
        EscapingScheme::AllowUtf8 | EscapingScheme::Underscores => Cow::Borrowed(name),
        EscapingScheme::Dots => {
            if !name.contains('_') {
                return Cow::Borrowed(name);
            }
            // Dots first, so that `_dot_` inside a doubled underscore run is
            // read the same way the reference implementation reads it.
            Cow::Owned(name.replace("_dot_", ".").replace("__", "_"))
        }
        EscapingScheme::Values => match unescape_values(name) {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(name),
        },
    }
}

/// Decodes a `values`-escaped name; `None` when it is not one.
fn unescape_values(name: &str) -> Option<String> {
    let body = name.strip_prefix("U__")?;
    let bytes = body.as_bytes();
    let mut out = String::with_capacity(body.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'_' {
            // Copy the whole (possibly multi-byte) character.
            let ch = body.get(i..)?.chars().next()?;
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        i += 1;
        match bytes.get(i) {
            None => return None,
            Some(b'_') => {
                out.push('_');
                i += 1;
                continue;
            }
            Some(_) => {}
        }
        // A code point in hex, at most six digits, closed by `_`.
        let mut value: u32 = 0;
        let mut digits = 0;
        loop {
            let c = *bytes.get(i)?;
            if c == b'_' {
                break;
            }
            if digits >= 6 {
                return None;
            }
            value = value * 16 + (c as char).to_digit(16)?;
            digits += 1;
            i += 1;
        }
        out.push(char::from_u32(value)?);
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_charsets() {
        assert!(is_legacy_metric_name("http_requests:rate5m"));
        assert!(!is_legacy_metric_name("1abc"));
        assert!(!is_legacy_metric_name(""));
        assert!(!is_legacy_metric_name("a.b"));
        assert!(is_legacy_label_name("_a1"));
        assert!(!is_legacy_label_name("a:b"));
        assert!(is_valid_metric_name("a.b", ValidationScheme::Utf8));
        assert!(!is_valid_label_name("", ValidationScheme::Utf8));
    }

    #[test]
    fn escape_underscores() {
        let u = EscapingScheme::Underscores;
        assert_eq!(escape_name("my.metric", u), "my_metric");
        assert_eq!(
            escape_name("no:escaping_required", u),
            "no:escaping_required"
        );
        assert_eq!(escape_name("0leading.dot", u), "_leading_dot");
        assert_eq!(escape_name("http.status:sum", u), "http_status:sum");
        assert_eq!(escape_name("label with 😱", u), "label_with__");
        assert!(matches!(escape_name("ok_name", u), Cow::Borrowed(_)));
        assert_eq!(unescape_name("my_metric", u), "my_metric");
    }

    #[test]
    fn escape_dots() {
        let d = EscapingScheme::Dots;
        assert_eq!(
            escape_name("no:escaping_required", d),
            "no:escaping__required"
        );
        assert_eq!(
            escape_name("mysystem.prod.west.cpu.load", d),
            "mysystem_dot_prod_dot_west_dot_cpu_dot_load"
        );
        assert_eq!(escape_name("http.status:sum", d), "http_dot_status:sum");
        assert_eq!(escape_name("label with 😱", d), "label__with____");
        assert_eq!(escape_name("0leading.dot", d), "__leading_dot_dot");
        assert_eq!(
            unescape_name("mysystem_dot_prod_dot_west_dot_cpu_dot_load", d),
            "mysystem.prod.west.cpu.load"
        );
        assert_eq!(
            unescape_name("no:escaping__required", d),
            "no:escaping_required"
        );
        assert_eq!(unescape_name("plain", d), "plain");
    }

    #[test]
    fn escape_values() {
        let v = EscapingScheme::Values;
        assert_eq!(
            escape_name("no:escaping_required", v),
            "no:escaping_required"
        );
        assert_eq!(
            escape_name("mysystem.prod.west.cpu.load", v),
            "U__mysystem_2e_prod_2e_west_2e_cpu_2e_load"
        );
        assert_eq!(
            escape_name("mysystem.prod.west.cpu.load_total", v),
            "U__mysystem_2e_prod_2e_west_2e_cpu_2e_load__total"
        );
        assert_eq!(escape_name("http.status:sum", v), "U__http_2e_status:sum");
        assert_eq!(
            escape_name("label with 😱", v),
            "U__label_20_with_20__1f631_"
        );
        assert_eq!(escape_name("0leading", v), "U___30_leading");
        for name in [
            "mysystem.prod.west.cpu.load_total",
            "label with 😱",
            "0leading",
            "ünï_cödé",
        ] {
            let e = escape_name(name, v);
            assert_eq!(unescape_name(&e, v), name);
        }
        // Malformed escapes come back unchanged.
        for bad in [
            "U__bad_",
            "U__a_zz_",
            "U__a_1234567_",
            "U__a_d800_",
            "U__a_2e",
        ] {
            assert_eq!(unescape_name(bad, v), bad);
        }
        assert_eq!(unescape_name("not_escaped", v), "not_escaped");
    }

    #[test]
    fn scheme_names() {
        for s in [
            EscapingScheme::AllowUtf8,
            EscapingScheme::Underscores,
            EscapingScheme::Dots,
            EscapingScheme::Values,
        ] {
            assert_eq!(EscapingScheme::parse(s.as_str()), Some(s));
        }
        assert_eq!(EscapingScheme::parse(""), None);
    }
}
