//! `vigil tool tsdb analyze`: promtool's `tsdb analyze`, the churn and
//! cardinality report of one block (the newest by default), and with
//! `--extended` the compaction analysis of its chunks.
//!
//! Lists are ordered by count, highest first. promtool's sort is not
//! stable, so its order among equal counts is arbitrary for the lists it
//! builds from maps; Vigil breaks ties by name, which is also what
//! promtool's order is for the lists built from sorted label names when
//! they are short.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use vigil_model::{LabelsBuilder, METRIC_NAME, Matcher};
use vigil_tsdb::block::Block;
use vigil_tsdb::chunkenc::{Encoding, FloatHistogramIter, HistogramIter};

use super::format::go_duration;
use super::selector::matches_all;
use super::{TsdbError, block_dirs, ulid_time};

/// What to analyze.
#[derive(Debug, Default)]
pub struct AnalyzeOptions {
    /// Block ULID; the newest block when `None`.
    pub block_id: Option<String>,
    /// Entries per list.
    pub limit: usize,
    /// Also analyze chunks (`--extended`).
    pub extended: bool,
    /// The `--match` selector as given, and its matchers.
    pub matcher: Option<(String, Vec<Matcher>)>,
}

/// The block promtool's `LastBlockID` picks: the highest ULID time, the
/// first by name among equal times.
fn last_block_id(dir: &Path) -> Result<String, TsdbError> {
    let mut best: Option<(u64, String)> = None;
    for name in block_dirs(dir)? {
        let t = ulid_time(&name);
        if best.as_ref().is_none_or(|(bt, _)| t > *bt) {
            best = Some((t, name));
        }
    }
    best.map(|(_, n)| n).ok_or(TsdbError::NoBlocks)
}

/// Sorts by count, highest first (ties by name), and prints at most
/// `limit` entries as `count key`.
fn print_info(out: &mut String, mut infos: Vec<(String, u64)>, limit: usize) {
    infos.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (k, m) in infos.into_iter().take(limit) {
        let _ = writeln!(out, "{m} {k}");
    }
}

/// `tsdb analyze` of the data directory `dir`.
pub fn analyze(dir: &Path, opts: &AnalyzeOptions) -> Result<String, TsdbError> {
    let id = match &opts.block_id {
        Some(id) => id.clone(),
        None => last_block_id(dir)?,
    };
    let path = dir.join(&id);
    if !path.exists() {
        return Err(TsdbError::NoSuchBlock { id });
    }
    let block = Block::open(&path)?;
    let meta = block.meta();
    let range = meta.max_time.wrapping_sub(meta.min_time);
    let mut out = String::new();
    let _ = writeln!(out, "Block ID: {}", meta.ulid);
    let _ = writeln!(
        out,
        "Duration: {}",
        go_duration(range.wrapping_mul(1_000_000))
    );
    let _ = writeln!(out, "Total Series: {}", meta.stats.num_series);
    if let Some((text, _)) = &opts.matcher {
        let _ = writeln!(out, "Matcher: {text}");
    }

    let mut label_uncovered: HashMap<String, u64> = HashMap::new();
    let mut pair_uncovered: HashMap<String, u64> = HashMap::new();
    let mut pair_count: HashMap<String, u64> = HashMap::new();
    let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut names: BTreeMap<String, u64> = BTreeMap::new();
    let mut matched = Vec::new();
    let mut entries = 0u64;
    block.for_each_series(|id, labels, chunks| {
        if let Some((_, m)) = &opts.matcher
            && !matches_all(m, labels)
        {
            return Ok(());
        }
        matched.push(id);
        let covered = match (chunks.first(), chunks.last()) {
            (Some(first), Some(last)) => last.maxt.wrapping_sub(first.mint) as u64,
            _ => 0,
        };
        let uncovered = (range as u64).wrapping_sub(covered);
        for l in labels {
            let key = format!("{}={}", l.name, l.value);
            let u = label_uncovered.entry(l.name.to_owned()).or_default();
            *u = u.wrapping_add(uncovered);
            let u = pair_uncovered.entry(key.clone()).or_default();
            *u = u.wrapping_add(uncovered);
            *pair_count.entry(key).or_default() += 1;
            values
                .entry(l.name.to_owned())
                .or_default()
                .insert(l.value.to_owned());
            entries += 1;
        }
        if let Some(name) = labels.metric_name() {
            *names.entry(name.to_owned()).or_default() += 1;
        }
        Ok(())
    })?;

    let _ = writeln!(out, "Label names: {}", values.len());
    if opts.matcher.is_some() {
        let _ = writeln!(out, "Matched series: {}", matched.len());
    }
    let _ = writeln!(
        out,
        "Postings (unique label pairs): {}",
        pair_uncovered.len()
    );
    let _ = writeln!(out, "Postings entries (total label pairs): {entries}");
    let per_range = |m: u64| (m as f64 / range as f64) as u64;

    out.push_str("\nLabel pairs most involved in churning:\n");
    let infos = pair_uncovered.into_iter().map(|(k, m)| (k, per_range(m)));
    print_info(&mut out, infos.collect(), opts.limit);

    out.push_str("\nLabel names most involved in churning:\n");
    let infos = label_uncovered.into_iter().map(|(k, m)| (k, per_range(m)));
    print_info(&mut out, infos.collect(), opts.limit);

    out.push_str("\nMost common label pairs:\n");
    print_info(&mut out, pair_count.into_iter().collect(), opts.limit);

    out.push_str("\nLabel names with highest cumulative label value length:\n");
    let infos = values
        .iter()
        .map(|(n, vs)| (n.clone(), vs.iter().map(|v| v.len() as u64).sum()));
    print_info(&mut out, infos.collect(), opts.limit);

    out.push_str("\nHighest cardinality labels:\n");
    let infos = values.iter().map(|(n, vs)| (n.clone(), vs.len() as u64));
    print_info(&mut out, infos.collect(), opts.limit);

    out.push_str("\nHighest cardinality metric names:\n");
    debug_assert!(names.len() <= values.get(METRIC_NAME).map_or(0, BTreeSet::len));
    print_info(&mut out, names.into_iter().collect(), opts.limit);

    if opts.extended {
        compaction_analysis(&block, &matched, &mut out)?;
    }
    Ok(out)
}

