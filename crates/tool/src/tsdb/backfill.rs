//! `vigil tool tsdb create-blocks-from openmetrics`: promtool's backfill of
//! an OpenMetrics file into blocks.
//!
//! As promtool does: the whole file is parsed, syntax errors and a missing
//! `# EOF` are fatal, and every sample must carry a timestamp. The parser
//! is the one Prometheus scrapes with ([`OpenMetricsParser::lenient`]),
//! which is what promtool uses: it does not enforce the specification's
//! cross-line rules (family grouping, per-type value rules), so files that
//! promtool accepts are accepted; blocks cover aligned ranges of the
//! block duration (2 h, or the largest of 2 h × 3ⁿ not above
//! `--max-block-duration`) and span from their first to their last sample.
//! Samples reach each block's series through an emulation of the head
//! appender promtool writes with: batches of 5000 samples, where a sample
//! older than (or a different value at the same time as) the series' last
//! committed sample is an error, while one that is out of order only
//! within its uncommitted batch is dropped. Chunks are cut where the head
//! cuts them (at most 240 samples, about 120, ending at the chunk-range
//! boundary, or once over 1005 bytes), so blocks match promtool's chunk
//! for chunk.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use vigil_exposition::{Entry, OpenMetricsParser, Parser};
use vigil_model::{Labels, LabelsBuilder};
use vigil_tsdb::block::{Block, BlockMeta, BlockWriter, encoded_xor};
use vigil_tsdb::chunkenc::XorChunk;

use super::TsdbError;
use super::list::table;

/// Prometheus' default (and smallest) block duration, 2 h in milliseconds.
pub const DEFAULT_BLOCK_DURATION: i64 = 2 * 3600 * 1000;
/// Samples promtool appends before committing.
const SAMPLES_PER_COMMIT: usize = 5000;
/// Target samples per chunk of the head.
const SAMPLES_PER_CHUNK: usize = 120;
/// An XOR chunk larger than this (1024 − 19 bytes) is cut before appending.
const MAX_BYTES_BEFORE_APPEND: usize = 1005;

/// Options of `create-blocks-from openmetrics`.
#[derive(Debug, Default)]
pub struct BackfillOptions {
    /// `--max-block-duration` in milliseconds (0: the default 2 h).
    pub max_block_duration: i64,
    /// `--label name=value` pairs added to (or replacing in) every series.
    pub labels: Vec<(String, String)>,
    /// Print human-readable times and sizes in the block table.
    pub human_readable: bool,
    /// Print no table.
    pub quiet: bool,
}

/// The block duration promtool uses for a `--max-block-duration`.
pub fn compatible_block_duration(max_block_duration: i64) -> i64 {
    if max_block_duration <= DEFAULT_BLOCK_DURATION {
        return DEFAULT_BLOCK_DURATION;
    }
    let ranges: Vec<i64> = (0..10u32)
        .map(|i| DEFAULT_BLOCK_DURATION.saturating_mul(3i64.saturating_pow(i)))
        .collect();
    let idx = ranges
        .iter()
        .position(|&r| r > max_block_duration)
        .map_or(ranges.len() - 1, |i| i.saturating_sub(1));
    ranges[idx]
}

/// A parsed sample: series index, timestamp, value, 1-based line.
#[derive(Debug, Clone, Copy)]
struct Sample {
    series: u32,
    t: i64,
    v: f64,
    line: usize,
}

/// The whole input: distinct series and samples in file order.
struct Input {
    series: Vec<Labels>,
    samples: Vec<Sample>,
}

fn parse_input(input: &[u8], extra: &[(String, String)]) -> Result<Input, TsdbError> {
    let mut p = OpenMetricsParser::lenient(input);
    let mut index: HashMap<Labels, u32> = HashMap::new();
    let mut series = Vec::new();
    let mut samples = Vec::new();
    let mut b = LabelsBuilder::new();
    // Strict OpenMetrics has no blank lines: every entry is one line.
    let mut line = 0usize;
    loop {
        let entry = p.next().map_err(|e| {
            TsdbError::Backfill(format!("getting min and max timestamp: next: {e}"))
        })?;
        let Some(entry) = entry else { break };
        line += 1;
        if entry != Entry::Series {
            continue;
        }
        let (_, ts, v) = p.series();
        let Some(t) = ts else {
            return Err(TsdbError::Backfill(format!(
                "getting min and max timestamp: expected timestamp for series got none (line {line})"
            )));
        };
        b.reset();
        p.labels(&mut b);
        for (n, val) in extra {
            b.set(n, val);
        }
        let labels = b.build();
        let id = match index.get(&labels) {
            Some(id) => *id,
            None => {
                let id = u32::try_from(series.len())
                    .map_err(|_| TsdbError::Backfill("too many series".into()))?;
                index.insert(labels.clone(), id);
                series.push(labels);
                id
            }
        };
        samples.push(Sample {
            series: id,
            t,
            v,
            line,
        });
    }
    Ok(Input { series, samples })
}

