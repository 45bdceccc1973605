use std::sync::Arc;

use super::*;
use crate::testutil::MemStore;

const MIN: i64 = 60_000;

fn rule(hold: i64, keep: i64) -> AlertingRule {
    AlertingRule::new(AlertingRuleSpec {
        name: "Down".into(),
        expr: "up == 0".into(),
        hold,
        keep_firing_for: keep,
        labels: Labels::from_pairs(&[("severity", "page")]),
        annotations: Labels::from_pairs(&[("summary", "{{ $labels.instance }} down")]),
        restored: true,
        ..Default::default()
    })
}

/// `up{instance="a"}` at 0 from `from` to `to` (every minute), 1 elsewhere.
fn store_down(from: i64, to: i64, until: i64) -> Arc<MemStore> {
    let s = Arc::new(MemStore::default());
    let mut t = 0;
    while t <= until {
        let v = if t >= from && t <= to { 0.0 } else { 1.0 };
        s.add(&[("__name__", "up"), ("instance", "a")], t, v);
        t += MIN;
    }
    s
}

fn states(r: &AlertingRule) -> Vec<AlertState> {
    r.current_alerts().iter().map(|a| a.state).collect()
}

#[test]
fn pending_firing_resolved_forgotten() {
    let s = store_down(2 * MIN, 10 * MIN, 60 * MIN);
    let q = s.querier();
    let r = rule(5 * MIN, 0);
    assert_eq!(r.state(), AlertState::Unknown);
    assert!(r.eval(&q, MIN, 0, 0).expect("eval").is_empty());
    assert_eq!(r.state(), AlertState::Inactive);

    let out = r.eval(&q, 2 * MIN, 0, 0).expect("eval");
    assert_eq!(states(&r), vec![AlertState::Pending]);
    // ALERTS and ALERTS_FOR_STATE, both at the evaluation time.
    assert_eq!(out.len(), 2);
    assert_eq!(
        out[0].metric,
        Labels::from_pairs(&[
            ("__name__", "ALERTS"),
            ("alertname", "Down"),
            ("alertstate", "pending"),
            ("instance", "a"),
            ("severity", "page"),
        ])
    );
    assert_eq!((out[0].t, out[0].f), (2 * MIN, 1.0));
    assert_eq!(out[1].metric.get("__name__"), Some("ALERTS_FOR_STATE"));
    assert_eq!(out[1].f, 120.0);

    r.eval(&q, 6 * MIN, 0, 0).expect("eval");
    assert_eq!(states(&r), vec![AlertState::Pending]);
    let out = r.eval(&q, 7 * MIN, 0, 0).expect("eval");
    assert_eq!(states(&r), vec![AlertState::Firing]);
    assert_eq!(out[0].metric.get("alertstate"), Some("firing"));
    let a = &r.current_alerts()[0];
    assert_eq!(a.fired_at, Some(7 * MIN));
    assert_eq!(a.active_at, 2 * MIN);
    assert_eq!(a.annotations.get("summary"), Some("a down"));

    // Recovered: inactive and resolved, no more ALERTS samples.
    let out = r.eval(&q, 11 * MIN, 0, 0).expect("eval");
    assert!(out.is_empty());
    assert_eq!(states(&r), vec![AlertState::Inactive]);
    assert_eq!(r.current_alerts()[0].resolved_at, Some(11 * MIN));
    assert!(r.active_alerts().is_empty());
    // Kept 15 minutes, then forgotten.
    r.eval(&q, 26 * MIN, 0, 0).expect("eval");
    assert_eq!(r.current_alerts().len(), 1);
    r.eval(&q, 26 * MIN + 1, 0, 0).expect("eval");
    assert!(r.current_alerts().is_empty());
}

#[test]
fn pending_alert_that_clears_is_forgotten() {
    let s = store_down(2 * MIN, 3 * MIN, 20 * MIN);
    let q = s.querier();
    let r = rule(5 * MIN, 0);
    r.eval(&q, 3 * MIN, 0, 0).expect("eval");
    assert_eq!(states(&r), vec![AlertState::Pending]);
    r.eval(&q, 4 * MIN, 0, 0).expect("eval");
    assert!(r.current_alerts().is_empty());
}

