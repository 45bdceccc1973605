//! The samples of one series as the querier and compaction move them:
//! floats and native histograms (integer or float), each list in time
//! order. A series may change kind over time; one timestamp holds one
//! sample.
//!
//! Decoding reads every chunk encoding Prometheus writes; encoding cuts
//! XOR chunks every 120 samples and histogram chunks where Prometheus
//! would (a bucket layout change, 120 samples, a counter reset), with the
//! chunk's counter-reset header taken from the first sample's hint or, for
//! a cut the hint does not explain, from comparing with the previous
//! histogram.

use vigil_model::{CounterResetHint, FloatHistogram, Histogram};

use crate::block::SAMPLES_PER_CHUNK;
use crate::chunkenc::{
    CounterResetHeader, Encoding, FloatHistogramChunk, FloatHistogramIter, HistogramChunk,
    HistogramIter, XorChunk, decode_xor_into,
};
use crate::error::Error;

/// A native-histogram sample as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum HistogramValue {
    /// Integer counts (Prometheus' `histogram.Histogram`).
    Int(Histogram),
    /// Float counts (`histogram.FloatHistogram`).
    Float(FloatHistogram),
}

impl HistogramValue {
    /// The histogram with float counts.
    pub fn to_float(&self) -> FloatHistogram {
        match self {
            HistogramValue::Int(h) => h.to_float(),
            HistogramValue::Float(h) => h.clone(),
        }
    }

    pub(crate) fn hint(&self) -> CounterResetHint {
        self.as_ref().hint()
    }

    /// Borrows the histogram.
    pub fn as_ref(&self) -> HistRef<'_> {
        match self {
            HistogramValue::Int(h) => HistRef::Int(h),
            HistogramValue::Float(h) => HistRef::Float(h),
        }
    }
}

/// A borrowed [`HistogramValue`], so appends need not copy a histogram
/// they may not keep.
#[derive(Debug, Clone, Copy)]
pub enum HistRef<'a> {
    /// Integer counts.
    Int(&'a Histogram),
    /// Float counts.
    Float(&'a FloatHistogram),
}

impl HistRef<'_> {
    pub(crate) fn hint(self) -> CounterResetHint {
        match self {
            HistRef::Int(h) => h.counter_reset_hint,
            HistRef::Float(h) => h.counter_reset_hint,
        }
    }

    /// The histogram with float counts.
    pub fn to_float(self) -> FloatHistogram {
        match self {
            HistRef::Int(h) => h.to_float(),
            HistRef::Float(h) => h.clone(),
        }
    }

    /// An owned copy.
    pub fn to_value(self) -> HistogramValue {
        match self {
            HistRef::Int(h) => HistogramValue::Int(h.clone()),
            HistRef::Float(h) => HistogramValue::Float(h.clone()),
        }
    }
}

/// The samples of one series in a time range.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesData {
    /// Float samples by increasing timestamp.
    pub floats: Vec<(i64, f64)>,
    /// Histogram samples by increasing timestamp.
    pub histograms: Vec<(i64, HistogramValue)>,
}

impl SeriesData {
    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.floats.is_empty() && self.histograms.is_empty()
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.floats.len() + self.histograms.len()
    }

    /// Merges `other` in; of samples with equal timestamps (of either
    /// kind) the one already here is kept, as Prometheus' merge keeps the
    /// first source's.
    pub fn merge(&mut self, other: SeriesData) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = other;
            return;
        }
        let have_f: Vec<i64> = self.floats.iter().map(|s| s.0).collect();
        let have_h: Vec<i64> = self.histograms.iter().map(|s| s.0).collect();
        let taken = |t: i64| have_f.binary_search(&t).is_ok() || have_h.binary_search(&t).is_ok();
        let floats: Vec<(i64, f64)> = other.floats.into_iter().filter(|s| !taken(s.0)).collect();
        let hists: Vec<(i64, HistogramValue)> = other
            .histograms
            .into_iter()
            .filter(|s| !taken(s.0))
            .collect();
        self.floats.extend(floats);
        self.floats.sort_by_key(|s| s.0);
        self.histograms.extend(hists);
        self.histograms.sort_by_key(|s| s.0);
    }

    /// Drops the samples inside any of the inclusive `intervals`.
    pub fn apply_tombstones(&mut self, intervals: &[(i64, i64)]) {
        if intervals.is_empty() {
            return;
        }
        let gone = |t: i64| intervals.iter().any(|&(a, b)| a <= t && t <= b);
        self.floats.retain(|s| !gone(s.0));
        self.histograms.retain(|s| !gone(s.0));
    }
}

