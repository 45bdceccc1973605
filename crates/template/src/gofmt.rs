//! Go's `fmt` formatting of template values: `print`'s `%v`, `printf`'s
//! verbs with flags, width and precision, `strconv.Quote`, and the `%g`
//! float formatting (`humanize` prints with `%.4g`).
//!
//! Floats go through Rust's exact shortest / fixed-precision conversions and
//! are then laid out as Go lays them out (`1e+06`, exponent of at least two
//! digits, `%g` switching to exponent form at Go's thresholds).

use std::fmt::Write as _;

use crate::time::{format_duration, time_string};
use crate::value::Value;

/// Go's `unicode.IsPrint`, close enough: letters, marks, numbers,
/// punctuation, symbols and the ASCII space.
pub(crate) fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c as u32, 0xFFFD..=0xFFFF | 0xE000..=0xF8FF | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF))
}

/// `strconv.Quote`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if is_print(c) => out.push(c),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// `%#v`: the value in Go syntax (`map[string]string{"a":"b"}`).
fn go_syntax(v: &Value) -> String {
    let join = |items: Vec<String>| items.join(", ");
    match v {
        Value::Object(o) => go_syntax(&o.data),
        Value::Str(s) | Value::SafeHtml(s) => quote(s),
        Value::Uint(u) => format!("0x{u:x}"),
        Value::List(l) => format!(
            "[]{}{{{}}}",
            l.elem.go_name(),
            join(l.items.iter().map(go_syntax).collect())
        ),
        Value::Map(m) => format!(
            "map[string]{}{{{}}}",
            m.elem.go_name(),
            join(
                m.entries
                    .iter()
                    .map(|(k, i)| format!("{}:{}", quote(k), go_syntax(i)))
                    .collect()
            )
        ),
        Value::Struct(st) => format!(
            "{}{{{}}}",
            st.type_name,
            join(
                st.fields
                    .iter()
                    .map(|(k, i)| format!("{k}:{}", go_syntax(i)))
                    .collect()
            )
        ),
        Value::Sample(smp) => format!(
            "&template.sample{{Labels:map[string]string{{{}}}, Value:{}}}",
            join(
                smp.labels
                    .iter()
                    .map(|(k, l)| format!("{}:{}", quote(k), quote(l)))
                    .collect()
            ),
            go_syntax(&smp.value)
        ),
        _ => to_string(v),
    }
}

/// `strconv.QuoteToASCII` (`%+q`): non-ASCII characters escaped too.
fn quote_ascii(s: &str) -> String {
    let q = quote(s);
    let mut out = String::with_capacity(q.len());
    for c in q.chars() {
        match c as u32 {
            0..=0x7f => out.push(c),
            n @ 0x80..=0xffff => {
                let _ = write!(out, "\\u{n:04x}");
            }
            n => {
                let _ = write!(out, "\\U{n:08x}");
            }
        }
    }
    out
}

/// Decimal digits and decimal-point position of `|f|` (f finite, non-zero):
/// the value is `0.d1d2d3… × 10^dp`. `prec` None gives the shortest digits
/// that round-trip, `Some(n)` rounds to `n` significant digits.
fn digits(f: f64, prec: Option<usize>) -> (String, i32) {
    let s = match prec {
        None => format!("{:e}", f.abs()),
        Some(p) => format!("{:.*e}", p.saturating_sub(1), f.abs()),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    (digits, exp + 1)
}

fn special(f: f64) -> Option<String> {
    if f.is_nan() {
        return Some("NaN".into());
    }
    if f.is_infinite() {
        return Some(if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        });
    }
    None
}

/// `%e` with `prec` digits after the point (Go's exponent has at least two digits).
pub(crate) fn fmt_e(f: f64, prec: usize, upper: bool) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    let s = format!("{:.*e}", prec, f);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    let e = if upper { 'E' } else { 'e' };
    format!("{mant}{e}{sign}{:02}", exp.abs())
}

/// `%f` with `prec` digits after the point.
pub(crate) fn fmt_f(f: f64, prec: usize) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    format!("{:.*}", prec, f)
}

