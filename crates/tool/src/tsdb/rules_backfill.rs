//! `tsdb create-blocks-from rules`: promtool's rule backfiller. Each rule's
//! expression is evaluated by a Prometheus-compatible server (its
//! `/api/v1/query_range`) over the requested range, one block range at a
//! time, at the group's evaluation times (aligned as Prometheus aligns a
//! group: on the interval, shifted by a hash of the group's name and file),
//! and the results are written as blocks named after the rule, with the
//! rule's labels overriding the query's.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use vigil_model::{LabelsBuilder, METRIC_NAME};
use vigil_rules::rulefmt;
use vigil_tsdb::block::{BlockWriter, encoded_xor, xor_chunks};

use super::TsdbError;

/// Options of `create-blocks-from rules`.
#[derive(Debug, Clone)]
pub struct RulesBackfillOptions {
    /// Base URL of the Prometheus API (`http://host:port[/prefix]`).
    pub url: String,
    /// First evaluation time, in ms.
    pub start: i64,
    /// Last evaluation time, in ms.
    pub end: i64,
    /// Where blocks are written.
    pub output_dir: PathBuf,
    /// Interval of groups that set none, in ms.
    pub eval_interval: i64,
    /// `--max-block-duration` in ms (0: the 2 h default).
    pub max_block_duration: i64,
}

const TWO_HOURS: i64 = 2 * 3600 * 1000;

/// The block length promtool uses for a `--max-block-duration`: the largest
/// of 2 h × 3ⁱ not above it, at least 2 h.
pub fn block_duration(max: i64) -> i64 {
    if max <= TWO_HOURS {
        return TWO_HOURS;
    }
    let ranges: Vec<i64> = (0..10).map(|i| TWO_HOURS * 3i64.pow(i)).collect();
    let idx = ranges
        .iter()
        .position(|&v| v > max)
        .map_or(ranges.len() - 1, |i| i.saturating_sub(1));
    ranges[idx]
}

/// Prometheus' `labels.Hash()` of `{file=…, name=…}` (XXH64 of each name
/// and value followed by 0xff).
fn group_hash(name: &str, file: &str) -> u64 {
    let mut b = Vec::new();
    for (k, v) in [("file", file), ("name", name)] {
        b.extend_from_slice(k.as_bytes());
        b.push(0xff);
        b.extend_from_slice(v.as_bytes());
        b.push(0xff);
    }
    xxhash_rust::xxh64::xxh64(&b, 0)
}

/// The group's evaluation time at or before `t_ns` (Prometheus'
/// `Group.EvalTimestamp`), in nanoseconds.
fn eval_timestamp(hash: u64, interval_ns: i64, t_ns: i64) -> i64 {
    let offset = (hash % interval_ns.max(1) as u64) as i64;
    let adj = t_ns - offset;
    adj - adj.rem_euclid(interval_ns.max(1)) + offset
}

/// Go's `FormatFloat(sec + ns/1e9, 'f', -1, 64)` of a time, as the Go API
/// client sends it.
fn api_time(t_ns: i64) -> String {
    let secs = t_ns.div_euclid(1_000_000_000);
    let ns = t_ns.rem_euclid(1_000_000_000);
    format!("{}", secs as f64 + ns as f64 / 1e9)
}

