//! `vigil tool tsdb` against Debian's `promtool tsdb` (2.42) on generated
//! OpenMetrics input: 200 counter series × 3 h (15 s steps with ±300 ms
//! jitter, sub-second timestamps, counter resets, NaN and ±Inf) and a gauge
//! family of 30 series with three labels and large random values.
//!
//! Differences between promtool 2.42 and the 3.x behaviour Vigil follows,
//! and how the comparison allows for them:
//! - 3.x also cuts a head chunk once it is over 1005 bytes, so blocks
//!   created from the same input may have more chunks than 2.42 writes:
//!   block counts, time ranges, sample and series counts and every sample
//!   are compared, chunk counts and sizes are not.
//! - `analyze` prints `Total Series:` in 3.x and `Series:` in 2.42. Its
//!   lists order equal counts arbitrarily (Go's unstable sort over map
//!   order), so each list is compared as a set with a limit large enough
//!   to print all of it, and by its counts alone with the default limit.
//! - 2.42 has no `dump-openmetrics`: it is checked by round-tripping
//!   through promtool's backfill. 2.42 takes one `dump --match`; several
//!   are checked against a filter of promtool's full dump.
//! - `analyze --extended` prints 2.42's "Fullness" chart where 3.x prints
//!   min/avg/max and a histogram per chunk property: only its presence is
//!   checked.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "vigil-tool-tsdb-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn have_promtool() -> bool {
    let ok = Command::new("promtool")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is required in CI (Debian package `prometheus`)"
        );
        println!("skipped: promtool not installed");
    }
    ok
}

fn run(program: &str, args: &[&str], dirs: &[&Path]) -> Output {
    let mut c = Command::new(program);
    if program == VIGIL {
        c.args(["tool", "tsdb"]);
    } else {
        c.arg("tsdb");
    }
    c.args(args).args(dirs).output().unwrap()
}

/// Runs and requires success; returns stdout.
fn ok(program: &str, args: &[&str], dirs: &[&Path]) -> String {
    let o = run(program, args, dirs);
    assert!(
        o.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Deterministic pseudo-random numbers (64-bit LCG).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

fn om_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v:?}")
    }
}

fn generate() -> String {
    let base = 1_700_000_000_000i64;
    let mut rng = Rng(42);
    let mut om = String::from("# HELP m_total A counter.\n# TYPE m_total counter\n");
    for s in 0..200 {
        let (mut t, mut v) = (base, 0.0f64);
        for i in 0..720i64 {
            t += 15_000 + (rng.next() % 601) as i64 - 300;
            v = if i % 200 == 199 {
                3.0
            } else {
                v + (i % 13) as f64 * 0.25 + s as f64
            };
            let out = match (s, i) {
                (5, 100) => f64::NAN,
                (6, 50) => f64::INFINITY,
                (6, 51) => f64::NEG_INFINITY,
                _ => v,
            };
            let _ = writeln!(
                om,
                "m_total{{s=\"{s:03}\"}} {} {}.{:03}",
                om_float(out),
                t / 1000,
                t % 1000
            );
        }
    }
    om.push_str("# TYPE g gauge\n");
    for j in 0..30 {
        let mut t = base;
        for _ in 0..720 {
            t += 15_000 + (rng.next() % 601) as i64 - 300;
            let v = if j % 2 == 1 {
                (rng.next() % 10_000_000) as f64 * 1.37
            } else {
                (rng.next() % 6) as f64
            };
            let _ = writeln!(
                om,
                "g{{a=\"x{}\",b=\"y{}\",c=\"z{j}\"}} {} {}.{:03}",
                j % 3,
                j % 5,
                om_float(v),
                t / 1000,
                t % 1000
            );
        }
    }
    om.push_str("# EOF\n");
    om
}

type Samples = BTreeMap<String, Vec<(i64, u64)>>;

