//! Crash test: a child process appends and commits in a loop, printing every
//! sample once `commit` has returned; the parent kills it with SIGKILL at
//! random moments, reopens the head and checks every reported sample is
//! there with its value.
//!
//! The child is this test binary run again with `VIGIL_HEAD_CRASH_DIR` set,
//! executing only [`crash_child`].

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vigil_model::Labels;
use vigil_tsdb::head::{Head, HeadOptions};

const ENV_DIR: &str = "VIGIL_HEAD_CRASH_DIR";
const ENV_SEED: &str = "VIGIL_HEAD_CRASH_SEED";
const SERIES: u64 = 300;
const ROUNDS: usize = 5;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn opts() -> HeadOptions {
    HeadOptions {
        wal_segment_size: Some(128 * 1024),
        replay_threads: 2,
        ..HeadOptions::default()
    }
}

fn labels(s: u64) -> Labels {
    Labels::from_pairs(&[
        ("__name__", "crash_test"),
        ("series", &s.to_string()),
        ("pad", "some-longer-label-value-to-make-records-span-pages"),
    ])
}

fn value(s: u64, t: i64) -> f64 {
    (s as f64) * 1e6 + t as f64
}

/// The child: appends until killed (or for 30 s at most, should the parent
/// have died). Does nothing when run as an ordinary test.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(ENV_DIR) else {
        return;
    };
    let seed: u64 = std::env::var(ENV_SEED)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let (head, _) = Head::open(std::path::Path::new(&dir), opts()).unwrap();
    let mut rng = Rng(seed | 1);
    let mut t = head.stats().max_time.max(0) + 1;
    let mut out = std::io::stdout();
    // libtest may have printed a line start without a newline.
    out.write_all(b"\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut line = String::new();
    while Instant::now() < deadline {
        let n = 1 + rng.next() % 100;
        let mut app = head.appender();
        let mut batch = Vec::new();
        for _ in 0..n {
            let s = rng.next() % SERIES;
            if app.append(&labels(s), t, value(s, t)).is_ok() {
                batch.push(s);
            }
        }
        app.commit().unwrap();
        line.clear();
        for s in batch {
            line.push_str(&format!("C {s} {t}\n"));
        }
        out.write_all(line.as_bytes()).unwrap();
        out.flush().unwrap();
        t += 1;
    }
}

/// Parses the child's complete `C <series> <t>` lines.
fn committed(out: &[u8], into: &mut BTreeMap<u64, Vec<i64>>) -> usize {
    let text = String::from_utf8_lossy(out);
    let complete = match text.rfind('\n') {
        Some(i) => &text[..i],
        None => "",
    };
    let mut n = 0;
    for l in complete.lines() {
        let mut f = l.split(' ');
        if f.next() != Some("C") {
            continue;
        }
        let (Some(s), Some(t)) = (f.next(), f.next()) else {
            continue;
        };
        let (Ok(s), Ok(t)) = (s.parse::<u64>(), t.parse::<i64>()) else {
            continue;
        };
        into.entry(s).or_default().push(t);
        n += 1;
    }
    n
}

#[test]
fn kill_9_loses_no_committed_sample() {
    if std::env::var_os(ENV_DIR).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng(0x5eed_1234_abcd);
    let mut reported: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
    let mut repairs = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(ENV_DIR, dir.path())
            .env(ENV_SEED, (rng.next() % 1_000_000).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.read_to_end(&mut buf);
            buf
        });
        let wait = 100 + rng.next() % 401;
        std::thread::sleep(Duration::from_millis(wait));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        let out = reader.join().unwrap();
        let n = committed(&out, &mut reported);
        assert!(!status.success(), "child exited by itself: {status}");

        let (head, report) = Head::open(dir.path(), opts()).unwrap();
        if report.corruption.is_some() {
            repairs += 1;
        }
        let mut checked = 0;
        for (&s, ts) in &reported {
            let r = head
                .postings_for_matchers(&[vigil_model::Matcher::new(
                    vigil_model::MatchType::Equal,
                    "series",
                    s.to_string(),
                )
                .unwrap()])
                .first()
                .copied();
            let r = r.unwrap_or_else(|| panic!("round {round}: series {s} lost"));
            let got: BTreeMap<i64, f64> = head
                .select(
                    i64::MIN,
                    i64::MAX,
                    &[vigil_model::Matcher::new(
                        vigil_model::MatchType::Equal,
                        "series",
                        s.to_string(),
                    )
                    .unwrap()],
                )
                .flat_map(|(_, v)| v)
                .collect();
            assert_eq!(head.series_labels(r), Some(labels(s)));
            for &t in ts {
                assert_eq!(
                    got.get(&t),
                    Some(&value(s, t)),
                    "round {round}: series {s} t {t} committed but missing"
                );
                checked += 1;
            }
        }
        println!(
            "round {round}: killed after {wait} ms, {n} new committed samples reported, \
             {checked} verified, replay {:?}",
            (report.records, report.samples, report.corruption.is_some())
        );
        assert!(checked > 0 || round > 0, "child committed nothing");
    }
    let total: usize = reported.values().map(Vec::len).sum();
    println!("{ROUNDS} rounds, {total} committed samples verified, {repairs} WAL repairs");
    assert!(total > 1000, "too few samples to mean anything: {total}");
}
