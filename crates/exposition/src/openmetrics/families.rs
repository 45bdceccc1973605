//! The cross-line rules of OpenMetrics 1.0 (specification section "Text
//! format" / "Metric types"; the behaviour matches the reference parser the
//! OpenMetrics conformance suite was written against): families are not
//! interleaved and their names do not clash, metadata comes once and before
//! the samples, sample names fit the declared type, per-type value and label
//! rules, label-set groups of a family are contiguous with non-decreasing
//! timestamps, and histogram bucket rules.
//!
//! State is kept per family and per group; nothing here allocates per
//! sample once the family's group set and name buffers have grown.

use std::collections::HashSet;

use vigil_model::MetricType;

use crate::family::allowed_suffixes;
use crate::lex::{self, LabelSpan, Span};

/// What the family rules need to know about one sample line.
pub(super) struct SampleFacts<'s> {
    pub(super) buf: &'s [u8],
    /// The decoded metric name.
    pub(super) name: &'s str,
    pub(super) labels: &'s [LabelSpan],
    pub(super) value: f64,
    /// Timestamp in seconds, as written.
    pub(super) timestamp: Option<f64>,
    pub(super) has_exemplar: bool,
}

/// Running checks of the current histogram group (one label set at one timestamp).
#[derive(Debug, Default)]
struct HistogramGroup {
    active: bool,
    key: u64,
    timestamp: Option<f64>,
    last_le: Option<f64>,
    last_value: f64,
    count: Option<f64>,
    has_negative_bucket: bool,
    has_sum: bool,
    has_gsum: bool,
    has_negative_gsum: bool,
}

impl HistogramGroup {
    fn finish(&mut self) -> Result<(), String> {
        if !std::mem::take(&mut self.active) {
            return Ok(());
        }
        if self.last_le != Some(f64::INFINITY) {
            return Err("histogram is missing its +Inf bucket".into());
        }
        if self.count.is_some_and(|c| c != self.last_value) {
            return Err("histogram count does not match its +Inf bucket".into());
        }
        if self.has_sum && self.count.is_none() {
            return Err("histogram has _sum but no _count".into());
        }
        if self.has_gsum && self.count.is_none() {
            return Err("gauge histogram has _gsum but no _gcount".into());
        }
        if !(self.has_sum || self.has_gsum) && self.count.is_some() {
            return Err("histogram has a count but no sum".into());
        }
        if self.has_negative_bucket && self.has_sum {
            return Err("histogram with negative buckets must not have _sum".into());
        }
        if !self.has_negative_bucket && self.has_negative_gsum {
            return Err("gauge histogram has a negative _gsum but no negative buckets".into());
        }
        Ok(())
    }
}

/// Family-level validation state; see the module docs.
#[derive(Debug, Default)]
pub(super) struct Families {
    /// Every metric name claimed by a family so far.
    used: HashSet<String>,
    open: bool,
    name: String,
    kind: Option<MetricType>,
    has_help: bool,
    unit: Option<String>,
    has_samples: bool,
    group: Option<(u64, Option<f64>)>,
    seen_groups: HashSet<u64>,
    histogram: HistogramGroup,
    scratch: String,
}

impl Families {
    /// Ends the current family, running the checks that need all of it.
    pub(super) fn finish(&mut self) -> Result<(), String> {
        self.histogram.finish()
    }

    fn claim(&mut self, name: &str) -> Result<(), String> {
        if !self.used.insert(name.to_string()) {
            return Err(format!(
                "metric name {name:?} clashes with an earlier family (families must not be interleaved or repeated)"
            ));
        }
        Ok(())
    }

    fn start(&mut self, name: &str) -> Result<(), String> {
        self.finish()?;
        self.open = true;
        self.name.clear();
        self.name.push_str(name);
        self.kind = None;
        self.has_help = false;
        self.unit = None;
        self.has_samples = false;
        self.group = None;
        self.seen_groups.clear();
        self.claim(name)
    }

