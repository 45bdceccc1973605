//! `vigil tool tsdb dump` and `vigil tool tsdb dump-openmetrics`: promtool's
//! commands of the same names, printing every sample of the matching series
//! in label order, merged across blocks, with deleted intervals
//! (tombstones) removed.
//!
//! `dump` prints `{labels} value timestamp` (`%g` values; native histograms
//! as their `String()` form); `dump-openmetrics` prints
//! `name{labels} value seconds` with the labels condensed and only the float
//! samples before a series' first histogram, then `# EOF`.
//!
//! The head is read from the WAL as promtool does (see [`super::head`]).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use vigil_model::{FloatHistogram, Histogram, Labels, METRIC_NAME, Matcher};
use vigil_tsdb::block::Block;
use vigil_tsdb::chunkenc::{Encoding, FloatHistogramIter, HistogramIter, XorIter};
use vigil_tsdb::index::ChunkMeta;

use super::TsdbError;
use super::head::{HeadSeries, read_head};
use super::selector::matches_all;

/// Which samples to dump.
#[derive(Debug)]
pub struct DumpOptions {
    /// Earliest timestamp (inclusive, milliseconds).
    pub min_time: i64,
    /// Latest timestamp (inclusive, milliseconds).
    pub max_time: i64,
    /// Matcher sets; a series is dumped if it satisfies any of them.
    pub matchers: Vec<Vec<Matcher>>,
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpFormat {
    /// `tsdb dump`: `{labels} value timestamp`.
    Prom,
    /// `tsdb dump-openmetrics`.
    OpenMetrics,
    /// `tsdb dump --format=seriesjson`: each series' labels once, as a
    /// JSON object.
    SeriesJson,
}

/// One sample's value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Float(f64),
    Histogram(Box<Histogram>),
    FloatHistogram(Box<FloatHistogram>),
}

/// Where a series' data is in one block: block position, series ID, chunks.
type Parts = Vec<(usize, u64, Vec<ChunkMeta>)>;

/// A series' data: in blocks, and in the head.
#[derive(Default)]
struct Sources {
    blocks: Parts,
    head: Option<HeadSeries>,
}

/// Dumps the data directory `dir` to `out`.
pub fn dump(
    dir: &Path,
    opts: &DumpOptions,
    format: DumpFormat,
    out: &mut impl Write,
) -> Result<(), TsdbError> {
    let blocks = super::open_blocks(dir)?;
    let min_valid = blocks
        .iter()
        .map(|b| b.meta().max_time)
        .max()
        .unwrap_or(i64::MIN);
    let blocks: Vec<Block> = blocks
        .into_iter()
        .filter(|b| b.meta().min_time <= opts.max_time && opts.min_time < b.meta().max_time)
        .collect();
    let mut series: BTreeMap<Labels, Sources> = BTreeMap::new();
    for (bi, block) in blocks.iter().enumerate() {
        block.for_each_series(|id, labels, chunks| {
            if opts.matchers.iter().any(|m| matches_all(m, labels)) {
                series
                    .entry(labels.clone())
                    .or_default()
                    .blocks
                    .push((bi, id, chunks.to_vec()));
            }
            Ok(())
        })?;
    }
    for (labels, hs) in read_head(dir, min_valid)? {
        if opts.matchers.iter().any(|m| matches_all(m, &labels)) {
            series.entry(labels).or_default().head = Some(hs);
        }
    }
    let mut line = String::new();
    for (labels, sources) in series {
        let samples = series_samples(&blocks, sources, opts)?;
        line.clear();
        match format {
            DumpFormat::Prom => write_prom(&mut line, &labels, &samples),
            DumpFormat::OpenMetrics => write_openmetrics(&mut line, &labels, &samples),
            DumpFormat::SeriesJson if !samples.is_empty() => write_json(&mut line, &labels),
            DumpFormat::SeriesJson => {}
        }
        out.write_all(line.as_bytes()).map_err(TsdbError::Output)?;
    }
    if format == DumpFormat::OpenMetrics {
        out.write_all(b"# EOF\n").map_err(TsdbError::Output)?;
    }
    out.flush().map_err(TsdbError::Output)
}

