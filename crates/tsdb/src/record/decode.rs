//! Decoding of WAL record payloads; every read is bounds-checked and a bad
//! record yields an error naming the record type and byte offset.

use vigil_model::{FloatHistogram, Histogram, Labels, LabelsBuilder, Span};

use super::{
    RecordType, RefExemplar, RefFloatHistogramSample, RefHistogramSample, RefMetadata,
    RefMmapMarker, RefSample, RefSeries, RefTombstone, hint_from_byte, metric_type_from_byte,
};
use crate::error::Error;

/// A cursor over a record with checked reads.
#[derive(Debug)]
pub(crate) struct Decbuf<'a> {
    b: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Decbuf<'a> {
    pub(crate) fn new(b: &'a [u8], what: &'static str) -> Decbuf<'a> {
        Decbuf { b, pos: 0, what }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.b.len()
    }

    pub(crate) fn err(&self, msg: &str) -> Error {
        Error::Corrupt {
            what: self.what,
            message: format!("{msg} at byte {}", self.pos),
        }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or_else(|| self.err("length overflow"))?;
        let s = self
            .b
            .get(self.pos..end)
            .ok_or_else(|| self.err("unexpected end of record"))?;
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, Error> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn be64(&mut self) -> Result<u64, Error> {
        let s = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_be_bytes(a))
    }

    pub(crate) fn f64(&mut self) -> Result<f64, Error> {
        Ok(f64::from_bits(self.be64()?))
    }

    pub(crate) fn uvarint(&mut self) -> Result<u64, Error> {
        let mut x = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            if b < 0x80 {
                if i == 9 && b > 1 {
                    return Err(self.err("varint overflows 64 bits"));
                }
                return Ok(x | (b as u64) << (7 * i));
            }
            x |= ((b & 0x7f) as u64) << (7 * i);
        }
        Err(self.err("varint overflows 64 bits"))
    }

    pub(crate) fn varint(&mut self) -> Result<i64, Error> {
        let u = self.uvarint()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// A count of items that each take at least `min_item_bytes`; refuses
    /// counts the remaining bytes cannot hold, so a corrupt count cannot
    /// make us allocate gigabytes.
    pub(crate) fn count(&mut self, min_item_bytes: usize) -> Result<usize, Error> {
        let n = self.uvarint()?;
        let left = (self.b.len() - self.pos.min(self.b.len())) as u64;
        if n.saturating_mul(min_item_bytes as u64) > left {
            return Err(self.err(&format!("count {n} exceeds what the record can hold")));
        }
        Ok(n as usize)
    }

    pub(crate) fn str(&mut self) -> Result<&'a str, Error> {
        let n = self.uvarint()?;
        let n = usize::try_from(n).map_err(|_| self.err("string length overflows"))?;
        let s = self.bytes(n)?;
        std::str::from_utf8(s).map_err(|_| self.err("string is not valid UTF-8"))
    }

    fn labels(&mut self, b: &mut LabelsBuilder) -> Result<Labels, Error> {
        let n = self.count(2)?;
        b.reset();
        for _ in 0..n {
            let name = self.str()?;
            let value = self.str()?;
            b.push(name, value);
        }
        Ok(b.build())
    }

    fn spans(&mut self) -> Result<Vec<Span>, Error> {
        let n = self.count(2)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let offset =
                i32::try_from(self.varint()?).map_err(|_| self.err("span offset out of range"))?;
            let length =
                u32::try_from(self.uvarint()?).map_err(|_| self.err("span length out of range"))?;
            out.push(Span { offset, length });
        }
        Ok(out)
    }

    fn expect_type(&mut self, want: &[RecordType]) -> Result<RecordType, Error> {
        let b = self.byte()?;
        match RecordType::of(&[b]) {
            Some(t) if want.contains(&t) => Ok(t),
            _ => Err(self.err(&format!("record type {b} where {want:?} was expected"))),
        }
    }
}

