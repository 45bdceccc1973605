//! The exemplar store (Prometheus' circular exemplar storage): one ring
//! buffer of a fixed number of exemplars shared by all series, each
//! series' exemplars chained oldest to newest through it, so memory is
//! bounded whatever the number of series and the oldest exemplar overall
//! is the one replaced. A series takes exemplars in time order only; the
//! same exemplar again is ignored.

use std::collections::HashMap;
use std::sync::Mutex;

use vigil_model::Labels;

/// An exemplar as stored and queried.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredExemplar {
    /// Its labels (e.g. `trace_id`).
    pub labels: Labels,
    /// Its value.
    pub value: f64,
    /// Its timestamp in milliseconds.
    pub ts: i64,
}

/// Why an exemplar was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExemplarReject {
    /// Older than (or at the time of, with another value) the series' newest.
    OutOfOrder,
    /// The same as the series' newest: nothing to do.
    Duplicate,
}

#[derive(Debug)]
struct Slot {
    series: u64,
    ex: StoredExemplar,
    /// The next (newer) exemplar of the same series.
    next: Option<usize>,
}

#[derive(Debug, Default)]
struct Ring {
    slots: Vec<Option<Slot>>,
    next: usize,
    /// Series reference → (oldest, newest) slot.
    by_series: HashMap<u64, (usize, usize)>,
}

/// The head's exemplars; a capacity of 0 stores nothing.
#[derive(Debug)]
pub(crate) struct Exemplars {
    capacity: usize,
    ring: Mutex<Ring>,
}

impl Exemplars {
    pub(crate) fn new(capacity: usize) -> Exemplars {
        Exemplars {
            capacity,
            ring: Mutex::new(Ring::default()),
        }
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `ex` may be added to `series` now.
    pub(crate) fn check(&self, series: u64, ex: &StoredExemplar) -> Result<(), ExemplarReject> {
        if self.capacity == 0 {
            return Ok(());
        }
        let ring = self.ring();
        Self::check_in(&ring, series, ex)
    }

    fn check_in(ring: &Ring, series: u64, ex: &StoredExemplar) -> Result<(), ExemplarReject> {
        let Some(&(_, newest)) = ring.by_series.get(&series) else {
            return Ok(());
        };
        let Some(Some(n)) = ring.slots.get(newest) else {
            return Ok(());
        };
        if ex.ts > n.ex.ts {
            Ok(())
        } else if ex.ts == n.ex.ts
            && ex.value.to_bits() == n.ex.value.to_bits()
            && ex.labels == n.ex.labels
        {
            Err(ExemplarReject::Duplicate)
        } else {
            Err(ExemplarReject::OutOfOrder)
        }
    }

    /// Adds `ex` to `series`, replacing the oldest exemplar when full.
    pub(crate) fn add(&self, series: u64, ex: StoredExemplar) -> Result<(), ExemplarReject> {
        if self.capacity == 0 {
            return Ok(());
        }
        let mut ring = self.ring();
        Self::check_in(&ring, series, &ex)?;
        let at = ring.next;
        if ring.slots.len() < self.capacity {
            ring.slots.push(None);
        }
        // The slot's previous exemplar is the oldest of its series.
        if let Some(old) = ring.slots.get_mut(at).and_then(Option::take) {
            match old.next {
                Some(n) => {
                    if let Some(e) = ring.by_series.get_mut(&old.series) {
                        e.0 = n;
                    }
                }
                None => {
                    ring.by_series.remove(&old.series);
                }
            }
        }
        let newest = ring.by_series.get(&series).map(|e| e.1);
        if let Some(prev) = newest
            .and_then(|n| ring.slots.get_mut(n))
            .and_then(Option::as_mut)
        {
            prev.next = Some(at);
        }
        match ring.by_series.get_mut(&series) {
            Some(e) => e.1 = at,
            None => {
                ring.by_series.insert(series, (at, at));
            }
        }
        if let Some(slot) = ring.slots.get_mut(at) {
            *slot = Some(Slot {
                series,
                ex,
                next: None,
            });
        }
        ring.next = (at + 1) % self.capacity;
        Ok(())
    }

    /// The exemplars of `series` with `mint <= ts <= maxt`, oldest first.
    pub(crate) fn select(&self, series: u64, mint: i64, maxt: i64) -> Vec<StoredExemplar> {
        let ring = self.ring();
        let mut out = Vec::new();
        let mut at = ring.by_series.get(&series).map(|e| e.0);
        while let Some(i) = at {
            let Some(Some(s)) = ring.slots.get(i) else {
                break;
            };
            if s.ex.ts >= mint && s.ex.ts <= maxt {
                out.push(s.ex.clone());
            }
            at = s.next;
        }
        out
    }

    /// Number of exemplars held.
    pub(crate) fn len(&self) -> usize {
        self.ring().slots.iter().filter(|s| s.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(ts: i64, v: f64) -> StoredExemplar {
        StoredExemplar {
            labels: Labels::from_pairs(&[("trace_id", &format!("t{ts}"))]),
            value: v,
            ts,
        }
    }

    #[test]
    fn ring_keeps_the_newest_and_orders_per_series() {
        let e = Exemplars::new(5);
        for ts in 0..4 {
            e.add(1, ex(ts, 1.0)).unwrap();
            e.add(2, ex(ts, 2.0)).unwrap();
        }
        // 8 added into 5 slots: the 3 oldest overall are gone.
        assert_eq!(e.len(), 5);
        let one: Vec<i64> = e
            .select(1, i64::MIN, i64::MAX)
            .iter()
            .map(|x| x.ts)
            .collect();
        let two: Vec<i64> = e
            .select(2, i64::MIN, i64::MAX)
            .iter()
            .map(|x| x.ts)
            .collect();
        assert_eq!(one, [2, 3]);
        assert_eq!(two, [1, 2, 3]);
        assert_eq!(e.select(2, 2, 2).len(), 1);
        assert_eq!(e.add(1, ex(3, 1.0)), Err(ExemplarReject::Duplicate));
        assert_eq!(e.add(1, ex(3, 9.0)), Err(ExemplarReject::OutOfOrder));
        assert_eq!(e.add(1, ex(1, 1.0)), Err(ExemplarReject::OutOfOrder));
        // A series whose exemplars were all replaced starts afresh.
        for ts in 10..20 {
            e.add(2, ex(ts, 2.0)).unwrap();
        }
        assert!(e.select(1, i64::MIN, i64::MAX).is_empty());
        e.add(1, ex(0, 1.0)).unwrap();
        assert_eq!(e.select(1, i64::MIN, i64::MAX).len(), 1);
    }

    #[test]
    fn capacity_zero_stores_nothing() {
        let e = Exemplars::new(0);
        e.add(1, ex(1, 1.0)).unwrap();
        assert_eq!(e.len(), 0);
        assert!(e.select(1, i64::MIN, i64::MAX).is_empty());
    }
}
