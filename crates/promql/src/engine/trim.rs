//! The histogram trim operators `</` (keep observations below a value) and
//! `>/` (keep those above), as Prometheus' `FloatHistogram.TrimBuckets`:
//! buckets straddling the cut are split by interpolation, and count and
//! sum are re-estimated from bucket midpoints.

use vigil_model::{Bucket, FloatHistogram};

fn midpoint(lo: f64, hi: f64, positive: bool, linear: bool) -> f64 {
    if lo.is_infinite() {
        if hi.is_infinite() {
            return 0.0;
        }
        return if hi > 0.0 { hi / 2.0 } else { hi };
    }
    if hi.is_infinite() {
        return lo;
    }
    if linear {
        return (lo + hi) / 2.0;
    }
    let g = (lo * hi).abs().sqrt();
    if positive { g } else { -g }
}

fn fraction_below(b: &Bucket<f64>, v: f64, linear: bool) -> f64 {
    if linear {
        return (v - b.lower) / (b.upper - b.lower);
    }
    let (ll, lu, lv) = (b.lower.abs().log2(), b.upper.abs().log2(), v.abs().log2());
    if v > 0.0 {
        (lv - ll) / (lu - ll)
    } else {
        1.0 - (lv - lu) / (ll - lu)
    }
}

fn zero_if_inf(x: f64) -> f64 {
    if x.is_infinite() { 0.0 } else { x }
}

fn infinity_bucket(upper_trim: bool, b: &Bucket<f64>, rhs: f64) -> (f64, f64) {
    if b.lower == f64::NEG_INFINITY {
        if upper_trim {
            if rhs >= b.upper {
                return (b.count, 0.0);
            }
            if rhs > 0.0 && b.upper > 0.0 && b.upper.is_finite() {
                return (b.count * rhs / b.upper, rhs / 2.0);
            }
            if b.upper <= 0.0 {
                return (b.count, rhs);
            }
            return (0.0, zero_if_inf(b.upper));
        }
        if rhs <= b.lower {
            return (b.count, 0.0);
        }
        if rhs >= 0.0 && b.upper > rhs && b.upper.is_finite() {
            return (b.count * (1.0 - rhs / b.upper), (rhs + b.upper) / 2.0);
        }
        return (0.0, zero_if_inf(b.upper));
    }
    if upper_trim {
        return (0.0, zero_if_inf(b.lower));
    }
    if rhs >= b.lower {
        return (b.count, rhs);
    }
    (0.0, zero_if_inf(b.lower))
}

fn bucket_trim(
    b: &Bucket<f64>,
    rhs: f64,
    upper_trim: bool,
    positive: bool,
    custom: bool,
) -> (f64, f64) {
    if b.lower == f64::NEG_INFINITY || b.upper == f64::INFINITY {
        return infinity_bucket(upper_trim, b, rhs);
    }
    let under = if rhs <= b.lower {
        0.0
    } else if rhs >= b.upper {
        b.count
    } else {
        b.count * fraction_below(b, rhs, custom)
    };
    if upper_trim {
        (under, midpoint(b.lower, rhs, positive, custom))
    } else {
        (b.count - under, midpoint(rhs, b.upper, positive, custom))
    }
}

/// Trims `h` at `rhs`: `upper_trim` keeps what is below.
pub(crate) fn trim_buckets(h: &FloatHistogram, rhs: f64, upper_trim: bool) -> FloatHistogram {
    let mut out = h.clone();
    let custom = h.uses_custom_buckets();
    let (mut count, mut sum) = (0.0, 0.0);
    let mut trimmed = false;
    let (mut has_pos, mut has_neg) = (false, false);
    for positive in [true, false] {
        let buckets: Vec<Bucket<f64>> = if positive {
            h.positive_buckets().collect()
        } else {
            h.negative_buckets().collect()
        };
        for (i, b) in buckets.iter().enumerate() {
            if b.count == 0.0 {
                continue;
            }
            if positive {
                has_pos = true;
            } else {
                has_neg = true;
            }
            let whole = if upper_trim {
                b.upper <= rhs
            } else {
                b.lower >= rhs
            };
            let partial = if upper_trim {
                b.lower < rhs
            } else {
                b.upper > rhs
            };
            let slot = if positive {
                out.positive_buckets.get_mut(i)
            } else {
                out.negative_buckets.get_mut(i)
            };
            let Some(slot) = slot else { continue };
            if whole {
                count += b.count;
                sum += midpoint(b.lower, b.upper, positive, custom) * b.count;
            } else if partial {
                let (keep, mid) = bucket_trim(b, rhs, upper_trim, positive, custom);
                count += keep;
                sum += mid * keep;
                if *slot != keep {
                    *slot = keep;
                    trimmed = true;
                }
            } else {
                *slot = 0.0;
                trimmed = true;
            }
        }
    }
    if h.zero_count > 0.0 {
        let (mut lo, mut hi) = (-h.zero_threshold, h.zero_threshold);
        if has_neg && !has_pos {
            hi = 0.0;
        }
        if has_pos && !has_neg {
            lo = 0.0;
        }
        let zc = h.zero_count;
        let (keep, mid) = if upper_trim {
            if rhs <= lo {
                (0.0, 0.0)
            } else if rhs >= hi {
                (zc, (lo + hi) / 2.0)
            } else {
                (zc * (rhs - lo) / (hi - lo), (lo + rhs) / 2.0)
            }
        } else if rhs <= lo {
            (zc, (lo + hi) / 2.0)
        } else if rhs >= hi {
            (0.0, 0.0)
        } else {
            (zc * (hi - rhs) / (hi - lo), (rhs + hi) / 2.0)
        };
        if out.zero_count != keep {
            out.zero_count = keep;
            trimmed = true;
        }
        sum += mid * keep;
        count += keep;
    }
    if trimmed {
        out.count = count;
        out.sum = sum;
        out.compact(0);
    }
    out
}
