//! Calendar arithmetic on the proleptic Gregorian calendar in UTC: the
//! conversions between Unix time and year/month/day/time of day that
//! timestamp formats (RFC 3339, AWS' `X-Amz-Date`, Go's layouts) are
//! built on. Days are counted from 1970-01-01 (Howard Hinnant's
//! algorithms, exact for every `i64` day count that fits a year in `i64`).

/// The number of days from 1970-01-01 to the given date; `month` is 1–12
/// and `day` 1–31 (out-of-range values are carried arithmetically, not
/// checked).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month 1–12, day 1–31) `days` days after 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Both are small and positive by construction (1–31, 1–12).
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A point in time broken into UTC calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcDateTime {
    /// The year (astronomical: 0 is 1 BC).
    pub year: i64,
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
    /// 0–23.
    pub hour: u32,
    /// 0–59.
    pub minute: u32,
    /// 0–59 (Unix time has no leap seconds).
    pub second: u32,
    /// 0–999 999 999.
    pub nanosecond: u32,
}

impl UtcDateTime {
    /// The calendar fields of `secs` seconds and `nanos` nanoseconds after
    /// the Unix epoch (negative `secs` are before it; `nanos` is added).
    pub fn from_unix(secs: i64, nanos: u32) -> UtcDateTime {
        let secs = secs + i64::from(nanos / 1_000_000_000);
        let nanos = nanos % 1_000_000_000;
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let tod = secs.rem_euclid(86_400) as u32;
        UtcDateTime {
            year,
            month,
            day,
            hour: tod / 3600,
            minute: tod / 60 % 60,
            second: tod % 60,
            nanosecond: nanos,
        }
    }

    /// The calendar fields of a [`std::time::SystemTime`].
    pub fn from_system_time(t: std::time::SystemTime) -> UtcDateTime {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => UtcDateTime::from_unix(d.as_secs() as i64, d.subsec_nanos()),
            Err(e) => {
                let d = e.duration();
                let (secs, nanos) = if d.subsec_nanos() == 0 {
                    (-(d.as_secs() as i64), 0)
                } else {
                    (-(d.as_secs() as i64) - 1, 1_000_000_000 - d.subsec_nanos())
                };
                UtcDateTime::from_unix(secs, nanos)
            }
        }
    }

    /// Whole seconds since the Unix epoch (the nanoseconds are dropped).
    pub fn unix_seconds(&self) -> i64 {
        days_from_civil(self.year, i64::from(self.month), i64::from(self.day)) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        let t = UtcDateTime::from_unix(1_440_938_160, 0);
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second),
            (2015, 8, 30, 12, 36, 0)
        );
        assert_eq!(t.unix_seconds(), 1_440_938_160);
    }

    #[test]
    fn round_trip_over_a_wide_range() {
        let mut d = -800_000;
        while d < 800_000 {
            let (y, m, day) = civil_from_days(d);
            assert_eq!(days_from_civil(y, i64::from(m), i64::from(day)), d);
            d += 97;
        }
    }

    #[test]
    fn before_the_epoch() {
        let t = UtcDateTime::from_system_time(
            std::time::UNIX_EPOCH - std::time::Duration::from_millis(1500),
        );
        assert_eq!((t.year, t.hour, t.minute, t.second), (1969, 23, 59, 58));
        assert_eq!(t.nanosecond, 500_000_000);
    }
}
