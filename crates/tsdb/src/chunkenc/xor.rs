//! The XOR float chunk (encoding 1), bit-compatible with Prometheus'
//! `tsdb/chunkenc/xor.go` and described in `tsdb/docs/format/chunks.md`:
//!
//! ```text
//! ┌──────────────────────┬───────────────┬───────────────┬──────────────────────┬──────────────────────┬──────────────────────┬──────────────────────┬─────┐
//! │ num_samples <uint16> │ ts_0 <varint> │ v_0 <float64> │ ts_1_delta <uvarint> │ v_1_xor <varbit_xor> │ ts_2_dod <varbit_ts> │ v_2_xor <varbit_xor> │ ... │
//! └──────────────────────┴───────────────┴───────────────┴──────────────────────┴──────────────────────┴──────────────────────┴──────────────────────┴─────┘
//! ```
//!
//! `varbit_ts` (delta of deltas, milliseconds): `0` → 0; `10` + 14 bits;
//! `110` + 17 bits; `1110` + 20 bits; `1111` + 64 bits. An n-bit field holds
//! values in −(2ⁿ⁻¹−1) ..= 2ⁿ⁻¹.
//!
//! `varbit_xor` (Gorilla value XOR): `0` → same value; `10` + the meaningful
//! bits inside the previous leading/trailing-zero window; `11` + 5 bits of
//! leading zeros (capped at 31) + 6 bits of significant-bit count (0 means 64)
//! + the significant bits.

use super::bstream::{BitReader, BitWriter, write_uvarint, write_varint};
use crate::error::Error;

const WHAT: &str = "XOR chunk";

/// Most samples one chunk can count in its 16-bit header.
pub const MAX_SAMPLES: usize = u16::MAX as usize;

/// An XOR-encoded float chunk that can be appended to.
///
/// It keeps the appender state (last timestamp, value, delta and XOR window)
/// beside the bytes so an append costs a few bit writes, not a re-read.
#[derive(Debug, Clone)]
pub struct XorChunk {
    w: BitWriter,
    t: i64,
    v: f64,
    t_delta: u64,
    leading: u8,
    trailing: u8,
}

impl Default for XorChunk {
    fn default() -> XorChunk {
        XorChunk::new()
    }
}

impl XorChunk {
    /// An empty chunk (just the zero sample count).
    pub fn new() -> XorChunk {
        XorChunk {
            w: BitWriter::from_bytes(vec![0, 0], 0),
            t: 0,
            v: 0.0,
            t_delta: 0,
            leading: 0xff,
            trailing: 0,
        }
    }

