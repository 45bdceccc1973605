//! The schema of a rule unit-test file (promtool's `unitTestFile`),
//! decoded strictly: an unknown field is an error, as with yaml.v2's
//! `UnmarshalStrict`.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Deserializer};

use crate::go_format::parse_model_duration;

/// A whole unit-test file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnitTestFile {
    #[serde(default)]
    pub(crate) rule_files: Vec<String>,
    /// In ms; 0 means the default of one minute.
    #[serde(default, deserialize_with = "duration")]
    pub(crate) evaluation_interval: i64,
    #[serde(default)]
    pub(crate) group_eval_order: Vec<String>,
    #[serde(default)]
    pub(crate) tests: Vec<TestGroup>,
    #[serde(default)]
    pub(crate) fuzzy_compare: bool,
}

/// One entry of `tests`: input series and the checks run over them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestGroup {
    /// In ms; 0 means the file's evaluation interval.
    #[serde(default, deserialize_with = "duration")]
    pub(crate) interval: i64,
    #[serde(default)]
    pub(crate) input_series: Vec<InputSeries>,
    #[serde(default)]
    pub(crate) alert_rule_test: Vec<AlertTestCase>,
    #[serde(default)]
    pub(crate) promql_expr_test: Vec<PromqlTestCase>,
    #[serde(default)]
    pub(crate) external_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) external_url: String,
    #[serde(default)]
    pub(crate) name: String,
    /// Where evaluation starts, in ms since the epoch (3.x; 0 by default).
    #[serde(default, deserialize_with = "start_timestamp")]
    pub(crate) start_timestamp: i64,
}

/// One `input_series` entry in series-description notation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InputSeries {
    #[serde(default)]
    pub(crate) series: String,
    #[serde(default)]
    pub(crate) values: String,
}

/// One `alert_rule_test` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertTestCase {
    #[serde(default, deserialize_with = "duration")]
    pub(crate) eval_time: i64,
    #[serde(default)]
    pub(crate) alertname: String,
    #[serde(default)]
    pub(crate) exp_alerts: Vec<ExpAlert>,
}

/// One expected alert.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpAlert {
    #[serde(default)]
    pub(crate) exp_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) exp_annotations: BTreeMap<String, String>,
}

/// One `promql_expr_test` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PromqlTestCase {
    #[serde(default)]
    pub(crate) expr: String,
    #[serde(default, deserialize_with = "duration")]
    pub(crate) eval_time: i64,
    #[serde(default)]
    pub(crate) exp_samples: Vec<ExpSample>,
}

/// One expected sample; a non-empty `histogram` makes `value` unused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpSample {
    #[serde(default)]
    pub(crate) labels: String,
    #[serde(default)]
    pub(crate) value: f64,
    #[serde(default)]
    pub(crate) histogram: String,
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let s = String::deserialize(d)?;
    parse_model_duration(&s).map_err(serde::de::Error::custom)
}

/// RFC 3339 or Unix seconds (with a fraction), as promtool's `parseTime`.
fn start_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let s = String::deserialize(d)?;
    crate::tsdb::rules_backfill::parse_time(&s).map_err(serde::de::Error::custom)
}

/// Joins `rel` to `base` and cleans the result lexically, as Go's
/// `filepath.Join` does (promtool prints rule-file names this way).
pub(crate) fn join_clean(base: &Path, rel: &str) -> PathBuf {
    let joined = if Path::new(rel).is_absolute() {
        PathBuf::from(rel)
    } else {
        base.join(rel)
    };
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_like_go() {
        assert_eq!(join_clean(Path::new("."), "r.yml"), PathBuf::from("r.yml"));
        assert_eq!(
            join_clean(Path::new("a/b"), "../r.yml"),
            PathBuf::from("a/r.yml")
        );
        assert_eq!(
            join_clean(Path::new("a"), "/x/r.yml"),
            PathBuf::from("/x/r.yml")
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let r: Result<UnitTestFile, _> = serde_yaml_ng::from_str("tests: []\nbogus: 1\n");
        assert!(r.is_err());
        let f: UnitTestFile =
            serde_yaml_ng::from_str("evaluation_interval: 30s\ntests:\n  - interval: 1m\n")
                .expect("valid file");
        assert_eq!(f.evaluation_interval, 30_000);
        assert_eq!(f.tests.len(), 1);
    }
}
