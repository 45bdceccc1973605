//! Label sets: sorted `(name, value)` pairs packed into a single allocation.
//!
//! Memory per series is one of Vigil's headline figures, so a [`Labels`] value is
//! one boxed byte slice (two machine words on the stack) holding every pair in
//! name order:
//!
//! ```text
//! ┌──────────────┬──────────┬───────────────┬───────────┬─────┐
//! │ len(name) uv │ name ... │ len(value) uv │ value ... │ ... │   uv = unsigned LEB128 varint
//! └──────────────┴──────────┴───────────────┴───────────┴─────┘
//! ```
//!
//! The encoding is canonical (sorted by name, no duplicate names, no empty
//! values), so equality and hashing work on the raw bytes.

use std::cmp::Ordering;
use std::fmt;

/// The label that holds a series' metric name.
pub const METRIC_NAME: &str = "__name__";
/// Label set by a classic histogram's bucket series: the bucket's upper bound.
pub const BUCKET_LABEL: &str = "le";
/// Label set by a summary's quantile series.
pub const QUANTILE_LABEL: &str = "quantile";

/// One `(name, value)` pair borrowed from a [`Labels`] set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label<'a> {
    /// The label name.
    pub name: &'a str,
    /// The label value; never empty inside a [`Labels`] set.
    pub value: &'a str,
}

/// An immutable, sorted set of labels identifying one series.
///
/// Pairs with an empty value are dropped on construction, as in Prometheus,
/// where a label with an empty value is the same as no label.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Labels {
    data: Box<[u8]>,
}

fn put_uvarint(buf: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        buf.push((n as u8) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

/// Reads a varint length at `pos`; the buffer is always one we encoded ourselves.
fn get_uvarint(buf: &[u8], pos: &mut usize) -> usize {
    let mut n = 0usize;
    let mut shift = 0;
    while let Some(&b) = buf.get(*pos) {
        *pos += 1;
        n |= ((b & 0x7f) as usize) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    n
}

fn get_str<'a>(buf: &'a [u8], pos: &mut usize) -> &'a str {
    let len = get_uvarint(buf, pos);
    let start = *pos;
    let end = (start + len).min(buf.len());
    *pos = end;
    let bytes = buf.get(start..end).unwrap_or_default();
    // SAFETY: `Labels` buffers are only ever built by `encode_sorted` from `&str`
    // slices, so every string segment is valid UTF-8 and segment boundaries fall
    // on the lengths we wrote.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

impl Labels {
    /// The empty label set.
    pub fn empty() -> Labels {
        Labels::default()
    }

    /// Builds a label set from pairs in any order. Later duplicates of a name
    /// win; pairs with empty values are dropped.
    pub fn from_pairs<N: AsRef<str>, V: AsRef<str>>(pairs: &[(N, V)]) -> Labels {
        let mut b = LabelsBuilder::new();
        for (n, v) in pairs {
            b.set(n.as_ref(), v.as_ref());
        }
        b.build()
    }

    /// Number of labels in the set.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether the set has no labels.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Iterates the labels in name order.
    pub fn iter(&self) -> LabelsIter<'_> {
        LabelsIter {
            data: &self.data,
            pos: 0,
        }
    }

    /// The value of label `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        for l in self.iter() {
            match l.name.cmp(name) {
                Ordering::Less => continue,
                Ordering::Equal => return Some(l.value),
                Ordering::Greater => return None,
            }
        }
        None
    }

    /// Whether label `name` is present.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The metric name (`__name__`), if present.
    pub fn metric_name(&self) -> Option<&str> {
        self.get(METRIC_NAME)
    }

    /// A 64-bit hash of the whole set; stable within one process run only.
    pub fn hash64(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(&self.data)
    }

    /// Hash of only the labels whose names are in `names` (sorted or not).
    /// Used for `by (...)` grouping and `on (...)` matching.
    pub fn hash_for_labels(&self, names: &[&str]) -> u64 {
        self.hash_filtered(|n| names.contains(&n))
    }

    /// Hash of every label except `__name__` and those in `names`.
    /// Used for `without (...)` grouping and `ignoring (...)` matching.
    pub fn hash_without_labels(&self, names: &[&str]) -> u64 {
        self.hash_filtered(|n| n != METRIC_NAME && !names.contains(&n))
    }

    fn hash_filtered(&self, keep: impl Fn(&str) -> bool) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3Default::new();
        for l in self.iter().filter(|l| keep(l.name)) {
            h.update(l.name.as_bytes());
            h.update(&[0xff]);
            h.update(l.value.as_bytes());
            h.update(&[0xff]);
        }
        h.digest()
    }

    /// Approximate heap bytes held by this set.
    pub fn heap_bytes(&self) -> usize {
        self.data.len()
    }

    /// The canonical encoded bytes (see the module docs).
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// A builder initialised with this set's labels, for modification.
    pub fn to_builder(&self) -> LabelsBuilder {
        let mut b = LabelsBuilder::new();
        for l in self.iter() {
            b.push(l.name, l.value);
        }
        b
    }

    /// A copy without the labels in `names`.
    pub fn without(&self, names: &[&str]) -> Labels {
        let mut b = LabelsBuilder::new();
        for l in self.iter().filter(|l| !names.contains(&l.name)) {
            b.push(l.name, l.value);
        }
        b.build()
    }

    /// A copy keeping only the labels in `names`.
    pub fn keep_only(&self, names: &[&str]) -> Labels {
        let mut b = LabelsBuilder::new();
        for l in self.iter().filter(|l| names.contains(&l.name)) {
            b.push(l.name, l.value);
        }
        b.build()
    }
}