    /// Wraps encoded chunk bytes (e.g. read from disk) so more samples can be
    /// appended; the appender state is recovered by decoding every sample.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<XorChunk, Error> {
        let mut it = XorIter::new(&bytes)?;
        let mut last = None;
        for s in it.by_ref() {
            last = Some(s);
        }
        if let Some(e) = it.take_err() {
            return Err(e);
        }
        let (t, v, t_delta, leading, trailing) = match last {
            Some((t, v)) => (t, v, it.t_delta, it.leading, it.trailing),
            None => (0, 0.0, 0, 0xff, 0),
        };
        let used_bits = it.r.bit_pos();
        let free = ((8 - used_bits % 8) % 8) as u8;
        let mut bytes = bytes;
        bytes.truncate(used_bits.div_ceil(8));
        Ok(XorChunk {
            w: BitWriter::from_bytes(bytes, free),
            t,
            v,
            t_delta,
            leading,
            trailing,
        })
    }

    /// The encoded bytes, sample-count header included.
    pub fn bytes(&self) -> &[u8] {
        self.w.bytes()
    }

    /// Number of samples in the chunk.
    pub fn num_samples(&self) -> usize {
        num_samples(self.w.bytes())
    }

    /// Timestamp of the last appended sample (meaningless when empty).
    pub fn last_timestamp(&self) -> i64 {
        self.t
    }

    /// Value of the last appended sample (meaningless when empty).
    pub(crate) fn last_value(&self) -> f64 {
        self.v
    }

    /// Appends a sample. Timestamps must not decrease (the head checks that);
    /// a chunk holds at most [`MAX_SAMPLES`].
    pub fn append(&mut self, t: i64, v: f64) -> Result<(), Error> {
        let n = self.num_samples();
        if n >= MAX_SAMPLES {
            return Err(Error::ChunkFull(n));
        }
        let mut t_delta = 0u64;
        match n {
            0 => {
                write_varint(&mut self.w, t);
                self.w.write_bits(v.to_bits(), 64);
            }
            1 => {
                t_delta = t.wrapping_sub(self.t) as u64;
                write_uvarint(&mut self.w, t_delta);
                self.write_value(v);
            }
            _ => {
                t_delta = t.wrapping_sub(self.t) as u64;
                let dod = t_delta.wrapping_sub(self.t_delta) as i64;
                if dod == 0 {
                    self.w.write_bit(false);
                } else if fits(dod, 14) {
                    self.w.write_bits(0b10, 2);
                    self.w.write_bits(dod as u64, 14);
                } else if fits(dod, 17) {
                    self.w.write_bits(0b110, 3);
                    self.w.write_bits(dod as u64, 17);
                } else if fits(dod, 20) {
                    self.w.write_bits(0b1110, 4);
                    self.w.write_bits(dod as u64, 20);
                } else {
                    self.w.write_bits(0b1111, 4);
                    self.w.write_bits(dod as u64, 64);
                }
                self.write_value(v);
            }
        }
        self.t = t;
        self.v = v;
        self.t_delta = t_delta;
        let count = ((n + 1) as u16).to_be_bytes();
        let bytes = self.w.bytes_mut();
        bytes[0] = count[0];
        bytes[1] = count[1];
        Ok(())
    }

    fn write_value(&mut self, v: f64) {
        xor_write(
            &mut self.w,
            v,
            self.v,
            &mut self.leading,
            &mut self.trailing,
        );
    }

    /// Iterates the chunk's samples.
    pub fn iter(&self) -> XorIter<'_> {
        XorIter::new_unchecked(self.w.bytes())
    }
}

/// Writes `new` as a Gorilla XOR against `cur`, reusing the previous
/// leading/trailing-zero window when it fits (`leading == 0xff`: no window yet).
pub(crate) fn xor_write(
    w: &mut BitWriter,
    new: f64,
    cur: f64,
    leading: &mut u8,
    trailing: &mut u8,
) {
    let delta = new.to_bits() ^ cur.to_bits();
    if delta == 0 {
        w.write_bit(false);
        return;
    }
    w.write_bit(true);
    // Capped so the count fits in 5 bits; the extra zeros are then
    // written as part of the significant bits.
    let lead = (delta.leading_zeros() as u8).min(31);
    let trail = delta.trailing_zeros() as u8;
    if *leading != 0xff && lead >= *leading && trail >= *trailing {
        w.write_bit(false);
        let width = 64 - *leading as u32 - *trailing as u32;
        w.write_bits(delta >> *trailing, width);
        return;
    }
    *leading = lead;
    *trailing = trail;
    w.write_bit(true);
    w.write_bits(lead as u64, 5);
    // 64 significant bits do not fit in 6 bits; they are written as 0,
    // which can never mean "no bits" because delta != 0 here.
    let sig = 64 - lead as u32 - trail as u32;
    w.write_bits((sig & 63) as u64, 6);
    w.write_bits(delta >> trail, sig);
}

