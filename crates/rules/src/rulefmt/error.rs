//! Rule-file errors, displayed exactly as Prometheus displays them.

use std::fmt;

/// A position in the YAML text (1-based line and column); `(0, 0)` stands
/// for a field that is absent, as Go prints a zero `yaml.Node`.
pub type Pos = (usize, usize);

/// One problem found in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    /// The YAML does not decode (syntax, unknown field, wrong type).
    Yaml(String),
    /// A group-level problem, message already with its position if any.
    Group(String),
    /// A problem with one rule (upstream's `rulefmt.Error`).
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
    File {
        /// The file path.
        file: String,
        /// The error.
        err: Box<RuleError>,
    },
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::Yaml(m) | RuleError::Group(m) => f.write_str(m),
            RuleError::Rule {
                group,
                index,
                name,
                pos,
                alt,
                msg,
            } => {
                if let Some((l, c)) = pos {
                    write!(f, "{l}:{c}: ")?;
                    if let Some((l, c)) = alt {
                        write!(f, "{l}:{c}: ")?;
                    }
                }
                write!(
                    f,
                    "group {}, rule {index}, {}: {msg}",
                    go_quote(group),
                    go_quote(name)
                )
            }
            RuleError::File { file, err } => write!(f, "{file}: {err}"),
        }
    }
}

impl std::error::Error for RuleError {}

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