    /// A `# HELP`, `# TYPE` or `# UNIT` line for family `name`.
    pub(super) fn metadata(
        &mut self,
        name: &str,
        kind: Option<MetricType>,
        unit: Option<&str>,
    ) -> Result<(), String> {
        if self.open && self.name == name {
            if self.has_samples {
                return Err(format!("metadata for {name:?} after its samples"));
            }
        } else {
            self.start(name)?;
        }
        match (kind, unit) {
            (Some(kind), _) => {
                if self.kind.is_some() {
                    return Err(format!("second TYPE line for {name:?}"));
                }
                self.kind = Some(kind);
                for suffix in allowed_suffixes(kind) {
                    let full = format!("{name}{suffix}");
                    self.claim(&full)?;
                }
            }
            (None, Some(unit)) => {
                if self.unit.is_some() {
                    return Err(format!("second UNIT line for {name:?}"));
                }
                self.unit = Some(unit.to_string());
            }
            (None, None) => {
                if std::mem::replace(&mut self.has_help, true) {
                    return Err(format!("second HELP line for {name:?}"));
                }
            }
        }
        if matches!(self.kind, Some(MetricType::Info | MetricType::StateSet))
            && self.unit.as_deref().is_some_and(|u| !u.is_empty())
        {
            return Err(format!(
                "{name:?}: info and stateset metrics must not have a unit"
            ));
        }
        Ok(())
    }

    /// Whether a sample called `name` belongs to the current family.
    fn allows(&self, name: &str) -> bool {
        if !self.open {
            return false;
        }
        let Some(rest) = name.strip_prefix(self.name.as_str()) else {
            return false;
        };
        match self.kind {
            None => rest.is_empty(),
            Some(kind) => {
                (rest.is_empty()
                    && matches!(
                        kind,
                        MetricType::Gauge
                            | MetricType::StateSet
                            | MetricType::Unknown
                            | MetricType::Summary
                    ))
                    || allowed_suffixes(kind).contains(&rest)
            }
        }
    }

