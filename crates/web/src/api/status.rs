//! `/api/v1/status/*`: configuration, flags, runtime and build
//! information, TSDB cardinality statistics and WAL replay progress.

use std::cmp::Reverse;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vigil_model::{MatchType, Matcher};
use vigil_tsdb::head::Head;

use super::{ApiResult, Ctx, Output};
use crate::error::ApiError;
use crate::json;
use crate::selfmetrics::value_of;
use crate::state::WebState;

/// Largest `limit` of `/status/tsdb`.
const MAX_TSDB_LIMIT: i64 = 10_000;

/// `GET /api/v1/status/config`.
pub(crate) fn config(ctx: &Ctx<'_>) -> ApiResult {
    let mut out = String::from("{\"yaml\":");
    json::push_str(&mut out, &ctx.state.config().to_yaml());
    out.push('}');
    Ok(Output::data(out))
}

/// `GET /api/v1/status/flags`: a JSON object sorted by flag name (Go
/// marshals maps with sorted keys).
pub(crate) fn flags(ctx: &Ctx<'_>) -> ApiResult {
    let mut flags = ctx.state.options.flags.clone();
    flags.sort();
    flags.dedup_by(|a, b| a.0 == b.0);
    let mut out = String::from("{");
    for (i, (k, v)) in flags.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::push_str(&mut out, k);
        out.push(':');
        json::push_str(&mut out, v);
    }
    out.push('}');
    Ok(Output::data(out))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default()
}

/// Threads of this process (what stands in for Go's goroutine count).
fn thread_count() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// `GET /api/v1/status/runtimeinfo`. Go runtime fields are filled with
/// their nearest equivalents (threads for goroutines, available cores for
/// `GOMAXPROCS`, no memory limit).
pub(crate) fn runtime_info(ctx: &Ctx<'_>) -> ApiResult {
    let st = ctx.state;
    let fams = st.gather();
    let reload_ok =
        value_of(&fams, "prometheus_config_last_reload_successful").is_some_and(|v| v != 0.0);
    let last_config = value_of(
        &fams,
        "prometheus_config_last_reload_success_timestamp_seconds",
    )
    .filter(|v| v.is_finite() && *v >= 0.0)
    .map(|v| UNIX_EPOCH + Duration::from_secs(v as u64));
    let corruptions =
        value_of(&fams, "prometheus_tsdb_wal_corruptions_total").unwrap_or(0.0) as i64;
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "<error retrieving current working directory>".into());
    let procs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = String::from("{\"startTime\":");
    json::push_time(&mut out, Some(st.start_time));
    out.push_str(",\"CWD\":");
    json::push_str(&mut out, &cwd);
    out.push_str(",\"hostname\":");
    json::push_str(&mut out, &hostname());
    out.push_str(",\"serverTime\":");
    json::push_time(&mut out, Some(SystemTime::now()));
    out.push_str(&format!(
        ",\"reloadConfigSuccess\":{reload_ok},\"lastConfigTime\":"
    ));
    json::push_time(&mut out, last_config.or(Some(UNIX_EPOCH)));
    out.push_str(&format!(
        ",\"corruptionCount\":{corruptions},\"goroutineCount\":{},\"GOMAXPROCS\":{procs},\"GOMEMLIMIT\":{},\"GOGC\":",
        thread_count(),
        i64::MAX
    ));
    json::push_str(&mut out, &std::env::var("GOGC").unwrap_or_default());
    out.push_str(",\"GODEBUG\":");
    json::push_str(&mut out, &std::env::var("GODEBUG").unwrap_or_default());
    out.push_str(",\"storageRetention\":");
    json::push_str(&mut out, &st.options.storage_retention);
    out.push('}');
    Ok(Output::data(out))
}

/// `GET /api/v1/status/buildinfo`.
pub(crate) fn build_info(ctx: &Ctx<'_>) -> ApiResult {
    let b = &ctx.state.options.build_info;
    let mut out = String::from("{");
    let fields = [
        ("version", &b.version),
        ("revision", &b.revision),
        ("branch", &b.branch),
        ("buildUser", &b.build_user),
        ("buildDate", &b.build_date),
        ("goVersion", &b.go_version),
    ];
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::push_str(&mut out, k);
        out.push(':');
        json::push_str(&mut out, v);
    }
    out.push('}');
    Ok(Output::data(out))
}

