//! The notifier (Prometheus' `notifier/manager.go`): one bounded queue
//! of alerts, drained in batches of up to `max_batch_size` by
//! [`Notifier::run`], each batch POSTed to every known Alertmanager.
//!
//! [`Notifier::send`] adds the external labels an alert lacks and applies
//! `alert_relabel_configs`; when the queue is full the oldest alerts are
//! dropped (and counted). A batch is dropped (and counted) when some
//! `alertmanagers` entry with Alertmanagers had none accept it. Each
//! `alertmanagers` entry is a *set* named `config-<index>`, with its own
//! HTTP client, `alert_relabel_configs` and targets; targets come from
//! its static configs at [`Notifier::apply_config`] and from service
//! discovery through [`Notifier::set_alertmanagers`].

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::Notify;
use vigil_config::relabel::RelabelConfig;
use vigil_config::{AlertingConfig, AlertmanagerConfig};
use vigil_exposition::MetricFamily;
use vigil_model::Labels;

use crate::alert::{Alert, encode_v2, relabel_alerts};
use crate::alertmanager::{AlertmanagerGroup, alertmanagers_from_group, url_of};
use crate::client::AmClient;
use crate::error::NotifierError;
use crate::metrics::{Gauges, Metrics};

/// Most alerts in one POST (Prometheus' `DefaultMaxBatchSize`).
pub const DEFAULT_MAX_BATCH_SIZE: usize = 256;

/// How a notifier is built.
#[derive(Debug, Clone)]
pub struct NotifierOptions {
    /// `--alertmanager.notification-queue-capacity` (10000).
    pub queue_capacity: usize,
    /// `--alertmanager.drain-notification-queue-on-shutdown` (true).
    pub drain_on_shutdown: bool,
    /// Most alerts per POST (256).
    pub max_batch_size: usize,
    /// The `User-Agent` of requests.
    pub user_agent: String,
}

