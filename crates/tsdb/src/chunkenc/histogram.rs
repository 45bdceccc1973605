//! Native-histogram chunks (encodings 2 and 3), bit-compatible with
//! Prometheus' `tsdb/chunkenc/histogram.go` and `float_histogram.go`:
//!
//! ```text
//! num_samples <uint16> │ flags <1 byte> │ layout (see histogram_layout) │ samples │ padding
//! flags: top two bits = counter-reset header (10 reset, 01 no reset, 11 gauge, 00 unknown)
//! ```
//!
//! Integer samples: the first is `t <varbit_int>`, `count`, `zero_count`
//! `<varbit_uint>`, `sum <float64>`, then each bucket's delta-encoded count
//! `<varbit_int>`. Later samples store deltas-of-deltas of `t`, `count`,
//! `zero_count` and every bucket (`<varbit_int>`), and the sum as a Gorilla
//! XOR. Float samples store `t` the same way, and count, zero count, sum and
//! every bucket as plain floats first, then as XORs each with its own window.
//! A stale-marker sample stores no buckets.
//!
//! Every sample of a chunk has the layout of the first. Prometheus re-encodes
//! a chunk when the bucket layout grows; Vigil's appender reports
//! [`Error::LayoutMismatch`] instead and the caller starts a new chunk, which
//! any reader accepts.

use vigil_model::{CounterResetHint, FloatHistogram, Histogram, is_stale_nan};

use super::bstream::{BitReader, BitWriter};
use super::histogram_layout::Layout;
use super::varbit::{put_varbit_int, put_varbit_uint, read_varbit_int, read_varbit_uint};
use super::xor::{MAX_SAMPLES, num_samples, xor_read, xor_write};
use crate::error::Error;

const WHAT: &str = "histogram chunk";
const FLAGS_POS: usize = 2;

/// The counter-reset header: the top two bits of the flags byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterResetHeader {
    /// Unknown whether a reset happened since the previous chunk.
    Unknown = 0b0000_0000,
    /// A counter reset happened right before this chunk.
    CounterReset = 0b1000_0000,
    /// No counter reset happened since the previous chunk.
    NotCounterReset = 0b0100_0000,
    /// The chunk holds a gauge histogram.
    Gauge = 0b1100_0000,
}

impl CounterResetHeader {
    fn from_byte(b: u8) -> CounterResetHeader {
        match b & 0b1100_0000 {
            0b1000_0000 => CounterResetHeader::CounterReset,
            0b0100_0000 => CounterResetHeader::NotCounterReset,
            0b1100_0000 => CounterResetHeader::Gauge,
            _ => CounterResetHeader::Unknown,
        }
    }

    /// The header a chunk starting with a histogram with this hint gets.
    pub fn for_hint(h: CounterResetHint) -> CounterResetHeader {
        match h {
            CounterResetHint::CounterReset => CounterResetHeader::CounterReset,
            CounterResetHint::NotCounterReset => CounterResetHeader::NotCounterReset,
            CounterResetHint::Gauge => CounterResetHeader::Gauge,
            CounterResetHint::Unknown => CounterResetHeader::Unknown,
        }
    }

    /// The hint a sample at `position` in a chunk with this header reads back with.
    fn hint_at(self, position: usize) -> CounterResetHint {
        match (self, position) {
            (CounterResetHeader::Gauge, _) => CounterResetHint::Gauge,
            (CounterResetHeader::CounterReset, 0) => CounterResetHint::CounterReset,
            (CounterResetHeader::NotCounterReset, 0) => CounterResetHint::NotCounterReset,
            (CounterResetHeader::Unknown, 0) => CounterResetHint::Unknown,
            _ => CounterResetHint::NotCounterReset,
        }
    }
}

fn new_writer(header: CounterResetHeader) -> BitWriter {
    BitWriter::from_bytes(vec![0, 0, header as u8], 0)
}

