//! The running Alertmanager: its state behind one lock ([`Core`]), the
//! dispatcher task that flushes aggregation groups through the
//! notification pipeline (time intervals → inhibition → silences → dedup
//! by the notification log → send with retries), the maintenance task
//! (alert, silence and log garbage collection, snapshots), and reloads.
//! The HTTP API is in [`crate::api`].

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::alert::{Alert, AlertStore};
use crate::config::Config;
use crate::config::timeinterval::CivilTime;
use crate::dispatch::{AggrGroup, Dispatcher};
use crate::error::ConfigError;
use crate::inhibit::{Inhibitor, inhibited_by};
use crate::nflog::{Entry, NotificationLog, needs_update};
use crate::notify::{self, Notification, NotifyError};
use crate::routing::Route;
use crate::silence::Silences;
use crate::template::Templates;

/// Settings from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--config.file`.
    pub config_file: PathBuf,
    /// `--storage.path`: where silences and the notification log are kept.
    pub storage_path: PathBuf,
    /// `--web.external-url`.
    pub external_url: String,
    /// `--data.retention`: how long expired silences and log entries are kept.
    pub retention: Duration,
    /// Version reported by the API and in `User-Agent`.
    pub version: String,
}

/// Nanoseconds since the epoch.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Counters exported on `/metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    /// Alerts received, firing.
    pub received_firing: AtomicU64,
    /// Alerts received, resolved.
    pub received_resolved: AtomicU64,
    /// Alerts refused as invalid.
    pub invalid: AtomicU64,
    /// Config reloads: (last successful?, timestamp of last success).
    pub reload: Mutex<(bool, i64)>,
}

/// The state shared by the API and the background tasks.
#[derive(Debug)]
pub struct Core {
    /// The loaded configuration.
    pub config: Arc<Config>,
    /// Its text, for `/api/v2/status`.
    pub config_yaml: String,
    /// The routing tree.
    pub route: Route,
    /// Compiled inhibit rules.
    pub inhibitors: Vec<Inhibitor>,
    /// Alerts.
    pub alerts: AlertStore,
    /// Silences.
    pub silences: Silences,
    /// Notification log.
    pub nflog: NotificationLog,
    /// Aggregation groups.
    pub dispatcher: Dispatcher,
}

impl Core {
    /// Ids of the active silences muting an alert, and fingerprints of the
    /// alerts inhibiting it.
    pub fn status(&self, a: &Alert, now: i64) -> (Vec<String>, Vec<u64>) {
        (
            self.silences.mutes(a, now),
            inhibited_by(&self.inhibitors, &self.alerts, a, now),
        )
    }

    /// The receivers an alert is routed to, deduplicated in tree order.
    pub fn receivers(&self, a: &Alert) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.route.match_labels(&a.labels) {
            if !out.contains(&r.opts.receiver) {
                out.push(r.opts.receiver.clone());
            }
        }
        out
    }

    /// Whether the named time intervals contain `now` (evaluated in UTC).
    fn in_intervals(&self, names: &[String], now: i64) -> bool {
        let t = CivilTime::from_unix_utc(now.div_euclid(1_000_000_000));
        self.config
            .named_intervals()
            .filter(|ti| names.contains(&ti.name))
            .any(|ti| ti.time_intervals.iter().any(|i| i.contains(t)))
    }
}

/// A running Alertmanager.
#[derive(Debug)]
pub struct Alertmanager {
    core: Mutex<Core>,
    /// Wakes the dispatcher when alerts arrive or groups change.
    pub wake: tokio::sync::Notify,
    /// Settings.
    pub opts: Options,
    /// `/metrics` counters.
    pub counters: Counters,
    /// Sends through every integration, with the loaded templates and
    /// the `alertmanager_notification*` metrics.
    pub notifier: notify::Notifier,
    /// Process start (ns), for `uptime`.
    pub started: i64,
}

/// The configuration, its YAML as `/api/v2/status` shows it, and its
/// notification templates (defaults plus `templates` files), parsed once.
fn load(opts: &Options) -> Result<(Config, String, Templates), ConfigError> {
    let cfg = Config::load_file(&opts.config_file)?;
    let templates =
        Templates::from_globs(&cfg.templates).map_err(|e| ConfigError::Invalid(e.to_string()))?;
    let yaml = cfg.to_yaml();
    Ok((cfg, yaml, templates))
}

