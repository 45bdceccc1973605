//! Streaming selects over a [`Db`]: the series a select names are found in
//! every overlapping block's index (and the head) first, keeping only
//! their labels and chunk references; each series' chunks are decoded when
//! the engine reaches it. Large selects decode on a worker thread a few
//! series ahead of the engine, so decoding overlaps evaluation on a second
//! core while memory stays bounded by the channel.
//!
//! The result equals [`Db::select_data`]'s: label order, samples of one
//! series merged across sources with the earliest source winning equal
//! timestamps (blocks by min time, then the head), tombstones applied,
//! series without samples in the range left out.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::sync_channel;

use vigil_model::{Labels, LabelsBuilder, Matcher};
use vigil_tsdb::block::Block;
use vigil_tsdb::db::Db;
use vigil_tsdb::index::ChunkMeta;
use vigil_tsdb::querier::block_postings;
use vigil_tsdb::series_data::{SeriesData, decode_chunk};

use super::tsdb::to_series;
use super::{SeriesStream, StartTimes, StorageError};
use crate::value::Series;

/// Selects with at least this many block chunks to decode do so on worker
/// threads; smaller ones decode inline. Head series are copied out while
/// planning, so a head-only select (rule evaluation, most instant queries)
/// has nothing left for a worker: threads and channels there only cost
/// (starting two threads and a channel hand-off per series is worth more
/// than decoding a few hundred chunks).
const WORKER_MIN_CHUNKS: usize = 1024;

/// Decoded series each worker may run ahead of the engine.
const WORKER_AHEAD: usize = 16;

/// Decode workers of a large select: two keep up with the engine on a
/// two-core machine (decoding costs about as much as a `rate`).
const WORKERS: usize = 2;

/// Where part of one series' samples come from.
enum Part {
    /// Chunks of block `block` (an index into [`Plan::blocks`]) that
    /// overlap the range, and the block's deleted intervals of the series.
    Block {
        block: usize,
        chunks: Vec<ChunkMeta>,
        stones: Vec<(i64, i64)>,
    },
    /// Samples already copied out of the head.
    Head(SeriesData),
}

/// What a select reads: the blocks involved and, in label order, each
/// series with its sources in merge order.
struct Plan {
    blocks: Vec<Arc<Block>>,
    series: std::vec::IntoIter<(Labels, Vec<Part>)>,
    /// Block chunks left to decode: what a worker would do.
    block_chunks: usize,
    mint: i64,
    maxt: i64,
}

fn block_error(block: &Block, e: impl std::fmt::Display) -> StorageError {
    StorageError(format!("block {}: {e}", block.dir().display()))
}

impl Plan {
    fn new(db: &Db, mint: i64, maxt: i64, matchers: &[Matcher]) -> Result<Plan, StorageError> {
        let blocks: Vec<Arc<Block>> = db
            .blocks()
            .into_iter()
            .filter(|b| b.meta().max_time > mint && b.meta().min_time <= maxt)
            .collect();
        let mut sources: Vec<Vec<(Labels, Part)>> = Vec::new();
        let mut b = LabelsBuilder::new();
        let mut chunks = Vec::new();
        let mut block_chunks = 0;
        for (bi, block) in blocks.iter().enumerate() {
            let idx = block.index();
            let ids = block_postings(idx, matchers).map_err(|e| block_error(block, e))?;
            let mut list = Vec::with_capacity(ids.len());
            for id in ids {
                let labels = idx
                    .series(id, &mut b, &mut chunks)
                    .map_err(|e| block_error(block, e))?;
                let overlapping: Vec<ChunkMeta> = chunks
                    .iter()
                    .filter(|c| c.maxt >= mint && c.mint <= maxt)
                    .cloned()
                    .collect();
                if overlapping.is_empty() {
                    continue;
                }
                let stones = block.tombstones().get(&id).cloned().unwrap_or_default();
                block_chunks += overlapping.len();
                list.push((
                    labels,
                    Part::Block {
                        block: bi,
                        chunks: overlapping,
                        stones,
                    },
                ));
            }
            sources.push(list);
        }
        let head: Vec<(Labels, Part)> = db
            .head()
            .select_data(mint, maxt, matchers)
            .into_iter()
            .map(|(l, d)| (l, Part::Head(d)))
            .collect();
        sources.push(head);
        sources.retain(|s| !s.is_empty());
        let series: Vec<(Labels, Vec<Part>)> = if sources.len() <= 1 {
            let mut one: Vec<(Labels, Vec<Part>)> = sources
                .pop()
                .unwrap_or_default()
                .into_iter()
                .map(|(l, p)| (l, vec![p]))
                .collect();
            if !one.is_sorted_by(|a, b| a.0 <= b.0) {
                sort_by_labels(&mut one);
            }
            one
        } else {
            let mut merged: BTreeMap<Labels, Vec<Part>> = BTreeMap::new();
            for (l, p) in sources.into_iter().flatten() {
                merged.entry(l).or_default().push(p);
            }
            merged.into_iter().collect()
        };
        Ok(Plan {
            blocks,
            series: series.into_iter(),
            block_chunks,
            mint,
            maxt,
        })
    }

