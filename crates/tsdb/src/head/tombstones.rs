//! Deleted time ranges of head series (Prometheus' head tombstones): a
//! deletion logs a tombstones record to the WAL and hides the samples in
//! its ranges from reads and from the blocks the head writes; truncation
//! forgets ranges that end before the head.

use std::collections::HashMap;

use vigil_model::Matcher;

use super::Head;
use crate::error::Error;
use crate::record::{RefTombstone, encode_tombstones};

/// Deleted inclusive ranges by series reference.
pub(crate) type HeadTombstones = HashMap<u64, Vec<(i64, i64)>>;

impl Head {
    /// Deletes the samples in `mint..=maxt` of the series `matchers` select
    /// (later appends into the range are hidden too, as in Prometheus).
    /// Returns how many series got a tombstone. Durable (in the WAL) when
    /// it returns, like a commit.
    pub fn delete(&self, mint: i64, maxt: i64, matchers: &[Matcher]) -> Result<usize, Error> {
        if maxt < mint {
            return Ok(0);
        }
        let refs = self.postings_for_matchers(matchers);
        if refs.is_empty() {
            return Ok(0);
        }
        let stones: Vec<RefTombstone> = refs
            .iter()
            .map(|&series| RefTombstone { series, mint, maxt })
            .collect();
        if let Some(wal) = &self.wal {
            let mut rec = Vec::new();
            encode_tombstones(&mut rec, &stones);
            // Held while recording in memory too, so replay order matches.
            let mut w = wal.lock().unwrap_or_else(|e| e.into_inner());
            w.log(&[&rec])?;
            self.add_tombstones(&stones);
        } else {
            self.add_tombstones(&stones);
        }
        Ok(refs.len())
    }

    /// Records deleted ranges (from a deletion or from replay).
    pub(crate) fn add_tombstones(&self, stones: &[RefTombstone]) {
        let mut t = self.tombstones.write().unwrap_or_else(|e| e.into_inner());
        for s in stones {
            let v = t.entry(s.series).or_default();
            v.push((s.mint, s.maxt));
            merge_intervals(v);
        }
    }

    /// Removes the deleted samples of series `r` from `samples`.
    pub(crate) fn apply_tombstones(&self, r: u64, samples: &mut Vec<(i64, f64)>) {
        let t = self.tombstones.read().unwrap_or_else(|e| e.into_inner());
        if let Some(ivs) = t.get(&r) {
            samples.retain(|&(ts, _)| !ivs.iter().any(|&(a, b)| a <= ts && ts <= b));
        }
    }

    /// Removes the deleted samples (of every kind) of series `r`.
    pub(crate) fn apply_tombstones_data(&self, r: u64, data: &mut crate::series_data::SeriesData) {
        let t = self.tombstones.read().unwrap_or_else(|e| e.into_inner());
        if let Some(ivs) = t.get(&r) {
            data.apply_tombstones(ivs);
        }
    }

    /// Forgets ranges ending before `mint` and those of removed series.
    pub(crate) fn truncate_tombstones(&self, mint: i64) {
        let mut t = self.tombstones.write().unwrap_or_else(|e| e.into_inner());
        t.retain(|r, ivs| {
            ivs.retain(|&(_, b)| b >= mint);
            !ivs.is_empty() && self.series.get(*r).is_some()
        });
    }

    /// Whether any head series has deleted ranges.
    pub fn has_tombstones(&self) -> bool {
        !self
            .tombstones
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }
}

/// Sorts inclusive ranges and merges the overlapping or adjacent ones.
pub(crate) fn merge_intervals(v: &mut Vec<(i64, i64)>) {
    v.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(v.len());
    for &(a, b) in v.iter() {
        match out.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    *v = out;
}

#[cfg(test)]
mod tests {
    use super::merge_intervals;

    #[test]
    fn intervals_merge() {
        let mut v = vec![(5, 9), (1, 2), (3, 4), (20, 30), (25, 26)];
        merge_intervals(&mut v);
        assert_eq!(v, [(1, 9), (20, 30)]);
    }
}
