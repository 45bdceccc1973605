//! Go-style string quoting (`strconv.Quote`), which Prometheus uses when it
//! prints label sets and PromQL strings.

use std::fmt::{self, Write};

/// Writes `s` in double quotes with Go's escapes: `\"`, `\\`, `\n`, `\t`, …,
/// and `\xNN` / `\uNNNN` for other control characters.
pub fn write_quoted<W: Write + ?Sized>(w: &mut W, s: &str) -> fmt::Result {
    w.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => w.write_str("\\\"")?,
            '\\' => w.write_str("\\\\")?,
            '\n' => w.write_str("\\n")?,
            '\r' => w.write_str("\\r")?,
            '\t' => w.write_str("\\t")?,
            '\x07' => w.write_str("\\a")?,
            '\x08' => w.write_str("\\b")?,
            '\x0c' => w.write_str("\\f")?,
            '\x0b' => w.write_str("\\v")?,
            c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(w, "\\x{:02x}", c as u32)?,
            c if c.is_control() => {
                if (c as u32) <= 0xffff {
                    write!(w, "\\u{:04x}", c as u32)?
                } else {
                    write!(w, "\\U{:08x}", c as u32)?
                }
            }
            c => w.write_char(c)?,
        }
    }
    w.write_char('"')
}

/// Returns `s` quoted as [`write_quoted`] writes it.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    // Writing into a String cannot fail.
    let _ = write_quoted(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn go_escapes() {
        assert_eq!(quote("a\"b\\c\nd\te"), r#""a\"b\\c\nd\te""#);
        assert_eq!(quote("\x01\x7f"), r#""\x01\x7f""#);
        assert_eq!(quote("ünï"), "\"ünï\"");
    }
}
