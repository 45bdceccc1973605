//! `time_intervals` (and the deprecated `mute_time_intervals`): named sets
//! of periods (`times`, `weekdays`, `days_of_month`, `months`, `years`,
//! `location`) used by routes to mute or activate notifications.
//!
//! Ranges are written `a:b` or as a single member; weekdays and months by
//! name (any case) or, for months, by number; negative days of the month
//! count from its end. The messages are Alertmanager's.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use super::types::lenient_string;

/// A named list of intervals; the name is required.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NamedTimeInterval {
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `time_intervals`.
    #[serde(default)]
    pub time_intervals: Vec<TimeInterval>,
}

/// One interval: every present field must hold (fields are ANDed, the
/// entries of one field ORed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeInterval {
    /// `times`: minute ranges of the day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub times: Option<Vec<TimeRange>>,
    /// `weekdays`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weekdays: Option<Vec<Range<Weekday>>>,
    /// `days_of_month`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_of_month: Option<Vec<Range<DayOfMonth>>>,
    /// `months`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub months: Option<Vec<Range<Month>>>,
    /// `years`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub years: Option<Vec<Range<Year>>>,
    /// `location`: an IANA time zone name, `UTC` or `Local`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// A civil time to test against an interval, in the interval's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// The year.
    pub year: i32,
    /// 1..=12.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
    /// 0 = Sunday.
    pub weekday: u32,
    /// Minutes since midnight.
    pub minute: u32,
    /// Days in this month.
    pub days_in_month: u32,
}

impl CivilTime {
    /// The UTC civil time of a Unix timestamp in seconds.
    pub fn from_unix_utc(secs: i64) -> CivilTime {
        let days = secs.div_euclid(86_400);
        let minute = (secs.rem_euclid(86_400) / 60) as u32;
        let (year, month, day) = vigil_model::civil::civil_from_days(days);
        // Years beyond i32 are not reachable from an i64 of seconds.
        let year = year as i32;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        CivilTime {
            year,
            month,
            day,
            weekday: (days + 4).rem_euclid(7) as u32,
            minute,
            days_in_month,
        }
    }
}

impl TimeInterval {
    /// Whether the civil time falls in the interval (the caller converts
    /// the instant into the interval's `location`).
    pub fn contains(&self, t: CivilTime) -> bool {
        fn any<T>(v: &Option<Vec<T>>, f: impl Fn(&T) -> bool) -> bool {
            v.as_ref().is_none_or(|v| v.iter().any(f))
        }
        any(&self.times, |r| t.minute >= r.start && t.minute < r.end)
            && any(&self.days_of_month, |r| {
                let dim = t.days_in_month as i32;
                let resolve = |d: i32| if d < 0 { dim + d + 1 } else { d };
                let begin = resolve(r.begin.0);
                if begin > dim {
                    return false;
                }
                let end = resolve(r.end.0).clamp(-dim, dim);
                (t.day as i32) >= begin && (t.day as i32) <= end
            })
            && any(&self.months, |r| t.month >= r.begin.0 && t.month <= r.end.0)
            && any(&self.weekdays, |r| {
                t.weekday >= r.begin.0 && t.weekday <= r.end.0
            })
            && any(&self.years, |r| t.year >= r.begin.0 && t.year <= r.end.0)
    }
}

/// `start_time`–`end_time` as minutes of the day, end excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// First minute.
    pub start: u32,
    /// Minute after the last.
    pub end: u32,
}

fn parse_clock(s: &str) -> Result<u32, String> {
    let bad = || format!("couldn't parse timestamp {s}, invalid format");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let ok = |p: &str, max_len: usize| {
        !p.is_empty() && p.len() <= max_len && p.bytes().all(|b| b.is_ascii_digit())
    };
    if !ok(h, 2) || m.len() != 2 || !ok(m, 2) {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 24 || m > 59 || (h == 24 && m != 0) {
        return Err(format!("timestamp {s} out of range"));
    }
    Ok(h * 60 + m)
}

fn clock(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

impl<'de> Deserialize<'de> for TimeRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            #[serde(default)]
            start_time: String,
            #[serde(default)]
            end_time: String,
        }
        let r = Raw::deserialize(d)?;
        if r.start_time.is_empty() || r.end_time.is_empty() {
            return Err(de::Error::custom(
                "both start and end times must be provided",
            ));
        }
        let start = parse_clock(&r.start_time).map_err(de::Error::custom)?;
        let end = parse_clock(&r.end_time).map_err(de::Error::custom)?;
        if start >= end {
            return Err(de::Error::custom(
                "start time cannot be equal or greater than end time",
            ));
        }
        Ok(TimeRange { start, end })
    }
}

