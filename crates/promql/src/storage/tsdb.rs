//! [`Queryable`] over Vigil's TSDB: a whole database (blocks and head) or
//! a head alone. Histograms are handed to the engine in float form.
//!
//! A database also streams selects (`tsdb_stream.rs`): series are planned
//! from the block indexes up front and their chunks decoded one series at
//! a time, on a worker thread for large selects, so that decoding overlaps
//! evaluation and only a few series' samples are held at once.

use std::sync::Arc;

use vigil_model::Matcher;
use vigil_tsdb::db::Db;
use vigil_tsdb::head::Head;
use vigil_tsdb::series_data::SeriesData;

use super::{Queryable, SelectHints, SeriesStream, StorageError};
use crate::value::{FPoint, HPoint, Series};

pub(super) fn to_series(metric: vigil_model::Labels, d: SeriesData) -> Series {
    Series {
        metric,
        floats: d.floats.into_iter().map(|(t, f)| FPoint { t, f }).collect(),
        histograms: d
            .histograms
            .into_iter()
            .map(|(t, h)| HPoint {
                t,
                h: Arc::new(h.to_float()),
            })
            .collect(),
        drop_name: false,
    }
}

impl Queryable for Db {
    fn select(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        _hints: &SelectHints,
    ) -> Result<Vec<Series>, StorageError> {
        // The streaming plan gives `Db::select_data`'s series and samples
        // without its map of every label set: a head-only select (instant
        // selectors in rules) is one sort of distinct series.
        super::tsdb_stream::stream(self, mint, maxt, matchers)?
            .map(|r| r.map(|(s, _)| s))
            .collect()
    }

    fn select_stream(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        _hints: &SelectHints,
        _start_times: bool,
    ) -> Result<SeriesStream<'_>, StorageError> {
        // The TSDB keeps no start timestamps, so there are none to add.
        super::tsdb_stream::stream(self, mint, maxt, matchers)
    }
}

impl Queryable for Head {
    fn select(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        _hints: &SelectHints,
    ) -> Result<Vec<Series>, StorageError> {
        let mut data = self.select_data(mint, maxt, matchers);
        data.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(data.into_iter().map(|(l, d)| to_series(l, d)).collect())
    }
}

#[cfg(test)]
mod tests {
    use vigil_model::{Labels, MatchType};
    use vigil_tsdb::head::HeadOptions;

    use super::*;

    #[test]
    fn head_and_db_select_floats_and_histograms_in_label_order() {
        let head = Head::in_memory(HeadOptions::default());
        let mut app = head.appender();
        let b = Labels::from_pairs(&[("__name__", "m"), ("x", "b")]);
        let a = Labels::from_pairs(&[("__name__", "m"), ("x", "a")]);
        app.append(&b, 1000, 2.0).unwrap();
        let h = vigil_model::Histogram {
            count: 1,
            sum: 1.0,
            zero_count: 1,
            ..Default::default()
        };
        app.append_histogram(&a, 1000, &h).unwrap();
        app.commit().unwrap();
        let m = Matcher::new(MatchType::Equal, "__name__", "m").unwrap();
        let got = Queryable::select(
            &head,
            0,
            2000,
            std::slice::from_ref(&m),
            &SelectHints::default(),
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].metric, a);
        assert_eq!(got[0].histograms.len(), 1);
        assert_eq!(got[1].floats, [FPoint { t: 1000, f: 2.0 }]);

