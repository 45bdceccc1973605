//! The streaming parser for the delimited protobuf format, with the entry
//! sequence of Prometheus 3's `model/textparse/protobufparse.go`.
//!
//! Per family: `Help` (when the help text is non-empty), `Unit` (when a
//! unit is set), `Type`, then per metric: a counter, gauge or untyped value
//! as one series; a summary as `_count`, `_sum` and one series per quantile;
//! a classic histogram as `_count`, `_sum` and one `_bucket` series per
//! bucket, adding the `+Inf` bucket when the body leaves it out; a native
//! histogram as one [`Entry::Histogram`], followed by its classic series only
//! when [`ProtobufParser::with_classic_histograms`] asks for them. Families
//! without metrics produce no entries.
//!
//! Details that follow Prometheus: a histogram counts as native when it has
//! a span or a zero bucket (a zero-length span marks an empty one); it is a
//! float histogram when `sample_count_float` or `zero_count_float` is
//! positive; zero-length spans are dropped as Prometheus' compaction does;
//! `timestamp_ms` 0 means "no timestamp"; `le`/`quantile` values are
//! formatted like OpenMetrics numbers (`1.0`, `+Inf`); series identity bytes
//! are the metric name followed by `0xff name 0xff value` per label in name
//! order. Differences: `Help` is skipped when the help text is empty (the
//! proto default, not a declaration), and schemas outside -4..=8 are errors.
//!
//! Every length, index and count read from the body is checked, so no input
//! makes the parser panic; errors carry the byte offset of the family
//! message (or of the length prefix) they were found in.

use prost::Message as _;
use vigil_model::histogram::{MAX_SCHEMA, MIN_SCHEMA};
use vigil_model::{
    BUCKET_LABEL, CounterResetHint, Exemplar, FloatHistogram, Histogram, LabelsBuilder,
    METRIC_NAME, MetricType, QUANTILE_LABEL, Span,
};

use super::messages as pb;
use crate::encode::push_om_float;
use crate::error::ParseError;
use crate::parser::{Entry, Parser};

/// Separates the parts of a series' identity bytes; it cannot occur in UTF-8.
const SEP: u8 = 0xff;

/// Where the parser stands in the entry sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first family or after the last entry of a family.
    Family,
    /// The family's help was (or would have been) returned.
    Help,
    /// The family's unit was (or would have been) returned.
    Unit,
    /// The family's type was returned.
    Type,
    /// A sample of metric `metric` was returned.
    Sample,
}

/// Which sample of the current metric is being returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The single value of a counter, gauge or untyped metric.
    Plain,
    /// A native histogram.
    Native,
    /// `_count` of a summary or classic histogram.
    Count,
    /// `_sum` of a summary or classic histogram.
    Sum,
    /// Quantile `i` of a summary, or bucket `i` of a histogram (`i == len`
    /// is the `+Inf` bucket the body left out).
    Item(usize),
}

/// Parser for `application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited`.
#[derive(Debug)]
pub struct ProtobufParser<'a> {
    body: &'a [u8],
    /// Offset of the next family's length prefix.
    pos: usize,
    /// Offset of the current family message, for error positions.
    fam_offset: usize,
    fam: pb::MetricFamily,
    kind: pb::MetricType,
    classic: bool,
    state: State,
    metric: usize,
    step: Step,
    /// Metric name of the current sample, with any `_count`/`_sum`/`_bucket` suffix.
    name: String,
    /// `le` or `quantile` label of the current sample, if any.
    magic: Option<&'static str>,
    magic_value: String,
    /// Identity bytes of the current series.
    series: Vec<u8>,
    /// Label indices of the current metric in name order.
    order: Vec<usize>,
    hist: Histogram,
    fhist: FloatHistogram,
    is_float: bool,
    exemplar_pos: usize,
    exemplar_returned: bool,
    builder: LabelsBuilder,
    failed: bool,
}