impl Serialize for TimeRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("start_time", &clock(self.start))?;
        m.serialize_entry("end_time", &clock(self.end))?;
        m.end()
    }
}

/// A member type of a range (`monday`, `3`, `march`, `2024`).
pub trait RangeMember: Sized + Copy + fmt::Display {
    /// Parses one member.
    fn parse(s: &str) -> Result<Self, String>;
    /// Checks a parsed `begin:end` range (`text` is as written).
    fn check(begin: Self, end: Self, text: &str) -> Result<(), String>;
}

/// An inclusive range `begin:end` (or one member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range<T> {
    /// First member.
    pub begin: T,
    /// Last member.
    pub end: T,
}

impl<'de, T: RangeMember> Deserialize<'de> for Range<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = lenient_string(d)?;
        let lower = text.to_lowercase();
        let (b, e) = match lower.split_once(':') {
            Some((b, e)) if !e.contains(':') => (b, e),
            Some(_) => {
                return Err(de::Error::custom(format!(
                    "couldn't parse range {lower}, invalid format"
                )));
            }
            None => (lower.as_str(), lower.as_str()),
        };
        let begin = T::parse(b).map_err(de::Error::custom)?;
        let end = T::parse(e).map_err(de::Error::custom)?;
        T::check(begin, end, &text).map_err(de::Error::custom)?;
        Ok(Range { begin, end })
    }
}

impl<T: RangeMember + PartialEq> Serialize for Range<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.begin == self.end {
            s.collect_str(&self.begin)
        } else {
            s.collect_str(&format_args!("{}:{}", self.begin, self.end))
        }
    }
}

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A day of the week, 0 = Sunday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekday(pub u32);

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(WEEKDAYS.get(self.0 as usize).copied().unwrap_or("?"))
    }
}

impl RangeMember for Weekday {
    fn parse(s: &str) -> Result<Self, String> {
        WEEKDAYS
            .iter()
            .position(|d| *d == s)
            .map(|i| Weekday(i as u32))
            .ok_or_else(|| format!("{s} is not a valid weekday"))
    }
    fn check(b: Self, e: Self, _: &str) -> Result<(), String> {
        if b.0 > e.0 {
            return Err("start day cannot be before end day".into());
        }
        Ok(())
    }
}

/// A day of the month; negative counts from the end (-1 = last day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayOfMonth(pub i32);

impl fmt::Display for DayOfMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl RangeMember for DayOfMonth {
    fn parse(s: &str) -> Result<Self, String> {
        s.parse()
            .map(DayOfMonth)
            .map_err(|_| format!("strconv.Atoi: parsing {s:?}: invalid syntax"))
    }
    fn check(b: Self, e: Self, _: &str) -> Result<(), String> {
        for d in [b.0, e.0] {
            if d == 0 || !(-31..=31).contains(&d) {
                return Err(format!("{d} is not a valid day of the month: out of range"));
            }
        }
        if b.0 < 0 && e.0 > 0 {
            return Err("end day must be negative if start day is negative".into());
        }
        let norm = |d: i32| if d < 0 { 28 + d } else { d };
        if norm(b.0) > norm(e.0) {
            return Err(format!(
                "end day {} is always before start day {}",
                e.0, b.0
            ));
        }
        Ok(())
    }
}

/// A month, 1 = January.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month(pub u32);

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            MONTHS
                .get((self.0 as usize).wrapping_sub(1))
                .copied()
                .unwrap_or("?"),
        )
    }
}

