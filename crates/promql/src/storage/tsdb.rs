//! [`Queryable`] over Vigil's TSDB: a whole database (blocks and head) or
//! a head alone. Histograms are handed to the engine in float form.

use std::sync::Arc;

use vigil_model::Matcher;
use vigil_tsdb::db::Db;
use vigil_tsdb::head::Head;
use vigil_tsdb::series_data::SeriesData;

use super::{Queryable, SelectHints, StorageError};
use crate::value::{FPoint, HPoint, Series};

fn to_series(metric: vigil_model::Labels, d: SeriesData) -> Series {
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
        let data = self
            .select_data(mint, maxt, matchers)
            .map_err(|e| StorageError(e.to_string()))?;
        Ok(data.into_iter().map(|(l, d)| to_series(l, d)).collect())
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
}
