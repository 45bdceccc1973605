//! Running one entry of a unit-test file's `tests`: load the input series
//! lazily, evaluate every rule group at each evaluation step from the
//! start to the last `eval_time`, compare firing alerts at the asked
//! times, then run the `promql_expr_test` queries. Every message is worded
//! and indented as promtool's.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::sync::Arc;

use vigil_model::{Labels, LabelsBuilder};
use vigil_promql::engine::{Engine, EngineOptions};
use vigil_promql::promqltest::histogram_desc::test_expression;
use vigil_promql::promqltest::series::parse_metric_prefix;
use vigil_promql::promqltest::{SequenceValue, parse_series_desc};
use vigil_promql::value::Value;
use vigil_rules::{AlertState, LoadError, ManagerOptions, Rule, RuleManager, RulesConfig};

use super::jsondiff;
use super::storage::TestStorage;
use super::unit_file::{AlertTestCase, PromqlTestCase, TestGroup};
use crate::go_format::{float_e, float_g, go_duration, model_duration};

/// Settings shared by every test group of a file.
#[derive(Debug)]
pub(crate) struct FileContext<'a> {
    /// Rule files, resolved and globbed.
    pub(crate) rule_files: &'a [String],
    /// The file's evaluation interval, ms.
    pub(crate) eval_interval: i64,
    /// `group_eval_order`: a group's rank (unnamed groups rank 0).
    pub(crate) order: &'a HashMap<String, usize>,
    /// `fuzzy_compare`: floats one ulp apart are equal.
    pub(crate) fuzzy: bool,
    /// `--ignore-unknown-fields` for rule files.
    pub(crate) ignore_unknown_fields: bool,
    /// `--diff`: alert mismatches as a coloured JSON difference.
    pub(crate) diff: bool,
    /// `--debug`: timing lines and a dump of all series on stderr.
    pub(crate) debug: bool,
}

/// Most samples one query may load, as promtool's test engine.
const MAX_SAMPLES: usize = 10_000;

/// Runs `tg` (whose `interval` is already defaulted) under the name
/// `testname`; the failures, empty when it passed. With `--debug`, the
/// start, the time taken and a dump of the data go to `debug_out`.
pub(crate) fn run_group(
    tg: &TestGroup,
    testname: &str,
    ctx: &FileContext<'_>,
    debug_out: &mut dyn Write,
) -> Vec<String> {
    if !ctx.debug {
        return run_group_inner(tg, ctx, debug_out);
    }
    let start = std::time::Instant::now();
    // Debug output is best effort, as upstream's unchecked Fprintf.
    let _ = writeln!(debug_out, "DEBUG: Starting test {testname}");
    let errs = run_group_inner(tg, ctx, debug_out);
    let _ = writeln!(
        debug_out,
        "DEBUG: Test {testname} finished, took {}",
        go_duration_ns(start.elapsed().as_nanos())
    );
    errs
}

