//! Alerts as the notifier sends them (Prometheus' `notifier.Alert`), their
//! relabeling, and their JSON form in Alertmanager API v2
//! (`PostableAlerts`: `labels`, `annotations`, `startsAt`, `endsAt`,
//! `generatorURL`; times in RFC 3339 with milliseconds, UTC).

use serde::Serialize;
use serde::ser::SerializeMap;
use vigil_config::relabel::{RelabelConfig, process_builder};
use vigil_model::Labels;
use vigil_model::civil::civil_from_days;

/// An alert to send. Times are milliseconds since the epoch; `None` is
/// Go's zero time, which Prometheus sends as `0001-01-01T00:00:00.000Z`.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Labels (`alertname` included).
    pub labels: Labels,
    /// Annotations.
    pub annotations: Labels,
    /// When it started firing.
    pub starts_at: Option<i64>,
    /// When it resolved, or until when it holds.
    pub ends_at: Option<i64>,
    /// Link back to the expression that raised it.
    pub generator_url: String,
}

impl Alert {
    /// The alert's name (`alertname`).
    pub fn name(&self) -> &str {
        self.labels.get("alertname").unwrap_or("")
    }

    /// Whether it is resolved at `ts` (ms): it has an end no later than `ts`.
    pub fn resolved_at(&self, ts: i64) -> bool {
        self.ends_at.is_some_and(|e| e <= ts)
    }
}

/// Adds the external labels an alert lacks (the alert's own win), then
/// applies `configs`; alerts a rule drops are left out.
pub fn relabel_alerts(
    configs: &[RelabelConfig],
    external: &Labels,
    alerts: Vec<Alert>,
) -> Vec<Alert> {
    if configs.is_empty() && external.is_empty() {
        return alerts;
    }
    let mut out = Vec::with_capacity(alerts.len());
    for mut a in alerts {
        let mut b = a.labels.to_builder();
        for l in external.iter() {
            if a.labels.get(l.name).is_none() {
                b.set(l.name, l.value);
            }
        }
        if !process_builder(&mut b, configs) {
            continue;
        }
        a.labels = b.build();
        out.push(a);
    }
    out
}

/// Formats `ms` as strfmt's `DateTime` does: `2006-01-02T15:04:05.000Z`.
pub fn format_time(ms: Option<i64>) -> String {
    let Some(ms) = ms else {
        return "0001-01-01T00:00:00.000Z".to_string();
    };
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

struct LabelSet<'a>(&'a Labels);

impl Serialize for LabelSet<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for l in self.0.iter() {
            m.serialize_entry(l.name, l.value)?;
        }
        m.end()
    }
}

/// One element of API v2's `PostableAlerts`, fields in Go's order.
#[derive(Serialize)]
struct Postable<'a> {
    #[serde(skip_serializing_if = "is_empty")]
    annotations: LabelSet<'a>,
    #[serde(rename = "endsAt")]
    ends_at: String,
    #[serde(rename = "startsAt")]
    starts_at: String,
    #[serde(rename = "generatorURL", skip_serializing_if = "str::is_empty")]
    generator_url: &'a str,
    labels: LabelSet<'a>,
}

fn is_empty(l: &LabelSet<'_>) -> bool {
    l.0.is_empty()
}

/// The JSON body of `POST /api/v2/alerts` for `alerts`.
pub fn encode_v2(alerts: &[Alert]) -> Result<Vec<u8>, serde_json::Error> {
    let list: Vec<Postable<'_>> = alerts
        .iter()
        .map(|a| Postable {
            annotations: LabelSet(&a.annotations),
            ends_at: format_time(a.ends_at),
            starts_at: format_time(a.starts_at),
            generator_url: &a.generator_url,
            labels: LabelSet(&a.labels),
        })
        .collect();
    serde_json::to_vec(&list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(labels: &[(&str, &str)]) -> Alert {
        Alert {
            labels: Labels::from_pairs(labels),
            annotations: Labels::from_pairs(&[("summary", "s")]),
            starts_at: Some(1_700_000_000_123),
            ends_at: None,
            generator_url: "http://p/graph".into(),
        }
    }

    #[test]
    fn times_as_strfmt_prints_them() {
        assert_eq!(format_time(Some(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_time(Some(1_700_000_000_123)),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            format_time(Some(951_782_400_000)),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(format_time(None), "0001-01-01T00:00:00.000Z");
    }

    #[test]
    fn json_v2() {
        let body = encode_v2(&[alert(&[("alertname", "A"), ("job", "x")])]).expect("json");
        assert_eq!(
            String::from_utf8(body).expect("utf8"),
            r#"[{"annotations":{"summary":"s"},"endsAt":"0001-01-01T00:00:00.000Z","startsAt":"2023-11-14T22:13:20.123Z","generatorURL":"http://p/graph","labels":{"alertname":"A","job":"x"}}]"#
        );
    }

    #[test]
    fn external_labels_then_relabel() {
        let cfgs: Vec<RelabelConfig> =
            relabel_configs(r#"[{"source_labels":["job"],"regex":"drop","action":"drop"}]"#);
        let ext = Labels::from_pairs(&[("dc", "eu"), ("job", "ext")]);
        let out = relabel_alerts(
            &cfgs,
            &ext,
            vec![
                alert(&[("alertname", "A"), ("job", "x")]),
                alert(&[("alertname", "B"), ("job", "drop")]),
            ],
        );
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].labels,
            Labels::from_pairs(&[("alertname", "A"), ("dc", "eu"), ("job", "x")])
        );
    }

    fn relabel_configs(json: &str) -> Vec<RelabelConfig> {
        vigil_config::Config::load(
            &format!("alerting:\n  alert_relabel_configs: {json}\n"),
            std::path::Path::new("."),
        )
        .expect("config")
        .alerting
        .alert_relabel_configs
    }
}