/// Cardinality statistics of the head's postings, as Prometheus'
/// `MemPostings.Stats` computes them.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct PostingStats {
    pub(crate) num_label_pairs: usize,
    pub(crate) series_by_metric: Vec<(String, u64)>,
    pub(crate) values_by_name: Vec<(String, u64)>,
    pub(crate) bytes_by_name: Vec<(String, u64)>,
    pub(crate) series_by_pair: Vec<(String, u64)>,
}

/// The `limit` largest entries, largest first (ties by name, so answers
/// are stable).
fn top(mut v: Vec<(String, u64)>, limit: usize) -> Vec<(String, u64)> {
    v.sort_by(|a, b| (Reverse(a.1), &a.0).cmp(&(Reverse(b.1), &b.0)));
    v.truncate(limit);
    v
}

pub(crate) fn head_stats(head: &Head, limit: usize) -> PostingStats {
    let mut s = PostingStats::default();
    let (mut metrics, mut names, mut bytes, mut pairs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for name in head.label_names() {
        let values = head.label_values(&name);
        s.num_label_pairs += values.len();
        names.push((name.clone(), values.len() as u64));
        let mut size = 0u64;
        for v in values {
            let Ok(m) = Matcher::new(MatchType::Equal, name.as_str(), v.as_str()) else {
                continue;
            };
            let n = head.postings_for_matchers(&[m]).len() as u64;
            if name == "__name__" {
                metrics.push((v.clone(), n));
            }
            size += (name.len() + v.len()) as u64 * n;
            pairs.push((format!("{name}={v}"), n));
        }
        bytes.push((name, size));
    }
    s.series_by_metric = top(metrics, limit);
    s.values_by_name = top(names, limit);
    s.bytes_by_name = top(bytes, limit);
    s.series_by_pair = top(pairs, limit);
    s
}

fn push_stats(out: &mut String, key: &str, v: &[(String, u64)]) {
    out.push_str(&format!(",\"{key}\":["));
    for (i, (name, n)) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        json::push_str(out, name);
        out.push_str(&format!(",\"value\":{n}}}"));
    }
    out.push(']');
}

/// The number of chunks in the head (Prometheus reads its
/// `prometheus_tsdb_head_chunks` gauge; Vigil counts on demand).
fn chunk_count(st: &WebState) -> i64 {
    i64::try_from(st.db.head().num_chunks()).unwrap_or(i64::MAX)
}

/// `GET /api/v1/status/tsdb`.
pub(crate) fn tsdb(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx.params.get("limit");
    let mut limit: i64 = 10;
    if !p.is_empty() {
        limit = match p.parse::<i64>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(ApiError::BadData("limit must be a positive number".into())),
        };
        if limit > MAX_TSDB_LIMIT {
            return Err(ApiError::BadData(format!(
                "limit must not exceed {MAX_TSDB_LIMIT}"
            )));
        }
    }
    let head = ctx.state.db.head();
    let hs = head.stats();
    let stats = head_stats(head, usize::try_from(limit).unwrap_or(10));
    let mut out = format!(
        "{{\"headStats\":{{\"numSeries\":{},\"numLabelPairs\":{},\"chunkCount\":{},\"minTime\":{},\"maxTime\":{}}}",
        hs.num_series,
        stats.num_label_pairs,
        chunk_count(ctx.state),
        hs.min_time,
        hs.max_time
    );
    push_stats(&mut out, "seriesCountByMetricName", &stats.series_by_metric);
    push_stats(
        &mut out,
        "labelValueCountByLabelName",
        &stats.values_by_name,
    );
    push_stats(&mut out, "memoryInBytesByLabelName", &stats.bytes_by_name);
    push_stats(
        &mut out,
        "seriesCountByLabelValuePair",
        &stats.series_by_pair,
    );
    out.push('}');
    Ok(Output::data(out))
}

/// `GET /api/v1/status/walreplay` (answered even before ready).
pub(crate) fn wal_replay(ctx: &Ctx<'_>) -> ApiResult {
    let w = ctx.state.wal_replay();
    Ok(Output::data(format!(
        "{{\"min\":{},\"max\":{},\"current\":{}}}",
        w.min, w.max, w.current
    )))
}

/// `GET /api/v1/features` (Prometheus 3.x).
pub(crate) fn features(ctx: &Ctx<'_>) -> ApiResult {
    Ok(Output::data(ctx.state.features().to_json()))
}