/// Reads a value written by [`xor_write`], updating `v` and the window.
pub(crate) fn xor_read(
    r: &mut BitReader<'_>,
    v: &mut f64,
    leading: &mut u8,
    trailing: &mut u8,
    what: &'static str,
) -> Result<(), Error> {
    if !r.read_bit(what)? {
        return Ok(());
    }
    if r.read_bit(what)? {
        *leading = r.read_bits(5, what)? as u8;
        let mut sig = r.read_bits(6, what)? as u8;
        if sig == 0 {
            sig = 64;
        }
        *trailing = 64u8.saturating_sub(*leading).saturating_sub(sig);
    }
    let width = 64u32.saturating_sub(*leading as u32 + *trailing as u32);
    if width == 0 {
        return Err(Error::Corrupt {
            what,
            message: "value XOR with no meaningful bits".into(),
        });
    }
    let bits = r.read_bits(width, what)?;
    *v = f64::from_bits(v.to_bits() ^ (bits << *trailing));
    Ok(())
}

/// Whether `x` fits an n-bit delta-of-delta field as Prometheus defines it.
pub(crate) fn fits(x: i64, nbits: u32) -> bool {
    let half = 1i64 << (nbits - 1);
    -(half - 1) <= x && x <= half
}

/// Sample count from the 2-byte header (0 for a too-short buffer).
pub fn num_samples(bytes: &[u8]) -> usize {
    match bytes {
        [a, b, ..] => u16::from_be_bytes([*a, *b]) as usize,
        _ => 0,
    }
}

/// Decodes an XOR chunk's samples in order. On corrupt data iteration stops
/// and [`XorIter::take_err`] tells why.
#[derive(Debug)]
pub struct XorIter<'a> {
    r: BitReader<'a>,
    total: usize,
    read: usize,
    t: i64,
    v: f64,
    t_delta: u64,
    leading: u8,
    trailing: u8,
    err: Option<Error>,
}

