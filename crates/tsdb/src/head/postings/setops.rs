//! Set operations on postings lists: strictly increasing `u32` series
//! references.
//!
//! They work on borrowed lists and allocate only their result, because
//! matching a selector used to copy every list it touched (the metric
//! name's list alone holds tens of thousands of references) before
//! intersecting. When one list is much longer than the other, the longer
//! one is skipped through by galloping (exponential then binary search)
//! instead of being walked element by element.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// Above this length ratio, galloping through the longer list beats a
/// linear merge walk: a gallop costs about `2·log2(gap)` comparisons
/// where the walk costs `gap`, and its branches predict worse.
const GALLOP_RATIO: usize = 16;

/// Index of the first element of `b` not less than `x` (`b.len()` if
/// none), found by doubling the probe distance from the start, then
/// binary-searching the last window: `O(log i)` for an answer at `i`, so
/// repeated calls on the remaining tail cost little when answers are near.
fn seek(b: &[u32], x: u32) -> usize {
    let mut lo = 0;
    let mut step = 1;
    loop {
        // `lo + step - 1` is the probe; everything before `lo` is `< x`.
        let probe = lo + step - 1;
        match b.get(probe) {
            Some(&v) if v < x => {
                lo = probe + 1;
                step *= 2;
            }
            Some(_) => {
                let window = b.get(lo..=probe).unwrap_or(&[]);
                return lo + window.partition_point(|&v| v < x);
            }
            None => {
                let window = b.get(lo..).unwrap_or(&[]);
                return lo + window.partition_point(|&v| v < x);
            }
        }
    }
}

/// Sorted intersection of two sorted lists, allocating only the result.
pub(crate) fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(small.len());
    if small.is_empty() {
        return out;
    }
    if large.len() / small.len() >= GALLOP_RATIO {
        let mut rest = large;
        for &x in small {
            rest = rest.get(seek(rest, x)..).unwrap_or(&[]);
            match rest.split_first() {
                Some((&y, tail)) if y == x => {
                    out.push(x);
                    rest = tail;
                }
                Some(_) => {}
                None => break,
            }
        }
        return out;
    }
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (small.get(i), large.get(j)) {
        match x.cmp(&y) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                out.push(x);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Keeps in `acc` only the elements also in `b` (both sorted), in place:
/// the accumulator of a multi-way intersection is already the shortest
/// list, so narrowing it needs no further allocation.
pub(crate) fn retain_in(acc: &mut Vec<u32>, b: &[u32]) {
    let gallop = acc.is_empty() || b.len() / acc.len() >= GALLOP_RATIO;
    let mut rest = b;
    acc.retain(|&x| {
        if gallop {
            rest = rest.get(seek(rest, x)..).unwrap_or(&[]);
        } else {
            while rest.first().is_some_and(|&y| y < x) {
                rest = rest.get(1..).unwrap_or(&[]);
            }
        }
        rest.first() == Some(&x)
    });
}

/// Sorted intersection of all `lists` (none: empty), starting from the
/// shortest so every later step narrows the smallest possible set.
pub(crate) fn intersect_all(lists: &mut [&[u32]]) -> Vec<u32> {
    lists.sort_by_key(|l| l.len());
    let mut out = match lists {
        [] => return Vec::new(),
        [one] => return one.to_vec(),
        [first, second, ..] => intersect(first, second),
    };
    for l in lists.iter().skip(2) {
        if out.is_empty() {
            break;
        }
        retain_in(&mut out, l);
    }
    out
}

/// Sorted, deduplicated union of sorted lists, by merging them (they are
/// already sorted, so concatenating and re-sorting wastes a `log n`).
pub(crate) fn union(lists: &[&[u32]]) -> Vec<u32> {
    let lists: Vec<&[u32]> = lists.iter().copied().filter(|l| !l.is_empty()).collect();
    match lists.as_slice() {
        [] => Vec::new(),
        [one] => one.to_vec(),
        [a, b] => merge2(a, b),
        _ => merge_k(&lists),
    }
}

/// Union of two sorted lists by a merge walk.
fn merge2(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    loop {
        match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => match x.cmp(&y) {
                Ordering::Less => {
                    out.push(x);
                    i += 1;
                }
                Ordering::Greater => {
                    out.push(y);
                    j += 1;
                }
                Ordering::Equal => {
                    out.push(x);
                    i += 1;
                    j += 1;
                }
            },
            (Some(_), None) => {
                out.extend_from_slice(a.get(i..).unwrap_or(&[]));
                break;
            }
            (None, Some(_)) => {
                out.extend_from_slice(b.get(j..).unwrap_or(&[]));
                break;
            }
            (None, None) => break,
        }
    }
    out
}

/// Union of three or more sorted lists through a min-heap of list heads:
/// `O(n log k)` for `n` references in `k` lists.
fn merge_k(lists: &[&[u32]]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(lists.iter().map(|l| l.len()).sum());
    // (next value, list index); the remaining tail of each list in `rest`.
    let mut rest: Vec<&[u32]> = lists.to_vec();
    let mut heap: BinaryHeap<Reverse<(u32, usize)>> = rest
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.first().map(|&v| Reverse((v, i))))
        .collect();
    while let Some(Reverse((v, i))) = heap.pop() {
        // Equal values pop consecutively: dedup against the last output.
        if out.last() != Some(&v) {
            out.push(v);
        }
        if let Some(l) = rest.get_mut(i) {
            *l = l.get(1..).unwrap_or(&[]);
            if let Some(&next) = l.first() {
                heap.push(Reverse((next, i)));
            }
        }
    }
    out
}

