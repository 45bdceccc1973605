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

/// `strconv.ParseUint(s, 0, 64)`: `Err(true)` on overflow, `Err(false)` on
/// bad syntax.
fn parse_uint0(s: &str) -> Result<u64, bool> {
    let (digits, radix, prefixed) =
        if let Some(r) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            (r, 16, true)
        } else if let Some(r) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
            (r, 8, true)
        } else if let Some(r) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
            (r, 2, true)
        } else if s.len() > 1 && s.starts_with('0') {
            (s.get(1..).unwrap_or(""), 8, true)
        } else {
            (s, 10, false)
        };
    // Underscores only between digits, or after a base prefix.
    let ok_underscores =
        !digits.ends_with('_') && !digits.contains("__") && (prefixed || !digits.starts_with('_'));
    let clean = digits.replace('_', "");
    if clean.is_empty() || !ok_underscores || !clean.chars().all(|c| c.is_digit(radix)) {
        return Err(false);
    }
    u64::from_str_radix(&clean, radix).map_err(|_| true)
}

/// `strconv.ParseInt(s, 0, 64)`.
fn parse_int0(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let u = parse_uint0(body).ok()?;
    if neg {
        if u <= i64::MAX as u64 + 1 {
            return Some((u as i128).wrapping_neg() as i64);
        }
        return None;
    }
    i64::try_from(u).ok()
}

/// `strconv.ParseFloat(s, 64)` for number literals: decimal or hexadecimal
/// with a `p` exponent, underscores between digits; `None` on bad syntax
/// or overflow.
fn parse_float_go(s: &str) -> Option<f64> {
    parse_float_checked(s).ok()
}

/// Like [`parse_float_go`], telling overflow (`Err(true)`) from bad syntax
/// (`Err(false)`); named values (`inf`, `NaN`) are the caller's business.
pub(crate) fn parse_float_checked(s: &str) -> Result<f64, bool> {
    parse_float_inner(s)
        .ok_or(false)
        .and_then(|v| if v.is_infinite() { Err(true) } else { Ok(v) })
}

fn parse_float_inner(s: &str) -> Option<f64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let (mant, exp) = hex.split_once(['p', 'P'])?;
        let exp: i32 = exp.replace('_', "").parse().ok()?;
        let mant = mant.replace('_', "");
        let (int, frac) = mant.split_once('.').unwrap_or((&mant, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let mut m = 0f64;
        for c in int.chars().chain(frac.chars()) {
            m = m * 16.0 + f64::from(c.to_digit(16)?);
        }
        let e = exp - 4 * i32::try_from(frac.len()).ok()?;
        m * 2f64.powi(e)
    } else {
        if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            return None;
        }
        // Underscores only between digits.
        let b = body.as_bytes();
        let separated = b.iter().enumerate().all(|(i, c)| {
            *c != b'_'
                || (i > 0
                    && b.get(i - 1).is_some_and(u8::is_ascii_digit)
                    && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        });
        if !separated {
            return None;
        }
        body.replace('_', "").parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// Go's `parse.newNumber`: which of int, uint and float the literal can
/// be, with its messages (`illegal number syntax`, `integer overflow`).
pub(crate) fn parse_number(text: &str) -> Result<Number, String> {
    let q = crate::gofmt::quote(text);
    let mut n = Number {
        int: parse_int0(text),
        uint: parse_uint0(text).ok(),
        float: None,
        float_syntax: text.contains(['.', 'e', 'E', 'p', 'P']) && !is_hex_int(text),
    };
    if n.int == Some(0) {
        n.uint = Some(0);
    }
    if let Some(i) = n.int {
        n.float = Some(i as f64);
    } else if let Some(u) = n.uint {
        n.float = Some(u as f64);
    } else if let Some(f) = parse_float_go(text) {
        // A float that looks like an integer is one too large for int.
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {q}"));
        }
        n.float = Some(f);
        if f.fract() == 0.0 && f.abs() < 9.2e18 {
            n.int = Some(f as i64);
        }
        if f.fract() == 0.0 && (0.0..1.8e19).contains(&f) {
            n.uint = Some(f as u64);
        }
    }
    if n.int.is_none() && n.uint.is_none() && n.float.is_none() {
        return Err(format!("illegal number syntax: {q}"));
    }
    Ok(n)
}

fn is_hex_int(s: &str) -> bool {
    let b = s.trim_start_matches(['+', '-']);
    (b.starts_with("0x") || b.starts_with("0X")) && !b.contains(['p', 'P'])
}
