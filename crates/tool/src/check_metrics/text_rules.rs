//! Rules of promtool's text parser that Vigil's parser (like Prometheus'
//! scrape parser) does not enforce, checked on the text of a sample's name
//! and labels (the series identity bytes of the text parser), and the label
//! list as written there.

/// Rules promtool's parser applies to a sample's name and labels where
/// Vigil's parser (like Prometheus' scrape parser) is more lenient: quoted
/// names and label values know only the escapes `\\`, `\"` and `\n` and
/// may not hold a raw line feed, and a closing quote must be followed by
/// `,`, `}` or `=` (the comma between labels is not optional). `id` is the
/// text of the sample's name and labels; errors carry the offset into it.
pub(crate) fn check_series_text(id: &[u8]) -> Result<(), (usize, String)> {
    let mut quoted = false;
    let mut i = 0;
    while let Some(&c) = id.get(i) {
        match c {
            b'"' if quoted => {
                quoted = false;
                let next = id.get(i + 1..).unwrap_or_default();
                let blanks = next
                    .iter()
                    .take_while(|&&c| c == b' ' || c == b'\t')
                    .count();
                match next.get(blanks) {
                    None | Some(b',' | b'}' | b'=') => {}
                    Some(_) => {
                        return Err((
                            i + 1 + blanks,
                            "expected \",\" or \"}\" after a label".to_string(),
                        ));
                    }
                }
            }
            b'"' => quoted = true,
            b'\\' if quoted => {
                match id.get(i + 1) {
                    Some(b'\\' | b'"' | b'n') | None => {}
                    Some(&e) => {
                        let e = String::from_utf8_lossy(id.get(i + 1..).unwrap_or_default())
                            .chars()
                            .next()
                            .unwrap_or(char::from(e));
                        return Err((i, format!("invalid escape sequence '\\{e}'")));
                    }
                }
                i += 1;
            }
            b'\n' if quoted => {
                return Err((i, "unescaped line feed in a quoted string".to_string()));
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// promtool knows only the escapes `\\`, `\"` and `\n` on a `# HELP` line
/// (in the help text and in a quoted name); Vigil's parser keeps any other
/// backslash as it is. `line` is the whole line; errors carry the offset into it.
pub(crate) fn check_help_escapes(line: &[u8]) -> Result<(), (usize, String)> {
    let mut i = 0;
    while let Some(&c) = line.get(i) {
        if c == b'\\' {
            match line.get(i + 1) {
                Some(b'\\' | b'"' | b'n') => i += 1,
                Some(_) => {
                    let e = String::from_utf8_lossy(line.get(i + 1..).unwrap_or_default())
                        .chars()
                        .next()
                        .unwrap_or('?');
                    return Err((i, format!("invalid escape sequence '\\{e}'")));
                }
                None => return Err((i, "backslash at the end of the line".to_string())),
            }
        }
        i += 1;
    }
    Ok(())
}

/// The 1-based line and column of `part[at]`, when `part` is a slice of `body`.
pub(crate) fn offset_in(body: &[u8], part: &[u8], at: usize) -> Option<(usize, usize)> {
    let start = (part.as_ptr() as usize).checked_sub(body.as_ptr() as usize)?;
    if start + part.len() > body.len() {
        return None;
    }
    let offset = start + at;
    let before = body.get(..offset)?;
    let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    Some((line, offset - line_start + 1))
}

/// The labels of a sample as written: in order, with empty values, names
/// and values unescaped, without the metric name. `id` must have passed
/// [`check_series_text`]; `None` if it does not hold a metric name.
pub(crate) fn label_pairs(id: &[u8]) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut named = id.first().is_some_and(|&c| c != b'{' && c != b'"');
    let mut i = id.iter().position(|&c| c == b'{').unwrap_or(id.len()) + 1;
    while i < id.len() {
        i = skip_blanks(id, i);
        let name = match id.get(i)? {
            b'}' => break,
            b'"' => {
                let (name, end) = quoted(id, i)?;
                let next = skip_blanks(id, end);
                if matches!(id.get(next), Some(b',' | b'}')) {
                    named = true;
                    i = next + usize::from(id.get(next) == Some(&b','));
                    continue;
                }
                i = next;
                name
            }
            _ => {
                let end = id[i..]
                    .iter()
                    .position(|&c| matches!(c, b' ' | b'\t' | b'='))
                    .map_or(id.len(), |n| i + n);
                let name = String::from_utf8_lossy(&id[i..end]).into_owned();
                i = skip_blanks(id, end);
                name
            }
        };
        // `=`, then the quoted value.
        if id.get(i) != Some(&b'=') {
            return None;
        }
        let (value, end) = quoted(id, skip_blanks(id, i + 1))?;
        pairs.push((name, value));
        i = skip_blanks(id, end);
        if id.get(i) == Some(&b',') {
            i += 1;
        }
    }
    named.then_some(pairs)
}

fn skip_blanks(id: &[u8], mut i: usize) -> usize {
    while matches!(id.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// The unescaped content of the quoted string at `id[start]` and the offset after it.
fn quoted(id: &[u8], start: usize) -> Option<(String, usize)> {
    if id.get(start) != Some(&b'"') {
        return None;
    }
    let mut out = Vec::new();
    let mut i = start + 1;
    loop {
        match *id.get(i)? {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            b'\\' => {
                out.push(match *id.get(i + 1)? {
                    b'n' => b'\n',
                    c => c,
                });
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_promtool() {
        assert_eq!(check_series_text(br#"a{b="x\\y\"z\n"}"#), Ok(()));
        assert_eq!(
            check_series_text(br#"a{b="c\qd"}"#),
            Err((6, "invalid escape sequence '\\q'".to_string()))
        );
        assert!(check_series_text(b"a{b=\"c\nd\"}").is_err());
        assert_eq!(
            check_series_text(br#"a{b="1" c="2"}"#),
            Err((8, "expected \",\" or \"}\" after a label".to_string()))
        );
        assert_eq!(check_series_text(br#"{"a.b", "c" = "d" }"#), Ok(()));
        // Backslashes outside quotes are not escapes (and not the parser's business here).
        assert_eq!(check_series_text(br#"a\q"#), Ok(()));
    }

    #[test]
    fn help_escapes() {
        assert_eq!(check_help_escapes(br#"# HELP "a\"b" x\\y\nz\""#), Ok(()));
        assert_eq!(
            check_help_escapes(br#"# HELP a x\qy"#),
            Err((10, "invalid escape sequence '\\q'".to_string()))
        );
        assert!(check_help_escapes(br#"# HELP a x\"#).is_err());
    }

    #[test]
    fn offsets_name_line_and_column() {
        let body = b"x 1\n  a{b=\"c\"} 1\n";
        let part = &body[6..14];
        assert_eq!(offset_in(body, part, 2), Some((2, 5)));
        assert_eq!(offset_in(body, b"elsewhere", 0), None);
    }

    fn pairs(id: &[u8]) -> Option<Vec<(String, String)>> {
        label_pairs(id)
    }

    fn owned(p: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(
            p.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn labels_as_written() {
        assert_eq!(pairs(b"up"), owned(&[]));
        assert_eq!(pairs(b"up{}"), owned(&[]));
        assert_eq!(
            pairs(br#"a{y="2", x = "" ,"q.r"="a\"b\\c\nd"}"#),
            owned(&[("y", "2"), ("x", ""), ("q.r", "a\"b\\c\nd")])
        );
        assert_eq!(pairs(br#"{"a.b",c="1"}"#), owned(&[("c", "1")]));
        assert_eq!(pairs(br#"{ "a.b" }"#), owned(&[]));
        // No metric name.
        assert_eq!(pairs(br#"{c="1"}"#), None);
        assert_eq!(pairs(b""), None);
    }
}
