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