/// A series' state in the emulated head: its committed samples.
#[derive(Default)]
struct HeadSeries {
    samples: Vec<(i64, f64)>,
}

impl HeadSeries {
    fn last(&self) -> Option<(i64, f64)> {
        self.samples.last().copied()
    }
}

/// Runs one block's samples (in file order) through the head appender's
/// rules and returns each series' committed samples.
fn append_block(input: &Input, samples: &[Sample]) -> Result<HashMap<u32, HeadSeries>, TsdbError> {
    let mut head: HashMap<u32, HeadSeries> = HashMap::new();
    let mut pending: Vec<Sample> = Vec::with_capacity(SAMPLES_PER_COMMIT);
    let commit = |head: &mut HashMap<u32, HeadSeries>, pending: &mut Vec<Sample>| {
        for s in pending.drain(..) {
            let hs = head.entry(s.series).or_default();
            // Samples not after the last committed one are dropped here.
            if hs.last().is_none_or(|(t, _)| s.t > t) {
                hs.samples.push((s.t, s.v));
            }
        }
    };
    for s in samples {
        if let Some((t, v)) = head.get(&s.series).and_then(HeadSeries::last) {
            let labels = &input.series[s.series as usize];
            let what = if s.t < t {
                Some("out of order sample".to_owned())
            } else if s.t == t && s.v.to_bits() != v.to_bits() {
                let mut msg = format!(
                    "duplicate sample for timestamp {}; overrides not allowed: existing ",
                    s.t
                );
                vigil_exposition::encode::push_go_float(&mut msg, v);
                msg.push_str(", new value ");
                vigil_exposition::encode::push_go_float(&mut msg, s.v);
                Some(msg)
            } else {
                None
            };
            if let Some(what) = what {
                return Err(TsdbError::Backfill(format!(
                    "block creation: process blocks: add sample: {what} (line {}: {labels} at {})",
                    s.line, s.t
                )));
            }
        }
        pending.push(*s);
        if pending.len() >= SAMPLES_PER_COMMIT {
            commit(&mut head, &mut pending);
        }
    }
    commit(&mut head, &mut pending);
    Ok(head)
}

/// The head's `computeChunkEndTime`.
fn chunk_end_time(start: i64, cur: i64, max_t: i64, ratio_to_full: f64) -> i64 {
    let span = max_t.wrapping_sub(start) as f64;
    let n = span / ((cur.wrapping_sub(start).wrapping_add(1)) as f64 * ratio_to_full);
    if n <= 1.0 {
        return max_t;
    }
    (start as f64 + span / n.floor()) as i64
}

/// The head's `rangeForTimestamp` (Go's truncating division).
fn range_for_timestamp(t: i64, width: i64) -> i64 {
    (t / width).wrapping_mul(width).wrapping_add(width)
}

/// A chunk being built: encoder, first and last timestamp.
struct OpenChunk {
    chunk: XorChunk,
    mint: i64,
    maxt: i64,
}

/// Cuts a series' samples into XOR chunks where the head would.
fn head_chunks(
    samples: &[(i64, f64)],
    chunk_range: i64,
) -> Result<Vec<(XorChunk, i64, i64, u64)>, TsdbError> {
    let mut done = Vec::new();
    let mut cur: Option<OpenChunk> = None;
    let mut next_at = i64::MAX;
    let new = |t: i64| OpenChunk {
        chunk: XorChunk::new(),
        mint: t,
        maxt: i64::MIN,
    };
    for &(t, v) in samples {
        let c = match cur.take() {
            Some(c) if c.chunk.bytes().len() <= MAX_BYTES_BEFORE_APPEND => c,
            old => {
                done.extend(old);
                next_at = range_for_timestamp(t, chunk_range);
                new(t)
            }
        };
        let n = c.chunk.num_samples();
        if n == SAMPLES_PER_CHUNK / 4 {
            next_at = chunk_end_time(c.mint, c.maxt, next_at, 4.0);
        }
        let mut c = if t >= next_at || n >= SAMPLES_PER_CHUNK * 2 {
            // (Only at the very end of time can a chunk be cut empty.)
            if n > 0 {
                done.push(c);
            }
            next_at = range_for_timestamp(t, chunk_range);
            new(t)
        } else {
            c
        };
        c.chunk.append(t, v)?;
        c.maxt = t;
        cur = Some(c);
    }
    done.extend(cur);
    Ok(done
        .into_iter()
        .map(|c| {
            let n = c.chunk.num_samples() as u64;
            (c.chunk, c.mint, c.maxt, n)
        })
        .collect())
}

