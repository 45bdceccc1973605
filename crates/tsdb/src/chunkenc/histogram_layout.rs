//! The part of a histogram chunk that every sample shares, written once
//! after the 3-byte header:
//!
//! ```text
//! zero_threshold <1 or 9 bytes> │ schema <varbit_int> │ positive spans │ negative spans │ custom values (schema −53 only)
//! spans: count <varbit_uint>, then (length <varbit_uint>, offset <varbit_int>) each
//! ```
//!
//! The zero threshold is one byte when it is 0 (byte 0) or a power of two
//! 2^-243 ..= 2^10 (byte = exponent + 243); otherwise 255 and the 8-byte
//! float. A custom bound x with 1000·x a whole number in 0 ..= 33554430 is
//! stored as varbit_uint(1000·x + 1); otherwise a 0 bit and the float.

use vigil_model::Span;
use vigil_model::histogram::CUSTOM_BUCKETS_SCHEMA;

use super::bstream::{BitReader, BitWriter};
use super::varbit::{put_varbit_int, put_varbit_uint, read_varbit_int, read_varbit_uint};
use crate::error::Error;

/// Schema, zero threshold and bucket layout shared by a chunk's samples.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    /// Bucket schema.
    pub schema: i32,
    /// Zero bucket width.
    pub zero_threshold: f64,
    /// Positive spans.
    pub positive_spans: Vec<Span>,
    /// Negative spans.
    pub negative_spans: Vec<Span>,
    /// Custom bounds (schema −53).
    pub custom_values: Vec<f64>,
}

impl Layout {
    /// Number of positive and negative buckets the spans describe.
    pub(crate) fn bucket_counts(&self) -> (usize, usize) {
        let count = |s: &[Span]| s.iter().map(|s| s.length as usize).sum();
        (count(&self.positive_spans), count(&self.negative_spans))
    }

    pub(crate) fn write(&self, w: &mut BitWriter) {
        write_zero_threshold(w, self.zero_threshold);
        put_varbit_int(w, self.schema as i64);
        write_spans(w, &self.positive_spans);
        write_spans(w, &self.negative_spans);
        if self.schema == CUSTOM_BUCKETS_SCHEMA {
            put_varbit_uint(w, self.custom_values.len() as u64);
            for v in &self.custom_values {
                write_custom_bound(w, *v);
            }
        }
    }

    pub(crate) fn read(r: &mut BitReader<'_>, what: &'static str) -> Result<Layout, Error> {
        let zero_threshold = read_zero_threshold(r, what)?;
        let schema = read_varbit_int(r, what)?;
        let schema = i32::try_from(schema)
            .ok()
            .filter(|s| (-4..=8).contains(s) || *s == CUSTOM_BUCKETS_SCHEMA)
            .ok_or_else(|| Error::Corrupt {
                what,
                message: format!("unknown histogram schema {schema}"),
            })?;
        let positive_spans = read_spans(r, what)?;
        let negative_spans = read_spans(r, what)?;
        let mut custom_values = Vec::new();
        if schema == CUSTOM_BUCKETS_SCHEMA {
            let n = read_varbit_uint(r, what)?;
            for _ in 0..n {
                custom_values.push(read_custom_bound(r, what)?);
            }
        }
        Ok(Layout {
            schema,
            zero_threshold,
            positive_spans,
            negative_spans,
            custom_values,
        })
    }
}

fn write_spans(w: &mut BitWriter, spans: &[Span]) {
    put_varbit_uint(w, spans.len() as u64);
    for s in spans {
        put_varbit_uint(w, s.length as u64);
        put_varbit_int(w, s.offset as i64);
    }
}

fn read_spans(r: &mut BitReader<'_>, what: &'static str) -> Result<Vec<Span>, Error> {
    let n = read_varbit_uint(r, what)?;
    let mut out = Vec::new();
    for _ in 0..n {
        let length = u32::try_from(read_varbit_uint(r, what)?).map_err(|_| Error::Corrupt {
            what,
            message: "span length out of range".into(),
        })?;
        let offset = i32::try_from(read_varbit_int(r, what)?).map_err(|_| Error::Corrupt {
            what,
            message: "span offset out of range".into(),
        })?;
        out.push(Span { offset, length });
        // Each span takes at least two bits; a count beyond the data is corrupt.
        if out.len() as u64 > 1 << 20 {
            return Err(Error::Corrupt {
                what,
                message: "implausible number of spans".into(),
            });
        }
    }
    Ok(out)
}

fn write_zero_threshold(w: &mut BitWriter, t: f64) {
    if t == 0.0 {
        w.write_byte(0);
        return;
    }
    // t = 0.5 · 2^exp exactly, with exp in -242 ..= 11.
    let bits = t.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1022;
    let mantissa = bits & ((1 << 52) - 1);
    if t > 0.0
        && mantissa == 0
        && (1..0x7ff).contains(&((bits >> 52) & 0x7ff))
        && (-242..=11).contains(&exp)
    {
        w.write_byte((exp + 243) as u8);
    } else {
        w.write_byte(255);
        w.write_bits(bits, 64);
    }
}

fn read_zero_threshold(r: &mut BitReader<'_>, what: &'static str) -> Result<f64, Error> {
    Ok(match r.read_byte(what)? {
        0 => 0.0,
        255 => f64::from_bits(r.read_bits(64, what)?),
        b => 0.5 * 2f64.powi(b as i32 - 243),
    })
}

fn write_custom_bound(w: &mut BitWriter, f: f64) {
    let tf = f * 1000.0;
    let whole = (tf.round() / 1000.0) == f;
    if !(0.0..=33_554_430.0).contains(&tf) || !whole {
        w.write_bit(false);
        w.write_bits(f.to_bits(), 64);
        return;
    }
    put_varbit_uint(w, tf.round() as u64 + 1);
}

fn read_custom_bound(r: &mut BitReader<'_>, what: &'static str) -> Result<f64, Error> {
    match read_varbit_uint(r, what)? {
        0 => Ok(f64::from_bits(r.read_bits(64, what)?)),
        n => Ok((n - 1) as f64 / 1000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_round_trip() {
        for (schema, zt, cv) in [
            (3, 0.0, vec![]),
            (-4, 2f64.powi(-128), vec![]),
            (0, 1e-7, vec![]),
            (8, 2f64.powi(10), vec![]),
            (
                CUSTOM_BUCKETS_SCHEMA,
                0.0,
                vec![0.005, 0.1, 1.0, 2.5, 1e9, -3.0, 0.1234567],
            ),
        ] {
            let l = Layout {
                schema,
                zero_threshold: zt,
                positive_spans: vec![
                    Span {
                        offset: -3,
                        length: 2,
                    },
                    Span {
                        offset: 5,
                        length: 1,
                    },
                ],
                negative_spans: vec![],
                custom_values: cv,
            };
            let mut w = BitWriter::default();
            l.write(&mut w);
            let got = Layout::read(&mut BitReader::new(w.bytes()), "t").unwrap();
            assert_eq!(got, l);
        }
    }

    #[test]
    fn power_of_two_threshold_is_one_byte() {
        let mut w = BitWriter::default();
        write_zero_threshold(&mut w, 2f64.powi(-128));
        assert_eq!(w.bytes(), &[(-127 + 243) as u8]);
    }
}
