//! Rule groups (Prometheus' `rules/group.go`): the rules of one `groups`
//! entry, evaluated in order at the group's own aligned times.
//!
//! A group's evaluation times are `offset + k * interval`, where the
//! offset is the hash of the group's file and name modulo the interval,
//! so groups spread over the interval and each keeps its phase across
//! restarts ([`eval_timestamp`]). An evaluation appends each rule's output
//! at the evaluation time minus the query offset, a stale marker for each
//! series the rule wrote last time but not now, and hands alerts due for
//! sending to the notifier. After a restart, the second evaluation is
//! followed by the restore of alerts' `for` state from `ALERTS_FOR_STATE`
//! ([`Group::restore_for_state`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use vigil_model::{Labels, MatchType, Matcher, is_stale_nan, stale_nan};
use vigil_promql::storage::SelectHints;
use vigil_promql::value::Sample;

use crate::alerting::{AlertingRule, OutgoingAlert, restored_active_at};
use crate::concurrency::EvalLimiter;
use crate::metrics::Metrics;
use crate::rule::{Health, Querier, Rule, lock};
use crate::storage::{Appendable, RuleAppender};

/// Receives the alerts due for sending after each evaluation of an
/// alerting rule (never called with an empty list).
pub type NotifyFn = Arc<dyn Fn(Vec<OutgoingAlert>) + Send + Sync>;

/// What every group of a manager shares.
pub(crate) struct GroupContext {
    pub(crate) querier: Querier,
    pub(crate) appendable: Arc<dyn Appendable>,
    pub(crate) notify: Option<NotifyFn>,
    pub(crate) resend_delay: i64,
    pub(crate) outage_tolerance: i64,
    pub(crate) for_grace_period: i64,
    /// `global.rule_query_offset` in ms, for groups without their own.
    pub(crate) default_query_offset: AtomicI64,
    pub(crate) metrics: Metrics,
    /// Slots for concurrent rule evaluation; `None` evaluates every group
    /// in order (the default, as without `concurrent-rule-eval`).
    pub(crate) concurrency: Option<EvalLimiter>,
}

impl std::fmt::Debug for GroupContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupContext")
            .field("resend_delay", &self.resend_delay)
            .field("outage_tolerance", &self.outage_tolerance)
            .field("for_grace_period", &self.for_grace_period)
            .finish_non_exhaustive()
    }
}

/// The key of a group in metrics and maps: `<file>;<name>`.
pub fn group_key(file: &str, name: &str) -> String {
    format!("{file};{name}")
}

/// Prometheus' hash of a group: XXH64 of the label set
/// `{file="<file>", name="<name>"}` as `labels.Hash` lays it out (each
/// name and value followed by `0xff`).
pub fn group_hash(file: &str, name: &str) -> u64 {
    let mut b = Vec::with_capacity(file.len() + name.len() + 12);
    for (k, v) in [("file", file), ("name", name)] {
        b.extend_from_slice(k.as_bytes());
        b.push(0xff);
        b.extend_from_slice(v.as_bytes());
        b.push(0xff);
    }
    xxhash_rust::xxh64::xxh64(&b, 0)
}

/// The group's latest evaluation slot at or before `now_ns` (ns since the
/// epoch), as Prometheus' `Group.EvalTimestamp`.
pub fn eval_timestamp(hash: u64, interval_ns: i64, now_ns: i64) -> i64 {
    let interval = interval_ns.max(1);
    let offset = (hash % interval as u64) as i64;
    let adj = now_ns - offset;
    adj - adj.rem_euclid(interval) + offset
}

#[derive(Debug, Default)]
struct EvalState {
    /// Per rule: the series its last successful evaluation wrote.
    previous: Vec<HashMap<Labels, ()>>,
    /// Series of rules gone in a reload, to be marked stale.
    stale: Vec<Labels>,
}

/// Timing of the group's last evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupTiming {
    /// How long the last evaluation took.
    pub evaluation_time: Duration,
    /// Wall-clock start of the last evaluation.
    pub last_evaluation: Option<SystemTime>,
    /// The slot (ms) the last evaluation ran for.
    pub last_eval_timestamp: Option<i64>,
}

