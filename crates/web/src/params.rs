//! Request parameters as Prometheus reads them: form values from a
//! `application/x-www-form-urlencoded` body first, then from the URL query
//! (Go's `Request.FormValue` / `Request.Form`), and the parsers for times,
//! durations, limits and series selectors with Prometheus' error texts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vigil_model::Matcher;
use vigil_model::civil::{civil_from_days, days_from_civil};
use vigil_model::quote::quote;

use crate::error::ApiError;

/// Largest form body read, as Go's `ParseForm` caps it (10 MB).
pub const MAX_FORM_BYTES: usize = 10 << 20;

/// Default start of optional time ranges (Prometheus' `MinTime`), in ms.
pub const MIN_TIME: i64 = (i64::MIN / 1000 + 62_135_596_801) * 1000;
/// Default end of optional time ranges (Prometheus' `MaxTime`), in ms.
pub const MAX_TIME: i64 = (i64::MAX / 1000 - 62_135_596_801) * 1000 + 999;

/// `MinTime` and `MaxTime` as Go prints them; clients send them back, and
/// they do not fit RFC 3339's four-digit years.
const MIN_TIME_TEXT: &str = "-292273086-05-16T16:47:06Z";
const MAX_TIME_TEXT: &str = "292277025-08-18T07:12:54.999999999Z";

/// The form values of one request, body values before query values.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parameters from a URL query string and, if the request is a form
    /// post, its body.
    pub fn new(query: Option<&str>, form_body: Option<&[u8]>) -> Params {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Some(body) = form_body {
            pairs.extend(
                serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default(),
            );
        }
        if let Some(q) = query {
            pairs
                .extend(serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default());
        }
        Params { pairs }
    }

    /// The first value of `key`, `""` when absent (Go's `FormValue`).
    pub fn get(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses RFC 3339 with optional fractional seconds into (unix seconds,
/// nanoseconds), as Go's `time.Parse(time.RFC3339Nano, …)` accepts it.
fn parse_rfc3339(s: &str) -> Option<(i64, u32)> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (hour, min, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || min > 59
        || sec > 59
    {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if sep(i, b'.') {
        i += 1;
        let digits = b
            .get(i..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let frac = std::str::from_utf8(b.get(i..i + digits)?).ok()?;
        nanos = frac.parse::<u32>().ok()? * 10u32.pow(9 - digits as u32);
        i += digits;
    }
    let offset = match b.get(i)? {
        b'Z' if i + 1 == b.len() => 0,
        c @ (b'+' | b'-') if i + 6 == b.len() && sep(i + 3, b':') => {
            let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *c == b'-' { -o } else { o }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + hour * 3600 + min * 60 + sec - offset, nanos))
}

/// Formats a time as Go's `time.Time` JSON (RFC 3339, nanoseconds with
/// trailing zeros trimmed, `Z`); `None` is Go's zero time.
pub fn format_rfc3339(t: Option<SystemTime>) -> String {
    let (secs, nanos) = match t {
        None => (-62_135_596_800_i64, 0u32),
        Some(t) => match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
            Err(e) => {
                let d = e.duration();
                let mut s = -(d.as_secs() as i64);
                let mut n = d.subsec_nanos();
                if n > 0 {
                    s -= 1;
                    n = 1_000_000_000 - n;
                }
                (s, n)
            }
        },
    };
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let mut out = format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Milliseconds since the epoch of a `SystemTime` (negative before it).
pub fn system_time_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Parses a time as Prometheus' `parseTime`: float unix seconds (rounded
/// to the millisecond) or RFC 3339; the result is in milliseconds.
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(f) = s.parse::<f64>()
        && !s.eq_ignore_ascii_case("infinity")
        && f.is_finite()
    {
        // As Go: whole seconds, then the fraction rounded to milliseconds.
        let whole = f.trunc();
        let frac = ((f - whole) * 1000.0).round();
        return Ok((whole as i64)
            .saturating_mul(1000)
            .saturating_add(frac as i64));
    }
    if let Some((secs, nanos)) = parse_rfc3339(s) {
        return Ok(secs
            .saturating_mul(1000)
            .saturating_add(i64::from(nanos / 1_000_000)));
    }
    match s {
        MIN_TIME_TEXT => Ok(MIN_TIME),
        MAX_TIME_TEXT => Ok(MAX_TIME),
        _ => Err(format!("cannot parse {} to a valid timestamp", quote(s))),
    }
}

/// Parses an optional time parameter (`parseTimeParam`): `default` when
/// empty, else the time or an `invalid parameter` error.
pub fn time_param(p: &Params, name: &str, default: i64) -> Result<i64, ApiError> {
    let v = p.get(name);
    if v.is_empty() {
        return Ok(default);
    }
    parse_time(v)
        .map_err(|e| ApiError::invalid_param(name, format!("invalid time value for '{name}': {e}")))
}

/// Parses a duration as Prometheus' `parseDuration`: float seconds or a
/// Prometheus duration (`1h30m`); the result is in nanoseconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    if let Ok(f) = s.parse::<f64>() {
        let ns = f * 1e9;
        if !(ns < i64::MAX as f64 && ns >= i64::MIN as f64) || ns.is_nan() {
            return Err(format!(
                "cannot parse {} to a valid duration. It overflows int64",
                quote(s)
            ));
        }
        return Ok(ns as i64);
    }
    vigil_promql::parse_duration(s)
        .map_err(|_| format!("cannot parse {} to a valid duration", quote(s)))
}

/// A duration parameter (already known to be present) as a `Duration`;
/// negative values become zero.
pub fn duration_param(p: &Params, name: &str) -> Result<Duration, ApiError> {
    let ns = parse_duration(p.get(name)).map_err(|e| ApiError::invalid_param(name, e))?;
    Ok(Duration::from_nanos(u64::try_from(ns).unwrap_or(0)))
}

/// Go's `strconv.Atoi` error text.
fn atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.Atoi: parsing {}: invalid syntax",
            quote(s)
        ));
    }
    s.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing {}: value out of range", quote(s)))
}