fn bump_count(w: &mut BitWriter, n: usize) {
    let count = ((n + 1) as u16).to_be_bytes();
    let b = w.bytes_mut();
    b[0] = count[0];
    b[1] = count[1];
}

fn layout_of(
    schema: i32,
    zt: f64,
    p: &[vigil_model::Span],
    n: &[vigil_model::Span],
    cv: &[f64],
) -> Layout {
    Layout {
        schema,
        zero_threshold: zt,
        positive_spans: p.to_vec(),
        negative_spans: n.to_vec(),
        custom_values: cv.to_vec(),
    }
}

/// An integer native-histogram chunk that can be appended to.
#[derive(Debug, Clone)]
pub struct HistogramChunk {
    w: BitWriter,
    layout: Option<Layout>,
    t: i64,
    t_delta: i64,
    count: u64,
    count_delta: i64,
    zero_count: u64,
    zero_count_delta: i64,
    sum: f64,
    leading: u8,
    trailing: u8,
    /// Last bucket values (delta-encoded across buckets, as stored) and their deltas.
    pos: Vec<(i64, i64)>,
    neg: Vec<(i64, i64)>,
}

impl HistogramChunk {
    /// An empty chunk with the given counter-reset header.
    pub fn new(header: CounterResetHeader) -> HistogramChunk {
        HistogramChunk {
            w: new_writer(header),
            layout: None,
            t: 0,
            t_delta: 0,
            count: 0,
            count_delta: 0,
            zero_count: 0,
            zero_count_delta: 0,
            sum: 0.0,
            leading: 0xff,
            trailing: 0,
            pos: Vec::new(),
            neg: Vec::new(),
        }
    }

    /// Encoded bytes, header included.
    pub fn bytes(&self) -> &[u8] {
        self.w.bytes()
    }

    /// Number of samples.
    pub fn num_samples(&self) -> usize {
        num_samples(self.w.bytes())
    }

