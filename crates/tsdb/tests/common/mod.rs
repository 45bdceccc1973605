//! Helpers shared by the interop tests: peer binaries and generated data.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::Command;

/// Whether the peer binary `name` runs. In CI a missing peer fails the test;
/// elsewhere the test says it skipped.
pub(crate) fn have(name: &str) -> bool {
    let ok = Command::new(name)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is required in CI (Debian package `prometheus`)"
        );
        println!("skipped: {name} not installed");
    }
    ok
}

/// Samples keyed by the series' label set as Prometheus prints it.
pub(crate) type Series = BTreeMap<String, Vec<(i64, f64)>>;

/// `n` counter series × 3 h with jittered sub-second timestamps, resets and
/// a series of tiny values: every chunk-encoding case appears.
pub(crate) fn generate(n: i64) -> Series {
    let base = 1_700_000_000_000i64;
    let mut out = Series::new();
    for s in 0..n {
        let mut v = 0.0f64;
        let mut t = base;
        let mut samples = Vec::new();
        for i in 0..720i64 {
            t += 15_000 + (i * 7919 + s * 31) % 997 - 498;
            v = if i % 200 == 199 {
                3.0
            } else {
                v + (i % 13) as f64 * 0.25 + s as f64
            };
            if s == 7 && i % 5 == 0 {
                v = 1e-9 * i as f64;
            }
            samples.push((t, v));
        }
        out.insert(format!("{{__name__=\"m_total\", s=\"{s:03}\"}}"), samples);
    }
    out
}

/// The series as an OpenMetrics body for `promtool tsdb create-blocks-from openmetrics`.
pub(crate) fn to_openmetrics(series: &Series) -> String {
    let mut om = String::from("# TYPE m counter\n");
    for (labels, samples) in series {
        let inner = labels
            .trim_start_matches("{__name__=\"m_total\", ")
            .trim_end_matches('}');
        for (t, v) in samples {
            let _ = writeln!(om, "m_total{{{inner}}} {v:?} {}.{:03}", t / 1000, t % 1000);
        }
    }
    om.push_str("# EOF\n");
    om
}

/// Parses `promtool tsdb dump` output: `{labels} value timestamp` per line.
pub(crate) fn parse_dump(out: &str) -> Series {
    let mut s = Series::new();
    for line in out.lines().filter(|l| !l.is_empty()) {
        let close = line.rfind('}').expect("labels in dump line");
        let (labels, rest) = line.split_at(close + 1);
        let mut parts = rest.split_whitespace();
        let v: f64 = parts.next().expect("value").parse().expect("float value");
        let t: i64 = parts
            .next()
            .expect("timestamp")
            .parse()
            .expect("int timestamp");
        s.entry(labels.to_string()).or_default().push((t, v));
    }
    for v in s.values_mut() {
        v.sort_by_key(|p| p.0);
    }
    s
}

/// Asserts two sample sets are equal, values compared bit for bit.
pub(crate) fn assert_same(got: &Series, want: &Series) {
    assert_eq!(got.len(), want.len(), "number of series");
    for (k, w) in want {
        let g = got.get(k).unwrap_or_else(|| panic!("series {k} missing"));
        assert_eq!(g.len(), w.len(), "samples of {k}");
        for (a, b) in g.iter().zip(w) {
            assert!(
                a.0 == b.0 && a.1.to_bits() == b.1.to_bits(),
                "{k}: got {a:?}, want {b:?}"
            );
        }
    }
}

/// Runs `promtool tsdb create-blocks-from openmetrics` on `series` (written
/// to `work/in.om`) into `out`, failing the test if promtool does.
pub(crate) fn promtool_create_blocks(
    work: &std::path::Path,
    series: &Series,
    out: &std::path::Path,
) {
    let input = work.join("in.om");
    std::fs::write(&input, to_openmetrics(series)).unwrap();
    let res = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(out)
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "promtool failed: {}",
        String::from_utf8_lossy(&res.stderr)
    );
}

/// A Debian `prometheus` scraping itself every second on a free loopback
/// port with its data in `<dir>/data`; killed (SIGKILL) and reaped on drop.
pub(crate) struct SelfScrapingPrometheus {
    child: std::process::Child,
    /// The data directory.
    pub(crate) data: std::path::PathBuf,
}

impl SelfScrapingPrometheus {
    pub(crate) fn start(dir: &std::path::Path) -> SelfScrapingPrometheus {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
            ),
        )
        .unwrap();
        let data = dir.join("data");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        SelfScrapingPrometheus { child, data }
    }

    /// Kills it with SIGKILL now.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SelfScrapingPrometheus {
    fn drop(&mut self) {
        self.kill();
    }
}
