//! Turning one scrape body into appends: parse, look the series up in the
//! scrape cache (or build its labels: target labels, `honor_labels`,
//! `metric_relabel_configs`, limits), append, track staleness; and the
//! synthetic series (`up`, `scrape_duration_seconds`, …) every scrape ends
//! with, whether it succeeded or not.

use vigil_config::ScrapeConfig;
use vigil_config::relabel::{RelabelConfig, process_cow};
use vigil_exposition::negotiate::{Format, ParserKind, ScrapeProtocol, new_parser, scrape_format};
use vigil_exposition::{Entry, Parser, ProtobufParser};
use vigil_model::names::{is_valid_label_name, is_valid_metric_name};
use vigil_model::{Exemplar, Labels, LabelsBuilder, ValidationScheme, is_stale_nan, stale_nan};
use vigil_tsdb::head::{AppendError, Appender, SeriesRef};

use crate::cache::{Lookup, ScrapeCache};
use crate::error::ScrapeError;

/// The per-job options that shape appends.
#[derive(Debug, Clone)]
pub(crate) struct AppendOptions {
    honor_labels: bool,
    honor_timestamps: bool,
    track_timestamps_staleness: bool,
    metric_relabel: Vec<RelabelConfig>,
    sample_limit: u64,
    label_limit: u64,
    label_name_length_limit: u64,
    label_value_length_limit: u64,
    native_histograms: bool,
    classic_histograms: bool,
    fallback: Option<Format>,
    scheme: ValidationScheme,
    pub(crate) extra_metrics: bool,
}

impl AppendOptions {
    pub(crate) fn new(cfg: &ScrapeConfig) -> AppendOptions {
        let native = cfg.scrape_native_histograms != Some(false);
        AppendOptions {
            honor_labels: cfg.honor_labels,
            honor_timestamps: cfg.honor_timestamps,
            track_timestamps_staleness: cfg.track_timestamps_staleness,
            metric_relabel: cfg.metric_relabel_configs.clone(),
            sample_limit: cfg.sample_limit,
            label_limit: cfg.label_limit,
            label_name_length_limit: cfg.label_name_length_limit,
            label_value_length_limit: cfg.label_value_length_limit,
            native_histograms: native,
            // Without native ingestion a histogram is only usable as classic series.
            classic_histograms: cfg.always_scrape_classic_histograms == Some(true) || !native,
            fallback: ScrapeProtocol::parse(&cfg.fallback_scrape_protocol)
                .map(ScrapeProtocol::format),
            scheme: if cfg.metric_name_validation_scheme == "legacy" {
                ValidationScheme::Legacy
            } else {
                ValidationScheme::Utf8
            },
            extra_metrics: cfg.extra_scrape_metrics == Some(true),
        }
    }
}

/// Counts of one body's appends.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AppendStats {
    /// Samples in the body (`scrape_samples_scraped`).
    pub(crate) total: u64,
    /// Samples after relabeling (`scrape_samples_post_metric_relabeling`).
    pub(crate) added: u64,
    /// Series new to the cache (`scrape_series_added`).
    pub(crate) series_added: u64,
    pub(crate) out_of_order: u64,
    pub(crate) duplicate: u64,
    pub(crate) out_of_bounds: u64,
    pub(crate) exemplar_out_of_order: u64,
    pub(crate) sample_limit_hit: bool,
    pub(crate) label_limit_hit: bool,
}

