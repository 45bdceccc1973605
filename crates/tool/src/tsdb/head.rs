//! The head of a data directory as promtool's `tsdb dump` sees it: the
//! samples in the WAL (the newest `wal/checkpoint.N` and the segments
//! after it) replayed the way Prometheus replays them read-only: samples
//! before the end of the newest block are discarded, and a sample not after
//! its series' last one is dropped; out-of-order samples come from the
//! write-behind log (`wbl/`) when there is one.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use vigil_model::Labels;
use vigil_tsdb::record::{
    RecordType, RefFloatHistogramSample, RefHistogramSample, RefSample, RefSeries, RefTombstone,
    decode_float_histogram_samples, decode_histogram_samples, decode_samples, decode_series,
    decode_tombstones,
};
use vigil_tsdb::wal::WalReader;

use super::TsdbError;
use super::dump::Value;

/// One head series: samples in time order and deleted intervals.
#[derive(Debug, Default)]
pub(crate) struct HeadSeries {
    pub(crate) samples: Vec<(i64, Value)>,
    pub(crate) deleted: Vec<(i64, i64)>,
}

impl HeadSeries {
    fn push(&mut self, t: i64, v: Value, min_valid: i64) {
        if t < min_valid || self.samples.last().is_some_and(|(last, _)| t <= *last) {
            return;
        }
        self.samples.push((t, v));
    }
}

/// The newest complete checkpoint directory of `wal` and its number.
fn checkpoint(wal: &Path) -> Result<Option<(u32, std::path::PathBuf)>, TsdbError> {
    let mut best = None;
    for e in std::fs::read_dir(wal).map_err(|e| TsdbError::io(wal, e))? {
        let e = e.map_err(|e| TsdbError::io(wal, e))?;
        let name = e.file_name();
        let Some(n) = name
            .to_str()
            .and_then(|n| n.strip_prefix("checkpoint."))
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| n > *b) {
            best = Some((n, e.path()));
        }
    }
    Ok(best)
}

/// Replays the WAL under `db/wal`; `min_valid` is the end of the newest
/// block. A missing WAL is an empty head; replay stops at a torn or
/// damaged record, as Prometheus' read-only replay keeps what precedes it.
pub(crate) fn read_head(
    db: &Path,
    min_valid: i64,
) -> Result<BTreeMap<Labels, HeadSeries>, TsdbError> {
    let wal = db.join("wal");
    let mut by_ref: HashMap<u64, Labels> = HashMap::new();
    let mut head: BTreeMap<Labels, HeadSeries> = BTreeMap::new();
    if !wal.is_dir() {
        return Ok(head);
    }
    let mut dirs = Vec::new();
    let mut after = None;
    if let Some((n, dir)) = checkpoint(&wal)? {
        dirs.push(dir);
        after = Some(n);
    }
    dirs.push(wal.clone());
    let mut err = None;
    let (mut series, mut samples, mut stones) = (Vec::new(), Vec::new(), Vec::new());
    let (mut hists, mut fhists) = (Vec::new(), Vec::new());
    for (i, dir) in dirs.iter().enumerate() {
        let reader = WalReader::open(dir)?;
        // Segments the checkpoint already covers are skipped.
        let skip_to = if i + 1 == dirs.len() { after } else { None };
        let r = reader.for_each(|seg, rec| {
            if err.is_some() || skip_to.is_some_and(|n| seg <= n) {
                return;
            }
            let res = apply(
                rec,
                &mut Scratch {
                    series: &mut series,
                    samples: &mut samples,
                    stones: &mut stones,
                    hists: &mut hists,
                    fhists: &mut fhists,
                },
                &mut by_ref,
                &mut head,
                min_valid,
            );
            if let Err(e) = res {
                err = Some(e);
            }
        })?;
        if let Some(e) = err.take() {
            return Err(e.into());
        }
        if r.is_some() {
            break;
        }
    }
    read_wbl(&db.join("wbl"), &by_ref, &mut head, min_valid)?;
    Ok(head)
}

