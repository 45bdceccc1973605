//! Where rule results go: [`Appendable`] hands out a [`RuleAppender`] per
//! rule evaluation, as Prometheus' `storage.Appendable` does. The TSDB's
//! [`Db`] implements it over its head appender; tests may use any other
//! store. Reading goes through `vigil_promql::storage::Queryable`.

use vigil_model::{FloatHistogram, Labels};
use vigil_tsdb::db::Db;
use vigil_tsdb::head::{AppendError, Appender, Head};

/// Why one sample was not appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendRefusal {
    /// Older than the series' newest sample.
    OutOfOrder(String),
    /// Too old for the store's accepted window.
    TooOld(String),
    /// Another value with the same timestamp.
    Duplicate(String),
    /// Anything else.
    Other(String),
}

impl AppendRefusal {
    /// Whether Prometheus discards the sample quietly (out of order, too
    /// old, duplicate): rule results that lose such a race are expected.
    pub fn is_expected(&self) -> bool {
        !matches!(self, AppendRefusal::Other(_))
    }

    /// The message.
    pub fn message(&self) -> &str {
        match self {
            AppendRefusal::OutOfOrder(m)
            | AppendRefusal::TooOld(m)
            | AppendRefusal::Duplicate(m)
            | AppendRefusal::Other(m) => m,
        }
    }
}

impl From<AppendError> for AppendRefusal {
    fn from(e: AppendError) -> Self {
        let m = e.to_string();
        match e {
            AppendError::OutOfOrder { .. } => AppendRefusal::OutOfOrder(m),
            AppendError::OutOfBounds { .. } | AppendError::TooOldSample { .. } => {
                AppendRefusal::TooOld(m)
            }
            AppendError::DuplicateSample { .. } => AppendRefusal::Duplicate(m),
            _ => AppendRefusal::Other(m),
        }
    }
}

/// A batch of samples committed together.
pub trait RuleAppender {
    /// Adds a float sample.
    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), AppendRefusal>;
    /// Adds a native histogram sample.
    fn append_histogram(
        &mut self,
        labels: &Labels,
        t: i64,
        h: &FloatHistogram,
    ) -> Result<(), AppendRefusal>;
    /// Makes the batch durable (as far as the store promises).
    fn commit(self: Box<Self>) -> Result<(), String>;
}

/// Something rule results can be written to.
pub trait Appendable: Send + Sync {
    /// A new, empty batch.
    fn appender(&self) -> Box<dyn RuleAppender + '_>;
}

/// A batch over a TSDB head's appender: how rule results reach [`Db`],
/// and any other storage built on a [`Head`] (promtool's rule unit tests
/// write into an in-memory head).
pub fn head_appender(head: &Head) -> Box<dyn RuleAppender + '_> {
    Box::new(HeadAppender(head.appender()))
}

struct HeadAppender<'a>(Appender<'a>);

impl RuleAppender for HeadAppender<'_> {
    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), AppendRefusal> {
        self.0.append(labels, t, v).map(|_| ()).map_err(Into::into)
    }

    fn append_histogram(
        &mut self,
        labels: &Labels,
        t: i64,
        h: &FloatHistogram,
    ) -> Result<(), AppendRefusal> {
        self.0
            .append_float_histogram(labels, t, h)
            .map(|_| ())
            .map_err(Into::into)
    }

    fn commit(self: Box<Self>) -> Result<(), String> {
        self.0.commit().map_err(|e| e.to_string())
    }
}

impl Appendable for Db {
    fn appender(&self) -> Box<dyn RuleAppender + '_> {
        head_appender(self.head())
    }
}
