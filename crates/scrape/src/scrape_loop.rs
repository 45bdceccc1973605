//! The scrape loop of one target: wait for the target's offset in the
//! interval, then scrape on every tick; each scrape appends its samples
//! and the synthetic series in one appender and commits once.
//!
//! A loop ends in one of three ways, told by its [`Stop`] channel:
//! `Shutdown` (the server stops: nothing more is written, the series simply
//! end), `Handover` (a reload gave the target to a new loop, which takes
//! over the cache and so the staleness bookkeeping), or `Remove` (the
//! target is gone: after the next two ticks and a tenth of an interval,
//! when a target that came back would have been scraped again, every
//! series of the last scrape and the synthetic series get stale markers at
//! the time of the first missed tick, as Prometheus' `endOfRunStaleness`).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use vigil_tsdb::db::Db;

use crate::append::{
    AppendOptions, AppendStats, Report, append_all_stale, append_body, append_report,
    append_report_stale,
};
use crate::buffers;
use crate::cache::ScrapeCache;
use crate::error::ScrapeError;
use crate::fetch::Fetcher;
use crate::metrics::ScrapeMetrics;
use crate::target::{Health, Target};

/// How a loop is asked to end (`Run` while it should go on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Run,
    Shutdown,
    Handover,
    Remove,
}

/// A target's cache, shared so that a reload can hand it to the next loop
/// and the API can read the metadata in it.
pub(crate) type SharedCache = Arc<Mutex<ScrapeCache>>;

