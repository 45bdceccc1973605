//! Series selectors as the `--match` flags of promtool's `tsdb dump`,
//! `tsdb dump-openmetrics` and `tsdb analyze` take them:
//! `metric_name{label="value", other=~"re.*"}`, `{__name__=~"m.*"}` or a
//! bare metric name. Strings may be quoted with `"`, `'` (Go escapes) or
//! `` ` `` (raw); a quoted string alone inside the braces is the metric
//! name (`{"my.metric"}`).

use vigil_model::{Labels, METRIC_NAME, MatchType, Matcher};

/// A malformed selector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("1:{column}: parse error: {message}")]
pub struct SelectorError {
    /// 1-based byte column of the problem.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, SelectorError> {
        Err(SelectorError {
            column: self.pos + 1,
            message: message.into(),
        })
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn eat(&mut self, prefix: &str) -> bool {
        if self.s[self.pos..].starts_with(prefix) {
            self.pos += prefix.len();
            true
        } else {
            false
        }
    }

    /// A metric or label name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    fn ident(&mut self) -> Option<&str> {
        let start = self.pos;
        for (i, c) in self.s[start..].char_indices() {
            let ok =
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit());
            if !ok {
                break;
            }
            self.pos = start + i + c.len_utf8();
        }
        (self.pos > start).then(|| &self.s[start..self.pos])
    }

    /// A quoted string, unescaped.
    fn string(&mut self) -> Result<String, SelectorError> {
        let Some(quote) = self.peek().filter(|c| matches!(c, '"' | '\'' | '`')) else {
            return self.err("expected string");
        };
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return self.err("unterminated quoted string");
            };
            self.pos += c.len_utf8();
            if c == quote {
                return Ok(out);
            }
            if c == '\\' && quote != '`' {
                self.escape(quote, &mut out)?;
            } else if c == '\n' && quote != '`' {
                return self.err("unterminated quoted string");
            } else {
                out.push(c);
            }
        }
    }

    fn escape(&mut self, quote: char, out: &mut String) -> Result<(), SelectorError> {
        let Some(c) = self.peek() else {
            return self.err("escape sequence not terminated");
        };
        self.pos += c.len_utf8();
        let simple = match c {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '\\' => Some('\\'),
            c if c == quote => Some(c),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            return Ok(());
        }
        let (digits, radix) = match c {
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            '0'..='7' => {
                self.pos -= 1;
                (3, 8)
            }
            _ => return self.err(format!("unknown escape sequence '{c}'")),
        };
        let Some(hex) = self.s.get(self.pos..self.pos + digits) else {
            return self.err("escape sequence not terminated");
        };
        let Ok(code) = u32::from_str_radix(hex, radix) else {
            return self.err(format!("invalid escape sequence '\\{c}{hex}'"));
        };
        self.pos += digits;
        match char::from_u32(code) {
            Some(ch) => out.push(ch),
            None => return self.err("invalid Unicode code point in escape sequence"),
        }
        Ok(())
    }
}

/// Parses a series selector into matchers. As with PromQL's
/// `ParseMetricSelector`, matchers that all match the empty string (such as
/// promtool's default `{__name__=~'(?s:.*)'}`) are allowed.
pub fn parse_selector(input: &str) -> Result<Vec<Matcher>, SelectorError> {
    let mut c = Cursor { s: input, pos: 0 };
    let mut matchers = Vec::new();
    c.skip_ws();
    if let Some(name) = c.ident() {
        let name = name.to_owned();
        matchers.push(make(&c, MatchType::Equal, METRIC_NAME, name)?);
    }
    c.skip_ws();
    if c.eat("{") {
        loop {
            c.skip_ws();
            if c.eat("}") {
                break;
            }
            let name = match c.peek() {
                Some('"' | '\'' | '`') => c.string()?,
                _ => match c.ident() {
                    Some(n) => n.to_owned(),
                    None => return c.err("unexpected character inside braces"),
                },
            };
            c.skip_ws();
            let kind = if c.eat("=~") {
                MatchType::Regexp
            } else if c.eat("!~") {
                MatchType::NotRegexp
            } else if c.eat("!=") {
                MatchType::NotEqual
            } else if c.eat("=") {
                MatchType::Equal
            } else if matches!(c.peek(), Some(',' | '}')) {
                // A quoted name alone is the metric name.
                matchers.push(make(&c, MatchType::Equal, METRIC_NAME, name)?);
                c.eat(",");
                continue;
            } else {
                return c.err("expected label matching operator");
            };
            c.skip_ws();
            let value = c.string()?;
            matchers.push(make(&c, kind, &name, value)?);
            c.skip_ws();
            if !c.eat(",") && c.peek() != Some('}') {
                return c.err("expected comma or closing brace");
            }
        }
    }
    c.skip_ws();
    if c.pos != input.len() {
        return c.err("unexpected characters after the selector");
    }
    if matchers.is_empty() {
        return c.err("unexpected end of input");
    }
    Ok(matchers)
}

fn make(
    c: &Cursor<'_>,
    kind: MatchType,
    name: &str,
    value: String,
) -> Result<Matcher, SelectorError> {
    Matcher::new(kind, name, value).or_else(|e| c.err(e.to_string()))
}

/// Whether `labels` satisfies every matcher (an absent label is empty).
pub fn matches_all(matchers: &[Matcher], labels: &Labels) -> bool {
    matchers
        .iter()
        .all(|m| m.matches(labels.get(m.name()).unwrap_or("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs)
    }

    #[test]
    fn selectors() {
        let m = parse_selector(r#"up{job="x", instance=~'a.*',}"#).unwrap();
        assert_eq!(m.len(), 3);
        assert!(matches_all(
            &m,
            &l(&[("__name__", "up"), ("job", "x"), ("instance", "ab")])
        ));
        assert!(!matches_all(
            &m,
            &l(&[("__name__", "up"), ("job", "y"), ("instance", "ab")])
        ));
        let m = parse_selector("{__name__=~'(?s:.*)'}").unwrap();
        assert!(matches_all(&m, &l(&[("__name__", "x")])));
        let m = parse_selector(r#"{"my.metric", a!="b\n"}"#).unwrap();
        assert_eq!(m[0].value(), "my.metric");
        assert_eq!(m[1].value(), "b\n");
        let m = parse_selector("m").unwrap();
        assert_eq!(m[0].value(), "m");
        assert!(parse_selector(r#"{a=""}"#).is_ok());
        assert!(parse_selector("{}").is_err());
        assert!(parse_selector(r#"{a="b""#).is_err());
        assert!(parse_selector("{a=b}").is_err());
        assert!(parse_selector("").is_err());
        assert!(parse_selector(r#"{a=~"("}"#).is_err());
        assert!(parse_selector(r#"m{a="\x"}"#).is_err());
    }
}
