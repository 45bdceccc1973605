//! The data notification templates see, shaped as Alertmanager's
//! `template.Data`: `.Receiver`, `.Status`, `.Alerts` (with `.Firing` and
//! `.Resolved`), `.GroupLabels`, `.CommonLabels`, `.CommonAnnotations`,
//! `.ExternalURL`; label sets are `KV` values with `.SortedPairs`,
//! `.Names`, `.Values`, `.Remove` and print as `a=1, b=2`.

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_template::time::ZERO_TIME_NS;
use vigil_template::{ElemType, Func, Object, Param, Struct, Value};

use crate::alert::Alert;
use crate::matcher::LabelSet;

/// Names in Alertmanager's order: `alertname` first, the rest sorted.
fn sorted_names(kv: &LabelSet) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::with_capacity(kv.len());
    if kv.contains_key("alertname") {
        names.push("alertname");
    }
    names.extend(kv.keys().map(String::as_str).filter(|k| *k != "alertname"));
    names
}

fn strings(items: impl IntoIterator<Item = String>) -> Value {
    Value::list(
        items.into_iter().map(Value::from).collect(),
        ElemType::String,
    )
}

/// `template.Pairs`: a list of `{Name, Value}` with `.Names`, `.Values`
/// and a `name=value, ...` string form.
fn pairs(kv: &LabelSet) -> Value {
    let order: Vec<(String, String)> = sorted_names(kv)
        .into_iter()
        .map(|k| (k.to_string(), kv.get(k).cloned().unwrap_or_default()))
        .collect();
    let items = order
        .iter()
        .map(|(k, v)| {
            Value::Struct(Arc::new(Struct {
                type_name: "template.Pair".into(),
                fields: vec![
                    ("Name".into(), Value::from(k.as_str())),
                    ("Value".into(), Value::from(v.as_str())),
                ],
            }))
        })
        .collect();
    let names = strings(order.iter().map(|(k, _)| k.clone()));
    let values = strings(order.iter().map(|(_, v)| v.clone()));
    let text = Value::from(
        order
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let mut methods = BTreeMap::new();
    methods.insert(
        "Names".into(),
        Func::new(vec![], move |_| Ok(names.clone())),
    );
    methods.insert(
        "Values".into(),
        Func::new(vec![], move |_| Ok(values.clone())),
    );
    methods.insert(
        "String".into(),
        Func::new(vec![], move |_| Ok(text.clone())),
    );
    Value::Object(Arc::new(Object {
        type_name: "template.Pairs".into(),
        data: Value::list(items, ElemType::Any),
        methods,
    }))
}

/// `template.KV`: a string map with Alertmanager's methods.
pub fn kv(labels: &LabelSet) -> Value {
    let data = Value::string_map(labels.iter().map(|(k, v)| (k.clone(), v.as_str())));
    let sorted = pairs(labels);
    let names = strings(sorted_names(labels).into_iter().map(str::to_string));
    let values = strings(
        sorted_names(labels)
            .into_iter()
            .map(|k| labels.get(k).cloned().unwrap_or_default()),
    );
    let text = Value::from(
        sorted_names(labels)
            .into_iter()
            .map(|k| format!("{k}={}", labels.get(k).map_or("", String::as_str)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let own = labels.clone();
    let mut methods = BTreeMap::new();
    methods.insert(
        "SortedPairs".into(),
        Func::new(vec![], move |_| Ok(sorted.clone())),
    );
    methods.insert(
        "Names".into(),
        Func::new(vec![], move |_| Ok(names.clone())),
    );
    methods.insert(
        "Values".into(),
        Func::new(vec![], move |_| Ok(values.clone())),
    );
    methods.insert(
        "String".into(),
        Func::new(vec![], move |_| Ok(text.clone())),
    );
    methods.insert(
        "Remove".into(),
        Func::new(vec![Param::Any], move |a| {
            let drop: Vec<String> = match a.first().map(Value::data) {
                Some(Value::List(l)) => l
                    .items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                Some(Value::Nil | Value::Missing) | None => Vec::new(),
                Some(other) => {
                    return Err(format!(
                        "wrong type for value; expected []string; got {}",
                        other.type_name()
                    ));
                }
            };
            let rest: LabelSet = own
                .iter()
                .filter(|(k, _)| !drop.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ok(kv(&rest))
        }),
    );
    Value::Object(Arc::new(Object {
        type_name: "template.KV".into(),
        data,
        methods,
    }))
}

/// `firing` or `resolved` for an alert at `now`.
pub fn alert_status(a: &Alert, now: i64) -> &'static str {
    if a.resolved_at(now) {
        "resolved"
    } else {
        "firing"
    }
}

/// The `template.Alert` value of an alert at `now`. A firing alert's end is
/// Go's zero time, as Alertmanager hides an end that has not been reached.
pub fn alert_value(a: &Alert, now: i64) -> Value {
    let resolved = a.resolved_at(now);
    Value::Struct(Arc::new(Struct {
        type_name: "template.Alert".into(),
        fields: vec![
            ("Status".into(), Value::from(alert_status(a, now))),
            ("Labels".into(), kv(&a.labels)),
            ("Annotations".into(), kv(&a.annotations)),
            ("StartsAt".into(), Value::Time(a.starts_at)),
            (
                "EndsAt".into(),
                Value::Time(if resolved { a.ends_at } else { ZERO_TIME_NS }),
            ),
            ("GeneratorURL".into(), Value::from(a.generator_url.as_str())),
            (
                "Fingerprint".into(),
                Value::from(format!("{:016x}", a.fingerprint())),
            ),
        ],
    }))
}

/// `template.Alerts`: the list with `.Firing` and `.Resolved`.
fn alerts_value(alerts: &[Alert], now: i64) -> Value {
    let all: Vec<(bool, Value)> = alerts
        .iter()
        .map(|a| (a.resolved_at(now), alert_value(a, now)))
        .collect();
    let firing = Value::list(
        all.iter()
            .filter(|(r, _)| !r)
            .map(|(_, v)| v.clone())
            .collect(),
        ElemType::Any,
    );
    let resolved = Value::list(
        all.iter()
            .filter(|(r, _)| *r)
            .map(|(_, v)| v.clone())
            .collect(),
        ElemType::Any,
    );
    let mut methods = BTreeMap::new();
    methods.insert(
        "Firing".into(),
        Func::new(vec![], move |_| Ok(firing.clone())),
    );
    methods.insert(
        "Resolved".into(),
        Func::new(vec![], move |_| Ok(resolved.clone())),
    );
    Value::Object(Arc::new(Object {
        type_name: "template.Alerts".into(),
        data: Value::list(all.into_iter().map(|(_, v)| v).collect(), ElemType::Any),
        methods,
    }))
}

/// The labels (or annotations) every alert shares.
pub fn common(maps: impl Iterator<Item = LabelSet>) -> LabelSet {
    let mut acc: Option<LabelSet> = None;
    for m in maps {
        acc = Some(match acc {
            None => m,
            Some(a) => a.into_iter().filter(|(k, v)| m.get(k) == Some(v)).collect(),
        });
    }
    acc.unwrap_or_default()
}

/// Alertmanager's `regexp.QuoteMeta` of the receiver name, which its
/// template data carries instead of the plain name.
fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What a notification's templates are executed with.
#[derive(Debug, Clone)]
pub struct Data {
    /// The `template.Data` value.
    pub value: Value,
    /// `firing` if any alert fires, else `resolved`.
    pub status: &'static str,
    /// The common labels (integrations use them outside templates too).
    pub common_labels: LabelSet,
}

impl Data {
    /// Builds the data of a notification about `alerts` at `now`.
    pub fn new(
        receiver: &str,
        group_labels: &LabelSet,
        alerts: &[Alert],
        external_url: &str,
        now: i64,
    ) -> Data {
        let status = if alerts.iter().any(|a| !a.resolved_at(now)) {
            "firing"
        } else {
            "resolved"
        };
        let common_labels = common(alerts.iter().map(|a| a.labels.clone()));
        let common_annotations = common(alerts.iter().map(|a| a.annotations.clone()));
        let value = Value::Struct(Arc::new(Struct {
            type_name: "*template.Data".into(),
            fields: vec![
                ("Receiver".into(), Value::from(quote_meta(receiver))),
                ("Status".into(), Value::from(status)),
                ("Alerts".into(), alerts_value(alerts, now)),
                ("GroupLabels".into(), kv(group_labels)),
                ("CommonLabels".into(), kv(&common_labels)),
                ("CommonAnnotations".into(), kv(&common_annotations)),
                ("ExternalURL".into(), Value::from(external_url)),
            ],
        }));
        Data {
            value,
            status,
            common_labels,
        }
    }
}