    /// Appends a histogram. Fails with [`Error::LayoutMismatch`] if its
    /// schema, zero threshold, spans or custom bounds differ from the
    /// chunk's (a stale marker fits any chunk).
    pub fn append(&mut self, t: i64, h: &Histogram) -> Result<(), Error> {
        let n = self.num_samples();
        if n >= MAX_SAMPLES {
            return Err(Error::ChunkFull(n));
        }
        let stale = is_stale_nan(h.sum);
        if n == 0 {
            let layout = if stale {
                Layout::default()
            } else {
                layout_of(
                    h.schema,
                    h.zero_threshold,
                    &h.positive_spans,
                    &h.negative_spans,
                    &h.custom_values,
                )
            };
            let (np, nn) = layout.bucket_counts();
            if !stale && (np != h.positive_buckets.len() || nn != h.negative_buckets.len()) {
                return Err(Error::InvalidArgument(
                    "histogram spans and bucket counts disagree".into(),
                ));
            }
            layout.write(&mut self.w);
            put_varbit_int(&mut self.w, t);
            put_varbit_uint(&mut self.w, if stale { 0 } else { h.count });
            put_varbit_uint(&mut self.w, if stale { 0 } else { h.zero_count });
            self.w.write_bits(h.sum.to_bits(), 64);
            self.pos = vec![(0, 0); np];
            self.neg = vec![(0, 0); nn];
            if !stale {
                for (i, b) in h.positive_buckets.iter().enumerate() {
                    put_varbit_int(&mut self.w, *b);
                    self.pos[i].0 = *b;
                }
                for (i, b) in h.negative_buckets.iter().enumerate() {
                    put_varbit_int(&mut self.w, *b);
                    self.neg[i].0 = *b;
                }
                self.count = h.count;
                self.zero_count = h.zero_count;
            }
            self.layout = Some(layout);
            self.t = t;
            self.sum = h.sum;
            bump_count(&mut self.w, n);
            return Ok(());
        }
        if !stale
            && !self.layout.as_ref().is_some_and(|l| {
                l.schema == h.schema
                    && l.zero_threshold.to_bits() == h.zero_threshold.to_bits()
                    && l.positive_spans == h.positive_spans
                    && l.negative_spans == h.negative_spans
                    && l.custom_values == h.custom_values
            })
        {
            return Err(Error::LayoutMismatch);
        }
        let t_delta = t.wrapping_sub(self.t);
        let (count, zero_count) = (h.count, h.zero_count);
        let count_delta = (count as i64).wrapping_sub(self.count as i64);
        let zero_count_delta = (zero_count as i64).wrapping_sub(self.zero_count as i64);
        put_varbit_int(&mut self.w, t_delta.wrapping_sub(self.t_delta));
        if stale {
            put_varbit_int(&mut self.w, 0);
            put_varbit_int(&mut self.w, 0);
        } else {
            put_varbit_int(&mut self.w, count_delta.wrapping_sub(self.count_delta));
            put_varbit_int(
                &mut self.w,
                zero_count_delta.wrapping_sub(self.zero_count_delta),
            );
        }
        xor_write(
            &mut self.w,
            h.sum,
            self.sum,
            &mut self.leading,
            &mut self.trailing,
        );
        if !stale {
            for (slot, b) in self.pos.iter_mut().zip(&h.positive_buckets) {
                let delta = b.wrapping_sub(slot.0);
                put_varbit_int(&mut self.w, delta.wrapping_sub(slot.1));
                *slot = (*b, delta);
            }
            for (slot, b) in self.neg.iter_mut().zip(&h.negative_buckets) {
                let delta = b.wrapping_sub(slot.0);
                put_varbit_int(&mut self.w, delta.wrapping_sub(slot.1));
                *slot = (*b, delta);
            }
            self.count = count;
            self.zero_count = zero_count;
            self.count_delta = count_delta;
            self.zero_count_delta = zero_count_delta;
        } else {
            // A reader of a stale sample adds zero deltas-of-deltas and skips
            // the buckets; mirror its state so later samples decode right.
            self.count = (self.count as i64).wrapping_add(self.count_delta) as u64;
            self.zero_count = (self.zero_count as i64).wrapping_add(self.zero_count_delta) as u64;
        }
        self.t = t;
        self.t_delta = t_delta;
        self.sum = h.sum;
        bump_count(&mut self.w, n);
        Ok(())
    }

    /// Iterates the chunk's samples.
    pub fn iter(&self) -> Result<HistogramIter<'_>, Error> {
        HistogramIter::new(self.w.bytes())
    }
}

/// Decodes an integer histogram chunk.
#[derive(Debug)]
pub struct HistogramIter<'a> {
    r: BitReader<'a>,
    header: CounterResetHeader,
    total: usize,
    read: usize,
    layout: Layout,
    t: i64,
    t_delta: i64,
    count: u64,
    count_delta: i64,
    zero_count: u64,
    zero_count_delta: i64,
    sum: f64,
    leading: u8,
    trailing: u8,
    pos: Vec<(i64, i64)>,
    neg: Vec<(i64, i64)>,
    err: Option<Error>,
}

