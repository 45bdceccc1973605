//! The JSON of the Pushgateway's API v1: `GET /api/v1/metrics` (every
//! group with its labels, `last_push_successful` and one object per family,
//! the push-time gauges included) and `GET /api/v1/status`, wrapped in
//! `{"status":"success","data":...}`. Numbers are strings formatted like
//! Go's `fmt.Sprint`, times RFC 3339 with nanoseconds, as upstream sends them.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use vigil_exposition::MetricFamily;
use vigil_exposition::encode::{protobuf::to_message, push_go_float};
use vigil_exposition::protobuf::messages as pb;

use crate::grouping::GroupingKey;
use crate::store::{
    Group, PUSH_FAILURE_HELP, PUSH_FAILURE_METRIC, PUSH_TIME_HELP, PUSH_TIME_METRIC, seconds,
};

/// Formats `t` as RFC 3339 in UTC with nanoseconds, trailing zeros trimmed
/// (Go's `time.RFC3339Nano`).
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = vigil_model::civil::civil_from_days(days as i64);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
    let nanos = d.subsec_nanos();
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

fn go_float(v: f64) -> String {
    let mut s = String::new();
    push_go_float(&mut s, v);
    s
}

fn type_name(t: Option<i32>) -> &'static str {
    match t.and_then(|t| pb::MetricType::try_from(t).ok()) {
        Some(pb::MetricType::Counter) => "COUNTER",
        Some(pb::MetricType::Gauge) => "GAUGE",
        Some(pb::MetricType::Summary) => "SUMMARY",
        Some(pb::MetricType::Histogram) => "HISTOGRAM",
        Some(pb::MetricType::GaugeHistogram) => "GAUGE_HISTOGRAM",
        _ => "UNTYPED",
    }
}

/// A metric's labels. The Pushgateway stores every grouping label on each
/// metric, empty values included, and `instance=""` when there is none;
/// the samples here drop empty labels, so they are put back.
fn labels_json(m: &pb::Metric, key: &GroupingKey) -> Value {
    let mut map: Map<String, Value> = m
        .label
        .iter()
        .map(|l| {
            (
                l.name.clone().unwrap_or_default(),
                Value::String(l.value.clone().unwrap_or_default()),
            )
        })
        .collect();
    map.entry("instance")
        .or_insert_with(|| Value::String(String::new()));
    for (n, v) in key.iter() {
        map.entry(n).or_insert_with(|| Value::String(v.to_string()));
    }
    Value::Object(map)
}

fn metric_json(m: &pb::Metric, kind: &str, key: &GroupingKey) -> Value {
    let mut obj = Map::new();
    obj.insert("labels".into(), labels_json(m, key));
    match kind {
        "SUMMARY" => {
            let s = m.summary.clone().unwrap_or_default();
            let q: Map<String, Value> = s
                .quantile
                .iter()
                .map(|q| {
                    (
                        go_float(q.quantile.unwrap_or_default()),
                        go_float(q.value.unwrap_or_default()).into(),
                    )
                })
                .collect();
            obj.insert("quantiles".into(), Value::Object(q));
            obj.insert(
                "count".into(),
                s.sample_count.unwrap_or_default().to_string().into(),
            );
            obj.insert(
                "sum".into(),
                go_float(s.sample_sum.unwrap_or_default()).into(),
            );
        }
        "HISTOGRAM" | "GAUGE_HISTOGRAM" => {
            let h = m.histogram.clone().unwrap_or_default();
            let b: Map<String, Value> = h
                .bucket
                .iter()
                .map(|b| {
                    let count = match b.cumulative_count_float {
                        Some(f) if f > 0.0 => go_float(f),
                        _ => b.cumulative_count.unwrap_or_default().to_string(),
                    };
                    (go_float(b.upper_bound.unwrap_or_default()), count.into())
                })
                .collect();
            obj.insert("buckets".into(), Value::Object(b));
            let count = match h.sample_count_float {
                Some(f) if f > 0.0 => go_float(f),
                _ => h.sample_count.unwrap_or_default().to_string(),
            };
            obj.insert("count".into(), count.into());
            obj.insert(
                "sum".into(),
                go_float(h.sample_sum.unwrap_or_default()).into(),
            );
        }
        _ => {
            let v = m
                .gauge
                .as_ref()
                .and_then(|g| g.value)
                .or_else(|| m.counter.as_ref().and_then(|c| c.value))
                .or_else(|| m.untyped.as_ref().and_then(|u| u.value))
                .unwrap_or_default();
            obj.insert("value".into(), go_float(v).into());
        }
    }
    Value::Object(obj)
}

