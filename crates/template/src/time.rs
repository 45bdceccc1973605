//! Go's `time.Time` and `time.Duration` as templates see them: `String()`,
//! `Format(layout)` with Go's reference-time layouts, and the methods
//! Prometheus' examples call (`Add`, `Unix`, `UnixMilli`, ...). Times are
//! nanoseconds since the epoch and always in UTC, as `toTime` returns them.

use std::fmt::Write as _;

use vigil_model::civil::{civil_from_days as civil, days_from_civil};

const NS: i64 = 1_000_000_000;

/// Splits nanoseconds since the epoch into (days since epoch, nanos in day).
fn split(ns: i64) -> (i64, i64) {
    let day = 86_400 * NS;
    (ns.div_euclid(day), ns.rem_euclid(day))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    yday: i64,
    weekday: usize,
    hour: i64,
    min: i64,
    sec: i64,
    nanos: i64,
}

/// Go's zero `time.Time` (January 1, year 1, UTC), which nanoseconds since
/// 1970 in an `i64` cannot reach; `i64::MIN` stands for it.
pub const ZERO_TIME_NS: i64 = i64::MIN;

fn parts(ns: i64) -> Parts {
    let (days, in_day) = if ns == ZERO_TIME_NS {
        (days_from_civil(1, 1, 1), 0)
    } else {
        split(ns)
    };
    let (year, month, day) = civil(days);
    let jan1 = days_from_civil(year, 1, 1);
    Parts {
        year,
        month,
        day,
        yday: days - jan1 + 1,
        weekday: (days + 4).rem_euclid(7) as usize,
        hour: in_day / (3600 * NS),
        min: in_day / (60 * NS) % 60,
        sec: in_day / NS % 60,
        nanos: in_day % NS,
    }
}

/// `time.Time.String()` for a UTC time:
/// `2015-06-23 13:19:44.128 +0000 UTC`.
pub(crate) fn time_string(ns: i64) -> String {
    format_time(ns, "2006-01-02 15:04:05.999999999 -0700 MST")
}

/// `time.Time.Format(layout)` for a UTC time.
pub fn format_time(ns: i64, layout: &str) -> String {
    let p = parts(ns);
    let mut out = String::new();
    let mut rest = layout;
    while let Some(c) = rest.chars().next() {
        let (len, text) = chunk(rest, &p);
        if len == 0 {
            out.push(c);
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        } else {
            out.push_str(&text);
            rest = rest.get(len..).unwrap_or("");
        }
    }
    out
}

fn frac(nanos: i64, digits: usize, trim: bool) -> String {
    let s = format!("{nanos:09}");
    let s = s.get(..digits.min(9)).unwrap_or("");
    if trim {
        let t = s.trim_end_matches('0');
        if t.is_empty() {
            return String::new();
        }
        return format!(".{t}");
    }
    format!(".{s}")
}

/// Recognises the layout element at the start of `s`; returns its length
/// and the formatted text, or length 0 for a literal character.
fn chunk(s: &str, p: &Parts) -> (usize, String) {
    let two = |v: i64| format!("{v:02}");
    let h12 = |h: i64| if h % 12 == 0 { 12 } else { h % 12 };
    let month = MONTHS.get(p.month as usize - 1).copied().unwrap_or("");
    let wday = DAYS.get(p.weekday).copied().unwrap_or("");
    let table: [(&str, String); 30] = [
        ("January", month.to_string()),
        ("Jan", month.get(..3).unwrap_or("").to_string()),
        ("Monday", wday.to_string()),
        ("Mon", wday.get(..3).unwrap_or("").to_string()),
        ("MST", "UTC".into()),
        ("2006", format!("{:04}", p.year)),
        ("2", p.day.to_string()),
        ("_2", format!("{:>2}", p.day)),
        ("01", format!("{:02}", p.month)),
        ("02", format!("{:02}", p.day)),
        ("03", two(h12(p.hour))),
        ("04", two(p.min)),
        ("05", two(p.sec)),
        ("06", two(p.year.rem_euclid(100))),
        ("002", format!("{:03}", p.yday)),
        ("15", two(p.hour)),
        ("1", p.month.to_string()),
        ("3", h12(p.hour).to_string()),
        ("4", p.min.to_string()),
        ("5", p.sec.to_string()),
        ("PM", if p.hour >= 12 { "PM" } else { "AM" }.into()),
        ("pm", if p.hour >= 12 { "pm" } else { "am" }.into()),
        ("-07:00:00", "+00:00:00".into()),
        ("-0700", "+0000".into()),
        ("-07:00", "+00:00".into()),
        ("-07", "+00".into()),
        ("Z07:00:00", "Z".into()),
        ("Z0700", "Z".into()),
        ("Z07:00", "Z".into()),
        ("Z07", "Z".into()),
    ];
    // Go tries longer elements first where they share a prefix.
    let mut best: Option<(usize, String)> = None;
    for (k, v) in table {
        if s.starts_with(k) && best.as_ref().is_none_or(|(l, _)| k.len() > *l) {
            // "2006" must win over "2"; "002" over "02"? Go treats "002" only
            // as day-of-year when it appears as such.
            best = Some((k.len(), v));
        }
    }
    // Fractional seconds: `.000` / `,000` (fixed) or `.999` (trimmed),
    // only when not followed by another digit.
    if let Some(sep) = s.chars().next().filter(|c| *c == '.' || *c == ',') {
        let body = s.get(1..).unwrap_or("");
        for digit in ['0', '9'] {
            let n = body.chars().take_while(|c| *c == digit).count();
            if n > 0
                && !body
                    .get(n..)
                    .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
            {
                let mut f = frac(p.nanos, n, digit == '9');
                if sep == ',' && !f.is_empty() {
                    f.replace_range(..1, ",");
                }
                return (n + 1, f);
            }
        }
    }
    best.unwrap_or((0, String::new()))
}

/// `time.Duration.String()`: `30m0s`, `1h2m3.5s`, `1.5ms`, `0s`.
pub(crate) fn format_duration(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let frac_of = |v: u64, digits: u32| -> String {
        let div = 10u64.pow(digits);
        let (w, f) = (v / div, v % div);
        if f == 0 {
            return w.to_string();
        }
        let fs = format!("{:0width$}", f, width = digits as usize);
        format!("{w}.{}", fs.trim_end_matches('0'))
    };
    if u < 1_000 {
        let _ = write!(out, "{u}ns");
    } else if u < 1_000_000 {
        let _ = write!(out, "{}µs", frac_of(u, 3));
    } else if u < 1_000_000_000 {
        let _ = write!(out, "{}ms", frac_of(u, 6));
    } else {
        let secs = u / 1_000_000_000;
        let h = secs / 3600;
        let m = secs / 60 % 60;
        if h > 0 {
            let _ = write!(out, "{h}h");
        }
        if secs >= 60 {
            let _ = write!(out, "{m}m");
        }
        let s_ns = u - (secs - secs % 60) * 1_000_000_000;
        let _ = write!(out, "{}s", frac_of(s_ns, 9));
    }
    out
}