impl<'a> HistogramIter<'a> {
    /// An iterator over encoded chunk bytes.
    pub fn new(bytes: &'a [u8]) -> Result<HistogramIter<'a>, Error> {
        let flags = *bytes.get(FLAGS_POS).ok_or_else(|| Error::Corrupt {
            what: WHAT,
            message: format!("{} bytes is too short for the header", bytes.len()),
        })?;
        let mut r = BitReader::new(bytes);
        r.read_bits(24, WHAT)?;
        Ok(HistogramIter {
            r,
            header: CounterResetHeader::from_byte(flags),
            total: num_samples(bytes),
            read: 0,
            layout: Layout::default(),
            t: 0,
            t_delta: 0,
            count: 0,
            count_delta: 0,
            zero_count: 0,
            zero_count_delta: 0,
            sum: 0.0,
            leading: 0,
            trailing: 0,
            pos: Vec::new(),
            neg: Vec::new(),
            err: None,
        })
    }

    /// The chunk's counter-reset header.
    pub fn header(&self) -> CounterResetHeader {
        self.header
    }

    /// The error that stopped iteration early, if any.
    pub fn take_err(&mut self) -> Option<Error> {
        self.err.take()
    }

    fn step(&mut self) -> Result<(i64, Histogram), Error> {
        if self.read == 0 {
            self.layout = Layout::read(&mut self.r, WHAT)?;
            let (np, nn) = self.layout.bucket_counts();
            self.t = read_varbit_int(&mut self.r, WHAT)?;
            self.count = read_varbit_uint(&mut self.r, WHAT)?;
            self.zero_count = read_varbit_uint(&mut self.r, WHAT)?;
            self.sum = f64::from_bits(self.r.read_bits(64, WHAT)?);
            self.pos.clear();
            self.neg.clear();
            for _ in 0..np {
                self.pos.push((read_varbit_int(&mut self.r, WHAT)?, 0));
            }
            for _ in 0..nn {
                self.neg.push((read_varbit_int(&mut self.r, WHAT)?, 0));
            }
        } else {
            self.t_delta = self
                .t_delta
                .wrapping_add(read_varbit_int(&mut self.r, WHAT)?);
            self.t = self.t.wrapping_add(self.t_delta);
            self.count_delta = self
                .count_delta
                .wrapping_add(read_varbit_int(&mut self.r, WHAT)?);
            self.count = (self.count as i64).wrapping_add(self.count_delta) as u64;
            self.zero_count_delta = self
                .zero_count_delta
                .wrapping_add(read_varbit_int(&mut self.r, WHAT)?);
            self.zero_count = (self.zero_count as i64).wrapping_add(self.zero_count_delta) as u64;
            xor_read(
                &mut self.r,
                &mut self.sum,
                &mut self.leading,
                &mut self.trailing,
                WHAT,
            )?;
            if !is_stale_nan(self.sum) {
                for slot in self.pos.iter_mut().chain(self.neg.iter_mut()) {
                    slot.1 = slot.1.wrapping_add(read_varbit_int(&mut self.r, WHAT)?);
                    slot.0 = slot.0.wrapping_add(slot.1);
                }
            }
        }
        let position = self.read;
        self.read += 1;
        if is_stale_nan(self.sum) {
            return Ok((
                self.t,
                Histogram {
                    sum: self.sum,
                    ..Histogram::default()
                },
            ));
        }
        let l = &self.layout;
        Ok((
            self.t,
            Histogram {
                counter_reset_hint: self.header.hint_at(position),
                schema: l.schema,
                zero_threshold: l.zero_threshold,
                zero_count: self.zero_count,
                count: self.count,
                sum: self.sum,
                positive_spans: l.positive_spans.clone(),
                negative_spans: l.negative_spans.clone(),
                positive_buckets: self.pos.iter().map(|p| p.0).collect(),
                negative_buckets: self.neg.iter().map(|p| p.0).collect(),
                custom_values: l.custom_values.clone(),
            },
        ))
    }
}

impl Iterator for HistogramIter<'_> {
    type Item = (i64, Histogram);