impl RangeMember for Month {
    fn parse(s: &str) -> Result<Self, String> {
        if let Some(i) = MONTHS.iter().position(|m| *m == s) {
            return Ok(Month(i as u32 + 1));
        }
        match s.parse::<u32>() {
            Ok(n) if (1..=12).contains(&n) => Ok(Month(n)),
            Ok(_) => Err(format!("{s} is not a valid month: out of range")),
            Err(_) => Err(format!("{s} is not a valid month")),
        }
    }
    fn check(b: Self, e: Self, _: &str) -> Result<(), String> {
        if b.0 > e.0 {
            return Err(format!("end month {e} is before start month {b}"));
        }
        Ok(())
    }
}

/// A year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Year(pub i32);

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl RangeMember for Year {
    fn parse(s: &str) -> Result<Self, String> {
        s.parse()
            .map(Year)
            .map_err(|_| format!("strconv.Atoi: parsing {s:?}: invalid syntax"))
    }
    fn check(b: Self, e: Self, _: &str) -> Result<(), String> {
        if b.0 > e.0 {
            return Err(format!("end year {} is before start year {}", e.0, b.0));
        }
        Ok(())
    }
}

/// A time zone name, checked against the system's zone database as Go's
/// `time.LoadLocation` does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Location(pub String);

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let known = s.is_empty()
            || s == "UTC"
            || s == "Local"
            || (!s.contains("..")
                && !s.starts_with('/')
                && std::path::Path::new("/usr/share/zoneinfo")
                    .join(&s)
                    .is_file());
        if !known {
            return Err(de::Error::custom(format!("unknown time zone {s}")));
        }
        Ok(Location(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(y: &str) -> Result<TimeInterval, String> {
        serde_yaml_ng::from_str(y).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_and_checks() {
        let ti = interval(
            "times: [{start_time: '09:00', end_time: '17:00'}]\nweekdays: ['monday:friday']\n\
             days_of_month: ['1:5', '-3:-1']\nmonths: ['January:march', '12']\nyears: ['2020:2030']\n",
        )
        .unwrap();
        assert_eq!(ti.weekdays.as_ref().unwrap()[0].begin, Weekday(1));
        for (bad, msg) in [
            (
                "weekdays: ['friday:monday']",
                "start day cannot be before end day",
            ),
            ("weekdays: ['funday']", "funday is not a valid weekday"),
            ("days_of_month: ['0']", "0 is not a valid day of the month"),
            ("days_of_month: ['-3:2']", "end day must be negative"),
            (
                "months: ['march:january']",
                "end month january is before start month march",
            ),
            (
                "years: ['2021:2020']",
                "end year 2020 is before start year 2021",
            ),
            ("times: [{start_time: '10:00'}]", "both start and end times"),
            (
                "times: [{start_time: '10:00', end_time: '09:00'}]",
                "cannot be equal or greater",
            ),
            (
                "times: [{start_time: '25:00', end_time: '26:00'}]",
                "out of range",
            ),
            ("location: 'Mars/Base'", "unknown time zone"),
        ] {
            let e = interval(bad).unwrap_err();
            assert!(e.contains(msg), "{bad}: {e}");
        }
    }

    #[test]
    fn contains() {
        // 2024-03-04 10:30 UTC, a Monday.
        let t = CivilTime::from_unix_utc(1_709_548_200);
        assert_eq!(
            (t.year, t.month, t.day, t.weekday, t.minute),
            (2024, 3, 4, 1, 630)
        );
        let ti = interval(
            "times: [{start_time: '09:00', end_time: '17:00'}]\nweekdays: ['monday:friday']",
        )
        .unwrap();
        assert!(ti.contains(t));
        let ti = interval("weekdays: ['saturday', 'sunday']").unwrap();
        assert!(!ti.contains(t));
        let ti = interval("days_of_month: ['-31:-28']").unwrap();
        assert!(
            ti.contains(t),
            "March has 31 days: -31 is the 1st, -28 the 4th"
        );
        assert!(TimeInterval::default().contains(t));
    }
}