impl<'a> ProtobufParser<'a> {
    /// A parser over a whole scrape body.
    pub fn new(body: &'a [u8]) -> ProtobufParser<'a> {
        ProtobufParser {
            body,
            pos: 0,
            fam_offset: 0,
            fam: pb::MetricFamily::default(),
            kind: pb::MetricType::Untyped,
            classic: false,
            state: State::Family,
            metric: 0,
            step: Step::Plain,
            name: String::new(),
            magic: None,
            magic_value: String::new(),
            series: Vec::new(),
            order: Vec::new(),
            hist: Histogram::default(),
            fhist: FloatHistogram::default(),
            is_float: false,
            exemplar_pos: 0,
            exemplar_returned: false,
            builder: LabelsBuilder::new(),
            failed: false,
        }
    }

    /// Whether a histogram that carries native-histogram fields should also
    /// be returned as classic `_bucket`/`_sum`/`_count` series (Prometheus'
    /// `always_scrape_classic_histograms`). Off by default.
    pub fn with_classic_histograms(mut self, enabled: bool) -> ProtobufParser<'a> {
        self.classic = enabled;
        self
    }

    fn err(&self, msg: impl Into<String>) -> ParseError {
        ParseError::at_offset(self.fam_offset, msg)
    }

    fn fam_name(&self) -> &str {
        self.fam.name.as_deref().unwrap_or_default()
    }

    fn cur(&self) -> Option<&pb::Metric> {
        self.fam.metric.get(self.metric)
    }

    fn cur_hist(&self) -> Option<&pb::Histogram> {
        self.cur().and_then(|m| m.histogram.as_ref())
    }

    fn cur_summary(&self) -> Option<&pb::Summary> {
        self.cur().and_then(|m| m.summary.as_ref())
    }

    fn bucket_count(&self) -> usize {
        self.cur_hist().map_or(0, |h| h.bucket.len())
    }

    fn quantile_count(&self) -> usize {
        self.cur_summary().map_or(0, |s| s.quantile.len())
    }

    /// Decodes the next family with at least one metric; false at the end.
    fn load_family(&mut self) -> Result<bool, ParseError> {
        loop {
            if self.pos >= self.body.len() {
                return Ok(false);
            }
            let (len, prefix) = read_varint(self.body.get(self.pos..).unwrap_or_default())
                .ok_or_else(|| {
                    ParseError::at_offset(self.pos, "truncated or overlong length prefix")
                })?;
            let start = self.pos + prefix;
            let remaining = self.body.len() - start;
            let len = usize::try_from(len)
                .ok()
                .filter(|l| *l <= remaining)
                .ok_or_else(|| {
                    ParseError::at_offset(
                        self.pos,
                        format!(
                            "truncated message: length prefix says {len} bytes, {remaining} remain"
                        ),
                    )
                })?;
            let msg = self.body.get(start..start + len).unwrap_or_default();
            self.fam_offset = start;
            self.pos = start + len;
            self.fam = pb::MetricFamily::decode(msg).map_err(|e| {
                ParseError::at_offset(start, format!("invalid MetricFamily message: {e}"))
            })?;
            if self.fam.metric.is_empty() {
                continue;
            }
            self.validate_family()?;
            return Ok(true);
        }
    }

    fn validate_family(&mut self) -> Result<(), ParseError> {
        let at = self.fam_offset;
        let name = self.fam.name.as_deref().unwrap_or_default();
        if name.is_empty() {
            return Err(self.err("metric family without a name"));
        }
        let raw = self.fam.r#type.unwrap_or(0);
        self.kind = pb::MetricType::try_from(raw).map_err(|_| {
            ParseError::at_offset(at, format!("unknown metric type {raw} for metric {name:?}"))
        })?;
        let unit = self.fam.unit.as_deref().unwrap_or_default();
        if !unit.is_empty() {
            // The unit must be a `_`-separated suffix of the name (before
            // `_total` for counters), as OpenMetrics requires.
            let base = match self.kind {
                pb::MetricType::Counter => name.strip_suffix("_total").unwrap_or(name),
                _ => name,
            };
            let ok = base
                .strip_suffix(unit)
                .is_some_and(|rest| rest.ends_with('_'));
            if !ok {
                return Err(self.err(format!("unit {unit:?} is not a suffix of metric {name:?}")));
            }
        }
        Ok(())
    }