    fn next(&mut self) -> Option<(i64, Histogram)> {
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

/// A value with its own XOR window, as float histograms store each field.
#[derive(Debug, Clone, Copy)]
struct XorValue {
    v: f64,
    leading: u8,
    trailing: u8,
}

impl XorValue {
    fn new(v: f64) -> XorValue {
        XorValue {
            v,
            leading: 0xff,
            trailing: 0,
        }
    }
}

/// A float native-histogram chunk that can be appended to.
#[derive(Debug, Clone)]
pub struct FloatHistogramChunk {
    w: BitWriter,
    layout: Option<Layout>,
    t: i64,
    t_delta: i64,
    count: XorValue,
    zero_count: XorValue,
    sum: XorValue,
    pos: Vec<XorValue>,
    neg: Vec<XorValue>,
}

impl FloatHistogramChunk {
    /// An empty chunk with the given counter-reset header.
    pub fn new(header: CounterResetHeader) -> FloatHistogramChunk {
        FloatHistogramChunk {
            w: new_writer(header),
            layout: None,
            t: 0,
            t_delta: 0,
            count: XorValue::new(0.0),
            zero_count: XorValue::new(0.0),
            sum: XorValue::new(0.0),
            pos: Vec::new(),
            neg: Vec::new(),
        }
    }

    /// Encoded bytes, header included.
    pub fn bytes(&self) -> &[u8] {
        self.w.bytes()
    }

    /// Number of samples.
    pub fn num_samples(&self) -> usize {
        num_samples(self.w.bytes())
    }

    /// Appends a float histogram; see [`HistogramChunk::append`].
    pub fn append(&mut self, t: i64, h: &FloatHistogram) -> Result<(), Error> {
        let n = self.num_samples();
        if n >= MAX_SAMPLES {
            return Err(Error::ChunkFull(n));
        }
        let stale = is_stale_nan(h.sum);
        let empty = FloatHistogram {
            sum: h.sum,
            ..FloatHistogram::default()
        };
        let h = if stale { &empty } else { h };
        if n == 0 {
            let layout = layout_of(
                h.schema,
                h.zero_threshold,
                &h.positive_spans,
                &h.negative_spans,
                &h.custom_values,
            );
            let (np, nn) = layout.bucket_counts();
            if np != h.positive_buckets.len() || nn != h.negative_buckets.len() {
                return Err(Error::InvalidArgument(
                    "histogram spans and bucket counts disagree".into(),
                ));
            }
            layout.write(&mut self.w);
            put_varbit_int(&mut self.w, t);
            for v in [h.count, h.zero_count, h.sum] {
                self.w.write_bits(v.to_bits(), 64);
            }
            for v in h.positive_buckets.iter().chain(&h.negative_buckets) {
                self.w.write_bits(v.to_bits(), 64);
            }
            self.count = XorValue::new(h.count);
            self.zero_count = XorValue::new(h.zero_count);
            self.sum = XorValue::new(h.sum);
            self.pos = h
                .positive_buckets
                .iter()
                .map(|v| XorValue::new(*v))
                .collect();
            self.neg = h
                .negative_buckets
                .iter()
                .map(|v| XorValue::new(*v))
                .collect();
            self.layout = Some(layout);
            self.t = t;
            bump_count(&mut self.w, n);
            return Ok(());
        }
        if !stale
            && !self.layout.as_ref().is_some_and(|l| {
                l.schema == h.schema
                    && l.zero_threshold.to_bits() == h.zero_threshold.to_bits()
                    && l.positive_spans == h.positive_spans
                    && l.negative_spans == h.negative_spans
                    && l.custom_values == h.custom_values
            })
        {
            return Err(Error::LayoutMismatch);
        }
        let t_delta = t.wrapping_sub(self.t);
        put_varbit_int(&mut self.w, t_delta.wrapping_sub(self.t_delta));
        let w = &mut self.w;
        let mut put = |x: &mut XorValue, v: f64| {
            xor_write(w, v, x.v, &mut x.leading, &mut x.trailing);
            x.v = v;
        };
        put(&mut self.count, h.count);
        put(&mut self.zero_count, h.zero_count);
        put(&mut self.sum, h.sum);
        for (x, v) in self.pos.iter_mut().zip(&h.positive_buckets) {
            put(x, *v);
        }
        for (x, v) in self.neg.iter_mut().zip(&h.negative_buckets) {
            put(x, *v);
        }
        self.t = t;
        self.t_delta = t_delta;
        bump_count(&mut self.w, n);
        Ok(())
    }

    /// Iterates the chunk's samples.
    pub fn iter(&self) -> Result<FloatHistogramIter<'_>, Error> {
        FloatHistogramIter::new(self.w.bytes())
    }
}

/// Decodes a float histogram chunk.
#[derive(Debug)]
pub struct FloatHistogramIter<'a> {
    r: BitReader<'a>,
    header: CounterResetHeader,
    total: usize,
    read: usize,
    layout: Layout,
    t: i64,
    t_delta: i64,
    count: XorValue,
    zero_count: XorValue,
    sum: XorValue,
    pos: Vec<XorValue>,
    neg: Vec<XorValue>,
    err: Option<Error>,
}