/// Go's `%.50s`: at most 50 characters.
fn trunc50(s: &str) -> &str {
    match s.char_indices().nth(50) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Adds the target's labels to a scraped series (Prometheus'
/// `mutateSampleLabels`): with `honor_labels` the series' own win;
/// otherwise the target's win and clashing exposed values move to
/// `exported_<name>` (more `exported_` prefixes while that is taken).
pub(crate) fn mutate_labels(lset: &Labels, target: &Labels, honor: bool) -> Labels {
    let mut b = lset.to_builder();
    if honor {
        for l in target.iter() {
            if !lset.has(l.name) {
                b.set(l.name, l.value);
            }
        }
        return b.build();
    }
    let mut conflicts: Vec<(&str, &str)> = Vec::new();
    for l in target.iter() {
        if let Some(v) = lset.get(l.name) {
            conflicts.push((l.name, v));
        }
        b.set(l.name, l.value);
    }
    conflicts.sort_by_key(|(n, _)| n.len());
    for (name, value) in conflicts {
        let mut new = name.to_owned();
        loop {
            new.insert_str(0, "exported_");
            if b.get(&new).is_none() {
                b.set(&new, value);
                break;
            }
        }
    }
    b.build()
}

fn check_labels(l: &Labels, o: &AppendOptions) -> Result<(), ScrapeError> {
    let Some(name) = l.metric_name() else {
        return Err(ScrapeError::NameMissing);
    };
    if !is_valid_metric_name(name, o.scheme)
        || l.iter().any(|p| !is_valid_label_name(p.name, o.scheme))
    {
        return Err(ScrapeError::InvalidLabels(l.to_string()));
    }
    let met = trunc50(name);
    if o.label_limit > 0 {
        let n = l.len();
        if n as u64 > o.label_limit {
            return Err(ScrapeError::LabelLimit(format!(
                "label_limit exceeded (metric: {met}, number of labels: {n}, limit: {})",
                o.label_limit
            )));
        }
    }
    for p in l.iter() {
        let n = p.name.len() as u64;
        if o.label_name_length_limit > 0 && n > o.label_name_length_limit {
            return Err(ScrapeError::LabelLimit(format!(
                "label_name_length_limit exceeded (metric: {met}, label name: {}, length: {n}, limit: {})",
                trunc50(p.name),
                o.label_name_length_limit
            )));
        }
        let v = p.value.len() as u64;
        if o.label_value_length_limit > 0 && v > o.label_value_length_limit {
            return Err(ScrapeError::LabelLimit(format!(
                "label_value_length_limit exceeded (metric: {met}, label name: {}, value: {:?}, length: {v}, limit: {})",
                trunc50(p.name),
                trunc50(p.value),
                o.label_value_length_limit
            )));
        }
    }
    Ok(())
}

/// A value the scrape appends: a float or a native histogram.
enum Value<'p> {
    Float(f64),
    Hist(
        Option<&'p vigil_model::Histogram>,
        Option<&'p vigil_model::FloatHistogram>,
    ),
}

fn append_value(
    app: &mut Appender<'_>,
    labels: &Labels,
    t: i64,
    v: &Value<'_>,
) -> Result<SeriesRef, AppendError> {
    match v {
        Value::Float(f) => app.append(labels, t, *f),
        Value::Hist(Some(h), _) => app.append_histogram(labels, t, h),
        Value::Hist(None, Some(fh)) => app.append_float_histogram(labels, t, fh),
        Value::Hist(None, None) => Err(AppendError::InvalidHistogram("empty".into())),
    }
}

/// As [`append_value`] for a series known by reference.
fn append_value_ref(
    app: &mut Appender<'_>,
    r: SeriesRef,
    t: i64,
    v: &Value<'_>,
) -> Result<SeriesRef, AppendError> {
    match v {
        Value::Float(f) => app.append_ref(r, t, *f),
        Value::Hist(Some(h), _) => app.append_histogram_ref(r, t, h),
        Value::Hist(None, Some(fh)) => app.append_float_histogram_ref(r, t, fh),
        Value::Hist(None, None) => Err(AppendError::InvalidHistogram("empty".into())),
    }
}