impl Alertmanager {
    /// Loads the configuration and the persisted state.
    pub fn new(opts: Options) -> Result<Arc<Alertmanager>, ConfigError> {
        let (cfg, yaml, templates) = load(&opts)?;
        let mut silences = Silences::new(
            Some(opts.storage_path.join("silences.json")),
            opts.retention,
        );
        silences
            .load()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let mut nflog = NotificationLog::new(Some(opts.storage_path.join("nflog.json")));
        nflog.load().map_err(ConfigError::Invalid)?;
        let route = Route::new(
            cfg.route
                .as_ref()
                .ok_or_else(|| ConfigError::Invalid("no route provided in config".into()))?,
        );
        let inhibitors = cfg.inhibit_rules.iter().map(Inhibitor::new).collect();
        let notifier = notify::Notifier::new(&opts.version)
            .map_err(|e| ConfigError::Invalid(format!("default templates: {e}")))?;
        notifier.set_templates(templates);
        let core = Core {
            config: Arc::new(cfg),
            config_yaml: yaml,
            route,
            inhibitors,
            alerts: AlertStore::default(),
            silences,
            nflog,
            dispatcher: Dispatcher::default(),
        };
        let counters = Counters::default();
        *counters.reload.lock().unwrap_or_else(|e| e.into_inner()) = (true, now_ns());
        Ok(Arc::new(Alertmanager {
            core: Mutex::new(core),
            wake: tokio::sync::Notify::new(),
            opts,
            counters,
            notifier,
            started: now_ns(),
        }))
    }