/// Parses `tsdb dump` output into label set → (timestamp, value bits).
fn parse_dump(out: &str) -> Samples {
    let mut s = Samples::new();
    for line in out.lines() {
        let close = line.rfind('}').expect("labels in dump line");
        let (labels, rest) = line.split_at(close + 1);
        let mut parts = rest.split_whitespace();
        let v: f64 = match parts.next().expect("value") {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            x => x.parse().expect("float"),
        };
        let t: i64 = parts.next().expect("ts").parse().expect("int ts");
        s.entry(labels.to_owned())
            .or_default()
            .push((t, v.to_bits()));
    }
    s
}

/// Creates blocks from `om` with promtool and with Vigil.
fn backfill_both(om: &str) -> (TempDir, PathBuf, PathBuf, String) {
    let tmp = TempDir::new();
    let input = tmp.path().join("in.om");
    std::fs::write(&input, om).unwrap();
    let (p, v) = (tmp.path().join("p"), tmp.path().join("v"));
    let args = ["create-blocks-from", "openmetrics"];
    ok("promtool", &args, &[&input, &p]);
    let table = ok(VIGIL, &args, &[&input, &v]);
    // promtool opens the directory as a database, which needs a WAL.
    std::fs::create_dir(p.join("wal")).unwrap();
    std::fs::create_dir(v.join("wal")).unwrap();
    (tmp, p, v, table)
}

/// `tsdb list` rows without the ULID, chunk and size columns.
fn ranges(list: &str) -> Vec<String> {
    list.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {} {} {} {}", f[1], f[2], f[3], f[4], f[6])
        })
        .collect()
}

#[test]
fn create_dump_list_against_promtool() {
    if !have_promtool() {
        return;
    }
    let (_tmp, p, v, table) = backfill_both(&generate());

    // (a) The same samples and blocks from the same input.
    let want = parse_dump(&ok("promtool", &["dump"], &[&p]));
    let got = parse_dump(&ok("promtool", &["dump"], &[&v]));
    assert_eq!(want.len(), 230, "series");
    assert_eq!(want.values().map(Vec::len).sum::<usize>(), 230 * 720);
    assert!(
        got == want,
        "promtool reads other samples from Vigil's blocks"
    );
    let (pl, vl) = (
        ok("promtool", &["list"], &[&p]),
        ok("promtool", &["list"], &[&v]),
    );
    assert_eq!(ranges(&pl).len(), 2, "{pl}");
    assert_eq!(ranges(&vl), ranges(&pl));
    // The table printed while creating is `list`'s.
    let mut created: Vec<String> = table.lines().skip(1).map(str::to_owned).collect();
    let mut listed: Vec<String> = ok(VIGIL, &["list"], &[&v])
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect();
    created.sort();
    listed.sort();
    assert_eq!(
        created
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .collect::<Vec<_>>(),
        listed
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .collect::<Vec<_>>()
    );

    // (b) dump, byte for byte, whole and within a time range.
    let pd = ok("promtool", &["dump"], &[&p]);
    assert_eq!(ok(VIGIL, &["dump"], &[&p]), pd);
    let range = ["--min-time=1700003000000", "--max-time=1700007200123"];
    let range = ["dump", range[0], range[1]];
    assert_eq!(ok(VIGIL, &range, &[&p]), ok("promtool", &range, &[&p]));
    for m in [
        "g{a=\"x1\"}",
        "{__name__=~\"m.*\",s=~'00[1-3]'}",
        "{c!~\"z1.*\", __name__=\"g\"}",
        "{s=\"007\"}",
    ] {
        let m = format!("--match={m}");
        let args = ["dump", m.as_str()];
        assert_eq!(ok(VIGIL, &args, &[&p]), ok("promtool", &args, &[&p]), "{m}");
    }
    let want: String = pd
        .lines()
        .filter(|l| l.starts_with("{__name__=\"g\", a=\"x1\"") || l.contains("s=\"007\""))
        .flat_map(|l| [l, "\n"])
        .collect();
    let args = ["dump", "--match", "g{a=\"x1\"}", "--match", "{s=\"007\"}"];
    assert_eq!(ok(VIGIL, &args, &[&p]), want);

    // dump-openmetrics round-trips through promtool's backfill.
    let om = ok(VIGIL, &["dump-openmetrics"], &[&p]);
    assert!(om.ends_with("# EOF\n"));
    let (_tmp2, p2, _, _) = backfill_both(&om);
    assert!(parse_dump(&ok("promtool", &["dump"], &[&p2])) == parse_dump(&pd));

    // (c) list, byte for byte, plain and human-readable, on promtool's
    // blocks and on Vigil's.
    assert_eq!(ok(VIGIL, &["list"], &[&p]), pl);
    assert_eq!(
        ok(VIGIL, &["list", "-r"], &[&p]),
        ok("promtool", &["list", "-r"], &[&p])
    );
    assert_eq!(ok(VIGIL, &["list"], &[&v]), vl);
    // And dump of Vigil's blocks, byte for byte.
    assert_eq!(
        ok(VIGIL, &["dump"], &[&v]),
        ok("promtool", &["dump"], &[&v])
    );
}