/// `%g`: `prec` significant digits, or the shortest representation; `sharp`
/// keeps trailing zeros.
pub(crate) fn fmt_g(f: f64, prec: Option<usize>, upper: bool) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    let neg = f.is_sign_negative();
    if f == 0.0 {
        return if neg { "-0".into() } else { "0".into() };
    }
    let prec = prec.map(|p| p.max(1));
    let (digs, dp) = digits(f, prec);
    let digs = digs.trim_end_matches('0');
    let digs = if digs.is_empty() { "0" } else { digs };
    let nd = digs.len() as i32;
    // Go: %e form when the exponent is below -4 or at least the precision
    // (6 for the shortest form).
    let eprec = match prec {
        None => 6,
        Some(p) if p as i32 > nd && nd >= dp => nd,
        Some(p) => p as i32,
    };
    let exp = dp - 1;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp < -4 || exp >= eprec {
        out.push_str(digs.get(..1).unwrap_or("0"));
        if nd > 1 {
            out.push('.');
            out.push_str(digs.get(1..).unwrap_or(""));
        }
        out.push(if upper { 'E' } else { 'e' });
        out.push(if exp < 0 { '-' } else { '+' });
        let _ = write!(out, "{:02}", exp.abs());
        return out;
    }
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(digs);
    } else if dp >= nd {
        out.push_str(digs);
        for _ in 0..(dp - nd) {
            out.push('0');
        }
    } else {
        let (a, b) = digs.split_at(dp as usize);
        out.push_str(a);
        out.push('.');
        out.push_str(b);
    }
    out
}

/// `%x` of a float (`strconv.FormatFloat(f, 'x', -1, 64)`): `0x1.cp+01`.
fn fmt_hex_float(f: f64, upper: bool) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    let bits = f.to_bits();
    let neg = bits >> 63 == 1;
    let mut exp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    let s = if exp == 0 && mant == 0 {
        "0x0p+00".to_string()
    } else {
        if exp == 0 {
            // Subnormal: normalise so that the leading 1 is implicit.
            exp = 1;
            while mant & (1u64 << 52) == 0 {
                mant <<= 1;
                exp -= 1;
            }
            mant &= (1u64 << 52) - 1;
        }
        let e = exp - 1023;
        let digits = format!("{mant:013x}");
        let digits = digits.trim_end_matches('0');
        let frac = if digits.is_empty() {
            String::new()
        } else {
            format!(".{digits}")
        };
        let sign = if e < 0 { '-' } else { '+' };
        format!("0x1{frac}p{sign}{:02}", e.abs())
    };
    let s = if neg { format!("-{s}") } else { s };
    if upper { s.to_uppercase() } else { s }
}

/// `%v` of a value, as `fmt.Sprint` prints one operand.
pub(crate) fn fmt_v(v: &Value, out: &mut String) {
    match v {
        Value::Object(o) => match stringer(o) {
            Some(s) => out.push_str(&s),
            None => fmt_v(&o.data, out),
        },
        Value::Nil => out.push_str("<nil>"),
        Value::Missing => out.push_str("<no value>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Uint(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Float(f) => out.push_str(&fmt_g(*f, None, false)),
        Value::Str(s) | Value::SafeHtml(s) | Value::Histogram(s) => out.push_str(s),
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fmt_v(item, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, item)) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                fmt_v(item, out);
            }
            out.push(']');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, (_, item)) in s.fields.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fmt_v(item, out);
            }
            out.push('}');
        }
        Value::QueryResult(q) => {
            out.push('[');
            for (i, s) in q.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push('&');
                fmt_sample(s, out);
            }
            out.push(']');
        }
        Value::Sample(s) => {
            out.push('&');
            fmt_sample(s, out);
        }
        Value::Time(ns) => out.push_str(&time_string(*ns)),
        Value::Duration(d) => out.push_str(&format_duration(*d)),
    }
}

fn fmt_sample(s: &crate::value::Sample, out: &mut String) {
    out.push_str("{map[");
    for (i, (k, v)) in s.labels.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{k}:{v}");
    }
    out.push_str("] ");
    fmt_v(&s.value, out);
    out.push('}');
}