    /// The state, locked (a poisoned lock is recovered: the state stays usable).
    pub fn core(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Re-reads the configuration; on success the routing tree and groups
    /// are rebuilt from the alerts held. A failure keeps the old config.
    pub fn reload(&self) -> Result<(), ConfigError> {
        let result = load(&self.opts);
        let mut r = self
            .counters
            .reload
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (cfg, yaml, templates) = match result {
            Ok(v) => v,
            Err(e) => {
                r.0 = false;
                return Err(e);
            }
        };
        self.notifier.set_templates(templates);
        *r = (true, now_ns());
        drop(r);
        let now = now_ns();
        let mut core = self.core();
        if let Some(root) = &cfg.route {
            core.route = Route::new(root);
        }
        core.inhibitors = cfg.inhibit_rules.iter().map(Inhibitor::new).collect();
        core.config = Arc::new(cfg);
        core.config_yaml = yaml;
        core.dispatcher = Dispatcher::default();
        let alerts: Vec<Alert> = core.alerts.iter().map(|(_, a)| a.clone()).collect();
        let Core {
            dispatcher, route, ..
        } = &mut *core;
        for a in alerts.iter().filter(|a| !a.resolved_at(now)) {
            dispatcher.process(route, a, now);
        }
        drop(core);
        self.wake.notify_one();
        Ok(())
    }

    /// Stores alerts (already validated) and routes them.
    pub fn put_alerts(&self, alerts: Vec<Alert>) {
        let now = now_ns();
        let mut core = self.core();
        for a in alerts {
            let stored = core.alerts.put(a, now);
            let Core {
                dispatcher, route, ..
            } = &mut *core;
            dispatcher.process(route, &stored, now);
        }
        drop(core);
        self.wake.notify_one();
    }

    /// Flushes due groups until the process ends.
    pub async fn run_dispatcher(self: Arc<Self>) {
        loop {
            let now = now_ns();
            let due: Vec<_> = {
                let mut core = self.core();
                let keys = core.dispatcher.take_due(now);
                keys.into_iter()
                    .filter_map(|k| core.dispatcher.groups.get(&k).cloned().map(|g| (k, g)))
                    .collect()
            };
            for (key, group) in due {
                let me = self.clone();
                // Groups flush concurrently, as Alertmanager runs one goroutine per group.
                tokio::spawn(async move { me.flush(key, group).await });
            }
            let sleep = {
                let core = self.core();
                core.dispatcher
                    .next_deadline()
                    .map(|d| {
                        Duration::from_nanos(
                            u64::try_from(d.saturating_sub(now_ns()).max(1_000_000))
                                .unwrap_or(1_000_000),
                        )
                    })
                    .unwrap_or(Duration::from_secs(1))
                    .min(Duration::from_secs(1))
            };
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// One flush of a group through the notification pipeline.
    async fn flush(self: Arc<Self>, key: (String, String), group: AggrGroup) {
        let now = now_ns();
        let plan = {
            let core = self.core();
            let muted_by_time = (!group.opts.mute_time_intervals.is_empty()
                && core.in_intervals(&group.opts.mute_time_intervals, now))
                || (!group.opts.active_time_intervals.is_empty()
                    && !core.in_intervals(&group.opts.active_time_intervals, now));
            let alerts: Vec<Alert> = if muted_by_time {
                Vec::new()
            } else {
                group
                    .alerts
                    .values()
                    .filter(|a| {
                        let (s, i) = core.status(a, now);
                        s.is_empty() && i.is_empty()
                    })
                    .cloned()
                    .collect()
            };
            let receiver = core
                .config
                .receivers
                .iter()
                .find(|r| r.name == group.opts.receiver)
                .cloned();
            (alerts, receiver, core.config.clone())
        };
        let (alerts, receiver, _cfg) = plan;
        let Some(receiver) = receiver else {
            self.core().dispatcher.abort_flush(&key);
            return;
        };
        let all_sent = group.alerts.values().cloned().collect::<Vec<_>>();
        if alerts.is_empty() {
            self.core().dispatcher.finish_flush(&key, &all_sent, now);
            return;
        }
        let firing: BTreeSet<u64> = alerts
            .iter()
            .filter(|a| !a.resolved_at(now))
            .map(Alert::fingerprint)
            .collect();
        let resolved: BTreeSet<u64> = alerts
            .iter()
            .filter(|a| a.resolved_at(now))
            .map(Alert::fingerprint)
            .collect();
        let repeat = i64::try_from(group.opts.repeat_interval.as_nanos()).unwrap_or(i64::MAX);
        let retention = i64::try_from(self.opts.retention.as_nanos()).unwrap_or(i64::MAX);
        let mut ok = true;
        for (kind, idx) in notify::integrations(&receiver) {
            let log_key = format!("{}/{kind}/{idx}", receiver.name);
            let send_resolved = notify::send_resolved(&receiver, kind, idx);
            let due = {
                let core = self.core();
                needs_update(
                    core.nflog.query(&group.key, &log_key),
                    &firing,
                    &resolved,
                    send_resolved,
                    repeat,
                    now,
                )
            };
            if !due {
                continue;
            }
            let sent: Vec<Alert> = if send_resolved {
                alerts.clone()
            } else {
                alerts
                    .iter()
                    .filter(|a| !a.resolved_at(now))
                    .cloned()
                    .collect()
            };
            let result = if sent.is_empty() {
                Ok(())
            } else {
                let n = Notification {
                    receiver: receiver.name.clone(),
                    group_key: group.key.clone(),
                    group_labels: group.labels.clone(),
                    alerts: sent,
                    external_url: self.opts.external_url.clone(),
                    now,
                };
                self.send(kind, idx, &receiver, &n, group.opts.group_interval)
                    .await
            };
            if result.is_ok() {
                let mut core = self.core();
                core.nflog.log(
                    &group.key,
                    &log_key,
                    Entry {
                        firing: firing.clone(),
                        resolved: resolved.clone(),
                        timestamp: now,
                        expires_at: now.saturating_add(retention),
                    },
                );
            } else {
                ok = false;
            }
        }
        let mut core = self.core();
        if ok {
            core.dispatcher.finish_flush(&key, &all_sent, now);
        } else {
            core.dispatcher.abort_flush(&key);
        }
        drop(core);
        // The group may be due again already.
        self.wake.notify_one();
    }

    async fn send(
        &self,
        kind: &'static str,
        idx: usize,
        receiver: &crate::config::Receiver,
        n: &Notification,
        budget: Duration,
    ) -> Result<(), NotifyError> {
        self.notifier.send(kind, idx, receiver, n, budget).await
    }

    /// Garbage collection and snapshots, every `interval`, until the process ends.
    pub async fn run_maintenance(self: Arc<Self>, interval: Duration) {
        loop {
            tokio::time::sleep(interval).await;
            self.maintain();
        }
    }

    /// One round of garbage collection and snapshotting.
    pub fn maintain(&self) {
        let now = now_ns();
        let mut core = self.core();
        core.alerts.gc(now);
        if let Err(e) = core.silences.gc(now) {
            log::warn!("silence gc: {e}");
        }
        core.nflog.gc(now);
        if let Err(e) = core.nflog.persist() {
            log::warn!("writing the notification log: {e}");
        }
        if let Err(e) = core.silences.persist() {
            log::warn!("writing silences: {e}");
        }
    }
}
