use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use super::*;
use crate::alerting::{AlertState, AlertingRuleSpec};
use crate::recording::RecordingRule;
use crate::testutil::MemStore;

const MIN: i64 = 60_000;

fn ctx(store: &Arc<MemStore>, notify: Option<NotifyFn>) -> Arc<GroupContext> {
    Arc::new(GroupContext {
        querier: store.querier(),
        appendable: store.clone(),
        notify,
        resend_delay: MIN,
        outage_tolerance: 60 * MIN,
        for_grace_period: 10 * MIN,
        default_query_offset: AtomicI64::new(0),
        metrics: Metrics::default(),
        concurrency: None,
    })
}

fn group(ctx: Arc<GroupContext>, rules: Vec<Rule>) -> Group {
    Group::new(
        GroupSpec {
            name: "g".into(),
            file: "f.yml".into(),
            interval: MIN,
            query_offset: None,
            limit: 0,
            rules,
            external_url: "http://prom".into(),
        },
        ctx,
    )
}

fn record(name: &str, expr: &str) -> Rule {
    Rule::Recording(RecordingRule::new(
        name,
        expr,
        Labels::from_pairs(&[("src", "rule")]),
    ))
}

#[test]
fn alignment_spreads_groups_and_keeps_phase() {
    let interval_ns = 60_000_000_000;
    let h = group_hash("rules.yml", "example");
    let offset = (h % interval_ns as u64) as i64;
    for now in [0i64, 1, 59_999_999_999, 1_700_000_000_123_456_789] {
        let ts = eval_timestamp(h, interval_ns, now);
        assert!(ts <= now && now - ts < interval_ns, "{now} -> {ts}");
        assert_eq!((ts - offset).rem_euclid(interval_ns), 0);
    }
    // The hash is XXH64 over Prometheus' label layout.
    let mut b = Vec::new();
    b.extend_from_slice(b"file\xffrules.yml\xffname\xffexample\xff");
    assert_eq!(h, xxhash_rust::xxh64::xxh64(&b, 0));
    assert_ne!(h, group_hash("rules.yml", "other"));
    // Group::eval_timestamp works in ms over the same slots.
    let store = Arc::new(MemStore::default());
    let g = group(ctx(&store, None), Vec::new());
    let slot = g.eval_timestamp(1_700_000_000_000);
    assert_eq!(
        slot,
        eval_timestamp(
            group_hash("f.yml", "g"),
            interval_ns,
            1_700_000_000_000_000_000
        ) / 1_000_000
    );
}

#[test]
fn recording_rules_write_series_and_stale_markers() {
    let store = Arc::new(MemStore::default());
    for t in [0, MIN, 2 * MIN] {
        store.add(&[("__name__", "m"), ("i", "a")], t, 1.0);
        store.add(&[("__name__", "m"), ("i", "b")], t, 2.0);
    }
    // Only `a` carries on.
    store.add(&[("__name__", "m"), ("i", "a")], 8 * MIN, 5.0);
    let g = group(ctx(&store, None), vec![record("m:double", "m * 2")]);
    g.iterate(2 * MIN);
    let a = [("__name__", "m:double"), ("i", "a"), ("src", "rule")];
    let b = [("__name__", "m:double"), ("i", "b"), ("src", "rule")];
    assert_eq!(store.samples(&a), vec![(2 * MIN, 2.0)]);
    assert_eq!(store.samples(&b), vec![(2 * MIN, 4.0)]);
    // At 8m `b` is past the lookback: a stale marker replaces it.
    g.iterate(8 * MIN);
    assert_eq!(store.samples(&a), vec![(2 * MIN, 2.0), (8 * MIN, 10.0)]);
    let bs = store.samples(&b);
    assert_eq!(bs.len(), 2);
    assert!(is_stale_nan(bs[1].1) && bs[1].0 == 8 * MIN);
    // Only once.
    g.iterate(9 * MIN);
    assert_eq!(store.samples(&b).len(), 2);
    let st = g.rules()[0].status();
    assert_eq!(st.health, Health::Ok);
    let v = g.ctx.metrics.group_values("f.yml;g").expect("metrics");
    assert_eq!(
        (v.evaluations, v.iterations, v.failures, v.rules),
        (3, 3, 0, 1)
    );
    assert_eq!(g.timing().last_eval_timestamp, Some(9 * MIN));
}