fn family_json(fam: &MetricFamily, at: SystemTime, key: &GroupingKey) -> Value {
    let Some(msg) = to_message(fam) else {
        return json!({"time_stamp": rfc3339(at), "type": "UNTYPED", "metrics": []});
    };
    let kind = type_name(msg.r#type);
    let mut obj = Map::new();
    obj.insert("time_stamp".into(), rfc3339(at).into());
    obj.insert("type".into(), kind.into());
    if let Some(help) = msg.help.as_ref().filter(|h| !h.is_empty()) {
        obj.insert("help".into(), help.clone().into());
    }
    let metrics: Vec<Value> = msg
        .metric
        .iter()
        .map(|m| metric_json(m, kind, key))
        .collect();
    obj.insert("metrics".into(), metrics.into());
    Value::Object(obj)
}

fn time_gauge_json(g: &Group, help: &str, value: f64, at: SystemTime) -> Value {
    let mut labels: BTreeMap<&str, &str> = g.key.iter().collect();
    labels.entry("instance").or_insert("");
    json!({
        "time_stamp": rfc3339(at),
        "type": "GAUGE",
        "help": help,
        "metrics": [{"labels": labels, "value": go_float(value)}],
    })
}

/// The `data` of `GET /api/v1/metrics`.
pub fn metrics_json<'a>(groups: impl Iterator<Item = &'a Group>) -> Value {
    let mut out = Vec::new();
    for g in groups {
        let mut obj = Map::new();
        let labels: Map<String, Value> = g
            .key
            .iter()
            .map(|(n, v)| (n.to_string(), Value::String(v.to_string())))
            .collect();
        obj.insert("labels".into(), Value::Object(labels));
        obj.insert(
            "last_push_successful".into(),
            g.last_push_successful().into(),
        );
        for (name, f) in &g.families {
            obj.insert(
                name.clone(),
                family_json(&f.to_family(), f.pushed_at, &g.key),
            );
        }
        let last = g.push_time.max(g.failure_time).unwrap_or(UNIX_EPOCH);
        obj.insert(
            PUSH_TIME_METRIC.into(),
            time_gauge_json(
                g,
                PUSH_TIME_HELP,
                seconds(g.push_time),
                g.push_time.unwrap_or(last),
            ),
        );
        obj.insert(
            PUSH_FAILURE_METRIC.into(),
            time_gauge_json(
                g,
                PUSH_FAILURE_HELP,
                seconds(g.failure_time),
                g.failure_time.unwrap_or(last),
            ),
        );
        out.push(Value::Object(obj));
    }
    Value::Array(out)
}

/// Wraps `data` in the API's success envelope.
pub fn success(data: Value) -> String {
    json!({"status": "success", "data": data}).to_string()
}

/// The `data` of `GET /api/v1/status`.
pub fn status_json(flags: &BTreeMap<String, String>, start: SystemTime) -> Value {
    json!({
        "flags": flags,
        "start_time": rfc3339(start),
        "build_information": {
            "version": env!("CARGO_PKG_VERSION"),
            "revision": "",
            "branch": "",
            "buildUser": "",
            "buildDate": "",
            "goVersion": "",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_formats() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::new(1_795_587_259, 194_870_243);
        assert_eq!(rfc3339(t), "2026-11-25T06:14:19.194870243Z");
        let t = UNIX_EPOCH + Duration::new(951_782_400, 500_000_000);
        assert_eq!(rfc3339(t), "2000-02-29T00:00:00.5Z");
    }
}
