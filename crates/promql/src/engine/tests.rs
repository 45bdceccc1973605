//! End-to-end tests of the evaluator over a small in-memory storage.

use vigil_model::{Labels, Matcher};

use super::{Engine, EngineOptions};
use crate::storage::{Queryable, SelectHints, StorageError};
use crate::value::{FPoint, Series, Value};

struct Mem(Vec<Series>);

impl Queryable for Mem {
    fn select(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        _hints: &SelectHints,
    ) -> Result<Vec<Series>, StorageError> {
        let mut out: Vec<Series> = self
            .0
            .iter()
            .filter(|s| {
                matchers
                    .iter()
                    .all(|m| m.matches(s.metric.get(m.name()).unwrap_or("")))
            })
            .map(|s| Series {
                metric: s.metric.clone(),
                floats: s
                    .floats
                    .iter()
                    .filter(|p| p.t >= mint && p.t <= maxt)
                    .copied()
                    .collect(),
                ..Default::default()
            })
            .collect();
        out.sort_by(|a, b| a.metric.cmp(&b.metric));
        Ok(out)
    }
}

/// `name{pairs}` with a sample every `step_s` seconds from 0.
fn series(pairs: &[(&str, &str)], step_s: i64, vals: &[f64]) -> Series {
    Series {
        metric: Labels::from_pairs(pairs),
        floats: vals
            .iter()
            .enumerate()
            .map(|(i, v)| FPoint {
                t: i as i64 * step_s * 1000,
                f: *v,
            })
            .collect(),
        ..Default::default()
    }
}

fn engine() -> Engine {
    Engine::new(EngineOptions {
        enable_experimental_functions: true,
        ..Default::default()
    })
}

fn store() -> Mem {
    Mem(vec![
        series(
            &[
                ("__name__", "http_requests_total"),
                ("job", "api"),
                ("i", "0"),
            ],
            300,
            &[0.0, 10.0, 20.0, 30.0, 40.0],
        ),
        series(
            &[
                ("__name__", "http_requests_total"),
                ("job", "api"),
                ("i", "1"),
            ],
            300,
            &[0.0, 20.0, 40.0, 60.0, 80.0],
        ),
        series(
            &[
                ("__name__", "http_requests_total"),
                ("job", "db"),
                ("i", "0"),
            ],
            300,
            &[0.0, 30.0, 60.0, 90.0, 120.0],
        ),
    ])
}

fn instant(q: &str, t_s: i64) -> Vec<(String, f64)> {
    let r = engine().instant_query(&store(), q, t_s * 1000).unwrap();
    match r.value {
        Value::Vector(v) => {
            let mut out: Vec<_> = v.into_iter().map(|s| (s.metric.to_string(), s.f)).collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
            out
        }
        Value::Scalar { v, .. } => vec![(String::new(), v)],
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn selector_lookback_and_arithmetic() {
    let v = instant("http_requests_total{job=\"db\"}", 600);
    assert_eq!(
        v,
        vec![(
            "{__name__=\"http_requests_total\", i=\"0\", job=\"db\"}".into(),
            60.0
        )]
    );
    // Exactly lookback after the last sample: excluded.
    assert!(instant("http_requests_total", 1500).is_empty());
    assert_eq!(instant("http_requests_total", 1499).len(), 3);
    let v = instant("sum by (job) (http_requests_total)", 600);
    assert_eq!(
        v,
        vec![
            ("{job=\"api\"}".into(), 60.0),
            ("{job=\"db\"}".into(), 60.0)
        ]
    );
    assert_eq!(instant("1 + 2 * 3", 0), vec![(String::new(), 7.0)]);
}

#[test]
fn rate_extrapolates() {
    let v = instant("rate(http_requests_total{job=\"api\",i=\"0\"}[10m])", 1200);
    assert_eq!(v.len(), 1);
    assert!((v[0].1 - 10.0 / 300.0).abs() < 1e-12, "{v:?}");
}

#[test]
fn vector_matching_errors() {
    let e = engine()
        .instant_query(
            &store(),
            "http_requests_total + on(job) http_requests_total",
            600,
        )
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("found duplicate series for the match group {job=\"api\"}"),
        "{e}"
    );
    let v = instant(
        "http_requests_total / ignoring(i) group_left sum by (job) (http_requests_total)",
        600,
    );
    assert_eq!(v.len(), 3);
}

#[test]
fn range_query_and_subquery() {
    let r = engine()
        .range_query(&store(), "sum(http_requests_total)", 0, 1_200_000, 300_000)
        .unwrap();
    let Value::Matrix(m) = r.value else { panic!() };
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].floats.len(), 5);
    let v = instant("max_over_time(sum(http_requests_total)[20m:5m])", 1200);
    assert_eq!(v, vec![("{}".to_string(), 240.0)]);
}