    fn is_histogram(&self) -> bool {
        matches!(
            self.kind,
            pb::MetricType::Histogram | pb::MetricType::GaugeHistogram
        )
    }

    /// Positions on the first sample of metric `self.metric`.
    fn start_metric(&mut self) -> Result<Entry, ParseError> {
        self.exemplar_pos = 0;
        self.step = match self.kind {
            pb::MetricType::Counter | pb::MetricType::Gauge | pb::MetricType::Untyped => {
                Step::Plain
            }
            pb::MetricType::Summary => Step::Count,
            pb::MetricType::Histogram | pb::MetricType::GaugeHistogram => {
                if self.cur_hist().is_some_and(is_native) {
                    Step::Native
                } else {
                    Step::Count
                }
            }
        };
        self.update()
    }

    /// The step after the current one within the same metric, if any.
    fn next_step(&self) -> Option<Step> {
        match self.step {
            Step::Plain => None,
            Step::Native => (self.classic && self.bucket_count() > 0).then_some(Step::Count),
            Step::Count => Some(Step::Sum),
            Step::Sum if self.kind == pb::MetricType::Summary => {
                (self.quantile_count() > 0).then_some(Step::Item(0))
            }
            Step::Sum => Some(Step::Item(0)),
            Step::Item(i) if self.kind == pb::MetricType::Summary => {
                (i + 1 < self.quantile_count()).then_some(Step::Item(i + 1))
            }
            Step::Item(i) => {
                let bound = self
                    .cur_hist()
                    .and_then(|h| h.bucket.get(i))
                    .map(|b| b.upper_bound.unwrap_or_default());
                match bound {
                    Some(b) if b != f64::INFINITY => Some(Step::Item(i + 1)),
                    _ => None,
                }
            }
        }
    }

    /// Builds name, magic label, identity bytes (and the native histogram)
    /// of the current sample.
    fn update(&mut self) -> Result<Entry, ParseError> {
        self.exemplar_returned = false;
        self.name.clear();
        self.name
            .push_str(self.fam.name.as_deref().unwrap_or_default());
        self.magic = None;
        self.magic_value.clear();
        let hist_kind = self.is_histogram();
        match self.step {
            Step::Plain | Step::Native => {}
            Step::Count => self.name.push_str("_count"),
            Step::Sum => self.name.push_str("_sum"),
            Step::Item(i) if hist_kind => {
                self.name.push_str("_bucket");
                self.magic = Some(BUCKET_LABEL);
                let bound = self
                    .cur_hist()
                    .and_then(|h| h.bucket.get(i))
                    .map_or(f64::INFINITY, |b| b.upper_bound.unwrap_or_default());
                push_om_float(&mut self.magic_value, bound);
            }
            Step::Item(i) => {
                self.magic = Some(QUANTILE_LABEL);
                let q = self
                    .cur_summary()
                    .and_then(|s| s.quantile.get(i))
                    .map_or(0.0, |q| q.quantile.unwrap_or_default());
                push_om_float(&mut self.magic_value, q);
            }
        }
        self.build_series()?;
        if self.step == Step::Native {
            self.build_native()?;
            return Ok(Entry::Histogram);
        }
        Ok(Entry::Series)
    }