/// Removes from `acc` the elements of `b` (both sorted), in place, by a
/// merge walk (galloping through `b` when it is much the longer).
pub(crate) fn subtract_in_place(acc: &mut Vec<u32>, b: &[u32]) {
    if b.is_empty() || acc.is_empty() {
        return;
    }
    let gallop = b.len() / acc.len() >= GALLOP_RATIO;
    let mut rest = b;
    acc.retain(|&x| {
        if gallop {
            rest = rest.get(seek(rest, x)..).unwrap_or(&[]);
        } else {
            while rest.first().is_some_and(|&y| y < x) {
                rest = rest.get(1..).unwrap_or(&[]);
            }
        }
        rest.first() != Some(&x)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Xorshift: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n.max(1)
        }
    }

    /// A random strictly increasing list: empty, one element, sparse or
    /// dense over a range shared with the other lists, so values repeat
    /// across lists.
    fn list(rng: &mut Rng) -> Vec<u32> {
        let len = match rng.below(6) {
            0 => 0,
            1 => 1,
            2 => rng.below(5) as usize,
            3 => rng.below(2000) as usize,
            _ => rng.below(200) as usize,
        };
        let span = 1 + rng.below(5000) as u32;
        let set: BTreeSet<u32> = (0..len)
            .map(|_| rng.below(u64::from(span)) as u32)
            .collect();
        set.into_iter().collect()
    }

    /// `a` without the elements of `b`, through [`subtract_in_place`].
    fn subtract(a: &[u32], b: &[u32]) -> Vec<u32> {
        let mut out = a.to_vec();
        subtract_in_place(&mut out, b);
        out
    }

    fn naive_union(lists: &[&[u32]]) -> Vec<u32> {
        let set: BTreeSet<u32> = lists.iter().flat_map(|l| l.iter().copied()).collect();
        set.into_iter().collect()
    }

    fn naive_intersect(lists: &[&[u32]]) -> Vec<u32> {
        match lists.split_first() {
            None => Vec::new(),
            Some((first, rest)) => first
                .iter()
                .copied()
                .filter(|x| rest.iter().all(|l| l.contains(x)))
                .collect(),
        }
    }

    fn naive_subtract(a: &[u32], b: &[u32]) -> Vec<u32> {
        a.iter().copied().filter(|x| !b.contains(x)).collect()
    }

    #[test]
    fn seek_finds_lower_bound() {
        let b = [2, 4, 4, 6, 8, 10, 12, 14, 16];
        for x in 0..20 {
            assert_eq!(seek(&b, x), b.partition_point(|&v| v < x), "{x}");
        }
        assert_eq!(seek(&[], 3), 0);
    }

    #[test]
    fn random_lists_agree_with_naive() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3000 {
            let k = rng.below(6) as usize;
            let owned: Vec<Vec<u32>> = (0..k).map(|_| list(&mut rng)).collect();
            let lists: Vec<&[u32]> = owned.iter().map(Vec::as_slice).collect();

            assert_eq!(union(&lists), naive_union(&lists), "{lists:?}");
            let mut sorted = lists.clone();
            assert_eq!(
                intersect_all(&mut sorted),
                naive_intersect(&lists),
                "{lists:?}"
            );
            if let [a, b, ..] = lists.as_slice() {
                assert_eq!(intersect(a, b), naive_intersect(&[a, b]));
                assert_eq!(subtract(a, b), naive_subtract(a, b));
                let mut acc = a.to_vec();
                retain_in(&mut acc, b);
                assert_eq!(acc, naive_intersect(&[a, b]));
            }
        }
    }

    /// Lopsided pairs exercise the galloping paths on both sides.
    #[test]
    fn galloping_agrees_with_naive() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for _ in 0..500 {
            let long: Vec<u32> = (0..5000u32).filter(|_| rng.below(3) != 0).collect();
            let short: BTreeSet<u32> = (0..rng.below(40)).map(|_| rng.below(5200) as u32).collect();
            let short: Vec<u32> = short.into_iter().collect();
            assert_eq!(intersect(&short, &long), naive_intersect(&[&short, &long]));
            assert_eq!(intersect(&long, &short), naive_intersect(&[&long, &short]));
            assert_eq!(subtract(&short, &long), naive_subtract(&short, &long));
            assert_eq!(subtract(&long, &short), naive_subtract(&long, &short));
            let mut acc = short.clone();
            retain_in(&mut acc, &long);
            assert_eq!(acc, naive_intersect(&[&short, &long]));
        }
    }

    #[test]
    fn edge_cases() {
        assert_eq!(union(&[]), Vec::<u32>::new());
        assert_eq!(union(&[&[], &[]]), Vec::<u32>::new());
        assert_eq!(union(&[&[1, 3], &[2, 3], &[]]), [1, 2, 3]);
        assert_eq!(union(&[&[7], &[7], &[7]]), [7]);
        assert_eq!(intersect_all(&mut []), Vec::<u32>::new());
        assert_eq!(intersect_all(&mut [&[5]]), [5]);
        assert_eq!(
            intersect_all(&mut [&[1, 2, 3], &[], &[2]]),
            Vec::<u32>::new()
        );
        assert_eq!(intersect(&[1, 2, 3, 4], &[0, 2, 4, 5]), [2, 4]);
        assert_eq!(subtract(&[1, 2, 3, 4], &[2, 4, 5]), [1, 3]);
        assert_eq!(subtract(&[], &[1]), Vec::<u32>::new());
        assert_eq!(subtract(&[1], &[]), [1]);
        assert_eq!(subtract(&[u32::MAX], &[u32::MAX]), Vec::<u32>::new());
        assert_eq!(intersect(&[u32::MAX], &[0, u32::MAX]), [u32::MAX]);
    }
}
