//! Whole data directories move between Debian's Prometheus (2.42) and
//! Vigil, both ways, on 200 counter series with resets and sub-second
//! timestamps:
//!
//! - Prometheus' directory (two blocks from `promtool tsdb create-blocks-from
//!   openmetrics`, then an hour of samples remote-written to a running
//!   Prometheus, which puts them in its WAL and mmaps full chunks to
//!   `chunks_head/`; then SIGKILL) opens in Vigil's `Db` with every sample.
//! - Vigil's directory (five hours appended through `Db`, the oldest ranges
//!   compacted to blocks, the rest in WAL and `chunks_head/`) opens in
//!   Prometheus, whose query API returns every sample, and Prometheus logs
//!   no damage.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Series, assert_same, generate, have, promtool_create_blocks};
use vigil_model::{Labels, MatchType, Matcher};
use vigil_tsdb::db::{Db, DbOptions};
use vigil_tsdb::head::HeadOptions;

/// `n` counter series from `start` for `hours`, one sample per series
/// every ~15 s with sub-second jitter, a reset every 100 samples.
fn series(n: i64, start: i64, hours: i64) -> Series {
    let mut out = Series::new();
    for s in 0..n {
        let mut t = start;
        let mut v = 0.0f64;
        let mut samples = Vec::new();
        for i in 0..(hours * 240) {
            t += 15_000 + (i * 131 + s * 17) % 419 - 209;
            v = if i % 100 == 99 {
                1.0
            } else {
                v + 0.5 + (s % 7) as f64
            };
            samples.push((t, v));
        }
        out.insert(format!("{{__name__=\"m_total\", s=\"{s:03}\"}}"), samples);
    }
    out
}