    fn build_series(&mut self) -> Result<(), ParseError> {
        let Some(m) = self.fam.metric.get(self.metric) else {
            return Ok(());
        };
        self.order.clear();
        for (i, lp) in m.label.iter().enumerate() {
            let name = lp.name.as_deref().unwrap_or_default();
            if name.is_empty() {
                return Err(ParseError::at_offset(
                    self.fam_offset,
                    format!("empty label name in metric {:?}", self.name),
                ));
            }
            if name != METRIC_NAME {
                self.order.push(i);
            }
        }
        let label = |i: &usize| {
            m.label
                .get(*i)
                .and_then(|l| l.name.as_deref())
                .unwrap_or_default()
        };
        self.order.sort_by(|a, b| label(a).cmp(label(b)));
        self.series.clear();
        self.series.extend_from_slice(self.name.as_bytes());
        let mut magic = self.magic;
        for i in &self.order {
            let Some(lp) = m.label.get(*i) else { continue };
            let name = lp.name.as_deref().unwrap_or_default();
            if let Some(mn) = magic.filter(|mn| *mn < name) {
                push_pair(&mut self.series, mn, &self.magic_value);
                magic = None;
            }
            push_pair(
                &mut self.series,
                name,
                lp.value.as_deref().unwrap_or_default(),
            );
        }
        if let Some(mn) = magic {
            push_pair(&mut self.series, mn, &self.magic_value);
        }
        Ok(())
    }

    fn build_native(&mut self) -> Result<(), ParseError> {
        let gauge = self.kind == pb::MetricType::GaugeHistogram;
        let Some(h) = self
            .fam
            .metric
            .get(self.metric)
            .and_then(|m| m.histogram.as_ref())
        else {
            return Ok(());
        };
        let hint = if gauge {
            CounterResetHint::Gauge
        } else {
            CounterResetHint::Unknown
        };
        let schema = h.schema.unwrap_or_default();
        let at = self.fam_offset;
        let name = &self.name;
        if !(MIN_SCHEMA..=MAX_SCHEMA).contains(&schema) {
            return Err(ParseError::at_offset(
                at,
                format!("native histogram {name:?}: invalid schema {schema}"),
            ));
        }
        self.is_float = h.sample_count_float.unwrap_or_default() > 0.0
            || h.zero_count_float.unwrap_or_default() > 0.0;
        if self.is_float {
            let fh = &mut self.fhist;
            fh.counter_reset_hint = hint;
            fh.schema = schema;
            fh.zero_threshold = h.zero_threshold.unwrap_or_default();
            fh.zero_count = h.zero_count_float.unwrap_or_default();
            fh.count = h.sample_count_float.unwrap_or_default();
            fh.sum = h.sample_sum.unwrap_or_default();
            copy_spans(&mut fh.positive_spans, &h.positive_span);
            copy_spans(&mut fh.negative_spans, &h.negative_span);
            fh.positive_buckets.clear();
            fh.positive_buckets.extend_from_slice(&h.positive_count);
            fh.negative_buckets.clear();
            fh.negative_buckets.extend_from_slice(&h.negative_count);
            fh.custom_values.clear();
            for (spans, counts, side) in [
                (&fh.positive_spans, &fh.positive_buckets, "positive"),
                (&fh.negative_spans, &fh.negative_buckets, "negative"),
            ] {
                check_spans(spans, counts.len(), side).map_err(|m| {
                    ParseError::at_offset(at, format!("native histogram {name:?}: {m}"))
                })?;
                if counts.iter().any(|c| *c < 0.0) {
                    return Err(ParseError::at_offset(
                        at,
                        format!("native histogram {name:?}: negative {side} bucket count"),
                    ));
                }
            }
        } else {
            let ih = &mut self.hist;
            ih.counter_reset_hint = hint;
            ih.schema = schema;
            ih.zero_threshold = h.zero_threshold.unwrap_or_default();
            ih.zero_count = h.zero_count.unwrap_or_default();
            ih.count = h.sample_count.unwrap_or_default();
            ih.sum = h.sample_sum.unwrap_or_default();
            copy_spans(&mut ih.positive_spans, &h.positive_span);
            copy_spans(&mut ih.negative_spans, &h.negative_span);
            ih.positive_buckets.clear();
            ih.positive_buckets.extend_from_slice(&h.positive_delta);
            ih.negative_buckets.clear();
            ih.negative_buckets.extend_from_slice(&h.negative_delta);
            ih.custom_values.clear();
            for (spans, deltas, side) in [
                (&ih.positive_spans, &ih.positive_buckets, "positive"),
                (&ih.negative_spans, &ih.negative_buckets, "negative"),
            ] {
                check_spans(spans, deltas.len(), side).map_err(|m| {
                    ParseError::at_offset(at, format!("native histogram {name:?}: {m}"))
                })?;
                let mut running: i64 = 0;
                for d in deltas {
                    running = running.checked_add(*d).filter(|c| *c >= 0).ok_or_else(|| {
                        ParseError::at_offset(
                            at,
                            format!("native histogram {name:?}: negative or overflowing {side} bucket count"),
                        )
                    })?;
                }
            }
        }
        Ok(())
    }