/// `%v` as a new string.
pub(crate) fn to_string(v: &Value) -> String {
    let mut s = String::new();
    fmt_v(v, &mut s);
    s
}

fn is_stringish(v: &Value) -> bool {
    matches!(v, Value::Str(_) | Value::SafeHtml(_))
}

/// `fmt.Sprint`: a space between operands when neither is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !is_stringish(a) && args.get(i - 1).is_some_and(|p| !is_stringish(p)) {
            out.push(' ');
        }
        fmt_v(a, &mut out);
    }
    out
}

/// `fmt.Sprintln`: spaces between all operands and a final newline.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        fmt_v(a, &mut out);
    }
    out.push('\n');
    out
}

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn pad(s: String, spec: &Spec, numeric: bool) -> String {
    let Some(w) = spec.width else { return s };
    let n = s.chars().count();
    if n >= w {
        return s;
    }
    let fill = w - n;
    if spec.minus {
        return s + &" ".repeat(fill);
    }
    if spec.zero && numeric {
        let (sign, rest) = match s.strip_prefix(['-', '+']) {
            Some(r) => (s.get(..1).unwrap_or(""), r),
            None => ("", s.as_str()),
        };
        if !rest.chars().all(|c| c.is_ascii_alphabetic()) {
            return format!("{sign}{}{rest}", "0".repeat(fill));
        }
    }
    " ".repeat(fill) + &s
}

fn bad_verb(verb: char, v: &Value) -> String {
    match v {
        Value::Nil => format!("%!{verb}(<nil>)"),
        _ => format!("%!{verb}({}={})", v.type_name(), to_string(v)),
    }
}

fn sign_float(s: String, f: f64, spec: &Spec) -> String {
    if (spec.plus || spec.space) && !s.starts_with('-') && !f.is_nan() {
        let sign = if spec.plus { '+' } else { ' ' };
        if s.starts_with('+') {
            return s;
        }
        return format!("{sign}{s}");
    }
    if s == "+Inf" && !spec.plus {
        return "+Inf".into();
    }
    s
}

