//! Native histograms in the head: the open histogram chunk of a series and
//! the rules for cutting it, which follow Prometheus' head: a new chunk at
//! 120 samples, at a chunk-range boundary, on a bucket-layout change, on a
//! change between integer and float histograms, and on a counter reset,
//! whose chunk header says so (readers assume no reset inside a chunk).
//! Gauge histograms never count as reset.

use vigil_model::CounterResetHint;

use super::mmap::ChunkStore;
use super::series::{ChunkData, CutChunk, SAMPLES_PER_CHUNK, SeriesState, boundary_after};
use crate::chunkenc::{CounterResetHeader, Encoding};
use crate::series_data::{HistRef, HistogramValue, OpenHist, SeriesData, decode_chunk};

/// A series' open histogram chunk.
#[derive(Debug)]
pub(crate) struct HistHead {
    chunk: OpenHist,
    mint: i64,
    pub(crate) maxt: i64,
    /// The last histogram appended, to detect counter resets.
    prev: HistogramValue,
}

impl HistHead {
    pub(crate) fn num_samples(&self) -> usize {
        self.chunk.num_samples()
    }
}

/// Whether `h` after `prev` means the counter was reset: any count (total,
/// zero bucket, bucket) went down, compared bucket by bucket as floats.
fn is_reset(prev: &HistogramValue, h: HistRef<'_>) -> bool {
    match (prev, h) {
        (HistogramValue::Int(p), HistRef::Int(c))
            if p.count > c.count || p.zero_count > c.zero_count =>
        {
            true
        }
        _ => h.to_float().detect_reset(&prev.to_float()),
    }
}

impl SeriesState {
    /// Appends histogram `h` at `t` if it may follow the last sample;
    /// returns whether it did.
    pub(crate) fn append_histogram(&mut self, t: i64, h: HistRef<'_>, range: i64) -> bool {
        match Self::check(self.last(), t, f64::NAN) {
            Ok(true) => {}
            Ok(false) | Err(_) => return false,
        }
        if self.open.is_some() {
            self.cut_float_for_histogram();
        }
        let hint = h.hint();
        let gauge = hint == CounterResetHint::Gauge;
        let mut reset = hint == CounterResetHint::CounterReset;
        if let Some(hh) = &mut self.hist {
            let boundary = boundary_after(hh.mint, range).is_some_and(|b| t >= b);
            let full = hh.chunk.num_samples() >= SAMPLES_PER_CHUNK;
            reset |= !gauge && is_reset(&hh.prev, h);
            if !boundary && !full && !reset {
                match hh.chunk.append(t, h) {
                    Ok(true) => {
                        hh.maxt = t;
                        hh.prev = h.to_value();
                        return true;
                    }
                    Ok(false) => {}
                    Err(_) => return false,
                }
            }
        }
        let header = if gauge {
            CounterResetHeader::Gauge
        } else if reset {
            CounterResetHeader::CounterReset
        } else if self.hist.is_some() {
            CounterResetHeader::NotCounterReset
        } else {
            CounterResetHeader::for_hint(hint)
        };
        self.cut_hist();
        let mut chunk = OpenHist::new(h, header);
        if !matches!(chunk.append(t, h), Ok(true)) {
            return false;
        }
        self.hist = Some(Box::new(HistHead {
            chunk,
            mint: t,
            maxt: t,
            prev: h.to_value(),
        }));
        true
    }

    /// Closes the open histogram chunk, keeping its bytes in memory until
    /// `persist_cut` writes them out.
    pub(crate) fn cut_hist(&mut self) {
        if let Some(hh) = self.hist.take() {
            if hh.chunk.num_samples() > 0 {
                let (enc, bytes) = hh.chunk.bytes();
                self.cut.push(CutChunk {
                    mint: hh.mint,
                    maxt: hh.maxt,
                    data: ChunkData::Mem(enc, bytes.into()),
                });
            }
        }
    }

    /// Every sample (floats and histograms) with `mint <= t <= maxt`.
    pub(crate) fn data_in(
        &self,
        mint: i64,
        maxt: i64,
        store: Option<&ChunkStore>,
        out: &mut SeriesData,
    ) {
        let mut floats = Vec::new();
        self.samples_in(mint, maxt, store, &mut floats);
        out.floats.extend(floats);
        for c in &self.cut {
            if c.maxt < mint || c.mint > maxt || c.data.encoding() == Encoding::Xor {
                continue;
            }
            // Chunks this module built decode; a damaged file contributes
            // what decoded before the damage.
            let enc = c.data.encoding();
            c.with_bytes(store, |b| decode_chunk(enc, b, mint, maxt, out));
        }
        if let Some(hh) = &self.hist {
            if hh.mint <= maxt && hh.maxt >= mint {
                let (enc, b) = hh.chunk.bytes();
                let _ = decode_chunk(enc, b, mint, maxt, out);
            }
        }
        out.floats.sort_by_key(|s| s.0);
        out.histograms.sort_by_key(|s| s.0);
    }
}