/// Decodes the samples of one chunk within `mint..=maxt` into `out`.
pub fn decode_chunk(
    encoding: Encoding,
    data: &[u8],
    mint: i64,
    maxt: i64,
    out: &mut SeriesData,
) -> Result<(), Error> {
    let within = |t: i64| t >= mint && t <= maxt;
    match encoding {
        Encoding::Xor => decode_xor_into(data, mint, maxt, &mut out.floats)?,
        Encoding::Histogram => {
            let mut it = HistogramIter::new(data)?;
            out.histograms.extend(
                it.by_ref()
                    .filter(|s| within(s.0))
                    .map(|(t, h)| (t, HistogramValue::Int(h))),
            );
            if let Some(e) = it.take_err() {
                return Err(e);
            }
        }
        Encoding::FloatHistogram => {
            let mut it = FloatHistogramIter::new(data)?;
            out.histograms.extend(
                it.by_ref()
                    .filter(|s| within(s.0))
                    .map(|(t, h)| (t, HistogramValue::Float(h))),
            );
            if let Some(e) = it.take_err() {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// An encoded chunk with its time range and sample count.
#[derive(Debug, Clone)]
pub struct OwnedChunk {
    /// Its encoding.
    pub encoding: Encoding,
    /// Encoded bytes.
    pub data: Vec<u8>,
    /// First timestamp.
    pub mint: i64,
    /// Last timestamp.
    pub maxt: i64,
    /// Number of samples.
    pub samples: u64,
}

impl OwnedChunk {
    /// Borrows the chunk for [`BlockWriter::add_series`](crate::block::BlockWriter::add_series).
    pub fn as_encoded(&self) -> crate::block::EncodedChunk<'_> {
        crate::block::EncodedChunk {
            encoding: self.encoding,
            data: &self.data,
            mint: self.mint,
            maxt: self.maxt,
            samples: self.samples,
        }
    }
}

/// Encodes `data` into chunks ordered by start time. Samples are taken in
/// time order and a change of kind closes the chunk being filled, so
/// chunks never overlap (the index requires it).
pub fn encode_chunks(data: &SeriesData) -> Result<Vec<OwnedChunk>, Error> {
    let mut out = Vec::new();
    let mut floats = data.floats.iter().peekable();
    let mut hists = data.histograms.iter().peekable();
    let mut xor: Option<(XorChunk, i64, i64)> = None;
    let mut enc = HistogramEncoder::default();
    let mut prev: Option<&HistogramValue> = None;
    loop {
        let float_next = match (floats.peek(), hists.peek()) {
            (Some(f), Some(h)) => f.0 < h.0,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        if float_next {
            let Some(&(t, v)) = floats.next() else { break };
            enc.finish(&mut out);
            let full = xor
                .as_ref()
                .is_some_and(|(c, _, _)| c.num_samples() >= SAMPLES_PER_CHUNK);
            if full {
                finish_xor(&mut xor, &mut out);
            }
            let (c, _, maxt) = xor.get_or_insert_with(|| (XorChunk::new(), t, t));
            c.append(t, v)?;
            *maxt = t;
        } else {
            let Some((t, h)) = hists.next() else { break };
            finish_xor(&mut xor, &mut out);
            enc.push(*t, h, prev, &mut out)?;
            prev = Some(h);
        }
    }
    finish_xor(&mut xor, &mut out);
    enc.finish(&mut out);
    Ok(out)
}

fn finish_xor(xor: &mut Option<(XorChunk, i64, i64)>, out: &mut Vec<OwnedChunk>) {
    if let Some((c, mint, maxt)) = xor.take() {
        out.push(OwnedChunk {
            encoding: Encoding::Xor,
            samples: c.num_samples() as u64,
            data: c.bytes().to_vec(),
            mint,
            maxt,
        });
    }
}

/// A histogram chunk being filled (compaction's encoder and the head's
/// open histogram chunk).
#[derive(Debug)]
pub(crate) enum OpenHist {
    Int(HistogramChunk),
    Float(FloatHistogramChunk),
}

impl OpenHist {
    pub(crate) fn new(h: HistRef<'_>, header: CounterResetHeader) -> OpenHist {
        match h {
            HistRef::Int(_) => OpenHist::Int(HistogramChunk::new(header)),
            HistRef::Float(_) => OpenHist::Float(FloatHistogramChunk::new(header)),
        }
    }

    /// Appends `h`; `Ok(false)` when it does not fit (another kind, layout
    /// or a full chunk) and a new chunk is needed.
    pub(crate) fn append(&mut self, t: i64, h: HistRef<'_>) -> Result<bool, Error> {
        let r = match (self, h) {
            (OpenHist::Int(c), HistRef::Int(h)) => c.append(t, h),
            (OpenHist::Float(c), HistRef::Float(h)) => c.append(t, h),
            _ => return Ok(false),
        };
        match r {
            Ok(()) => Ok(true),
            Err(Error::LayoutMismatch | Error::ChunkFull(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn num_samples(&self) -> usize {
        match self {
            OpenHist::Int(c) => c.num_samples(),
            OpenHist::Float(c) => c.num_samples(),
        }
    }

    /// The encoded bytes and their encoding.
    pub(crate) fn bytes(&self) -> (Encoding, &[u8]) {
        match self {
            OpenHist::Int(c) => (Encoding::Histogram, c.bytes()),
            OpenHist::Float(c) => (Encoding::FloatHistogram, c.bytes()),
        }
    }

    fn finish(self, mint: i64, maxt: i64) -> OwnedChunk {
        let samples = self.num_samples() as u64;
        let (encoding, data) = match self {
            OpenHist::Int(c) => (Encoding::Histogram, c.bytes().to_vec()),
            OpenHist::Float(c) => (Encoding::FloatHistogram, c.bytes().to_vec()),
        };
        OwnedChunk {
            encoding,
            data,
            mint,
            maxt,
            samples,
        }
    }
}

#[derive(Debug, Default)]
struct HistogramEncoder {
    open: Option<(OpenHist, i64, i64)>,
}

impl HistogramEncoder {
    fn push(
        &mut self,
        t: i64,
        h: &HistogramValue,
        prev: Option<&HistogramValue>,
        out: &mut Vec<OwnedChunk>,
    ) -> Result<(), Error> {
        let hint = h.hint();
        let full = self
            .open
            .as_ref()
            .is_some_and(|(c, _, _)| c.num_samples() >= SAMPLES_PER_CHUNK);
        // A reset (said by the hint, or seen against the previous sample)
        // must start a chunk whose header says so: readers assume none
        // inside a chunk.
        let reset = match (hint, prev) {
            (CounterResetHint::CounterReset, _) => true,
            (CounterResetHint::Gauge, _) | (_, None) => false,
            (_, Some(p)) => h.to_float().detect_reset(&p.to_float()),
        };
        if !full && !reset {
            if let Some((c, _, maxt)) = &mut self.open {
                if c.append(t, h.as_ref())? {
                    *maxt = t;
                    return Ok(());
                }
            }
        }
        if let Some((c, mint, maxt)) = self.open.take() {
            out.push(c.finish(mint, maxt));
        }
        let header = match (hint, prev) {
            (CounterResetHint::Gauge, _) => CounterResetHeader::Gauge,
            _ if reset => CounterResetHeader::CounterReset,
            (_, None) => CounterResetHeader::for_hint(hint),
            (_, Some(_)) => CounterResetHeader::NotCounterReset,
        };
        let mut c = OpenHist::new(h.as_ref(), header);
        if !c.append(t, h.as_ref())? {
            return Err(Error::InvalidArgument(
                "histogram does not fit an empty chunk".into(),
            ));
        }
        self.open = Some((c, t, t));
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<OwnedChunk>) {
        if let Some((c, mint, maxt)) = self.open.take() {
            out.push(c.finish(mint, maxt));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::Span;

    fn hist(count: u64, schema: i32) -> Histogram {
        Histogram {
            schema,
            count,
            sum: count as f64 * 1.5,
            zero_threshold: 1e-128,
            positive_spans: vec![Span {
                offset: 0,
                length: 2,
            }],
            positive_buckets: vec![count as i64 / 2, 0],
            ..Histogram::default()
        }
    }

    #[test]
    fn histograms_round_trip_with_cuts_and_reset_headers() {
        let mut data = SeriesData::default();
        for i in 0..300i64 {
            // A reset at 200, a schema change at 250.
            let count = if i < 200 {
                10 + 2 * i as u64
            } else {
                2 + i as u64 - 200
            };
            let schema = if i < 250 { 1 } else { 0 };
            data.histograms
                .push((i * 1000, HistogramValue::Int(hist(count, schema))));
        }
        data.floats.push((400_000, 1.0));
        let chunks = encode_chunks(&data).unwrap();
        // 0..120, 120..200, 200..250 (reset), 250..300 (layout), floats.
        assert_eq!(chunks.len(), 5, "{chunks:?}");
        let mut back = SeriesData::default();
        for c in &chunks {
            decode_chunk(c.encoding, &c.data, i64::MIN, i64::MAX, &mut back).unwrap();
        }
        assert_eq!(back.floats, data.floats);
        assert_eq!(back.histograms.len(), 300);
        let hint_at = |i: usize| match &back.histograms[i].1 {
            HistogramValue::Int(h) => h.counter_reset_hint,
            HistogramValue::Float(_) => unreachable!("integer histograms"),
        };
        assert_eq!(hint_at(0), CounterResetHint::Unknown);
        assert_eq!(hint_at(120), CounterResetHint::NotCounterReset);
        assert_eq!(hint_at(200), CounterResetHint::CounterReset);
        assert_eq!(hint_at(250), CounterResetHint::NotCounterReset);
        for (i, (t, h)) in back.histograms.iter().enumerate() {
            assert_eq!(*t, data.histograms[i].0);
            let (HistogramValue::Int(a), HistogramValue::Int(b)) = (h, &data.histograms[i].1)
            else {
                unreachable!("integer histograms")
            };
            assert_eq!(
                (a.count, a.schema, &a.positive_buckets),
                (b.count, b.schema, &b.positive_buckets)
            );
        }
    }

    #[test]
    fn merge_keeps_the_first_sample_of_a_timestamp() {
        let mut a = SeriesData {
            floats: vec![(1, 1.0), (3, 3.0)],
            histograms: vec![],
        };
        let b = SeriesData {
            floats: vec![(2, 20.0), (3, 30.0)],
            histograms: vec![
                (1, HistogramValue::Int(hist(4, 0))),
                (4, HistogramValue::Int(hist(4, 0))),
            ],
        };
        a.merge(b);
        assert_eq!(a.floats, [(1, 1.0), (2, 20.0), (3, 3.0)]);
        assert_eq!(a.histograms.len(), 1);
        assert_eq!(a.histograms[0].0, 4);
    }
}
