//! Persisting a time range of the head as a block (the write half of head
//! compaction; [`Head::truncate`] is the other), deleted ranges left out.

use std::path::Path;

use vigil_model::Labels;

use super::Head;
use crate::block::{BlockMeta, BlockWriter, EncodedChunk};
use crate::error::Error;
use crate::series_data::{SeriesData, encode_chunks};

impl Head {
    /// Writes the samples with `mint <= t < maxt` as a new block under the
    /// data directory `parent` (Prometheus' layout; the block is renamed into
    /// place only once complete) and returns its meta, or `None` when no
    /// series has samples in the range (no block is written then).
    ///
    /// Samples are re-encoded into chunks of at most 120 samples. Appends
    /// may continue meanwhile; a sample committed during the call may or may
    /// not be included. The head itself is unchanged.
    pub fn write_block(
        &self,
        parent: &Path,
        mint: i64,
        maxt: i64,
    ) -> Result<Option<BlockMeta>, Error> {
        if maxt <= mint {
            return Err(Error::InvalidArgument(format!(
                "empty block range [{mint}, {maxt})"
            )));
        }
        let refs: Vec<u32> = self.postings().all().to_vec();
        let mut series: Vec<(Labels, u32)> = refs
            .into_iter()
            .filter_map(|r| self.series.get(u64::from(r)).map(|s| (s.labels.clone(), r)))
            .collect();
        series.sort_unstable();
        let mut w: Option<BlockWriter> = None;
        for (labels, r) in series {
            let Some(s) = self.series.get(u64::from(r)) else {
                continue;
            };
            let mut data = SeriesData::default();
            s.lock()
                .data_in(mint, maxt - 1, self.chunks.as_ref(), &mut data);
            self.ooo
                .merge_into(u64::from(r), mint, maxt - 1, &mut data.floats);
            self.apply_tombstones_data(u64::from(r), &mut data);
            if data.is_empty() {
                continue;
            }
            let chunks = encode_chunks(&data)?;
            let encoded: Vec<EncodedChunk<'_>> = chunks.iter().map(|c| c.as_encoded()).collect();
            let writer = match &mut w {
                Some(w) => w,
                None => w.insert(BlockWriter::new(parent)?),
            };
            writer.add_series(labels, &encoded)?;
        }
        w.map(|w| w.finish(mint, maxt)).transpose()
    }
}
