//! In-memory postings: for every label name and value, the sorted list of
//! series references carrying that pair, plus the list of all series.
//!
//! Matcher semantics follow Prometheus' `PostingsForMatchers`: a matcher that
//! does not match the empty string selects only series that have the label
//! with a matching value (a *positive* set, intersected); a matcher that does
//! match the empty string also selects series without the label, so it is
//! applied by *subtracting* the series whose value it rejects. With no
//! positive matcher, the subtraction starts from all series. An empty
//! matcher list selects nothing, as in Prometheus.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};

use vigil_model::{Labels, MatchType, Matcher};

mod setops;

/// Hashes label names and values with XXH3 under a per-process random
/// seed: several times cheaper than the standard SipHash on these short
/// strings (every new series hashes each of its labels twice), while
/// label values a scraped target chooses still cannot be crafted to
/// collide.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StrState(u64);

impl Default for StrState {
    fn default() -> StrState {
        use std::sync::OnceLock;
        static SEED: OnceLock<u64> = OnceLock::new();
        StrState(*SEED.get_or_init(|| {
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        }))
    }
}

impl BuildHasher for StrState {
    type Hasher = StrHasher;
    fn build_hasher(&self) -> StrHasher {
        StrHasher(self.0)
    }
}

/// See [`StrState`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct StrHasher(u64);

