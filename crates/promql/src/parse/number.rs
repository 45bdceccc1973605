//! Number and duration literal conversion with Go's rules: integers with
//! base prefixes (`0x1f`, octal `017`) and `_` separators first, then floats;
//! Prometheus durations (`1h30m`, `1y`, `100ms`) and their canonical printing.

use vigil_model::quote::quote;

/// Go's `underscoreOK`: `_` only between digits or after a base prefix.
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = (b[1] | 0x20) == b'x';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseInt(s, 0, 64)` for an unsigned literal.
fn parse_int_base0(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (radix, digits) = if b.len() >= 2 && b[0] == b'0' {
        match b[1] | 0x20 {
            b'x' => (16, &s[2..]),
            b'o' => (8, &s[2..]),
            b'b' => (2, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let cleaned: String = digits.chars().filter(|c| *c != '_').collect();
    if cleaned.is_empty() {
        return if s == "0" { Some(0) } else { None };
    }
    i64::from_str_radix(&cleaned, radix).ok()
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms the lexer produces.
fn parse_float(s: &str) -> Result<f64, String> {
    let syntax = || format!("strconv.ParseFloat: parsing {}: invalid syntax", quote(s));
    let lower = s.to_ascii_lowercase();
    match lower.trim_start_matches(['+', '-']) {
        "inf" | "infinity" => {
            return Ok(if s.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        "nan" => return Ok(f64::NAN),
        _ => {}
    }
    if lower.starts_with("0x") {
        // Hexadecimal floats need a 'p' exponent, which the lexer never lets through.
        return Err(syntax());
    }
    if s.contains('_') && !underscore_ok(s) {
        return Err(syntax());
    }
    let cleaned: String = s.chars().filter(|c| *c != '_').collect();
    if !cleaned
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return Err(syntax());
    }
    let v: f64 = cleaned.parse().map_err(|_| syntax())?;
    if v.is_infinite() {
        return Err(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            quote(s)
        ));
    }
    Ok(v)
}

/// Converts a NUMBER token's text to its value as Prometheus does.
pub(crate) fn parse_number(s: &str) -> Result<f64, String> {
    if let Some(i) = parse_int_base0(s) {
        return Ok(i as f64);
    }
    parse_float(s)
}

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3600 * 1_000_000_000),
    ("w", 7 * 24 * 3600 * 1_000_000_000),
    ("d", 24 * 3600 * 1_000_000_000),
    ("h", 3600 * 1_000_000_000),
    ("m", 60 * 1_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
];

/// Parses a Prometheus duration (`1h30m`, `5m`, `0`) into nanoseconds, with
/// Prometheus' error messages.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    match s {
        "0" => return Ok(0),
        "" => return Err("empty duration string".into()),
        _ => {}
    }
    let invalid = || format!("not a valid duration string: {}", quote(s));
    let mut rest = s;
    let mut total: u64 = 0;
    let mut last_unit = 0;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(invalid());
        }
        let v: u64 = rest[..n].parse().map_err(|_| invalid())?;
        rest = &rest[n..];
        let u = rest.bytes().take_while(|b| !b.is_ascii_digit()).count();
        if u == 0 {
            return Err(invalid());
        }
        let unit = &rest[..u];
        rest = &rest[u..];
        let Some(idx) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(format!(
                "unknown unit {} in duration {}",
                quote(unit),
                quote(s)
            ));
        };
        let pos = idx + 1;
        if pos <= last_unit {
            return Err(invalid());
        }
        last_unit = pos;
        let mult = UNITS[idx].1;
        if v > (1u64 << 63) / mult {
            return Err("duration out of range".into());
        }
        total = total.saturating_add(v * mult);
        if total > i64::MAX as u64 {
            return Err("duration out of range".into());
        }
    }
    Ok(total as i64)
}

/// Prints a duration (nanoseconds) in Prometheus' canonical form (`1h30m`,
/// `90d`, `0s`); sub-millisecond parts are dropped as Prometheus does.
pub fn format_duration(ns: i64) -> String {
    let mut ms = ns / 1_000_000;
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut unit = |name: &str, mult: i64, exact: bool| {
        if exact && ms % mult != 0 {
            return;
        }
        let v = ms / mult;
        if v > 0 {
            out.push_str(&v.to_string());
            out.push_str(name);
            ms -= v * mult;
        }
    };
    unit("y", 1000 * 60 * 60 * 24 * 365, true);
    unit("w", 1000 * 60 * 60 * 24 * 7, true);
    unit("d", 1000 * 60 * 60 * 24, false);
    unit("h", 1000 * 60 * 60, false);
    unit("m", 1000 * 60, false);
    unit("s", 1000, false);
    unit("ms", 1, false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("0x1f"), Ok(31.0));
        assert_eq!(parse_number("010"), Ok(8.0));
        assert_eq!(parse_number("08"), Ok(8.0));
        assert_eq!(parse_number("1_000"), Ok(1000.0));
        assert_eq!(parse_number("1.5e3"), Ok(1500.0));
        assert_eq!(parse_number(".5"), Ok(0.5));
        assert!(parse_number("Inf").is_ok_and(|v| v.is_infinite()));
        assert!(parse_number("nAn").is_ok_and(f64::is_nan));
        assert!(parse_number("1e999").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration("100ms"), Ok(100_000_000));
        assert_eq!(
            parse_duration("5m1h"),
            Err("not a valid duration string: \"5m1h\"".into())
        );
        assert_eq!(
            parse_duration("5y1hs"),
            Err("unknown unit \"hs\" in duration \"5y1hs\"".into())
        );
        assert_eq!(format_duration(5_400_000_000_000), "1h30m");
        assert_eq!(format_duration(90 * 86_400_000_000_000), "90d");
        assert_eq!(format_duration(0), "0s");
    }
}