#[test]
fn zero_for_fires_at_once_and_query_offset_shifts_samples() {
    let s = store_down(2 * MIN, 10 * MIN, 20 * MIN);
    let q = s.querier();
    let r = rule(0, 0);
    // Query offset 1m: at 3m the query sees 2m.
    let out = r.eval(&q, 3 * MIN, MIN, 0).expect("eval");
    assert_eq!(states(&r), vec![AlertState::Firing]);
    assert_eq!(out[0].t, 2 * MIN);
}

#[test]
fn keep_firing_for_holds_a_cleared_alert() {
    let s = store_down(0, 2 * MIN, 20 * MIN);
    let q = s.querier();
    let r = rule(0, 3 * MIN);
    r.eval(&q, MIN, 0, 0).expect("eval");
    assert_eq!(states(&r), vec![AlertState::Firing]);
    // Cleared at 3m: keeps firing for 3 minutes from then.
    let out = r.eval(&q, 3 * MIN, 0, 0).expect("eval");
    assert_eq!(states(&r), vec![AlertState::Firing]);
    assert_eq!(out.len(), 2);
    assert_eq!(r.current_alerts()[0].keep_firing_since, Some(3 * MIN));
    r.eval(&q, 5 * MIN, 0, 0).expect("eval");
    assert_eq!(states(&r), vec![AlertState::Firing]);
    r.eval(&q, 6 * MIN, 0, 0).expect("eval");
    assert_eq!(states(&r), vec![AlertState::Inactive]);
}

#[test]
fn templates_see_value_and_external_data_and_errors_become_text() {
    let s = Arc::new(MemStore::default());
    s.add(&[("__name__", "load"), ("instance", "h1")], 0, 0.25);
    let q = s.querier();
    let r = AlertingRule::new(AlertingRuleSpec {
        name: "High".into(),
        expr: "load > 0".into(),
        labels: Labels::from_pairs(&[
            ("where", "{{ $externalLabels.dc }}"),
            ("empty", "{{ if false }}x{{ end }}"),
        ]),
        annotations: Labels::from_pairs(&[
            (
                "summary",
                "{{ $labels.instance }} at {{ $value | humanizePercentage }}",
            ),
            ("link", "{{ $externalURL }}/alerts"),
            ("bad", "{{ $labels.instance | nosuchfunc }}"),
            ("oops", "{{ index $labels 1 }}"),
            (
                "q",
                "{{ with query \"load\" }}{{ . | first | value }}{{ end }}",
            ),
        ]),
        external_labels: Labels::from_pairs(&[("dc", "eu1")]),
        external_url: "http://prom:9090".into(),
        restored: true,
        ..Default::default()
    });
    r.eval(&q, MIN, 0, 0).expect("eval");
    let a = &r.current_alerts()[0];
    assert_eq!(
        a.labels,
        Labels::from_pairs(&[("alertname", "High"), ("instance", "h1"), ("where", "eu1")])
    );
    assert_eq!(a.annotations.get("summary"), Some("h1 at 25%"));
    assert_eq!(a.annotations.get("link"), Some("http://prom:9090/alerts"));
    assert_eq!(a.annotations.get("q"), Some("0.25"));
    let bad = a.annotations.get("bad").expect("bad");
    assert!(
        bad.starts_with("<error expanding template: error parsing template __alert_High:"),
        "{bad}"
    );
    let oops = a.annotations.get("oops").expect("oops");
    assert!(
        oops.starts_with("<error expanding template: error executing template __alert_High:"),
        "{oops}"
    );
    assert_eq!(a.value, 0.25);
}

