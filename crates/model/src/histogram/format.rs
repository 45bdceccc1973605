//! Text form of histograms and buckets, as Prometheus' `String()` methods
//! print them (`model/histogram/histogram.go`, `float_histogram.go`,
//! `generic.go`): `{count:5, sum:12.5, [-4,-2):1, [-0.001,0.001]:2, (1,2]:2}`.
//!
//! Floats are written like Go's `%g` (exponent form below 1e-4 and from 1e6
//! on, shortest round-trip digits) and counts like `%v` (the same, but
//! exponent form only from 1e21 on).

use std::fmt::{self, Write};

use super::iter::{Bucket, BucketCount};
use super::{FloatHistogram, Histogram};

/// Go's shortest `%g` (`eprec` 6) or `%v` (`eprec` 21) formatting of `f`.
pub(crate) fn go_float(f: f64, eprec: i32) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0");
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.2345e-7".
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::from(sign);
    if exp < -4 || exp >= eprec {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if exp < 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-exp - 1) as usize));
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            out.push_str(&"0".repeat(int_len - digits.len()));
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

impl<C: BucketCount> fmt::Display for Bucket<C> {
    /// `(lower,upper]:count`, brackets showing which bounds are inclusive.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char(if self.lower_inclusive { '[' } else { '(' })?;
        write!(f, "{},{}", go_float(self.lower, 6), go_float(self.upper, 6))?;
        f.write_char(if self.upper_inclusive { ']' } else { ')' })?;
        write!(f, ":{}", self.count.to_go_string())
    }
}

fn write_buckets<C: BucketCount>(
    f: &mut fmt::Formatter<'_>,
    negative: impl Iterator<Item = Bucket<C>>,
    zero: Option<Bucket<C>>,
    positive: impl Iterator<Item = Bucket<C>>,
    is_zero: impl Fn(C) -> bool,
) -> fmt::Result {
    let neg: Vec<Bucket<C>> = negative.filter(|b| !is_zero(b.count)).collect();
    for b in neg.iter().rev() {
        write!(f, ", {b}")?;
    }
    if let Some(z) = zero.filter(|z| !is_zero(z.count)) {
        write!(f, ", {z}")?;
    }
    for b in positive.filter(|b| !is_zero(b.count)) {
        write!(f, ", {b}")?;
    }
    f.write_char('}')
}

impl fmt::Display for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{count:{}, sum:{}", self.count, go_float(self.sum, 6))?;
        write_buckets(
            f,
            self.negative_buckets(),
            self.zero_bucket(),
            self.positive_buckets(),
            |c| c == 0,
        )
    }
}

impl fmt::Display for FloatHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{count:{}, sum:{}",
            go_float(self.count, 6),
            go_float(self.sum, 6)
        )?;
        write_buckets(
            f,
            self.negative_buckets(),
            self.zero_bucket(),
            self.positive_buckets(),
            |c| c == 0.0,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CUSTOM_BUCKETS_SCHEMA, Span};
    use super::*;

    #[test]
    fn go_g_formatting() {
        for (f, want) in [
            (0.5, "0.5"),
            (1.0, "1"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001234, "1.234e-05"),
            (-2.5, "-2.5"),
            (-0.0, "-0"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (1e100, "1e+100"),
        ] {
            assert_eq!(go_float(f, 6), want, "{f}");
        }
        assert_eq!(go_float(1e6, 21), "1000000");
        assert_eq!(go_float(1e21, 21), "1e+21");
    }

    #[test]
    fn histogram_strings_like_prometheus() {
        let h = Histogram {
            schema: 0,
            zero_threshold: 0.001,
            zero_count: 2,
            count: 9,
            sum: 12.5,
            positive_spans: vec![Span {
                offset: 1,
                length: 2,
            }],
            positive_buckets: vec![2, -2], // 2, 0
            negative_spans: vec![Span {
                offset: 1,
                length: 2,
            }],
            negative_buckets: vec![1, 3], // 1, 4
            ..Histogram::default()
        };
        assert_eq!(
            h.to_string(),
            "{count:9, sum:12.5, [-4,-2):4, [-2,-1):1, [-0.001,0.001]:2, (1,2]:2}"
        );
        let mut fh = h.to_float();
        fh.mul(0.5);
        assert_eq!(
            fh.to_string(),
            "{count:4.5, sum:6.25, [-4,-2):2, [-2,-1):0.5, [-0.001,0.001]:1, (1,2]:1}"
        );
        let c = FloatHistogram {
            schema: CUSTOM_BUCKETS_SCHEMA,
            count: 3.0,
            sum: 1.0,
            positive_spans: vec![Span {
                offset: 0,
                length: 2,
            }],
            positive_buckets: vec![1.0, 2.0],
            custom_values: vec![1.0],
            ..FloatHistogram::default()
        };
        assert_eq!(c.to_string(), "{count:3, sum:1, [-Inf,1]:1, (1,+Inf]:2}");
    }
}