/// The labels a scraped series ends up with: the exposed ones, the
/// target's, then metric relabeling. `None` if relabeling drops it.
fn final_labels(
    p: &(dyn Parser + '_),
    builder: &mut LabelsBuilder,
    target: &Labels,
    o: &AppendOptions,
) -> Option<Labels> {
    p.labels(builder);
    let exposed = builder.build();
    let mutated = mutate_labels(&exposed, target, o.honor_labels);
    let labels = process_cow(&mutated, &o.metric_relabel)?.into_owned();
    (!labels.is_empty()).then_some(labels)
}

/// Parses `body` and appends its samples at `ts` (unless they carry their
/// own timestamps and `honor_timestamps` is on). On `Err` the caller must
/// roll the appender back.
pub(crate) fn append_body(
    app: &mut Appender<'_>,
    cache: &mut ScrapeCache,
    target: &Labels,
    o: &AppendOptions,
    body: &[u8],
    content_type: Option<&str>,
    ts: i64,
) -> (AppendStats, Result<(), ScrapeError>) {
    let mut st = AppendStats::default();
    let format = match scrape_format(content_type, o.fallback) {
        Ok(f) => f,
        Err(e) => return (st, Err(ScrapeError::ContentType(e.to_string()))),
    };
    let mut p: Box<dyn Parser + '_> = match format.parser_kind() {
        ParserKind::Protobuf => {
            Box::new(ProtobufParser::new(body).with_classic_histograms(o.classic_histograms))
        }
        _ => new_parser(format, body),
    };
    let mut builder = LabelsBuilder::new();
    let mut exemplar = Exemplar::default();
    let mut appended: u64 = 0;
    let res = loop {
        let entry = match p.next() {
            Ok(Some(e)) => e,
            Ok(None) => break Ok(()),
            Err(e) => break Err(ScrapeError::Parse(e.to_string())),
        };
        let (raw, parsed_t, value) = match entry {
            Entry::Type => {
                let (n, k) = p.metric_type();
                cache.set_meta(n, |m| m.kind = k);
                continue;
            }
            Entry::Help => {
                let (n, h) = p.help();
                cache.set_meta(n, |m| h.clone_into(&mut m.help));
                continue;
            }
            Entry::Unit => {
                let (n, u) = p.unit();
                cache.set_meta(n, |m| u.clone_into(&mut m.unit));
                continue;
            }
            Entry::Comment => continue,
            Entry::Series => {
                let (raw, t, v) = p.series();
                (raw, t, Value::Float(v))
            }
            Entry::Histogram => {
                if !o.native_histograms {
                    continue;
                }
                let (raw, t, h, fh) = p.histogram();
                (raw, t, Value::Hist(h, fh))
            }
        };
        st.total += 1;
        let parsed_t = if o.honor_timestamps { parsed_t } else { None };
        let t = parsed_t.unwrap_or(ts);
        let tracked = parsed_t.is_none() || o.track_timestamps_staleness;
        // A known series is appended by reference; its labels are only
        // read (not copied) if the head forgot the reference.
        let (cached_ref, new_labels) = match cache.get(raw) {
            Lookup::Dropped => continue,
            Lookup::Hit(e) => (Some(e.r), None),
            Lookup::Miss => {
                let Some(final_labels) = final_labels(p.as_ref(), &mut builder, target, o) else {
                    cache.add_dropped(raw);
                    continue;
                };
                if let Err(e) = check_labels(&final_labels, o) {
                    st.label_limit_hit = matches!(e, ScrapeError::LabelLimit(_));
                    break Err(e);
                }
                (None, Some(final_labels))
            }
        };
        let is_stale_of_known =
            cached_ref.is_some() && matches!(value, Value::Float(v) if is_stale_nan(v));
        if o.sample_limit > 0 && !is_stale_of_known {
            appended += 1;
            if appended > o.sample_limit {
                // Keep parsing so the scraped total is right.
                st.sample_limit_hit = true;
                continue;
            }
        }
        if st.sample_limit_hit {
            continue;
        }
        let res = match new_labels {
            Some(labels) => {
                let res = append_value(app, &labels, t, &value);
                if let Ok(r) = res {
                    st.series_added += 1;
                    let e = cache.add(raw, r);
                    if tracked {
                        e.track();
                    }
                }
                res
            }
            None => {
                let r = cached_ref.unwrap_or_default();
                let res = match append_value_ref(app, r, t, &value) {
                    // The head collected the series since it was cached:
                    // its labels are built again (relabeling keeps them,
                    // as it did the first time).
                    Err(AppendError::UnknownSeriesRef(_)) => {
                        match final_labels(p.as_ref(), &mut builder, target, o) {
                            Some(labels) => append_value(app, &labels, t, &value),
                            None => continue,
                        }
                    }
                    other => other,
                };
                match cache.get(raw) {
                    Lookup::Hit(e) => {
                        if let Ok(r) = res {
                            e.r = r;
                            if tracked {
                                e.track();
                            }
                        }
                        res
                    }
                    // Looked up a moment ago; cannot be gone.
                    _ => continue,
                }
            }
        };
        match res {
            Ok(r) => {
                st.added += 1;
                while p.exemplar(&mut exemplar) {
                    if exemplar.timestamp.is_none() {
                        exemplar.timestamp = Some(t);
                    }
                    if let Err(AppendError::OutOfOrderExemplar { .. }) =
                        app.append_exemplar(r, &exemplar)
                    {
                        st.exemplar_out_of_order += 1;
                    }
                }
            }
            Err(AppendError::OutOfOrder { .. }) => st.out_of_order += 1,
            Err(AppendError::DuplicateSample { .. }) => st.duplicate += 1,
            Err(AppendError::OutOfBounds { .. } | AppendError::TooOldSample { .. }) => {
                st.out_of_bounds += 1
            }
            // A bad histogram is the target's problem, not the scrape's.
            Err(AppendError::InvalidHistogram(_)) => {}
            Err(e) => break Err(ScrapeError::Storage(e.to_string())),
        }
    };
    let res = match res {
        Ok(()) if st.sample_limit_hit => Err(ScrapeError::SampleLimit),
        other => other,
    };
    if res.is_ok() {
        for r in cache.end_success() {
            // Out of order or duplicate means the series came back; fine.
            // A series the head has dropped needs no marker.
            let _ = app.append_ref(r, ts, stale_nan());
        }
    }
    (st, res)
}

