//! Metric and label name validation.
//!
//! Prometheus 3 accepts any non-empty UTF-8 string as a metric or label name
//! ("UTF-8 names"); the legacy charset is still what the text format can write
//! unquoted and what `--…validation-scheme=legacy` enforces.

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
}
