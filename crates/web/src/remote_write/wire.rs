//! A borrowing walk over an encoded `prometheus.WriteRequest`.
//!
//! prost materialises every label as two `String`s and every sample as its
//! own `Vec`; at ingest rates that allocation is most of the receiver's
//! cost. This walker only checks the bytes and records where each series
//! is, so the append pass can look a series up by its raw label bytes and
//! read samples straight from the buffer.
//!
//! It accepts a subset of what prost accepts: anything unusual (groups, a
//! known field with an unexpected wire type, truncation, bad UTF-8 in a
//! label the caller checks with [`label`]) makes the caller give up, and the caller decodes the request with prost instead,
//! which either succeeds (then the slow path appends it) or produces the
//! exact error text clients got before.

use std::ops::Range;

/// Protobuf wire types.
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;
const FIXED32: u8 = 5;

/// Where one `TimeSeries` sits in the request.
#[derive(Debug, Clone)]
pub(super) struct SeriesPos {
    /// The whole `TimeSeries` message.
    pub(super) msg: Range<usize>,
    /// From the first label field's tag to the end of the last one.
    pub(super) labels: Range<usize>,
    /// Whether the label fields follow each other with nothing in between,
    /// so `labels` is exactly their encoding.
    pub(super) contiguous: bool,
    /// Has exemplars or native histograms: decoded by prost instead.
    pub(super) complex: bool,
    /// Has at least one float sample.
    pub(super) has_samples: bool,
}

/// Reads a varint at `*pos` as prost does (at most ten bytes, the tenth at
/// most 1).
#[inline]
pub(super) fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let first = *buf.get(*pos)?;
    if first < 0x80 {
        *pos += 1;
        return Some(u64::from(first));
    }
    let mut n = 0u64;
    for i in 0..10 {
        let b = *buf.get(*pos + i)?;
        if i == 9 && b > 1 {
            return None;
        }
        n |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            *pos += i + 1;
            return Some(n);
        }
    }
    None
}

/// Reads a field key: `(field number, wire type)`.
#[inline]
fn key(buf: &[u8], pos: &mut usize) -> Option<(u32, u8)> {
    let k = varint(buf, pos)?;
    let field = u32::try_from(k >> 3).ok()?;
    if field == 0 {
        return None;
    }
    Some((field, (k & 7) as u8))
}

/// The payload range of a length-delimited field whose key was just read.
#[inline]
fn len_delimited(buf: &[u8], pos: &mut usize) -> Option<Range<usize>> {
    let n = usize::try_from(varint(buf, pos)?).ok()?;
    let start = *pos;
    let end = start.checked_add(n)?;
    if end > buf.len() {
        return None;
    }
    *pos = end;
    Some(start..end)
}

/// Skips the payload of an unknown field. Groups are left to prost.
#[inline]
fn skip(buf: &[u8], pos: &mut usize, wire: u8) -> Option<()> {
    match wire {
        VARINT => varint(buf, pos).map(drop),
        FIXED64 | FIXED32 => {
            let n = if wire == FIXED64 { 8 } else { 4 };
            let end = pos.checked_add(n)?;
            if end > buf.len() {
                return None;
            }
            *pos = end;
            Some(())
        }
        LEN => len_delimited(buf, pos).map(drop),
        _ => None,
    }
}

/// Iterates the fields of one message: `(field, wire, payload range)`,
/// where the range is only meaningful for LEN fields (the value bytes of
/// other wire types are included for FIXED64 so samples can be read).
/// Yields `Err(())` once on malformed input and then stops.
pub(super) struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
    failed: bool,
}

/// One field of a message.
pub(super) struct Field {
    pub(super) number: u32,
    pub(super) wire: u8,
    /// Where the field starts (its key).
    pub(super) start: usize,
    /// The payload (LEN: the bytes; VARINT: the varint; FIXED*: the bytes).
    pub(super) value: Range<usize>,
}