    /// Decodes the samples of one series from its sources.
    fn load(&self, parts: Vec<Part>) -> Result<SeriesData, StorageError> {
        let mut acc: Option<SeriesData> = None;
        for part in parts {
            let data = match part {
                Part::Head(d) => d,
                Part::Block {
                    block,
                    chunks,
                    stones,
                } => {
                    let Some(block) = self.blocks.get(block) else {
                        continue;
                    };
                    let mut d = SeriesData::default();
                    // Chunks hold up to 120 samples: room for them all up
                    // front saves regrowing the list chunk by chunk.
                    d.floats.reserve(chunks.len() * 120);
                    for c in &chunks {
                        let rec = block
                            .chunk(c.reference)
                            .map_err(|e| block_error(block, e))?;
                        decode_chunk(rec.encoding, rec.data, self.mint, self.maxt, &mut d)
                            .map_err(|e| block_error(block, e))?;
                    }
                    if d.floats.is_empty() {
                        // A histogram series: give the room back.
                        d.floats = Vec::new();
                    } else if d.floats.capacity() > 2 * d.floats.len() {
                        // The range cut the chunks short (an instant
                        // query's 5 m of a 2 h chunk): a whole `select`
                        // holds every series, so keep only what is used.
                        d.floats.shrink_to_fit();
                    }
                    d.apply_tombstones(&stones);
                    // Overlapping chunks (a damaged block, or one from a
                    // peer) must still give strictly increasing samples.
                    if d.floats.windows(2).any(|w| w[0].0 >= w[1].0) {
                        d.floats.sort_by_key(|s| s.0);
                        d.floats.dedup_by_key(|s| s.0);
                    }
                    if d.histograms.windows(2).any(|w| w[0].0 >= w[1].0) {
                        d.histograms.sort_by_key(|s| s.0);
                        d.histograms.dedup_by_key(|s| s.0);
                    }
                    d
                }
            };
            match &mut acc {
                Some(a) => a.merge(data),
                None => acc = Some(data),
            }
        }
        Ok(acc.unwrap_or_default())
    }

    /// The next series with samples, decoded.
    fn next_series(&mut self) -> Option<Result<Series, StorageError>> {
        while let Some((labels, parts)) = self.series.next() {
            match self.decode(labels, parts) {
                Ok(None) => continue,
                Ok(Some(s)) => return Some(Ok(s)),
                Err(e) => {
                    // Nothing more after an error.
                    self.series = Vec::new().into_iter();
                    return Some(Err(e));
                }
            }
        }
        None
    }

    /// One series decoded, `None` when it has no samples in the range.
    fn decode(&self, labels: Labels, parts: Vec<Part>) -> Result<Option<Series>, StorageError> {
        let d = self.load(parts)?;
        Ok((!d.is_empty()).then(|| to_series(labels, d)))
    }

    /// Splits the plan into `n` taking every `n`th series in turn.
    fn deal(self, n: usize) -> Vec<Plan> {
        let mut lists: Vec<Vec<(Labels, Vec<Part>)>> = (0..n).map(|_| Vec::new()).collect();
        for (i, s) in self.series.enumerate() {
            if let Some(l) = lists.get_mut(i % n) {
                l.push(s);
            }
        }
        lists
            .into_iter()
            .map(|l| Plan {
                blocks: self.blocks.clone(),
                series: l.into_iter(),
                block_chunks: self.block_chunks / n.max(1),
                mint: self.mint,
                maxt: self.maxt,
            })
            .collect()
    }
}