/// The series' samples in time order, within the range, not deleted.
fn series_samples(
    blocks: &[Block],
    sources: Sources,
    opts: &DumpOptions,
) -> Result<Vec<(i64, Value)>, TsdbError> {
    let mut samples: Vec<(i64, Value)> = Vec::new();
    for (bi, id, chunks) in &sources.blocks {
        let block = &blocks[*bi];
        let deleted = block.tombstones().get(id).map(Vec::as_slice).unwrap_or(&[]);
        let keep = |t: i64| {
            t >= opts.min_time
                && t <= opts.max_time
                && !deleted.iter().any(|(lo, hi)| *lo <= t && t <= *hi)
        };
        for c in chunks {
            if c.maxt < opts.min_time || c.mint > opts.max_time {
                continue;
            }
            decode_chunk(block, c, &keep, &mut samples)?;
        }
    }
    let mut parts = sources.blocks.len();
    if let Some(head) = sources.head {
        parts += 1;
        let deleted = head.deleted;
        samples.extend(head.samples.into_iter().filter(|(t, _)| {
            *t >= opts.min_time
                && *t <= opts.max_time
                && !deleted.iter().any(|(lo, hi)| lo <= t && t <= hi)
        }));
    }
    if parts > 1 && samples.windows(2).any(|w| w[0].0 >= w[1].0) {
        // Overlapping blocks: keep one sample per timestamp, in order.
        samples.sort_by_key(|s| s.0);
        samples.dedup_by_key(|s| s.0);
    }
    Ok(samples)
}

fn decode_chunk(
    block: &Block,
    c: &ChunkMeta,
    keep: &impl Fn(i64) -> bool,
    samples: &mut Vec<(i64, Value)>,
) -> Result<(), TsdbError> {
    let rec = block.chunk(c.reference)?;
    match rec.encoding {
        Encoding::Xor => {
            let mut it = XorIter::new(rec.data)?;
            samples.extend(
                it.by_ref()
                    .filter(|(t, _)| keep(*t))
                    .map(|(t, v)| (t, Value::Float(v))),
            );
            if let Some(e) = it.take_err() {
                return Err(e.into());
            }
        }
        Encoding::Histogram => {
            let mut it = HistogramIter::new(rec.data)?;
            samples.extend(
                it.by_ref()
                    .filter(|(t, _)| keep(*t))
                    .map(|(t, h)| (t, Value::Histogram(Box::new(h)))),
            );
            if let Some(e) = it.take_err() {
                return Err(e.into());
            }
        }
        Encoding::FloatHistogram => {
            let mut it = FloatHistogramIter::new(rec.data)?;
            samples.extend(
                it.by_ref()
                    .filter(|(t, _)| keep(*t))
                    .map(|(t, h)| (t, Value::FloatHistogram(Box::new(h)))),
            );
            if let Some(e) = it.take_err() {
                return Err(e.into());
            }
        }
    }
    Ok(())
}

/// Whether `name` is a label name of the legacy character set.
fn is_legacy_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Labels as Prometheus 3.x's `Labels.String()` prints them:
/// `{a="1", b="2"}`, with names outside the legacy character set quoted.
fn labels_string(labels: &Labels) -> String {
    let mut s = String::from("{");
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        if is_legacy_name(l.name) {
            s.push_str(l.name);
        } else {
            let _ = vigil_model::quote::write_quoted(&mut s, l.name);
        }
        s.push('=');
        let _ = vigil_model::quote::write_quoted(&mut s, l.value);
    }
    s.push('}');
    s
}

