//! `vigil tool tsdb create-blocks-from rules` beside Debian's promtool:
//! both evaluate the same recording rules against the same running
//! Prometheus (loaded with 3 h of counters) and their blocks dump to the
//! same samples.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

fn have(name: &str) -> bool {
    let ok = Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "{name} is required in CI");
        println!("skipped: {name} not installed");
    }
    ok
}

fn dump(dir: &Path) -> BTreeMap<String, Vec<(i64, String)>> {
    std::fs::create_dir_all(dir.join("wal")).unwrap();
    let out = Command::new("promtool")
        .args(["tsdb", "dump"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut m: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let close = line.rfind('}').unwrap();
        let (labels, rest) = line.split_at(close + 1);
        let mut p = rest.split_whitespace();
        let v = p.next().unwrap().to_string();
        let t: i64 = p.next().unwrap().parse().unwrap();
        m.entry(labels.to_string()).or_default().push((t, v));
    }
    for v in m.values_mut() {
        v.sort();
    }
    m
}

struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn rule_blocks_match_promtool() {
    if !have("promtool") || !have("prometheus") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let base = 1_700_006_400i64; // seconds, on a 2 h boundary
    let mut om = String::from("# TYPE m counter\n");
    for s in 0..10 {
        let mut v = 0.0;
        for i in 0..(3 * 240) {
            v = if i % 300 == 299 {
                1.0
            } else {
                v + (s + i % 7) as f64
            };
            let _ = writeln!(
                om,
                "m_total{{s=\"{s}\",job=\"j{}\"}} {v:?} {}",
                s % 3,
                base + i * 15
            );
        }
    }
    om.push_str("# EOF\n");
    let input = tmp.path().join("in.om");
    std::fs::write(&input, om).unwrap();
    let data = tmp.path().join("data");
    let o = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&data)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        tmp.path().join("prometheus.yml"),
        "global:\n  scrape_interval: 1h\n",
    )
    .unwrap();
    let _prom = Child(
        Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                tmp.path().join("prometheus.yml").display()
            ))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "prometheus did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));

    std::fs::write(
        tmp.path().join("rules.yml"),
        "groups:\n  - name: g\n    rules:\n      - record: job:m:rate5m\n        expr: sum by (job) (rate(m_total[5m]))\n        labels:\n          team: a\n      - record: m:max\n        expr: max(m_total)\n  - name: h\n    interval: 30s\n    rules:\n      - record: s:m:increase1m\n        expr: increase(m_total{s=~\"[0-4]\"}[1m])\n",
    )
    .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let (start, end) = ((base + 600).to_string(), (base + 3 * 3600).to_string());
    for (prog, out) in [("promtool", "p"), (VIGIL, "v")] {
        let mut c = Command::new(prog);
        if prog == VIGIL {
            c.arg("tool");
        }
        let o = c
            .current_dir(tmp.path())
            .args(["tsdb", "create-blocks-from", "rules", "--url", &url])
            .args([
                "--start",
                &start,
                "--end",
                &end,
                "--output-dir",
                out,
                "rules.yml",
            ])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{prog}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let (p, v) = (dump(&tmp.path().join("p")), dump(&tmp.path().join("v")));
    assert_eq!(p.len(), 3 + 1 + 5, "series from promtool");
    assert!(p.values().all(|s| s.len() > 100));
    assert_eq!(v.keys().collect::<Vec<_>>(), p.keys().collect::<Vec<_>>());
    for (k, ps) in &p {
        let vs = &v[k];
        let first = ps.iter().zip(vs).position(|(a, b)| a != b);
        assert!(
            first.is_none() && ps.len() == vs.len(),
            "{k}: {} vs {} samples; first difference at {first:?}: promtool {:?}, vigil {:?}",
            ps.len(),
            vs.len(),
            first.and_then(|i| ps.get(i)),
            first.and_then(|i| vs.get(i)),
        );
    }
}