/// Iterator over the labels of a [`Labels`] set, in name order.
#[derive(Debug, Clone)]
pub struct LabelsIter<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for LabelsIter<'a> {
    type Item = Label<'a>;

    fn next(&mut self) -> Option<Label<'a>> {
        if self.pos >= self.data.len() {
            return None;
        }
        let name = get_str(self.data, &mut self.pos);
        let value = get_str(self.data, &mut self.pos);
        Some(Label { name, value })
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = Label<'a>;
    type IntoIter = LabelsIter<'a>;
    fn into_iter(self) -> LabelsIter<'a> {
        self.iter()
    }
}

impl Ord for Labels {
    /// Orders label sets as Prometheus does: pair by pair (name, then value);
    /// a set that is a prefix of another sorts first.
    fn cmp(&self, other: &Labels) -> Ordering {
        let mut a = self.iter();
        let mut b = other.iter();
        loop {
            match (a.next(), b.next()) {
                (None, None) => return Ordering::Equal,
                (None, Some(_)) => return Ordering::Less,
                (Some(_), None) => return Ordering::Greater,
                (Some(x), Some(y)) => match x.name.cmp(y.name).then(x.value.cmp(y.value)) {
                    Ordering::Equal => continue,
                    o => return o,
                },
            }
        }
    }
}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Labels) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Labels {
    /// Formats as `{a="1", b="2"}` with Go-style quoting, like Prometheus.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, l) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}=", l.name)?;
            crate::quote::write_quoted(f, l.value)?;
        }
        f.write_str("}")
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Reusable scratch space for building [`Labels`] without an allocation per label.
///
/// Pairs are appended in any order; [`LabelsBuilder::build`] sorts them and
/// drops empty values. `set` and `del` give override semantics, `push` is the
/// cheap append used by parsers.
#[derive(Debug, Default, Clone)]
pub struct LabelsBuilder {
    buf: String,
    /// `(name_start, name_end, value_start, value_end)` offsets into `buf`.
    spans: Vec<(u32, u32, u32, u32)>,
    /// Reused encode buffer.
    out: Vec<u8>,
}

impl LabelsBuilder {
    /// An empty builder.
    pub fn new() -> LabelsBuilder {
        LabelsBuilder::default()
    }

