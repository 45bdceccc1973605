//! Invariants on untrusted bytes for the storage decoders, shared by the
//! `cargo fuzz` targets and the tests that replay their corpora: decoding
//! damaged data yields an error or a value, never a panic, and never an
//! unbounded allocation or loop.

use vigil_model::LabelsBuilder;

use crate::chunkenc::{FloatHistogramIter, HistogramIter, XorChunk, XorIter};
use crate::index::IndexReader;
use crate::record::{
    RecordType, decode_exemplars, decode_float_histogram_samples, decode_histogram_samples,
    decode_metadata, decode_mmap_markers, decode_samples, decode_series, decode_tombstones,
};
use crate::wal::SegmentReader;

/// Decodes `data` as a WAL record of whatever type its first byte names,
/// then as a whole WAL segment.
pub fn check_wal(data: &[u8]) {
    let _ = match RecordType::of(data) {
        Some(RecordType::Series) => decode_series(data, &mut Vec::new()),
        Some(RecordType::Samples) => decode_samples(data, &mut Vec::new()),
        Some(RecordType::Tombstones) => decode_tombstones(data, &mut Vec::new()),
        Some(RecordType::Exemplars) => decode_exemplars(data, &mut Vec::new()),
        Some(RecordType::MmapMarkers) => decode_mmap_markers(data, &mut Vec::new()),
        Some(RecordType::Metadata) => decode_metadata(data, &mut Vec::new()),
        Some(RecordType::HistogramSamples | RecordType::CustomBucketsHistogramSamples) => {
            decode_histogram_samples(data, &mut Vec::new())
        }
        Some(
            RecordType::FloatHistogramSamples | RecordType::CustomBucketsFloatHistogramSamples,
        ) => decode_float_histogram_samples(data, &mut Vec::new()),
        None => Ok(()),
    };
    let mut r = SegmentReader::new(0, data);
    let mut records = 0usize;
    while let Ok(Some(_)) = r.next_record() {
        records += 1;
        assert!(
            records <= data.len() + 1,
            "segment reader did not terminate"
        );
    }
}

/// Iterates `data` as each chunk encoding; a chunk claims at most 65 535
/// samples, so iteration is bounded. An XOR chunk that decodes fully must
/// re-encode to a chunk that decodes to the same samples.
pub fn check_chunk(data: &[u8]) {
    if let Ok(mut it) = XorIter::new(data) {
        let samples: Vec<(i64, f64)> = it.by_ref().collect();
        if it.take_err().is_none() {
            let mut c = XorChunk::new();
            for (t, v) in &samples {
                // Timestamps from damaged data may wrap; the codec must cope.
                let _ = c.append(*t, *v);
            }
            let again: Vec<(i64, f64)> = c.iter().collect();
            assert_eq!(again.len(), samples.len(), "re-encoded chunk lost samples");
            for (a, b) in again.iter().zip(&samples) {
                assert!(
                    a.0 == b.0 && a.1.to_bits() == b.1.to_bits(),
                    "re-encoded chunk differs"
                );
            }
        }
    }
    if let Ok(it) = HistogramIter::new(data) {
        let _ = it.count();
    }
    if let Ok(it) = FloatHistogramIter::new(data) {
        let _ = it.count();
    }
}

/// Opens `data` as an index file and reads every series it lists.
pub fn check_index(data: &[u8]) {
    let Ok(r) = IndexReader::new(data, "fuzz") else {
        return;
    };
    let mut b = LabelsBuilder::new();
    let mut chunks = Vec::new();
    for name in r.label_names().collect::<Vec<_>>() {
        let _ = r.label_values(name);
    }
    if let Ok(all) = r.all_postings() {
        for id in all.ids().take(10_000) {
            let _ = r.series(id, &mut b, &mut chunks);
        }
    }
}
