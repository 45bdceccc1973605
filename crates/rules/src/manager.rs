//! The rule manager (Prometheus' `rules/manager.go`): loads rule files
//! into [`Group`]s, runs each group on its own thread at its aligned
//! times, swaps groups on reload while keeping the state of unchanged
//! ones, and answers the API's questions with snapshots.
//!
//! [`RuleManager::update`] loads first and changes nothing if any file is
//! refused. Groups are keyed by `<file>;<name>`: an identical group keeps
//! running; a changed one is stopped and its replacement takes over its
//! alerts and last series; a removed one stops and, two intervals later,
//! marks its series stale. Threads start with [`RuleManager::start`];
//! until then (and in tests) groups can be driven by hand with
//! [`RuleManager::eval_at`] and [`RuleManager::restore_for_state`].

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use vigil_model::Labels;
use vigil_promql::engine::Engine;
use vigil_promql::storage::Queryable;

use crate::alerting::{AlertingRule, AlertingRuleSpec};
use crate::concurrency::EvalLimiter;
use crate::error::LoadError;
use crate::group::{Group, GroupContext, GroupSpec, NotifyFn};
use crate::metrics::Metrics;
use crate::recording::RecordingRule;
use crate::rule::{Querier, Rule, lock, merge_labels};
use crate::rulefmt::{self, ParseOptions};
use crate::snapshot::{self, AlertSnapshot, GroupSnapshot};
use crate::storage::Appendable;

/// How a rule manager is built.
pub struct ManagerOptions {
    /// The PromQL engine rules query through.
    pub engine: Arc<Engine>,
    /// What rules read.
    pub queryable: Arc<dyn Queryable>,
    /// Where results go.
    pub appendable: Arc<dyn Appendable>,
    /// Receives alerts due for sending.
    pub notify: Option<NotifyFn>,
    /// `--rules.alert.for-outage-tolerance` in ms (1 h).
    pub for_outage_tolerance: i64,
    /// `--rules.alert.for-grace-period` in ms (10 m).
    pub for_grace_period: i64,
    /// `--rules.alert.resend-delay` in ms (1 m).
    pub resend_delay: i64,
    /// Whether alerts' `for` state is restored from `ALERTS_FOR_STATE`
    /// after a start (on in Prometheus).
    pub restore_for_state: bool,
    /// Whether groups added by later reloads are restored too.
    pub restore_new_rule_groups: bool,
    /// How rule files are parsed.
    pub parse: ParseOptions,
    /// `--enable-feature=concurrent-rule-eval`: rules of a group that
    /// neither read nor feed another rule of it may be evaluated at the
    /// same time (off by default, as in Prometheus).
    pub concurrent_evals: bool,
    /// `--rules.max-concurrent-evals` (4): evaluations running beside the
    /// groups' own threads at once, across all groups.
    pub max_concurrent_evals: usize,
}

impl ManagerOptions {
    /// Prometheus' defaults over the given engine and storage.
    pub fn new(
        engine: Arc<Engine>,
        queryable: Arc<dyn Queryable>,
        appendable: Arc<dyn Appendable>,
    ) -> ManagerOptions {
        ManagerOptions {
            engine,
            queryable,
            appendable,
            notify: None,
            for_outage_tolerance: 3_600_000,
            for_grace_period: 600_000,
            resend_delay: 60_000,
            restore_for_state: true,
            restore_new_rule_groups: false,
            parse: ParseOptions::default(),
            concurrent_evals: false,
            max_concurrent_evals: 4,
        }
    }
}

impl std::fmt::Debug for ManagerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerOptions")
            .field("for_outage_tolerance", &self.for_outage_tolerance)
            .field("for_grace_period", &self.for_grace_period)
            .field("resend_delay", &self.resend_delay)
            .field("restore_for_state", &self.restore_for_state)
            .field("concurrent_evals", &self.concurrent_evals)
            .field("max_concurrent_evals", &self.max_concurrent_evals)
            .finish_non_exhaustive()
    }
}