#[test]
fn duplicate_output_series_is_a_rule_error() {
    let store = Arc::new(MemStore::default());
    store.add(&[("__name__", "x"), ("i", "a")], 0, 1.0);
    store.add(&[("__name__", "y"), ("i", "a")], 0, 1.0);
    let g = group(
        ctx(&store, None),
        vec![record("r", "{i=\"a\"}"), record("ok", "x")],
    );
    g.iterate(MIN);
    let st = g.rules()[0].status();
    assert_eq!(st.health, Health::Err);
    assert_eq!(
        st.last_error.as_deref(),
        Some("vector contains metrics with the same labelset after applying rule labels")
    );
    // Later rules still run.
    assert_eq!(g.rules()[1].status().health, Health::Ok);
    let v = g.ctx.metrics.group_values("f.yml;g").expect("metrics");
    assert_eq!(v.failures, 1);
}

#[test]
fn alerts_are_sent_with_generator_url() {
    let store = Arc::new(MemStore::default());
    store.add(&[("__name__", "up"), ("i", "a")], 0, 0.0);
    let got: Arc<Mutex<Vec<OutgoingAlert>>> = Arc::default();
    let sink = got.clone();
    let notify: NotifyFn = Arc::new(move |a| lock(&sink).extend(a));
    let rule = Rule::Alerting(AlertingRule::new(AlertingRuleSpec {
        name: "Down".into(),
        expr: "up == 0".into(),
        restored: true,
        ..Default::default()
    }));
    let g = group(ctx(&store, Some(notify)), vec![rule]);
    g.iterate(MIN);
    let sent = lock(&got).clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].generator_url,
        "http://prom/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
    );
    assert_eq!(sent[0].ends_at, Some(MIN + 4 * MIN));
    // ALERTS series written.
    let alerts = store.samples(&[
        ("__name__", "ALERTS"),
        ("alertname", "Down"),
        ("alertstate", "firing"),
        ("i", "a"),
    ]);
    assert_eq!(alerts, vec![(MIN, 1.0)]);
}

fn down_rule(restored: bool) -> Rule {
    Rule::Alerting(AlertingRule::new(AlertingRuleSpec {
        name: "Down".into(),
        expr: "up == 0".into(),
        hold: 30 * MIN,
        labels: Labels::from_pairs(&[("sev", "x")]),
        restored,
        ..Default::default()
    }))
}

#[test]
fn for_state_is_restored_from_alerts_for_state() {
    let store = Arc::new(MemStore::default());
    let up = [("__name__", "up"), ("i", "a")];
    for m in 0..=60 {
        store.add(&up, m * MIN, 0.0);
    }
    // A first life: the alert became active at 10m, we went down at 20m.
    let first = group(ctx(&store, None), vec![down_rule(true)]);
    for m in 10..=20 {
        first.iterate(m * MIN);
    }
    let fs = [
        ("__name__", "ALERTS_FOR_STATE"),
        ("alertname", "Down"),
        ("i", "a"),
        ("sev", "x"),
    ];
    assert_eq!(store.samples(&fs).last(), Some(&(20 * MIN, 600.0)));

    // Restart at 25m: two evaluations, then the restore.
    let second = group(ctx(&store, None), vec![down_rule(false)]);
    second.iterate(25 * MIN);
    second.iterate(26 * MIN);
    let Rule::Alerting(ar) = &second.rules()[0] else {
        panic!("alerting rule")
    };
    assert_eq!(ar.active_alerts()[0].active_at, 25 * MIN);
    second.restore_for_state(26 * MIN);
    // 20 of 30 minutes were left when it went down; the 6 minutes of
    // outage do not count: active since 10m + 6m.
    assert_eq!(ar.active_alerts()[0].active_at, 16 * MIN);
    assert!(ar.restored());
    second.iterate(45 * MIN);
    assert_eq!(ar.active_alerts()[0].state, AlertState::Pending);
    second.iterate(46 * MIN);
    assert_eq!(ar.active_alerts()[0].state, AlertState::Firing);
}

#[test]
fn copy_state_carries_alerts_and_stales_removed_rules() {
    let store = Arc::new(MemStore::default());
    store.add(&[("__name__", "up"), ("i", "a")], 0, 0.0);
    store.add(&[("__name__", "m")], 0, 1.0);
    let old = group(
        ctx(&store, None),
        vec![down_rule(true), record("m:copy", "m")],
    );
    old.iterate(MIN);
    let new = group(ctx(&store, None), vec![down_rule(true)]);
    new.copy_state(&old);
    let Rule::Alerting(ar) = &new.rules()[0] else {
        panic!("alerting rule")
    };
    assert_eq!(ar.active_alerts()[0].active_at, MIN);
    // The recording rule is gone: its series is marked stale next time.
    new.iterate(2 * MIN);
    let s = store.samples(&[("__name__", "m:copy"), ("src", "rule")]);
    assert_eq!(s.len(), 2);
    assert!(is_stale_nan(s[1].1));
}

