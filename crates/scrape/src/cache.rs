//! The scrape cache of one target.
//!
//! Keyed by the raw series bytes the parser hands back, it remembers what
//! became of each series the last time: its head reference, or that
//! metric relabeling dropped it. A series seen before therefore costs no
//! label parsing, no relabeling and no label lookup in the head. The final
//! labels are not kept: the head has them under the reference, and a few
//! hundred thousand scraped series would hold a second copy between
//! scrapes. The cache also tracks which series got a sample (without an
//! explicit timestamp) in the previous and the current scrape, which is
//! what staleness markers are computed from, and the metadata (`# HELP`,
//! `# TYPE`, `# UNIT`) the target exposes.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use vigil_model::MetricType;
use vigil_tsdb::head::SeriesRef;

/// Hashes the raw series bytes with xxh3: the default SipHash costs more
/// than the rest of a cache hit on lines of a hundred bytes.
#[derive(Default)]
pub(crate) struct RawHasher(u64);

impl Hasher for RawHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.0);
    }

    fn write_usize(&mut self, n: usize) {
        // The slice length prefix; the bytes follow.
        self.0 ^= n as u64;
    }
}

type RawMap<V> = HashMap<Box<[u8]>, V, BuildHasherDefault<RawHasher>>;

/// What the cache knows about a series.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) r: SeriesRef,
    /// The scrape that last saw it.
    seen: u64,
    /// Got a staleness-tracked sample in the previous successful scrape.
    prev: bool,
    /// Got one in this scrape.
    cur: bool,
}

/// Metadata of one metric family.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct MetaEntry {
    /// `# TYPE`.
    pub(crate) kind: MetricType,
    /// `# HELP`.
    pub(crate) help: String,
    /// `# UNIT`.
    pub(crate) unit: String,
    seen: u64,
}

/// Metadata is kept this many scrapes after its family was last exposed.
const META_KEEP_SCRAPES: u64 = 10;

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct ScrapeCache {
    iter: u64,
    series: RawMap<Entry>,
    dropped: RawMap<u64>,
    meta: HashMap<String, MetaEntry>,
}

/// The answer of a lookup.
#[derive(Debug)]
pub(crate) enum Lookup<'a> {
    /// Known series.
    Hit(&'a mut Entry),
    /// Dropped by relabeling last time.
    Dropped,
    /// Never seen (or flushed).
    Miss,
}

impl ScrapeCache {
    /// Starts a scrape.
    pub(crate) fn begin(&mut self) {
        self.iter += 1;
    }

    pub(crate) fn get(&mut self, raw: &[u8]) -> Lookup<'_> {
        let iter = self.iter;
        if let Some(e) = self.series.get_mut(raw) {
            e.seen = iter;
            return Lookup::Hit(e);
        }
        if let Some(d) = self.dropped.get_mut(raw) {
            *d = iter;
            return Lookup::Dropped;
        }
        Lookup::Miss
    }

    pub(crate) fn add(&mut self, raw: &[u8], r: SeriesRef) -> &mut Entry {
        let iter = self.iter;
        self.series.entry(raw.into()).or_insert(Entry {
            r,
            seen: iter,
            prev: false,
            cur: false,
        })
    }

    pub(crate) fn add_dropped(&mut self, raw: &[u8]) {
        self.dropped.insert(raw.into(), self.iter);
    }

    /// Records metadata of family `name`; `f` changes one field.
    pub(crate) fn set_meta(&mut self, name: &str, f: impl FnOnce(&mut MetaEntry)) {
        let iter = self.iter;
        let e = match self.meta.get_mut(name) {
            Some(e) => e,
            None => self.meta.entry(name.to_owned()).or_default(),
        };
        e.seen = iter;
        f(e);
    }

    /// Ends a successful scrape: returns the references of the series that
    /// had a tracked sample last time but not now (they get stale markers),
    /// then forgets series not seen in this scrape.
    pub(crate) fn end_success(&mut self) -> Vec<SeriesRef> {
        let iter = self.iter;
        let mut stale = Vec::new();
        for e in self.series.values_mut() {
            if e.prev && !e.cur {
                stale.push(e.r);
            }
            e.prev = e.cur;
            e.cur = false;
        }
        self.series.retain(|_, e| e.seen == iter);
        self.dropped.retain(|_, seen| *seen == iter);
        self.meta
            .retain(|_, m| iter.saturating_sub(m.seen) <= META_KEEP_SCRAPES);
        stale
    }

    /// Ends a failed scrape: every series tracked by the last successful
    /// scrape goes stale, and none counts as present any more.
    pub(crate) fn end_failure(&mut self) -> Vec<SeriesRef> {
        let mut stale = Vec::new();
        for e in self.series.values_mut() {
            if e.prev {
                stale.push(e.r);
            }
            e.prev = false;
            e.cur = false;
        }
        stale
    }

    /// Every metadata entry, sorted by family name.
    pub(crate) fn metadata(&self) -> Vec<(String, MetaEntry)> {
        let mut v: Vec<(String, MetaEntry)> = self
            .meta
            .iter()
            .map(|(k, m)| (k.clone(), m.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// One family's metadata.
    pub(crate) fn metadata_of(&self, name: &str) -> Option<MetaEntry> {
        self.meta.get(name).cloned()
    }

    /// Number of metadata entries and their approximate size in bytes.
    pub(crate) fn metadata_size(&self) -> (usize, usize) {
        let bytes = self
            .meta
            .iter()
            .map(|(k, m)| k.len() + m.help.len() + m.unit.len() + m.kind.as_str().len())
            .sum();
        (self.meta.len(), bytes)
    }
}

impl Entry {
    /// Marks that this series got a staleness-tracked sample now.
    pub(crate) fn track(&mut self) {
        self.cur = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness_bookkeeping() {
        let mut c = ScrapeCache::default();
        let (a, b) = (1, 2);
        c.begin();
        c.add(b"a", a).track();
        c.add(b"b", b).track();
        c.add_dropped(b"d");
        assert!(c.end_success().is_empty());
        c.begin();
        match c.get(b"a") {
            Lookup::Hit(e) => e.track(),
            other => panic!("{other:?}"),
        }
        assert!(matches!(c.get(b"d"), Lookup::Dropped));
        assert_eq!(c.end_success(), vec![b]);
        assert!(matches!(c.get(b"b"), Lookup::Miss), "flushed");
        c.begin();
        assert_eq!(c.end_failure(), vec![a]);
        c.begin();
        assert!(c.end_failure().is_empty(), "stale only once");
    }

    #[test]
    fn metadata_expires() {
        let mut c = ScrapeCache::default();
        c.begin();
        c.set_meta("m", |e| e.kind = MetricType::Counter);
        c.set_meta("m", |e| e.help = "h".into());
        c.end_success();
        assert_eq!(
            c.metadata_of("m").map(|e| e.kind),
            Some(MetricType::Counter)
        );
        for _ in 0..11 {
            c.begin();
            c.end_success();
        }
        assert!(c.metadata().is_empty());
    }
}