#[test]
fn duplicate_alert_labels_and_limit_are_errors() {
    let s = Arc::new(MemStore::default());
    s.add(&[("__name__", "x"), ("a", "1")], 0, 1.0);
    s.add(&[("__name__", "y"), ("a", "1")], 0, 1.0);
    let q = s.querier();
    let dup = AlertingRule::new(AlertingRuleSpec {
        name: "D".into(),
        expr: "{a=\"1\"}".into(),
        restored: true,
        ..Default::default()
    });
    assert_eq!(
        dup.eval(&q, 0, 0, 0),
        Err(EvalError::DuplicateAlertLabelSet)
    );
    let lim = AlertingRule::new(AlertingRuleSpec {
        name: "L".into(),
        expr: "x or label_replace(y, \"b\", \"2\", \"\", \"\")".into(),
        restored: true,
        ..Default::default()
    });
    assert_eq!(
        lim.eval(&q, 0, 0, 1),
        Err(EvalError::AlertLimit { limit: 1, count: 2 })
    );
    assert!(lim.current_alerts().is_empty());
    assert_eq!(lim.eval(&q, 0, 0, 2).map(|v| v.len()), Ok(4));
}

#[test]
fn unrestored_rules_write_no_alerts_series() {
    let s = store_down(0, 10 * MIN, 10 * MIN);
    let q = s.querier();
    let r = AlertingRule::new(AlertingRuleSpec {
        name: "Down".into(),
        expr: "up == 0".into(),
        restored: false,
        ..Default::default()
    });
    assert!(r.eval(&q, MIN, 0, 0).expect("eval").is_empty());
    assert_eq!(r.active_alerts().len(), 1);
    r.set_restored(true);
    assert_eq!(r.eval(&q, 2 * MIN, 0, 0).expect("eval").len(), 2);
}

#[test]
fn sending_respects_resend_delay_and_sends_resolutions() {
    let s = store_down(0, 5 * MIN, 60 * MIN);
    let q = s.querier();
    let r = rule(0, 0);
    let url = "http://p/graph";
    r.eval(&q, 0, 0, 0).expect("eval");
    let sent = r.send_alerts(0, MIN, 15_000, url);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].starts_at, Some(0));
    // EndsAt: now + 4 * max(resend_delay, interval).
    assert_eq!(sent[0].ends_at, Some(4 * MIN));
    assert_eq!(sent[0].generator_url, url);
    // Within the resend delay: nothing; after it: again.
    r.eval(&q, MIN, 0, 0).expect("eval");
    assert!(r.send_alerts(MIN, MIN, 15_000, url).is_empty());
    r.eval(&q, MIN + 1, 0, 0).expect("eval");
    assert_eq!(r.send_alerts(MIN + 1, MIN, 15_000, url).len(), 1);
    // Resolved at 6m: sent at once with EndsAt = resolution time.
    r.eval(&q, 6 * MIN, 0, 0).expect("eval");
    let sent = r.send_alerts(6 * MIN, MIN, 15_000, url);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].ends_at, Some(6 * MIN));
    assert!(r.send_alerts(6 * MIN + 1, MIN, 15_000, url).is_empty());
    // Resent after the delay while kept.
    assert_eq!(r.send_alerts(8 * MIN, MIN, 15_000, url).len(), 1);
}

#[test]
fn pending_alerts_are_not_sent() {
    let a = Alert {
        state: AlertState::Pending,
        labels: Labels::empty(),
        annotations: Labels::empty(),
        value: 0.0,
        active_at: 0,
        fired_at: None,
        resolved_at: None,
        last_sent_at: None,
        valid_until: None,
        keep_firing_since: None,
    };
    assert!(!a.needs_sending(10, 0));
    let firing = Alert {
        state: AlertState::Firing,
        ..a
    };
    assert!(firing.needs_sending(10, 0));
}

#[test]
fn restored_start_times() {
    let hold = 30 * MIN;
    let grace = 10 * MIN;
    // Already past `for` when it went down: start kept.
    assert_eq!(restored_active_at(40 * MIN, 0, hold, grace, 50 * MIN), 0);
    // 5 minutes left (< grace): fires grace after the restore.
    assert_eq!(
        restored_active_at(25 * MIN, 0, hold, grace, 50 * MIN),
        50 * MIN + grace - hold
    );
    // 20 minutes left: the outage does not count.
    assert_eq!(
        restored_active_at(10 * MIN, 0, hold, grace, 50 * MIN),
        40 * MIN
    );
}