/// What a configuration (re)load hands the manager.
#[derive(Debug, Clone, Default)]
pub struct RulesConfig {
    /// `global.evaluation_interval` in ms, for groups without their own.
    pub interval: i64,
    /// Rule files (globs already expanded, see [`crate::expand_rule_files`]).
    pub files: Vec<String>,
    /// `global.external_labels`.
    pub external_labels: Labels,
    /// `--web.external-url`.
    pub external_url: String,
    /// `global.rule_query_offset` in ms.
    pub default_query_offset: i64,
}

/// Wakes sleepers when a group or the manager stops.
#[derive(Debug, Default)]
struct Stopper {
    stopped: Mutex<bool>,
    cv: Condvar,
}

impl Stopper {
    fn stop(&self) {
        *lock(&self.stopped) = true;
        self.cv.notify_all();
    }

    fn is_stopped(&self) -> bool {
        *lock(&self.stopped)
    }

    /// Sleeps until `deadline`; true if stopped first.
    fn wait_until(&self, deadline: SystemTime) -> bool {
        let mut g = lock(&self.stopped);
        loop {
            if *g {
                return true;
            }
            let Ok(left) = deadline.duration_since(SystemTime::now()) else {
                return false;
            };
            g = self
                .cv
                .wait_timeout(g, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}

#[derive(Debug)]
struct Running {
    group: Arc<Group>,
    should_restore: bool,
    stop: Arc<Stopper>,
    thread: Option<JoinHandle<()>>,
    mark_stale: Arc<AtomicBool>,
}

#[derive(Debug, Default)]
struct State {
    groups: BTreeMap<(String, String), Running>,
    /// Whether a load happened already (later groups are not restored).
    loaded: bool,
    started: bool,
}

/// Evaluates recording and alerting rules.
#[derive(Debug)]
pub struct RuleManager {
    ctx: Arc<GroupContext>,
    restore_for_state: bool,
    restore_new_rule_groups: bool,
    parse: ParseOptions,
    state: Mutex<State>,
    done: Arc<Stopper>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn system_time(ms: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

impl RuleManager {
    /// A manager without groups.
    pub fn new(opts: ManagerOptions) -> RuleManager {
        RuleManager {
            ctx: Arc::new(GroupContext {
                querier: Querier {
                    engine: opts.engine,
                    queryable: opts.queryable,
                },
                appendable: opts.appendable,
                notify: opts.notify,
                resend_delay: opts.resend_delay,
                outage_tolerance: opts.for_outage_tolerance,
                for_grace_period: opts.for_grace_period,
                default_query_offset: Default::default(),
                metrics: Metrics::default(),
                concurrency: opts
                    .concurrent_evals
                    .then(|| EvalLimiter::new(opts.max_concurrent_evals)),
            }),
            restore_for_state: opts.restore_for_state,
            restore_new_rule_groups: opts.restore_new_rule_groups,
            parse: opts.parse,
            state: Mutex::new(State::default()),
            done: Arc::new(Stopper::default()),
        }
    }

    /// Loads the groups of `files` (without touching the running ones).
    fn load(&self, cfg: &RulesConfig, should_restore: bool) -> Result<Vec<Group>, LoadError> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for file in &cfg.files {
            let (groups, errs) = rulefmt::parse_file(std::path::Path::new(file), &self.parse);
            if !errs.is_empty() {
                errors.extend(errs);
                continue;
            }
            let Some(groups) = groups else { continue };
            for g in groups.groups {
                match self.build_group(file, g, cfg, should_restore) {
                    Ok(g) => out.push(g),
                    Err(e) => errors.push(*e),
                }
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(LoadError::Rules(errors))
        }
    }

    fn build_group(
        &self,
        file: &str,
        g: rulefmt::RuleGroup,
        cfg: &RulesConfig,
        should_restore: bool,
    ) -> Result<Group, Box<rulefmt::RuleError>> {
        let mut rules = Vec::with_capacity(g.rules.len());
        for r in &g.rules {
            let expr = vigil_promql::parse_with(&r.expr, self.parse.promql)
                .map_err(|e| {
                    Box::new(rulefmt::RuleError::File {
                        file: file.to_string(),
                        err: Box::new(rulefmt::RuleError::Yaml(e.to_string())),
                    })
                })?
                .to_string();
            let labels = merge_labels(&g.labels, &r.labels);
            if r.alert.is_empty() {
                rules.push(Rule::Recording(RecordingRule::new(
                    &r.record, &expr, labels,
                )));
                continue;
            }
            let annotations: Vec<(&str, &str)> = r
                .annotations
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            rules.push(Rule::Alerting(AlertingRule::new(AlertingRuleSpec {
                name: r.alert.clone(),
                expr,
                hold: r.for_ / 1_000_000,
                keep_firing_for: r.keep_firing_for / 1_000_000,
                labels,
                annotations: Labels::from_pairs(&annotations),
                external_labels: cfg.external_labels.clone(),
                external_url: cfg.external_url.clone(),
                restored: !should_restore,
            })));
        }
        let interval = if g.interval != 0 {
            g.interval / 1_000_000
        } else {
            cfg.interval
        };
        Ok(Group::new(
            GroupSpec {
                name: g.name,
                file: file.to_string(),
                interval,
                query_offset: g.query_offset.map(|ns| ns / 1_000_000),
                limit: g.limit,
                rules,
                external_url: cfg.external_url.clone(),
            },
            self.ctx.clone(),
        ))
    }

    /// Applies a configuration: loads `cfg.files` and, if all load, swaps
    /// the groups in (see the module docs). On error the running groups
    /// are left untouched.
    pub fn update(&self, cfg: &RulesConfig) -> Result<(), LoadError> {
        if self.done.is_stopped() {
            return Err(LoadError::Stopped);
        }
        let mut st = lock(&self.state);
        let should_restore = self.restore_for_state && (!st.loaded || self.restore_new_rule_groups);
        let loaded = self.load(cfg, should_restore)?;
        st.loaded = true;
        self.ctx
            .default_query_offset
            .store(cfg.default_query_offset, Ordering::Relaxed);
        let mut old = std::mem::take(&mut st.groups);
        for g in loaded {
            let k = (g.file().to_string(), g.name().to_string());
            match old.remove(&k) {
                Some(prev) if prev.group.equals(&g) => {
                    // The new copy never ran; its metrics entry is the old one's.
                    st.groups.insert(k, prev);
                }
                prev => {
                    if let Some(mut prev) = prev {
                        stop_running(&mut prev);
                        g.copy_state(&prev.group);
                    }
                    let mut running = Running {
                        group: Arc::new(g),
                        should_restore,
                        stop: Arc::new(Stopper::default()),
                        thread: None,
                        mark_stale: Arc::new(AtomicBool::new(false)),
                    };
                    if st.started {
                        self.spawn(&mut running);
                    }
                    st.groups.insert(k, running);
                }
            }
        }
        for (_, mut gone) in old {
            gone.mark_stale.store(true, Ordering::Relaxed);
            stop_running(&mut gone);
            self.ctx.metrics.remove_group(gone.group.key());
        }
        // Keys of kept groups may have been removed above if a group of
        // the same key was both dropped and re-added; make sure they exist.
        for r in st.groups.values() {
            let n = r.group.rules().len();
            let secs = r.group.interval() as f64 / 1000.0;
            self.ctx.metrics.group(r.group.key(), |v| {
                v.rules = n;
                v.interval_seconds = secs;
            });
        }
        Ok(())
    }

    /// Starts every group's thread (and those of later reloads).
    pub fn start(&self) {
        let mut st = lock(&self.state);
        if st.started || self.done.is_stopped() {
            return;
        }
        st.started = true;
        for r in st.groups.values_mut() {
            self.spawn(r);
        }
    }

    fn spawn(&self, r: &mut Running) {
        let group = r.group.clone();
        let stop = r.stop.clone();
        let done = self.done.clone();
        let mark_stale = r.mark_stale.clone();
        let should_restore = r.should_restore;
        let name = format!("rules:{}", group.name());
        let spawned = std::thread::Builder::new()
            .name(name.chars().take(15).collect())
            .spawn(move || run_group(&group, &stop, &done, &mark_stale, should_restore));
        match spawned {
            Ok(h) => r.thread = Some(h),
            Err(e) => log::error!("Starting rule group {} failed: {e}", r.group.key()),
        }
    }

    /// Stops every group and waits for them.
    pub fn stop(&self) {
        self.done.stop();
        let mut st = lock(&self.state);
        for r in st.groups.values() {
            r.stop.stop();
        }
        for r in st.groups.values_mut() {
            if let Some(h) = r.thread.take() {
                let _ = h.join();
            }
        }
    }

    /// Every group, sorted by file then name.
    pub fn rule_groups(&self) -> Vec<Arc<Group>> {
        lock(&self.state)
            .groups
            .values()
            .map(|r| r.group.clone())
            .collect()
    }

    /// Evaluates every group once at `ts` (ms), as a scheduled iteration
    /// would: for tests and for driving a manager that was not started.
    pub fn eval_at(&self, ts: i64) {
        for g in self.rule_groups() {
            g.iterate(ts);
        }
    }

    /// Restores every group's alert `for` state as of `now` (ms).
    pub fn restore_for_state(&self, now: i64) {
        for g in self.rule_groups() {
            g.restore_for_state(now);
        }
    }

    /// Snapshots of every group for `/api/v1/rules`.
    pub fn groups(&self) -> Vec<GroupSnapshot> {
        self.rule_groups()
            .iter()
            .map(|g| snapshot::group(g))
            .collect()
    }

    /// Every pending and firing alert, for `/api/v1/alerts`.
    pub fn alerts(&self) -> Vec<AlertSnapshot> {
        let mut out = Vec::new();
        for g in self.rule_groups() {
            for r in g.rules() {
                if let Rule::Alerting(ar) = r {
                    out.extend(ar.active_alerts().iter().map(snapshot::alert));
                }
            }
        }
        out
    }

    /// The manager's metrics.
    pub fn metrics(&self) -> Vec<vigil_exposition::MetricFamily> {
        self.ctx.metrics.families()
    }

    /// The metric values of group `file;name`, for tests.
    #[doc(hidden)]
    pub fn group_metric(&self, key: &str, name: &str) -> Option<f64> {
        let v = self.ctx.metrics.group_values(key)?;
        Some(match name {
            "evaluations" => v.evaluations as f64,
            "failures" => v.failures as f64,
            "iterations" => v.iterations as f64,
            "missed" => v.missed as f64,
            "rules" => v.rules as f64,
            "samples" => v.samples as f64,
            _ => return None,
        })
    }
}

impl Drop for RuleManager {
    fn drop(&mut self) {
        self.stop();
    }
}

fn stop_running(r: &mut Running) {
    r.stop.stop();
    if let Some(h) = r.thread.take() {
        let _ = h.join();
    }
}

/// A group's thread: the first evaluation at the slot after now, then one
/// per interval; after a start, the second evaluation is followed by the
/// restore of `for` state. Slots that passed while an evaluation ran are
/// counted as missed and skipped.
fn run_group(
    g: &Arc<Group>,
    stop: &Stopper,
    done: &Arc<Stopper>,
    mark_stale: &AtomicBool,
    mut should_restore: bool,
) {
    let interval = g.interval().max(1);
    let mut ts = g.eval_timestamp(now_ms()) + interval;
    if !stop.wait_until(system_time(ts)) {
        g.iterate(ts);
        loop {
            if stop.wait_until(system_time(ts + interval)) {
                break;
            }
            let missed = (now_ms() - ts) / interval - 1;
            if missed > 0 {
                g.ctx.metrics.group(g.key(), |v| {
                    v.missed += missed as u64;
                    v.iterations += missed as u64;
                });
            }
            ts += (missed.max(0) + 1) * interval;
            g.iterate(ts);
            if should_restore {
                g.restore_for_state(now_ms());
                should_restore = false;
            }
        }
    }
    if mark_stale.load(Ordering::Relaxed) {
        let series = g.take_previous_series();
        if series.is_empty() {
            return;
        }
        let (g, done) = (g.clone(), done.clone());
        let stopped_at = now_ms();
        // Wait two intervals so that a group moved to another file does
        // not see its own series marked stale, as Prometheus does.
        let spawned = std::thread::Builder::new()
            .name("rules:stale".into())
            .spawn(move || {
                if !done.wait_until(system_time(stopped_at + 2 * interval)) {
                    g.mark_stale(&series, stopped_at);
                }
            });
        if let Err(e) = spawned {
            log::warn!("Marking series of a removed rule group stale failed: {e}");
        }
    }
}
