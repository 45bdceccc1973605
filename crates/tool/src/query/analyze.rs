//! `vigil tool query analyze --type=histogram`: how many buckets of each
//! histogram series are populated over a time frame, per series and
//! aggregated, as promtool reports it. Classic histograms are grouped from
//! their `_bucket` series (sorted by `le`, counts de-accumulated per
//! timestamp); native histograms count their buckets per sample.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::time::Duration;

use super::time::Instant;
use super::value::{Metric, QueryValue, Stream, label_set_string, metric_string};
use super::{Client, QueryError};

const HEADER: &str = "Bucket stats for each histogram series over time
------------------------------------------------
First the min, avg, and max number of populated buckets, followed by the total
number of buckets (only if different from the max number of populated buckets
which is typical for classic but not native histograms).";

const FOOTER: &str = "Aggregated bucket stats
-----------------------
Each line shows min/avg/max over the series above.";

/// Why the analysis stopped.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// `--type` was not `histogram`.
    #[error("analyze type is {0}, must be 'histogram'")]
    Type(String),
    /// A query failed.
    #[error("{0}")]
    Query(#[from] QueryError),
    /// A selector did not yield a range vector.
    #[error("query of buckets resulted in non-Matrix")]
    NotMatrix,
    /// Bucket series of one classic histogram have different timestamps.
    #[error("matrix result is not time aligned")]
    NotAligned,
    /// Writing the report failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Populated-bucket statistics of one series.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stats {
    min: usize,
    max: usize,
    total: usize,
    avg: f64,
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{:.3}/{}", self.min, self.avg, self.max)?;
        if self.max != self.total {
            write!(f, "/{}", self.total)?;
        }
        Ok(())
    }
}

/// A running min/avg/max over series.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Distribution {
    min: usize,
    max: usize,
    count: usize,
    avg: f64,
}

impl Distribution {
    fn new() -> Distribution {
        Distribution {
            min: usize::MAX,
            max: 0,
            count: 0,
            avg: 0.0,
        }
    }

    fn update(&mut self, n: usize) {
        self.min = self.min.min(n);
        self.max = self.max.max(n);
        self.count += 1;
        // The incremental mean promtool uses (and so rounds as it does).
        self.avg += n as f64 / self.count as f64 - self.avg / self.count as f64;
    }
}

impl std::fmt::Display for Distribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{:.3}/{}", self.min, self.avg, self.max)
    }
}

#[derive(Debug, Clone, Copy)]
struct Meta {
    min: Distribution,
    avg: Distribution,
    max: Distribution,
    total: Distribution,
}

impl Meta {
    fn new() -> Meta {
        Meta {
            min: Distribution::new(),
            avg: Distribution::new(),
            max: Distribution::new(),
            total: Distribution::new(),
        }
    }

    fn update(&mut self, s: &Stats) {
        self.min.update(s.min);
        self.avg.update(s.avg as usize);
        self.max.update(s.max);
        self.total.update(s.total);
    }
}

impl std::fmt::Display for Meta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "histogram series ({} in total):\n- min populated: {}\n- avg populated: {}\n- max populated: {}",
            self.min.count, self.min, self.avg, self.max
        )?;
        if self.max != self.total {
            write!(f, "\n- total: {}", self.total)?;
        }
        Ok(())
    }
}