impl<'a> Fields<'a> {
    /// The fields of `buf[range]`; positions are offsets into `buf`.
    pub(super) fn new(buf: &'a [u8], range: Range<usize>) -> Fields<'a> {
        let end = range.end.min(buf.len());
        Fields {
            buf: buf.get(..end).unwrap_or_default(),
            pos: range.start,
            end,
            failed: false,
        }
    }

    fn read(&mut self) -> Option<Field> {
        let start = self.pos;
        let (number, wire) = key(self.buf, &mut self.pos)?;
        let value = if wire == LEN {
            len_delimited(self.buf, &mut self.pos)?
        } else {
            let v = self.pos;
            skip(self.buf, &mut self.pos, wire)?;
            v..self.pos
        };
        Some(Field {
            number,
            wire,
            start,
            value,
        })
    }
}

impl Iterator for Fields<'_> {
    type Item = Result<Field, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.end {
            return None;
        }
        match self.read() {
            Some(f) => Some(Ok(f)),
            None => {
                self.failed = true;
                Some(Err(()))
            }
        }
    }
}

/// A `prometheus.Label`'s name and value; the last occurrence of a field
/// wins, as in prost. `None` if malformed or not UTF-8.
pub(super) fn label(buf: &[u8], range: Range<usize>) -> Option<(&str, &str)> {
    let (mut name, mut value) = ("", "");
    for f in Fields::new(buf, range) {
        let f = f.ok()?;
        match (f.number, f.wire) {
            (1 | 2, LEN) => {
                let s = std::str::from_utf8(buf.get(f.value)?).ok()?;
                if f.number == 1 {
                    name = s;
                } else {
                    value = s;
                }
            }
            (1 | 2, _) => return None,
            _ => {}
        }
    }
    Some((name, value))
}

/// A `prometheus.Sample`: `(timestamp, value)`; missing fields are zero.
pub(super) fn sample(buf: &[u8], range: Range<usize>) -> Option<(i64, f64)> {
    let (mut t, mut v) = (0i64, 0.0f64);
    for f in Fields::new(buf, range) {
        let f = f.ok()?;
        match (f.number, f.wire) {
            (1, FIXED64) => {
                let b: [u8; 8] = buf.get(f.value)?.try_into().ok()?;
                v = f64::from_le_bytes(b);
            }
            (2, VARINT) => {
                let mut p = f.value.start;
                // int64 is the varint's bits reinterpreted, as in prost.
                t = varint(buf, &mut p)? as i64;
            }
            (1 | 2, _) => return None,
            _ => {}
        }
    }
    Some((t, v))
}

/// Checks one `TimeSeries` and records where its parts are. Exemplars and
/// histograms are checked by prost (they are rare and prost's decoder
/// knows their many fields).
fn series(buf: &[u8], msg: Range<usize>) -> Option<SeriesPos> {
    let mut pos = SeriesPos {
        msg: msg.clone(),
        labels: 0..0,
        contiguous: true,
        complex: false,
        has_samples: false,
    };
    let mut first_label: Option<usize> = None;
    let mut last_label_end = 0;
    let mut between = false;
    for f in Fields::new(buf, msg.clone()) {
        let f = f.ok()?;
        match (f.number, f.wire) {
            // The labels' own fields are checked by the caller, and only
            // for series it does not know (known label bytes were checked
            // when first seen).
            (1, LEN) => {
                if first_label.is_none() {
                    first_label = Some(f.start);
                } else if between {
                    pos.contiguous = false;
                }
                between = false;
                last_label_end = f.value.end;
            }
            (2, LEN) => {
                sample(buf, f.value)?;
                pos.has_samples = true;
                between = first_label.is_some();
            }
            (3 | 4, LEN) => {
                pos.complex = true;
                between = first_label.is_some();
            }
            (1..=4, _) => return None,
            _ => between = first_label.is_some(),
        }
    }
    if pos.complex {
        let bytes = buf.get(msg)?;
        <super::TimeSeries as prost::Message>::decode(bytes).ok()?;
    }
    if let Some(first) = first_label {
        pos.labels = first..last_label_end;
    }
    Some(pos)
}