    /// The float value of the current series sample.
    fn value(&self) -> f64 {
        let Some(m) = self.cur() else { return 0.0 };
        match self.kind {
            pb::MetricType::Counter => m.counter.as_ref().and_then(|c| c.value).unwrap_or_default(),
            pb::MetricType::Gauge => m.gauge.and_then(|g| g.value).unwrap_or_default(),
            pb::MetricType::Untyped => m.untyped.and_then(|u| u.value).unwrap_or_default(),
            pb::MetricType::Summary => {
                let Some(s) = m.summary.as_ref() else {
                    return 0.0;
                };
                match self.step {
                    Step::Count => s.sample_count.unwrap_or_default() as f64,
                    Step::Sum => s.sample_sum.unwrap_or_default(),
                    Step::Item(i) => s.quantile.get(i).and_then(|q| q.value).unwrap_or_default(),
                    Step::Plain | Step::Native => 0.0,
                }
            }
            pb::MetricType::Histogram | pb::MetricType::GaugeHistogram => {
                let Some(h) = m.histogram.as_ref() else {
                    return 0.0;
                };
                let count = float_or_int(h.sample_count_float, h.sample_count);
                match self.step {
                    Step::Count => count,
                    Step::Sum => h.sample_sum.unwrap_or_default(),
                    Step::Item(i) => h.bucket.get(i).map_or(count, |b| {
                        float_or_int(b.cumulative_count_float, b.cumulative_count)
                    }),
                    Step::Plain | Step::Native => 0.0,
                }
            }
        }
    }
}