fn fmt_int(i: i128, verb: char, spec: &Spec) -> String {
    let neg = i < 0;
    let a = i.unsigned_abs();
    let body = match verb {
        'd' | 'v' => a.to_string(),
        'x' => format!("{a:x}"),
        'X' => format!("{a:X}"),
        'o' => format!("{a:o}"),
        'b' => format!("{a:b}"),
        _ => a.to_string(),
    };
    let body = match spec.prec {
        Some(p) if body.len() < p => "0".repeat(p - body.len()) + &body,
        _ => body,
    };
    let prefix = match (spec.sharp, verb) {
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        (true, 'o') => "0",
        _ => "",
    };
    let sign = if neg {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    format!("{sign}{prefix}{body}")
}

fn hex_str(s: &str, upper: bool, spec: &Spec) -> String {
    let mut out = String::new();
    for (i, b) in s.bytes().enumerate() {
        if spec.space && i > 0 {
            out.push(' ');
        }
        if spec.sharp && (spec.space || i == 0) {
            out.push_str(if upper { "0X" } else { "0x" });
        }
        let _ = if upper {
            write!(out, "{b:02X}")
        } else {
            write!(out, "{b:02x}")
        };
    }
    out
}

/// What a nullary `String` method returns: Go's `fmt` prints a
/// `fmt.Stringer` through it (the Alertmanager's `KV` and `Pairs`).
fn stringer(o: &crate::value::Object) -> Option<String> {
    let m = o.methods.get("String")?;
    if !m.params.is_empty() {
        return None;
    }
    match (m.f)(&[]) {
        Ok(Value::Str(s)) => Some(s.to_string()),
        _ => None,
    }
}

fn format_one(verb: char, v: &Value, spec: &Spec) -> String {
    if let Value::Object(o) = v
        && verb != 'T'
    {
        if matches!(verb, 'v' | 's')
            && let Some(s) = stringer(o)
        {
            return format_one(verb, &Value::from(s), spec);
        }
        return format_one(verb, &o.data, spec);
    }
    // `%+v` asks for field names, not signs (Go's plusV).
    if verb == 'v' && spec.plus {
        let plain = Spec {
            plus: false,
            ..*spec
        };
        if let Value::Struct(st) = v {
            let items: Vec<String> = st
                .fields
                .iter()
                .map(|(k, i)| format!("{k}:{}", format_one('v', i, &plain)))
                .collect();
            return pad(format!("{{{}}}", items.join(" ")), &plain, false);
        }
        return format_one('v', v, &plain);
    }
    let numeric = matches!(v, Value::Int(_) | Value::Uint(_) | Value::Float(_));
    let s = match (verb, v) {
        ('v', Value::Float(f)) => sign_float(fmt_g(*f, spec.prec, false), *f, spec),
        ('v', _) if spec.sharp => go_syntax(v),
        ('v', _) => to_string(v),
        ('T', _) => v.type_name(),
        ('t', Value::Bool(b)) => b.to_string(),
        ('d' | 'x' | 'X' | 'o' | 'b', Value::Int(_) | Value::Uint(_)) => {
            fmt_int(int_of(v), verb, spec)
        }
        ('U', Value::Int(_) | Value::Uint(_)) => {
            let n = int_of(v);
            let c = u32::try_from(n).ok().and_then(char::from_u32);
            match c {
                Some(c) if spec.sharp && is_print(c) => format!("U+{n:04X} '{c}'"),
                _ => format!("U+{n:04X}"),
            }
        }
        ('c', Value::Int(_) | Value::Uint(_)) => char::from_u32(int_of(v) as u32)
            .unwrap_or('\u{FFFD}')
            .to_string(),
        ('q', Value::Int(_) | Value::Uint(_)) => {
            let c = char::from_u32(int_of(v) as u32).unwrap_or('\u{FFFD}');
            let q = quote(&c.to_string());
            format!(
                "'{}'",
                q.get(1..q.len() - 1).unwrap_or("").replace("\\\"", "\"")
            )
        }
        ('e' | 'E', Value::Float(f)) => {
            sign_float(fmt_e(*f, spec.prec.unwrap_or(6), verb == 'E'), *f, spec)
        }
        ('f' | 'F', Value::Float(f)) => sign_float(fmt_f(*f, spec.prec.unwrap_or(6)), *f, spec),
        ('g' | 'G', Value::Float(f)) => sign_float(fmt_g(*f, spec.prec, verb == 'G'), *f, spec),
        ('x' | 'X', Value::Float(f)) => sign_float(fmt_hex_float(*f, verb == 'X'), *f, spec),
        ('s', _) if v.as_str().is_some() => {
            let s = v.as_str().unwrap_or("");
            match spec.prec {
                Some(p) => s.chars().take(p).collect(),
                None => s.to_string(),
            }
        }
        ('q', _) if v.as_str().is_some() => {
            let s = v.as_str().unwrap_or("");
            if spec.sharp && !s.contains('`') {
                format!("`{s}`")
            } else if spec.plus {
                quote_ascii(s)
            } else {
                quote(s)
            }
        }
        ('x' | 'X', _) if v.as_str().is_some() => {
            hex_str(v.as_str().unwrap_or(""), verb == 'X', spec)
        }
        // Containers apply the verb to each element, as Go's printValue.
        (_, Value::List(l)) => {
            let items: Vec<String> = l.items.iter().map(|i| format_one(verb, i, spec)).collect();
            return format!("[{}]", items.join(" "));
        }
        (_, Value::Map(m)) => {
            let items: Vec<String> = m
                .entries
                .iter()
                .map(|(k, i)| {
                    format!(
                        "{}:{}",
                        format_one(verb, &Value::from(k.as_str()), spec),
                        format_one(verb, i, spec)
                    )
                })
                .collect();
            return format!("map[{}]", items.join(" "));
        }
        (_, Value::Struct(st)) => {
            let items: Vec<String> = st
                .fields
                .iter()
                .map(|(_, i)| format_one(verb, i, spec))
                .collect();
            return format!("{{{}}}", items.join(" "));
        }
        ('s', Value::Time(_) | Value::Duration(_) | Value::Histogram(_)) => to_string(v),
        ('s', Value::Sample(_) | Value::QueryResult(_)) => to_string(v),
        _ => return bad_verb(verb, v),
    };
    pad(s, spec, numeric)
}

fn int_of(v: &Value) -> i128 {
    match v.data() {
        Value::Int(i) => i128::from(*i),
        Value::Uint(u) => i128::from(*u),
        _ => 0,
    }
}

/// Parses an explicit argument index `[n]` (1-based) at the cursor:
/// `None` if there is none, `Some(None)` if it is malformed or out of range.
fn arg_index(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    nargs: usize,
) -> Option<Option<usize>> {
    if chars.peek() != Some(&'[') {
        return None;
    }
    chars.next();
    // Go consumes through the closing bracket even when what is inside is
    // not a number; without one, only the `[` goes. (The search is bounded
    // so that a hostile format cannot make formatting quadratic.)
    if !chars.clone().take(64).any(|c| c == ']') {
        return Some(None);
    }
    let inside: String = chars.by_ref().take_while(|c| *c != ']').collect();
    match inside.parse::<usize>() {
        Ok(n) if n >= 1 && n <= nargs && inside.bytes().all(|b| b.is_ascii_digit()) => {
            Some(Some(n - 1))
        }
        _ => Some(None),
    }
}

/// `fmt.Sprintf`, with flags, width, precision, `*` and `[n]` indexes.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut argi = 0;
    let mut reordered = false;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        let mut good_index = true;
        let mut index = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>, argi: &mut usize| {
            match arg_index(chars, args.len()) {
                Some(Some(i)) => {
                    *argi = i;
                    reordered = true;
                }
                Some(None) => {
                    good_index = false;
                    reordered = true;
                }
                None => {}
            }
        };
        let num = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
                   argi: &mut usize|
         -> Result<Option<i128>, ()> {
            if chars.peek() == Some(&'*') {
                chars.next();
                let v = match args.get(*argi) {
                    Some(v @ (Value::Int(_) | Value::Uint(_))) => {
                        Ok(Some(int_of(v).clamp(-(1 << 20), 1 << 20)))
                    }
                    _ => Err(()),
                };
                *argi += 1;
                return v;
            }
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(
                    n.unwrap_or(0)
                        .saturating_mul(10)
                        .saturating_add(d as usize)
                        .min(1 << 20),
                );
                chars.next();
            }
            Ok(n.map(|n| n as i128))
        };
        index(&mut chars, &mut argi);
        match num(&mut chars, &mut argi) {
            // A negative `*` width means left alignment.
            Ok(Some(w)) if w < 0 => {
                spec.minus = true;
                spec.width = Some(w.unsigned_abs() as usize);
            }
            Ok(w) => spec.width = w.map(|w| w as usize),
            Err(()) => out.push_str("%!(BADWIDTH)"),
        }
        if chars.peek() == Some(&'.') {
            chars.next();
            index(&mut chars, &mut argi);
            match num(&mut chars, &mut argi) {
                // A negative `*` precision is refused.
                Ok(Some(p)) if p < 0 => out.push_str("%!(BADPREC)"),
                Ok(p) => spec.prec = Some(p.unwrap_or(0) as usize),
                Err(()) => out.push_str("%!(BADPREC)"),
            }
        }
        index(&mut chars, &mut argi);
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !good_index {
            let _ = write!(out, "%!{verb}(BADINDEX)");
            continue;
        }
        match args.get(argi) {
            Some(v) => {
                argi += 1;
                out.push_str(&format_one(verb, v, &spec));
            }
            None => {
                let _ = write!(out, "%!{verb}(MISSING)");
            }
        }
    }
    if !reordered && argi < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, a) in args.iter().skip(argi).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}={}", a.type_name(), to_string(a));
        }
        out.push(')');
    }
    out
}