/// Sorts `v` by its label sets, which are distinct (one source holds each
/// once), so an unstable sort gives the one order. Each set's names and
/// values are read out once: comparing [`Labels`] directly decodes both
/// sets again at every comparison, and series of one select share long
/// prefixes (`__name__`, `job`, ...), which made the sort a tenth of rule
/// evaluation.
fn sort_by_labels<T>(v: &mut Vec<(Labels, T)>) {
    let mut flat: Vec<&str> = Vec::new();
    let mut spans: Vec<std::ops::Range<usize>> = Vec::with_capacity(v.len());
    for (l, _) in v.iter() {
        let from = flat.len();
        for p in l.iter() {
            flat.push(p.name);
            flat.push(p.value);
        }
        spans.push(from..flat.len());
    }
    // Pairs compare name then value, and a set that is a prefix of another
    // sorts first: exactly the lexicographic order of these lists.
    let key = |i: usize| {
        spans
            .get(i)
            .and_then(|r| flat.get(r.clone()))
            .unwrap_or_default()
    };
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_unstable_by(|&a, &b| key(a).cmp(key(b)));
    let mut taken: Vec<Option<(Labels, T)>> = std::mem::take(v).into_iter().map(Some).collect();
    *v = order
        .into_iter()
        .filter_map(|i| taken.get_mut(i).and_then(Option::take))
        .collect();
}

/// Streams the series `matchers` select in `mint..=maxt` from `db`.
pub(super) fn stream(
    db: &Db,
    mint: i64,
    maxt: i64,
    matchers: &[Matcher],
) -> Result<SeriesStream<'static>, StorageError> {
    stream_with(db, mint, maxt, matchers, WORKER_MIN_CHUNKS)
}

/// [`stream`], with decode workers once `worker_min_chunks` block chunks
/// are to be decoded (tests lower it to cover both paths).
pub(super) fn stream_with(
    db: &Db,
    mint: i64,
    maxt: i64,
    matchers: &[Matcher],
    worker_min_chunks: usize,
) -> Result<SeriesStream<'static>, StorageError> {
    let mut plan = Plan::new(db, mint, maxt, matchers)?;
    let with_st = |r: Result<Series, StorageError>| r.map(|s| (s, StartTimes::default()));
    if plan.block_chunks < worker_min_chunks {
        return Ok(Box::new(
            std::iter::from_fn(move || plan.next_series()).map(with_st),
        ));
    }
    // Workers take series in turn and answer every one (`None` when it
    // has no samples), so reading their channels in turn keeps label order.
    let mut receivers = Vec::with_capacity(WORKERS);
    for part in plan.deal(WORKERS) {
        let (tx, rx) = sync_channel(WORKER_AHEAD);
        let mut part = part;
        std::thread::Builder::new()
            .name("promql-decode".into())
            .spawn(move || {
                while let Some((labels, parts)) = part.series.next() {
                    let r = part.decode(labels, parts);
                    let failed = r.is_err();
                    // A closed channel means the engine stopped reading.
                    if tx.send(r).is_err() || failed {
                        return;
                    }
                }
            })
            .map_err(|e| StorageError(format!("starting a decode thread: {e}")))?;
        receivers.push(rx);
    }
    let mut turn = 0usize;
    let mut done = false;
    Ok(Box::new(
        std::iter::from_fn(move || {
            while !done {
                let rx = receivers.get(turn % receivers.len().max(1))?;
                turn += 1;
                match rx.recv() {
                    Ok(Ok(Some(s))) => return Some(Ok(s)),
                    Ok(Ok(None)) => continue,
                    Ok(Err(e)) => {
                        done = true;
                        return Some(Err(e));
                    }
                    // This worker has no more series: as it was dealt the
                    // next one, neither has any other.
                    Err(_) => done = true,
                }
            }
            None
        })
        .map(with_st),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keyed sort gives `Labels`' own order, prefixes and ties on
    /// names included.
    #[test]
    fn sort_by_labels_is_the_labels_order() {
        let sets: Vec<Labels> = [
            vec![("a", "1"), ("b", "2")],
            vec![("a", "1")],
            vec![("a", "1"), ("b", "10")],
            vec![("a", "10")],
            vec![("a", "1"), ("c", "0")],
            vec![("__name__", "x"), ("a", "1")],
            vec![],
            vec![("a", "0"), ("z", "9")],
        ]
        .iter()
        .map(|p| Labels::from_pairs(p))
        .collect();
        let mut got: Vec<(Labels, usize)> = sets.iter().cloned().zip(0..).collect();
        sort_by_labels(&mut got);
        let mut want = sets.clone();
        want.sort();
        let got: Vec<Labels> = got.into_iter().map(|(l, _)| l).collect();
        assert_eq!(got, want);
    }
}