    /// Decoded value of label `wanted`, if present.
    fn label<'b>(
        buf: &'b [u8],
        labels: &[LabelSpan],
        wanted: &str,
        out: &'b mut String,
    ) -> Option<&'b str> {
        let span = labels
            .iter()
            .find(|l| label_name_is(buf, l.name, wanted))?
            .value;
        Some(lex::decoded(buf, span, out))
    }

    /// One sample line.
    pub(super) fn sample(&mut self, s: &SampleFacts<'_>) -> Result<(), String> {
        if !self.allows(s.name) {
            self.start(s.name)?;
            self.kind = Some(MetricType::Unknown);
        }
        self.has_samples = true;
        let kind = self.kind.unwrap_or(MetricType::Unknown);
        let suffix = s.name.get(self.name.len()..).unwrap_or_default();
        let histogram = matches!(kind, MetricType::Histogram | MetricType::GaugeHistogram);
        let integral = |v: f64| v.is_finite() && v.fract() == 0.0;

        let mut le = None;
        if kind == MetricType::StateSet
            && !s
                .labels
                .iter()
                .any(|l| label_name_is(s.buf, l.name, &self.name))
        {
            return Err(format!(
                "stateset sample needs a label named {:?}",
                self.name
            ));
        }
        if histogram && suffix == "_bucket" {
            let text = Self::label(s.buf, s.labels, "le", &mut self.scratch);
            let parsed = text.and_then(|t| {
                lex::parse_float(t.as_bytes())
                    .filter(|v| !v.is_nan())
                    .map(|v| (t, v))
            });
            match parsed {
                // +Inf is the one threshold whose spelling is fixed.
                Some((t, v)) if v != f64::INFINITY || t == "+Inf" => le = Some(v),
                _ => {
                    return Err(
                        "histogram bucket needs a numeric le label (+Inf written as \"+Inf\")"
                            .into(),
                    );
                }
            }
            if !integral(s.value) {
                return Err("bucket value must be a non-negative integer".into());
            }
        }
        if histogram && matches!(suffix, "_count" | "_gcount") && !integral(s.value) {
            return Err("count value must be an integer".into());
        }
        if kind == MetricType::Summary && suffix.is_empty() {
            let q = Self::label(s.buf, s.labels, "quantile", &mut self.scratch)
                .and_then(|t| lex::parse_float(t.as_bytes()));
            if !q.is_some_and(|q| (0.0..=1.0).contains(&q)) {
                return Err(
                    "summary quantile sample needs a quantile label between 0 and 1".into(),
                );
            }
            if s.value < 0.0 {
                return Err("quantile values must not be negative".into());
            }
        }
        if kind == MetricType::Summary && suffix == "_count" && !integral(s.value) {
            return Err("count value must be an integer".into());
        }

        let key = self.group_key(s, kind, suffix);
        if let Some((cur, cur_ts)) = self.group {
            if key != cur && self.seen_groups.contains(&key) {
                return Err("samples of one label set must be contiguous within a family".into());
            }
            if key == cur {
                if cur_ts.is_some() != s.timestamp.is_some() {
                    return Err("samples of one label set must all have timestamps or none".into());
                }
                if let (Some(a), Some(b)) = (cur_ts, s.timestamp) {
                    if a > b && kind != MetricType::Info {
                        return Err("timestamps must not go backwards within a label set".into());
                    }
                }
            }
        }
        self.group = Some((key, s.timestamp));
        self.seen_groups.insert(key);

        match kind {
            MetricType::StateSet if s.value != 0.0 && s.value != 1.0 => {
                return Err("stateset values must be 0 or 1".into());
            }
            MetricType::Info if s.value != 1.0 => return Err("info values must be 1".into()),
            _ => {}
        }
        let counter_like = matches!(
            suffix,
            "_total" | "_sum" | "_count" | "_bucket" | "_gcount" | "_gsum"
        );
        if counter_like && s.value.is_nan() {
            return Err(format!("{suffix} samples must not be NaN"));
        }
        if counter_like && suffix != "_gsum" && s.value < 0.0 {
            return Err(format!("{suffix} samples must not be negative"));
        }
        let exemplar_ok = (histogram && suffix == "_bucket")
            || (kind == MetricType::Counter && suffix == "_total");
        if s.has_exemplar && !exemplar_ok {
            return Err(
                "exemplars are only allowed on counter _total and histogram _bucket samples".into(),
            );
        }
        if histogram && !suffix.is_empty() {
            self.histogram_sample(key, s, suffix, le)?;
        }
        Ok(())
    }

    fn histogram_sample(
        &mut self,
        key: u64,
        s: &SampleFacts<'_>,
        suffix: &str,
        le: Option<f64>,
    ) -> Result<(), String> {
        let h = &mut self.histogram;
        if !h.active || h.key != key || h.timestamp != s.timestamp {
            h.finish()?;
            *h = HistogramGroup {
                active: true,
                key,
                timestamp: s.timestamp,
                ..HistogramGroup::default()
            };
        }
        match suffix {
            "_bucket" => {
                let le = le.unwrap_or(f64::NAN);
                if le < 0.0 {
                    h.has_negative_bucket = true;
                }
                if h.last_le.is_some_and(|prev| le <= prev) {
                    return Err("histogram buckets must be in increasing le order".into());
                }
                if s.value < h.last_value {
                    return Err("histogram bucket values must not decrease".into());
                }
                h.last_le = Some(le);
                h.last_value = s.value;
            }
            "_count" | "_gcount" => h.count = Some(s.value),
            "_sum" => h.has_sum = true,
            "_gsum" => {
                h.has_gsum = true;
                if s.value < 0.0 {
                    h.has_negative_gsum = true;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Order-independent hash of the sample's label set without the label
    /// that varies inside one metric point (`le`, `quantile`, the stateset
    /// label); info metrics form a single group.
    fn group_key(&mut self, s: &SampleFacts<'_>, kind: MetricType, suffix: &str) -> u64 {
        let skip: Option<&str> = match kind {
            MetricType::Info => return 0,
            MetricType::Summary if suffix.is_empty() => Some("quantile"),
            MetricType::StateSet => Some(self.name.as_str()),
            MetricType::Histogram | MetricType::GaugeHistogram if suffix == "_bucket" => Some("le"),
            _ => None,
        };
        let mut key = 0u64;
        for l in s.labels {
            if skip.is_some_and(|n| label_name_is(s.buf, l.name, n)) {
                continue;
            }
            let name = hash_bytes(l.name.bytes(s.buf), l.name.escaped, &mut self.scratch);
            let value = hash_bytes(l.value.bytes(s.buf), l.value.escaped, &mut self.scratch);
            key = key.wrapping_add(mix(name ^ value.rotate_left(29)));
        }
        key
    }
}

/// Whether label name `span` decodes to `wanted`.
fn label_name_is(buf: &[u8], span: Span, wanted: &str) -> bool {
    if span.escaped {
        let mut s = String::new();
        lex::decoded(buf, span, &mut s) == wanted
    } else {
        span.bytes(buf) == wanted.as_bytes()
    }
}

fn hash_bytes(raw: &[u8], escaped: bool, scratch: &mut String) -> u64 {
    let bytes = if escaped {
        scratch.clear();
        lex::unescape_into(std::str::from_utf8(raw).unwrap_or_default(), true, scratch);
        scratch.as_bytes()
    } else {
        raw
    };
    // FNV-1a: tiny and good enough to tell label sets of one family apart.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// SplitMix64 finaliser, so that summing per-label hashes stays well spread.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
