//! Time zones for the `tz` template function: the offset and abbreviation
//! in force at an instant, read from the system's zoneinfo files (TZif;
//! `$ZONEINFO` or `/usr/share/zoneinfo`, `Local` from `/etc/localtime`), and
//! a zoned `time.Time` value whose `Format`, `String` and printing use them.
//!
//! Instants past a file's last transition keep the last offset: the POSIX
//! rule in the file's footer is not evaluated (the "fat" files distributions
//! ship list transitions up to 2037).

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_template::time::format_time;
use vigil_template::{Func, Object, Param, Value};

/// An offset from UTC and its abbreviation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Offset {
    /// Seconds east of UTC.
    pub secs: i64,
    /// `CEST`, `EST`, ...
    pub abbrev: String,
}

fn be32(b: &[u8], at: usize) -> Option<i64> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(i64::from(i32::from_be_bytes(s)))
}

fn be64(b: &[u8], at: usize) -> Option<i64> {
    let s: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
    Some(i64::from_be_bytes(s))
}

/// The offset in force at `unix` seconds according to TZif data.
pub(crate) fn offset_at(data: &[u8], unix: i64) -> Option<Offset> {
    if data.get(..4)? != b"TZif" {
        return None;
    }
    let counts = |at: usize| -> Option<[usize; 6]> {
        let mut c = [0usize; 6];
        for (i, v) in c.iter_mut().enumerate() {
            *v = usize::try_from(be32(data, at + 20 + 4 * i)?).ok()?;
        }
        Some(c)
    };
    let [isut, isstd, leap, time, typ, chars] = counts(0)?;
    let v1_len = 44 + time * 5 + typ * 6 + chars + leap * 8 + isstd + isut;
    // Version 2+ files repeat the data with 64-bit times after the v1 block.
    let (base, width) = if data.get(4).is_some_and(|v| *v >= b'2') {
        (v1_len, 8)
    } else {
        (0, 4)
    };
    let [_, _, _, time, typ, chars] = counts(base)?;
    let times_at = base + 44;
    let idx_at = times_at + time * width;
    let types_at = idx_at + time;
    let chars_at = types_at + typ * 6;
    let read_time = |i: usize| {
        if width == 8 {
            be64(data, times_at + i * 8)
        } else {
            be32(data, times_at + i * 4)
        }
    };
    let mut ty = 0usize;
    for i in 0..time {
        if read_time(i)? > unix {
            break;
        }
        ty = usize::from(*data.get(idx_at + i)?);
    }
    let rec = types_at + ty * 6;
    let secs = be32(data, rec)?;
    let ai = usize::from(*data.get(rec + 5)?);
    let abbrev_bytes = data.get(chars_at + ai..chars_at + chars)?;
    let end = abbrev_bytes
        .iter()
        .position(|b| *b == 0)
        .unwrap_or(abbrev_bytes.len());
    let abbrev = String::from_utf8_lossy(abbrev_bytes.get(..end)?).into_owned();
    Some(Offset { secs, abbrev })
}

/// Reads zone `name`'s file; errors as Go's `time.LoadLocation` words them.
pub(crate) fn load(name: &str) -> Result<Vec<u8>, String> {
    let unknown = || format!("unknown time zone {name}");
    if name == "Local" {
        return std::fs::read("/etc/localtime").map_err(|_| unknown());
    }
    if name.is_empty()
        || name.starts_with('/')
        || name.split('/').any(|p| p == ".." || p.is_empty())
    {
        return Err(unknown());
    }
    let dir = std::env::var("ZONEINFO").unwrap_or_else(|_| "/usr/share/zoneinfo".into());
    std::fs::read(std::path::Path::new(&dir).join(name)).map_err(|_| unknown())
}

const ZONE_TOKENS: [&str; 11] = [
    "Z07:00:00",
    "-07:00:00",
    "Z070000",
    "-070000",
    "Z07:00",
    "-07:00",
    "Z0700",
    "-0700",
    "MST",
    "Z07",
    "-07",
];