/// Go's `strconv.ParseInt(s, 10, 32)`, with its error text.
pub fn go_parse_int32(s: &str) -> Result<i32, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            quote(s)
        ));
    }
    s.parse::<i32>()
        .map_err(|_| format!("strconv.ParseInt: parsing {}: value out of range", quote(s)))
}

/// The `limit` parameter (`parseLimitParam`): 0 means none.
pub fn limit_param(p: &Params) -> Result<usize, ApiError> {
    let s = p.get("limit");
    if s.is_empty() {
        return Ok(0);
    }
    let n = atoi(s).map_err(|e| ApiError::invalid_param("limit", e))?;
    if n < 0 {
        return Err(ApiError::invalid_param(
            "limit",
            "limit must be non-negative",
        ));
    }
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// A `limit` as the metadata endpoints read it: -1 when absent.
pub fn metadata_limit(p: &Params, name: &str) -> Result<i64, ApiError> {
    let s = p.get(name);
    if s.is_empty() {
        return Ok(-1);
    }
    atoi(s).map_err(|_| ApiError::BadData(format!("{name} must be a number")))
}

/// Parses `match[]` selectors (`parseMatchersParam`), refusing a set whose
/// every matcher matches the empty string.
pub fn parse_matchers(selectors: &[&str]) -> Result<Vec<Vec<Matcher>>, String> {
    let mut sets = Vec::with_capacity(selectors.len());
    for s in selectors {
        sets.push(vigil_promql::parse_metric_selector(s).map_err(|e| e.to_string())?);
    }
    for set in &sets {
        if set.iter().all(|m| m.matches("")) {
            return Err("match[] must contain at least one non-empty matcher".into());
        }
    }
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_prometheus_parses_them() {
        assert_eq!(parse_time("1435781451.781"), Ok(1_435_781_451_781));
        assert_eq!(parse_time("1.5"), Ok(1500));
        assert_eq!(parse_time("-1.5"), Ok(-1500));
        assert_eq!(parse_time("1e3"), Ok(1_000_000));
        assert_eq!(
            parse_time("2015-06-01T20:10:30.781Z"),
            Ok(1_433_189_430_781)
        );
        assert_eq!(parse_time("2015-06-01T20:10:30Z"), Ok(1_433_189_430_000));
        assert_eq!(
            parse_time("2015-06-01T22:10:30+02:00"),
            Ok(1_433_189_430_000)
        );
        assert_eq!(parse_time("1970-01-01T00:00:00.000000001Z"), Ok(0));
        assert_eq!(parse_time(MIN_TIME_TEXT), Ok(MIN_TIME));
        assert_eq!(parse_time(MAX_TIME_TEXT), Ok(MAX_TIME));
        for bad in [
            "",
            "abc",
            "2015-02-30T00:00:00Z",
            "2015-06-01 20:10:30Z",
            "2015-06-01T20:10:30",
        ] {
            assert_eq!(
                parse_time(bad),
                Err(format!("cannot parse {} to a valid timestamp", quote(bad)))
            );
        }
    }

    #[test]
    fn time_param_error_text() {
        let p = Params::new(Some("start=x"), None);
        assert_eq!(
            time_param(&p, "start", 0).unwrap_err().to_string(),
            "invalid parameter \"start\": invalid time value for 'start': cannot parse \"x\" to a valid timestamp"
        );
        assert_eq!(time_param(&p, "end", 7), Ok(7));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1.5"), Ok(1_500_000_000));
        assert_eq!(parse_duration("5m"), Ok(300_000_000_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(
            parse_duration("x"),
            Err("cannot parse \"x\" to a valid duration".into())
        );
        assert_eq!(
            parse_duration("1e30"),
            Err("cannot parse \"1e30\" to a valid duration. It overflows int64".into())
        );
    }

    #[test]
    fn limits() {
        let lim = |q: &str| limit_param(&Params::new(Some(q), None)).map_err(|e| e.to_string());
        assert_eq!(lim(""), Ok(0));
        assert_eq!(lim("limit=5"), Ok(5));
        assert_eq!(
            lim("limit=-1"),
            Err("invalid parameter \"limit\": limit must be non-negative".into())
        );
        assert_eq!(
            lim("limit=x"),
            Err("invalid parameter \"limit\": strconv.Atoi: parsing \"x\": invalid syntax".into())
        );
    }

    #[test]
    fn body_values_come_first() {
        let p = Params::new(Some("query=a&match[]=x"), Some(b"query=b&match%5B%5D=y"));
        assert_eq!(p.get("query"), "b");
        assert_eq!(p.all("match[]"), vec!["y", "x"]);
        assert_eq!(p.get("missing"), "");
    }

    #[test]
    fn matchers_need_a_non_empty_one() {
        assert!(parse_matchers(&["up"]).is_ok());
        assert_eq!(
            parse_matchers(&["{a=~\".*\"}"]).unwrap_err(),
            "match[] must contain at least one non-empty matcher"
        );
        assert!(parse_matchers(&["{a=~\"(\"}"]).is_err());
    }

    #[test]
    fn rfc3339_output() {
        assert_eq!(format_rfc3339(None), "0001-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::new(1_433_189_430, 781_000_000);
        assert_eq!(format_rfc3339(Some(t)), "2015-06-01T20:10:30.781Z");
    }
}
