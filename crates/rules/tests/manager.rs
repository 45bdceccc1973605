//! The rule manager end to end over a TSDB in a temporary directory:
//! samples appended, groups evaluated at chosen times, then the recorded
//! series, the `ALERTS` series, the alerts handed to the notifier, the
//! snapshots and metrics checked; reloads, a restart with `for` state
//! restore, and the threads of a started manager.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vigil_model::Labels;
use vigil_promql::engine::Engine;
use vigil_promql::value::Value;
use vigil_rules::snapshot::RuleSnapshot;
use vigil_rules::{
    AlertState, Health, ManagerOptions, NotifyFn, OutgoingAlert, RuleManager, RulesConfig,
};
use vigil_tsdb::db::{Db, DbOptions};

const MIN: i64 = 60_000;
/// A round start time (ms) so the test reads well.
const T0: i64 = 1_700_000_000_000;

const RULES: &str = r#"
groups:
  - name: node
    labels:
      team: infra
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: InstanceDown
        expr: up == 0
        for: 2m
        labels:
          severity: "{{ if eq $labels.instance \"a\" }}page{{ else }}ticket{{ end }}"
        annotations:
          summary: "{{ $labels.instance }} of {{ $labels.job }} is down ({{ $value }}) in {{ $externalLabels.dc }}"
"#;

fn write_rules(dir: &Path, text: &str) -> String {
    let p = dir.join("node.rules.yml");
    std::fs::write(&p, text).expect("write rules");
    p.display().to_string()
}

fn open_db(dir: &Path) -> Arc<Db> {
    let (db, _) = Db::open(&dir.join("data"), DbOptions::default()).expect("open db");
    Arc::new(db)
}

/// `up` of instances a (down from `down_from`) and b (always up), every 15 s.
fn append_up(db: &Db, from: i64, to: i64, down_from: i64) {
    let a = Labels::from_pairs(&[("__name__", "up"), ("job", "node"), ("instance", "a")]);
    let b = Labels::from_pairs(&[("__name__", "up"), ("job", "node"), ("instance", "b")]);
    let mut app = db.head().appender();
    let mut t = from;
    while t <= to {
        app.append(&a, t, if t >= down_from { 0.0 } else { 1.0 })
            .expect("append");
        app.append(&b, t, 1.0).expect("append");
        t += 15_000;
    }
    app.commit().expect("commit");
}

type Sent = Arc<Mutex<Vec<OutgoingAlert>>>;

fn manager(db: &Arc<Db>, restore: bool) -> (RuleManager, Sent) {
    let sent: Sent = Arc::default();
    let sink = sent.clone();
    let notify: NotifyFn = Arc::new(move |alerts| sink.lock().expect("lock").extend(alerts));
    let mut opts = ManagerOptions::new(Arc::new(Engine::default()), db.clone(), db.clone());
    opts.notify = Some(notify);
    opts.restore_for_state = restore;
    (RuleManager::new(opts), sent)
}

fn config(file: &str) -> RulesConfig {
    RulesConfig {
        interval: MIN,
        files: vec![file.to_string()],
        external_labels: Labels::from_pairs(&[("dc", "eu1")]),
        external_url: "http://vigil:9090".into(),
        default_query_offset: 0,
    }
}

/// The value of `query` at `t` as (labels, value) pairs.
fn query(db: &Db, q: &str, t: i64) -> Vec<(String, f64)> {
    let res = Engine::default()
        .instant_query(db, q, t)
        .expect("query")
        .value;
    let Value::Vector(v) = res else {
        panic!("not a vector: {res:?}")
    };
    v.into_iter().map(|s| (s.metric.to_string(), s.f)).collect()
}

#[test]
fn rules_record_alert_and_notify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open_db(dir.path());
    append_up(&db, T0 - 10 * MIN, T0 + 10 * MIN, T0);
    let file = write_rules(dir.path(), RULES);
    let (m, sent) = manager(&db, false);
    m.update(&config(&file)).expect("update");

    for k in 0..=3 {
        m.eval_at(T0 + k * MIN);
    }
    // The recording rule: one series per job, group labels added.
    assert_eq!(
        query(&db, "job:up:sum", T0 + 3 * MIN),
        vec![(
            r#"{__name__="job:up:sum", job="node", team="infra"}"#.to_string(),
            1.0
        )]
    );
    // ALERTS: pending at 0..1m, firing from 2m.
    let alerts_at = |t| query(&db, "ALERTS", t);
    let pending = r#"{__name__="ALERTS", alertname="InstanceDown", alertstate="pending", instance="a", job="node", severity="page", team="infra"}"#;
    let firing = pending.replace("pending", "firing");
    assert_eq!(alerts_at(T0 + MIN), vec![(pending.to_string(), 1.0)]);
    // Once firing, the pending series got a stale marker and is gone.
    assert_eq!(alerts_at(T0 + 3 * MIN), vec![(firing.clone(), 1.0)]);
    assert_eq!(
        query(&db, "ALERTS_FOR_STATE", T0 + 3 * MIN)
            .first()
            .map(|x| x.1),
        Some((T0 / 1000) as f64)
    );

    // The notifier got the alert once it fired (at 2m), not while pending.
    let got = sent.lock().expect("lock").clone();
    assert_eq!(got.len(), 1, "{got:?}");
    let a = &got[0];
    assert_eq!(
        a.labels,
        Labels::from_pairs(&[
            ("alertname", "InstanceDown"),
            ("instance", "a"),
            ("job", "node"),
            ("severity", "page"),
            ("team", "infra"),
        ])
    );
    assert_eq!(
        a.annotations.get("summary"),
        Some("a of node is down (0) in eu1")
    );
    assert_eq!(a.starts_at, Some(T0 + 2 * MIN));
    assert_eq!(a.ends_at, Some(T0 + 2 * MIN + 4 * MIN));
    assert_eq!(
        a.generator_url,
        "http://vigil:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
    );

    // Snapshots for the API.
    let groups = m.groups();
    assert_eq!(groups.len(), 1);
    let g = &groups[0];
    assert_eq!((g.name.as_str(), g.file.as_str()), ("node", file.as_str()));
    assert_eq!(g.interval, 60.0);
    assert!(g.last_evaluation.is_some());
    let RuleSnapshot::Alerting(ar) = &g.rules[1] else {
        panic!("alerting rule second")
    };
    assert_eq!(ar.state, AlertState::Firing);
    assert_eq!(ar.health, Health::Ok);
    assert_eq!(ar.duration, 120.0);
    assert_eq!(ar.alerts.len(), 1);
    assert_eq!(m.alerts().len(), 1);
    assert_eq!(m.alerts()[0].value, 0.0);

    // Metrics, labelled by group.
    let fams = m.metrics();
    let evals = fams
        .iter()
        .find(|f| f.name == "prometheus_rule_evaluations_total")
        .expect("family");
    assert_eq!(evals.samples.len(), 1);
    assert_eq!(
        evals.samples[0].labels.get("rule_group"),
        Some(format!("{file};node").as_str())
    );
    assert_eq!(
        evals.samples[0].value,
        vigil_exposition::SampleValue::Float(8.0)
    );
    assert!(
        fams.iter()
            .any(|f| f.name == "prometheus_rule_group_interval_seconds")
    );
}