/// `analyze` output split into its header and its lists.
fn analyze_parts(out: &str) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let mut header = Vec::new();
    let mut lists: Vec<(String, Vec<String>)> = Vec::new();
    for line in out.lines() {
        if line.ends_with(':') {
            lists.push((line.to_owned(), Vec::new()));
        } else if let Some((_, items)) = lists.last_mut() {
            if !line.is_empty() {
                items.push(line.to_owned());
            }
        } else {
            header.push(line.replace("Total Series:", "Series:"));
        }
    }
    (header, lists)
}

#[test]
fn analyze_against_promtool() {
    if !have_promtool() {
        return;
    }
    let (_tmp, p, v, _) = backfill_both(&generate());
    // promtool's blocks with both limits, and Vigil's blocks.
    let cases = [
        (&p, "--limit=1000"),
        (&p, "--limit=20"),
        (&v, "--limit=1000"),
    ];
    for (dir, limit) in cases {
        let (wh, wl) = analyze_parts(&ok("promtool", &["analyze", limit], &[dir]));
        let (gh, gl) = analyze_parts(&ok(VIGIL, &["analyze", limit], &[dir]));
        assert_eq!(gh, wh, "header");
        assert_eq!(gl.len(), 6);
        assert_eq!(
            gl.iter().map(|l| &l.0).collect::<Vec<_>>(),
            wl.iter().map(|l| &l.0).collect::<Vec<_>>()
        );
        for ((title, mut got), (_, mut want)) in gl.into_iter().zip(wl) {
            if limit == "--limit=20" {
                // Ties are ordered arbitrarily: compare the counts only.
                let counts = |v: &[String]| -> Vec<String> {
                    v.iter()
                        .map(|l| l.split(' ').next().unwrap_or("").to_owned())
                        .collect()
                };
                assert_eq!(counts(&got), counts(&want), "{title}");
            } else {
                got.sort();
                want.sort();
                assert_eq!(got, want, "{title}");
            }
        }
    }
    // An explicit block and the extended analysis run too.
    let list = ok(VIGIL, &["list"], &[&p]);
    let first = list
        .lines()
        .nth(1)
        .and_then(|l| l.split(' ').next())
        .unwrap();
    let out = ok(VIGIL, &["analyze", "--extended"], &[&p, Path::new(first)]);
    assert!(out.starts_with(&format!("Block ID: {first}\n")), "{out}");
    assert!(
        out.contains("\nCompaction analysis:\n\nsamples per float chunk (min/avg/max): "),
        "{out}"
    );
}