fn labels_of(key: &str) -> Labels {
    let s = key
        .trim_start_matches("{__name__=\"m_total\", s=\"")
        .trim_end_matches("\"}");
    Labels::from_pairs(&[("__name__", "m_total"), ("s", s)])
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Debian `prometheus` without scrape targets on a data directory,
/// accepting remote write; killed and reaped on drop.
struct Prometheus {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Prometheus {
    fn start(work: &std::path::Path, data: &std::path::Path) -> Prometheus {
        Prometheus::start_with(work, data, "")
    }

    fn start_with(work: &std::path::Path, data: &std::path::Path, extra: &str) -> Prometheus {
        let port = free_port();
        let config = work.join("prometheus.yml");
        std::fs::write(&config, format!("global:\n  scrape_interval: 1m\n{extra}")).unwrap();
        let log = work.join(format!("prometheus-{port}.log"));
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--web.enable-remote-write-receiver")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let p = Prometheus { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, _)) = http(p.port, "GET", "/-/ready", &[], &[]) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "prometheus not ready: {}",
                p.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        p
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn stop(&mut self) {
        // SIGTERM: a clean shutdown, as an operator switching would do.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One HTTP/1.1 exchange on loopback: status and (de-chunked) body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let mut body = resp[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&b[..eol]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_len(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_varint(out, field << 3 | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A remote-write 1.0 `WriteRequest` (protobuf) holding `batch`.
fn write_request(batch: &[(Labels, Vec<(i64, f64)>)]) -> Vec<u8> {
    let mut req = Vec::new();
    for (labels, samples) in batch {
        let mut ts = Vec::new();
        for l in labels.iter() {
            let mut lb = Vec::new();
            put_len(&mut lb, 1, l.name.as_bytes());
            put_len(&mut lb, 2, l.value.as_bytes());
            put_len(&mut ts, 1, &lb);
        }
        for &(t, v) in samples {
            let mut sb = vec![1 << 3 | 1];
            sb.extend_from_slice(&v.to_le_bytes());
            put_varint(&mut sb, 2 << 3);
            put_varint(&mut sb, t as u64);
            put_len(&mut ts, 2, &sb);
        }
        put_len(&mut req, 1, &ts);
    }
    req
}

/// Remote-writes `data` to Prometheus in time order, 20 samples per series
/// per request.
fn remote_write(port: u16, data: &Series) {
    let len = data.values().map(Vec::len).max().unwrap_or(0);
    for from in (0..len).step_by(20) {
        let batch: Vec<_> = data
            .iter()
            .map(|(k, s)| {
                let to = (from + 20).min(s.len());
                (labels_of(k), s[from.min(to)..to].to_vec())
            })
            .collect();
        let body = snap::raw::Encoder::new()
            .compress_vec(&write_request(&batch))
            .unwrap();
        let (status, resp) = http(
            port,
            "POST",
            "/api/v1/write",
            &[
                ("Content-Type", "application/x-protobuf"),
                ("Content-Encoding", "snappy"),
                ("X-Prometheus-Remote-Write-Version", "0.1.0"),
            ],
            &body,
        )
        .unwrap();
        assert!(
            status == 204 || status == 200,
            "remote write: {status} {}",
            String::from_utf8_lossy(&resp)
        );
    }
}

/// Every `m_total` sample Prometheus' query API returns at `at` for the
/// last `range`.
fn query_all(port: u16, at: i64, range: &str) -> Series {
    let path = format!(
        "/api/v1/query?query=m_total%5B{range}%5D&time={}.{:03}",
        at / 1000,
        at % 1000
    );
    let (status, body) = http(port, "GET", &path, &[], &[]).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut out = Series::new();
    for r in v["data"]["result"].as_array().unwrap() {
        let s = r["metric"]["s"].as_str().unwrap();
        let key = format!("{{__name__=\"m_total\", s=\"{s}\"}}");
        let samples = r["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let t = (p[0].as_f64().unwrap() * 1000.0).round() as i64;
                let v: f64 = p[1].as_str().unwrap().parse().unwrap();
                (t, v)
            })
            .collect();
        out.insert(key, samples);
    }
    out
}

fn select_all(db: &Db) -> Series {
    let m = Matcher::new(MatchType::Equal, "__name__", "m_total").unwrap();
    db.select(i64::MIN, i64::MAX, &[m])
        .unwrap()
        .into_iter()
        .map(|(l, s)| (l.to_string(), s))
        .collect()
}

fn merge(a: &Series, b: &Series) -> Series {
    let mut out = a.clone();
    for (k, v) in b {
        out.entry(k.clone()).or_default().extend_from_slice(v);
    }
    out
}

fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter(|e| e.metadata().is_ok_and(|m| m.is_file() && m.len() > 0))
            .count()
    })
}

#[test]
fn vigil_opens_prometheus_data_dir() {
    if !have("prometheus") || !have("promtool") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let blocks = generate(200);
    promtool_create_blocks(tmp.path(), &blocks, &data);
    let last = blocks.values().filter_map(|s| s.last()).map(|p| p.0).max();
    let head = series(200, last.unwrap() + 1000, 1);

    let mut prom = Prometheus::start(tmp.path(), &data);
    remote_write(prom.port, &head);
    // A clean stop flushes the head chunks Prometheus mmapped (a kill can
    // leave them in its write buffer; the WAL has them then, which
    // `head_interop` covers).
    prom.stop();
    assert!(count_files(&data.join("wal")) > 0, "no WAL segment");
    assert!(
        count_files(&data.join("chunks_head")) > 0,
        "Prometheus mmapped no head chunk"
    );

    let (db, report) = Db::open(&data, DbOptions::default()).unwrap();
    assert!(report.corruption.is_none(), "{report:?}");
    assert!(report.chunks_corruption.is_none(), "{report:?}");
    assert!(report.mmapped_chunks >= 200, "{report:?}");
    assert_eq!(report.unattached_chunks, 0, "{report:?}");
    assert_eq!(report.unknown_refs, 0, "{report:?}");
    assert!(db.blocks().len() >= 2);
    assert_same(&select_all(&db), &merge(&blocks, &head));
}

#[test]
fn prometheus_opens_vigil_data_dir() {
    if !have("prometheus") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // Five hours starting on a block boundary: head compaction persists the
    // first two 2 h ranges, the last hour stays in the head.
    let start = 1_700_006_400_000;
    let want = series(200, start, 5);
    {
        let (db, _) = Db::open(&data, DbOptions::default()).unwrap();
        let keys: Vec<(Labels, &Vec<(i64, f64)>)> =
            want.iter().map(|(k, s)| (labels_of(k), s)).collect();
        for i in 0..keys[0].1.len() {
            let mut app = db.head().appender();
            for (l, s) in &keys {
                app.append(l, s[i].0, s[i].1).unwrap();
            }
            app.commit().unwrap();
        }
        let written = db.compact_head().unwrap();
        assert!(!written.is_empty(), "no block persisted");
    }
    assert!(count_files(&data.join("chunks_head")) > 0);

    let end = want.values().filter_map(|s| s.last()).map(|p| p.0).max();
    let mut prom = Prometheus::start(tmp.path(), &data);
    let got = query_all(prom.port, end.unwrap(), "6h");
    prom.stop();
    let log = prom.log_text().to_ascii_lowercase();
    for line in log.lines() {
        let bad = line.contains("level=error")
            || line.contains("corrupt")
            || (line.contains("level=warn") && !line.contains("sigterm"));
        assert!(!bad, "Prometheus complained: {line}\n{log}");
    }
    assert_same(&got, &want);

    // And the directory Prometheus left behind opens in Vigil again.
    let (db, report) = Db::open(&data, DbOptions::default()).unwrap();
    assert!(report.corruption.is_none(), "{report:?}");
    assert_same(&select_all(&db), &want);
}

#[test]
fn prometheus_reads_vigil_out_of_order_samples() {
    if !have("prometheus") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let start = 1_700_006_400_000;
    let m = 60_000;
    let mut want = Series::new();
    {
        let opts = DbOptions {
            head: HeadOptions {
                out_of_order_time_window: 30 * m,
                ..HeadOptions::default()
            },
            ..DbOptions::default()
        };
        let (db, _) = Db::open(&data, opts).unwrap();
        // Even minutes in order, then the odd ones of the last 20 late.
        let mut app = db.head().appender();
        for k in (0..60).filter(|k| k % 2 == 0) {
            for s in 0..20 {
                app.append(
                    &labels_of(&format!("{{__name__=\"m_total\", s=\"{s:03}\"}}")),
                    start + k * m,
                    k as f64,
                )
                .unwrap();
            }
        }
        app.commit().unwrap();
        let mut app = db.head().appender();
        for k in (40..60).filter(|k| k % 2 == 1).rev() {
            for s in 0..20 {
                app.append(
                    &labels_of(&format!("{{__name__=\"m_total\", s=\"{s:03}\"}}")),
                    start + k * m,
                    k as f64,
                )
                .unwrap();
            }
        }
        app.commit().unwrap();
        for s in 0..20 {
            let v = (0..60)
                .filter(|k| k % 2 == 0 || *k >= 40)
                .map(|k| (start + k * m, k as f64))
                .collect();
            want.insert(format!("{{__name__=\"m_total\", s=\"{s:03}\"}}"), v);
        }
    }
    assert!(count_files(&data.join("wbl")) > 0, "no write-behind log");
    let mut prom = Prometheus::start_with(
        tmp.path(),
        &data,
        "storage:\n  tsdb:\n    out_of_order_time_window: 30m\n",
    );
    let got = query_all(prom.port, start + 60 * m, "2h");
    prom.stop();
    assert_same(&got, &want);
}

#[test]
fn vigil_reads_prometheus_out_of_order_samples() {
    if !have("prometheus") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let start = 1_700_006_400_000;
    let m = 60_000;
    let key = |s: i64| format!("{{__name__=\"m_total\", s=\"{s:03}\"}}");
    let mut prom = Prometheus::start_with(
        tmp.path(),
        &data,
        "storage:\n  tsdb:\n    out_of_order_time_window: 30m\n",
    );
    // Even minutes in order, then odd ones of the last 20 minutes late.
    let even: Series = (0..20)
        .map(|s| {
            (
                key(s),
                (0..60)
                    .filter(|k| k % 2 == 0)
                    .map(|k| (start + k * m, k as f64))
                    .collect(),
            )
        })
        .collect();
    remote_write(prom.port, &even);
    let late: Series = (0..20)
        .map(|s| {
            (
                key(s),
                (41..60)
                    .rev()
                    .filter(|k| k % 2 == 1)
                    .map(|k| (start + k * m, k as f64))
                    .collect(),
            )
        })
        .collect();
    remote_write(prom.port, &late);
    prom.stop();
    assert!(
        count_files(&data.join("wbl")) > 0,
        "Prometheus wrote no write-behind log"
    );

    let opts = DbOptions {
        head: HeadOptions {
            out_of_order_time_window: 30 * m,
            ..HeadOptions::default()
        },
        ..DbOptions::default()
    };
    let (db, report) = Db::open(&data, opts).unwrap();
    assert!(report.ooo_samples > 0, "{report:?}");
    let mut want = even.clone();
    for (k, v) in late {
        let e = want.get_mut(&k).unwrap();
        e.extend(v);
        e.sort_by_key(|p| p.0);
    }
    assert_same(&select_all(&db), &want);
}