impl<'a> FloatHistogramIter<'a> {
    /// An iterator over encoded chunk bytes.
    pub fn new(bytes: &'a [u8]) -> Result<FloatHistogramIter<'a>, Error> {
        let flags = *bytes.get(FLAGS_POS).ok_or_else(|| Error::Corrupt {
            what: WHAT,
            message: format!("{} bytes is too short for the header", bytes.len()),
        })?;
        let mut r = BitReader::new(bytes);
        r.read_bits(24, WHAT)?;
        Ok(FloatHistogramIter {
            r,
            header: CounterResetHeader::from_byte(flags),
            total: num_samples(bytes),
            read: 0,
            layout: Layout::default(),
            t: 0,
            t_delta: 0,
            count: XorValue::new(0.0),
            zero_count: XorValue::new(0.0),
            sum: XorValue::new(0.0),
            pos: Vec::new(),
            neg: Vec::new(),
            err: None,
        })
    }

    /// The chunk's counter-reset header.
    pub fn header(&self) -> CounterResetHeader {
        self.header
    }

    /// The error that stopped iteration early, if any.
    pub fn take_err(&mut self) -> Option<Error> {
        self.err.take()
    }

    fn step(&mut self) -> Result<(i64, FloatHistogram), Error> {
        let r = &mut self.r;
        if self.read == 0 {
            self.layout = Layout::read(r, WHAT)?;
            let (np, nn) = self.layout.bucket_counts();
            self.t = read_varbit_int(r, WHAT)?;
            let mut f = || -> Result<XorValue, Error> {
                Ok(XorValue {
                    v: f64::from_bits(r.read_bits(64, WHAT)?),
                    leading: 0,
                    trailing: 0,
                })
            };
            self.count = f()?;
            self.zero_count = f()?;
            self.sum = f()?;
            self.pos = (0..np).map(|_| f()).collect::<Result<_, _>>()?;
            self.neg = (0..nn).map(|_| f()).collect::<Result<_, _>>()?;
        } else {
            self.t_delta = self.t_delta.wrapping_add(read_varbit_int(r, WHAT)?);
            self.t = self.t.wrapping_add(self.t_delta);
            let mut get =
                |x: &mut XorValue| xor_read(r, &mut x.v, &mut x.leading, &mut x.trailing, WHAT);
            get(&mut self.count)?;
            get(&mut self.zero_count)?;
            get(&mut self.sum)?;
            if !is_stale_nan(self.sum.v) {
                for x in self.pos.iter_mut().chain(self.neg.iter_mut()) {
                    get(x)?;
                }
            }
        }
        let position = self.read;
        self.read += 1;
        if is_stale_nan(self.sum.v) {
            return Ok((
                self.t,
                FloatHistogram {
                    sum: self.sum.v,
                    ..FloatHistogram::default()
                },
            ));
        }
        let l = &self.layout;
        Ok((
            self.t,
            FloatHistogram {
                counter_reset_hint: self.header.hint_at(position),
                schema: l.schema,
                zero_threshold: l.zero_threshold,
                zero_count: self.zero_count.v,
                count: self.count.v,
                sum: self.sum.v,
                positive_spans: l.positive_spans.clone(),
                negative_spans: l.negative_spans.clone(),
                positive_buckets: self.pos.iter().map(|x| x.v).collect(),
                negative_buckets: self.neg.iter().map(|x| x.v).collect(),
                custom_values: l.custom_values.clone(),
            },
        ))
    }
}

impl Iterator for FloatHistogramIter<'_> {
    type Item = (i64, FloatHistogram);

    fn next(&mut self) -> Option<(i64, FloatHistogram)> {
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
#[path = "histogram_tests.rs"]
mod tests;
