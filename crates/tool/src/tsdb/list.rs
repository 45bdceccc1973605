//! `vigil tool tsdb list`: promtool's `tsdb list`, one line per block with
//! its time range, duration, counts and size on disk.

use std::path::Path;

use vigil_tsdb::block::Block;

use super::format::{base2_bytes, go_duration, go_time_utc, tabwrite};
use super::{TsdbError, dir_size, open_blocks};

/// The header row of the table.
const HEADER: [&str; 8] = [
    "BLOCK ULID",
    "MIN TIME",
    "MAX TIME",
    "DURATION",
    "NUM SAMPLES",
    "NUM CHUNKS",
    "NUM SERIES",
    "SIZE",
];

fn time_cell(ms: i64, human: bool) -> String {
    if human {
        // Go's integer division truncates towards zero.
        go_time_utc(ms / 1000)
    } else {
        ms.to_string()
    }
}

/// One table row for `block`.
pub fn block_row(block: &Block, human: bool) -> Result<Vec<String>, TsdbError> {
    let meta = block.meta();
    let size = dir_size(block.dir())?;
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    Ok(vec![
        meta.ulid.clone(),
        time_cell(meta.min_time, human),
        time_cell(meta.max_time, human),
        go_duration(
            meta.max_time
                .wrapping_sub(meta.min_time)
                .wrapping_mul(1_000_000),
        ),
        meta.stats.num_samples.to_string(),
        meta.stats.num_chunks.to_string(),
        meta.stats.num_series.to_string(),
        if human {
            base2_bytes(size)
        } else {
            size.to_string()
        },
    ])
}

/// The table of `blocks` as promtool prints it (`tabwriter` with minimum
/// width 13 and padding 2), with the header row if `header`.
pub fn table(blocks: &[&Block], header: bool, human: bool) -> Result<String, TsdbError> {
    let mut rows = Vec::with_capacity(blocks.len() + 1);
    if header {
        rows.push(HEADER.iter().map(|s| (*s).to_owned()).collect());
    }
    for b in blocks {
        rows.push(block_row(b, human)?);
    }
    Ok(tabwrite(&rows, 13, 2))
}

/// `tsdb list`: the table of every block in the data directory `dir`.
pub fn list(dir: &Path, human: bool) -> Result<String, TsdbError> {
    let blocks = open_blocks(dir)?;
    let refs: Vec<&Block> = blocks.iter().collect();
    table(&refs, true, human)
}
