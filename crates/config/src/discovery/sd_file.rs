//! The target group files `file_sd_configs` reads (and `promtool check
//! config` checks): a JSON or YAML list of `{targets, labels}`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::TargetGroup;
use crate::error::ConfigError;
use crate::yaml;

/// Go's name for the target group's plain type, which strict YAML errors
/// quote (`field targats not found in type struct { … }`).
const GO_GROUP_TYPE: &str =
    r#"struct { Targets []string "yaml:\"targets\""; Labels model.LabelSet "yaml:\"labels\"" }"#;

/// JSON target groups are decoded leniently, as Go's `encoding/json` does.
#[derive(Deserialize)]
struct JsonGroup {
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

/// Parses an SD file's content; `ext` (`.json`, `.yml`, `.yaml`, any case)
/// picks the format.
pub fn parse_sd_file(content: &str, ext: &str) -> Result<Vec<TargetGroup>, ConfigError> {
    let groups: Vec<Option<TargetGroup>> = match ext.to_ascii_lowercase().as_str() {
        ".json" => {
            let raw: Vec<Option<JsonGroup>> =
                serde_json::from_str(content).map_err(|e| ConfigError::Yaml(e.to_string()))?;
            raw.into_iter()
                .map(|g| {
                    g.map(|g| TargetGroup {
                        targets: g.targets,
                        labels: g.labels,
                    })
                })
                .collect()
        }
        ".yml" | ".yaml" => {
            let doc = yaml::parse_document_any(content)?;
            let items =
                yaml::as_sequence(doc, "[]*targetgroup.Group").map_err(ConfigError::Yaml)?;
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if item.is_null() {
                    out.push(None);
                    continue;
                }
                let g: TargetGroup = yaml::decode(item, GO_GROUP_TYPE).map_err(|e| {
                    ConfigError::Yaml(if e.starts_with("field ") {
                        format!("yaml: unmarshal errors:\n  {e}")
                    } else {
                        e
                    })
                })?;
                out.push(Some(g));
            }
            out
        }
        other => {
            return Err(ConfigError::invalid(format!(
                "invalid file extension: {other:?}"
            )));
        }
    };
    groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            g.ok_or_else(|| {
                ConfigError::invalid(format!("nil target group item found (index {i})"))
            })
        })
        .collect()
}

/// Reads and parses an SD file, the format chosen by its extension.
pub fn read_sd_file(path: &Path) -> Result<Vec<TargetGroup>, ConfigError> {
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    if !matches!(
        ext.to_ascii_lowercase().as_str(),
        ".json" | ".yml" | ".yaml"
    ) {
        return Err(ConfigError::invalid(format!(
            "invalid file extension: {ext:?}"
        )));
    }
    let content = std::fs::read_to_string(path).map_err(|error| ConfigError::Io {
        path: path.to_owned(),
        error,
    })?;
    parse_sd_file(&content, &ext)
}
