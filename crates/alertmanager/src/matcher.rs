//! Label matchers as Alertmanager writes and reads them: `name="value"`,
//! `name!~"regex"`, lists in braces (`{a="b", c=~"d.*"}`) or bare
//! (`a=b,c!=d`), quoted or unquoted names and values (the UTF-8 syntax of
//! Alertmanager 0.25+ with the older unquoted form accepted as well, as its
//! fallback parser does).
//!
//! Regexes are anchored as Alertmanager anchors them, `^(?:…)$`, without
//! the `s` flag (`.` does not match a newline), which is where they differ
//! from Prometheus' selectors and why [`vigil_model::Matcher`] is not used;
//! the match types are the model's [`MatchType`].

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;
pub use vigil_model::MatchType;

use crate::error::MatcherError;

/// One label matcher.
#[derive(Debug, Clone)]
pub struct Matcher {
    kind: MatchType,
    name: String,
    value: String,
    re: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.name == other.name && self.value == other.value
    }
}

impl Eq for Matcher {}

impl Matcher {
    /// Builds a matcher; `=~`/`!~` values are compiled as anchored regexes.
    pub fn new(
        kind: MatchType,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Matcher, MatcherError> {
        let value = value.into();
        let re = if kind.is_regex() {
            Some(
                Regex::new(&format!("^(?:{value})$")).map_err(|e| MatcherError::Regex {
                    value: value.clone(),
                    reason: e.to_string(),
                })?,
            )
        } else {
            None
        };
        Ok(Matcher {
            kind,
            name: name.into(),
            value,
            re,
        })
    }

    /// The label name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value or regex as written.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The match type.
    pub fn kind(&self) -> MatchType {
        self.kind
    }

    /// Whether a label value (empty when the label is absent) matches.
    pub fn matches(&self, v: &str) -> bool {
        match (self.kind, &self.re) {
            (MatchType::Equal, _) => v == self.value,
            (MatchType::NotEqual, _) => v != self.value,
            (MatchType::Regexp, Some(re)) => re.is_match(v),
            (MatchType::NotRegexp, Some(re)) => !re.is_match(v),
            // `new` always compiles regex matchers.
            (_, None) => false,
        }
    }

    /// Whether the matcher holds for a label set.
    pub fn matches_labels(&self, labels: &LabelSet) -> bool {
        self.matches(labels.get(&self.name).map_or("", String::as_str))
    }

    /// Alertmanager's sort order: name, then value, then type.
    pub fn order(&self, other: &Matcher) -> Ordering {
        self.name
            .cmp(&other.name)
            .then_with(|| self.value.cmp(&other.value))
            .then_with(|| type_rank(self.kind).cmp(&type_rank(other.kind)))
    }
}

fn type_rank(t: MatchType) -> u8 {
    match t {
        MatchType::Equal => 0,
        MatchType::NotEqual => 1,
        MatchType::Regexp => 2,
        MatchType::NotRegexp => 3,
    }
}

/// A label set: names to values, in name order.
pub type LabelSet = BTreeMap<String, String>;

/// Characters that force a name to be quoted when printed, and that end an
/// unquoted name or value when parsed.
fn is_reserved(c: char) -> bool {
    c.is_whitespace() || "{}!=~,\\\"'`".contains(c)
}

impl fmt::Display for Matcher {
    /// `name="value"` with `\`, newline and `"` escaped in the value, or
    /// both sides Go-quoted when the name holds a reserved character.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.kind.as_str();
        if self.name.chars().any(is_reserved) {
            return write!(
                f,
                "{}{op}{}",
                vigil_model::quote::quote(&self.name),
                vigil_model::quote::quote(&self.value)
            );
        }
        f.write_str(&self.name)?;
        f.write_str(op)?;
        f.write_str("\"")?;
        for c in self.value.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '"' => f.write_str("\\\"")?,
                c => fmt::Write::write_char(f, c)?,
            }
        }
        f.write_str("\"")
    }
}

/// A list of matchers that all must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matchers(pub Vec<Matcher>);