fn write_prom(out: &mut String, labels: &Labels, samples: &[(i64, Value)]) {
    use std::fmt::Write as _;
    let ls = labels_string(labels);
    for (t, v) in samples {
        out.push_str(&ls);
        out.push(' ');
        match v {
            Value::Float(f) => vigil_exposition::encode::push_go_float(out, *f),
            Value::Histogram(h) => {
                let _ = write!(out, "{h}");
            }
            Value::FloatHistogram(h) => {
                let _ = write!(out, "{h}");
            }
        }
        let _ = writeln!(out, " {t}");
    }
}

/// Labels without the metric name as `{a="1",b="2"}` (promtool's
/// `CondensedString`).
fn condensed(labels: &Labels) -> String {
    let mut s = String::from("{");
    for (i, l) in labels.iter().filter(|l| l.name != METRIC_NAME).enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(l.name);
        s.push('=');
        let _ = vigil_model::quote::write_quoted(&mut s, l.value);
    }
    s.push('}');
    s
}

/// The labels as a JSON object with sorted keys (Go's `json.Marshal` of
/// `labels.Labels`), on one line.
fn write_json(out: &mut String, labels: &Labels) {
    out.push('{');
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        vigil_web::json::push_str(out, l.name);
        out.push(':');
        vigil_web::json::push_str(out, l.value);
    }
    out.push_str("}\n");
}

fn write_openmetrics(out: &mut String, labels: &Labels, samples: &[(i64, Value)]) {
    use std::fmt::Write as _;
    let head = format!(
        "{}{}",
        labels.metric_name().unwrap_or(""),
        condensed(labels)
    );
    for (t, v) in samples {
        let Value::Float(f) = v else {
            // promtool stops at a series' first non-float sample.
            break;
        };
        out.push_str(&head);
        out.push(' ');
        vigil_exposition::encode::push_go_float(out, *f);
        let _ = writeln!(out, " {:.3}", *t as f64 / 1000.0);
    }
}

#[cfg(test)]
mod tests {
    use vigil_model::{CounterResetHint, Span};
    use vigil_tsdb::block::{
        BlockWriter, EncodedChunk, Tombstones, encoded_xor, write_tombstones, xor_chunks,
    };
    use vigil_tsdb::chunkenc::{CounterResetHeader, HistogramChunk};

    use super::*;

    fn write_float_block(dir: &Path, name: &str, samples: &[(i64, f64)]) -> String {
        let mut w = BlockWriter::new(dir).unwrap();
        let chunks = xor_chunks(samples).unwrap();
        let enc = encoded_xor(&chunks);
        w.add_series(Labels::from_pairs(&[("__name__", name)]), &enc)
            .unwrap();
        let (lo, hi) = (samples[0].0, samples[samples.len() - 1].0);
        w.finish(lo, hi + 1).unwrap().ulid
    }

