//! Native histograms in blocks: `Db::select_data` reads integer and float
//! histogram chunks beside float chunks, and leveled and vertical
//! compaction keep every histogram sample (copying untouched series'
//! chunks byte for byte, re-encoding merged ones).

use vigil_model::{CounterResetHint, FloatHistogram, Histogram, Labels, MatchType, Matcher, Span};
use vigil_tsdb::block::{BlockWriter, EncodedChunk};
use vigil_tsdb::db::{Db, DbOptions};
use vigil_tsdb::series_data::{HistogramValue, SeriesData, encode_chunks};

fn hist(i: i64) -> Histogram {
    let c = 5 + i as u64 % 50; // resets every 50 samples
    Histogram {
        schema: 2,
        count: 2 * c,
        zero_count: 1,
        sum: c as f64 * 0.75,
        zero_threshold: 1e-128,
        positive_spans: vec![Span {
            offset: -1,
            length: 2,
        }],
        positive_buckets: vec![(c - 1) as i64, 0],
        ..Histogram::default()
    }
}

fn fhist(i: i64) -> FloatHistogram {
    let mut h = hist(i).to_float();
    h.sum += 0.5;
    h
}

fn write_block(dir: &std::path::Path, series: &[(Labels, SeriesData)], mint: i64, maxt: i64) {
    let mut w = BlockWriter::new(dir).unwrap();
    let mut series: Vec<&(Labels, SeriesData)> = series.iter().collect();
    series.sort_by(|a, b| a.0.cmp(&b.0));
    for (l, d) in series {
        let chunks = encode_chunks(d).unwrap();
        let enc: Vec<EncodedChunk<'_>> = chunks.iter().map(|c| c.as_encoded()).collect();
        w.add_series(l.clone(), &enc).unwrap();
    }
    w.finish(mint, maxt).unwrap();
}

fn data(from: i64, to: i64, kind: u8) -> SeriesData {
    let mut d = SeriesData::default();
    for i in from..to {
        let t = i * 10_000;
        match kind {
            0 => d.histograms.push((t, HistogramValue::Int(hist(i)))),
            1 => d.histograms.push((t, HistogramValue::Float(fhist(i)))),
            _ => d.floats.push((t, i as f64)),
        }
    }
    d
}

/// Compares ignoring counter-reset hints, which chunk boundaries decide.
fn same(a: &SeriesData, b: &SeriesData) -> bool {
    let strip = |d: &SeriesData| -> Vec<(i64, FloatHistogram)> {
        d.histograms
            .iter()
            .map(|(t, h)| {
                let mut f = h.to_float();
                f.counter_reset_hint = CounterResetHint::Unknown;
                (*t, f)
            })
            .collect()
    };
    a.floats == b.floats && strip(a) == strip(b)
}

#[test]
fn histogram_blocks_compact_without_losing_samples() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ih = Labels::from_pairs(&[("__name__", "ih")]);
    let fh = Labels::from_pairs(&[("__name__", "fh")]);
    let mixed = Labels::from_pairs(&[("__name__", "mixed")]);
    // Four adjacent 20-minute blocks of 120 samples at 10 s each,
    // plus one overlapping the second for vertical compaction.
    let r = 1_200_000;
    for b in 0..4 {
        let (lo, hi) = (b * 120, (b + 1) * 120);
        write_block(
            dir,
            &[
                (ih.clone(), data(lo, hi, 0)),
                (fh.clone(), data(lo, hi, 1)),
                (mixed.clone(), data(lo, hi, (b % 2) as u8 * 2)),
            ],
            b * r,
            (b + 1) * r,
        );
    }
    // Overlap: `ih` again (same samples) and a float series only here.
    let extra = Labels::from_pairs(&[("__name__", "extra")]);
    write_block(
        dir,
        &[
            (extra.clone(), data(130, 140, 2)),
            (ih.clone(), data(125, 135, 0)),
        ],
        r,
        2 * r,
    );
    let opts = DbOptions {
        block_ranges: vec![r, 3 * r],
        ..DbOptions::default()
    };
    let (db, _) = Db::open(dir, opts).unwrap();
    let all = Matcher::new(MatchType::Regexp, "__name__", ".+").unwrap();
    let before = db
        .select_data(i64::MIN, i64::MAX, std::slice::from_ref(&all))
        .unwrap();
    assert_eq!(before.len(), 4);
    let hists: usize = before.iter().map(|(_, d)| d.histograms.len()).sum();
    assert_eq!(hists, 480 * 2 + 240);

    let written = db.compact().unwrap();
    assert!(!written.is_empty());
    // The overlap merged, then the first three ranges into one 1 h block;
    // the newest block stays alone.
    assert!(db.overlaps().is_empty());
    assert_eq!(db.blocks().len(), 2);
    assert_eq!(db.blocks()[0].meta().max_time, 3 * r);
    let after = db.select_data(i64::MIN, i64::MAX, &[all]).unwrap();
    assert_eq!(after.len(), before.len());
    for ((l1, d1), (l2, d2)) in before.iter().zip(&after) {
        assert_eq!(l1, l2);
        assert!(same(d1, d2), "{l1}: samples differ after compaction");
    }
    // Resets inside a series come back as resets.
    let ih_data = &after.iter().find(|(l, _)| *l == ih).unwrap().1;
    let resets = ih_data
        .histograms
        .iter()
        .filter(|(_, h)| matches!(h, HistogramValue::Int(h) if h.counter_reset_hint == CounterResetHint::CounterReset))
        .count();
    assert!(resets >= 6, "{resets} resets");
}