/// Checks a whole request and fills `out` with its series, or returns
/// `false` if prost should decode it instead (see the module docs).
pub(super) fn scan(buf: &[u8], out: &mut Vec<SeriesPos>) -> bool {
    out.clear();
    for f in Fields::new(buf, 0..buf.len()) {
        let Ok(f) = f else { return false };
        match (f.number, f.wire) {
            (1, LEN) => match series(buf, f.value) {
                Some(s) => out.push(s),
                None => return false,
            },
            (1, _) => return false,
            // Metadata (field 3) and anything else: skipped as prost does
            // for fields the message does not declare.
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::super::{Label, Sample, TimeSeries, WriteRequest};
    use super::*;

    fn l(n: &str, v: &str) -> Label {
        Label {
            name: n.into(),
            value: v.into(),
        }
    }

    #[test]
    fn scans_what_prost_encodes() {
        let req = WriteRequest {
            timeseries: vec![
                TimeSeries {
                    labels: vec![l("__name__", "a"), l("job", "j")],
                    samples: vec![
                        Sample {
                            value: 1.5,
                            timestamp: -3,
                        },
                        Sample {
                            value: 2.0,
                            timestamp: 1 << 40,
                        },
                    ],
                    ..Default::default()
                },
                TimeSeries {
                    labels: vec![l("__name__", "b")],
                    ..Default::default()
                },
            ],
        };
        let buf = req.encode_to_vec();
        let mut out = Vec::new();
        assert!(scan(&buf, &mut out));
        assert_eq!(out.len(), 2);
        let first = &out[0];
        assert!(first.contiguous && !first.complex && first.has_samples);
        let names: Vec<_> = Fields::new(&buf, first.labels.clone())
            .map(|f| label(&buf, f.unwrap().value).unwrap())
            .collect();
        assert_eq!(names, vec![("__name__", "a"), ("job", "j")]);
        let samples: Vec<_> = Fields::new(&buf, first.msg.clone())
            .filter_map(|f| f.ok())
            .filter(|f| f.number == 2)
            .map(|f| sample(&buf, f.value).unwrap())
            .collect();
        assert_eq!(samples, vec![(-3, 1.5), (1 << 40, 2.0)]);
        assert!(!out[1].has_samples);
    }

    #[test]
    fn gives_up_on_what_prost_should_judge() {
        let mut out = Vec::new();
        // Truncated length.
        assert!(!scan(&[0x0a, 0x05, 0x0a], &mut out));
        // TimeSeries with the wrong wire type.
        assert!(!scan(&[0x08, 0x01], &mut out));
        // A group.
        assert!(!scan(&[0x0b, 0x0c], &mut out));
        // A label that is not UTF-8: left to the caller.
        let req = [0x0a, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0xff];
        assert!(scan(&req, &mut out));
        assert_eq!(label(&req, 4..7), None);
        // Field number 0.
        assert!(!scan(&[0x02, 0x00], &mut out));
        // An eleven-byte varint.
        assert!(!scan(
            &[
                0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ],
            &mut out
        ));
    }

    #[test]
    fn unknown_fields_are_skipped_and_break_contiguity() {
        // TimeSeries { label, unknown varint field 9, label }.
        let lab = l("__name__", "x").encode_to_vec();
        let mut ts = Vec::new();
        ts.push(0x0a);
        ts.push(lab.len() as u8);
        ts.extend_from_slice(&lab);
        ts.extend_from_slice(&[0x48, 0x01]);
        ts.push(0x0a);
        ts.push(lab.len() as u8);
        ts.extend_from_slice(&lab);
        let mut req = vec![0x0a, ts.len() as u8];
        req.extend_from_slice(&ts);
        // Metadata (field 3) is ignored.
        req.extend_from_slice(&[0x1a, 0x00]);
        let mut out = Vec::new();
        assert!(scan(&req, &mut out));
        assert_eq!(out.len(), 1);
        assert!(!out[0].contiguous);
        assert!(WriteRequest::decode(req.as_slice()).is_ok());
    }

    #[test]
    fn varints() {
        let mut p = 0;
        assert_eq!(varint(&[0xac, 0x02], &mut p), Some(300));
        assert_eq!(p, 2);
        let mut p = 0;
        assert_eq!(varint(&[0x80], &mut p), None);
    }
}
