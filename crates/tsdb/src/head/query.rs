//! Reading the head: series selection by matchers, samples in a time range,
//! label names and values.
//!
//! Reads take a snapshot of the matching references, then lock one series
//! at a time while copying its samples out, so appends proceed meanwhile; a
//! sample committed during a `select` may or may not be seen.

use vigil_model::{Labels, Matcher};

use super::exemplars::StoredExemplar;
use super::{Head, SeriesRef};
use crate::series_data::SeriesData;

/// Iterator over the series a [`Head::select`] picked, in reference order.
#[derive(Debug)]
pub struct SelectIter<'a> {
    head: &'a Head,
    refs: std::vec::IntoIter<u32>,
    mint: i64,
    maxt: i64,
}

impl Iterator for SelectIter<'_> {
    type Item = (Labels, Vec<(i64, f64)>);

    fn next(&mut self) -> Option<Self::Item> {
        for r in self.refs.by_ref() {
            let Some(s) = self.head.series.get(u64::from(r)) else {
                continue;
            };
            let mut out = Vec::new();
            s.lock()
                .samples_in(self.mint, self.maxt, self.head.chunks.as_ref(), &mut out);
            self.head
                .ooo
                .merge_into(u64::from(r), self.mint, self.maxt, &mut out);
            self.head.apply_tombstones(u64::from(r), &mut out);
            if !out.is_empty() {
                return Some((s.labels.clone(), out));
            }
        }
        None
    }
}

impl Head {
    /// References of the series `matchers` select (Prometheus' semantics:
    /// a matcher that matches `""` also selects series without the label;
    /// no matchers select nothing), sorted.
    pub fn postings_for_matchers(&self, matchers: &[Matcher]) -> Vec<SeriesRef> {
        self.postings()
            .for_matchers(matchers)
            .into_iter()
            .map(SeriesRef::from)
            .collect()
    }

