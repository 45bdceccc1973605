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
                // Prefix and payload go out as one write (appends are
                // hot): `10` + 14 bits, `110` + 17, `1110` + 20.
                let payload = |n: u32| dod as u64 & ((1u64 << n) - 1);
                if dod == 0 {
                    self.w.write_bit(false);
                } else if fits(dod, 14) {
                    self.w.write_bits(0b10 << 14 | payload(14), 16);
                } else if fits(dod, 17) {
                    self.w.write_bits(0b110 << 17 | payload(17), 20);
                } else if fits(dod, 20) {
                    self.w.write_bits(0b1110 << 20 | payload(20), 24);
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
    // Capped so the count fits in 5 bits; the extra zeros are then
    // written as part of the significant bits.
    let lead = (delta.leading_zeros() as u8).min(31);
    let trail = delta.trailing_zeros() as u8;
    if *leading != 0xff && lead >= *leading && trail >= *trailing {
        // `10` and the bits inside the window, as one write when they fit
        // (the shifted XOR has no bits above the window).
        let width = 64 - *leading as u32 - *trailing as u32;
        if width <= 62 {
            w.write_bits(0b10 << width | delta >> *trailing, width + 2);
        } else {
            w.write_bits(0b10, 2);
            w.write_bits(delta >> *trailing, width);
        }
        return;
    }
    *leading = lead;
    *trailing = trail;
    // `11`, 5 bits of leading zeros and 6 of significant-bit count in one
    // write. 64 significant bits do not fit in 6 bits; they are written as
    // 0, which can never mean "no bits" because delta != 0 here.
    let sig = 64 - lead as u32 - trail as u32;
    w.write_bits(0b11 << 11 | u64::from(lead) << 6 | u64::from(sig & 63), 13);
    w.write_bits(delta >> trail, sig);
}

/// Reads a value written by [`xor_write`], updating `v` and the window.
#[inline(always)]
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
        // 5 bits of leading zeros and 6 of significant-bit count, read as one.
        let control = r.read_bits(11, what)?;
        *leading = (control >> 6) as u8;
        let sig = match (control & 63) as u8 {
            0 => 64,
            s => s,
        };
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
/// and [`XorIter::take_err`] tells why. To read a whole chunk or a time range
/// of it, [`decode_xor_into`] and [`decode_xor_columns`] are faster.
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

    /// Decodes the next sample; the caller checks that one is left.
    #[inline(always)]
    fn step(&mut self) -> Result<(i64, f64), Error> {
        if self.read < 2 {
            return self.step_first();
        }
        let dod = match self.r.read_ones_prefix4(WHAT)? {
            0 => 0,
            1 => self.read_dod(14)?,
            2 => self.read_dod(17)?,
            3 => self.read_dod(20)?,
            _ => self.r.read_bits(64, WHAT)? as i64,
        };
        self.t_delta = (self.t_delta as i64).wrapping_add(dod) as u64;
        self.t = self.t.wrapping_add(self.t_delta as i64);
        xor_read(
            &mut self.r,
            &mut self.v,
            &mut self.leading,
            &mut self.trailing,
            WHAT,
        )?;
        self.read += 1;
        Ok((self.t, self.v))
    }

    /// An `n`-bit delta of deltas: values run −(2ⁿ⁻¹−1) ..= 2ⁿ⁻¹, so the
    /// all-ones-but-top pattern is positive, unlike two's complement.
    #[inline(always)]
    fn read_dod(&mut self, n: u32) -> Result<i64, Error> {
        let bits = self.r.read_bits(n, WHAT)?;
        Ok(if bits > 1 << (n - 1) {
            bits.wrapping_sub(1 << n) as i64
        } else {
            bits as i64
        })
    }

    /// The first two samples, written as a varint timestamp and raw value
    /// and then a uvarint delta: once per chunk, so kept out of the loop.
    #[cold]
    #[inline]
    fn step_first(&mut self) -> Result<(i64, f64), Error> {
        if self.read == 0 {
            self.t = self.r.read_varint(WHAT)?;
            self.v = f64::from_bits(self.r.read_bits(64, WHAT)?);
        } else {
            self.t_delta = self.r.read_uvarint(WHAT)?;
            self.t = self.t.wrapping_add(self.t_delta as i64);
            xor_read(
                &mut self.r,
                &mut self.v,
                &mut self.leading,
                &mut self.trailing,
                WHAT,
            )?;
        }
        self.read += 1;
        Ok((self.t, self.v))
    }

    /// Samples still to decode, as the header counts them.
    fn remaining(&self) -> usize {
        self.total.saturating_sub(self.read)
    }

    /// How many samples a buffer may reserve for: the header's count, but no
    /// more than the bytes could hold, so a damaged count cannot make a
    /// large allocation.
    fn reserve_hint(&self, bytes: usize) -> usize {
        self.remaining().min(bytes.saturating_mul(4))
    }
}

/// Appends the samples of XOR chunk `bytes` with `mint <= t <= maxt` to
/// `out`, in time order.
///
/// This is the fast way to read a whole chunk: it decodes in one loop with
/// the reader state in registers and stops at the first sample after
/// `maxt` (chunk samples are in time order), where iterating [`XorIter`]
/// costs a call and a state reload per sample. On damaged data it returns the error, with the samples decoded
/// before the damage already appended.
pub fn decode_xor_into(
    bytes: &[u8],
    mint: i64,
    maxt: i64,
    out: &mut Vec<(i64, f64)>,
) -> Result<(), Error> {
    let mut it = XorIter::new(bytes)?;
    out.reserve(it.reserve_hint(bytes.len()));
    for _ in 0..it.remaining() {
        let (t, v) = it.step()?;
        if t > maxt {
            break;
        }
        if t >= mint {
            out.push((t, v));
        }
    }
    Ok(())
}

/// Like [`decode_xor_into`] but appends timestamps and values to separate
/// vectors (the layout vectorised range functions want); both grow by the
/// same number of samples.
pub fn decode_xor_columns(
    bytes: &[u8],
    mint: i64,
    maxt: i64,
    ts: &mut Vec<i64>,
    vs: &mut Vec<f64>,
) -> Result<(), Error> {
    let mut it = XorIter::new(bytes)?;
    let hint = it.reserve_hint(bytes.len());
    ts.reserve(hint);
    vs.reserve(hint);
    for _ in 0..it.remaining() {
        let (t, v) = it.step()?;
        if t > maxt {
            break;
        }
        if t >= mint {
            ts.push(t);
            vs.push(v);
        }
    }
    Ok(())
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
#[path = "xor_tests.rs"]
mod tests;