impl Matchers {
    /// Sorts into Alertmanager's order (name, value, type).
    pub fn sort(&mut self) {
        self.0.sort_by(Matcher::order);
    }

    /// Whether every matcher holds for the label set.
    pub fn matches(&self, labels: &LabelSet) -> bool {
        self.0.iter().all(|m| m.matches_labels(labels))
    }

    /// Whether there are no matchers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Matchers {
    /// `{a="b",c=~"d"}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{m}")?;
        }
        f.write_str("}")
    }
}

/// Parses one matcher (`a=b`, `{a="b"}`); anything but exactly one is an error.
pub fn parse_matcher(input: &str) -> Result<Matcher, MatcherError> {
    let mut ms = parse_matchers(input)?;
    match (ms.pop(), ms.is_empty()) {
        (Some(m), true) => Ok(m),
        (None, _) => Err(MatcherError::Syntax(format!(
            "{input}: no matcher in input"
        ))),
        (Some(_), false) => Err(MatcherError::Syntax(format!(
            "{input}: expected exactly one matcher"
        ))),
    }
}

/// Parses a list of matchers, with or without braces, separated by commas
/// (a trailing comma is allowed).
pub fn parse_matchers(input: &str) -> Result<Vec<Matcher>, MatcherError> {
    let s = input.trim();
    let inner = match (s.strip_prefix('{'), s.ends_with('}')) {
        (Some(rest), true) => rest.strip_suffix('}').unwrap_or(rest),
        (Some(_), false) => {
            return Err(MatcherError::Syntax(format!(
                "{input}: missing closing '}}'"
            )));
        }
        (None, true) => {
            return Err(MatcherError::Syntax(format!(
                "{input}: missing opening '{{'"
            )));
        }
        (None, false) => s,
    };
    let mut p = Cursor {
        input,
        rest: inner,
        offset: input.len() - input.trim_start().len() + usize::from(s.starts_with('{')),
    };
    let mut out = Vec::new();
    loop {
        p.skip_ws();
        if p.rest.is_empty() {
            break;
        }
        let name = p.name()?;
        p.skip_ws();
        let kind = p.op()?;
        p.skip_ws();
        let value = p.value()?;
        out.push(Matcher::new(kind, name, value)?);
        p.skip_ws();
        if p.rest.is_empty() {
            break;
        }
        p.expect_comma()?;
    }
    Ok(out)
}

struct Cursor<'a> {
    input: &'a str,
    rest: &'a str,
    offset: usize,
}