#[test]
fn topk_and_quantile() {
    let v = instant("topk(1, http_requests_total)", 600);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].1, 60.0);
    let v = instant("quantile(0.5, http_requests_total)", 600);
    assert_eq!(v, vec![("{}".to_string(), 40.0)]);
}

#[test]
fn hostile_queries_do_not_panic() {
    let queries = [
        "http_requests_total @ 9223372036",
        "http_requests_total @ -9223372036 offset -100y",
        "http_requests_total offset 292y",
        "rate(http_requests_total[292y])",
        "max_over_time(http_requests_total[1000y:1ms])",
        "sum_over_time(vector(1)[100y:1ms])",
        "topk(9.3e18, http_requests_total)",
        "topk(-9.3e18, http_requests_total)",
        "quantile(NaN, http_requests_total)",
        "histogram_quantile(0.5, http_requests_total)",
        "label_replace(http_requests_total, \"a\", \"$1$2$99\", \"job\", \"(.*)\")",
        "count_values(\"job\", http_requests_total)",
        "round(http_requests_total, 0)",
        "day_of_week(vector(1e300))",
        "holt_winters(http_requests_total[10m], 0.5, 0.5)",
        "double_exponential_smoothing(http_requests_total[10m], 2, 0.5)",
        "predict_linear(http_requests_total[10m], 1e308)",
        "sort_by_label(http_requests_total, \"é1\", \"i\")",
        "limit_ratio(-0.5, http_requests_total)",
        "absent_over_time(nothing[1m])",
        "info(http_requests_total, {job=~\".+\"})",
        "http_requests_total[5m] smoothed",
        "rate(http_requests_total[5m] anchored)",
    ];
    let e = engine();
    for q in queries {
        let _ = e.instant_query(&store(), q, 600_000);
        let _ = e.range_query(&store(), q, 0, 1_200_000, 60_000);
        let _ = e.range_query(&store(), q, i64::MIN / 4, i64::MAX / 4, 1);
    }
}

#[test]
fn too_many_samples() {
    let e = Engine::new(EngineOptions {
        max_samples: 100,
        ..Default::default()
    });
    let err = e
        .range_query(&store(), "http_requests_total", 0, 1_200_000, 1000)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "query processing would load too many samples into memory in query execution"
    );
}

fn range(q: &str) -> Vec<(String, Vec<f64>)> {
    let r = engine()
        .range_query(&store(), q, 0, 1_200_000, 300_000)
        .unwrap();
    let Value::Matrix(m) = r.value else {
        panic!("not a matrix")
    };
    m.into_iter()
        .map(|s| (s.metric.to_string(), s.floats.iter().map(|p| p.f).collect()))
        .collect()
}

#[test]
fn series_major_and_per_step_operators_agree() {
    // `sort` yields per-step vectors, selectors and `sum` series-major
    // values: both operator implementations must give the same answer.
    let a = range("http_requests_total / on(job) group_left sum by (job) (http_requests_total)");
    let b =
        range("http_requests_total / on(job) group_left sort(sum by (job) (http_requests_total))");
    assert_eq!(a.len(), 3);
    // Debug strings: 0/0 gives NaN on both sides.
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let c = range("http_requests_total > 20 and on(job, i) http_requests_total");
    assert!(c.iter().all(|(_, v)| v.iter().all(|x| *x > 20.0)));
}

#[test]
fn step_invariant_expressions_repeat_their_value() {
    let v = range("sum(http_requests_total @ 600)");
    assert_eq!(v, vec![("{}".to_string(), vec![120.0; 5])]);
    let v = range("timestamp(http_requests_total{job=\"db\"} @ 650)");
    assert_eq!(
        v,
        vec![("{i=\"0\", job=\"db\"}".to_string(), vec![600.0; 5])]
    );
}

#[test]
fn label_rewrites_detect_collisions() {
    let e = engine()
        .instant_query(
            &store(),
            "label_replace(http_requests_total, \"i\", \"x\", \"i\", \".*\")",
            600_000,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "vector cannot contain metrics with the same labelset"
    );
    let v = instant(
        "label_join(http_requests_total{job=\"db\"}, \"both\", \"-\", \"job\", \"i\")",
        600,
    );
    assert_eq!(
        v[0].0,
        "{__name__=\"http_requests_total\", both=\"db-0\", i=\"0\", job=\"db\"}"
    );
}