    /// Forgets every pair, keeping the allocated capacity.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.spans.clear();
    }

    /// Appends a pair without checking for an existing name. If the same name
    /// is pushed twice the last one wins at `build`.
    pub fn push(&mut self, name: &str, value: &str) {
        let ns = self.buf.len() as u32;
        self.buf.push_str(name);
        let ne = self.buf.len() as u32;
        self.buf.push_str(value);
        let ve = self.buf.len() as u32;
        self.spans.push((ns, ne, ne, ve));
    }

    /// Sets `name` to `value`, replacing any earlier value. An empty value
    /// removes the label.
    pub fn set(&mut self, name: &str, value: &str) {
        self.del(name);
        self.push(name, value);
    }

    /// Removes label `name` if present.
    pub fn del(&mut self, name: &str) {
        let buf = &self.buf;
        self.spans
            .retain(|s| &buf[s.0 as usize..s.1 as usize] != name);
    }

    /// The current value of `name`, if set and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.spans
            .iter()
            .rev()
            .find(|s| &self.buf[s.0 as usize..s.1 as usize] == name)
            .map(|s| &self.buf[s.2 as usize..s.3 as usize])
            .filter(|v| !v.is_empty())
    }

    /// Number of pairs pushed (before de-duplication).
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether no pair has been pushed.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Builds the sorted, de-duplicated label set. The builder keeps its pairs.
    pub fn build(&mut self) -> Labels {
        let buf = &self.buf;
        let name = |s: &(u32, u32, u32, u32)| &buf[s.0 as usize..s.1 as usize];
        // Stable sort keeps push order among equal names so the last push wins.
        self.spans.sort_by(|a, b| name(a).cmp(name(b)));
        self.out.clear();
        let n = self.spans.len();
        for i in 0..n {
            let s = self.spans[i];
            if i + 1 < n && name(&self.spans[i + 1]) == name(&s) {
                continue;
            }
            let value = &buf[s.2 as usize..s.3 as usize];
            if value.is_empty() {
                continue;
            }
            put_uvarint(&mut self.out, (s.1 - s.0) as usize);
            self.out.extend_from_slice(name(&s).as_bytes());
            put_uvarint(&mut self.out, value.len());
            self.out.extend_from_slice(value.as_bytes());
        }
        Labels {
            data: self.out.as_slice().into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_deduplicated() {
        let l = Labels::from_pairs(&[("job", "a"), ("__name__", "up"), ("job", "b"), ("x", "")]);
        let v: Vec<_> = l.iter().map(|l| (l.name, l.value)).collect();
        assert_eq!(v, vec![("__name__", "up"), ("job", "b")]);
        assert_eq!(l.get("job"), Some("b"));
        assert_eq!(l.get("x"), None);
        assert_eq!(l.metric_name(), Some("up"));
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn long_values_use_multi_byte_lengths() {
        let long = "v".repeat(300);
        let l = Labels::from_pairs(&[("a", long.as_str()), ("b", "c")]);
        assert_eq!(l.get("a"), Some(long.as_str()));
        assert_eq!(l.get("b"), Some("c"));
    }

    #[test]
    fn ordering_matches_prometheus() {
        let a = Labels::from_pairs(&[("a", "1")]);
        let b = Labels::from_pairs(&[("a", "1"), ("b", "1")]);
        let c = Labels::from_pairs(&[("a", "2")]);
        assert!(a < b);
        assert!(b < c);
    }

    #[test]
    fn display_quotes_values() {
        let l = Labels::from_pairs(&[("a", "x\"y\n"), ("b", "ü")]);
        assert_eq!(l.to_string(), r#"{a="x\"y\n", b="ü"}"#);
    }

    #[test]
    fn grouping_hashes() {
        let a = Labels::from_pairs(&[("__name__", "m"), ("a", "1"), ("b", "2")]);
        let b = Labels::from_pairs(&[("__name__", "n"), ("a", "1"), ("b", "3")]);
        assert_eq!(a.hash_for_labels(&["a"]), b.hash_for_labels(&["a"]));
        assert_ne!(
            a.hash_for_labels(&["a", "b"]),
            b.hash_for_labels(&["a", "b"])
        );
        assert_eq!(a.hash_without_labels(&["b"]), b.hash_without_labels(&["b"]));
    }
}