impl Parser for ProtobufParser<'_> {
    fn next(&mut self) -> Result<Option<Entry>, ParseError> {
        if self.failed {
            return Ok(None);
        }
        let r = self.advance();
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    fn series(&self) -> (&[u8], Option<i64>, f64) {
        (&self.series, self.cur().and_then(timestamp), self.value())
    }

    fn histogram(
        &self,
    ) -> (
        &[u8],
        Option<i64>,
        Option<&Histogram>,
        Option<&FloatHistogram>,
    ) {
        let ts = self.cur().and_then(timestamp);
        if self.is_float {
            (&self.series, ts, None, Some(&self.fhist))
        } else {
            (&self.series, ts, Some(&self.hist), None)
        }
    }

    fn help(&self) -> (&str, &str) {
        (
            self.fam_name(),
            self.fam.help.as_deref().unwrap_or_default(),
        )
    }

    fn metric_type(&self) -> (&str, MetricType) {
        let t = match self.kind {
            pb::MetricType::Counter => MetricType::Counter,
            pb::MetricType::Gauge => MetricType::Gauge,
            pb::MetricType::Summary => MetricType::Summary,
            pb::MetricType::Untyped => MetricType::Unknown,
            pb::MetricType::Histogram => MetricType::Histogram,
            pb::MetricType::GaugeHistogram => MetricType::GaugeHistogram,
        };
        (self.fam_name(), t)
    }

    fn unit(&self) -> (&str, &str) {
        (
            self.fam_name(),
            self.fam.unit.as_deref().unwrap_or_default(),
        )
    }

    fn labels(&self, builder: &mut LabelsBuilder) {
        builder.reset();
        builder.push(METRIC_NAME, &self.name);
        if let Some(m) = self.cur() {
            for lp in &m.label {
                let name = lp.name.as_deref().unwrap_or_default();
                if name != METRIC_NAME {
                    builder.push(name, lp.value.as_deref().unwrap_or_default());
                }
            }
        }
        if let Some(mn) = self.magic {
            builder.push(mn, &self.magic_value);
        }
    }

    fn exemplar(&mut self, exemplar: &mut Exemplar) -> bool {
        let Some(m) = self.fam.metric.get(self.metric) else {
            return false;
        };
        let pos = &mut self.exemplar_pos;
        let Some(e) = next_exemplar(m, self.kind, self.step, self.exemplar_returned, pos) else {
            return false;
        };
        self.exemplar_returned = true;
        self.builder.reset();
        for lp in &e.label {
            self.builder.push(
                lp.name.as_deref().unwrap_or_default(),
                lp.value.as_deref().unwrap_or_default(),
            );
        }
        exemplar.labels = self.builder.build();
        exemplar.value = e.value.unwrap_or_default();
        exemplar.timestamp = e.timestamp.map(pb::Timestamp::to_millis);
        true
    }

    fn created_timestamp(&self) -> Option<i64> {
        let m = self.cur()?;
        let ct = match self.kind {
            pb::MetricType::Counter => m.counter.as_ref()?.created_timestamp,
            pb::MetricType::Summary => m.summary.as_ref()?.created_timestamp,
            pb::MetricType::Histogram | pb::MetricType::GaugeHistogram => {
                m.histogram.as_ref()?.created_timestamp
            }
            pb::MetricType::Gauge | pb::MetricType::Untyped => None,
        };
        ct.map(pb::Timestamp::to_millis)
    }
}

impl ProtobufParser<'_> {
    fn advance(&mut self) -> Result<Option<Entry>, ParseError> {
        loop {
            match self.state {
                State::Family => {
                    if !self.load_family()? {
                        return Ok(None);
                    }
                    self.state = State::Help;
                    // An empty help string is the proto default, not a
                    // declared help text; reporting it would make every
                    // family look documented.
                    if !self.fam.help.as_deref().unwrap_or_default().is_empty() {
                        return Ok(Some(Entry::Help));
                    }
                }
                State::Help => {
                    self.state = State::Unit;
                    if !self.fam.unit.as_deref().unwrap_or_default().is_empty() {
                        return Ok(Some(Entry::Unit));
                    }
                }
                State::Unit => {
                    self.state = State::Type;
                    return Ok(Some(Entry::Type));
                }
                State::Type => {
                    self.state = State::Sample;
                    self.metric = 0;
                    return self.start_metric().map(Some);
                }
                State::Sample => {
                    if let Some(step) = self.next_step() {
                        self.step = step;
                        return self.update().map(Some);
                    }
                    self.metric += 1;
                    if self.metric < self.fam.metric.len() {
                        return self.start_metric().map(Some);
                    }
                    self.state = State::Family;
                }
            }
        }
    }
}