#[test]
fn anchored_increase_uses_the_sample_before_the_window() {
    // Samples every 5m: 0 30 60 90 120 for {job="db"}.
    let v = instant(
        "increase(http_requests_total{job=\"db\"}[5m] anchored)",
        600,
    );
    assert_eq!(v, vec![("{i=\"0\", job=\"db\"}".into(), 30.0)]);
    let e = engine()
        .instant_query(
            &store(),
            "max_over_time(http_requests_total[5m] anchored)",
            600_000,
        )
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("anchored modifier can only be used with")
    );
}

/// Records the `func` hint of every select.
struct HintSpy(std::sync::Mutex<Vec<Option<String>>>);

impl Queryable for HintSpy {
    fn select(
        &self,
        _mint: i64,
        _maxt: i64,
        _matchers: &[Matcher],
        hints: &SelectHints,
    ) -> Result<Vec<Series>, StorageError> {
        if let Ok(mut v) = self.0.lock() {
            v.push(hints.func.clone());
        }
        Ok(Vec::new())
    }
}

#[test]
fn select_hints_name_the_enclosing_function() {
    let spy = HintSpy(std::sync::Mutex::new(Vec::new()));
    let _ = engine().instant_query(&spy, "sum(rate(a[5m])) + count(b) + c", 0);
    let got = spy.0.lock().map(|v| v.clone()).unwrap_or_default();
    assert_eq!(
        got,
        vec![Some("rate".to_string()), Some("count".to_string()), None]
    );
}

/// A storage that also knows samples' start timestamps.
struct WithStarts(Series, Vec<i64>);

impl Queryable for WithStarts {
    fn select(
        &self,
        mint: i64,
        maxt: i64,
        m: &[Matcher],
        h: &SelectHints,
    ) -> Result<Vec<Series>, StorageError> {
        Ok(self
            .select_with_start_times(mint, maxt, m, h)?
            .into_iter()
            .map(|x| x.0)
            .collect())
    }

    fn select_with_start_times(
        &self,
        mint: i64,
        maxt: i64,
        _m: &[Matcher],
        _h: &SelectHints,
    ) -> Result<Vec<(Series, crate::storage::StartTimes)>, StorageError> {
        let keep: Vec<usize> = (0..self.0.floats.len())
            .filter(|&i| (mint..=maxt).contains(&self.0.floats[i].t))
            .collect();
        let s = Series {
            metric: self.0.metric.clone(),
            floats: keep.iter().map(|&i| self.0.floats[i]).collect(),
            ..Default::default()
        };
        let st = crate::storage::StartTimes {
            floats: keep.iter().map(|&i| self.1[i]).collect(),
            histograms: Vec::new(),
        };
        Ok(vec![(s, st)])
    }
}

#[test]
fn start_timestamps_reveal_counter_resets() {
    // Upstream start_timestamps.test, series `st_resets`: samples 0, 60, …
    // every minute from 2m, with start times that reset the counter.
    let offsets_s: [f64; 15] = [
        -30.0, -90.0, -150.0, -60.0, -120.0, -180.0, -59.999, -119.999, -179.999, -1.0, -61.0,
        -121.0, -0.001, -60.001, -120.001,
    ];
    let floats: Vec<FPoint> = (0..15)
        .map(|i| FPoint {
            t: (i + 2) * 60_000,
            f: i as f64 * 60.0,
        })
        .collect();
    let starts: Vec<i64> = floats
        .iter()
        .zip(offsets_s)
        .map(|(p, o)| p.t + (o * 1000.0).round() as i64)
        .collect();
    let store = WithStarts(
        Series {
            metric: Labels::from_pairs(&[("__name__", "cumulative")]),
            floats,
            ..Default::default()
        },
        starts,
    );
    let r = engine()
        .range_query(&store, "increase(cumulative[5m])", 420_000, 900_000, 60_000)
        .unwrap();
    let Value::Matrix(m) = r.value else { panic!() };
    let got: Vec<f64> = m[0]
        .floats
        .iter()
        .map(|p| (p.f * 1000.0).round() / 1000.0)
        .collect();
    assert_eq!(
        got,
        vec![
            420.0, 780.0, 675.0, 675.0, 1275.0, 1080.0, 900.0, 1725.0, 1440.0
        ]
    );
}

#[test]
fn timeout_cancellation_and_stats() {
    use super::{QueryControl, QueryError};
    let e = Engine::new(EngineOptions {
        timeout: Some(std::time::Duration::ZERO),
        ..Default::default()
    });
    std::thread::sleep(std::time::Duration::from_millis(2));
    let err = e
        .range_query(
            &store(),
            "sum(rate(http_requests_total[5m]))",
            0,
            1_200_000,
            1000,
        )
        .unwrap_err();
    assert!(matches!(err, QueryError::Timeout), "{err}");
    assert_eq!(err.to_string(), "query timed out in expression evaluation");

    let ctl = QueryControl::new();
    ctl.cancel();
    let err = engine()
        .range_query_with(&store(), "http_requests_total", 0, 1_200_000, 1000, &ctl)
        .unwrap_err();
    assert!(matches!(err, QueryError::Canceled), "{err}");

    let r = engine()
        .range_query(&store(), "http_requests_total", 0, 1_200_000, 300_000)
        .unwrap();
    assert!(
        r.stats.total_samples > 0 && r.stats.peak_samples > 0,
        "{:?}",
        r.stats
    );
}