/// Decodes a series record, appending to `out`.
pub fn decode_series(rec: &[u8], out: &mut Vec<RefSeries>) -> Result<(), Error> {
    let mut d = Decbuf::new(rec, "series record");
    d.expect_type(&[RecordType::Series])?;
    let mut b = LabelsBuilder::new();
    while !d.is_empty() {
        let series = d.be64()?;
        let labels = d.labels(&mut b)?;
        out.push(RefSeries { series, labels });
    }
    Ok(())
}

/// Decodes a samples record, appending to `out`.
pub fn decode_samples(rec: &[u8], out: &mut Vec<RefSample>) -> Result<(), Error> {
    let mut d = Decbuf::new(rec, "samples record");
    d.expect_type(&[RecordType::Samples])?;
    if d.is_empty() {
        return Ok(());
    }
    let base_ref = d.be64()?;
    let base_t = d.be64()? as i64;
    while !d.is_empty() {
        let series = base_ref.wrapping_add(d.varint()? as u64);
        let t = base_t.wrapping_add(d.varint()?);
        let v = d.f64()?;
        out.push(RefSample { series, t, v });
    }
    Ok(())
}

/// Decodes a tombstones record, appending to `out`.
pub fn decode_tombstones(rec: &[u8], out: &mut Vec<RefTombstone>) -> Result<(), Error> {
    let mut d = Decbuf::new(rec, "tombstones record");
    d.expect_type(&[RecordType::Tombstones])?;
    while !d.is_empty() {
        let series = d.be64()?;
        let mint = d.varint()?;
        let maxt = d.varint()?;
        out.push(RefTombstone { series, mint, maxt });
    }
    Ok(())
}

/// Decodes an exemplars record, appending to `out`.
pub fn decode_exemplars(rec: &[u8], out: &mut Vec<RefExemplar>) -> Result<(), Error> {
    let mut d = Decbuf::new(rec, "exemplars record");
    d.expect_type(&[RecordType::Exemplars])?;
    if d.is_empty() {
        return Ok(());
    }
    let base_ref = d.be64()?;
    let base_t = d.be64()? as i64;
    let mut b = LabelsBuilder::new();
    while !d.is_empty() {
        let series = base_ref.wrapping_add(d.varint()? as u64);
        let t = base_t.wrapping_add(d.varint()?);
        let v = d.f64()?;
        let labels = d.labels(&mut b)?;
        out.push(RefExemplar {
            series,
            t,
            v,
            labels,
        });
    }
    Ok(())
}

/// Decodes an mmap-markers record, appending to `out`.
pub fn decode_mmap_markers(rec: &[u8], out: &mut Vec<RefMmapMarker>) -> Result<(), Error> {
    let mut d = Decbuf::new(rec, "mmap markers record");
    d.expect_type(&[RecordType::MmapMarkers])?;
    while !d.is_empty() {
        let series = d.be64()?;
        let mmap_ref = d.be64()?;
        out.push(RefMmapMarker { series, mmap_ref });
    }
    Ok(())
}

/// Decodes a metadata record, appending to `out`. Unknown fields are skipped
/// as Prometheus skips them.
pub fn decode_metadata(rec: &[u8], out: &mut Vec<RefMetadata>) -> Result<(), Error> {
    let mut d = Decbuf::new(rec, "metadata record");
    d.expect_type(&[RecordType::Metadata])?;
    while !d.is_empty() {
        let series = d.uvarint()?;
        let kind = metric_type_from_byte(d.byte()?);
        let fields = d.count(2)?;
        let (mut unit, mut help) = (String::new(), String::new());
        for _ in 0..fields {
            let name = d.str()?;
            let value = d.str()?;
            match name {
                "UNIT" => unit = value.to_string(),
                "HELP" => help = value.to_string(),
                _ => {}
            }
        }
        out.push(RefMetadata {
            series,
            kind,
            unit,
            help,
        });
    }
    Ok(())
}