    fn dump_all(dir: &Path, format: DumpFormat, min_time: i64, max_time: i64) -> String {
        let opts = DumpOptions {
            min_time,
            max_time,
            matchers: vec![super::super::selector::parse_selector("{__name__=~'.+'}").unwrap()],
        };
        let mut out = Vec::new();
        dump(dir, &opts, format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn merges_blocks_and_applies_tombstones() {
        let dir = tempfile::tempdir().unwrap();
        let a: Vec<(i64, f64)> = (0..5).map(|i| (i * 1000, i as f64)).collect();
        let b: Vec<(i64, f64)> = (5..8).map(|i| (i * 1000, i as f64)).collect();
        // The later block is written first: blocks are ordered by time.
        write_float_block(dir.path(), "m", &b);
        let first = write_float_block(dir.path(), "m", &a);
        let mut stones = Tombstones::new();
        // The only series of a block has ID 1 (offset 16 / 16).
        let block = Block::open(&dir.path().join(&first)).unwrap();
        let mut id = 0;
        block
            .for_each_series(|i, _, _| {
                id = i;
                Ok(())
            })
            .unwrap();
        drop(block);
        stones.insert(id, vec![(1000, 2000)]);
        write_tombstones(&dir.path().join(&first), &stones).unwrap();
        let got = dump_all(dir.path(), DumpFormat::Prom, i64::MIN, i64::MAX);
        let ts: Vec<&str> = got.lines().map(|l| l.rsplit(' ').next().unwrap()).collect();
        assert_eq!(ts, ["0", "3000", "4000", "5000", "6000", "7000"], "{got}");
        let got = dump_all(dir.path(), DumpFormat::OpenMetrics, 4000, 5000);
        assert_eq!(got, "m{} 4 4.000\nm{} 5 5.000\n# EOF\n");
    }

    #[test]
    fn histograms_print_as_prometheus_does() {
        let dir = tempfile::tempdir().unwrap();
        let h = Histogram {
            counter_reset_hint: CounterResetHint::NotCounterReset,
            schema: 0,
            zero_threshold: 0.001,
            zero_count: 1,
            count: 4,
            sum: 12.5,
            positive_spans: vec![Span {
                offset: 0,
                length: 2,
            }],
            negative_spans: vec![],
            positive_buckets: vec![1, 1],
            negative_buckets: vec![],
            custom_values: vec![],
        };
        let mut c = HistogramChunk::new(CounterResetHeader::Unknown);
        c.append(1000, &h).unwrap();
        let mut w = BlockWriter::new(dir.path()).unwrap();
        let enc = EncodedChunk {
            encoding: Encoding::Histogram,
            data: c.bytes(),
            mint: 1000,
            maxt: 1000,
            samples: 1,
        };
        w.add_series(Labels::from_pairs(&[("__name__", "h")]), &[enc])
            .unwrap();
        w.finish(1000, 1001).unwrap();
        let got = dump_all(dir.path(), DumpFormat::Prom, i64::MIN, i64::MAX);
        assert_eq!(got, format!("{{__name__=\"h\"}} {h} 1000\n"));
        assert!(got.contains("{count:4, sum:12.5"), "{got}");
        // OpenMetrics has no native histograms: nothing but the end.
        assert_eq!(
            dump_all(dir.path(), DumpFormat::OpenMetrics, 0, 2000),
            "# EOF\n"
        );
    }

    #[test]
    fn utf8_label_names_are_quoted() {
        let l = Labels::from_pairs(&[("__name__", "a.b"), ("c.d", "1"), ("_e1", "2")]);
        assert_eq!(labels_string(&l), r#"{__name__="a.b", _e1="2", "c.d"="1"}"#);
    }

    #[test]
    fn series_json() {
        let l = Labels::from_pairs(&[("__name__", "m"), ("a", "<\"\\\n\u{1}é>")]);
        let mut s = String::new();
        write_json(&mut s, &l);
        assert_eq!(
            s,
            "{\"__name__\":\"m\",\"a\":\"\\u003c\\\"\\\\\\n\\u0001é\\u003e\"}\n"
        );
    }

    #[test]
    fn line_formats() {
        let l = Labels::from_pairs(&[("__name__", "m"), ("a", "x\"y"), ("b", "2")]);
        let samples = vec![
            (1500, Value::Float(1e6)),
            (2000, Value::Float(f64::NAN)),
            (2500, Value::Float(0.5)),
        ];
        let mut s = String::new();
        write_prom(&mut s, &l, &samples);
        assert_eq!(
            s,
            "{__name__=\"m\", a=\"x\\\"y\", b=\"2\"} 1e+06 1500\n\
             {__name__=\"m\", a=\"x\\\"y\", b=\"2\"} NaN 2000\n\
             {__name__=\"m\", a=\"x\\\"y\", b=\"2\"} 0.5 2500\n"
        );
        let mut s = String::new();
        write_openmetrics(&mut s, &l, &samples[..1]);
        assert_eq!(s, "m{a=\"x\\\"y\",b=\"2\"} 1e+06 1.500\n");
    }
}
