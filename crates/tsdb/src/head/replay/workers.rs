//! Replay's sample workers: long-lived threads, each owning the series
//! whose reference modulo the number of workers is its own number. The
//! reading thread routes each batch's samples to them and goes on reading,
//! decoding and creating series while they apply, so reading and applying
//! overlap (as Prometheus' replay does with its per-shard goroutines).
//!
//! One more thread adds the series each batch creates to the postings.
//!
//! Batches travel in [`Shard`]s whose vectors are handed back once applied
//! and reused, so replaying millions of samples does not allocate (and
//! fault in) fresh memory for every batch.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender, channel, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use super::super::Head;
use super::super::series::SeriesHandle;
use crate::record::RefSample;
use crate::series_data::{HistRef, HistogramValue};

/// Batches queued per worker before the reading thread waits: enough to
/// keep a worker busy while the next batch is decoded, few enough to bound
/// the memory held in flight.
const QUEUE: usize = 2;

/// One worker's share of a batch, in WAL order.
#[derive(Debug, Default)]
pub(super) struct Shard {
    /// Float samples (series are already head references).
    pub(super) floats: Vec<RefSample>,
    /// Histogram samples, each with the number of `floats` that come
    /// before it in the WAL (kept apart: a histogram is far larger than a
    /// float sample, and most WALs hold none).
    pub(super) hists: Vec<(usize, u64, i64, HistogramValue)>,
}

impl Shard {
    fn is_empty(&self) -> bool {
        self.floats.is_empty() && self.hists.is_empty()
    }

    fn clear(&mut self) {
        self.floats.clear();
        self.hists.clear();
    }
}

/// What one worker did.
#[derive(Debug)]
pub(super) struct ShardResult {
    pub(super) applied: u64,
    pub(super) in_chunks: u64,
    pub(super) unknown: u64,
    pub(super) rejected: u64,
    pub(super) mint: i64,
    pub(super) maxt: i64,
}

impl Default for ShardResult {
    fn default() -> ShardResult {
        ShardResult {
            applied: 0,
            in_chunks: 0,
            unknown: 0,
            rejected: 0,
            mint: i64::MAX,
            maxt: i64::MIN,
        }
    }
}

/// The running workers, seen from the reading thread.
#[derive(Debug)]
pub(super) struct Workers<'s> {
    senders: Vec<SyncSender<Shard>>,
    handles: Vec<ScopedJoinHandle<'s, ShardResult>>,
    /// Applied shards coming back for reuse.
    spare: Receiver<Shard>,
    /// Empty shards at hand.
    free: Vec<Shard>,
    /// Shards sent and not yet back.
    in_flight: usize,
    /// New series for the postings thread.
    postings: SyncSender<Vec<(u32, SeriesHandle)>>,
    postings_handle: ScopedJoinHandle<'s, ()>,
    head: &'s Head,
}

impl<'s> Workers<'s> {
    /// Starts `n` workers (at least one) applying to `head`.
    pub(super) fn start<'e>(scope: &'s Scope<'s, 'e>, head: &'e Head, n: usize) -> Workers<'s> {
        let (spare_tx, spare) = channel();
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..n.max(1) {
            let (tx, rx) = sync_channel::<Shard>(QUEUE);
            let back: Sender<Shard> = spare_tx.clone();
            handles.push(scope.spawn(move || {
                let mut res = ShardResult::default();
                for mut shard in rx {
                    apply_shard(head, &shard, &mut res);
                    shard.clear();
                    // The reading thread may be gone already (an I/O error
                    // ended replay): the shard is simply dropped then.
                    let _ = back.send(shard);
                }
                res
            }));
            senders.push(tx);
        }
        let (postings, rx) = sync_channel::<Vec<(u32, SeriesHandle)>>(QUEUE);
        let postings_handle = scope.spawn(move || {
            for created in rx {
                head.add_postings(&created);
            }
        });
        Workers {
            senders,
            handles,
            spare,
            free: Vec::new(),
            in_flight: 0,
            postings,
            postings_handle,
            head,
        }
    }

