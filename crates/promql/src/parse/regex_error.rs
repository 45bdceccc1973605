//! Go-style messages for invalid regular expressions in label matchers.
//!
//! Prometheus reports the error of Go's `regexp/syntax` parser, e.g.
//! ``error parsing regexp: missing closing ): `(a` ``. This module scans the
//! pattern left to right for the common mistakes and names them the same way;
//! anything it does not recognise falls back to the matcher's own message.

/// A Go error code and the offending text.
type GoError = (&'static str, String);

/// Returns Go's error message for `pattern`, if the mistake is recognised.
pub(super) fn go_regex_error(pattern: &str) -> Option<String> {
    let (code, expr) = scan(pattern).err()?;
    Some(format!("error parsing regexp: {code}: `{expr}`"))
}

#[derive(Clone, Copy, PartialEq)]
enum Last {
    /// Start of the pattern, after `(` or after `|`: nothing to repeat.
    Operator,
    /// Something repeatable.
    Atom,
    /// A repetition operator that started at this byte offset.
    Repeat(usize),
}

fn scan(s: &str) -> Result<(), GoError> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    let mut last = Last::Operator;
    while i < b.len() {
        match b[i] {
            b'(' => {
                last = Last::Operator;
                if b.get(i + 1) == Some(&b'?') {
                    let (len, opens) = perl_group(&s[i..])?;
                    i += len;
                    if opens {
                        depth += 1;
                    }
                } else {
                    depth += 1;
                    i += 1;
                }
            }
            b')' => {
                if depth == 0 {
                    return Err(("unexpected )", s.into()));
                }
                depth -= 1;
                last = Last::Atom;
                i += 1;
            }
            b'|' => {
                last = Last::Operator;
                i += 1;
            }
            c @ (b'*' | b'+' | b'?') => {
                match last {
                    Last::Operator => {
                        return Err((
                            "missing argument to repetition operator",
                            (c as char).to_string(),
                        ));
                    }
                    Last::Repeat(start) => {
                        // `x*?` is the non-greedy form; anything else nests.
                        let prev = &s[start..i];
                        if c != b'?' || prev.ends_with('?') {
                            return Err((
                                "invalid nested repetition operator",
                                s[start..=i].into(),
                            ));
                        }
                    }
                    Last::Atom => last = Last::Repeat(i),
                }
                i += 1;
            }
            b'{' => match repeat_braces(&s[i..]) {
                Some((n, m, len)) => {
                    let text = s[i..i + len].to_string();
                    match last {
                        Last::Operator => {
                            return Err(("missing argument to repetition operator", text));
                        }
                        Last::Repeat(start) => {
                            return Err((
                                "invalid nested repetition operator",
                                s[start..i + len].into(),
                            ));
                        }
                        Last::Atom => {}
                    }
                    if n > 1000 || m.is_some_and(|m| m > 1000 || m < n) {
                        return Err(("invalid repeat count", text));
                    }
                    last = Last::Repeat(i);
                    i += len;
                }
                None => {
                    last = Last::Atom;
                    i += 1;
                }
            },
            b'[' => {
                i = class(s, i)?;
                last = Last::Atom;
            }
            b'\\' => {
                i = escape(s, i, false)?;
                last = Last::Atom;
            }
            _ => {
                last = Last::Atom;
                i += s[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    if depth > 0 {
        return Err(("missing closing )", s.into()));
    }
    Ok(())
}

/// Checks a group starting with `(?`; returns how many bytes its opening
/// takes and whether it opens a group (`(?i)` alone only sets flags).
fn perl_group(rest: &str) -> Result<(usize, bool), GoError> {
    let invalid = || {
        let end = rest.char_indices().nth(3).map_or(rest.len(), |(j, _)| j);
        Err(("invalid or unsupported Perl syntax", rest[..end].into()))
    };
    if rest.starts_with("(?P<") || rest.starts_with("(?<") {
        return match rest.find('>') {
            Some(end) => Ok((end + 1, true)),
            None => invalid(),
        };
    }
    let body = &rest[2..];
    let n = body
        .bytes()
        .take_while(|c| matches!(c, b'i' | b'm' | b's' | b'U' | b'-'))
        .count();
    match body.as_bytes().get(n) {
        Some(b':') => Ok((2 + n + 1, true)),
        Some(b')') if n > 0 => Ok((2 + n + 1, false)),
        _ => invalid(),
    }
}

/// Parses `{n}`, `{n,}` or `{n,m}` at the start of `s`.
fn repeat_braces(s: &str) -> Option<(u64, Option<u64>, usize)> {
    let close = s.find('}')?;
    let inner = &s[1..close];
    let (a, b) = match inner.split_once(',') {
        Some((a, b)) => (a, Some(b)),
        None => (inner, None),
    };
    if a.is_empty() || !a.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = a.parse().unwrap_or(u64::MAX);
    let m = match b {
        None => Some(n),
        Some("") => None,
        Some(b) if b.bytes().all(|c| c.is_ascii_digit()) => Some(b.parse().unwrap_or(u64::MAX)),
        Some(_) => return None,
    };
    Some((n, m, close + 1))
}

/// Checks the escape at `s[i]` (a backslash); returns the index after it.
fn escape(s: &str, i: usize, in_class: bool) -> Result<usize, GoError> {
    let Some(c) = s[i + 1..].chars().next() else {
        return Err(("trailing backslash at end of expression", String::new()));
    };
    let after = i + 1 + c.len_utf8();
    let ok = match c {
        'a' | 'f' | 'n' | 'r' | 't' | 'v' | 'd' | 'D' | 's' | 'S' | 'w' | 'W' | 'x' | 'p' | 'P'
        | '0' => true,
        'b' | 'B' | 'A' | 'z' | 'Q' | 'E' => !in_class,
        // Octal needs a leading zero in Go; `\1` would be a back-reference.
        '1'..='7' => s[after..].starts_with(|d: char| d.is_ascii_digit()),
        c => c.is_ascii_punctuation(),
    };
    if ok {
        Ok(after)
    } else {
        Err(("invalid escape sequence", s[i..after].into()))
    }
}

/// Checks the character class starting at `s[i]` (`[`); returns the index
/// after its closing `]`.
fn class(s: &str, i: usize) -> Result<usize, GoError> {
    let mut j = i + 1;
    if s[j..].starts_with('^') {
        j += 1;
    }
    let mut first = true;
    // The previous single character and where its text starts.
    let mut prev: Option<(char, usize)> = None;
    loop {
        let Some(c) = s[j..].chars().next() else {
            return Err(("missing closing ]", s[i..].into()));
        };
        if c == ']' && !first {
            return Ok(j + 1);
        }
        first = false;
        if s[j..].starts_with("[:")
            && let Some(end) = s[j + 2..].find(":]")
        {
            j += end + 4;
            prev = None;
            continue;
        }
        if c == '-'
            && let Some((lo, start)) = prev
            && let Some(hi) = s[j + 1..].chars().next().filter(|h| *h != ']')
        {
            let (hi_char, end) = if hi == '\\' {
                let end = escape(s, j + 1, true)?;
                (s[j + 2..].chars().next().unwrap_or('\\'), end)
            } else {
                (hi, j + 1 + hi.len_utf8())
            };
            if hi_char < lo {
                return Err(("invalid character class range", s[start..end].into()));
            }
            j = end;
            prev = None;
            continue;
        }
        let (ch, next) = if c == '\\' {
            let next = escape(s, j, true)?;
            (s[j + 1..].chars().next().unwrap_or('\\'), next)
        } else {
            (c, j + c.len_utf8())
        };
        prev = Some((ch, j));
        j = next;
    }
}

#[cfg(test)]
mod tests {
    use super::go_regex_error;

    #[test]
    fn messages() {
        let m = |p: &str| go_regex_error(p);
        assert_eq!(
            m("(a").as_deref(),
            Some("error parsing regexp: missing closing ): `(a`")
        );
        assert_eq!(
            m("a)").as_deref(),
            Some("error parsing regexp: unexpected ): `a)`")
        );
        assert_eq!(
            m("[a").as_deref(),
            Some("error parsing regexp: missing closing ]: `[a`")
        );
        assert_eq!(
            m("x[z-a]").as_deref(),
            Some("error parsing regexp: invalid character class range: `z-a`")
        );
        assert_eq!(
            m("*a").as_deref(),
            Some("error parsing regexp: missing argument to repetition operator: `*`")
        );
        assert_eq!(
            m("a**").as_deref(),
            Some("error parsing regexp: invalid nested repetition operator: `**`")
        );
        assert_eq!(
            m("a{2,1}").as_deref(),
            Some("error parsing regexp: invalid repeat count: `{2,1}`")
        );
        assert_eq!(
            m(r"\q").as_deref(),
            Some(r"error parsing regexp: invalid escape sequence: `\q`")
        );
        assert_eq!(
            m("a\\").as_deref(),
            Some("error parsing regexp: trailing backslash at end of expression: ``")
        );
        assert_eq!(m("a*?b+[^a-z]{2}(?i:x)|y"), None);
    }
}
