//! A head with a directory writes the chunks it cuts to `chunks_head/` in
//! Prometheus' format, reads them back for queries, and after a restart
//! (WAL replay) answers the same.

use std::collections::BTreeMap;

use vigil_model::{Labels, MatchType, Matcher};
use vigil_tsdb::chunks_head::HeadChunkFiles;
use vigil_tsdb::head::{Head, HeadOptions};

const SERIES: usize = 50;
const SAMPLES: i64 = 400;

fn labels(i: usize) -> Labels {
    Labels::from_pairs(&[("__name__", "m"), ("i", &i.to_string())])
}

fn all(head: &Head) -> BTreeMap<String, Vec<(i64, f64)>> {
    let m = Matcher::new(MatchType::Equal, "__name__", "m").unwrap();
    head.select(i64::MIN, i64::MAX, &[m])
        .map(|(l, s)| (format!("{l:?}"), s))
        .collect()
}

#[test]
fn cut_chunks_go_to_chunks_head_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let want: BTreeMap<String, Vec<(i64, f64)>> = (0..SERIES)
        .map(|i| {
            let s = (0..SAMPLES)
                .map(|k| (k * 1000, (i as i64 * k) as f64))
                .collect();
            (format!("{:?}", labels(i)), s)
        })
        .collect();
    {
        let (head, _) = Head::open(dir.path(), HeadOptions::default()).unwrap();
        for k in 0..SAMPLES {
            let mut app = head.appender();
            for i in 0..SERIES {
                app.append(&labels(i), k * 1000, (i as i64 * k) as f64)
                    .unwrap();
            }
            app.commit().unwrap();
        }
        assert_eq!(all(&head), want);
    }
    // Three chunks of 120 samples per series were cut and written.
    let files = HeadChunkFiles::open(&dir.path().join("chunks_head")).unwrap();
    let chunks: Vec<_> = files.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(chunks.len(), SERIES * 3);
    assert!(chunks.iter().all(|c| c.maxt - c.mint == 119_000));
    drop(files);
    let (head, _) = Head::open(dir.path(), HeadOptions::default()).unwrap();
    assert_eq!(all(&head), want);
}
