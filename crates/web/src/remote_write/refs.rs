//! Head references of the series remote write has seen, keyed by the raw
//! bytes of their encoded labels.
//!
//! Senders encode a series' labels the same way every time, so a known
//! series costs one hash of its label bytes and one comparison instead of
//! UTF-8 checks, a label set build, sorting and the head's own lookup.
//! The full bytes are kept and compared: a hash alone could let a crafted
//! collision write into another series.
//!
//! Entries of series no longer sent must not pile up: the cache has two
//! generations, and every [`ROTATE`] the older one is dropped and the
//! current one becomes old. A hit in the old generation moves back.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use vigil_tsdb::db::Db;
use vigil_tsdb::head::SeriesRef;

/// How long an unused entry survives at least (and at most twice that).
const ROTATE: Duration = Duration::from_secs(15 * 60);

/// Lock stripes, so concurrent requests rarely wait on each other.
const SHARDS: usize = 16;

/// The keys are already hashes.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Map = HashMap<u64, (Box<[u8]>, SeriesRef), BuildHasherDefault<IdHasher>>;

#[derive(Default)]
struct Shard {
    cur: Map,
    old: Map,
}

/// See the module docs.
pub(super) struct SeriesRefs {
    shards: [Mutex<Shard>; SHARDS],
    born: Instant,
    /// Seconds after `born` of the last rotation.
    rotated: AtomicU64,
}

impl Default for SeriesRefs {
    fn default() -> SeriesRefs {
        SeriesRefs {
            shards: std::array::from_fn(|_| Mutex::default()),
            born: Instant::now(),
            rotated: AtomicU64::new(0),
        }
    }
}

/// The hash of a label encoding: CRC-32C (hardware-assisted, and already a
/// dependency for remote read) spread over 64 bits so the map's bucket and
/// tag bits both vary. Two series sharing a hash only cost the slow path.
pub(super) fn hash(key: &[u8]) -> u64 {
    u64::from(crc32c::crc32c(key)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl SeriesRefs {
    fn shard(&self, h: u64) -> std::sync::MutexGuard<'_, Shard> {
        // The high bits pick the stripe; the map uses all of them.
        self.shards[(h >> 60) as usize % SHARDS]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The reference cached for label encoding `key` (hashing to `h`).
    pub(super) fn get(&self, h: u64, key: &[u8]) -> Option<SeriesRef> {
        let mut s = self.shard(h);
        if let Some((k, r)) = s.cur.get(&h) {
            return (**k == *key).then_some(*r);
        }
        let (k, r) = s.old.remove(&h)?;
        if *k != *key {
            return None;
        }
        s.cur.insert(h, (k, r));
        Some(r)
    }

    /// Remembers `r` for `key`; a colliding entry is replaced.
    pub(super) fn insert(&self, h: u64, key: &[u8], r: SeriesRef) {
        let mut s = self.shard(h);
        match s.cur.get_mut(&h) {
            Some(e) if *e.0 == *key => e.1 = r,
            _ => {
                s.old.remove(&h);
                s.cur.insert(h, (key.into(), r));
            }
        }
    }

    /// Drops the old generation when it is due (see the module docs).
    pub(super) fn maybe_rotate(&self) {
        let now = self.born.elapsed().as_secs();
        let last = self.rotated.load(Ordering::Relaxed);
        if now.saturating_sub(last) < ROTATE.as_secs() {
            return;
        }
        if self
            .rotated
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        for shard in &self.shards {
            let mut s = shard.lock().unwrap_or_else(PoisonError::into_inner);
            s.old = std::mem::take(&mut s.cur);
        }
    }

    #[cfg(test)]
    fn rotate_now(&self) {
        for shard in &self.shards {
            let mut s = shard.lock().unwrap_or_else(PoisonError::into_inner);
            s.old = std::mem::take(&mut s.cur);
        }
    }
}

/// One cache per open database, found by the database's address. The
/// `Weak` keeps that address from being reused by another database while
/// the entry exists; entries of closed databases are pruned.
type Registry = Vec<(Weak<Db>, Arc<SeriesRefs>)>;

static REGISTRY: Mutex<Registry> = Mutex::new(Vec::new());

/// The cache of `db`.
pub(super) fn for_db(db: &Arc<Db>) -> Arc<SeriesRefs> {
    let mut reg = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, c)) = reg
        .iter()
        .find(|(w, _)| std::ptr::eq(w.as_ptr(), Arc::as_ptr(db)))
    {
        return Arc::clone(c);
    }
    reg.retain(|(w, _)| w.strong_count() > 0);
    let c = Arc::new(SeriesRefs::default());
    reg.push((Arc::downgrade(db), Arc::clone(&c)));
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_need_equal_bytes() {
        let c = SeriesRefs::default();
        c.insert(7, b"abc", 1);
        assert_eq!(c.get(7, b"abc"), Some(1));
        // Same hash, other bytes: a miss, never the other series.
        assert_eq!(c.get(7, b"abd"), None);
        c.insert(7, b"abd", 2);
        assert_eq!(c.get(7, b"abd"), Some(2));
        assert_eq!(c.get(7, b"abc"), None);
    }

    #[test]
    fn unused_entries_expire_after_two_rotations() {
        let c = SeriesRefs::default();
        c.insert(hash(b"a"), b"a", 1);
        c.insert(hash(b"b"), b"b", 2);
        c.rotate_now();
        assert_eq!(c.get(hash(b"a"), b"a"), Some(1), "moved back");
        c.rotate_now();
        assert_eq!(c.get(hash(b"a"), b"a"), Some(1));
        assert_eq!(c.get(hash(b"b"), b"b"), None, "expired");
    }
}