    /// Number of workers.
    pub(super) fn len(&self) -> usize {
        self.senders.len()
    }

    /// One empty shard per worker, reusing applied ones.
    pub(super) fn shards(&mut self) -> Vec<Shard> {
        while let Ok(s) = self.spare.try_recv() {
            self.in_flight = self.in_flight.saturating_sub(1);
            self.free.push(s);
        }
        (0..self.len())
            .map(|_| self.free.pop().unwrap_or_default())
            .collect()
    }

    /// Hands shard `i` to worker `i`; waits while a worker's queue is full.
    pub(super) fn send(&mut self, shards: Vec<Shard>) {
        for (shard, tx) in shards.into_iter().zip(&self.senders) {
            if shard.is_empty() {
                self.free.push(shard);
                continue;
            }
            // A worker that panicked has hung up; its samples are lost
            // like any of its others, and its result reads as empty.
            if tx.send(shard).is_ok() {
                self.in_flight += 1;
            }
        }
    }

    /// Waits until every shard sent so far has been applied.
    pub(super) fn drain(&mut self) {
        while self.in_flight > 0 {
            match self
                .spare
                .recv_timeout(std::time::Duration::from_millis(100))
            {
                Ok(s) => {
                    self.in_flight -= 1;
                    self.free.push(s);
                }
                // A worker that ended while its queue is open panicked: what
                // it held never comes back, so stop waiting for it.
                Err(RecvTimeoutError::Timeout)
                    if !self.handles.iter().any(ScopedJoinHandle::is_finished) => {}
                Err(_) => break,
            }
        }
    }

    /// Queues new series for the postings.
    pub(super) fn add_postings(&mut self, created: Vec<(u32, SeriesHandle)>) {
        if created.is_empty() {
            return;
        }
        if let Err(e) = self.postings.send(created) {
            // The postings thread is gone (it panicked): add them here.
            self.head.add_postings(&e.0);
        }
    }

    /// Lets the workers finish what they hold and returns their results.
    pub(super) fn finish(self) -> Vec<ShardResult> {
        drop(self.postings);
        let _ = self.postings_handle.join();
        drop(self.senders);
        self.handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    }
}

/// A sample value being replayed.
enum Value<'a> {
    Float(f64),
    Hist(HistRef<'a>),
}

fn apply_shard(head: &Head, shard: &Shard, res: &mut ShardResult) {
    let mut hists = shard.hists.iter().peekable();
    for (i, f) in shard.floats.iter().enumerate() {
        while let Some((_, r, t, h)) = hists.next_if(|h| h.0 <= i) {
            apply_one(head, res, *r, *t, Value::Hist(h.as_ref()));
        }
        apply_one(head, res, f.series, f.t, Value::Float(f.v));
    }
    for (_, r, t, h) in hists {
        apply_one(head, res, *r, *t, Value::Hist(h.as_ref()));
    }
}

fn apply_one(head: &Head, res: &mut ShardResult, series: u64, t: i64, v: Value<'_>) {
    // Under the slot's lock: the series stays put without taking a handle
    // (lock order slot → series, as everywhere).
    let done = head.series.with(series, |s| {
        let mut st = s.lock();
        if st.open.is_none() && st.hist.is_none() && st.cut.last().is_some_and(|c| t <= c.maxt) {
            res.in_chunks += 1;
            return;
        }
        let range = head.opts.chunk_range;
        let cuts = st.cut.len();
        let ok = match v {
            Value::Float(v) => st.append(t, v, range),
            Value::Hist(h) => st.append_histogram(t, h, range),
        };
        if ok {
            if let Some(store) = &head.chunks {
                if st.cut.len() != cuts && st.has_unpersisted() {
                    st.persist_cut(series, store);
                }
            }
            res.applied += 1;
            res.mint = res.mint.min(t);
            res.maxt = res.maxt.max(t);
        } else {
            res.rejected += 1;
        }
    });
    if done.is_none() {
        res.unknown += 1;
    }
}