        let dir = tempfile::tempdir().unwrap();
        let (db, _) = Db::open(dir.path(), vigil_tsdb::db::DbOptions::default()).unwrap();
        let mut app = db.head().appender();
        app.append(&b, 1000, 2.0).unwrap();
        app.commit().unwrap();
        let got = Queryable::select(&db, 0, 2000, &[m], &SelectHints::default()).unwrap();
        assert_eq!(got.len(), 1);
    }

    /// Streams a database of one block and a head that overlap in series:
    /// the same series and samples as `Db::select_data`, through `select`
    /// and `select_stream`, decoded inline and on the workers alike.
    #[test]
    fn db_stream_equals_select() {
        use vigil_tsdb::block::{BlockWriter, encoded_xor, xor_chunks};
        let dir = tempfile::tempdir().unwrap();
        let series = |i: usize| Labels::from_pairs(&[("__name__", "m"), ("i", &format!("{i:03}"))]);
        let mut w = BlockWriter::new(dir.path()).unwrap();
        // Every other series in the block, in label order.
        for i in (0..200).step_by(2) {
            let samples: Vec<(i64, f64)> = (0..300)
                .map(|k| (k * 1000, (i * 1000 + k as usize) as f64))
                .collect();
            let chunks = xor_chunks(&samples).unwrap();
            w.add_series(series(i), &encoded_xor(&chunks)).unwrap();
        }
        w.finish(0, 300_000).unwrap();
        let (db, _) = Db::open(dir.path(), vigil_tsdb::db::DbOptions::with_retention(0)).unwrap();
        let mut app = db.head().appender();
        // The head holds later samples of all series.
        for i in 0..200 {
            for t in [300_000, 301_000, 302_000] {
                app.append(&series(i), t, -1.0).unwrap();
            }
        }
        app.commit().unwrap();
        for (matchers, mint, maxt) in [
            (
                vec![Matcher::new(MatchType::Equal, "__name__", "m").unwrap()],
                0,
                400_000,
            ),
            (
                vec![Matcher::new(MatchType::Equal, "__name__", "m").unwrap()],
                100_500,
                299_500,
            ),
            (
                vec![Matcher::new(MatchType::Regexp, "i", "00.").unwrap()],
                0,
                400_000,
            ),
            (
                vec![Matcher::new(MatchType::Equal, "i", "nope").unwrap()],
                0,
                400_000,
            ),
        ] {
            let hints = SelectHints::default();
            let want: Vec<Series> = db
                .select_data(mint, maxt, &matchers)
                .unwrap()
                .into_iter()
                .map(|(l, d)| to_series(l, d))
                .collect();
            let selected = Queryable::select(&db, mint, maxt, &matchers, &hints).unwrap();
            assert_eq!(selected, want, "select: {matchers:?} {mint}..={maxt}");
            let got: Vec<Series> = db
                .select_stream(mint, maxt, &matchers, &hints, false)
                .unwrap()
                .map(|r| r.unwrap().0)
                .collect();
            assert_eq!(got, want, "{matchers:?} {mint}..={maxt}");
            // The same through the decode workers.
            let got: Vec<Series> =
                super::super::tsdb_stream::stream_with(&db, mint, maxt, &matchers, 0)
                    .unwrap()
                    .map(|r| r.unwrap().0)
                    .collect();
            assert_eq!(got, want, "workers: {matchers:?} {mint}..={maxt}");
        }
        let all = Queryable::select(
            &db,
            0,
            400_000,
            &[Matcher::new(MatchType::Equal, "__name__", "m").unwrap()],
            &SelectHints::default(),
        )
        .unwrap();
        assert_eq!(all.len(), 200);
        assert_eq!(all[0].floats.len(), 303);
        assert_eq!(all[1].floats.len(), 3);
        assert_eq!(all[0].floats[299].f, 299.0);
    }

    /// A reader that stops early ends the workers (no hang, no panic).
    #[test]
    fn dropping_a_stream_early_is_fine() {
        let head_series =
            |i: usize| Labels::from_pairs(&[("__name__", "m"), ("i", &i.to_string())]);
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = Db::open(dir.path(), vigil_tsdb::db::DbOptions::default()).unwrap();
        let mut app = db.head().appender();
        for i in 0..500 {
            app.append(&head_series(i), 1000, 1.0).unwrap();
        }
        app.commit().unwrap();
        let m = [Matcher::new(MatchType::Equal, "__name__", "m").unwrap()];
        let mut s = db
            .select_stream(0, 2000, &m, &SelectHints::default(), false)
            .unwrap();
        assert!(s.next().is_some());
        drop(s);
        let mut s = super::super::tsdb_stream::stream_with(&db, 0, 2000, &m, 0).unwrap();
        assert!(s.next().is_some());
        drop(s);
    }
}