fn zone_text(token: &str, off: &Offset) -> String {
    if token == "MST" {
        return off.abbrev.clone();
    }
    if token.starts_with('Z') && off.secs == 0 {
        return "Z".into();
    }
    let sign = if off.secs < 0 { '-' } else { '+' };
    let a = off.secs.abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    let body = token.trim_start_matches(['Z', '-']);
    match body {
        "07:00:00" => format!("{sign}{h:02}:{m:02}:{s:02}"),
        "070000" => format!("{sign}{h:02}{m:02}{s:02}"),
        "07:00" => format!("{sign}{h:02}:{m:02}"),
        "0700" => format!("{sign}{h:02}{m:02}"),
        _ => format!("{sign}{h:02}"),
    }
}

/// `Format(layout)` of `ns` in the zone: wall-clock fields shifted by the
/// offset, zone fields from it.
pub(crate) fn format_in(ns: i64, off: &Offset, layout: &str) -> String {
    let local = ns.saturating_add(off.secs.saturating_mul(1_000_000_000));
    let mut out = String::new();
    let mut rest = layout;
    while !rest.is_empty() {
        let next = ZONE_TOKENS
            .iter()
            .filter_map(|t| rest.find(t).map(|i| (i, *t)))
            .min_by_key(|(i, t)| (*i, usize::MAX - t.len()));
        match next {
            Some((i, t)) => {
                out.push_str(&format_time(local, rest.get(..i).unwrap_or("")));
                out.push_str(&zone_text(t, off));
                rest = rest.get(i + t.len()..).unwrap_or("");
            }
            None => {
                out.push_str(&format_time(local, rest));
                rest = "";
            }
        }
    }
    out
}

/// A `time.Time` at `ns` shown in zone `off`.
pub(crate) fn zoned(ns: i64, off: Offset) -> Value {
    let off = Arc::new(off);
    let mut methods = BTreeMap::new();
    let o = off.clone();
    methods.insert(
        "Format".into(),
        Func::new(vec![Param::Str], move |a| {
            let layout = a.first().and_then(Value::as_str).unwrap_or("");
            Ok(Value::from(format_in(ns, &o, layout)))
        }),
    );
    let o = off.clone();
    methods.insert(
        "String".into(),
        Func::new(vec![], move |_| {
            Ok(Value::from(format_in(
                ns,
                &o,
                "2006-01-02 15:04:05.999999999 -0700 MST",
            )))
        }),
    );
    Value::Object(Arc::new(Object {
        type_name: "time.Time".into(),
        data: Value::Time(ns),
        methods,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_from_the_system_database() {
        let Ok(data) = load("Europe/Berlin") else {
            eprintln!("skipped: no zoneinfo database");
            return;
        };
        // 2023-07-01T12:00:00Z is summer time, 2023-01-01 winter time.
        let summer = offset_at(&data, 1_688_212_800).unwrap();
        assert_eq!((summer.secs, summer.abbrev.as_str()), (7200, "CEST"));
        let winter = offset_at(&data, 1_672_574_400).unwrap();
        assert_eq!((winter.secs, winter.abbrev.as_str()), (3600, "CET"));
        let ns = 1_688_212_800_000_000_000;
        assert_eq!(
            format_in(ns, &summer, "2006-01-02 15:04 MST -07:00 Z0700"),
            "2023-07-01 14:00 CEST +02:00 +0200"
        );
        assert!(load("../etc/passwd").is_err());
        assert_eq!(
            load("No/Such_Zone").unwrap_err(),
            "unknown time zone No/Such_Zone"
        );
    }

    #[test]
    fn utc_offsets_print_z() {
        let utc = Offset {
            secs: 0,
            abbrev: "UTC".into(),
        };
        assert_eq!(format_in(0, &utc, "15:04Z07:00 MST"), "00:00Z UTC");
        let west = Offset {
            secs: -16_200,
            abbrev: "-0430".into(),
        };
        assert_eq!(format_in(0, &west, "15:04 -07:00"), "19:30 -04:30");
    }
}
