//! The streaming parser interface shared by every exposition format.
//!
//! A parser walks a scrape body entry by entry without allocating per
//! sample: [`Parser::next`] says what kind of entry it stopped at and the
//! accessors borrow from the body or from the parser's scratch space. Label
//! sets are only materialised on request ([`Parser::labels`]), so a scrape
//! cache keyed by [`Parser::series`]'s raw bytes can skip label parsing for
//! series it has seen before.

use vigil_model::{Exemplar, FloatHistogram, Histogram, LabelsBuilder, MetricType};

use crate::error::ParseError;

/// What kind of entry the parser stopped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// `# TYPE` (or the type of a protobuf family); see [`Parser::metric_type`].
    Type,
    /// `# HELP`; see [`Parser::help`].
    Help,
    /// OpenMetrics `# UNIT`; see [`Parser::unit`].
    Unit,
    /// A comment line that is neither of the above (text 0.0.4 only).
    Comment,
    /// A float sample; see [`Parser::series`].
    Series,
    /// A native histogram sample (protobuf only); see [`Parser::histogram`].
    Histogram,
}

/// A streaming exposition parser; see the module docs.
pub trait Parser {
    /// Advances to the next entry. `Ok(None)` at the end of the body (for
    /// OpenMetrics: after `# EOF`, which must be present). After an error
    /// the parser must not be used again.
    fn next(&mut self) -> Result<Option<Entry>, ParseError>;

    /// For [`Entry::Series`]: the series' raw identity bytes (unique per
    /// series within one body and stable across scrapes of the same target),
    /// its timestamp in milliseconds if given, and its value.
    fn series(&self) -> (&[u8], Option<i64>, f64);

    /// For [`Entry::Histogram`]: the raw identity bytes, the timestamp in
    /// milliseconds if given, and the histogram (exactly one of the two is `Some`).
    fn histogram(&self) -> (&[u8], Option<i64>, Option<&Histogram>, Option<&FloatHistogram>);

    /// For [`Entry::Help`]: the metric family name and the unescaped help text.
    fn help(&self) -> (&str, &str);

    /// For [`Entry::Type`]: the metric family name and its type.
    fn metric_type(&self) -> (&str, MetricType);

    /// For [`Entry::Unit`]: the metric family name and the unit.
    fn unit(&self) -> (&str, &str);

    /// For [`Entry::Series`] and [`Entry::Histogram`]: writes the series'
    /// labels, `__name__` included, into `builder` (which is reset first).
    fn labels(&self, builder: &mut LabelsBuilder);

    /// For [`Entry::Series`] and [`Entry::Histogram`]: fills `exemplar` with
    /// the next exemplar of the current sample and returns true, or returns
    /// false when there are no more.
    fn exemplar(&mut self, exemplar: &mut Exemplar) -> bool;

    /// For [`Entry::Series`] and [`Entry::Histogram`]: the created timestamp
    /// (milliseconds) of the current sample's metric, when the format carries one.
    fn created_timestamp(&self) -> Option<i64> {
        None
    }
}
