//! Go's text formatting that promtool's `tsdb` output relies on:
//! `time.Duration.String`, `time.Time.String` in UTC, `units.Base2Bytes`
//! and `text/tabwriter` column alignment.

use std::fmt::Write;

use vigil_model::civil::civil_from_days;

/// Formats `nanos` like Go's `time.Duration.String`: `2h0m0s`, `15.001s`,
/// `1.5ms`, `0s`.
pub fn go_duration(nanos: i64) -> String {
    let neg = nanos < 0;
    let mut u = nanos.unsigned_abs();
    // Built backwards, like Go does, then reversed.
    let mut rev = String::new();
    if u < 1_000_000_000 {
        rev.push('s');
        let prec = match u {
            0 => return "0s".to_owned(),
            1..=999 => {
                rev.push('n');
                0
            }
            1_000..=999_999 => {
                rev.push('µ');
                3
            }
            _ => {
                rev.push('m');
                6
            }
        };
        u = push_frac_rev(&mut rev, u, prec);
        push_int_rev(&mut rev, u);
    } else {
        rev.push('s');
        u = push_frac_rev(&mut rev, u, 9);
        push_int_rev(&mut rev, u % 60);
        u /= 60;
        if u > 0 {
            rev.push('m');
            push_int_rev(&mut rev, u % 60);
            u /= 60;
            if u > 0 {
                rev.push('h');
                push_int_rev(&mut rev, u);
            }
        }
    }
    if neg {
        rev.push('-');
    }
    rev.chars().rev().collect()
}

/// Pushes (reversed) the `prec` fractional digits of `v / 10^prec` without
/// trailing zeros, and the point if any digit remains; returns the integer
/// part.
fn push_frac_rev(rev: &mut String, mut v: u64, prec: u32) -> u64 {
    let mut printed = false;
    for _ in 0..prec {
        let digit = v % 10;
        printed = printed || digit != 0;
        if printed {
            rev.push(char::from(b'0' + digit as u8));
        }
        v /= 10;
    }
    if printed {
        rev.push('.');
    }
    v
}

fn push_int_rev(rev: &mut String, mut v: u64) {
    if v == 0 {
        rev.push('0');
        return;
    }
    while v > 0 {
        rev.push(char::from(b'0' + (v % 10) as u8));
        v /= 10;
    }
}

/// Formats seconds since the epoch like Go's `time.Unix(s, 0).UTC().String()`:
/// `2023-11-14 22:13:20 +0000 UTC`.
pub fn go_time_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let year = if y < 0 {
        format!("-{:04}", -y)
    } else {
        format!("{y:04}")
    };
    format!(
        "{year}-{m:02}-{d:02} {:02}:{:02}:{:02} +0000 UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Formats a byte count like `units.Base2Bytes.String`: every non-zero
/// unit from the largest down, e.g. `12MiB`, `1KiB512B`, `0B`.
pub fn base2_bytes(n: i64) -> String {
    const UNITS: [&str; 7] = ["", "K", "M", "G", "T", "P", "E"];
    let mut parts: Vec<String> = Vec::new();
    let mut n = n;
    for (i, unit) in UNITS.iter().enumerate() {
        let part = n % 1024;
        if part != 0 || (i == 0 && n == 0) {
            let suffix = if i == 0 { "B" } else { "iB" };
            parts.push(format!("{part}{unit}{suffix}"));
        }
        n /= 1024;
        if n == 0 {
            break;
        }
    }
    parts.reverse();
    parts.concat()
}

/// Aligns rows like Go's `tabwriter.NewWriter(w, minwidth, 0, padding, ' ', 0)`
/// when every cell but each row's last is followed by a tab: each column is
/// as wide as its widest cell plus `padding`, but at least `minwidth`.
pub fn tabwrite(rows: &[Vec<String>], minwidth: usize, padding: usize) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            let w = (cell.chars().count() + padding).max(minwidth);
            if i == widths.len() {
                widths.push(w);
            } else if widths[i] < w {
                widths[i] = w;
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            if i < last {
                let _ = write!(out, "{cell:<width$}", width = widths[i]);
            } else {
                out.push_str(cell);
            }
        }
        out.push('\n');
    }
    out
}

/// Parses a Go duration (`time.ParseDuration`: `2h`, `1h30m`, `90s`,
/// `1.5h`, `0`) into milliseconds, truncating below a millisecond.
pub fn parse_go_duration(s: &str) -> Option<i64> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut nanos: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        nanos += num * scale;
    }
    if nanos > i64::MAX as f64 {
        return None;
    }
    let ms = (nanos as i64) / 1_000_000;
    Some(if neg { -ms } else { ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(7_200_000 * 1_000_000), "2h0m0s");
        assert_eq!(go_duration(15_001 * 1_000_000), "15.001s");
        assert_eq!(go_duration(1_500_000), "1.5ms");
        assert_eq!(go_duration(1_500), "1.5µs");
        assert_eq!(go_duration(999), "999ns");
        assert_eq!(go_duration(90_500 * 1_000_000), "1m30.5s");
        assert_eq!(go_duration(-61_000_000_000), "-1m1s");
    }

    #[test]
    fn times() {
        assert_eq!(go_time_utc(1_700_000_000), "2023-11-14 22:13:20 +0000 UTC");
        assert_eq!(go_time_utc(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(go_time_utc(-1), "1969-12-31 23:59:59 +0000 UTC");
        assert_eq!(go_time_utc(951_782_400), "2000-02-29 00:00:00 +0000 UTC");
    }

    #[test]
    fn parse_durations() {
        assert_eq!(parse_go_duration("2h"), Some(7_200_000));
        assert_eq!(parse_go_duration("1h30m"), Some(5_400_000));
        assert_eq!(parse_go_duration("1.5s"), Some(1_500));
        assert_eq!(parse_go_duration("0"), Some(0));
        assert_eq!(parse_go_duration("2"), None);
        assert_eq!(parse_go_duration("h"), None);
        assert_eq!(parse_go_duration(""), None);
    }

    #[test]
    fn bytes() {
        assert_eq!(base2_bytes(0), "0B");
        assert_eq!(base2_bytes(826), "826B");
        assert_eq!(base2_bytes(1536), "1KiB512B");
        assert_eq!(base2_bytes(12 << 20), "12MiB");
    }

    #[test]
    fn tabs() {
        let rows = vec![
            vec![
                "A".to_owned(),
                "LONGER CELL HERE".to_owned(),
                "x".to_owned(),
            ],
            vec!["bb".to_owned(), "c".to_owned(), "yy".to_owned()],
        ];
        assert_eq!(
            tabwrite(&rows, 13, 2),
            "A            LONGER CELL HERE  x\nbb           c                 yy\n"
        );
    }
}
