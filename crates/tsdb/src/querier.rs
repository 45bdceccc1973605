//! Reading a [`Db`]: series selected by matchers across every block that
//! overlaps the queried range and the head, merged per label set.
//!
//! - Per block, postings come from the index with the head's matcher
//!   semantics ([`block_postings`]): matchers that do not match `""` select
//!   series having a matching value (intersected); matchers that match `""`
//!   also select series without the label (their rejected values are
//!   subtracted); no matchers select nothing.
//! - Samples of the same series from several sources are merged by
//!   timestamp; of samples with equal timestamps one is kept (Prometheus'
//!   chaining merge), the one from the earliest source (blocks by min time,
//!   then the head).
//! - Block tombstones are applied.

use std::collections::BTreeMap;

use vigil_model::{Labels, LabelsBuilder, MatchType, Matcher};

use crate::block::Block;
use crate::db::{Db, DbError};
use crate::error::Error;
use crate::index::{ChunkMeta, IndexReader};
use crate::series_data::{SeriesData, decode_chunk};

/// A selected series: its labels and samples in time order.
pub type SeriesSamples = (Labels, Vec<(i64, f64)>);

/// Sorted, deduplicated union of sorted lists.
fn union(mut lists: Vec<Vec<u64>>) -> Vec<u64> {
    match lists.len() {
        0 => Vec::new(),
        1 => lists.pop().unwrap_or_default(),
        _ => {
            let mut v: Vec<u64> = lists.concat();
            v.sort_unstable();
            v.dedup();
            v
        }
    }
}