/// Runs the backfill; returns how many blocks were written.
pub fn backfill_rules(files: &[String], opts: &RulesBackfillOptions) -> Result<usize, TsdbError> {
    let err = |m: String| TsdbError::Backfill(m);
    if opts.start >= opts.end {
        return Err(err("start time is not before end time".into()));
    }
    let mut groups = Vec::new();
    for f in files {
        let (parsed, errs) = rulefmt::parse_file(Path::new(f), &rulefmt::ParseOptions::default());
        if let Some(e) = errs.first() {
            return Err(err(format!("rule importer parse error: {f}: {e}")));
        }
        for g in parsed.map(|p| p.groups).unwrap_or_default() {
            groups.push((f.clone(), g));
        }
    }
    std::fs::create_dir_all(&opts.output_dir).map_err(|e| TsdbError::io(&opts.output_dir, e))?;
    let block = block_duration(opts.max_block_duration);
    let mut written = 0;
    let mut failures = Vec::new();
    for (file, g) in &groups {
        // Rule files give intervals in nanoseconds, the flag in ms.
        let interval_ns = if g.interval > 0 {
            g.interval
        } else {
            opts.eval_interval.saturating_mul(1_000_000)
        };
        let hash = group_hash(&g.name, file);
        // Alerting rules are not evaluated (promtool's documented behaviour).
        for rule in g.rules.iter().filter(|r| !r.record.is_empty()) {
            // Group labels, then the rule's (which win), as Prometheus
            // builds a rule's labels.
            let mut labels = g.labels.clone();
            labels.extend(rule.labels.clone());
            match backfill_rule(opts, rule, &labels, block, hash, interval_ns) {
                Ok(n) => written += n,
                Err(e) => failures.push(format!("rule importer error: {e}")),
            }
        }
    }
    if !failures.is_empty() {
        return Err(err(format!(
            "{}\nerror importing rules",
            failures.join("\n")
        )));
    }
    Ok(written)
}

fn backfill_rule(
    opts: &RulesBackfillOptions,
    rule: &rulefmt::Rule,
    labels: &std::collections::BTreeMap<String, String>,
    block: i64,
    hash: u64,
    interval_ns: i64,
) -> Result<usize, TsdbError> {
    let start_s = opts.start.div_euclid(1000);
    let end_s = opts.end.div_euclid(1000);
    let mut written = 0;
    let mut block_start = block * (opts.start.div_euclid(block));
    while block_start <= opts.end {
        let block_end = block_start + block - 1;
        let cur_start = (block_start.div_euclid(1000)).max(start_s);
        let mut aligned = eval_timestamp(hash, interval_ns, cur_start * 1_000_000_000);
        while aligned.div_euclid(1_000_000_000) < cur_start {
            aligned += interval_ns;
        }
        let end = block_end.div_euclid(1000).min(end_s) * 1_000_000_000;
        if end < aligned {
            break;
        }
        let series = query_range(
            &opts.url,
            &rule.expr,
            &api_time(aligned),
            &api_time(end),
            interval_ns,
        )?;
        let mut out: Vec<(vigil_model::Labels, Vec<(i64, f64)>)> = Vec::new();
        for (metric, samples) in series {
            let mut b = LabelsBuilder::new();
            for (k, v) in &metric {
                b.set(k, v);
            }
            for (k, v) in labels {
                b.set(k, v);
            }
            b.set(METRIC_NAME, rule.name());
            out.push((b.build(), samples));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        let (mint, maxt) = out
            .iter()
            .flat_map(|(_, s)| s.iter().map(|p| p.0))
            .fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
        if mint <= maxt {
            let mut w = BlockWriter::new(&opts.output_dir)?;
            for (l, s) in &out {
                if s.is_empty() {
                    continue;
                }
                w.add_series(l.clone(), &encoded_xor(&xor_chunks(s)?))?;
            }
            w.finish(mint, maxt + 1)?;
            written += 1;
        }
        block_start += block;
    }
    Ok(written)
}

type Matrix = Vec<(Vec<(String, String)>, Vec<(i64, f64)>)>;

/// `GET {url}/api/v1/query_range` over plain HTTP; the matrix it returns.
fn query_range(
    url: &str,
    expr: &str,
    start: &str,
    end: &str,
    step_ns: i64,
) -> Result<Matrix, TsdbError> {
    let err = |m: String| TsdbError::Backfill(format!("query range: {m}"));
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| err(format!("{url}: only http:// URLs are supported")))?;
    let (host, prefix) = match rest.split_once('/') {
        Some((h, p)) => (h, format!("/{}", p.trim_end_matches('/'))),
        None => (rest, String::new()),
    };
    let prefix = prefix.trim_end_matches('/');
    let step = format!("{}", step_ns as f64 / 1e9);
    let q = format!(
        "query={}&start={}&end={}&step={}",
        urlencode(expr),
        urlencode(start),
        urlencode(end),
        urlencode(&step)
    );
    let mut s = TcpStream::connect(host).map_err(|e| err(format!("{host}: {e}")))?;
    s.set_read_timeout(Some(Duration::from_secs(300)))
        .map_err(|e| err(e.to_string()))?;
    let req = format!(
        "POST {prefix}/api/v1/query_range HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{q}",
        q.len()
    );
    s.write_all(req.as_bytes())
        .map_err(|e| err(e.to_string()))?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).map_err(|e| err(e.to_string()))?;
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| err("malformed HTTP response".into()))?;
    let head = String::from_utf8_lossy(resp.get(..split).unwrap_or_default()).to_ascii_lowercase();
    let mut body = resp.get(split + 4..).unwrap_or_default().to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body).ok_or_else(|| err("malformed chunked body".into()))?;
    }
    let v: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| err(format!("bad JSON: {e}")))?;
    if v["status"] != "success" {
        return Err(err(format!(
            "{}: {}",
            v["errorType"].as_str().unwrap_or("error"),
            v["error"].as_str().unwrap_or("query failed")
        )));
    }
    if v["data"]["resultType"] != "matrix" {
        return Err(err(format!(
            "rule result is wrong type {}",
            v["data"]["resultType"].as_str().unwrap_or("?")
        )));
    }
    let mut out = Matrix::new();
    for r in v["data"]["result"].as_array().into_iter().flatten() {
        let metric = r["metric"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        let mut samples = Vec::new();
        for p in r["values"].as_array().into_iter().flatten() {
            let (Some(t), Some(v)) = (p[0].as_f64(), p[1].as_str()) else {
                return Err(err("malformed sample".into()));
            };
            let v = parse_go_float(v).ok_or_else(|| err(format!("bad value {v:?}")))?;
            samples.push(((t * 1000.0).round() as i64, v));
        }
        out.push((metric, samples));
    }
    Ok(out)
}