impl<'a> Cursor<'a> {
    fn advance(&mut self, n: usize) -> &'a str {
        let (head, tail) = self.rest.split_at(n.min(self.rest.len()));
        self.rest = tail;
        self.offset += head.len();
        head
    }

    fn skip_ws(&mut self) {
        let n = self.rest.len() - self.rest.trim_start().len();
        self.advance(n);
    }

    fn err(&self, what: &str) -> MatcherError {
        MatcherError::Syntax(format!(
            "{}: {what} at position {}",
            self.input, self.offset
        ))
    }

    fn name(&mut self) -> Result<String, MatcherError> {
        if self.rest.starts_with('"') {
            return self.quoted();
        }
        let n = self.rest.find(is_reserved).unwrap_or(self.rest.len());
        if n == 0 {
            return Err(self.err("expected a label name"));
        }
        Ok(self.advance(n).to_string())
    }

    fn op(&mut self) -> Result<MatchType, MatcherError> {
        for (text, kind) in [
            ("=~", MatchType::Regexp),
            ("!~", MatchType::NotRegexp),
            ("!=", MatchType::NotEqual),
            ("=", MatchType::Equal),
        ] {
            if self.rest.starts_with(text) {
                self.advance(text.len());
                return Ok(kind);
            }
        }
        Err(self.err("expected one of '=', '!=', '=~' or '!~'"))
    }

    /// A quoted value, or an unquoted one running to the next comma (its
    /// surrounding spaces trimmed), as the older matcher syntax allowed.
    fn value(&mut self) -> Result<String, MatcherError> {
        if self.rest.starts_with('"') {
            return self.quoted();
        }
        let n = self.rest.find(',').unwrap_or(self.rest.len());
        let v = self.advance(n).trim();
        if v.contains('"') {
            return Err(self.err("unexpected '\"' in unquoted value"));
        }
        Ok(v.to_string())
    }

    fn expect_comma(&mut self) -> Result<(), MatcherError> {
        if self.rest.starts_with(',') {
            self.advance(1);
            Ok(())
        } else {
            Err(self.err("expected ','"))
        }
    }

    /// A double-quoted string with Go's escapes.
    fn quoted(&mut self) -> Result<String, MatcherError> {
        let start = self.offset;
        let mut out = String::new();
        let mut chars = self.rest.char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.advance(i + 1);
                    return Ok(out);
                }
                '\\' => {
                    let Some((_, e)) = chars.next() else { break };
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'a' => out.push('\x07'),
                        'b' => out.push('\x08'),
                        'f' => out.push('\x0c'),
                        'v' => out.push('\x0b'),
                        '\\' | '"' | '\'' => out.push(e),
                        'x' | 'u' | 'U' => {
                            let len = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let hex: String = chars.by_ref().take(len).map(|(_, c)| c).collect();
                            let ch = u32::from_str_radix(&hex, 16)
                                .ok()
                                .filter(|_| hex.len() == len)
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.err("invalid escape in quoted string"))?;
                            out.push(ch);
                        }
                        _ => return Err(self.err("invalid escape in quoted string")),
                    }
                }
                c => out.push(c),
            }
        }
        Err(MatcherError::Syntax(format!(
            "{}: unterminated quoted string starting at position {start}",
            self.input
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(s: &str) -> String {
        let ms = parse_matchers(s).unwrap();
        Matchers(ms).to_string()
    }

    #[test]
    fn forms() {
        assert_eq!(show("a=b"), r#"{a="b"}"#);
        assert_eq!(show(r#"{a="b", c=~"d.*"}"#), r#"{a="b",c=~"d.*"}"#);
        assert_eq!(show("a != b , c!~ ^x$,"), r#"{a!="b",c!~"^x$"}"#);
        assert_eq!(show(r#"{"foo bar"="x\"y"}"#), r#"{"foo bar"="x\"y"}"#);
        assert_eq!(show("{}"), "{}");
        assert_eq!(show(r#"a="""#), r#"{a=""}"#);
        assert_eq!(
            show("service=^(foo1|foo2|baz)$"),
            r#"{service="^(foo1|foo2|baz)$"}"#
        );
        assert_eq!(show("a=\"x\\ny\""), r#"{a="x\ny"}"#);
    }

    #[test]
    fn errors() {
        for bad in [
            "{a=b",
            "a=b}",
            "=b",
            "a",
            "a~b",
            r#"a="b"#,
            "a=~(",
            r#"a="b" c="d""#,
        ] {
            assert!(parse_matchers(bad).is_err(), "{bad} should fail");
        }
        assert!(parse_matcher("a=b,c=d").is_err());
        assert!(parse_matcher("").is_err());
    }

    #[test]
    fn matching() {
        let m = parse_matcher("a=~x|y").unwrap();
        assert!(m.matches("x") && m.matches("y") && !m.matches("xy"));
        let m = parse_matcher("a=~.*").unwrap();
        assert!(!m.matches("x\ny"), "no s flag, as Alertmanager");
        let m = parse_matcher("a!~x").unwrap();
        assert!(m.matches("") && !m.matches("x"));
        let m = parse_matcher(r#"a!="""#).unwrap();
        let mut ls = LabelSet::new();
        assert!(!m.matches_labels(&ls));
        ls.insert("a".into(), "1".into());
        assert!(m.matches_labels(&ls));
    }

    #[test]
    fn sort_order() {
        let mut ms = Matchers(parse_matchers("b=1,a=2,a!=1,a=1").unwrap());
        ms.sort();
        assert_eq!(ms.to_string(), r#"{a="1",a!="1",a="2",b="1"}"#);
    }
}
