//! `/federate`: the newest sample (within the lookback delta) of every
//! series the `match[]` selectors pick, as an exposition another
//! Prometheus scrapes (with `honor_labels: true` on its side), with this
//! server's external labels added where a series lacks them.
//!
//! As upstream: series are grouped into untyped families by metric name,
//! stale markers are left out (the formats cannot carry them), native
//! histograms go out only in protobuf, and every sample carries its
//! timestamp. Unlike upstream, an absent `instance` is not sent as an
//! empty label (Vigil's label sets hold no empty values; a scraper treats
//! both alike).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use vigil_exposition::negotiate::Format;
use vigil_exposition::{FamilySample, MetricFamily, SampleValue};
use vigil_model::{CounterResetHint, FloatHistogram, Labels, MetricType, is_stale_nan};

use crate::api::{not_ready, read_params};
use crate::params::system_time_ms;
use crate::state::WebState;

/// The newest sample of one series.
#[derive(Debug)]
enum Latest {
    Float(f64),
    Histogram(FloatHistogram),
}

/// A series with the timestamp and value of its newest sample.
type Newest = (Labels, i64, Latest);
/// A failure: the status and the text.
type FederateError = (StatusCode, String);

/// Selects the newest sample of each series `selectors` pick in
/// `mint..=maxt` (label order, merged over selectors).
fn latest_samples(
    state: &WebState,
    selectors: &[&str],
    mint: i64,
    maxt: i64,
) -> Result<Vec<Newest>, FederateError> {
    let mut sets = Vec::new();
    for s in selectors {
        sets.push(
            vigil_promql::parse_metric_selector(s)
                .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?,
        );
    }
    let mut found: BTreeMap<Labels, (i64, Latest)> = BTreeMap::new();
    for set in &sets {
        let data = state
            .db
            .select_data(mint, maxt, set)
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        for (labels, d) in data {
            let f = d.floats.last().map(|&(t, v)| (t, Latest::Float(v)));
            let h = d
                .histograms
                .last()
                .map(|(t, h)| (*t, Latest::Histogram(h.to_float())));
            let newest = match (f, h) {
                (Some(f), Some(h)) => Some(if h.0 > f.0 { h } else { f }),
                (f, h) => f.or(h),
            };
            if let Some(n) = newest {
                found.insert(labels, n);
            }
        }
    }
    Ok(found
        .into_iter()
        .filter(|(_, (_, v))| match v {
            Latest::Float(f) => !is_stale_nan(*f),
            Latest::Histogram(h) => !is_stale_nan(h.sum),
        })
        .map(|(l, (t, v))| (l, t, v))
        .collect())
}

/// Groups samples into families as upstream's federation handler does: a
/// new family whenever the name, the sample kind or the histogram kind
/// changes.
fn families(
    mut samples: Vec<Newest>,
    external: &BTreeMap<String, String>,
    protobuf: bool,
) -> Vec<MetricFamily> {
    // Stable: series of one name stay in label order.
    samples.sort_by(|a, b| a.0.metric_name().cmp(&b.0.metric_name()));
    let mut out: Vec<MetricFamily> = Vec::new();
    for (labels, t, v) in samples {
        let Some(name) = labels.metric_name().map(str::to_string) else {
            continue;
        };
        let (kind, value) = match v {
            Latest::Float(f) => (MetricType::Unknown, SampleValue::Float(f)),
            Latest::Histogram(h) => {
                if !protobuf {
                    continue;
                }
                let kind = if h.counter_reset_hint == CounterResetHint::Gauge {
                    MetricType::GaugeHistogram
                } else {
                    MetricType::Histogram
                };
                (kind, SampleValue::FloatHistogram(h))
            }
        };
        let mut b = labels.to_builder();
        for (k, v) in external {
            if !labels.has(k) && !v.is_empty() {
                b.set(k, v);
            }
        }
        let sample = FamilySample {
            labels: b.build(),
            value,
            timestamp: Some(t),
            exemplars: Vec::new(),
            created_timestamp: None,
        };
        match out.last_mut() {
            Some(f) if f.name == name && f.kind == kind => f.samples.push(sample),
            _ => out.push(MetricFamily {
                name,
                kind,
                help: None,
                unit: None,
                samples: vec![sample],
            }),
        }
    }
    out
}

/// `GET /federate`.
pub(crate) async fn handler(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    if let Some(r) = not_ready(state.readiness()) {
        return r;
    }
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    let (format, escaping) = crate::server::negotiate_exposition(&headers);
    let st = Arc::clone(&state);
    let result = tokio::task::spawn_blocking(move || {
        let maxt = system_time_ms(SystemTime::now());
        let mint = maxt.saturating_sub(st.engine.options().lookback_delta);
        let selectors = params.all("match[]");
        let samples = latest_samples(&st, &selectors, mint, maxt)?;
        let external = st.config().global.external_labels.clone();
        let fams = families(samples, &external, format == Format::ProtobufDelimited);
        let fams = vigil_exposition::encode::escape_families(&fams, escaping);
        Ok::<_, FederateError>(crate::server::encode(format, &fams))
    })
    .await
    .unwrap_or_else(|e| Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())));
    match result {
        Ok(body) => {
            crate::server::exposition_response(&headers, format.content_type(escaping), body)
        }
        Err((code, msg)) => (code, format!("{msg}\n")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_name_and_adds_external_labels() {
        let l = |n: &str, i: &str| Labels::from_pairs(&[("__name__", n), ("instance", i)]);
        let samples = vec![
            (l("b", "x"), 10, Latest::Float(1.0)),
            (l("a", "y"), 20, Latest::Float(2.0)),
            (l("a", "x"), 30, Latest::Float(3.0)),
            (
                l("h", "x"),
                40,
                Latest::Histogram(FloatHistogram::default()),
            ),
        ];
        let mut ext = BTreeMap::new();
        ext.insert("zone".to_string(), "eu".to_string());
        ext.insert("instance".to_string(), "ignored".to_string());
        let fams = families(samples, &ext, false);
        let mut text = Vec::new();
        vigil_exposition::encode::text::write(&mut text, &fams);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "# TYPE a untyped\na{instance=\"y\",zone=\"eu\"} 2 20\na{instance=\"x\",zone=\"eu\"} 3 30\n\
             # TYPE b untyped\nb{instance=\"x\",zone=\"eu\"} 1 10\n"
        );
    }
}
