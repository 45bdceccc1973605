//! RFC 3339 timestamps as Alertmanager's API reads and writes them
//! (Go's `time.RFC3339Nano`: fractional seconds without trailing zeros),
//! over nanoseconds since the Unix epoch in UTC.

use vigil_model::civil::days_from_civil;

use crate::config::timeinterval::CivilTime;

/// Formats as `2024-03-04T10:30:00.5Z`.
pub fn format_rfc3339(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let t = CivilTime::from_unix_utc(secs);
    let sod = secs.rem_euclid(86_400);
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year,
        t.month,
        t.day,
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
    if frac != 0 {
        let digits = format!("{frac:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Parses an RFC 3339 timestamp with an optional fraction and a `Z` or
/// `±hh:mm` offset, into nanoseconds (saturating).
pub fn parse_rfc3339(s: &str) -> Result<i64, String> {
    let bad = || format!("parsing time {s:?} as RFC 3339: invalid format");
    let b = s.as_bytes();
    if b.len() < 20 {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let p = s.get(r).ok_or_else(bad)?;
        if !p.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        p.parse().map_err(|_| bad())
    };
    let sep_ok = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b't' | b' '))
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    if !sep_ok {
        return Err(bad());
    }
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return Err(format!("parsing time {s:?}: value out of range"));
    }
    let mut i = 19;
    let mut frac_ns = 0i64;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == start {
            return Err(bad());
        }
        let digits = s.get(start..end.min(start + 9)).ok_or_else(bad)?;
        frac_ns = digits.parse::<i64>().map_err(|_| bad())? * 10i64.pow(9 - digits.len() as u32);
        i = end;
    }
    let offset = match s.get(i..).ok_or_else(bad)? {
        "Z" | "z" => 0,
        tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) && &tz[3..4] == ":" => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = oh * 3600 + om * 60;
            if tz.starts_with('-') { -o } else { o }
        }
        _ => return Err(bad()),
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset;
    // Times outside i64 nanoseconds (years before 1678 or after 2262, such
    // as Go's zero time 0001-01-01) saturate; they only ever mean "unset".
    let ns = i128::from(secs) * 1_000_000_000 + i128::from(frac_ns);
    Ok(ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let ns = 1_709_548_200_500_000_000;
        assert_eq!(format_rfc3339(ns), "2024-03-04T10:30:00.5Z");
        assert_eq!(parse_rfc3339("2024-03-04T10:30:00.5Z"), Ok(ns));
        assert_eq!(parse_rfc3339("2024-03-04T12:30:00.5+02:00"), Ok(ns));
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), Ok(i64::MIN));
        for bad in [
            "",
            "2024-03-04",
            "2024-13-04T10:30:00Z",
            "2024-03-04T10:30:00",
            "2024-03-04T10:30:00.Z",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}