/// A store whose selects of the `gated` metrics wait (bounded) until
/// another gated select is running, counting how many run at once.
#[derive(Debug)]
struct Gate {
    store: Arc<MemStore>,
    gated: Vec<&'static str>,
    state: Mutex<(usize, usize)>,
    cv: std::sync::Condvar,
}

impl Gate {
    fn new(store: Arc<MemStore>, gated: Vec<&'static str>) -> Arc<Gate> {
        Arc::new(Gate {
            store,
            gated,
            state: Mutex::new((0, 0)),
            cv: std::sync::Condvar::new(),
        })
    }

    fn max_in_flight(&self) -> usize {
        lock(&self.state).1
    }
}

impl vigil_promql::storage::Queryable for Gate {
    fn select(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        hints: &SelectHints,
    ) -> Result<Vec<vigil_promql::value::Series>, vigil_promql::storage::StorageError> {
        let name = matchers
            .iter()
            .find(|m| m.name() == "__name__")
            .map(|m| m.value().to_string())
            .unwrap_or_default();
        if self.gated.contains(&name.as_str()) {
            let mut st = lock(&self.state);
            st.0 += 1;
            st.1 = st.1.max(st.0);
            self.cv.notify_all();
            // Sequential evaluation would never see a second select: the
            // wait is bounded so such a run fails instead of hanging.
            let (mut st, _) = self
                .cv
                .wait_timeout_while(st, std::time::Duration::from_secs(5), |s| s.1 < 2)
                .unwrap();
            st.0 -= 1;
        }
        self.store.select(mint, maxt, matchers, hints)
    }
}

fn concurrent_ctx(store: &Arc<MemStore>, gate: &Arc<Gate>) -> Arc<GroupContext> {
    Arc::new(GroupContext {
        querier: Querier {
            engine: Arc::new(vigil_promql::engine::Engine::default()),
            queryable: gate.clone(),
        },
        appendable: store.clone(),
        notify: None,
        resend_delay: MIN,
        outage_tolerance: 60 * MIN,
        for_grace_period: 10 * MIN,
        default_query_offset: AtomicI64::new(0),
        metrics: Metrics::default(),
        concurrency: Some(crate::concurrency::EvalLimiter::new(4)),
    })
}

#[test]
fn independent_rules_overlap_and_dependent_ones_wait() {
    let store = Arc::new(MemStore::default());
    store.add(&[("__name__", "a")], 0, 3.0);
    store.add(&[("__name__", "b")], 0, 5.0);
    let gate = Gate::new(store.clone(), vec!["a", "b"]);
    let g = group(
        concurrent_ctx(&store, &gate),
        vec![
            record("a:sum", "sum(a)"),
            record("a:double", "a:sum * 2"),
            record("b:sum", "sum(b)"),
        ],
    );
    g.eval(MIN);
    // `sum(a)` and `sum(b)` were read at the same time ...
    assert_eq!(gate.max_in_flight(), 2);
    // ... and `a:double` ran after `a:sum` of the same evaluation.
    assert_eq!(
        store.samples(&[("__name__", "a:double"), ("src", "rule")]),
        vec![(MIN, 6.0)]
    );
    assert_eq!(
        store.samples(&[("__name__", "b:sum"), ("src", "rule")]),
        vec![(MIN, 5.0)]
    );
    for r in g.rules() {
        assert_eq!(r.status().health, crate::rule::Health::Ok, "{}", r.name());
    }
}

#[test]
fn without_the_feature_rules_run_one_at_a_time() {
    let store = Arc::new(MemStore::default());
    store.add(&[("__name__", "a")], 0, 3.0);
    store.add(&[("__name__", "b")], 0, 5.0);
    // Nothing gated: only the order of evaluation is observed.
    let gate = Gate::new(store.clone(), vec![]);
    let mut c = concurrent_ctx(&store, &gate);
    Arc::get_mut(&mut c).unwrap().concurrency = None;
    let g = group(
        c,
        vec![record("a:sum", "sum(a)"), record("b:sum", "sum(b)")],
    );
    assert!(g.batches.is_none());
    g.eval(MIN);
    assert_eq!(
        store.samples(&[("__name__", "a:sum"), ("src", "rule")]),
        vec![(MIN, 3.0)]
    );
}