/// Ties in `topk` are broken as Prometheus 3.x does (the new element
/// overwrites the heap's smallest and sifts down), not as 2.42 did (pop,
/// then push): with inputs a=1, b=2, c=2, d=3 in label order, 3.x keeps
/// b and d where 2.42 keeps c and d. This is why Debian's 2.42 and Vigil
/// pick different series among equal rates in `bench/promql_queries.sh`.
#[test]
fn topk_ties_follow_prometheus_3() {
    let m = |x: &str, v: f64| series(&[("__name__", "m"), ("x", x)], 60, &[v]);
    let store = Mem(vec![m("a", 1.0), m("b", 2.0), m("c", 2.0), m("d", 3.0)]);
    let r = engine().instant_query(&store, "topk(2, m)", 0).unwrap();
    let Value::Vector(v) = r.value else {
        panic!("not a vector");
    };
    let got: Vec<String> = v.iter().map(|s| s.metric.to_string()).collect();
    assert_eq!(
        got,
        [r#"{__name__="m", x="d"}"#, r#"{__name__="m", x="b"}"#]
    );
    // The same over a range, streamed from a range function.
    let r = engine()
        .range_query(&store, "topk(2, last_over_time(m[1m]))", 0, 0, 1000)
        .unwrap();
    let Value::Matrix(m) = r.value else {
        panic!("not a matrix");
    };
    let got: Vec<String> = m.iter().map(|s| s.metric.to_string()).collect();
    assert_eq!(
        got,
        [r#"{__name__="m", x="b"}"#, r#"{__name__="m", x="d"}"#]
    );
}

/// [`Mem`] that also reports start timestamps, all unknown (0): the
/// range functions then take their per-window path, which must agree with
/// the batch path float series without start times take.
struct ZeroStarts(Mem);

impl Queryable for ZeroStarts {
    fn select(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        hints: &SelectHints,
    ) -> Result<Vec<Series>, StorageError> {
        self.0.select(mint, maxt, matchers, hints)
    }

    fn select_with_start_times(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        hints: &SelectHints,
    ) -> Result<Vec<(Series, crate::storage::StartTimes)>, StorageError> {
        Ok(self
            .select(mint, maxt, matchers, hints)?
            .into_iter()
            .map(|s| {
                let st = crate::storage::StartTimes {
                    floats: vec![0; s.floats.len()],
                    histograms: Vec::new(),
                };
                (s, st)
            })
            .collect())
    }
}

/// The batch forms of `rate`, `increase`, `delta`, `avg_over_time` and
/// `sum_over_time` give bit-for-bit what the per-window code gives, over
/// counters with resets, gaps, NaN and irregular scrapes.
#[test]
fn batch_range_functions_equal_per_window() {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut all = Vec::new();
    for i in 0..12 {
        let mut s = series(&[("__name__", "c_total"), ("i", &i.to_string())], 1, &[]);
        let (mut t, mut v) = (0i64, 0.0f64);
        while t < 3_600_000 {
            t += 10_000 + (rnd() % 9_000) as i64;
            if rnd() % 50 == 0 {
                t += 400_000; // a gap longer than the windows
            }
            v = match rnd() % 40 {
                0 => 0.0,
                1 if i == 3 => f64::NAN,
                _ => v + (rnd() % 1000) as f64 / 7.0,
            };
            s.floats.push(FPoint { t, f: v });
        }
        all.push(s);
    }
    let batched = Mem(all.clone());
    let per_window = ZeroStarts(Mem(all));
    let engine = engine();
    for q in [
        "rate(c_total[5m])",
        "increase(c_total[2m])",
        "delta(c_total[3m])",
        "rate(c_total[1m] offset 30s)",
        "avg_over_time(c_total[7m])",
        "sum_over_time(c_total[4m])",
        "sum by (i) (rate(c_total[5m]))",
    ] {
        let a = engine
            .range_query(&batched, q, 300_000, 3_600_000, 15_000)
            .unwrap();
        let b = engine
            .range_query(&per_window, q, 300_000, 3_600_000, 15_000)
            .unwrap();
        assert_eq!(format!("{:?}", a.value), format!("{:?}", b.value), "{q}");
        assert_eq!(a.infos, b.infos, "{q}");
    }
}