fn backfill_err(om: &str) -> (Option<i32>, String) {
    let tmp = TempDir::new();
    let input = tmp.path().join("in.om");
    std::fs::write(&input, om).unwrap();
    let o = run(
        VIGIL,
        &["create-blocks-from", "openmetrics"],
        &[&input, &tmp.path().join("out")],
    );
    let code = o.status.code();
    let promtool_code = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(tmp.path().join("p"))
        .output()
        .ok()
        .and_then(|o| o.status.code());
    if let Some(pc) = promtool_code {
        assert_eq!(
            code,
            Some(pc),
            "exit code differs from promtool's for {om:?}"
        );
    }
    (code, String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn bad_input_exits_1_naming_the_line() {
    let (code, err) = backfill_err("# TYPE a gauge\na{b=\"c\" 1 1\n# EOF\n");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("line 2"), "{err}");

    let (code, err) = backfill_err("# TYPE a gauge\na 1 1\n");
    assert_eq!(code, Some(1), "{err}");

    let (code, err) = backfill_err("# TYPE a gauge\na 1\n# EOF\n");
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("expected timestamp") && err.contains("line 2"),
        "{err}"
    );

    // Out of order after a commit (every 5000 samples) is an error...
    let mut om = String::from("# TYPE a gauge\n");
    for i in 0..5001 {
        let _ = writeln!(om, "a {i} {}", 100 + i);
    }
    om.push_str("a 1 50\n# EOF\n");
    let (code, err) = backfill_err(&om);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("out of order sample") && err.contains("line 5003"),
        "{err}"
    );
    // ... and so is another value at the last committed timestamp.
    om = om.replace("a 1 50\n", "a 7 5099\n");
    let (code, err) = backfill_err(&om);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("duplicate sample for timestamp"), "{err}");
}

#[test]
fn out_of_order_within_a_batch_is_dropped_as_promtool_does() {
    if !have_promtool() {
        return;
    }
    let om = "# TYPE a gauge\na 1 10.5\na 2 5\na 3 10.5\na 4 20\n# EOF\n";
    let (_tmp, p, v, _) = backfill_both(om);
    let want = ok("promtool", &["dump"], &[&p]);
    assert_eq!(want, "{__name__=\"a\"} 1 10500\n{__name__=\"a\"} 4 20000\n");
    assert_eq!(ok("promtool", &["dump"], &[&v]), want);
}

fn have_prometheus() -> bool {
    let ok = Command::new("prometheus")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "prometheus is required in CI (Debian package `prometheus`)"
        );
        println!("skipped: prometheus not installed");
    }
    ok
}

/// Kills the child (SIGKILL) if it is still running when dropped.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The head lives in the WAL only: Prometheus scrapes itself for a few
/// seconds and is stopped with SIGTERM, then both tools dump the WAL.
#[test]
fn dump_reads_the_head_from_the_wal_like_promtool() {
    use std::time::{Duration, Instant};
    if !have_promtool() || !have_prometheus() {
        return;
    }
    let tmp = TempDir::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = tmp.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 500ms\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .unwrap();
    let data = tmp.path().join("data");
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    // Wait (bounded) for a few scrapes to reach the WAL.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        let dumped = ok(VIGIL, &["dump", "--match", "up"], &[&data]);
        if dumped.lines().count() >= 4 {
            break;
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.0.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let want = ok("promtool", &["dump"], &[&data]);
    assert!(want.lines().count() >= 50, "{want}");
    assert_eq!(ok(VIGIL, &["dump"], &[&data]), want);
    let up: String = want
        .lines()
        .filter(|l| l.starts_with("{__name__=\"up\""))
        .flat_map(|l| [l, "\n"])
        .collect();
    assert!(!up.is_empty());
    assert_eq!(ok(VIGIL, &["dump", "--match", "up"], &[&data]), up);
}

/// Where no chunk outgrows 1005 bytes (the one cutting rule 3.x added),
/// Vigil's blocks have exactly promtool's chunk counts: chunks are cut
/// where the head cuts them.
#[test]
fn chunks_are_cut_where_the_head_cuts_them() {
    if !have_promtool() {
        return;
    }
    let counters: String = generate()
        .lines()
        .filter(|l| !l.starts_with("g{") && *l != "# TYPE g gauge")
        .flat_map(|l| [l, "\n"])
        .collect();
    let (_tmp, p, v, _) = backfill_both(&counters);
    let chunks = |dir: &Path| -> Vec<String> {
        ok("promtool", &["list"], &[dir])
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().nth(5).unwrap_or("").to_owned())
            .collect()
    };
    let want = chunks(&p);
    assert_eq!(want, ["600", "600"]);
    assert_eq!(chunks(&v), want);
}
