use super::*;
use crate::block::{BlockWriter, encoded_xor, xor_chunks};
use crate::head::{Head, HeadOptions};

fn rng(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut x = seed;
    move |n| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    }
}

fn m(kind: MatchType, name: &str, value: &str) -> Matcher {
    Matcher::new(kind, name, value).unwrap()
}

/// Random series written to a block and a head; random matcher sets select
/// the same label sets from the block's index, the head and a scan.
#[test]
fn block_postings_agree_with_brute_force_and_head() {
    let mut rnd = rng(0x2545_f491_4f6c_dd1d);
    let names = ["a", "b", "c"];
    let values = ["", "x", "y", "xy", "yx", "1", "10"];
    let patterns = [
        "", ".*", ".+", "x", "x|y", "x.*", ".*y", "[0-9]+", "|x", "(?i)X", "y?",
    ];
    let mut series: Vec<Labels> = (0..200)
        .map(|i| {
            let mut pairs: Vec<(&str, String)> = names
                .iter()
                .map(|&n| (n, values[rnd(values.len() as u64) as usize].to_string()))
                .collect();
            pairs.push(("i", i.to_string()));
            Labels::from_pairs(&pairs)
        })
        .collect();
    series.sort();
    let dir = tempfile::tempdir().unwrap();
    let head = Head::in_memory(HeadOptions::default());
    let mut w = BlockWriter::new(dir.path()).unwrap();
    let mut app = head.appender();
    for l in &series {
        let chunks = xor_chunks(&[(1, 1.0)]).unwrap();
        w.add_series(l.clone(), &encoded_xor(&chunks)).unwrap();
        app.append(l, 1, 1.0).unwrap();
    }
    app.commit().unwrap();
    let meta = w.finish(0, 10).unwrap();
    let block = Block::open(&dir.path().join(&meta.ulid)).unwrap();
    let mut b = LabelsBuilder::new();
    let mut chunks = Vec::new();
    for round in 0..1500 {
        let n = rnd(4) as usize; // 0..=3 matchers; none selects nothing
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
        let want: Vec<&Labels> = if ms.is_empty() {
            Vec::new()
        } else {
            series
                .iter()
                .filter(|l| ms.iter().all(|m| m.matches(l.get(m.name()).unwrap_or(""))))
                .collect()
        };
        let got: Vec<Labels> = block_postings(block.index(), &ms)
            .unwrap()
            .into_iter()
            .map(|id| block.index().series(id, &mut b, &mut chunks).unwrap())
            .collect();
        assert_eq!(
            got.iter().collect::<Vec<_>>(),
            want,
            "round {round}: {ms:?}"
        );
        let mut from_head: Vec<Labels> = head
            .postings_for_matchers(&ms)
            .into_iter()
            .filter_map(|r| head.series_labels(r))
            .collect();
        from_head.sort();
        assert_eq!(from_head, got, "head, round {round}: {ms:?}");
    }
}

/// Tombstones and the time range limit what a block returns.
#[test]
fn select_block_applies_range_and_tombstones() {
    let dir = tempfile::tempdir().unwrap();
    let l = Labels::from_pairs(&[("__name__", "m")]);
    let samples: Vec<(i64, f64)> = (0..300).map(|t| (t, t as f64)).collect();
    let mut w = BlockWriter::new(dir.path()).unwrap();
    w.add_series(l.clone(), &encoded_xor(&xor_chunks(&samples).unwrap()))
        .unwrap();
    let meta = w.finish(0, 300).unwrap();
    let bdir = dir.path().join(&meta.ulid);
    let mut stones = crate::block::Tombstones::new();
    let id = Block::open(&bdir)
        .unwrap()
        .index()
        .all_postings()
        .unwrap()
        .ids()
        .next()
        .unwrap();
    stones.insert(id, vec![(10, 19), (200, 1000)]);
    crate::block::write_tombstones(&bdir, &stones).unwrap();
    let block = Block::open(&bdir).unwrap();
    let all = m(MatchType::Equal, "__name__", "m");
    let got = select_block_data(&block, 5, 250, std::slice::from_ref(&all)).unwrap();
    assert_eq!(got.len(), 1);
    let want: Vec<(i64, f64)> = (5..200)
        .filter(|t| !(10..20).contains(t))
        .map(|t| (t, t as f64))
        .collect();
    assert_eq!(got[0].1.floats, want);
    assert!(
        select_block_data(&block, 300, 400, &[all])
            .unwrap()
            .is_empty()
    );
}