pub(crate) fn lock_cache(c: &SharedCache) -> MutexGuard<'_, ScrapeCache> {
    c.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An error every scrape of a pool reports instead of scraping (the pool
/// is over its `target_limit`).
pub(crate) type ForcedError = Arc<Mutex<Option<ScrapeError>>>;

/// Everything a loop needs.
#[derive(Debug)]
pub(crate) struct LoopCtx {
    pub(crate) db: Arc<Db>,
    pub(crate) target: Arc<Target>,
    /// The pool's HTTP side, or why it could not be set up.
    pub(crate) fetcher: Result<Fetcher, ScrapeError>,
    pub(crate) opts: Arc<AppendOptions>,
    pub(crate) sample_limit: u64,
    pub(crate) cache: SharedCache,
    pub(crate) forced: ForcedError,
    pub(crate) metrics: Arc<ScrapeMetrics>,
    pub(crate) seed: u64,
    /// See `ScrapeOptions::align_tolerance`.
    pub(crate) align_tolerance: Option<Duration>,
    pub(crate) stop: watch::Receiver<Stop>,
    /// The loop this one takes over from; it must have ended first.
    pub(crate) wait_for: Option<JoinHandle<()>>,
    /// Whether the cache came from a loop that scraped.
    pub(crate) inherited: bool,
}

fn now_ms(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Waits until the loop is told to stop, and returns how.
async fn stopped(rx: &mut watch::Receiver<Stop>) -> Stop {
    loop {
        let s = *rx.borrow_and_update();
        if s != Stop::Run {
            return s;
        }
        if rx.changed().await.is_err() {
            // The pool is gone without a word: behave as at shutdown.
            return Stop::Shutdown;
        }
    }
}

/// Waits until the manager shuts down (a `Remove`d loop may still be
/// waiting to write its stale markers then).
async fn shutdown(rx: &mut watch::Receiver<Stop>) {
    loop {
        if *rx.borrow_and_update() == Stop::Shutdown || rx.changed().await.is_err() {
            return;
        }
    }
}

/// The timestamps a loop gives its scrapes. Timers fire a little late by
/// varying amounts; stamping samples with the clock would make every
/// timestamp delta differ and cost the chunk encoder bits per sample. Like
/// Prometheus, a scrape that starts within the tolerance after its
/// scheduled moment gets the scheduled moment instead.
#[derive(Debug)]
struct Schedule {
    interval: Duration,
    tolerance: Option<Duration>,
    next: Option<SystemTime>,
}

impl Schedule {
    fn new(interval: Duration, tolerance: Option<Duration>) -> Schedule {
        // Never more than 1 % of the interval, as Prometheus clamps it.
        let tolerance = tolerance.map(|t| t.min(interval / 100));
        Schedule {
            interval,
            tolerance,
            next: None,
        }
    }

    /// The timestamp of a scrape starting at `now`.
    fn stamp(&mut self, now: SystemTime) -> SystemTime {
        let Some(tolerance) = self.tolerance else {
            return now;
        };
        if self.interval.is_zero() {
            return now;
        }
        let mut aligned = *self.next.get_or_insert(now);
        // Skip the moments of ticks that were missed.
        while now
            .duration_since(aligned)
            .is_ok_and(|d| d >= self.interval)
        {
            aligned += self.interval;
        }
        self.next = Some(aligned);
        match now.duration_since(aligned) {
            Ok(late) if late <= tolerance => aligned,
            _ => now,
        }
    }
}

/// Runs a loop to its end.
pub(crate) async fn run(mut ctx: LoopCtx) {
    if let Some(prev) = ctx.wait_for.take() {
        let _ = prev.await;
    }
    let mut stop = ctx.stop.clone();
    let target = ctx.target.clone();
    let offset = target.offset(ctx.seed, SystemTime::now());
    let mut scraped = ctx.inherited;
    let mut ticker =
        tokio::time::interval_at(tokio::time::Instant::now() + offset, target.interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_tick: Option<Instant> = None;
    let mut schedule = Schedule::new(target.interval, ctx.align_tolerance);
    let how = loop {
        tokio::select! {
            biased;
            how = stopped(&mut stop) => break how,
            _ = ticker.tick() => {}
        }
        let now = Instant::now();
        if let Some(l) = last_tick {
            ctx.metrics
                .observe_interval(&target.interval_text, now.duration_since(l).as_secs_f64());
        }
        last_tick = Some(now);
        // A stop cancels a scrape still waiting on the target; appends
        // happen after the wait and are never cut in half.
        let mut body = buffers::take();
        tokio::select! {
            biased;
            how = stopped(&mut stop) => break how,
            fetched = fetch(&ctx, &mut body, schedule.stamp(SystemTime::now())) => {
                scrape_and_report(&ctx, fetched, &body);
                scraped = true;
            }
        }
        buffers::give(body);
    };
    if how == Stop::Remove && scraped {
        end_of_run(&ctx, &mut ticker, &mut stop).await;
    }
}

/// The HTTP part of a scrape, bounded by the timeout.
async fn fetch(
    ctx: &LoopCtx,
    body: &mut Vec<u8>,
    wall: SystemTime,
) -> (SystemTime, Instant, Result<Option<String>, ScrapeError>) {
    let start = Instant::now();
    let forced = ctx
        .forced
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    if let Some(e) = forced {
        body.clear();
        return (wall, start, Err(e));
    }
    let fetcher = match &ctx.fetcher {
        Ok(f) => f,
        Err(e) => return (wall, start, Err(e.clone())),
    };
    let t = &ctx.target;
    let res = match tokio::time::timeout(t.timeout, fetcher.fetch(&t.url, t.timeout, body)).await {
        Ok(r) => r,
        Err(_) => Err(ScrapeError::Timeout(t.url.clone())),
    };
    if matches!(res, Err(ScrapeError::BodySizeLimit)) {
        ctx.metrics
            .exceeded_body_size_limit
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    (wall, start, res)
}

/// Appends one scrape's outcome and updates the target's status.
fn scrape_and_report(
    ctx: &LoopCtx,
    (wall, start, fetched): (SystemTime, Instant, Result<Option<String>, ScrapeError>),
    body: &[u8],
) {
    let ts = now_ms(wall);
    let target = &ctx.target;
    let head = ctx.db.head();
    let mut cache = lock_cache(&ctx.cache);
    cache.begin();
    let mut app = head.appender();
    let (stats, err) = match &fetched {
        Ok(ct) => {
            let (stats, res) = append_body(
                &mut app,
                &mut cache,
                &target.public,
                &ctx.opts,
                body,
                ct.as_deref(),
                ts,
            );
            match res {
                Ok(()) => (stats, None),
                Err(e) => {
                    // Nothing of a body that failed half-way is kept.
                    app.rollback();
                    app = head.appender();
                    (stats, Some(e))
                }
            }
        }
        Err(e) => (AppendStats::default(), Some(e.clone())),
    };
    ctx.metrics.count_append(&stats);
    if err.is_some() {
        append_all_stale(&mut app, &mut cache, ts);
    }
    drop(cache);
    let duration = start.elapsed().as_secs_f64();
    let report = Report {
        up: err.is_none(),
        duration,
        stats,
        timeout: target.timeout.as_secs_f64(),
        sample_limit: ctx.sample_limit,
        body_bytes: if fetched.is_ok() {
            body.len() as u64
        } else {
            0
        },
    };
    let mut err = err;
    if let Err(e) = append_report(
        &mut app,
        &target.public,
        ts,
        &report,
        ctx.opts.extra_metrics,
    ) {
        err.get_or_insert(e);
    }
    if let Err(e) = app.commit() {
        err.get_or_insert(ScrapeError::Storage(e.to_string()));
    }
    let mut st = target.status();
    st.health = if err.is_none() {
        Health::Up
    } else {
        Health::Down
    };
    st.last_error = err.map(|e| e.to_string()).unwrap_or_default();
    st.last_scrape = Some(wall);
    st.last_duration = duration;
}

/// Stale markers for a target that went away; see the module docs.
async fn end_of_run(
    ctx: &LoopCtx,
    ticker: &mut tokio::time::Interval,
    stop: &mut watch::Receiver<Stop>,
) {
    let stale_at = tokio::select! {
        _ = shutdown(stop) => return,
        _ = ticker.tick() => SystemTime::now(),
    };
    tokio::select! {
        _ = shutdown(stop) => return,
        _ = ticker.tick() => {}
    }
    tokio::select! {
        _ = shutdown(stop) => return,
        _ = tokio::time::sleep(ctx.target.interval / 10) => {}
    }
    let ts = now_ms(stale_at);
    let head = ctx.db.head();
    let mut app = head.appender();
    append_all_stale(&mut app, &mut lock_cache(&ctx.cache), ts);
    append_report_stale(&mut app, &ctx.target.public, ts, ctx.opts.extra_metrics);
    // A target that came back has newer samples; its markers are then
    // refused as out of order, which is what we want.
    let _ = app.commit();
}

/// How long a loop that is told to stop may take before its task is
/// aborted at shutdown.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