/// A group of rules.
#[derive(Debug)]
pub struct Group {
    name: String,
    file: String,
    key: String,
    interval: i64,
    query_offset: Option<i64>,
    limit: i64,
    rules: Vec<Rule>,
    external_url: String,
    pub(crate) ctx: Arc<GroupContext>,
    eval_state: Mutex<EvalState>,
    timing: Mutex<GroupTiming>,
    /// The batches of [`crate::concurrency::batches`] when concurrent
    /// evaluation is on.
    batches: Option<Vec<Vec<usize>>>,
}

/// The settings of a group.
#[derive(Debug)]
pub(crate) struct GroupSpec {
    pub(crate) name: String,
    pub(crate) file: String,
    pub(crate) interval: i64,
    pub(crate) query_offset: Option<i64>,
    pub(crate) limit: i64,
    pub(crate) rules: Vec<Rule>,
    pub(crate) external_url: String,
}

impl Group {
    pub(crate) fn new(spec: GroupSpec, ctx: Arc<GroupContext>) -> Group {
        let key = group_key(&spec.file, &spec.name);
        let n = spec.rules.len();
        ctx.metrics.group(&key, |v| {
            v.rules = n;
            v.interval_seconds = spec.interval as f64 / 1000.0;
        });
        let batches = ctx
            .concurrency
            .is_some()
            .then(|| crate::concurrency::batches(&spec.rules));
        Group {
            batches,
            key,
            name: spec.name,
            file: spec.file,
            interval: spec.interval,
            query_offset: spec.query_offset,
            limit: spec.limit,
            rules: spec.rules,
            external_url: spec.external_url,
            ctx,
            eval_state: Mutex::new(EvalState {
                previous: vec![HashMap::new(); n],
                stale: Vec::new(),
            }),
            timing: Mutex::new(GroupTiming::default()),
        }
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file it was loaded from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// `<file>;<name>`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The evaluation interval in ms.
    pub fn interval(&self) -> i64 {
        self.interval
    }

    /// The group's `limit` (0: none).
    pub fn limit(&self) -> i64 {
        self.limit
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The query offset in ms: the group's own, else the global default.
    pub fn query_offset(&self) -> i64 {
        self.query_offset
            .unwrap_or_else(|| self.ctx.default_query_offset.load(Ordering::Relaxed))
    }

    /// Timing of the last evaluation.
    pub fn timing(&self) -> GroupTiming {
        lock(&self.timing).clone()
    }

    /// The group's evaluation slot at or before `now_ms`.
    pub fn eval_timestamp(&self, now_ms: i64) -> i64 {
        let interval_ns = self.interval.saturating_mul(1_000_000);
        let now_ns = now_ms.saturating_mul(1_000_000);
        eval_timestamp(group_hash(&self.file, &self.name), interval_ns, now_ns) / 1_000_000
    }

    /// Whether `other` has the same definition (reloads keep such groups
    /// running untouched).
    pub(crate) fn equals(&self, other: &Group) -> bool {
        self.name == other.name
            && self.file == other.file
            && self.interval == other.interval
            && self.limit == other.limit
            && self.query_offset == other.query_offset
            && self.rules.len() == other.rules.len()
            && self
                .rules
                .iter()
                .zip(&other.rules)
                .all(|(a, b)| a.definition() == b.definition())
    }

    /// Takes over the state of the group it replaces: timing, each
    /// rule's last series and alerts (rules matched by name and labels, in
    /// order); series of rules without a match are marked stale next time.
    pub(crate) fn copy_state(&self, from: &Group) {
        *lock(&self.timing) = lock(&from.timing).clone();
        let key = |r: &Rule| format!("{}{}", r.name(), r.labels());
        let mut by_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, r) in from.rules.iter().enumerate() {
            by_key.entry(key(r)).or_default().push(i);
        }
        let from_state = lock(&from.eval_state);
        let mut st = lock(&self.eval_state);
        for (i, rule) in self.rules.iter().enumerate() {
            let Some(list) = by_key.get_mut(&key(rule)) else {
                continue;
            };
            if list.is_empty() {
                continue;
            }
            let fi = list.remove(0);
            if let (Some(dst), Some(src)) = (st.previous.get_mut(i), from_state.previous.get(fi)) {
                *dst = src.clone();
            }
            if let (Rule::Alerting(ar), Some(Rule::Alerting(far))) = (rule, from.rules.get(fi)) {
                ar.copy_alerts_from(far);
            }
        }
        st.stale = from_state.stale.clone();
        for indexes in by_key.values() {
            for &fi in indexes {
                if let Some(prev) = from_state.previous.get(fi) {
                    st.stale.extend(prev.keys().cloned());
                }
            }
        }
    }

    /// Every series the group wrote last time, for marking stale when the
    /// group goes away.
    pub(crate) fn take_previous_series(&self) -> Vec<Labels> {
        let mut st = lock(&self.eval_state);
        let mut out = std::mem::take(&mut st.stale);
        for prev in st.previous.iter_mut() {
            out.extend(std::mem::take(prev).into_keys());
        }
        out
    }

    /// One scheduled iteration at slot `ts` (ms): evaluate, then record
    /// timing and metrics.
    pub fn iterate(&self, ts: i64) {
        self.ctx.metrics.group(&self.key, |v| v.iterations += 1);
        let wall = SystemTime::now();
        let start = Instant::now();
        self.eval(ts);
        let took = start.elapsed();
        let rule_sum: f64 = self
            .rules
            .iter()
            .map(|r| r.status().evaluation_time.as_secs_f64())
            .sum();
        self.ctx.metrics.observe_group(took.as_secs_f64());
        let wall_secs = wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.ctx.metrics.group(&self.key, |v| {
            v.last_duration_seconds = took.as_secs_f64();
            v.last_rule_duration_sum_seconds = rule_sum;
            v.last_evaluation_seconds = wall_secs;
        });
        *lock(&self.timing) = GroupTiming {
            evaluation_time: took,
            last_evaluation: Some(wall),
            last_eval_timestamp: Some(ts),
        };
    }

    /// Evaluates every rule at slot `ts` (ms): in order, or with
    /// concurrent evaluation on, batch by batch with the rules of a batch
    /// on their own threads while slots are free.
    pub fn eval(&self, ts: i64) {
        let offset = self.query_offset();
        let samples_total = match (&self.batches, &self.ctx.concurrency) {
            (Some(batches), Some(limiter)) => self.eval_batches(batches, limiter, ts, offset),
            _ => self
                .rules
                .iter()
                .enumerate()
                .map(|(i, rule)| self.eval_timed(i, rule, ts, offset))
                .sum(),
        };
        self.ctx
            .metrics
            .group(&self.key, |v| v.samples = samples_total);
        self.cleanup_stale_series(ts);
    }

    fn eval_batches(
        &self,
        batches: &[Vec<usize>],
        limiter: &EvalLimiter,
        ts: i64,
        offset: i64,
    ) -> usize {
        let total = AtomicUsize::new(0);
        for batch in batches {
            std::thread::scope(|s| {
                for &i in batch {
                    let Some(rule) = self.rules.get(i) else {
                        continue;
                    };
                    if batch.len() > 1 && limiter.try_acquire() {
                        let total = &total;
                        s.spawn(move || {
                            let n = self.eval_timed(i, rule, ts, offset);
                            total.fetch_add(n, Ordering::Relaxed);
                            limiter.release();
                        });
                    } else {
                        let n = self.eval_timed(i, rule, ts, offset);
                        total.fetch_add(n, Ordering::Relaxed);
                    }
                }
                // The scope joins the batch's threads before the next batch.
            });
        }
        total.into_inner()
    }

    /// Evaluates rule `i` and records its timing.
    fn eval_timed(&self, i: usize, rule: &Rule, ts: i64, offset: i64) -> usize {
        let wall = SystemTime::now();
        let start = Instant::now();
        let n = self.eval_rule(i, rule, ts, offset);
        let took = start.elapsed();
        self.ctx.metrics.observe_rule(took.as_secs_f64());
        let mut st = lock(rule.status_cell());
        st.evaluation_time = took;
        st.last_evaluation = Some(wall);
        n
    }

    fn fail(&self, rule: &Rule, err: String) {
        let mut st = lock(rule.status_cell());
        st.health = Health::Err;
        st.last_error = Some(err);
        drop(st);
        self.ctx.metrics.group(&self.key, |v| v.failures += 1);
    }

    /// Evaluates rule `i`, appends its output and stale markers; returns
    /// the number of samples it produced.
    fn eval_rule(&self, i: usize, rule: &Rule, ts: i64, offset: i64) -> usize {
        self.ctx.metrics.group(&self.key, |v| v.evaluations += 1);
        let querier = &self.ctx.querier;
        let result = match rule {
            Rule::Recording(r) => r.eval(querier, ts, offset, self.limit),
            Rule::Alerting(r) => r.eval(querier, ts, offset, self.limit),
        };
        let vector = match result {
            Ok(v) => v,
            Err(e) => {
                log::warn!(
                    "Evaluating rule failed: group={} file={} rule={} err={e}",
                    self.name,
                    self.file,
                    rule.name()
                );
                self.fail(rule, e.to_string());
                return 0;
            }
        };
        {
            let mut st = lock(rule.status_cell());
            st.health = Health::Ok;
            st.last_error = None;
        }
        if let Rule::Alerting(ar) = rule {
            self.send_alerts(ar, ts);
        }
        let mut app = self.ctx.appendable.appender();
        let returned = self.append_results(rule, app.as_mut(), &vector);
        let previous = lock(&self.eval_state)
            .previous
            .get(i)
            .cloned()
            .unwrap_or_default();
        for lset in previous.keys() {
            if !returned.contains_key(lset)
                && let Err(e) = app.append(lset, ts - offset, stale_nan())
                && !e.is_expected()
            {
                log::warn!(
                    "Adding stale sample failed: series={lset} err={}",
                    e.message()
                );
            }
        }
        match app.commit() {
            Err(e) => {
                log::warn!("Rule sample appending failed: rule={} err={e}", rule.name());
                self.fail(rule, e);
            }
            Ok(()) => {
                if let Some(p) = lock(&self.eval_state).previous.get_mut(i) {
                    *p = returned;
                }
            }
        }
        vector.len()
    }

    fn append_results(
        &self,
        rule: &Rule,
        app: &mut dyn RuleAppender,
        vector: &[Sample],
    ) -> HashMap<Labels, ()> {
        let mut returned = HashMap::with_capacity(vector.len());
        let mut discarded = 0usize;
        for s in vector {
            let r = match &s.h {
                Some(h) => app.append_histogram(&s.metric, s.t, h),
                None => app.append(&s.metric, s.t, s.f),
            };
            match r {
                Ok(()) => {
                    returned.insert(s.metric.clone(), ());
                }
                Err(e) => {
                    let mut st = lock(rule.status_cell());
                    st.health = Health::Err;
                    st.last_error = Some(e.message().to_string());
                    if e.is_expected() {
                        discarded += 1;
                    } else {
                        log::warn!(
                            "Rule evaluation result discarded: series={} err={}",
                            s.metric,
                            e.message()
                        );
                    }
                }
            }
        }
        if discarded > 0 {
            log::warn!(
                "Error on ingesting rule results (out of order, too old or duplicate): rule={} num_dropped={discarded}",
                rule.name()
            );
        }
        returned
    }

    fn send_alerts(&self, rule: &AlertingRule, ts: i64) {
        let generator_url = format!(
            "{}/graph?g0.expr={}&g0.tab=1",
            self.external_url,
            vigil_template::query_escape(rule.expr())
        );
        let alerts = rule.send_alerts(ts, self.ctx.resend_delay, self.interval, &generator_url);
        if alerts.is_empty() {
            return;
        }
        if let Some(notify) = &self.ctx.notify {
            notify(alerts);
        }
    }

    /// Marks `series` stale at `ts` (ms, less the query offset): what a
    /// removed group does with its last series.
    pub(crate) fn mark_stale(&self, series: &[Labels], ts: i64) {
        lock(&self.eval_state).stale.extend(series.iter().cloned());
        self.cleanup_stale_series(ts);
    }

    /// Writes stale markers for the series of rules a reload removed.
    pub(crate) fn cleanup_stale_series(&self, ts: i64) {
        let stale = std::mem::take(&mut lock(&self.eval_state).stale);
        if stale.is_empty() {
            return;
        }
        let t = ts - self.query_offset();
        let mut app = self.ctx.appendable.appender();
        for s in &stale {
            if let Err(e) = app.append(s, t, stale_nan())
                && !e.is_expected()
            {
                log::warn!(
                    "Adding stale sample for previous configuration failed: series={s} err={}",
                    e.message()
                );
            }
        }
        if let Err(e) = app.commit() {
            log::warn!("Stale sample appending for previous configuration failed: {e}");
            lock(&self.eval_state).stale = stale;
        }
    }

    /// Restores the `for` state of the group's alerts from the
    /// `ALERTS_FOR_STATE` series written in the `outage_tolerance` before
    /// `now` (ms), as Prometheus does after a restart; then every alerting
    /// rule counts as restored and writes `ALERTS` samples.
    pub fn restore_for_state(&self, now: i64) {
        let started = Instant::now();
        let mint = now - self.ctx.outage_tolerance;
        for rule in &self.rules {
            let Rule::Alerting(ar) = rule else { continue };
            if ar.hold_duration() < self.ctx.for_grace_period {
                ar.set_restored(true);
                continue;
            }
            let series = match self.for_state_series(ar, mint, now) {
                Ok(s) => s,
                Err(e) => {
                    log::error!(
                        "Failed to restore 'for' state: alertname={} stage=Select err={e}",
                        ar.name()
                    );
                    ar.set_restored(true);
                    continue;
                }
            };
            if !series.is_empty() {
                let hold = ar.hold_duration();
                let grace = self.ctx.for_grace_period;
                ar.restore_active_at(|labels| {
                    let &(t, v) = series.get(labels)?;
                    if is_stale_nan(v) {
                        return None;
                    }
                    // Prometheus works in whole seconds here.
                    let down_at = t.div_euclid(1000) * 1000;
                    let active_at = (v as i64).saturating_mul(1000);
                    Some(restored_active_at(down_at, active_at, hold, grace, now))
                });
            }
            ar.set_restored(true);
        }
        let secs = started.elapsed().as_secs_f64();
        self.ctx
            .metrics
            .group(&self.key, |v| v.last_restore_duration_seconds = secs);
    }

    /// The last float sample of each `ALERTS_FOR_STATE` series of `rule`
    /// in `mint..=maxt`, keyed by its labels without `__name__`.
    fn for_state_series(
        &self,
        rule: &AlertingRule,
        mint: i64,
        maxt: i64,
    ) -> Result<HashMap<Labels, (i64, f64)>, String> {
        let shape = rule.for_state_sample(None, maxt, 0.0).metric;
        let mut matchers = Vec::new();
        for l in shape.iter() {
            // Templated labels cannot be matched before expansion.
            if l.value.contains("{{") {
                continue;
            }
            matchers
                .push(Matcher::new(MatchType::Equal, l.name, l.value).map_err(|e| e.to_string())?);
        }
        let hints = SelectHints {
            start: mint,
            end: maxt,
            ..Default::default()
        };
        let found = self
            .ctx
            .querier
            .queryable
            .select(mint, maxt, &matchers, &hints)
            .map_err(|e| e.to_string())?;
        Ok(found
            .into_iter()
            .filter_map(|s| {
                let last = s.floats.last()?;
                Some((s.metric.without(&["__name__"]), (last.t, last.f)))
            })
            .collect())
    }
}

#[cfg(test)]
#[path = "group/tests.rs"]
mod tests;
