//! Unquoting of PromQL string literals: Go escapes for `"…"` and `'…'`
//! (where single quotes may hold any number of characters), raw `` `…` ``.

/// Unquotes a string token as written in the query, quotes included.
/// Escapes such as `\xff` that produce invalid UTF-8 are replaced by U+FFFD;
/// [`unquote_bytes`] keeps the exact bytes.
pub fn unquote(s: &str) -> Result<String, &'static str> {
    unquote_bytes(s).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Unquotes a string token into its exact bytes (Go strings may hold bytes
/// that are not UTF-8, written as `\xNN` or octal escapes).
pub fn unquote_bytes(s: &str) -> Result<Vec<u8>, &'static str> {
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return Err("invalid syntax");
    }
    let quote = bytes[0];
    if bytes[bytes.len() - 1] != quote {
        return Err("invalid syntax");
    }
    let body = &s[1..s.len() - 1];
    match quote {
        b'`' => {
            if body.contains('`') {
                return Err("invalid syntax");
            }
            Ok(body.replace('\r', "").into_bytes())
        }
        b'"' | b'\'' => unescape(body, quote as char),
        _ => Err("invalid syntax"),
    }
}

fn unescape(body: &str, quote: char) -> Result<Vec<u8>, &'static str> {
    if !body.contains('\\') && !body.contains(quote) && !body.contains('\n') {
        return Ok(body.as_bytes().to_vec());
    }
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == quote || c == '\n' {
            return Err("invalid syntax");
        }
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let e = chars.next().ok_or("invalid syntax")?;
        let simple = match e {
            'a' => Some(7u8),
            'b' => Some(8),
            'f' => Some(12),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(11),
            '\\' => Some(b'\\'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        if e == quote {
            out.push(quote as u8);
            continue;
        }
        let (n, radix, byte) = match e {
            'x' => (2, 16, true),
            'u' => (4, 16, false),
            'U' => (8, 16, false),
            '0'..='7' => (2, 8, true),
            _ => return Err("invalid syntax"),
        };
        let mut v: u32 = if radix == 8 { e as u32 - '0' as u32 } else { 0 };
        for _ in 0..n {
            let d = chars
                .next()
                .and_then(|c| c.to_digit(radix))
                .ok_or("invalid syntax")?;
            v = v * radix + d;
        }
        if byte {
            if v > 255 {
                return Err("invalid syntax");
            }
            out.push(v as u8);
        } else {
            let ch = char::from_u32(v).ok_or("invalid syntax")?;
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
    }
    Ok(out)
}