    /// The series `matchers` select that have samples in `mint..=maxt`, each
    /// with those samples in time order.
    pub fn select(&self, mint: i64, maxt: i64, matchers: &[Matcher]) -> SelectIter<'_> {
        let refs = self.postings().for_matchers(matchers);
        SelectIter {
            head: self,
            refs: refs.into_iter(),
            mint,
            maxt,
        }
    }

    /// As [`Head::select`], with native-histogram samples too.
    pub fn select_data(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
    ) -> Vec<(Labels, SeriesData)> {
        let refs = self.postings().for_matchers(matchers);
        let mut out = Vec::new();
        for r in refs {
            let Some(s) = self.series.get(u64::from(r)) else {
                continue;
            };
            let mut d = SeriesData::default();
            s.lock().data_in(mint, maxt, self.chunks.as_ref(), &mut d);
            self.ooo.merge_into(u64::from(r), mint, maxt, &mut d.floats);
            self.apply_tombstones_data(u64::from(r), &mut d);
            if !d.is_empty() {
                out.push((s.labels.clone(), d));
            }
        }
        out
    }

    /// The exemplars in `mint..=maxt` of the series any of `selectors`
    /// selects (each a list of matchers, as in `query_exemplars`), by
    /// series in label order, each series' exemplars oldest first.
    pub fn select_exemplars(
        &self,
        mint: i64,
        maxt: i64,
        selectors: &[Vec<Matcher>],
    ) -> Vec<(Labels, Vec<StoredExemplar>)> {
        let mut refs: Vec<u32> = selectors
            .iter()
            .flat_map(|m| self.postings().for_matchers(m))
            .collect();
        refs.sort_unstable();
        refs.dedup();
        let mut out = Vec::new();
        for r in refs {
            let Some(s) = self.series.get(u64::from(r)) else {
                continue;
            };
            let ex = self.exemplars.select(u64::from(r), mint, maxt);
            if !ex.is_empty() {
                out.push((s.labels.clone(), ex));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Number of exemplars held.
    pub fn num_exemplars(&self) -> usize {
        self.exemplars.len()
    }

    /// The labels of series `r`.
    pub fn series_labels(&self, r: SeriesRef) -> Option<Labels> {
        self.series.get(r).map(|s| s.labels.clone())
    }

    /// Number of samples held for series `r`.
    pub fn series_num_samples(&self, r: SeriesRef) -> Option<usize> {
        self.series
            .get(r)
            .map(|s| s.lock().num_samples(self.chunks.as_ref()))
    }

    /// Number of chunks the head holds: every series' closed chunks (in
    /// memory or in `chunks_head/`) plus its open one. Counted on demand by
    /// visiting every series, so meant for status pages, not hot paths.
    pub fn num_chunks(&self) -> usize {
        self.series
            .all()
            .iter()
            .map(|(_, s)| {
                let st = s.lock();
                st.cut.len() + usize::from(st.open.is_some()) + usize::from(st.hist.is_some())
            })
            .sum()
    }

    /// All label names in the head, sorted.
    pub fn label_names(&self) -> Vec<String> {
        self.postings().names()
    }

    /// All values of label `name` in the head, sorted.
    pub fn label_values(&self, name: &str) -> Vec<String> {
        self.postings().values(name)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AppendError, HeadOptions};
    use super::*;
    use vigil_model::{MatchType, is_stale_nan, stale_nan};

    #[test]
    fn chunks_are_counted_open_and_closed() {
        let head = Head::in_memory(HeadOptions::default());
        assert_eq!(head.num_chunks(), 0);
        let a = Labels::from_pairs(&[("__name__", "a")]);
        let b = Labels::from_pairs(&[("__name__", "b")]);
        for i in 0..130 {
            let mut app = head.appender();
            app.append(&a, i * 1000, 1.0).unwrap();
            if i < 3 {
                app.append(&b, i * 1000, 1.0).unwrap();
            }
            app.commit().unwrap();
        }
        // a: one chunk cut at 120 samples plus the open one; b: one open.
        assert_eq!(head.num_chunks(), 3);
    }

    fn l(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs)
    }

    #[test]
    fn append_check_commit_select() {
        let head = Head::in_memory(HeadOptions::default());
        let a = l(&[("__name__", "up"), ("job", "a")]);
        let b = l(&[("__name__", "up"), ("job", "b")]);
        let mut app = head.appender();
        let ra = app.append(&a, 1000, 1.0).unwrap();
        app.append(&b, 1000, 0.0).unwrap();
        assert_eq!(app.append_ref(ra, 2000, 2.0).unwrap(), ra);
        assert!(matches!(
            app.append_ref(ra, 1500, 9.0),
            Err(AppendError::OutOfOrder {
                t: 1500,
                last: 2000
            })
        ));
        assert!(matches!(
            app.append_ref(ra, 2000, 9.0),
            Err(AppendError::DuplicateSample { t: 2000 })
        ));
        app.append_ref(ra, 2000, 2.0).unwrap(); // same sample: no-op
        assert!(matches!(
            app.append_ref(777, 1, 1.0),
            Err(AppendError::UnknownSeriesRef(777))
        ));
        assert!(matches!(
            app.append(&Labels::empty(), 1, 1.0),
            Err(AppendError::EmptyLabels)
        ));
        assert_eq!(app.len(), 3);
        app.commit().unwrap();

        let mut app = head.appender();
        app.append_ref(ra, 3000, stale_nan()).unwrap();
        app.append_ref(ra, 3000, stale_nan()).unwrap();
        assert!(matches!(
            app.append_ref(ra, 3000, 1.0),
            Err(AppendError::DuplicateSample { .. })
        ));
        app.commit().unwrap();

        // Rolled back: nothing applied.
        let mut app = head.appender();
        app.append_ref(ra, 4000, 4.0).unwrap();
        app.rollback();

        let m = Matcher::new(MatchType::Equal, "job", "a").unwrap();
        let got: Vec<_> = head.select(0, i64::MAX, std::slice::from_ref(&m)).collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, a);
        assert_eq!(&got[0].1[..2], &[(1000, 1.0), (2000, 2.0)]);
        assert!(is_stale_nan(got[0].1[2].1));
        assert_eq!(got[0].1.len(), 3);
        assert_eq!(
            head.select(1500, 2500, &[m]).next().unwrap().1,
            [(2000, 2.0)]
        );
        assert_eq!(head.label_names(), ["__name__", "job"]);
        assert_eq!(head.label_values("job"), ["a", "b"]);
        let st = head.stats();
        assert_eq!((st.num_series, st.min_time, st.max_time), (2, 1000, 3000));

        // Out of bounds: more than half a chunk range before the newest sample.
        let mut app = head.appender();
        assert!(matches!(
            app.append(&a, 3000 - 3_600_001, 1.0),
            Err(AppendError::OutOfBounds { .. })
        ));
        head.set_min_valid_time(10_000);
        let mut app = head.appender();
        assert!(matches!(
            app.append(&b, 9_999, 1.0),
            Err(AppendError::OutOfBounds { .. })
        ));
    }

    #[test]
    fn concurrent_appenders() {
        let head = Head::in_memory(HeadOptions::default());
        std::thread::scope(|s| {
            for th in 0..4 {
                let head = &head;
                s.spawn(move || {
                    for t in 0..50i64 {
                        let mut app = head.appender();
                        for i in 0..100 {
                            let lbl = l(&[("i", &i.to_string()), ("th", &th.to_string())]);
                            app.append(&lbl, t * 1000, t as f64).unwrap();
                        }
                        app.commit().unwrap();
                    }
                });
            }
        });
        assert_eq!(head.stats().num_series, 400);
        assert_eq!(head.label_values("th"), ["0", "1", "2", "3"]);
        let m = Matcher::new(MatchType::Regexp, "th", ".+").unwrap();
        let all: Vec<_> = head.select(i64::MIN, i64::MAX, &[m]).collect();
        assert_eq!(all.len(), 400);
        assert!(all.iter().all(|(_, s)| s.len() == 50));
    }

    /// Readers run while appenders commit; every read sees, per series, a
    /// gap-free prefix of what is being written.
    #[test]
    fn reads_during_appends_see_prefixes() {
        let head = Head::in_memory(HeadOptions::default());
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                for t in 0..300i64 {
                    let mut app = head.appender();
                    for i in 0..50 {
                        let lbl = l(&[("i", &i.to_string())]);
                        app.append(&lbl, t, t as f64).unwrap();
                    }
                    app.commit().unwrap();
                }
                done.store(true, std::sync::atomic::Ordering::Relaxed);
            });
            s.spawn(|| {
                let m = Matcher::new(MatchType::Regexp, "i", ".+").unwrap();
                let mut reads = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) || reads == 0 {
                    for (_, samples) in head.select(i64::MIN, i64::MAX, std::slice::from_ref(&m)) {
                        for (k, &(t, v)) in samples.iter().enumerate() {
                            assert_eq!((t, v), (k as i64, k as f64));
                        }
                    }
                    reads += 1;
                }
            });
        });
        let m = Matcher::new(MatchType::Equal, "i", "7").unwrap();
        assert_eq!(head.select(0, i64::MAX, &[m]).next().unwrap().1.len(), 300);
    }
}
