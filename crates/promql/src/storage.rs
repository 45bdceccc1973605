//! What the engine needs from storage: the series a selector names, with
//! their samples in a time range.
//!
//! The TSDB implements [`Queryable`] (`storage/tsdb.rs`: a whole database
//! or a head); the script runner uses an in-memory implementation.

mod tsdb;
mod tsdb_stream;

use vigil_model::Matcher;

use crate::value::Series;

/// Hints about a select: the engine's view of why it reads this range.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SelectHints {
    /// First millisecond the engine needs (inclusive).
    pub start: i64,
    /// Last millisecond the engine needs (inclusive).
    pub end: i64,
    /// Step of a range query in milliseconds (0 for instant queries).
    pub step: i64,
    /// The function wrapping the selector, if any (`rate`, `series`, ...).
    pub func: Option<String>,
}

/// An error reading storage, shown to the user as the query's error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct StorageError(pub String);

/// Start timestamps ("created timestamps") of the samples one selected
/// series holds, parallel to its sample lists; 0 where unknown, and empty
/// lists when storage keeps none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartTimes {
    /// One per element of [`Series::floats`] (or empty).
    pub floats: Vec<i64>,
    /// One per element of [`Series::histograms`] (or empty).
    pub histograms: Vec<i64>,
}

/// The series of a select handed over one at a time, each with its
/// samples (and start timestamps when asked for), in label order. Storage
/// may decode a series only when it is reached, so the engine holds one
/// series' samples at a time instead of all of them.
pub type SeriesStream<'s> =
    Box<dyn Iterator<Item = Result<(Series, StartTimes), StorageError>> + 's>;

/// Something the engine can select series from.
pub trait Queryable: Send + Sync {
    /// Every series all `matchers` select, with the samples in
    /// `mint..=maxt`, sorted by labels. Series without samples in the range
    /// may be left out.
    fn select(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        hints: &SelectHints,
    ) -> Result<Vec<Series>, StorageError>;

    /// Like [`Queryable::select`], also giving each sample's start
    /// timestamp where storage keeps them (used by `rate`, `increase`,
    /// `irate`, `resets` and `start_timestamp` to see counter resets).
    /// The default knows none, which is what a storage without start
    /// timestamps should answer.
    fn select_with_start_times(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        hints: &SelectHints,
    ) -> Result<Vec<(Series, StartTimes)>, StorageError> {
        Ok(self
            .select(mint, maxt, matchers, hints)?
            .into_iter()
            .map(|s| (s, StartTimes::default()))
            .collect())
    }

    /// Like [`Queryable::select`] (or, with `start_times`,
    /// [`Queryable::select_with_start_times`]), handing series over one at
    /// a time. The default selects everything first; storages that can
    /// decode lazily should override it.
    fn select_stream(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        hints: &SelectHints,
        start_times: bool,
    ) -> Result<SeriesStream<'_>, StorageError> {
        if start_times {
            let got = self.select_with_start_times(mint, maxt, matchers, hints)?;
            Ok(Box::new(got.into_iter().map(Ok)))
        } else {
            let got = self.select(mint, maxt, matchers, hints)?;
            Ok(Box::new(
                got.into_iter().map(|s| Ok((s, StartTimes::default()))),
            ))
        }
    }
}
