//! Bridges from Vigil's data model to alert templates: what an alerting
//! rule hands to [`crate::template`] for each alert (labels, external
//! labels and the sample value as Prometheus' `AlertTemplateData`) and what
//! the `query` template function returns for each sample of a vector.

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_model::{FloatHistogram, Labels};
use vigil_template::{Sample, Value, alert_template_data};

/// A label set as the `map[string]string` templates see (`$labels`).
pub fn labels_map(labels: &Labels) -> BTreeMap<String, String> {
    labels
        .iter()
        .map(|l| (l.name.to_string(), l.value.to_string()))
        .collect()
}

/// A sample's value as templates see it: a float, or a native histogram
/// printed as Prometheus prints one.
pub fn sample_value(value: f64, histogram: Option<&FloatHistogram>) -> Value {
    match histogram {
        Some(h) => Value::Histogram(Arc::from(h.to_string())),
        None => Value::Float(value),
    }
}

/// The dot of an alert's label and annotation templates, from the alert's
/// series labels, the external labels, `--web.external-url` and the value.
pub fn template_data(
    labels: &Labels,
    external_labels: &Labels,
    external_url: &str,
    value: Value,
) -> Value {
    alert_template_data(
        &labels_map(labels),
        &labels_map(external_labels),
        external_url,
        value,
    )
}

/// One sample of a `query` result (`.Labels`, `.Value`).
pub fn query_sample(labels: &Labels, value: Value) -> Sample {
    Sample {
        labels: labels_map(labels),
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_template::{Context, expand_alert_text};

    #[test]
    fn expands_from_model_labels() {
        let labels = Labels::from_pairs(&[("__name__", "up"), ("instance", "h:1")]);
        let ext = Labels::from_pairs(&[("dc", "eu")]);
        let data = template_data(&labels, &ext, "http://p", sample_value(0.25, None));
        let out = expand_alert_text(
            "Down",
            "{{ $labels.instance }} {{ $externalLabels.dc }} {{ $value | humanizePercentage }}",
            data,
            Context::default(),
        );
        assert_eq!(out, "h:1 eu 25%");
        let s = query_sample(&labels, Value::Float(1.0));
        assert_eq!(s.labels["__name__"], "up");
    }
}