/// Sorted intersection of two sorted lists.
fn intersect(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// `a` without the elements of sorted `b`.
fn subtract(a: &[u64], b: &[u64]) -> Vec<u64> {
    a.iter()
        .copied()
        .filter(|x| b.binary_search(x).is_err())
        .collect()
}

/// Union of the postings of the values of `name` that `keep` accepts.
fn union_where<B: AsRef<[u8]>>(
    idx: &IndexReader<B>,
    name: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<u64>, Error> {
    let mut lists = Vec::new();
    for v in idx.label_values(name)? {
        if keep(v) {
            lists.push(idx.postings(name, v)?.ids().collect());
        }
    }
    Ok(union(lists))
}

/// Series having `m.name()` with a value the literal or regex of `m`
/// accepts, ignoring negation.
fn matching_values<B: AsRef<[u8]>>(idx: &IndexReader<B>, m: &Matcher) -> Result<Vec<u64>, Error> {
    match m.kind() {
        MatchType::Equal | MatchType::NotEqual => {
            Ok(idx.postings(m.name(), m.value())?.ids().collect())
        }
        MatchType::Regexp | MatchType::NotRegexp => {
            if let Some(set) = m.set_matches() {
                let mut lists = Vec::with_capacity(set.len());
                for v in set {
                    lists.push(idx.postings(m.name(), v)?.ids().collect());
                }
                return Ok(union(lists));
            }
            let re = m.fast_matcher();
            union_where(idx, m.name(), |v| re.is_some_and(|re| re.is_match(v)))
        }
    }
}

/// Series IDs of the index that `matchers` select, sorted (the same
/// semantics as [`Head::postings_for_matchers`](crate::head::Head::postings_for_matchers)).
pub fn block_postings<B: AsRef<[u8]>>(
    idx: &IndexReader<B>,
    matchers: &[Matcher],
) -> Result<Vec<u64>, Error> {
    if matchers.is_empty() {
        return Ok(Vec::new());
    }
    let mut positive: Vec<Vec<u64>> = Vec::new();
    let mut negative: Vec<Vec<u64>> = Vec::new();
    for m in matchers {
        if m.matches_everything() {
            continue;
        }
        let positive_kind = matches!(m.kind(), MatchType::Equal | MatchType::Regexp);
        if !m.matches_empty() {
            let p = if positive_kind {
                matching_values(idx, m)?
            } else {
                union_where(idx, m.name(), |v| m.matches(v))?
            };
            if p.is_empty() {
                return Ok(Vec::new());
            }
            positive.push(p);
        } else if positive_kind {
            negative.push(union_where(idx, m.name(), |v| !m.matches(v))?);
        } else {
            negative.push(matching_values(idx, m)?);
        }
    }
    positive.sort_by_key(Vec::len);
    let mut out = match positive.split_first() {
        Some((first, rest)) => {
            let mut acc = first.clone();
            for p in rest {
                acc = intersect(&acc, p);
            }
            acc
        }
        None => idx.all_postings()?.ids().collect(),
    };
    for n in &negative {
        out = subtract(&out, n);
    }
    Ok(out)
}

/// Decodes the samples (floats and histograms) of `chunks` within
/// `mint..=maxt`, minus the deleted `intervals`, into `out`.
pub(crate) fn chunk_data(
    block: &Block,
    chunks: &[ChunkMeta],
    mint: i64,
    maxt: i64,
    intervals: &[(i64, i64)],
    out: &mut SeriesData,
) -> Result<(), DbError> {
    let damaged = |source: Error| DbError::Block {
        dir: block.dir().to_path_buf(),
        source,
    };
    for c in chunks.iter().filter(|c| c.maxt >= mint && c.mint <= maxt) {
        let rec = block.chunk(c.reference)?;
        decode_chunk(rec.encoding, rec.data, mint, maxt, out).map_err(damaged)?;
    }
    out.apply_tombstones(intervals);
    // Chunks of a series may overlap in a damaged block (or one written by
    // a peer with overlapping chunks); keep the output strictly increasing.
    if out.floats.windows(2).any(|w| w[0].0 >= w[1].0) {
        out.floats.sort_by_key(|s| s.0);
        out.floats.dedup_by_key(|s| s.0);
    }
    if out.histograms.windows(2).any(|w| w[0].0 >= w[1].0) {
        out.histograms.sort_by_key(|s| s.0);
        out.histograms.dedup_by_key(|s| s.0);
    }
    Ok(())
}

/// The series of `block` that `matchers` select with samples in
/// `mint..=maxt`, in label order, tombstones applied, floats and
/// histograms.
pub fn select_block_data(
    block: &Block,
    mint: i64,
    maxt: i64,
    matchers: &[Matcher],
) -> Result<Vec<(Labels, SeriesData)>, DbError> {
    let meta = block.meta();
    if meta.max_time <= mint || meta.min_time > maxt {
        return Ok(Vec::new());
    }
    let idx = block.index();
    let ids = block_postings(idx, matchers)?;
    let mut b = LabelsBuilder::new();
    let mut chunks = Vec::new();
    let mut out = Vec::new();
    for id in ids {
        let labels = idx.series(id, &mut b, &mut chunks)?;
        let stones = block
            .tombstones()
            .get(&id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut data = SeriesData::default();
        chunk_data(block, &chunks, mint, maxt, stones, &mut data)?;
        if !data.is_empty() {
            out.push((labels, data));
        }
    }
    Ok(out)
}

/// Applies `limit` (0 = none) to a sorted list.
fn limited(mut v: Vec<String>, limit: usize) -> Vec<String> {
    if limit > 0 {
        v.truncate(limit);
    }
    v
}

impl Db {
    /// The series `matchers` select with samples in `mint..=maxt`, in label
    /// order, each with its samples (floats and native histograms) from
    /// every overlapping block and the head, merged by timestamp without
    /// duplicates.
    pub fn select_data(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
    ) -> Result<Vec<(Labels, SeriesData)>, DbError> {
        let mut merged: BTreeMap<Labels, SeriesData> = BTreeMap::new();
        let mut add = |labels: Labels, data: SeriesData| match merged.get_mut(&labels) {
            Some(have) => have.merge(data),
            None => {
                merged.insert(labels, data);
            }
        };
        for block in self.blocks() {
            for (l, d) in select_block_data(&block, mint, maxt, matchers)? {
                add(l, d);
            }
        }
        for (l, d) in self.head.select_data(mint, maxt, matchers) {
            add(l, d);
        }
        Ok(merged.into_iter().collect())
    }

    /// The float samples of the series `matchers` select in `mint..=maxt`
    /// (see [`Db::select_data`] for native histograms too).
    pub fn select(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
    ) -> Result<Vec<SeriesSamples>, DbError> {
        Ok(self
            .select_data(mint, maxt, matchers)?
            .into_iter()
            .filter(|(_, d)| !d.floats.is_empty())
            .map(|(l, d)| (l, d.floats))
            .collect())
    }

    /// Label names of the series `matchers` select (all series when
    /// `matchers` is empty) in blocks overlapping `mint..=maxt` and in the
    /// head, sorted, at most `limit` (0 = no limit).
    pub fn label_names(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        limit: usize,
    ) -> Result<Vec<String>, DbError> {
        let mut names = std::collections::BTreeSet::new();
        let mut collect = |l: &Labels| {
            for p in l.iter() {
                if !names.contains(p.name) {
                    names.insert(p.name.to_string());
                }
            }
        };
        let mut all_names: Vec<String> = Vec::new();
        for block in self.blocks() {
            let meta = block.meta();
            if meta.max_time <= mint || meta.min_time > maxt {
                continue;
            }
            let idx = block.index();
            if matchers.is_empty() {
                all_names.extend(idx.label_names().map(str::to_string));
                continue;
            }
            let mut b = LabelsBuilder::new();
            let mut chunks = Vec::new();
            for id in block_postings(idx, matchers)? {
                collect(&idx.series(id, &mut b, &mut chunks)?);
            }
        }
        if self.head_overlaps(mint, maxt) {
            if matchers.is_empty() {
                all_names.extend(self.head.label_names());
            } else {
                for r in self.head.postings_for_matchers(matchers) {
                    if let Some(l) = self.head.series_labels(r) {
                        collect(&l);
                    }
                }
            }
        }
        names.extend(all_names);
        Ok(limited(names.into_iter().collect(), limit))
    }

    /// Values of label `name` among the series `matchers` select (all
    /// series when `matchers` is empty) in blocks overlapping `mint..=maxt`
    /// and in the head, sorted, at most `limit` (0 = no limit).
    pub fn label_values(
        &self,
        name: &str,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        limit: usize,
    ) -> Result<Vec<String>, DbError> {
        let mut values = std::collections::BTreeSet::new();
        for block in self.blocks() {
            let meta = block.meta();
            if meta.max_time <= mint || meta.min_time > maxt {
                continue;
            }
            let idx = block.index();
            if matchers.is_empty() {
                for v in idx.label_values(name)? {
                    values.insert(v.to_string());
                }
                continue;
            }
            let mut b = LabelsBuilder::new();
            let mut chunks = Vec::new();
            for id in block_postings(idx, matchers)? {
                if let Some(v) = idx.series(id, &mut b, &mut chunks)?.get(name) {
                    values.insert(v.to_string());
                }
            }
        }
        if self.head_overlaps(mint, maxt) {
            if matchers.is_empty() {
                values.extend(self.head.label_values(name));
            } else {
                for r in self.head.postings_for_matchers(matchers) {
                    if let Some(l) = self.head.series_labels(r)
                        && let Some(v) = l.get(name)
                    {
                        values.insert(v.to_string());
                    }
                }
            }
        }
        Ok(limited(values.into_iter().collect(), limit))
    }

    /// Whether the head holds samples in `mint..=maxt` (by its time range).
    fn head_overlaps(&self, mint: i64, maxt: i64) -> bool {
        let st = self.head.stats();
        st.max_time != i64::MIN && st.max_time >= mint && st.min_time <= maxt
    }
}

#[cfg(test)]
mod tests;