/// Writes one block from the committed samples; `None` if it is empty.
fn write_block(
    input: &Input,
    head: HashMap<u32, HeadSeries>,
    out_dir: &Path,
    chunk_range: i64,
) -> Result<Option<BlockMeta>, TsdbError> {
    let mut series: Vec<(&Labels, HeadSeries)> = head
        .into_iter()
        .filter(|(_, s)| !s.samples.is_empty())
        .map(|(id, s)| (&input.series[id as usize], s))
        .collect();
    if series.is_empty() {
        return Ok(None);
    }
    series.sort_by(|a, b| a.0.cmp(b.0));
    let (mut mint, mut maxt) = (i64::MAX, i64::MIN);
    let mut w = BlockWriter::new(out_dir)?;
    for (labels, s) in &series {
        let chunks = head_chunks(&s.samples, chunk_range)?;
        let enc = encoded_xor(&chunks);
        if let (Some(first), Some(last)) = (s.samples.first(), s.samples.last()) {
            mint = mint.min(first.0);
            maxt = maxt.max(last.0);
        }
        w.add_series((*labels).clone(), &enc)?;
    }
    Ok(Some(w.finish(mint, maxt.saturating_add(1))?))
}

/// Backfills `input` into blocks under `out_dir` and prints the table of
/// new blocks to `out` unless quiet. Returns the new blocks' metas.
pub fn backfill(
    input: &[u8],
    out_dir: &Path,
    opts: &BackfillOptions,
    out: &mut impl Write,
) -> Result<Vec<BlockMeta>, TsdbError> {
    let parsed = parse_input(input, &opts.labels)?;
    // Every sample is at most the maximum, so only the minimum matters.
    let mint = parsed.samples.iter().map(|s| s.t).min().unwrap_or(0);
    let duration = compatible_block_duration(opts.max_block_duration);
    // Go's division truncates towards zero; samples before the aligned
    // start are never reached, as in promtool.
    let start = duration * (mint / duration);
    let mut by_block: BTreeMap<i128, Vec<Sample>> = BTreeMap::new();
    for s in &parsed.samples {
        if s.t >= start {
            // In i128: the distance may not fit an i64.
            let k = (i128::from(s.t) - i128::from(start)) / i128::from(duration);
            by_block.entry(k).or_default().push(*s);
        }
    }
    std::fs::create_dir_all(out_dir).map_err(|e| {
        TsdbError::Backfill(format!("create output dir: {}", TsdbError::io(out_dir, e)))
    })?;
    let mut metas = Vec::new();
    for samples in by_block.values() {
        let head = append_block(&parsed, samples)?;
        let Some(meta) = write_block(&parsed, head, out_dir, 2 * duration)? else {
            continue;
        };
        if !opts.quiet {
            let path: PathBuf = out_dir.join(&meta.ulid);
            let block = Block::open(&path)?;
            let text = table(&[&block], metas.is_empty(), opts.human_readable)?;
            out.write_all(text.as_bytes()).map_err(TsdbError::Output)?;
        }
        metas.push(meta);
    }
    out.flush().map_err(TsdbError::Output)?;
    Ok(metas)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_durations() {
        let h = 3600 * 1000;
        assert_eq!(compatible_block_duration(0), 2 * h);
        assert_eq!(compatible_block_duration(5 * h), 2 * h);
        assert_eq!(compatible_block_duration(6 * h), 6 * h);
        assert_eq!(compatible_block_duration(24 * h), 18 * h);
        assert_eq!(compatible_block_duration(i64::MAX), 2 * h * 3i64.pow(9));
    }

    #[test]
    fn rejects_out_of_order_across_batches_only() {
        let mut om = String::new();
        om.push_str("# TYPE a gauge\n");
        // Within one batch the later, older sample is dropped.
        om.push_str("a 1 10.000\na 2 5.000\n# EOF\n");
        let dir = tempfile::tempdir().unwrap();
        let metas = backfill(
            om.as_bytes(),
            dir.path(),
            &BackfillOptions::default(),
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(metas.len(), 1);
        assert_eq!(metas[0].stats.num_samples, 1);
        let mut om = String::from("# TYPE a gauge\n");
        for i in 0..5001 {
            om.push_str(&format!("a {i} {}\n", 100 + i));
        }
        om.push_str("a 1 1\n# EOF\n");
        let err = backfill(
            om.as_bytes(),
            dir.path(),
            &BackfillOptions::default(),
            &mut Vec::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("out of order sample (line 5003"), "{err}");
        let extremes = "a 1 -9223372036854775.808\na 2 0\na 3 9223372036854775.807\n# EOF\n";
        let opts = BackfillOptions::default();
        let metas = backfill(extremes.as_bytes(), dir.path(), &opts, &mut Vec::new()).unwrap();
        // As in promtool, the aligned start rounds towards zero, past the
        // earliest sample, which is then left out.
        assert_eq!(metas.len(), 2);
        let err = backfill(
            b"a 1\n# EOF\n",
            dir.path(),
            &BackfillOptions::default(),
            &mut Vec::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("expected timestamp"), "{err}");
    }

    #[test]
    fn chunk_cutting() {
        let samples: Vec<(i64, f64)> = (0..720).map(|i| (i * 15_000, i as f64)).collect();
        let chunks = head_chunks(&samples, 4 * 3600 * 1000).unwrap();
        let sizes: Vec<u64> = chunks.iter().map(|c| c.3).collect();
        assert_eq!(sizes.iter().sum::<u64>(), 720);
        assert!(sizes.iter().all(|&n| n <= 240), "{sizes:?}");
    }
}
