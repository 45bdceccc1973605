//! Executing a `load` block: putting its samples into [`MemStorage`], and
//! for `load_with_nhcb` also the native histograms with custom buckets
//! (NHCB) that its classic histograms (`_bucket`/`_count`/`_sum` series)
//! convert to.

use std::collections::BTreeMap;

use vigil_model::labels::{BUCKET_LABEL, METRIC_NAME};
use vigil_model::{FloatHistogram, Labels, Span};

use super::script::{LoadCmd, LoadSeries};
use super::series::SequenceValue;
use super::storage::MemStorage;

/// A `load` that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {msg}")]
pub struct LoadError {
    /// 1-based line of the series (or of the `load` for NHCB problems).
    pub line: usize,
    /// What went wrong.
    pub msg: String,
}

/// Adds the samples of `cmd` to `storage`.
pub fn apply_load(storage: &mut MemStorage, cmd: &LoadCmd) -> Result<(), LoadError> {
    // Within one block a repeated label set replaces the earlier line, as
    // the reference runner keys its series by labels.
    let mut by_labels: BTreeMap<&Labels, &LoadSeries> = BTreeMap::new();
    for s in &cmd.series {
        by_labels.insert(&s.labels, s);
    }
    for s in by_labels.values() {
        append_series(storage, cmd.interval, s)?;
    }
    if cmd.with_nhcb {
        append_nhcb(storage, cmd, by_labels.values().copied())?;
    }
    Ok(())
}

fn timestamp(interval: i64, i: usize) -> i64 {
    i64::try_from(i)
        .unwrap_or(i64::MAX)
        .saturating_mul(interval)
}

fn append_series(storage: &mut MemStorage, interval: i64, s: &LoadSeries) -> Result<(), LoadError> {
    let fail = |e: String| LoadError {
        line: s.line,
        msg: e,
    };
    for (i, v) in s.values.iter().enumerate() {
        let t = timestamp(interval, i);
        match v {
            SequenceValue::Omitted => continue,
            SequenceValue::Float(f) => storage
                .append_float(&s.labels, t, *f)
                .map_err(|e| fail(e.to_string()))?,
            SequenceValue::Histogram(h) => storage
                .append_histogram(&s.labels, t, h.h.clone())
                .map_err(|e| fail(e.to_string()))?,
        }
        if let Some(Some(off)) = s.start_offsets.as_ref().and_then(|o| o.get(i)) {
            storage.set_start_time(&s.labels, t, t.saturating_add(*off));
        }
    }
    Ok(())
}

/// A classic histogram at one timestamp, being collected.
#[derive(Debug, Default, Clone)]
struct TempHistogram {
    /// `(le, cumulative count)`, by increasing `le`.
    buckets: Vec<(f64, f64)>,
    count: Option<f64>,
    sum: f64,
    err: Option<String>,
}

impl TempHistogram {
    fn set_bucket(&mut self, le: f64, count: f64) {
        if self.err.is_some() {
            return;
        }
        if count < 0.0 {
            self.err = Some(format!(
                "bucket count must be non-negative: le={le}, count={count}"
            ));
            return;
        }
        let i = self.buckets.partition_point(|b| b.0 < le);
        if self.buckets.get(i).is_some_and(|b| b.0 == le) {
            return;
        }
        if let Some(prev) = i.checked_sub(1).and_then(|p| self.buckets.get(p)) {
            if count < prev.1 {
                self.err = Some(format!("count is not cumulative: {count} < {}", prev.1));
                return;
            }
        }
        if let Some(next) = self.buckets.get(i) {
            if count > next.1 {
                self.err = Some(format!("count is not cumulative: {count} > {}", next.1));
                return;
            }
        }
        self.buckets.insert(i, (le, count));
    }

    fn set_count(&mut self, count: f64) {
        if self.err.is_some() {
            return;
        }
        if count < 0.0 {
            self.err = Some(format!("count must be non-negative: count={count}"));
            return;
        }
        self.count = Some(count);
    }

