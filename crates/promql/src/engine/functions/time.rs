//! Calendar functions (`year`, `month`, `day_of_week`, `hour`, ...), on
//! the vector's values as Unix seconds in UTC, or on the step's time.

use vigil_model::Labels;

use super::{Out, map_vector};
use crate::ast::Call;
use crate::engine::eval::{EResult, Evaluator, Range, Val};
use crate::value::Sample;

/// Civil date of a day number (days since 1970-01-01): `(year, month, day)`.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The calendar field `name` of Unix time `secs`.
pub(crate) fn date_field(name: &str, secs: i64) -> f64 {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    let dim = |y: i64, m: u32| match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    match name {
        "year" => y as f64,
        "month" => m as f64,
        "day_of_month" => d as f64,
        "day_of_week" => (days + 4).rem_euclid(7) as f64,
        "day_of_year" => {
            let before: u32 = (1..m).map(|mm| dim(y, mm)).sum();
            (before + d) as f64
        }
        "days_in_month" => dim(y, m) as f64,
        "hour" => (sod / 3600) as f64,
        "minute" => (sod % 3600 / 60) as f64,
        _ => f64::NAN,
    }
}

/// Go's `int64(f)` conversion as amd64 does it (out-of-range gives the
/// minimum).
fn go_i64(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// Dispatches the functions of this family; `None` if `c` is not one.
pub(super) fn call(ev: &mut Evaluator<'_>, c: &Call, r: Range) -> EResult<Option<Val>> {
    let name = c.func.name;
    if !matches!(
        name,
        "year"
            | "month"
            | "day_of_month"
            | "day_of_week"
            | "day_of_year"
            | "days_in_month"
            | "hour"
            | "minute"
    ) {
        return Ok(None);
    }
    let Some(arg) = c.args.first() else {
        let out = (0..r.len())
            .map(|i| {
                vec![Sample {
                    metric: Labels::empty(),
                    t: 0,
                    f: date_field(name, r.ts(i).div_euclid(1000)),
                    h: None,
                    drop_name: false,
                }]
            })
            .collect();
        return Ok(Some(Val::Vector(out)));
    };
    let out = map_vector(ev, arg, r, &mut |_, s, _| {
        if s.h.is_some() {
            return None;
        }
        Some(Out::F(date_field(name, go_i64(s.f))))
    })?;
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        // 2024-02-29T13:45:00Z, a Thursday.
        let t = 1_709_214_300;
        assert_eq!(date_field("year", t), 2024.0);
        assert_eq!(date_field("month", t), 2.0);
        assert_eq!(date_field("day_of_month", t), 29.0);
        assert_eq!(date_field("day_of_week", t), 4.0);
        assert_eq!(date_field("day_of_year", t), 60.0);
        assert_eq!(date_field("days_in_month", t), 29.0);
        assert_eq!(date_field("hour", t), 13.0);
        assert_eq!(date_field("minute", t), 45.0);
        assert_eq!(date_field("year", 0), 1970.0);
    }
}
