//! Times and durations as promtool reads them: `--time`/`--start`/`--end`
//! are a Unix timestamp (float seconds) or RFC 3339 with optional
//! nanoseconds; `--step`, `--duration` and `--timeout` are Go
//! `time.ParseDuration` strings.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vigil_model::civil::days_from_civil;

/// An instant: nanoseconds since the Unix epoch (`i128` so that promtool's
/// ±9999 h defaults and any RFC 3339 year fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(pub i128);

impl Instant {
    /// The current time.
    pub fn now() -> Instant {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Instant(d.as_nanos() as i128)
    }

    /// This instant moved by `ns` nanoseconds.
    pub fn add_nanos(self, ns: i128) -> Instant {
        Instant(self.0 + ns)
    }

    /// Seconds as client_golang sends them (`formatTime`): whole seconds
    /// plus the nanoseconds as a fraction, printed shortest.
    pub fn api_string(self) -> String {
        let secs = self.0.div_euclid(1_000_000_000);
        let nanos = self.0.rem_euclid(1_000_000_000);
        super::value::go_float(secs as f64 + nanos as f64 / 1e9)
    }
}

/// promtool's `parseTime`: a float of seconds, else RFC 3339.
pub fn parse_time(s: &str) -> Result<Instant, String> {
    if let Ok(f) = s.parse::<f64>()
        && f.is_finite()
        // Go's ParseFloat does not take Rust's "inf"/"nan" spellings as
        // numbers either way; only finite values make an instant.
        && !s.contains(['i', 'I', 'n', 'N'])
    {
        let whole = f.trunc();
        let frac = f - whole;
        return Ok(Instant(
            (whole as i128) * 1_000_000_000 + (frac * 1e9) as i128,
        ));
    }
    parse_rfc3339(s).ok_or_else(|| format!("cannot parse {s:?} to a valid timestamp"))
}

fn digits(s: &str, n: usize) -> Option<(i64, &str)> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, s.get(n..)?))
}

fn expect(s: &str, c: char) -> Option<&str> {
    s.strip_prefix(c)
}

fn parse_rfc3339(s: &str) -> Option<Instant> {
    let (year, r) = digits(s, 4)?;
    let (month, r) = digits(expect(r, '-')?, 2)?;
    let (day, r) = digits(expect(r, '-')?, 2)?;
    let (hour, r) = digits(expect(r, 'T')?, 2)?;
    let (min, r) = digits(expect(r, ':')?, 2)?;
    let (sec, mut r) = digits(expect(r, ':')?, 2)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let max_day = *month_days.get(usize::try_from(month - 1).ok()?)?;
    if day < 1 || day > max_day || hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let mut nanos: i128 = 0;
    if let Some(frac) = r.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > 9 {
            return None;
        }
        let (f, rest) = digits(frac, n)?;
        nanos = i128::from(f) * 10i128.pow(9 - n as u32);
        r = rest;
    }
    let offset = if r == "Z" {
        0
    } else {
        let sign = match r.chars().next()? {
            '+' => 1,
            '-' => -1,
            _ => return None,
        };
        let (oh, rest) = digits(r.get(1..)?, 2)?;
        let (om, rest) = digits(expect(rest, ':')?, 2)?;
        if !rest.is_empty() || oh > 23 || om > 59 {
            return None;
        }
        sign * (oh * 3600 + om * 60)
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec - offset;
    Some(Instant(i128::from(secs) * 1_000_000_000 + nanos))
}

/// Go's `time.ParseDuration`: a sequence of decimal numbers with units
/// `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, optionally signed; `0` alone.
pub fn parse_go_duration(orig: &str) -> Result<Duration, String> {
    let invalid = || format!("time: invalid duration {orig:?}");
    let mut s = orig;
    let neg = s.starts_with('-');
    s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !s.is_empty() {
        let num_len = s
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let num: f64 = s
            .get(..num_len)
            .filter(|n| !n.is_empty() && *n != ".")
            .and_then(|n| n.parse().ok())
            .ok_or_else(invalid)?;
        s = s.get(num_len..).unwrap_or_default();
        let unit_len = s
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(s.len(), |(i, _)| i);
        let unit = s.get(..unit_len).unwrap_or_default();
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {orig:?}")),
            u => return Err(format!("time: unknown unit {u:?} in duration {orig:?}")),
        };
        total += num * scale;
        s = s.get(unit_len..).unwrap_or_default();
    }
    if neg {
        // promtool's flags take no negative spans; Go would give one that
        // every caller treats as unusable.
        return Err(invalid());
    }
    Ok(Duration::from_nanos(total.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_promtool_parses_them() {
        assert_eq!(parse_time("1.5"), Ok(Instant(1_500_000_000)));
        assert_eq!(
            parse_time("2023-11-14T22:13:20Z"),
            Ok(Instant(1_700_000_000_000_000_000))
        );
        assert_eq!(
            parse_time("2023-11-14T23:13:20.25+01:00"),
            Ok(Instant(1_700_000_000_250_000_000))
        );
        assert_eq!(
            parse_time("yesterday"),
            Err("cannot parse \"yesterday\" to a valid timestamp".into())
        );
        assert_eq!(
            Instant(1_700_000_000_250_000_000).api_string(),
            "1700000000.25"
        );
    }

    #[test]
    fn durations_parse_as_go_parses_them() {
        assert_eq!(parse_go_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_go_duration("0"), Ok(Duration::ZERO));
        assert!(parse_go_duration("5").is_err());
        assert!(parse_go_duration("1d").is_err());
    }
}