impl Hasher for StrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.0);
    }
    fn write_u8(&mut self, b: u8) {
        // `str` hashing ends with a 0xff marker byte: cheap mixing suffices.
        self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type StrMap<V> = HashMap<Box<str>, V, StrState>;

/// Label name → value → sorted series references.
#[derive(Debug, Default)]
pub(crate) struct MemPostings {
    by_name: StrMap<StrMap<Vec<u32>>>,
    all: Vec<u32>,
}

/// Inserts `r` into the sorted `v`; appends when `r` is the largest (the usual case).
fn insert_sorted(v: &mut Vec<u32>, r: u32) {
    match v.last() {
        None => v.push(r),
        Some(&last) if last < r => v.push(r),
        Some(_) => {
            if let Err(i) = v.binary_search(&r) {
                v.insert(i, r);
            }
        }
    }
}

impl MemPostings {
    /// Records that series `r` has `labels`.
    pub(crate) fn add(&mut self, r: u32, labels: &Labels) {
        insert_sorted(&mut self.all, r);
        for l in labels.iter() {
            let values = match self.by_name.get_mut(l.name) {
                Some(v) => v,
                None => self.by_name.entry(l.name.into()).or_default(),
            };
            let list = match values.get_mut(l.value) {
                Some(v) => v,
                None => values.entry(l.value.into()).or_default(),
            };
            insert_sorted(list, r);
        }
    }

    /// Removes series (reference and labels) from every list; lists,
    /// values and names left empty go too.
    pub(crate) fn delete<'a>(&mut self, series: impl Iterator<Item = (u32, &'a Labels)>) {
        let mut refs = Vec::new();
        let mut touched: HashSet<(&str, &str)> = HashSet::new();
        for (r, labels) in series {
            refs.push(r);
            for l in labels.iter() {
                touched.insert((l.name, l.value));
            }
        }
        refs.sort_unstable();
        let gone = |r: &u32| refs.binary_search(r).is_ok();
        self.all.retain(|r| !gone(r));
        for (name, value) in touched {
            let Some(values) = self.by_name.get_mut(name) else {
                continue;
            };
            if let Some(list) = values.get_mut(value) {
                list.retain(|r| !gone(r));
                if list.is_empty() {
                    values.remove(value);
                }
            }
            if values.is_empty() {
                self.by_name.remove(name);
            }
        }
    }

    /// Every series reference, sorted.
    pub(crate) fn all(&self) -> &[u32] {
        &self.all
    }

    /// Label names, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.by_name.keys().map(|k| k.to_string()).collect();
        v.sort_unstable();
        v
    }

    /// Values of label `name`, sorted.
    pub(crate) fn values(&self, name: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .by_name
            .get(name)
            .map(|m| m.keys().map(|k| k.to_string()).collect())
            .unwrap_or_default();
        v.sort_unstable();
        v
    }

    /// The union of the postings of every value of `name` that `keep`
    /// accepts; borrowed when at most one value matches.
    fn union_where(&self, name: &str, keep: impl Fn(&str) -> bool) -> Cow<'_, [u32]> {
        let Some(values) = self.by_name.get(name) else {
            return Cow::Borrowed(&[]);
        };
        let lists: Vec<&[u32]> = values
            .iter()
            .filter(|(v, _)| keep(v))
            .map(|(_, l)| l.as_slice())
            .collect();
        union_cow(&lists)
    }

    /// The union of the postings of the listed values of `name`; borrowed
    /// when at most one of them exists.
    fn union_of(&self, name: &str, set: &[impl AsRef<str>]) -> Cow<'_, [u32]> {
        let Some(values) = self.by_name.get(name) else {
            return Cow::Borrowed(&[]);
        };
        let lists: Vec<&[u32]> = set
            .iter()
            .filter_map(|v| values.get(v.as_ref()).map(Vec::as_slice))
            .collect();
        union_cow(&lists)
    }

    /// Series that have label `m.name()` with a value the *regex or literal*
    /// of `m` accepts, ignoring negation: for `=`/`!=` the value itself,
    /// for `=~`/`!~` the values the regex matches.
    fn matching_values(&self, m: &Matcher) -> Cow<'_, [u32]> {
        match m.kind() {
            MatchType::Equal | MatchType::NotEqual => match self.by_name.get(m.name()) {
                // Borrowed: `=` matchers (the metric name above all) are the
                // most common and their lists the longest.
                Some(values) => Cow::Borrowed(values.get(m.value()).map_or(&[], Vec::as_slice)),
                None => Cow::Borrowed(&[]),
            },
            MatchType::Regexp | MatchType::NotRegexp => {
                if let Some(set) = m.set_matches() {
                    return self.union_of(m.name(), set);
                }
                let re = m.fast_matcher();
                self.union_where(m.name(), |v| re.is_some_and(|re| re.is_match(v)))
            }
        }
    }

    /// Series references selected by all of `matchers`, sorted.
    pub(crate) fn for_matchers(&self, matchers: &[Matcher]) -> Vec<u32> {
        if matchers.is_empty() {
            return Vec::new();
        }
        let mut positive: Vec<Cow<'_, [u32]>> = Vec::new();
        let mut negative: Vec<Cow<'_, [u32]>> = Vec::new();
        for m in matchers {
            if m.matches_everything() {
                continue;
            }
            let positive_kind = matches!(m.kind(), MatchType::Equal | MatchType::Regexp);
            if !m.matches_empty() {
                // Only series with the label and an accepted value.
                let p = if positive_kind {
                    self.matching_values(m)
                } else {
                    // `!=`/`!~` not matching "": `{a!=""}`, `{a!~"|x"}`.
                    self.union_where(m.name(), |v| m.matches(v))
                };
                if p.is_empty() {
                    return Vec::new();
                }
                positive.push(p);
            } else if positive_kind {
                // `{a=""}`, `{a=~"|x"}`: subtract series whose value is rejected.
                negative.push(self.union_where(m.name(), |v| !m.matches(v)));
            } else {
                // `{a!="x"}`, `{a!~"x|y"}`: subtract series whose value the
                // literal/regex matches.
                negative.push(self.matching_values(m));
            }
        }
        let mut out = if positive.is_empty() {
            self.all.clone()
        } else {
            let mut lists: Vec<&[u32]> = positive.iter().map(|p| p.as_ref()).collect();
            setops::intersect_all(&mut lists)
        };
        for n in &negative {
            if out.is_empty() {
                break;
            }
            setops::subtract_in_place(&mut out, n);
        }
        out
    }
}

