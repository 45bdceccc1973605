//! Rule-file errors, displayed exactly as Prometheus displays them.

use thiserror::Error;

/// A position in the YAML text (1-based line and column); `(0, 0)` stands
/// for a field that is absent, as Go prints a zero `yaml.Node`.
pub type Pos = (usize, usize);

/// One problem found in a rule file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleError {
    /// The YAML does not decode (syntax, unknown field, wrong type).
    #[error("{0}")]
    Yaml(String),
    /// A group-level problem, message already with its position if any.
    #[error("{0}")]
    Group(String),
    /// A problem with one rule (upstream's `rulefmt.Error`):
    /// `[L:C: [L:C: ]]group "G", rule N, "NAME": MESSAGE`.
    #[error("{}group {}, rule {index}, {}: {msg}", positions(*pos, *alt), go_quote(group), go_quote(name))]
    Rule {
        /// Group name.
        group: String,
        /// 1-based index of the rule in its group.
        index: usize,
        /// The rule's `alert` or `record` name.
        name: String,
        /// Position of the field concerned.
        pos: Option<Pos>,
        /// Second position (`record` and `alert` both concerned).
        alt: Option<Pos>,
        /// Upstream's message.
        msg: String,
    },
    /// Any of the above in a named file: `FILE: ERROR`.
    #[error("{file}: {err}")]
    File {
        /// The file path.
        file: String,
        /// The error.
        err: Box<RuleError>,
    },
}

/// The `L:C: ` prefixes of a rule error.
fn positions(pos: Option<Pos>, alt: Option<Pos>) -> String {
    match (pos, alt) {
        (Some((l, c)), Some((l2, c2))) => format!("{l}:{c}: {l2}:{c2}: "),
        (Some((l, c)), None) => format!("{l}:{c}: "),
        _ => String::new(),
    }
}

/// Go's `%q` of a string.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
