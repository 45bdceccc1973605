//! Bit streams for the Gorilla-style chunk encodings: bits are written and
//! read most-significant first, and the stream is padded with zero bits to a
//! whole byte, as Prometheus' `bstream` lays them out.

use crate::error::Error;

/// Appends bits to a byte buffer.
#[derive(Debug, Clone, Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    /// Unused low bits in the last byte (0 means the next bit starts a new byte).
    free: u8,
}

impl BitWriter {
    pub(crate) fn from_bytes(bytes: Vec<u8>, free: u8) -> BitWriter {
        BitWriter { bytes, free }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn bytes_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    pub(crate) fn write_bit(&mut self, bit: bool) {
        if self.free == 0 {
            self.bytes.push(0);
            self.free = 8;
        }
        if bit {
            if let Some(last) = self.bytes.last_mut() {
                *last |= 1 << (self.free - 1);
            }
        }
        self.free -= 1;
    }

    /// Writes the low `n` bits of `v` (n ≤ 64), most significant first.
    pub(crate) fn write_bits(&mut self, v: u64, n: u32) {
        debug_assert!(n <= 64);
        if n == 0 {
            return;
        }
        let n = n.min(64);
        let v = v & (u64::MAX >> (64 - n));
        // The used bits of a partial last byte and `v` as one run of at
        // most 71 bits, stored as whole bytes with one copy: appends write
        // a few fields per sample, and a push per byte showed in profiles.
        let (mut run, mut len) = (u128::from(v), n);
        if self.free > 0 {
            if let Some(last) = self.bytes.pop() {
                run |= u128::from(last >> self.free) << n;
                len += 8 - u32::from(self.free);
            }
        }
        let pad = (8 - len % 8) % 8;
        let whole = ((len + pad) / 8) as usize;
        let be = (run << pad).to_be_bytes();
        debug_assert!(whole <= 9);
        self.bytes
            .extend_from_slice(be.get(be.len().saturating_sub(whole)..).unwrap_or(&[]));
        self.free = pad as u8;
    }

    pub(crate) fn write_byte(&mut self, b: u8) {
        self.write_bits(b as u64, 8);
    }
}

/// Reads bits from a byte slice.
///
/// Bits come from a 64-bit buffer topped up eight bytes at a time, so a
/// read is a compare, a shift and a mask with no bounds check on the bytes:
/// chunk decoding is most of a query's CPU time.
#[derive(Debug, Clone)]
pub(crate) struct BitReader<'a> {
    bytes: &'a [u8],
    /// Index of the first byte not yet counted into `valid`.
    next: usize,
    /// The unread bits, left-aligned: the next bit is the top bit. Below
    /// the `valid` bits there are only zeros or the stream's own following
    /// bits, so topping up can OR the next bytes in.
    buf: u64,
    /// How many top bits of `buf` are unread.
    valid: u32,
}

/// Widest read [`BitReader::read_bits`] serves from one top-up: after one,
/// at least 57 bits are buffered unless the input ends.
const MAX_FAST_READ: u32 = 56;