impl Default for NotifierOptions {
    fn default() -> Self {
        NotifierOptions {
            queue_capacity: 10_000,
            drain_on_shutdown: true,
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
            user_agent: concat!("Vigil/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// One `alertmanagers` entry and its current Alertmanagers.
#[derive(Debug)]
struct AmSet {
    cfg: AlertmanagerConfig,
    client: AmClient,
    /// Kept and dropped Alertmanagers, as their labels.
    targets: Mutex<(Vec<Labels>, Vec<Labels>)>,
}

impl AmSet {
    fn targets(&self) -> MutexGuard<'_, (Vec<Labels>, Vec<Labels>)> {
        self.targets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the Alertmanagers with those of `groups` (duplicates by
    /// URL removed; a group with a bad address is skipped).
    fn sync(&self, groups: &[AlertmanagerGroup]) {
        let mut kept: Vec<Labels> = Vec::new();
        let mut dropped = Vec::new();
        for g in groups {
            match alertmanagers_from_group(g, &self.cfg) {
                Ok((k, d)) => {
                    for am in k {
                        if !kept.iter().any(|x| url_of(x) == url_of(&am)) {
                            kept.push(am);
                        }
                    }
                    dropped.extend(d);
                }
                Err(e) => log::error!("Creating discovered Alertmanagers failed: {e}"),
            }
        }
        *self.targets() = (kept, dropped);
    }
}

#[derive(Debug, Default)]
struct Inner {
    queue: VecDeque<Alert>,
    external_labels: Labels,
    relabel: Vec<RelabelConfig>,
    sets: BTreeMap<String, Arc<AmSet>>,
}

/// Sends alerts to Alertmanagers.
#[derive(Debug)]
pub struct Notifier {
    opts: NotifierOptions,
    inner: Mutex<Inner>,
    more: Notify,
    stopping: AtomicBool,
    metrics: Metrics,
}

impl Notifier {
    /// A notifier without Alertmanagers.
    pub fn new(mut opts: NotifierOptions) -> Notifier {
        if opts.max_batch_size == 0 {
            opts.max_batch_size = DEFAULT_MAX_BATCH_SIZE;
        }
        Notifier {
            opts,
            inner: Mutex::new(Inner::default()),
            more: Notify::new(),
            stopping: AtomicBool::new(false),
            metrics: Metrics::default(),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies the `alerting` section and the external labels. Sets whose
    /// configuration did not change keep their Alertmanagers; others
    /// start from their static configs.
    pub fn apply_config(
        &self,
        cfg: &AlertingConfig,
        external_labels: &Labels,
    ) -> Result<(), NotifierError> {
        let mut sets = BTreeMap::new();
        for (i, amc) in cfg.alertmanagers.iter().enumerate() {
            let key = format!("config-{i}");
            let client = AmClient::new(&key, &amc.http, amc.sigv4.as_ref(), &self.opts.user_agent)?;
            sets.insert(
                key,
                AmSet {
                    cfg: amc.clone(),
                    client,
                    targets: Mutex::default(),
                },
            );
        }
        let mut inner = self.inner();
        for set in sets.values() {
            match inner.sets.values().find(|old| old.cfg == set.cfg) {
                Some(old) => *set.targets() = old.targets().clone(),
                None => set.sync(&AlertmanagerGroup::from_static(&set.cfg)),
            }
        }
        inner.sets = sets.into_iter().map(|(k, v)| (k, Arc::new(v))).collect();
        inner.external_labels = external_labels.clone();
        inner.relabel = cfg.alert_relabel_configs.clone();
        drop(inner);
        self.metrics.set_alertmanagers(&self.alertmanagers());
        Ok(())
    }

    /// Replaces the Alertmanagers of set `set` (`config-<index>`) with
    /// those service discovery found.
    pub fn set_alertmanagers(&self, set: &str, groups: &[AlertmanagerGroup]) {
        let found = self.inner().sets.get(set).cloned();
        match found {
            Some(s) => s.sync(groups),
            None => log::error!("couldn't sync alert manager set: invalid id:{set}"),
        }
        self.metrics.set_alertmanagers(&self.alertmanagers());
    }

    /// Queues alerts for sending (after external labels and relabeling).
    pub fn send(&self, alerts: Vec<Alert>) {
        if self.stopping.load(Ordering::Relaxed) {
            return;
        }
        self.metrics.received(alerts.len());
        let mut inner = self.inner();
        let mut alerts = relabel_alerts(&inner.relabel, &inner.external_labels, alerts);
        if alerts.is_empty() {
            return;
        }
        let cap = self.opts.queue_capacity;
        if alerts.len() > cap {
            let d = alerts.len() - cap;
            alerts.drain(..d);
            log::warn!("Alert batch larger than queue capacity, dropping alerts: num_dropped={d}");
            self.metrics.dropped(d);
        }
        let over = (inner.queue.len() + alerts.len()).saturating_sub(cap);
        if over > 0 {
            inner.queue.drain(..over);
            log::warn!("Alert notification queue full, dropping alerts: num_dropped={over}");
            self.metrics.dropped(over);
        }
        inner.queue.extend(alerts);
        drop(inner);
        self.more.notify_one();
    }

    /// Alerts waiting in the queue.
    pub fn queue_len(&self) -> usize {
        self.inner().queue.len()
    }

    /// URLs of the Alertmanagers alerts go to (`/api/v1/alertmanagers`).
    pub fn alertmanagers(&self) -> Vec<String> {
        let sets: Vec<Arc<AmSet>> = self.inner().sets.values().cloned().collect();
        sets.iter()
            .flat_map(|s| s.targets().0.iter().map(url_of).collect::<Vec<_>>())
            .collect()
    }

    /// URLs of discovered Alertmanagers relabeling dropped.
    pub fn dropped_alertmanagers(&self) -> Vec<String> {
        let sets: Vec<Arc<AmSet>> = self.inner().sets.values().cloned().collect();
        sets.iter()
            .flat_map(|s| s.targets().1.iter().map(url_of).collect::<Vec<_>>())
            .collect()
    }

    /// The notifier's metrics.
    pub fn metrics(&self) -> Vec<MetricFamily> {
        self.metrics.families(Gauges {
            queue_length: self.queue_len(),
            queue_capacity: self.opts.queue_capacity,
            alertmanagers: self.alertmanagers().len(),
        })
    }

    /// Alerts dropped so far (queue overflow, failed batches, shutdown).
    pub fn dropped_total(&self) -> u64 {
        self.metrics.dropped_total()
    }

    /// Alerts counted as sent to `url`, and those of them that failed.
    pub fn sent_and_errors(&self, url: &str) -> (u64, u64) {
        (self.metrics.sent_to(url), self.metrics.errors_of(url))
    }

    /// Asks [`Notifier::run`] to finish: it drains the queue first if
    /// `drain_on_shutdown`, else drops what is queued.
    pub fn stop(&self) {
        log::info!("Stopping notification manager...");
        self.stopping.store(true, Ordering::Relaxed);
        self.more.notify_one();
    }

    /// Sends batches while alerts arrive, until [`Notifier::stop`]; must
    /// run on a Tokio runtime (spawn it and await the handle after `stop`
    /// to wait for the drain).
    pub async fn run(&self) {
        while !self.stopping.load(Ordering::Relaxed) {
            if self.queue_len() == 0 {
                self.more.notified().await;
                continue;
            }
            self.send_one_batch().await;
        }
        if self.opts.drain_on_shutdown {
            log::info!("Draining any remaining notifications...");
            while self.queue_len() > 0 {
                self.send_one_batch().await;
            }
            log::info!("Remaining notifications drained");
        } else {
            let mut inner = self.inner();
            let n = inner.queue.len();
            inner.queue.clear();
            if n > 0 {
                log::warn!(
                    "Draining remaining notifications on shutdown is disabled, and some notifications have been dropped: count={n}"
                );
                self.metrics.dropped(n);
            }
        }
        log::info!("Notification manager stopped");
    }

    fn next_batch(&self) -> Vec<Alert> {
        let mut inner = self.inner();
        let n = inner.queue.len().min(self.opts.max_batch_size);
        inner.queue.drain(..n).collect()
    }

    async fn send_one_batch(&self) {
        let batch = self.next_batch();
        if !self.send_all(&batch).await {
            self.metrics.dropped(batch.len());
        }
    }

    /// POSTs `alerts` to every Alertmanager at once; true when every set
    /// that has Alertmanagers had at least one accept them.
    async fn send_all(&self, alerts: &[Alert]) -> bool {
        if alerts.is_empty() {
            return true;
        }
        let begin = Instant::now();
        let sets: Vec<Arc<AmSet>> = self.inner().sets.values().cloned().collect();
        let mut covered: HashMap<usize, bool> = HashMap::new();
        let mut posts = tokio::task::JoinSet::new();
        for (i, set) in sets.iter().enumerate() {
            let ams = set.targets().0.clone();
            if ams.is_empty() {
                continue;
            }
            let relabeled;
            let batch = if set.cfg.alert_relabel_configs.is_empty() {
                alerts
            } else {
                relabeled = relabel_alerts(
                    &set.cfg.alert_relabel_configs,
                    &Labels::empty(),
                    alerts.to_vec(),
                );
                if relabeled.is_empty() {
                    continue;
                }
                &relabeled[..]
            };
            let body = match encode_v2(batch) {
                Ok(b) => b,
                Err(e) => {
                    log::error!("Encoding alerts for Alertmanager API v2 failed: {e}");
                    return false;
                }
            };
            covered.insert(i, false);
            let timeout = set.cfg.timeout.to_std();
            for am in &ams {
                let url = url_of(am);
                let count = batch.len();
                let client = set.client.clone();
                let body = body.clone();
                posts.spawn(async move {
                    let res = match client.post(&url, body, timeout).await {
                        Ok(r) => send_one(r).await,
                        Err(e) => Err(e),
                    };
                    (i, url, count, res)
                });
            }
        }
        while let Some(done) = posts.join_next().await {
            let Ok((i, url, count, res)) = done else {
                continue;
            };
            let ok = match res {
                Ok(()) => true,
                Err(e) => {
                    log::error!("Error sending alerts: alertmanager={url} count={count} err={e}");
                    false
                }
            };
            if ok {
                covered.insert(i, true);
            }
            self.metrics
                .posted(&url, count, ok, begin.elapsed().as_secs_f64());
        }
        covered.values().all(|&c| c)
    }
}

async fn send_one(req: reqwest::RequestBuilder) -> Result<(), String> {
    let resp = req.send().await.map_err(|e| e.to_string())?;
    let status = resp.status();
    // Read the body so the connection can be reused.
    let _ = resp.bytes().await;
    if !status.is_success() {
        return Err(format!("bad response status {status}"));
    }
    Ok(())
}
