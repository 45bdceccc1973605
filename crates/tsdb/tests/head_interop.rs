//! The head's WAL interoperates with Prometheus: Debian's
//! `promtool tsdb dump` replays a WAL that Vigil's head wrote and prints
//! exactly the samples that were committed.

mod common;

use std::process::Command;

use common::{Series, assert_same, generate, have, parse_dump};
use vigil_model::Labels;
use vigil_tsdb::head::{Head, HeadOptions};

#[test]
fn promtool_replays_vigil_head_wal() {
    if !have("promtool") {
        return;
    }
    let want: Series = generate(20);
    let dir = tempfile::tempdir().unwrap();
    {
        let opts = HeadOptions {
            wal_segment_size: Some(256 * 1024),
            ..HeadOptions::default()
        };
        let (head, _) = Head::open(dir.path(), opts).unwrap();
        let series: Vec<(Labels, &Vec<(i64, f64)>)> = want
            .iter()
            .map(|(k, v)| {
                let s = k
                    .trim_start_matches("{__name__=\"m_total\", s=\"")
                    .trim_end_matches("\"}");
                (Labels::from_pairs(&[("__name__", "m_total"), ("s", s)]), v)
            })
            .collect();
        // Scrape order: one sample of every series per commit.
        for i in 0..720 {
            let mut app = head.appender();
            for (l, samples) in &series {
                let (t, v) = samples[i];
                app.append(l, t, v).unwrap();
            }
            app.commit().unwrap();
        }
    }
    let out = Command::new("promtool")
        .args(["tsdb", "dump"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool tsdb dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = parse_dump(&String::from_utf8_lossy(&out.stdout));
    assert_same(&got, &want);
}
