//! Retention: which blocks to delete because they are too old or because
//! the data directory is too large (Prometheus' `BeyondTimeRetention` and
//! `BeyondSizeRetention`).

use crate::block::BlockMeta;

/// ULIDs of blocks beyond the time or size retention.
///
/// `blocks` pairs each block's meta with its size in bytes (any order).
/// Time: with blocks sorted newest max time first, every block from the
/// first one whose max time is at least `retention_time` before the newest
/// block's max time on (never the newest block itself). Size: starting from
/// `other_bytes` (WAL and head chunks), blocks are added newest first; the
/// first block that takes the total past `retention_size`, and every older
/// one, are deleted. A limit of 0 disables that rule.
pub fn beyond_retention(
    blocks: &[(&BlockMeta, u64)],
    retention_time: i64,
    retention_size: u64,
    other_bytes: u64,
) -> Vec<String> {
    let mut sorted: Vec<&(&BlockMeta, u64)> = blocks.iter().collect();
    sorted.sort_by(|a, b| (b.0.max_time, &b.0.ulid).cmp(&(a.0.max_time, &a.0.ulid)));
    let mut out = Vec::new();
    if let Some(newest) = sorted.first()
        && retention_time > 0
    {
        let newest_max = newest.0.max_time;
        if let Some(i) = sorted
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, b)| newest_max.saturating_sub(b.0.max_time) >= retention_time)
            .map(|(i, _)| i)
        {
            out.extend(sorted[i..].iter().map(|b| b.0.ulid.clone()));
        }
    }
    if retention_size > 0 {
        let mut total = other_bytes;
        for (i, b) in sorted.iter().enumerate() {
            total = total.saturating_add(b.1);
            if total > retention_size {
                for b in &sorted[i..] {
                    if !out.contains(&b.0.ulid) {
                        out.push(b.0.ulid.clone());
                    }
                }
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(ulid: &str, min: i64, max: i64) -> BlockMeta {
        BlockMeta {
            ulid: ulid.into(),
            min_time: min,
            max_time: max,
            stats: Default::default(),
            compaction: Default::default(),
            version: 1,
            extra: Default::default(),
        }
    }

    #[test]
    fn time_retention() {
        let a = meta("A", 0, 10);
        let b = meta("B", 10, 20);
        let c = meta("C", 20, 30);
        let blocks = [(&b, 1), (&a, 1), (&c, 1)];
        assert!(beyond_retention(&blocks, 0, 0, 0).is_empty());
        assert!(beyond_retention(&blocks, 21, 0, 0).is_empty());
        assert_eq!(beyond_retention(&blocks, 20, 0, 0), ["A"]);
        assert_eq!(beyond_retention(&blocks, 10, 0, 0), ["B", "A"]);
        // The newest block always stays.
        assert_eq!(beyond_retention(&[(&a, 1)], 1, 0, 0), Vec::<String>::new());
    }

    #[test]
    fn size_retention() {
        let a = meta("A", 0, 10);
        let b = meta("B", 10, 20);
        let c = meta("C", 20, 30);
        let blocks = [(&a, 100), (&b, 100), (&c, 100)];
        assert!(beyond_retention(&blocks, 0, 300, 0).is_empty());
        assert_eq!(beyond_retention(&blocks, 0, 299, 0), ["A"]);
        assert_eq!(beyond_retention(&blocks, 0, 250, 60), ["B", "A"]);
        assert_eq!(beyond_retention(&blocks, 0, 50, 0), ["C", "B", "A"]);
        // Both rules: union, no duplicates.
        assert_eq!(beyond_retention(&blocks, 20, 250, 60), ["A", "B"]);
    }
}