/// Merges the out-of-order samples of the write-behind log `wbl` (if any)
/// into the series the WAL introduced, keeping time order; a timestamp
/// already held keeps its in-order sample.
fn read_wbl(
    wbl: &Path,
    by_ref: &HashMap<u64, Labels>,
    head: &mut BTreeMap<Labels, HeadSeries>,
    min_valid: i64,
) -> Result<(), TsdbError> {
    if !wbl.is_dir() {
        return Ok(());
    }
    let mut samples = Vec::new();
    let mut touched: Vec<Labels> = Vec::new();
    WalReader::open(wbl)?.for_each(|_, rec| {
        if RecordType::of(rec) != Some(RecordType::Samples) {
            return;
        }
        samples.clear();
        if decode_samples(rec, &mut samples).is_err() {
            return;
        }
        for s in samples.iter().filter(|s| s.t >= min_valid) {
            let Some(l) = by_ref.get(&s.series) else {
                continue;
            };
            if let Some(h) = head.get_mut(l) {
                h.samples.push((s.t, Value::Float(s.v)));
                touched.push(l.clone());
            }
        }
    })?;
    touched.sort();
    touched.dedup();
    for l in touched {
        if let Some(h) = head.get_mut(&l) {
            // Stable: in-order samples were pushed first.
            h.samples.sort_by_key(|s| s.0);
            h.samples.dedup_by_key(|s| s.0);
        }
    }
    Ok(())
}

/// Reusable decoding buffers.
struct Scratch<'a> {
    series: &'a mut Vec<RefSeries>,
    samples: &'a mut Vec<RefSample>,
    stones: &'a mut Vec<RefTombstone>,
    hists: &'a mut Vec<RefHistogramSample>,
    fhists: &'a mut Vec<RefFloatHistogramSample>,
}

/// The head series the WAL reference `r` names.
fn series_of<'h>(
    by_ref: &HashMap<u64, Labels>,
    head: &'h mut BTreeMap<Labels, HeadSeries>,
    r: u64,
) -> Option<&'h mut HeadSeries> {
    by_ref.get(&r).and_then(|l| head.get_mut(l))
}