#[test]
fn reloads_keep_unchanged_groups_and_carry_alert_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open_db(dir.path());
    append_up(&db, T0 - 10 * MIN, T0 + 10 * MIN, T0);
    let file = write_rules(dir.path(), RULES);
    let (m, _) = manager(&db, false);
    m.update(&config(&file)).expect("update");
    m.eval_at(T0);
    let before = m.rule_groups();

    // Same definition: the very same group keeps running.
    m.update(&config(&file)).expect("update");
    assert!(Arc::ptr_eq(&before[0], &m.rule_groups()[0]));

    // A changed group takes over the alerts of the old one.
    write_rules(dir.path(), &RULES.replace("for: 2m", "for: 1m"));
    m.update(&config(&file)).expect("update");
    assert!(!Arc::ptr_eq(&before[0], &m.rule_groups()[0]));
    m.eval_at(T0 + MIN);
    assert_eq!(m.alerts()[0].state, AlertState::Firing);

    // A broken file leaves the running rules alone.
    write_rules(
        dir.path(),
        "groups:\n  - name: x\n    rules:\n      - record: bad\n        expr: up +\n",
    );
    let err = m.update(&config(&file)).expect_err("refused");
    assert!(
        err.to_string().contains("previous rule set restored"),
        "{err}"
    );
    assert_eq!(m.groups()[0].rules.len(), 2);

    // Removing the file stops the group and drops its metrics.
    let mut empty = config(&file);
    empty.files.clear();
    m.update(&empty).expect("update");
    assert!(m.groups().is_empty());
    assert!(m.metrics()[0].samples.is_empty());
}

#[test]
fn restart_restores_for_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open_db(dir.path());
    append_up(&db, T0 - 10 * MIN, T0 + 30 * MIN, T0);
    let text = RULES.replace("for: 2m", "for: 20m");
    let file = write_rules(dir.path(), &text);
    {
        let (m, _) = manager(&db, false);
        m.update(&config(&file)).expect("update");
        for k in 0..=5 {
            m.eval_at(T0 + k * MIN);
        }
        m.stop();
    }
    // Down for 3 minutes; restarted at 8m, with restore.
    let (m, _) = manager(&db, true);
    m.update(&config(&file)).expect("update");
    m.eval_at(T0 + 8 * MIN);
    m.eval_at(T0 + 9 * MIN);
    // Not restored yet: no ALERTS written by this life.
    assert!(query(&db, "count_over_time(ALERTS[150s])", T0 + 9 * MIN).is_empty());
    m.restore_for_state(T0 + 9 * MIN);
    // Went down at 5m after 5 of 20 minutes; the 4 minutes since then do
    // not count: active since 0m + 4m.
    let a = &m.alerts()[0];
    let active_ms = a
        .active_at
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after epoch")
        .as_millis() as i64;
    assert_eq!(active_ms, T0 + 4 * MIN);
    m.eval_at(T0 + 10 * MIN);
    assert_eq!(
        query(&db, "count_over_time(ALERTS[150s])", T0 + 10 * MIN).len(),
        1
    );
    m.eval_at(T0 + 24 * MIN);
    assert_eq!(m.alerts()[0].state, AlertState::Firing);
}

#[test]
fn started_manager_evaluates_on_its_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open_db(dir.path());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    append_up(&db, now - 10 * MIN, now + 10 * MIN, now + 20 * MIN);
    let file = write_rules(
        dir.path(),
        "groups:\n  - name: fast\n    interval: 1s\n    rules:\n      - record: up:count\n        expr: count(up)\n",
    );
    let (m, _) = manager(&db, true);
    m.update(&config(&file)).expect("update");
    m.start();
    // Bounded wait: however slow the machine, the group evaluates.
    let deadline = Instant::now() + Duration::from_secs(60);
    while m.groups()[0].last_evaluation.is_none() {
        assert!(Instant::now() < deadline, "group never evaluated");
        std::thread::sleep(Duration::from_millis(20));
    }
    m.stop();
    let RuleSnapshot::Recording(r) = &m.groups()[0].rules[0] else {
        panic!("recording rule")
    };
    assert_eq!(r.health, Health::Ok, "{}", r.last_error);
}