fn parse_go_float(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(b.get(..eol)?).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(eol + 2..eol + 2 + size)?);
        b = b.get(eol + 2 + size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_durations_and_alignment() {
        assert_eq!(block_duration(0), TWO_HOURS);
        assert_eq!(block_duration(7 * TWO_HOURS), 3 * TWO_HOURS);
        assert_eq!(block_duration(i64::MAX), TWO_HOURS * 3i64.pow(9));
        let h = group_hash("g", "rules.yml");
        let i = 60_000_000_000;
        let t = eval_timestamp(h, i, 1_700_000_000_000_000_000);
        assert!(t <= 1_700_000_000_000_000_000 && t > 1_700_000_000_000_000_000 - i);
        assert_eq!((t - (h % i as u64) as i64).rem_euclid(i), 0);
        assert_eq!(api_time(1_700_000_000_500_000_000), "1700000000.5");
        assert_eq!(urlencode("a b{c=\"d\"}"), "a%20b%7Bc%3D%22d%22%7D");
    }
}

/// Parses a time as promtool does: a Unix timestamp in (fractional)
/// seconds, or an RFC 3339 date; returns milliseconds.
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(f) = s.parse::<f64>() {
        if f.is_finite() {
            return Ok((f * 1000.0).floor() as i64);
        }
    }
    parse_rfc3339(s).ok_or_else(|| format!("cannot parse {s:?} to a valid timestamp"))
}

fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        std::str::from_utf8(b.get(r)?).ok()?.parse().ok()
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac_ms = 0i64;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let digits = s.get(start..i)?;
        let padded = format!("{:0<3}", digits.get(..digits.len().min(3))?);
        frac_ms = padded.parse().ok()?;
    }
    let offset_s = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if b.len() == i + 6 && b[i + 3] == b':' => {
            let o = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    // Days from 1970-01-01 (Howard Hinnant's civil-from-days inverse).
    let (yy, m) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + sec) - offset_s) * 1000 + frac_ms)
}

#[cfg(test)]
mod time_tests {
    use super::parse_time;

    #[test]
    fn unix_and_rfc3339_times() {
        assert_eq!(parse_time("1700000000"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("1700000000.25"), Ok(1_700_000_000_250));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
        assert_eq!(
            parse_time("2023-11-14T23:13:20.5+01:00"),
            Ok(1_700_000_000_500)
        );
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2023-13-14T22:13:20Z").is_err());
    }
}
