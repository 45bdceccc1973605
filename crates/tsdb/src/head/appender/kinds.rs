//! The appender's native-histogram and exemplar entry points, and the
//! encoding of the histogram records a commit writes.

use vigil_model::{Exemplar, FloatHistogram, Histogram, Labels};

use super::{AppendError, Appender, Buffers, ExemplarReject, MAX_EXEMPLAR_LABEL_CHARS};
use crate::head::SeriesRef;
use crate::head::exemplars::StoredExemplar;
use crate::record::{
    RefExemplar, RefFloatHistogramSample, RefHistogramSample, encode_float_histogram_samples,
    encode_histogram_samples,
};

impl Appender<'_> {
    /// Adds native histogram `h` at `t` of the series `labels` (created if
    /// new). The histogram must be valid ([`Histogram::validate`]).
    pub fn append_histogram(
        &mut self,
        labels: &Labels,
        t: i64,
        h: &Histogram,
    ) -> Result<SeriesRef, AppendError> {
        h.validate()
            .map_err(|e| AppendError::InvalidHistogram(e.to_string()))?;
        self.append_any_histogram(labels, t, |b, idx, series| {
            b.hist_slots.push(idx);
            b.hists.push(RefHistogramSample {
                series,
                t,
                h: h.clone(),
            });
        })
    }

    /// As [`Appender::append_histogram`], for a series reference.
    pub fn append_histogram_ref(
        &mut self,
        r: SeriesRef,
        t: i64,
        h: &Histogram,
    ) -> Result<SeriesRef, AppendError> {
        let labels = self.labels_of(r)?;
        self.append_histogram(&labels, t, h)
    }

    /// Adds float native histogram `h` at `t` of the series `labels`.
    pub fn append_float_histogram(
        &mut self,
        labels: &Labels,
        t: i64,
        h: &FloatHistogram,
    ) -> Result<SeriesRef, AppendError> {
        h.validate()
            .map_err(|e| AppendError::InvalidHistogram(e.to_string()))?;
        self.append_any_histogram(labels, t, |b, idx, series| {
            b.fhist_slots.push(idx);
            b.fhists.push(RefFloatHistogramSample {
                series,
                t,
                h: h.clone(),
            });
        })
    }

    /// The checks and bookkeeping both histogram kinds share; `push` queues
    /// the sample (given the series' index in `touched` and reference).
    fn append_any_histogram(
        &mut self,
        labels: &Labels,
        t: i64,
        push: impl FnOnce(&mut Buffers, u32, SeriesRef),
    ) -> Result<SeriesRef, AppendError> {
        self.check_bounds(t)?;
        let (r, idx) = self.resolve(labels)?;
        if self.add_hist(idx, t)? {
            push(&mut self.b, idx, SeriesRef::from(r));
        }
        Ok(SeriesRef::from(r))
    }

    /// As [`Appender::append_float_histogram`], for a series reference.
    pub fn append_float_histogram_ref(
        &mut self,
        r: SeriesRef,
        t: i64,
        h: &FloatHistogram,
    ) -> Result<SeriesRef, AppendError> {
        let labels = self.labels_of(r)?;
        self.append_float_histogram(&labels, t, h)
    }

    /// Adds an exemplar of the series with reference `r` (from an append
    /// of this batch or an earlier one). Exemplars need a timestamp, labels
    /// of at most 128 UTF-8 characters in total, and must be newer than the
    /// series' newest exemplar; the same exemplar again is ignored. Without
    /// exemplar storage (`max_exemplars` 0) this does nothing.
    pub fn append_exemplar(&mut self, r: SeriesRef, e: &Exemplar) -> Result<(), AppendError> {
        if self.head.opts.max_exemplars == 0 {
            return Ok(());
        }
        let ts = e.timestamp.ok_or(AppendError::ExemplarNoTimestamp)?;
        let chars: usize = e
            .labels
            .iter()
            .map(|l| l.name.chars().count() + l.value.chars().count())
            .sum();
        if chars > MAX_EXEMPLAR_LABEL_CHARS {
            return Err(AppendError::ExemplarLabelsTooLong(chars));
        }
        if self.head.series.get(r).is_none() {
            return Err(AppendError::UnknownSeriesRef(r));
        }
        let stored = StoredExemplar {
            labels: e.labels.clone(),
            value: e.value,
            ts,
        };
        // Against this batch's newest for the series, else the stored one.
        let reject = match self.b.exemplars.iter().rev().find(|x| x.series == r) {
            Some(n) if ts > n.t => None,
            Some(n) if ts == n.t && n.v.to_bits() == e.value.to_bits() && n.labels == e.labels => {
                Some(ExemplarReject::Duplicate)
            }
            Some(_) => Some(ExemplarReject::OutOfOrder),
            None => self.head.exemplars.check(r, &stored).err(),
        };
        match reject {
            None => {}
            Some(ExemplarReject::Duplicate) => return Ok(()),
            Some(ExemplarReject::OutOfOrder) => {
                return Err(AppendError::OutOfOrderExemplar { t: ts });
            }
        }
        self.b.exemplars.push(RefExemplar {
            series: r,
            t: ts,
            v: e.value,
            labels: e.labels.clone(),
        });
        Ok(())
    }
}

/// Encodes the batch's histograms into `b.hist_recs`: one record per kind
/// (integer/float × exponential/custom buckets), as Prometheus splits them.
pub(super) fn encode_histogram_records(b: &mut Buffers) {
    b.hist_recs.clear();
    encode_split(
        &b.hists,
        |s| is_custom(s.h.schema),
        encode_histogram_samples,
        &mut b.hist_recs,
    );
    encode_split(
        &b.fhists,
        |s| is_custom(s.h.schema),
        encode_float_histogram_samples,
        &mut b.hist_recs,
    );
}

fn is_custom(schema: i32) -> bool {
    schema == vigil_model::histogram::CUSTOM_BUCKETS_SCHEMA
}

/// Encodes `items` as one record, or as two (exponential first, then
/// custom buckets) when both kinds are present; only that rare split
/// copies the samples.
fn encode_split<T: Clone>(
    items: &[T],
    custom: impl Fn(&T) -> bool,
    encode: fn(&mut Vec<u8>, &[T]),
    out: &mut Vec<Vec<u8>>,
) {
    let Some(first) = items.first() else { return };
    let first_custom = custom(first);
    if items.iter().all(|s| custom(s) == first_custom) {
        let mut rec = Vec::new();
        encode(&mut rec, items);
        out.push(rec);
        return;
    }
    for want in [false, true] {
        let part: Vec<T> = items
            .iter()
            .filter(|s| custom(s) == want)
            .cloned()
            .collect();
        let mut rec = Vec::new();
        encode(&mut rec, &part);
        out.push(rec);
    }
}