fn apply(
    rec: &[u8],
    s: &mut Scratch<'_>,
    by_ref: &mut HashMap<u64, Labels>,
    head: &mut BTreeMap<Labels, HeadSeries>,
    min_valid: i64,
) -> Result<(), vigil_tsdb::Error> {
    match RecordType::of(rec) {
        Some(RecordType::Series) => {
            s.series.clear();
            decode_series(rec, s.series)?;
            for rs in s.series.drain(..) {
                head.entry(rs.labels.clone()).or_default();
                by_ref.insert(rs.series, rs.labels);
            }
        }
        Some(RecordType::Samples) => {
            s.samples.clear();
            decode_samples(rec, s.samples)?;
            for x in s.samples.iter() {
                if let Some(hs) = series_of(by_ref, head, x.series) {
                    hs.push(x.t, Value::Float(x.v), min_valid);
                }
            }
        }
        Some(RecordType::HistogramSamples | RecordType::CustomBucketsHistogramSamples) => {
            s.hists.clear();
            decode_histogram_samples(rec, s.hists)?;
            for x in s.hists.drain(..) {
                if let Some(hs) = series_of(by_ref, head, x.series) {
                    hs.push(x.t, Value::Histogram(Box::new(x.h)), min_valid);
                }
            }
        }
        Some(
            RecordType::FloatHistogramSamples | RecordType::CustomBucketsFloatHistogramSamples,
        ) => {
            s.fhists.clear();
            decode_float_histogram_samples(rec, s.fhists)?;
            for x in s.fhists.drain(..) {
                if let Some(hs) = series_of(by_ref, head, x.series) {
                    hs.push(x.t, Value::FloatHistogram(Box::new(x.h)), min_valid);
                }
            }
        }
        Some(RecordType::Tombstones) => {
            s.stones.clear();
            decode_tombstones(rec, s.stones)?;
            for x in s.stones.iter() {
                if x.maxt >= min_valid
                    && let Some(hs) = series_of(by_ref, head, x.series)
                {
                    hs.deleted.push((x.mint, x.maxt));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use vigil_tsdb::record::{encode_samples, encode_series, encode_tombstones};
    use vigil_tsdb::wal::WalWriter;

    use super::*;

    fn series(r: u64, name: &str) -> Vec<u8> {
        let mut b = Vec::new();
        let labels = Labels::from_pairs(&[("__name__", name)]);
        encode_series(&mut b, &[RefSeries { series: r, labels }]);
        b
    }

    fn samples(r: u64, ts: &[i64]) -> Vec<u8> {
        let s: Vec<RefSample> = ts
            .iter()
            .map(|&t| RefSample {
                series: r,
                t,
                v: t as f64,
            })
            .collect();
        let mut b = Vec::new();
        encode_samples(&mut b, &s);
        b
    }

    fn times(h: &BTreeMap<Labels, HeadSeries>, name: &str) -> Vec<i64> {
        let l = Labels::from_pairs(&[("__name__", name)]);
        h.get(&l)
            .map_or_else(Vec::new, |s| s.samples.iter().map(|x| x.0).collect())
    }

    #[test]
    fn replays_checkpoint_then_later_segments() {
        let db = tempfile::tempdir().unwrap();
        let wal = db.path().join("wal");
        // Segments 0 and 1; a checkpoint covering up to segment 0.
        let mut w = WalWriter::open(&wal, None, false).unwrap();
        w.log(&[&series(1, "old"), &samples(1, &[1, 2])]).unwrap();
        w.next_segment().unwrap();
        w.log(&[&series(2, "a"), &samples(2, &[10, 30, 20, 30, 40, 5])])
            .unwrap();
        w.log(&[&samples(3, &[50]), &samples(1, &[100])]).unwrap();
        let mut stone = Vec::new();
        encode_tombstones(
            &mut stone,
            &[RefTombstone {
                series: 2,
                mint: 40,
                maxt: 40,
            }],
        );
        w.log(&[&stone]).unwrap();
        w.sync().unwrap();
        drop(w);
        let mut c = WalWriter::open(&wal.join("checkpoint.00000000"), None, false).unwrap();
        c.log(&[&series(1, "old"), &samples(1, &[3])]).unwrap();
        c.sync().unwrap();
        drop(c);

        let h = read_head(db.path(), i64::MIN).unwrap();
        // Segment 0 is skipped (the checkpoint replaces it).
        assert_eq!(times(&h, "old"), [3, 100]);
        // Out-of-order and duplicate timestamps are dropped; unknown refs too.
        assert_eq!(times(&h, "a"), [10, 30, 40]);
        let a = Labels::from_pairs(&[("__name__", "a")]);
        assert_eq!(h[&a].deleted, [(40, 40)]);
        // Samples before the end of the newest block are discarded.
        let h = read_head(db.path(), 30).unwrap();
        assert_eq!(times(&h, "a"), [30, 40]);
        assert!(read_head(&db.path().join("none"), 0).unwrap().is_empty());
    }

    #[test]
    fn out_of_order_samples_come_from_the_write_behind_log() {
        use vigil_tsdb::db::{Db, DbOptions};
        use vigil_tsdb::head::HeadOptions;
        let dir = tempfile::tempdir().unwrap();
        let l = Labels::from_pairs(&[("__name__", "m")]);
        {
            let opts = DbOptions {
                head: HeadOptions {
                    out_of_order_time_window: 600_000,
                    ..HeadOptions::default()
                },
                ..DbOptions::default()
            };
            let (db, _) = Db::open(dir.path(), opts).unwrap();
            let mut app = db.head().appender();
            app.append(&l, 2000, 2.0).unwrap();
            app.commit().unwrap();
            let mut app = db.head().appender();
            app.append(&l, 1000, 1.0).unwrap();
            app.commit().unwrap();
        }
        let head = read_head(dir.path(), i64::MIN).unwrap();
        let ts: Vec<i64> = head[&l].samples.iter().map(|s| s.0).collect();
        assert_eq!(ts, [1000, 2000]);
    }
}