/// Samples, bytes and buckets per chunk (`--extended`).
fn compaction_analysis(block: &Block, ids: &[u64], out: &mut String) -> Result<(), TsdbError> {
    let mut total = 0usize;
    let (mut float_samples, mut float_bytes) = (Vec::new(), Vec::new());
    let (mut hist_samples, mut hist_bytes, mut hist_buckets) = (Vec::new(), Vec::new(), Vec::new());
    let mut b = LabelsBuilder::new();
    let mut chunks = Vec::new();
    for &id in ids {
        block.index().series(id, &mut b, &mut chunks)?;
        for c in &chunks {
            let rec = block.chunk(c.reference)?;
            let n = rec
                .data
                .get(..2)
                .map_or(0, |h| usize::from(u16::from_be_bytes([h[0], h[1]])));
            match rec.encoding {
                Encoding::Xor => {
                    float_samples.push(n);
                    float_bytes.push(rec.data.len());
                }
                Encoding::Histogram => {
                    hist_samples.push(n);
                    hist_bytes.push(rec.data.len());
                    let mut it = HistogramIter::new(rec.data)?;
                    let buckets = it
                        .by_ref()
                        .map(|(_, h)| h.positive_buckets.len() + h.negative_buckets.len())
                        .sum();
                    if let Some(e) = it.take_err() {
                        return Err(e.into());
                    }
                    hist_buckets.push(buckets);
                }
                Encoding::FloatHistogram => {
                    hist_samples.push(n);
                    hist_bytes.push(rec.data.len());
                    let mut it = FloatHistogramIter::new(rec.data)?;
                    let buckets = it
                        .by_ref()
                        .map(|(_, h)| h.positive_buckets.len() + h.negative_buckets.len())
                        .sum();
                    if let Some(e) = it.take_err() {
                        return Err(e.into());
                    }
                    hist_buckets.push(buckets);
                }
            }
            total += 1;
        }
    }
    out.push_str("\nCompaction analysis:\n\n");
    display_histogram(out, "samples per float chunk", float_samples, total);
    display_histogram(out, "bytes per float chunk", float_bytes, total);
    display_histogram(out, "samples per histogram chunk", hist_samples, total);
    display_histogram(out, "bytes per histogram chunk", hist_bytes, total);
    display_histogram(out, "buckets per histogram chunk", hist_buckets, total);
    Ok(())
}

/// promtool's `generateBucket`: a power-of-ten step giving about ten buckets.
fn generate_bucket(min: usize, max: usize) -> (usize, usize, usize) {
    let s = (max - min) / 10;
    let mut step = 10;
    while step < s && step <= 10_000 {
        step *= 10;
    }
    (min - min % step, max - max % step + step, step)
}

/// promtool's `displayHistogram`: min/avg/max and a bar per bucket.
fn display_histogram(out: &mut String, what: &str, mut data: Vec<usize>, total: usize) {
    let (Some(&first), Some(&last)) = (data.iter().min(), data.iter().max()) else {
        let _ = writeln!(out, "{what}: N/A\n");
        return;
    };
    data.sort_unstable();
    let (start, end, step) = generate_bucket(first, last);
    let mut buckets = vec![0usize; (end - start) / step + 1];
    let mut sum = 0;
    for &c in &data {
        sum += c;
        buckets[(c - start) / step] += 1;
    }
    let max_count = buckets.iter().copied().max().unwrap_or(0);
    let _ = writeln!(
        out,
        "{what} (min/avg/max): {first}/{}/{last}",
        sum / data.len()
    );
    let lw = end.to_string().len();
    let rw = (end + step).to_string().len();
    let cw = max_count.to_string().len();
    for (i, count) in buckets.iter().enumerate() {
        let pct = (100 * count).checked_div(total).unwrap_or(0);
        let _ = writeln!(
            out,
            "[{:>lw$}, {:>rw$}]: {count:>cw$} {}",
            i * step + start + 1,
            (i + 1) * step + start,
            "#".repeat(pct)
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_text() {
        let mut s = String::new();
        display_histogram(&mut s, "samples per float chunk", vec![120, 120, 60], 3);
        assert_eq!(
            s,
            "samples per float chunk (min/avg/max): 60/100/120\n\
             [ 61,  70]: 1 #################################\n\
             [ 71,  80]: 0 \n[ 81,  90]: 0 \n[ 91, 100]: 0 \n[101, 110]: 0 \n\
             [111, 120]: 0 \n[121, 130]: 2 ##################################################################\n\
             [131, 140]: 0 \n\n"
        );
        let mut s = String::new();
        display_histogram(&mut s, "x", vec![], 0);
        assert_eq!(s, "x: N/A\n\n");
    }
}