/// [`setops::union`] of `lists`, borrowing instead of copying when there
/// is at most one.
fn union_cow<'a>(lists: &[&'a [u32]]) -> Cow<'a, [u32]> {
    match lists {
        [] => Cow::Borrowed(&[]),
        [one] => Cow::Borrowed(one),
        _ => Cow::Owned(setops::union(lists)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(series: &[Labels], ms: &[Matcher]) -> Vec<u32> {
        if ms.is_empty() {
            return Vec::new();
        }
        series
            .iter()
            .enumerate()
            .filter(|(_, l)| ms.iter().all(|m| m.matches(l.get(m.name()).unwrap_or(""))))
            .map(|(i, _)| i as u32)
            .collect()
    }

    fn m(kind: MatchType, name: &str, value: &str) -> Matcher {
        Matcher::new(kind, name, value).unwrap()
    }

    #[test]
    fn matchers_agree_with_brute_force() {
        let mut series = Vec::new();
        let mut p = MemPostings::default();
        for i in 0..60u32 {
            let mut pairs = vec![("__name__", format!("m{}", i % 3))];
            if i % 2 == 0 {
                pairs.push(("a", format!("{}", i % 5)));
            }
            if i % 3 == 0 {
                pairs.push(("b", "x".to_string()));
            }
            if i % 7 == 0 {
                pairs.push(("c", format!("v{i}")));
            }
            let l = Labels::from_pairs(&pairs);
            p.add(i, &l);
            series.push(l);
        }
        use MatchType::*;
        let cases: Vec<Vec<Matcher>> = vec![
            vec![],
            vec![m(NotEqual, "a", "")],
            vec![m(Regexp, "a", ".*")],
            vec![m(NotRegexp, "a", "x")],
            vec![m(NotRegexp, "a", "1|2")],
            vec![m(Equal, "a", "")],
            vec![m(Regexp, "a", "")],
            vec![m(Regexp, "a", ".+")],
            vec![m(Regexp, "a", "|1")],
            vec![m(NotRegexp, "a", "|1")],
            vec![m(NotRegexp, "a", ".*")],
            vec![m(NotRegexp, "a", ".+")],
            vec![m(Equal, "a", "3")],
            vec![m(NotEqual, "a", "3")],
            vec![m(Regexp, "a", "1|3|9")],
            vec![m(Regexp, "a", "[0-2]")],
            vec![m(Equal, "nope", "")],
            vec![m(NotEqual, "nope", "")],
            vec![m(Equal, "nope", "x")],
            vec![m(Equal, "__name__", "m1"), m(NotEqual, "a", "1")],
            vec![m(Equal, "__name__", "m1"), m(Equal, "b", "")],
            vec![m(Regexp, "__name__", "m.*"), m(NotRegexp, "b", "x")],
            vec![m(Regexp, "c", "v.*"), m(NotEqual, "a", "")],
            vec![
                m(Equal, "b", "x"),
                m(Regexp, "a", "0|2"),
                m(NotEqual, "c", "v0"),
            ],
            vec![m(NotEqual, "a", "1"), m(NotRegexp, "b", "y")],
            vec![m(Regexp, "a", ".*"), m(Regexp, "b", ".*")],
        ];
        for ms in &cases {
            assert_eq!(p.for_matchers(ms), brute(&series, ms), "{ms:?}");
        }
        assert_eq!(p.names(), ["__name__", "a", "b", "c"]);
        assert_eq!(p.values("a"), ["0", "1", "2", "3", "4"]);
    }

    /// Random matcher sets over random series, against the brute-force scan.
    #[test]
    fn random_matchers_agree_with_brute_force() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let names = ["a", "b", "c"];
        let values = ["", "x", "y", "xy", "yx", "1", "10"];
        let patterns = [
            "", ".*", ".+", "x", "x|y", "x.*", ".*y", "[0-9]+", "|x", "(?i)X", "y?",
        ];
        let mut series = Vec::new();
        let mut p = MemPostings::default();
        for i in 0..200u32 {
            let pairs: Vec<(&str, &str)> = names
                .iter()
                .map(|&n| (n, values[rnd(values.len() as u64) as usize]))
                .collect();
            let l = Labels::from_pairs(&pairs);
            p.add(i, &l);
            series.push(l);
        }
        for _ in 0..2000 {
            let n = 1 + rnd(3) as usize;
            let ms: Vec<Matcher> = (0..n)
                .map(|_| {
                    let name = names[rnd(3) as usize];
                    match rnd(4) {
                        0 => m(MatchType::Equal, name, values[rnd(7) as usize]),
                        1 => m(MatchType::NotEqual, name, values[rnd(7) as usize]),
                        2 => m(MatchType::Regexp, name, patterns[rnd(11) as usize]),
                        _ => m(MatchType::NotRegexp, name, patterns[rnd(11) as usize]),
                    }
                })
                .collect();
            assert_eq!(p.for_matchers(&ms), brute(&series, &ms), "{ms:?}");
        }
    }

    #[test]
    fn out_of_order_refs_stay_sorted() {
        let mut p = MemPostings::default();
        let l = Labels::from_pairs(&[("a", "1")]);
        for r in [5, 1, 9, 3, 3] {
            p.add(r, &l);
        }
        assert_eq!(p.all(), &[1, 3, 5, 9]);
    }
}