    /// The NHCB this classic histogram describes.
    fn convert(mut self) -> Result<FloatHistogram, String> {
        if let Some(e) = self.err {
            return Err(e);
        }
        let last = self.buckets.last().copied();
        let count = match (self.count, last) {
            (Some(c), _) => c,
            (None, Some((_, c))) => c,
            (None, None) => 0.0,
        };
        if last.is_none_or(|b| b.0 != f64::INFINITY) {
            self.buckets.push((f64::INFINITY, count));
        }
        let integral = |v: f64| v.round() == v;
        let all_integral = self.buckets.iter().all(|b| integral(b.1)) && integral(count);
        let top = self.buckets.last().map_or(0.0, |b| b.1);
        if count != top {
            return Err(format!(
                "count mismatch: count={count} != le=+Inf count={top}"
            ));
        }
        let mut prev = 0.0;
        let mut h = FloatHistogram {
            schema: vigil_model::histogram::CUSTOM_BUCKETS_SCHEMA,
            count,
            sum: self.sum,
            positive_spans: vec![Span {
                offset: 0,
                length: u32::try_from(self.buckets.len()).unwrap_or(u32::MAX),
            }],
            ..FloatHistogram::default()
        };
        for (le, c) in &self.buckets {
            h.positive_buckets.push(c - prev);
            prev = *c;
            if *le != f64::INFINITY {
                h.custom_values.push(*le);
            }
        }
        // Integer histograms are compacted keeping short gaps, float ones
        // fully, as the reference conversion does.
        h.compact(if all_integral { 2 } else { 0 });
        h.validate().map_err(|e| e.to_string())?;
        Ok(h)
    }
}

enum Part {
    Bucket(f64),
    Count,
    Sum,
}

fn append_nhcb<'a>(
    storage: &mut MemStorage,
    cmd: &LoadCmd,
    series: impl Iterator<Item = &'a LoadSeries>,
) -> Result<(), LoadError> {
    let mut hists: BTreeMap<Labels, BTreeMap<i64, TempHistogram>> = BTreeMap::new();
    for s in series {
        let name = s.labels.metric_name().unwrap_or("");
        let (part, base) = if let Some(b) = name.strip_suffix("_bucket") {
            let Some(le) = s.labels.get(BUCKET_LABEL) else {
                return Err(LoadError {
                    line: s.line,
                    msg: format!("expected bucket label in metric {}", s.labels),
                });
            };
            match le.parse::<f64>() {
                Ok(le) if !le.is_nan() => (Part::Bucket(le), b),
                _ => continue,
            }
        } else if let Some(b) = name.strip_suffix("_count") {
            (Part::Count, b)
        } else if let Some(b) = name.strip_suffix("_sum") {
            (Part::Sum, b)
        } else {
            continue;
        };
        let mut lb = s.labels.to_builder();
        lb.set(METRIC_NAME, base);
        lb.del(BUCKET_LABEL);
        let per_t = hists.entry(lb.build()).or_default();
        for (i, v) in s.values.iter().enumerate() {
            let SequenceValue::Float(f) = v else {
                continue;
            };
            let th = per_t.entry(timestamp(cmd.interval, i)).or_default();
            match part {
                Part::Bucket(le) => th.set_bucket(le, *f),
                Part::Count => th.set_count(*f),
                Part::Sum => {
                    if th.err.is_none() {
                        th.sum = *f;
                    }
                }
            }
        }
    }
    for (labels, per_t) in hists {
        for (t, th) in per_t {
            let h = th.convert().map_err(|e| LoadError {
                line: cmd.line,
                msg: format!("converting {labels} at {t} to NHCB: {e}"),
            })?;
            storage
                .append_histogram(&labels, t, h)
                .map_err(|e| LoadError {
                    line: cmd.line,
                    msg: e.to_string(),
                })?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