/// The next exemplar of the current sample of `m`, advancing `pos` (the
/// cursor over a native histogram's exemplars).
fn next_exemplar<'m>(
    m: &'m pb::Metric,
    kind: pb::MetricType,
    step: Step,
    returned: bool,
    pos: &mut usize,
) -> Option<&'m pb::Exemplar> {
    if step != Step::Native {
        // Float series carry at most one exemplar.
        if returned {
            return None;
        }
        return match (kind, step) {
            (pb::MetricType::Counter, _) => m.counter.as_ref()?.exemplar.as_ref(),
            (pb::MetricType::Histogram | pb::MetricType::GaugeHistogram, Step::Item(i)) => {
                m.histogram.as_ref()?.bucket.get(i)?.exemplar.as_ref()
            }
            _ => None,
        };
    }
    // Native histograms: the `exemplars` list, or failing that the classic
    // buckets' exemplars; only timestamped ones, because exemplars without a
    // time cannot be placed in the exemplar storage.
    let h = m.histogram.as_ref()?;
    if !h.exemplars.is_empty() {
        while let Some(e) = h.exemplars.get(*pos) {
            *pos += 1;
            if e.timestamp.is_some() {
                return Some(e);
            }
        }
        return None;
    }
    while let Some(b) = h.bucket.get(*pos) {
        *pos += 1;
        if let Some(e) = b.exemplar.as_ref().filter(|e| e.timestamp.is_some()) {
            return Some(e);
        }
    }
    None
}

/// The sample timestamp of a metric. Like Prometheus, a timestamp of 0 is
/// taken as "none": producers built on proto3 copies of the schema cannot
/// tell an unset field from 0.
fn timestamp(m: &pb::Metric) -> Option<i64> {
    m.timestamp_ms.filter(|t| *t != 0)
}

/// Whether a histogram message carries a native histogram: any span, or a
/// zero bucket. Producers mark an empty native histogram with a zero-length span.
fn is_native(h: &pb::Histogram) -> bool {
    !h.positive_span.is_empty()
        || !h.negative_span.is_empty()
        || h.zero_threshold.unwrap_or_default() > 0.0
        || h.zero_count.unwrap_or_default() > 0
        || h.zero_count_float.unwrap_or_default() > 0.0
}

/// The float variant of a count when it is positive, else the integer one.
fn float_or_int(f: Option<f64>, i: Option<u64>) -> f64 {
    match f {
        Some(f) if f > 0.0 => f,
        _ => i.unwrap_or_default() as f64,
    }
}

/// Copies spans, dropping zero-length ones (folding their offset into the
/// next span) so the result is what Prometheus' `Compact(0)` leaves of them.
fn copy_spans(out: &mut Vec<Span>, spans: &[pb::BucketSpan]) {
    out.clear();
    let mut carry: i32 = 0;
    for s in spans {
        let offset = s.offset.unwrap_or_default().saturating_add(carry);
        let length = s.length.unwrap_or_default();
        if length == 0 {
            carry = offset;
            continue;
        }
        carry = 0;
        out.push(Span { offset, length });
    }
}

fn check_spans(spans: &[Span], buckets: usize, side: &str) -> Result<(), String> {
    let total: u64 = spans.iter().map(|s| u64::from(s.length)).sum();
    if total != buckets as u64 {
        return Err(format!(
            "{side} spans cover {total} buckets but {buckets} bucket counts are given"
        ));
    }
    Ok(())
}

fn push_pair(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(SEP);
    out.extend_from_slice(name.as_bytes());
    out.push(SEP);
    out.extend_from_slice(value.as_bytes());
}

/// Reads an unsigned LEB128 varint; returns the value and its length in bytes.
fn read_varint(buf: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, b) in buf.iter().take(10).enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(read_varint(&[0x05]), Some((5, 1)));
        assert_eq!(read_varint(&[0xac, 0x02, 0xff]), Some((300, 2)));
        assert_eq!(read_varint(&[0x80]), None);
        assert_eq!(read_varint(&[0xff; 11]), None);
    }

    #[test]
    fn zero_length_spans_fold_into_the_next() {
        let span = |o, l| pb::BucketSpan {
            offset: Some(o),
            length: Some(l),
        };
        let mut out = Vec::new();
        copy_spans(&mut out, &[span(2, 0), span(1, 2), span(3, 0)]);
        assert_eq!(
            out,
            [Span {
                offset: 3,
                length: 2
            }]
        );
    }
}
