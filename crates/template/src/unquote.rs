//! Go literal syntax: `strconv.Unquote` for the three quote styles and the
//! number forms `text/template` accepts (`0x1F`, `0o17`, `1_000`, `1e3`).

use crate::ast::Number;

/// `strconv.Unquote` of a `"…"`, `` `…` `` or `'…'` literal; `None` when
/// malformed ("invalid syntax").
pub(crate) fn unquote(s: &str) -> Option<String> {
    let first = s.chars().next()?;
    let last = s.chars().last()?;
    if s.len() < 2 || first != last {
        return None;
    }
    let body = s.get(1..s.len() - 1)?;
    match first {
        '`' => {
            if body.contains('`') {
                return None;
            }
            Some(body.replace('\r', ""))
        }
        '"' | '\'' => {
            let mut out = String::new();
            let mut chars = body.chars().peekable();
            while let Some(c) = chars.next() {
                if c == first || c == '\n' {
                    return None;
                }
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                let e = chars.next()?;
                match e {
                    'a' => out.push('\x07'),
                    'b' => out.push('\x08'),
                    'f' => out.push('\x0c'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'v' => out.push('\x0b'),
                    '\\' => out.push('\\'),
                    '"' | '\'' if e == first => out.push(e),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut v: u32 = 0;
                        for _ in 0..n {
                            v = v * 16 + chars.next()?.to_digit(16)?;
                        }
                        if e == 'x' {
                            // A byte; only valid UTF-8 results are kept.
                            out.push(char::from_u32(v)?);
                        } else {
                            out.push(char::from_u32(v)?);
                        }
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8)?;
                        for _ in 0..2 {
                            v = v * 8 + chars.next()?.to_digit(8)?;
                        }
                        if v > 255 {
                            return None;
                        }
                        out.push(char::from_u32(v)?);
                    }
                    _ => return None,
                }
            }
            if first == '\'' && out.chars().count() != 1 {
                return None;
            }
            Some(out)
        }
        _ => None,
    }
}

fn parse_uint_base0(s: &str) -> Option<u64> {
    let (digits, radix) = if let Some(r) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (r, 16)
    } else if let Some(r) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (r, 8)
    } else if let Some(r) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (r, 2)
    } else if s.len() > 1 && s.starts_with('0') {
        (s.get(1..)?, 8)
    } else {
        (s, 10)
    };
    // Underscores only between digits (and after a base prefix).
    if digits.is_empty()
        || digits.starts_with('_') && radix == 10
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    u64::from_str_radix(&digits.replace('_', ""), radix).ok()
}

/// A number literal's value as `text/template` types it when passed as an
/// empty interface: `int` for integers, `float64` when written with `.`,
/// an exponent, or when too large for an integer.
pub(crate) fn parse_number(text: &str) -> Option<Number> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let hex = body.starts_with("0x") || body.starts_with("0X");
    let floaty = if hex {
        body.contains(['p', 'P', '.'])
    } else {
        body.contains(['.', 'e', 'E'])
    };
    if !floaty {
        if let Some(u) = parse_uint_base0(body) {
            if neg {
                if u <= i64::MAX as u64 + 1 {
                    return Some(Number::Int((u as i128).wrapping_neg() as i64));
                }
                return Some(Number::Float(-(u as f64)));
            }
            return Some(if u <= i64::MAX as u64 {
                Number::Int(u as i64)
            } else {
                Number::Uint(u)
            });
        }
    }
    if hex || body.contains(['i', 'n', 'N', 'I']) || body.is_empty() {
        return None;
    }
    let clean = body.replace('_', "");
    if !clean.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let f: f64 = clean.parse().ok()?;
    Some(Number::Float(if neg { -f } else { f }))
}
