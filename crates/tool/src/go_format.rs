//! Go's renderings of numbers and durations, as promtool prints them in its
//! messages: `strconv.FormatFloat(v, 'E', -1, 64)`, `time.Duration.String`
//! and `model.Duration.String`.

/// A float in Go's shortest `%E` form: `1E+00`, `-2.5E-07`, `NaN`, `+Inf`.
pub fn float_e(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    // Rust's `{:E}` is already the shortest round-trip mantissa; only the
    // exponent differs (Go signs it and pads it to two digits).
    let s = format!("{v:E}");
    let Some((mant, exp)) = s.split_once('E') else {
        return s;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}E{sign}{:02}", exp.unsigned_abs())
}

/// A float as Go's `strconv.FormatFloat(v, 'f', -1, 64)` and
/// `model.SampleValue.String` print it (`1`, `0.5`, `1e+21`, `NaN`).
pub fn float_g(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let exp = if v == 0.0 {
        0
    } else {
        v.abs().log10().floor() as i32
    };
    // Go's 'g' with shortest precision switches to exponent form below
    // 1e-4 and at 1e21 and above.
    if !(-4..21).contains(&exp) {
        let e = float_e(v).to_lowercase();
        return e;
    }
    format!("{v}")
}

/// A span of milliseconds as Go's `time.Duration.String` prints it:
/// `0s`, `500ms`, `1m0s`, `1h0m0s`, `1.5s`.
pub fn go_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let neg = ms < 0;
    let abs = ms.unsigned_abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if abs < 1000 {
        out.push_str(&format!("{abs}ms"));
        return out;
    }
    let h = abs / 3_600_000;
    let m = (abs / 60_000) % 60;
    let s = (abs / 1000) % 60;
    let frac = abs % 1000;
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&s.to_string());
    if frac > 0 {
        let f = format!("{frac:03}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out.push('s');
    out
}

/// A span of milliseconds as Prometheus' `model.Duration.String` prints
/// it (`0s`, `5m`, `1h30m`, `1d`).
pub fn model_duration(ms: i64) -> String {
    vigil_promql::format_duration(ms.saturating_mul(1_000_000))
}

/// Parses a Prometheus duration (`5m`, `1h30m`, `0`) into milliseconds.
pub fn parse_model_duration(s: &str) -> Result<i64, String> {
    vigil_promql::parse_duration(s).map(|ns| ns / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go() {
        assert_eq!(float_e(1.0), "1E+00");
        assert_eq!(float_e(0.0), "0E+00");
        assert_eq!(float_e(-2.5e-7), "-2.5E-07");
        assert_eq!(float_e(3.0000000000000004), "3.0000000000000004E+00");
        assert_eq!(float_e(1e100), "1E+100");
        assert_eq!(float_e(f64::INFINITY), "+Inf");
        assert_eq!(float_g(1.0), "1");
        assert_eq!(float_g(0.25), "0.25");
        assert_eq!(float_g(1e21), "1e+21");
        assert_eq!(float_g(1e-5), "1e-05");
    }

    #[test]
    fn durations_print_as_go() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(60_000), "1m0s");
        assert_eq!(go_duration(3_600_000), "1h0m0s");
        assert_eq!(go_duration(1500), "1.5s");
        assert_eq!(go_duration(250), "250ms");
        assert_eq!(model_duration(300_000), "5m");
        assert_eq!(model_duration(0), "0s");
        assert_eq!(parse_model_duration("1h30m"), Ok(5_400_000));
    }
}