/// Runs the analysis of the series `matchers` select over `duration`
/// before `end`, writing promtool's report to `out`.
pub fn analyze(
    client: &Client,
    metric_type: &str,
    matchers: &[String],
    duration: Duration,
    end: Instant,
    out: &mut dyn Write,
) -> Result<(), AnalyzeError> {
    if metric_type != "histogram" {
        return Err(AnalyzeError::Type(metric_type.to_string()));
    }
    writeln!(out, "{HEADER}\n")?;
    let mut native = Meta::new();
    let mut classic = Meta::new();
    let range = crate::go_format::go_duration(duration.as_millis() as i64);
    for m in matchers {
        let QueryValue::Matrix(matrix) = client.query(&format!("{m}[{range}]"), end)? else {
            return Err(AnalyzeError::NotMatrix);
        };
        // Keyed by the printed name so that groups come out in one order.
        let mut groups: BTreeMap<String, Vec<&Stream>> = BTreeMap::new();
        for s in &matrix {
            if s.values.is_empty() {
                if let Some(stats) = native_stats(s) {
                    writeln!(out, "- {} (native): {stats}", metric_string(&s.metric))?;
                    native.update(&stats);
                }
                continue;
            }
            let name = s.metric.get("__name__").cloned().unwrap_or_default();
            if !s.metric.contains_key("le") || !name.ends_with("_bucket") {
                continue;
            }
            let mut rest: Metric = s.metric.clone();
            rest.remove("__name__");
            rest.remove("le");
            groups
                .entry(format!("{name}{}", label_set_string(&rest)))
                .or_default()
                .push(s);
        }
        for (key, mut buckets) in groups {
            let Some(stats) = classic_stats(&mut buckets)? else {
                continue;
            };
            writeln!(out, "- {key} (classic): {stats}")?;
            classic.update(&stats);
        }
    }
    writeln!(out, "\n{FOOTER}")?;
    if native.min.count > 0 {
        writeln!(out, "\nNative {native}")?;
    }
    if classic.min.count > 0 {
        writeln!(out, "\nClassic {classic}")?;
    }
    Ok(())
}

/// Statistics of a native histogram series; `None` with fewer than two
/// samples.
fn native_stats(s: &Stream) -> Option<Stats> {
    if s.histograms.len() < 2 {
        return None;
    }
    let mut seen = HashSet::new();
    let (mut min, mut max, mut sum) = (usize::MAX, 0, 0);
    for (_, h) in &s.histograms {
        let bs = h.buckets.as_deref().unwrap_or_default();
        for b in bs {
            seen.insert((b.boundaries, b.lower.to_bits(), b.upper.to_bits()));
        }
        min = min.min(bs.len());
        max = max.max(bs.len());
        sum += bs.len();
    }
    Some(Stats {
        min,
        max,
        total: seen.len(),
        avg: sum as f64 / s.histograms.len() as f64,
    })
}

/// Statistics of one classic histogram from its bucket series; `None`
/// with fewer than two samples.
fn classic_stats(buckets: &mut [&Stream]) -> Result<Option<Stats>, AnalyzeError> {
    let samples = match buckets.first() {
        Some(b) if b.values.len() >= 2 => b.values.len(),
        _ => return Ok(None),
    };
    let le = |s: &Stream| {
        s.metric
            .get("le")
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    buckets.sort_by(|a, b| le(a).total_cmp(&le(b)));
    let (mut min, mut max, mut sum) = (usize::MAX, 0, 0);
    for i in 0..samples {
        let mut populated = 0;
        let mut prev: Option<(i64, f64)> = None;
        for b in buckets.iter() {
            // A shorter series ends the count at this step, as promtool
            // tolerates partial data.
            let Some(&(t, v)) = b.values.get(i) else {
                break;
            };
            let count = match prev {
                None => v as i64,
                Some((pt, pv)) => {
                    if pt != t {
                        return Err(AnalyzeError::NotAligned);
                    }
                    (v - pv) as i64
                }
            };
            if count != 0 {
                populated += 1;
            }
            prev = Some((t, v));
        }
        min = min.min(populated);
        max = max.max(populated);
        sum += populated;
    }
    Ok(Some(Stats {
        min,
        max,
        total: buckets.len(),
        avg: sum as f64 / samples as f64,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(le: &str, values: &[f64]) -> Stream {
        Stream {
            metric: [("__name__", "h_bucket"), ("le", le)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            values: values
                .iter()
                .enumerate()
                .map(|(i, v)| (i as i64 * 1000, *v))
                .collect(),
            histograms: vec![],
        }
    }

    #[test]
    fn classic_buckets_are_de_accumulated() {
        let a = bucket("+Inf", &[3.0, 5.0]);
        let b = bucket("1", &[1.0, 5.0]);
        let c = bucket("0.5", &[1.0, 2.0]);
        let mut group = vec![&a, &b, &c];
        let s = classic_stats(&mut group)
            .expect("aligned")
            .expect("enough data");
        // t0: 1,0,2 → 2 populated; t1: 2,3,0 → 2 populated.
        assert_eq!(s.to_string(), "2/2.000/2/3");
    }
}