impl<'a> XorIter<'a> {
    /// An iterator over encoded chunk bytes; fails if the header is missing.
    pub fn new(bytes: &'a [u8]) -> Result<XorIter<'a>, Error> {
        if bytes.len() < 2 {
            return Err(Error::Corrupt {
                what: WHAT,
                message: format!("{} bytes is too short for the header", bytes.len()),
            });
        }
        Ok(XorIter::new_unchecked(bytes))
    }

    fn new_unchecked(bytes: &'a [u8]) -> XorIter<'a> {
        let mut r = BitReader::new(bytes);
        // A too-short buffer reads as zero samples.
        let total = r.read_bits(16, WHAT).map(|n| n as usize).unwrap_or(0);
        XorIter {
            r,
            total,
            read: 0,
            t: 0,
            v: 0.0,
            t_delta: 0,
            leading: 0,
            trailing: 0,
            err: None,
        }
    }

    /// The error that stopped iteration early, if any.
    pub fn take_err(&mut self) -> Option<Error> {
        self.err.take()
    }

    fn step(&mut self) -> Result<(i64, f64), Error> {
        match self.read {
            0 => {
                self.t = self.r.read_varint(WHAT)?;
                self.v = f64::from_bits(self.r.read_bits(64, WHAT)?);
            }
            1 => {
                self.t_delta = self.r.read_uvarint(WHAT)?;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?;
            }
            _ => {
                let mut prefix = 0u8;
                for _ in 0..4 {
                    if !self.r.read_bit(WHAT)? {
                        break;
                    }
                    prefix += 1;
                }
                let dod = match prefix {
                    0 => 0,
                    4 => self.r.read_bits(64, WHAT)? as i64,
                    p => {
                        let sz = [0, 14, 17, 20][p as usize];
                        let mut bits = self.r.read_bits(sz, WHAT)?;
                        if bits > 1 << (sz - 1) {
                            bits = bits.wrapping_sub(1 << sz);
                        }
                        bits as i64
                    }
                };
                self.t_delta = (self.t_delta as i64).wrapping_add(dod) as u64;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?;
            }
        }
        self.read += 1;
        Ok((self.t, self.v))
    }

    fn read_value(&mut self) -> Result<(), Error> {
        xor_read(
            &mut self.r,
            &mut self.v,
            &mut self.leading,
            &mut self.trailing,
            WHAT,
        )
    }
}

impl Iterator for XorIter<'_> {
    type Item = (i64, f64);

    fn next(&mut self) -> Option<(i64, f64)> {
        if self.read >= self.total || self.err.is_some() {
            return None;
        }
        match self.step() {
            Ok(s) => Some(s),
            Err(e) => {
                self.err = Some(e);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(samples: &[(i64, f64)]) -> XorChunk {
        let mut c = XorChunk::new();
        for &(t, v) in samples {
            c.append(t, v).unwrap();
        }
        let got: Vec<_> = c.iter().collect();
        assert_eq!(got.len(), samples.len());
        for (g, w) in got.iter().zip(samples) {
            assert_eq!(g.0, w.0);
            assert_eq!(g.1.to_bits(), w.1.to_bits(), "at t={}", w.0);
        }
        c
    }

    #[test]
    fn encodes_like_prometheus() {
        // Bytes produced by Prometheus' xorAppender for these samples
        // (computed by hand from the format: see the module docs).
        let c = round_trip(&[(1000, 1.0), (2000, 1.0), (3000, 2.0)]);
        assert_eq!(&c.bytes()[..2], &[0, 3]);
        // ts_0 = varint(1000) = zigzag 2000 = 0xd0 0x0f; v_0 = 1.0 bits.
        assert_eq!(&c.bytes()[2..4], &[0xd0, 0x0f]);
        assert_eq!(&c.bytes()[4..12], &1.0f64.to_bits().to_be_bytes());
        // ts_1_delta = uvarint(1000) = 0xe8 0x07, then value bit 0 (same value).
        assert_eq!(&c.bytes()[12..14], &[0xe8, 0x07]);
        // dod 0 → '0'; 2.0 ^ 1.0 = 0x7ff0…: leading 1, trailing 52, sig 11 → '11' 00001 001011 + 11 bits.
        assert_eq!(c.bytes()[14] >> 6, 0b00);
    }

    #[test]
    fn all_delta_widths_and_special_values() {
        let mut samples = Vec::new();
        let mut t = -5_000i64;
        let deltas = [1, 15, 15, 8207, 9000, 70_000, 600_000, 1 << 40, 3, 3, 2];
        let values = [
            0.0,
            -0.0,
            1.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            vigil_model::stale_nan(),
            1e-300,
            1e300,
            42.0,
            42.0,
            7.25,
        ];
        for (i, v) in values.iter().enumerate() {
            samples.push((t, *v));
            t += deltas.get(i).copied().unwrap_or(1000);
        }
        round_trip(&samples);
    }

    #[test]
    fn reopen_and_append() {
        let c = round_trip(&[(10, 1.0), (20, 2.5), (35, 2.5), (36, -8.0)]);
        let mut reopened = XorChunk::from_bytes(c.bytes().to_vec()).unwrap();
        reopened.append(50, 9.0).unwrap();
        let mut fresh = c.clone();
        fresh.append(50, 9.0).unwrap();
        assert_eq!(reopened.bytes(), fresh.bytes());
    }

    #[test]
    fn corrupt_data_is_an_error_not_a_panic() {
        let c = round_trip(&[(10, 1.0), (20, 2.5), (35, 3.5), (36, -8.0)]);
        for cut in 0..c.bytes().len() {
            let bytes = &c.bytes()[..cut];
            if let Ok(mut it) = XorIter::new(bytes) {
                let n = it.by_ref().count();
                assert!(n <= 4);
            }
        }
        let mut bad = c.bytes().to_vec();
        bad[1] = 200; // claims more samples than encoded
        let mut it = XorIter::new(&bad).unwrap();
        // Padding zeros decode as repeats of the last sample until the bits
        // run out; then the iterator stops with an error.
        assert!(it.by_ref().count() < 200);
        assert!(matches!(it.take_err(), Some(Error::UnexpectedEof { .. })));
    }
}