fn run_group_inner(
    tg: &TestGroup,
    ctx: &FileContext<'_>,
    debug_out: &mut dyn Write,
) -> Vec<String> {
    let mut series = Vec::with_capacity(tg.input_series.len());
    for s in &tg.input_series {
        let line = format!("{} {}", s.series.trim(), s.values.trim());
        match parse_series_desc(&line) {
            Ok(d) => series.push((d.labels, d.values)),
            Err(e) => return vec![format!("1:{}: parse error: {}", e.col + 1, e.msg)],
        }
    }
    let mint = tg.start_timestamp;
    let storage = Arc::new(TestStorage::new(series, mint, tg.interval));
    let engine = Arc::new(Engine::new(EngineOptions {
        lookback_delta: 5 * 60 * 1000,
        max_samples: MAX_SAMPLES,
        enable_experimental_functions: false,
        // promtool leaves `promql-delayed-name-removal` off unless asked.
        enable_delayed_name_removal: false,
        default_subquery_step: ctx.eval_interval,
        timeout: Some(std::time::Duration::from_secs(100)),
        ..EngineOptions::default()
    }));
    let mut opts = ManagerOptions::new(engine.clone(), storage.clone(), storage.clone());
    // Alerts count as restored from the start, so `ALERTS` is written at
    // once (promtool marks every alerting rule restored).
    opts.restore_for_state = false;
    opts.parse.ignore_unknown_fields = ctx.ignore_unknown_fields;
    let manager = RuleManager::new(opts);
    let cfg = RulesConfig {
        interval: tg.interval,
        files: ctx.rule_files.to_vec(),
        external_labels: labels_from_map(&tg.external_labels),
        external_url: tg.external_url.clone(),
        default_query_offset: 0,
    };
    match manager.update(&cfg) {
        Ok(()) => {}
        Err(LoadError::Rules(errs)) => return errs.iter().map(ToString::to_string).collect(),
        Err(e) => return vec![e.to_string()],
    }
    let mut groups = manager.rule_groups();
    groups.sort_by_key(|g| ctx.order.get(g.name()).copied().unwrap_or(0));

    let max_eval = tg
        .alert_rule_test
        .iter()
        .map(|a| a.eval_time)
        .chain(tg.promql_expr_test.iter().map(|p| p.eval_time))
        .max()
        .unwrap_or(0)
        .max(0);
    let maxt = mint.saturating_add(max_eval);

    let mut alert_tests: BTreeMap<i64, Vec<&AlertTestCase>> = BTreeMap::new();
    for a in &tg.alert_rule_test {
        if a.alertname.is_empty() {
            let in_group = if tg.name.is_empty() {
                String::new()
            } else {
                format!(" (in TestGroup {})", tg.name)
            };
            return vec![format!(
                "an item under alert_rule_test misses required attribute alertname at eval_time {}{in_group}",
                model_duration(a.eval_time)
            )];
        }
        alert_tests.entry(a.eval_time).or_default().push(a);
    }
    let alert_times: Vec<i64> = alert_tests.keys().copied().collect();
    let mut curr = 0;

    let mut errs = Vec::new();
    let step = ctx.eval_interval.max(1);
    let mut ts = mint;
    while ts <= maxt {
        let mut eval_errs = Vec::new();
        match storage.load_till(ts) {
            Err(e) => errs.push(e),
            Ok(()) => {
                for g in &groups {
                    g.eval(ts);
                    for r in g.rules() {
                        if let Some(e) = r.status().last_error {
                            eval_errs.push(format!(
                                "    rule: {}, time: {}, err: {e}",
                                r.name(),
                                go_duration(ts)
                            ));
                        }
                    }
                }
            }
        }
        if !eval_errs.is_empty() {
            errs.extend(eval_errs);
            return errs;
        }
        // Alerts asked for at `t` are compared with the evaluation at the
        // last step not after it: `ts <= t < ts + interval`.
        while let Some(&t) = alert_times.get(curr) {
            if !(ts - mint <= t && t < ts + step - mint) {
                break;
            }
            let cases = alert_tests.get(&t).map(Vec::as_slice).unwrap_or_default();
            check_alerts(tg, cases, &groups, ctx.diff, &mut errs);
            curr += 1;
        }
        ts = match ts.checked_add(step) {
            Some(t) => t,
            None => break,
        };
    }

    for case in &tg.promql_expr_test {
        if let Some(e) = check_expr(case, mint, &engine, &storage, ctx.fuzzy) {
            errs.push(e);
        }
    }
    if ctx.debug {
        dump_all(max_eval, mint, &engine, &storage, debug_out);
    }
    errs
}

/// `--debug`'s dump of every series (input and recorded) up to the last
/// evaluation time, rounded up to the next whole second.
fn dump_all(max_eval: i64, mint: i64, engine: &Engine, storage: &TestStorage, out: &mut dyn Write) {
    let ts = (max_eval + 1000) / 1000 * 1000;
    let range = go_duration(ts);
    let expr = format!("{{__name__=~\".+\"}}[{range}]");
    let _ = match engine.instant_query(storage, &expr, mint.saturating_add(ts)) {
        Err(e) => writeln!(
            out,
            "DEBUG: Failed query exec, expr: {}, err: {e}",
            vigil_model::quote::quote(&expr)
        ),
        Ok(r) => match r.value {
            Value::Matrix(m) => writeln!(
                out,
                "DEBUG: Dump of all data (input_series and rules) at {range}:\n{}",
                matrix_string(&m)
            ),
            _ => writeln!(out, "DEBUG: Got unexpected type"),
        },
    };
}