/// Marks every series of the last successful scrape stale (after a failed
/// scrape, or when the target goes away).
pub(crate) fn append_all_stale(app: &mut Appender<'_>, cache: &mut ScrapeCache, ts: i64) {
    for r in cache.end_failure() {
        let _ = app.append_ref(r, ts, stale_nan());
    }
}

/// The synthetic series' names, in the order Prometheus appends them.
const REPORT: [&str; 5] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
];
/// The extra ones with `extra_scrape_metrics`.
const REPORT_EXTRA: [&str; 3] = [
    "scrape_timeout_seconds",
    "scrape_sample_limit",
    "scrape_body_size_bytes",
];

/// What one scrape reports about itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Report {
    pub(crate) up: bool,
    pub(crate) duration: f64,
    pub(crate) stats: AppendStats,
    pub(crate) timeout: f64,
    pub(crate) sample_limit: u64,
    pub(crate) body_bytes: u64,
}

fn report_labels(target: &Labels, name: &str) -> Labels {
    let mut b = target.to_builder();
    b.set(vigil_model::METRIC_NAME, name);
    b.build()
}

/// Appends the synthetic series at `ts`.
pub(crate) fn append_report(
    app: &mut Appender<'_>,
    target: &Labels,
    ts: i64,
    r: &Report,
    extra: bool,
) -> Result<(), ScrapeError> {
    let values = [
        if r.up { 1.0 } else { 0.0 },
        r.duration,
        r.stats.total as f64,
        r.stats.added as f64,
        r.stats.series_added as f64,
    ];
    let extra_values = [r.timeout, r.sample_limit as f64, r.body_bytes as f64];
    let mut all: Vec<(&str, f64)> = REPORT.iter().copied().zip(values).collect();
    if extra {
        all.extend(REPORT_EXTRA.iter().copied().zip(extra_values));
    }
    for (name, v) in all {
        match app.append(&report_labels(target, name), ts, v) {
            Ok(_)
            | Err(
                AppendError::OutOfOrder { .. }
                | AppendError::DuplicateSample { .. }
                | AppendError::OutOfBounds { .. }
                | AppendError::TooOldSample { .. },
            ) => {}
            Err(e) => return Err(ScrapeError::Storage(e.to_string())),
        }
    }
    Ok(())
}

/// Stale markers for the synthetic series (the target went away).
pub(crate) fn append_report_stale(app: &mut Appender<'_>, target: &Labels, ts: i64, extra: bool) {
    let names = REPORT.iter().chain(REPORT_EXTRA.iter().filter(|_| extra));
    for name in names {
        let _ = app.append(&report_labels(target, name), ts, stale_nan());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_labels_on_conflict() {
        let exposed = Labels::from_pairs(&[
            ("__name__", "m"),
            ("job", "exposed"),
            ("exported_job", "taken"),
        ]);
        let target = Labels::from_pairs(&[("job", "j"), ("instance", "i")]);
        let m = mutate_labels(&exposed, &target, false);
        assert_eq!(m.get("job"), Some("j"));
        assert_eq!(m.get("exported_exported_job"), Some("exposed"));
        assert_eq!(m.get("instance"), Some("i"));
        let h = mutate_labels(&exposed, &target, true);
        assert_eq!(h.get("job"), Some("exposed"));
        assert_eq!(h.get("instance"), Some("i"));
    }

    #[test]
    fn truncation() {
        let long = "x".repeat(60);
        assert_eq!(trunc50(&long).len(), 50);
        assert_eq!(trunc50("ab"), "ab");
    }
}
