use super::*;

fn meta(ulid: &str, min: i64, max: i64) -> (PathBuf, BlockMeta) {
    (
        PathBuf::from(ulid),
        BlockMeta {
            ulid: ulid.into(),
            min_time: min,
            max_time: max,
            stats: Default::default(),
            compaction: BlockMetaCompaction {
                level: 1,
                sources: vec![ulid.into()],
                ..Default::default()
            },
            version: 1,
            extra: Default::default(),
        },
    )
}

type Case = (Vec<(PathBuf, BlockMeta)>, Vec<&'static str>);

fn names(v: Vec<PathBuf>) -> Vec<String> {
    v.into_iter().map(|p| p.display().to_string()).collect()
}

/// Cases after Prometheus' `TestLeveledCompactor_plan`, ranges 20, 60, 180, 540.
#[test]
fn plan_like_prometheus() {
    let ranges = [20, 60, 180, 540];
    let cases: Vec<Case> = vec![
        (vec![], vec![]),
        (vec![meta("1", 0, 20)], vec![]),
        // The newest block is never included.
        (vec![meta("1", 0, 20), meta("2", 20, 40)], vec![]),
        (
            vec![meta("1", 0, 20), meta("2", 20, 40), meta("3", 40, 60)],
            vec![],
        ),
        (
            vec![
                meta("1", 0, 20),
                meta("2", 20, 40),
                meta("3", 40, 60),
                meta("4", 60, 80),
            ],
            vec!["1", "2", "3"],
        ),
        (
            vec![
                meta("2", 20, 40),
                meta("4", 60, 120),
                meta("5", 120, 180),
                meta("6", 180, 200),
            ],
            vec![],
        ),
        // Not the whole 180 range, but ending before the newest block.
        (
            vec![
                meta("2", 20, 40),
                meta("4", 60, 120),
                meta("5", 120, 180),
                meta("6", 180, 200),
                meta("7", 200, 220),
            ],
            vec!["2", "4", "5"],
        ),
        (
            vec![
                meta("1", 0, 60),
                meta("4", 60, 80),
                meta("5", 80, 100),
                meta("6", 100, 120),
                meta("7", 120, 140),
            ],
            vec!["4", "5", "6"],
        ),
        // Overlapping blocks come first.
        (
            vec![
                meta("1", 0, 20),
                meta("2", 19, 40),
                meta("3", 40, 60),
                meta("4", 60, 80),
            ],
            vec!["1", "2"],
        ),
        (
            vec![
                meta("1", 0, 20),
                meta("2", 20, 40),
                meta("3", 30, 50),
                meta("4", 35, 45),
            ],
            vec!["2", "3", "4"],
        ),
        // A block too large for its aligned range is skipped.
        (
            vec![
                meta("1", 0, 60),
                meta("2", 60, 120),
                meta("3", 120, 180),
                meta("4", 180, 240),
            ],
            vec!["1", "2", "3"],
        ),
    ];
    for (i, (blocks, want)) in cases.into_iter().enumerate() {
        assert_eq!(names(plan(&blocks, &ranges)), want, "case {i}");
    }
}

#[test]
fn plan_skips_failed_and_rewrites_tombstoned() {
    let ranges = [20, 60, 180];
    let mut b = vec![
        meta("1", 0, 20),
        meta("2", 20, 40),
        meta("3", 40, 60),
        meta("4", 60, 80),
    ];
    b[1].1.compaction.failed = true;
    assert!(plan(&b, &ranges).is_empty());
    let mut b = vec![meta("1", 0, 60), meta("2", 60, 80)];
    b[0].1.stats.num_series = 10;
    b[0].1.stats.num_tombstones = 1;
    assert_eq!(names(plan(&b, &ranges)), ["1"]);
}
