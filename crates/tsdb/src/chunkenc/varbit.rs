//! Variable-bit-width integers used by the histogram chunks: a unary prefix
//! of 1 bits picks the payload width, tuned for the small
//! deltas-of-deltas of bucket counts.
//!
//! | prefix | signed range | unsigned range | payload bits |
//! |---|---|---|---|
//! | `0` | 0 | 0 | 0 |
//! | `10` | −3 ..= 4 | ..= 7 | 3 |
//! | `110` | −31 ..= 32 | ..= 63 | 6 |
//! | `1110` | −255 ..= 256 | ..= 511 | 9 |
//! | `11110` | −2047 ..= 2048 | ..= 4095 | 12 |
//! | `111110` | ±2¹⁷ | < 2¹⁸ | 18 |
//! | `1111110` | ±2²⁴ | < 2²⁵ | 25 |
//! | `11111110` | ±2⁵⁵ | < 2⁵⁶ | 56 |
//! | `11111111` | any | any | 64 |

use super::bstream::{BitReader, BitWriter};
use super::xor::fits;
use crate::error::Error;

const WIDTHS: [u32; 7] = [3, 6, 9, 12, 18, 25, 56];

/// Writes a signed varbit integer.
pub(crate) fn put_varbit_int(w: &mut BitWriter, v: i64) {
    if v == 0 {
        w.write_bit(false);
        return;
    }
    for (i, &n) in WIDTHS.iter().enumerate() {
        if fits(v, n) {
            // i+1 one bits, then a zero.
            w.write_bits(((1u64 << (i + 1)) - 1) << 1, i as u32 + 2);
            w.write_bits(v as u64 & ((1u64 << n) - 1), n);
            return;
        }
    }
    w.write_bits(0xff, 8);
    w.write_bits(v as u64, 64);
}

/// Writes an unsigned varbit integer.
pub(crate) fn put_varbit_uint(w: &mut BitWriter, v: u64) {
    if v == 0 {
        w.write_bit(false);
        return;
    }
    for (i, &n) in WIDTHS.iter().enumerate() {
        if v.leading_zeros() >= 64 - n {
            w.write_bits(((1u64 << (i + 1)) - 1) << 1, i as u32 + 2);
            w.write_bits(v, n);
            return;
        }
    }
    w.write_bits(0xff, 8);
    w.write_bits(v, 64);
}

/// Reads the unary width prefix: `None` for the 64-bit form.
fn read_width(r: &mut BitReader<'_>, what: &'static str) -> Result<Option<u32>, Error> {
    let mut ones = 0usize;
    while ones < 8 {
        if !r.read_bit(what)? {
            break;
        }
        ones += 1;
    }
    Ok(match ones {
        0 => Some(0),
        8 => None,
        k => Some(WIDTHS[k - 1]),
    })
}

/// Reads a signed varbit integer.
pub(crate) fn read_varbit_int(r: &mut BitReader<'_>, what: &'static str) -> Result<i64, Error> {
    match read_width(r, what)? {
        Some(0) => Ok(0),
        Some(n) => {
            let mut bits = r.read_bits(n, what)?;
            if bits > 1 << (n - 1) {
                bits = bits.wrapping_sub(1 << n);
            }
            Ok(bits as i64)
        }
        None => Ok(r.read_bits(64, what)? as i64),
    }
}

/// Reads an unsigned varbit integer.
pub(crate) fn read_varbit_uint(r: &mut BitReader<'_>, what: &'static str) -> Result<u64, Error> {
    match read_width(r, what)? {
        Some(0) => Ok(0),
        Some(n) => r.read_bits(n, what),
        None => r.read_bits(64, what),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_at_every_boundary() {
        let mut ints = vec![0i64, 1, -1, i64::MIN, i64::MAX];
        for n in WIDTHS {
            let half = 1i64 << (n - 1);
            ints.extend([half, half + 1, -(half - 1), -half, half - 1]);
        }
        let uints: Vec<u64> = ints
            .iter()
            .map(|v| v.unsigned_abs())
            .chain([u64::MAX])
            .collect();
        let mut w = BitWriter::default();
        for v in &ints {
            put_varbit_int(&mut w, *v);
        }
        for v in &uints {
            put_varbit_uint(&mut w, *v);
        }
        let mut r = BitReader::new(w.bytes());
        for v in &ints {
            assert_eq!(read_varbit_int(&mut r, "t").unwrap(), *v);
        }
        for v in &uints {
            assert_eq!(read_varbit_uint(&mut r, "t").unwrap(), *v);
        }
    }

    #[test]
    fn widths_match_prometheus() {
        // 4 fits the 3-bit form: prefix 10 + 100 = 5 bits.
        let mut w = BitWriter::default();
        put_varbit_int(&mut w, 4);
        assert_eq!(w.bytes(), &[0b1010_0000]);
        let mut w = BitWriter::default();
        put_varbit_int(&mut w, -4);
        // -4 needs 6 bits: prefix 110 + 111100.
        assert_eq!(w.bytes(), &[0b1101_1110, 0]);
    }
}