/// Go's `promql.Matrix.String`: each series as `labels =>` and one
/// `value @[timestamp]` line per sample, floats before histograms.
fn matrix_string(m: &[vigil_promql::value::Series]) -> String {
    m.iter()
        .map(|s| {
            let mut lines = vec![format!("{} =>", s.metric)];
            lines.extend(
                s.floats
                    .iter()
                    .map(|p| format!("{} @[{}]", float_g(p.f), p.t)),
            );
            lines.extend(
                s.histograms
                    .iter()
                    .map(|p| format!("{} @[{}]", test_expression(&p.h), p.t)),
            );
            lines.join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Go's `time.Duration.String` of a span in nanoseconds (`1.5ms`, `2m3s`).
fn go_duration_ns(ns: u128) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let frac = |v: u128, unit: u128, suffix: &str| {
        let whole = v / unit;
        let rest = v % unit;
        if rest == 0 {
            return format!("{whole}{suffix}");
        }
        let width = unit.to_string().len() - 1;
        let digits = format!("{rest:0width$}");
        format!("{whole}.{}{suffix}", digits.trim_end_matches('0'))
    };
    match ns {
        n if n < 1_000 => format!("{n}ns"),
        n if n < 1_000_000 => frac(n, 1_000, "µs"),
        n if n < 1_000_000_000 => frac(n, 1_000_000, "ms"),
        n => {
            let secs = n / 1_000_000_000;
            let sub = n % 1_000_000_000;
            let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
            let sec = frac(s * 1_000_000_000 + sub, 1_000_000_000, "s");
            match (h, m) {
                (0, 0) => sec,
                (0, m) => format!("{m}m{sec}"),
                (h, m) => format!("{h}h{m}m{sec}"),
            }
        }
    }
}

fn labels_from_map(m: &BTreeMap<String, String>) -> Labels {
    let mut b = LabelsBuilder::new();
    for (k, v) in m {
        b.set(k, v);
    }
    b.build()
}

/// Go's `labels.Compare`: label by label, name then value.
fn cmp_labels(a: &Labels, b: &Labels) -> Ordering {
    a.iter()
        .map(|l| (l.name, l.value))
        .cmp(b.iter().map(|l| (l.name, l.value)))
}

/// An alert as the test sees it.
#[derive(Debug, Clone, PartialEq)]
struct LabelsAndAnnotations {
    labels: Labels,
    annotations: Labels,
}

/// promtool's rendering of a list of alerts.
fn alerts_string(v: &[LabelsAndAnnotations]) -> String {
    if v.is_empty() {
        return "[]".into();
    }
    let mut s = String::from("[");
    for (i, a) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let one = format!("\nLabels:{}\nAnnotations:{}", a.labels, a.annotations);
        s.push_str(&format!("\n{i}:{}", indent_lines(&one, "  ")));
    }
    s.push_str("\n]");
    s
}

/// Prefixes every line but the first with `indent`.
fn indent_lines(s: &str, indent: &str) -> String {
    s.split('\n')
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"))
}

fn check_alerts(
    tg: &TestGroup,
    cases: &[&AlertTestCase],
    groups: &[Arc<vigil_rules::Group>],
    diff: bool,
    errs: &mut Vec<String>,
) {
    let wanted: BTreeSet<&str> = cases.iter().map(|c| c.alertname.as_str()).collect();
    // The same alert name may be used in several groups: gather them all.
    let mut got: HashMap<&str, Vec<LabelsAndAnnotations>> = HashMap::new();
    for g in groups {
        for r in g.rules() {
            let Rule::Alerting(ar) = r else { continue };
            let Some(name) = wanted.get(ar.name()) else {
                continue;
            };
            let entry = got.entry(name).or_default();
            for a in ar.active_alerts() {
                if a.state == AlertState::Firing {
                    entry.push(LabelsAndAnnotations {
                        labels: a.labels,
                        annotations: a.annotations,
                    });
                }
            }
        }
    }
    let by_both = |a: &LabelsAndAnnotations, b: &LabelsAndAnnotations| {
        cmp_labels(&a.labels, &b.labels).then_with(|| cmp_labels(&a.annotations, &b.annotations))
    };
    for case in cases {
        let mut got_alerts = got
            .get(case.alertname.as_str())
            .cloned()
            .unwrap_or_default();
        let mut exp: Vec<LabelsAndAnnotations> = case
            .exp_alerts
            .iter()
            .map(|a| {
                let mut l = a.exp_labels.clone();
                // Users give the rule's labels; the name is added by evaluation.
                l.insert("alertname".into(), case.alertname.clone());
                LabelsAndAnnotations {
                    labels: labels_from_map(&l),
                    annotations: labels_from_map(&a.exp_annotations),
                }
            })
            .collect();
        got_alerts.sort_by(by_both);
        exp.sort_by(by_both);
        if exp != got_alerts {
            let name = if tg.name.is_empty() {
                String::new()
            } else {
                format!("    name: {},\n", tg.name)
            };
            let pad = "            ";
            if diff {
                let (d, text) = jsondiff::compare(&alerts_json(&exp), &alerts_json(&got_alerts));
                if d != jsondiff::Difference::Full {
                    errs.push(format!(
                        "{name}    alertname: {}, time: {}, \n        diff: {}",
                        case.alertname,
                        model_duration(case.eval_time),
                        indent_lines(&text, pad)
                    ));
                }
                continue;
            }
            errs.push(format!(
                "{name}    alertname: {}, time: {}, \n        exp:{}, \n        got:{}",
                case.alertname,
                model_duration(case.eval_time),
                indent_lines(&alerts_string(&exp), pad),
                indent_lines(&alerts_string(&got_alerts), pad)
            ));
        }
    }
}

/// Alerts as promtool marshals them for `--diff` (`{"Labels": {…},
/// "Annotations": {…}}` each); an empty list counts as one empty alert.
fn alerts_json(v: &[LabelsAndAnnotations]) -> serde_json::Value {
    let obj = |l: &Labels| {
        serde_json::Value::Object(
            l.iter()
                .map(|x| (x.name.to_string(), serde_json::Value::from(x.value)))
                .collect(),
        )
    };
    let empty = [LabelsAndAnnotations {
        labels: Labels::default(),
        annotations: Labels::default(),
    }];
    let v = if v.is_empty() { &empty[..] } else { v };
    serde_json::Value::Array(
        v.iter()
            .map(|a| serde_json::json!({"Labels": obj(&a.labels), "Annotations": obj(&a.annotations)}))
            .collect(),
    )
}

/// A sample to compare: labels, float value, histogram in test notation.
#[derive(Debug, Clone)]
struct ParsedSample {
    labels: Labels,
    value: f64,
    histogram: String,
}

impl ParsedSample {
    fn render(&self) -> String {
        if self.histogram.is_empty() {
            format!("{} {}", self.labels, float_e(self.value))
        } else {
            format!("{} {}", self.labels, self.histogram)
        }
    }
}

fn samples_string(v: &[ParsedSample]) -> String {
    if v.is_empty() {
        return "nil".into();
    }
    v.iter()
        .map(ParsedSample::render)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether two floats are equal, or (fuzzy) one ulp apart.
fn floats_equal(x: f64, y: f64, fuzzy: bool) -> bool {
    x == y
        || (fuzzy && (next_toward(x, f64::NEG_INFINITY) == y || next_toward(x, f64::INFINITY) == y))
}

/// Go's `math.Nextafter(x, toward)` for infinite `toward`.
fn next_toward(x: f64, toward: f64) -> f64 {
    if x.is_nan() || x == toward {
        return x;
    }
    if x == 0.0 {
        let tiny = f64::from_bits(1);
        return if toward > 0.0 { tiny } else { -tiny };
    }
    let bits = x.to_bits();
    // Moving away from zero grows the magnitude's bit pattern.
    if (toward > x) == (x > 0.0) {
        f64::from_bits(bits + 1)
    } else {
        f64::from_bits(bits - 1)
    }
}

/// Parses an expected sample's labels (a metric selector without
/// matchers but `=`), as promtool's `ParseMetric`.
fn parse_expected_labels(s: &str) -> Result<Labels, String> {
    if s.trim().is_empty() {
        return Ok(Labels::default());
    }
    match parse_metric_prefix(s) {
        Ok((l, rest)) if rest.trim().is_empty() => Ok(l),
        Ok((_, rest)) => Err(format!(
            "1:{}: parse error: unexpected {}",
            s.len() - rest.trim_start().len() + 1,
            rest.trim()
        )),
        Err(e) => Err(format!("1:{}: parse error: {}", e.col + 1, e.msg)),
    }
}

fn parse_expected_histogram(h: &str) -> Result<String, String> {
    let d = parse_series_desc(&format!("{{}} {h}"))
        .map_err(|e| format!("1:{}: parse error: {}", e.col + 1, e.msg))?;
    match d.values.as_slice() {
        [SequenceValue::Histogram(h)] => Ok(test_expression(&h.h)),
        [SequenceValue::Float(f)] => Err(format!("expected histogram, got {}", float_e(*f))),
        [_] => Err("expected histogram, got no value".into()),
        v => Err(format!("expected 1 value, got {}", v.len())),
    }
}

fn check_expr(
    case: &PromqlTestCase,
    mint: i64,
    engine: &Engine,
    storage: &TestStorage,
    fuzzy: bool,
) -> Option<String> {
    let q = vigil_model::quote::quote(&case.expr);
    let when = model_duration(case.eval_time);
    let got = match engine.instant_query(storage, &case.expr, mint.saturating_add(case.eval_time)) {
        Err(e) => return Some(format!("    expr: {q}, time: {when}, err: {e}")),
        Ok(r) => match r.value {
            Value::Vector(v) => v
                .into_iter()
                .map(|s| ParsedSample {
                    labels: s.metric,
                    value: s.f,
                    histogram: s.h.as_deref().map(test_expression).unwrap_or_default(),
                })
                .collect::<Vec<_>>(),
            Value::Scalar { v, .. } => vec![ParsedSample {
                labels: Labels::default(),
                value: v,
                histogram: String::new(),
            }],
            _ => {
                return Some(format!(
                    "    expr: {q}, time: {when}, err: rule result is not a vector or scalar"
                ));
            }
        },
    };
    let mut exp = Vec::with_capacity(case.exp_samples.len());
    for s in &case.exp_samples {
        let parsed = parse_expected_labels(&s.labels).and_then(|labels| {
            let histogram = if s.histogram.is_empty() {
                String::new()
            } else {
                parse_expected_histogram(&s.histogram)?
            };
            Ok(ParsedSample {
                labels,
                value: s.value,
                histogram,
            })
        });
        match parsed {
            Ok(p) => exp.push(p),
            Err(e) => {
                return Some(format!(
                    "    expr: {q}, time: {when}, err: labels {}: {e}",
                    vigil_model::quote::quote(&s.labels)
                ));
            }
        }
    }
    let mut got = got;
    exp.sort_by(|a, b| cmp_labels(&a.labels, &b.labels));
    got.sort_by(|a, b| cmp_labels(&a.labels, &b.labels));
    let same = exp.len() == got.len()
        && exp.iter().zip(&got).all(|(e, g)| {
            e.labels == g.labels
                && floats_equal(e.value, g.value, fuzzy)
                && e.histogram == g.histogram
        });
    if same {
        return None;
    }
    Some(format!(
        "    expr: {q}, time: {when},\n        exp: {}\n        got: {}",
        samples_string(&exp),
        samples_string(&got)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_compare_allows_one_ulp() {
        assert!(floats_equal(3.0, 3.0000000000000004, true));
        assert!(floats_equal(3.0, 2.9999999999999996, true));
        assert!(!floats_equal(3.0, 3.0000000000000013, true));
        assert!(!floats_equal(3.0, 3.0000000000000004, false));
        assert!(!floats_equal(f64::NAN, f64::NAN, true));
    }

    #[test]
    fn durations_print_as_go() {
        assert_eq!(go_duration_ns(0), "0s");
        assert_eq!(go_duration_ns(999), "999ns");
        assert_eq!(go_duration_ns(1_500), "1.5µs");
        assert_eq!(go_duration_ns(2_345_678), "2.345678ms");
        assert_eq!(go_duration_ns(61_000_000_000), "1m1s");
        assert_eq!(go_duration_ns(3_723_500_000_000), "1h2m3.5s");
    }

    #[test]
    fn empty_alert_lists_diff_as_one_empty_alert() {
        assert_eq!(
            alerts_json(&[]).to_string(),
            r#"[{"Annotations":{},"Labels":{}}]"#
        );
    }

    #[test]
    fn alerts_render_as_promtool() {
        let a = LabelsAndAnnotations {
            labels: Labels::from_pairs(&[("alertname", "Test")]),
            annotations: Labels::default(),
        };
        assert_eq!(
            alerts_string(&[a]),
            "[\n0:\n  Labels:{alertname=\"Test\"}\n  Annotations:{}\n]"
        );
        assert_eq!(alerts_string(&[]), "[]");
    }
}