/// Decodes an integer-histogram record (type 7 or 9), appending to `out`.
pub fn decode_histogram_samples(
    rec: &[u8],
    out: &mut Vec<RefHistogramSample>,
) -> Result<(), Error> {
    let mut d = Decbuf::new(rec, "histogram samples record");
    let typ = d.expect_type(&[
        RecordType::HistogramSamples,
        RecordType::CustomBucketsHistogramSamples,
    ])?;
    if d.is_empty() {
        return Ok(());
    }
    let base_ref = d.be64()?;
    let base_t = d.be64()? as i64;
    while !d.is_empty() {
        let series = base_ref.wrapping_add(d.varint()? as u64);
        let t = base_t.wrapping_add(d.varint()?);
        let counter_reset_hint = hint_from_byte(d.byte()?);
        let schema = i32::try_from(d.varint()?).map_err(|_| d.err("schema out of range"))?;
        let zero_threshold = d.f64()?;
        let zero_count = d.uvarint()?;
        let count = d.uvarint()?;
        let sum = d.f64()?;
        let positive_spans = d.spans()?;
        let negative_spans = d.spans()?;
        let n = d.count(1)?;
        let positive_buckets = (0..n).map(|_| d.varint()).collect::<Result<Vec<_>, _>>()?;
        let n = d.count(1)?;
        let negative_buckets = (0..n).map(|_| d.varint()).collect::<Result<Vec<_>, _>>()?;
        let custom_values = if typ == RecordType::CustomBucketsHistogramSamples {
            let n = d.count(8)?;
            (0..n).map(|_| d.f64()).collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        let h = Histogram {
            counter_reset_hint,
            schema,
            zero_threshold,
            zero_count,
            count,
            sum,
            positive_spans,
            negative_spans,
            positive_buckets,
            negative_buckets,
            custom_values,
        };
        out.push(RefHistogramSample { series, t, h });
    }
    Ok(())
}

/// Decodes a float-histogram record (type 8 or 10), appending to `out`.
pub fn decode_float_histogram_samples(
    rec: &[u8],
    out: &mut Vec<RefFloatHistogramSample>,
) -> Result<(), Error> {
    let mut d = Decbuf::new(rec, "float histogram samples record");
    let typ = d.expect_type(&[
        RecordType::FloatHistogramSamples,
        RecordType::CustomBucketsFloatHistogramSamples,
    ])?;
    if d.is_empty() {
        return Ok(());
    }
    let base_ref = d.be64()?;
    let base_t = d.be64()? as i64;
    while !d.is_empty() {
        let series = base_ref.wrapping_add(d.varint()? as u64);
        let t = base_t.wrapping_add(d.varint()?);
        let counter_reset_hint = hint_from_byte(d.byte()?);
        let schema = i32::try_from(d.varint()?).map_err(|_| d.err("schema out of range"))?;
        let zero_threshold = d.f64()?;
        let zero_count = d.f64()?;
        let count = d.f64()?;
        let sum = d.f64()?;
        let positive_spans = d.spans()?;
        let negative_spans = d.spans()?;
        let n = d.count(8)?;
        let positive_buckets = (0..n).map(|_| d.f64()).collect::<Result<Vec<_>, _>>()?;
        let n = d.count(8)?;
        let negative_buckets = (0..n).map(|_| d.f64()).collect::<Result<Vec<_>, _>>()?;
        let custom_values = if typ == RecordType::CustomBucketsFloatHistogramSamples {
            let n = d.count(8)?;
            (0..n).map(|_| d.f64()).collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        let h = FloatHistogram {
            counter_reset_hint,
            schema,
            zero_threshold,
            zero_count,
            count,
            sum,
            positive_spans,
            negative_spans,
            positive_buckets,
            negative_buckets,
            custom_values,
        };
        out.push(RefFloatHistogramSample { series, t, h });
    }
    Ok(())
}