impl<'a> BitReader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> BitReader<'a> {
        BitReader {
            bytes,
            next: 0,
            buf: 0,
            valid: 0,
        }
    }

    /// Absolute bit position of the next bit to read.
    pub(crate) fn bit_pos(&self) -> usize {
        self.next * 8 - self.valid as usize
    }

    fn eof(&self, what: &'static str) -> Error {
        eof_at(what, self.bit_pos())
    }

    /// Buffers as many whole bytes as fit (all that are left near the end).
    #[inline]
    fn refill(&mut self) {
        let room = (64 - self.valid) / 8;
        let word = match self.bytes.get(self.next..self.next + 8) {
            Some(&[b0, b1, b2, b3, b4, b5, b6, b7]) => {
                u64::from_be_bytes([b0, b1, b2, b3, b4, b5, b6, b7])
            }
            _ => return self.refill_tail(),
        };
        // `valid < 64` here (callers refill only when short of bits).
        self.buf |= word >> self.valid;
        self.valid += room * 8;
        self.next += room as usize;
    }

    /// [`BitReader::refill`] for the last bytes of the input.
    #[cold]
    fn refill_tail(&mut self) {
        let room = ((64 - self.valid) / 8) as usize;
        let rest = self.bytes.get(self.next..).unwrap_or(&[]);
        let take = rest.len().min(room);
        let word = rest
            .iter()
            .take(take)
            .enumerate()
            .fold(0u64, |acc, (i, &b)| acc | u64::from(b) << (56 - 8 * i));
        if take > 0 {
            self.buf |= word >> self.valid;
        }
        self.valid += 8 * take as u32;
        self.next += take;
    }

    #[inline(always)]
    pub(crate) fn read_bit(&mut self, what: &'static str) -> Result<bool, Error> {
        if self.valid == 0 {
            self.refill();
            if self.valid == 0 {
                return Err(self.eof(what));
            }
        }
        let bit = self.buf >> 63 == 1;
        self.buf <<= 1;
        self.valid -= 1;
        Ok(bit)
    }

    /// Reads `n` bits (n ≤ 64) as the low bits of the result.
    #[inline(always)]
    pub(crate) fn read_bits(&mut self, n: u32, what: &'static str) -> Result<u64, Error> {
        if n == 0 {
            return Ok(0);
        }
        if n > MAX_FAST_READ {
            return self.read_wide(n, what);
        }
        if self.valid < n {
            self.refill();
            if self.valid < n {
                return Err(self.eof(what));
            }
        }
        let v = self.buf >> (64 - n);
        self.buf <<= n;
        self.valid -= n;
        Ok(v)
    }

    /// A read wider than one top-up guarantees, as two reads (raw first
    /// values, 64-bit deltas, XORs with few zero bits).
    #[cold]
    fn read_wide(&mut self, n: u32, what: &'static str) -> Result<u64, Error> {
        let n = n.min(64);
        let (buf, valid, next) = (self.buf, self.valid, self.next);
        let result = self.read_bits(n - 32, what).and_then(|hi| {
            let lo = self.read_bits(32, what)?;
            Ok(hi << 32 | lo)
        });
        if result.is_err() {
            // Leave the reader where the failed read started, so the error
            // names that position.
            (self.buf, self.valid, self.next) = (buf, valid, next);
            return Err(self.eof(what));
        }
        result
    }

    /// Reads up to four one bits ended by a zero bit (the zero is consumed
    /// unless four ones were read), returning how many ones: the prefix of
    /// the XOR chunk's timestamp delta-of-delta.
    #[inline(always)]
    pub(crate) fn read_ones_prefix4(&mut self, what: &'static str) -> Result<u32, Error> {
        if self.valid < 4 {
            self.refill();
            if self.valid < 4 {
                let mut ones = 0;
                while ones < 4 && self.read_bit(what)? {
                    ones += 1;
                }
                return Ok(ones);
            }
        }
        let ones = self.buf.leading_ones().min(4);
        let used = (ones + 1).min(4);
        self.buf <<= used;
        self.valid -= used;
        Ok(ones)
    }

    pub(crate) fn read_byte(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.read_bits(8, what)? as u8)
    }

    /// Reads a Go `binary.Uvarint` (LEB128) from the bit stream.
    pub(crate) fn read_uvarint(&mut self, what: &'static str) -> Result<u64, Error> {
        let mut x = 0u64;
        let mut s = 0u32;
        for i in 0..10 {
            let b = self.read_byte(what)?;
            if b < 0x80 {
                if i == 9 && b > 1 {
                    return Err(Error::Corrupt {
                        what,
                        message: "varint overflows 64 bits".into(),
                    });
                }
                return Ok(x | (b as u64) << s);
            }
            x |= ((b & 0x7f) as u64) << s;
            s += 7;
        }
        Err(Error::Corrupt {
            what,
            message: "varint overflows 64 bits".into(),
        })
    }

    /// Reads a Go `binary.Varint` (zig-zag LEB128).
    pub(crate) fn read_varint(&mut self, what: &'static str) -> Result<i64, Error> {
        let ux = self.read_uvarint(what)?;
        Ok(zigzag_decode(ux))
    }
}

/// The error for a read past the end. Cold and out of line, and taking no
/// reader, so a decoding loop can keep the reader's state in registers.
#[cold]
#[inline(never)]
fn eof_at(what: &'static str, bit: usize) -> Error {
    Error::UnexpectedEof { what, bit }
}

/// Go's `binary.PutUvarint` into the bit stream.
pub(crate) fn write_uvarint(w: &mut BitWriter, mut v: u64) {
    while v >= 0x80 {
        w.write_byte((v as u8) | 0x80);
        v >>= 7;
    }
    w.write_byte(v as u8);
}

/// Go's `binary.PutVarint` (zig-zag) into the bit stream.
pub(crate) fn write_varint(w: &mut BitWriter, v: i64) {
    write_uvarint(w, zigzag_encode(v));
}

pub(crate) fn zigzag_encode(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn zigzag_decode(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_at_every_alignment() {
        let mut w = BitWriter::default();
        let mut expect = Vec::new();
        for i in 0..200u32 {
            let n = (i * 7) % 64 + 1;
            let v = (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1))
                & if n == 64 { u64::MAX } else { (1 << n) - 1 };
            if i % 5 == 0 {
                w.write_bit(i % 2 == 0);
                expect.push((1, (i % 2 == 0) as u64));
            }
            w.write_bits(v, n);
            expect.push((n, v));
        }
        let mut r = BitReader::new(w.bytes());
        for (n, v) in expect {
            let got = if n == 1 {
                r.read_bit("t").unwrap() as u64
            } else {
                r.read_bits(n, "t").unwrap()
            };
            assert_eq!(got, v, "width {n}");
        }
    }

    #[test]
    fn bits_above_the_width_are_ignored() {
        let mut w = BitWriter::default();
        w.write_bit(true);
        w.write_bits(u64::MAX, 3);
        w.write_bits(0xf0f0, 12);
        assert_eq!(w.bytes(), &[0b1111_0000, 0b1111_0000]);
    }

    #[test]
    fn varints_match_go_encoding() {
        let mut w = BitWriter::default();
        write_varint(&mut w, -1);
        write_uvarint(&mut w, 300);
        assert_eq!(w.bytes(), &[0x01, 0xac, 0x02]);
        let mut r = BitReader::new(w.bytes());
        assert_eq!(r.read_varint("t").unwrap(), -1);
        assert_eq!(r.read_uvarint("t").unwrap(), 300);
        assert!(r.read_bit("t").is_err());
    }
}
