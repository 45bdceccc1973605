//! `/api/v1/series`, `/api/v1/labels`, `/api/v1/label/:name/values` and
//! `/api/v1/query_exemplars`: index lookups that need no samples.

use std::collections::BTreeSet;

use vigil_model::{EscapingScheme, Labels, LabelsBuilder, Matcher, unescape_name};
use vigil_promql::Expr;
use vigil_tsdb::db::Db;
use vigil_tsdb::querier::block_postings;

use super::{ApiResult, Ctx, Output};
use crate::error::ApiError;
use crate::json;
use crate::params::{MAX_TIME, MIN_TIME, limit_param, parse_matchers, time_param};

const TRUNCATED: &str = "results truncated due to limit";

/// Label sets of the series `matchers` select with data in `mint..=maxt`,
/// read from the indexes only (blocks: series with a chunk in the range;
/// head: its series when its range overlaps).
fn series_labels(
    db: &Db,
    mint: i64,
    maxt: i64,
    matchers: &[Matcher],
    out: &mut BTreeSet<Labels>,
) -> Result<(), ApiError> {
    let internal = |e: vigil_tsdb::Error| ApiError::Internal(e.to_string());
    for block in db.blocks() {
        let meta = block.meta();
        if meta.max_time <= mint || meta.min_time > maxt {
            continue;
        }
        let idx = block.index();
        let mut b = LabelsBuilder::new();
        let mut chunks = Vec::new();
        for id in block_postings(idx, matchers).map_err(internal)? {
            chunks.clear();
            let l = idx.series(id, &mut b, &mut chunks).map_err(internal)?;
            if chunks.iter().any(|c| c.maxt >= mint && c.mint <= maxt) {
                out.insert(l);
            }
        }
    }
    let head = db.head();
    let st = head.stats();
    if st.max_time != i64::MIN && st.max_time >= mint && st.min_time <= maxt {
        for r in head.postings_for_matchers(matchers) {
            if let Some(l) = head.series_labels(r) {
                out.insert(l);
            }
        }
    }
    Ok(())
}

fn labels_list(items: &[Labels]) -> String {
    let mut out = String::from("[");
    for (i, l) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::push_labels(&mut out, l);
    }
    out.push(']');
    out
}

/// `GET|POST /api/v1/series`.
pub(crate) fn series(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx.params;
    let selectors = p.all("match[]");
    if selectors.is_empty() {
        return Err(ApiError::BadData("no match[] parameter provided".into()));
    }
    let limit = limit_param(p)?;
    let start = time_param(p, "start", MIN_TIME)?;
    let end = time_param(p, "end", MAX_TIME)?;
    let sets = parse_matchers(&selectors).map_err(|e| ApiError::invalid_param("match[]", e))?;
    let mut found = BTreeSet::new();
    for set in &sets {
        series_labels(&ctx.state.db, start, end, set, &mut found)?;
        if ctx.ctl_canceled() {
            return Err(ApiError::Canceled("context canceled".into()));
        }
    }
    let mut all: Vec<Labels> = found.into_iter().collect();
    let mut warnings = Vec::new();
    if limit > 0 && all.len() > limit {
        all.truncate(limit);
        warnings.push(TRUNCATED.to_string());
    }
    Ok(Output {
        data: Some(labels_list(&all)),
        warnings,
        infos: Vec::new(),
    })
}

/// Applies `limit` to a sorted list, with Prometheus' warning.
fn limited(mut v: Vec<String>, limit: usize) -> Output {
    let mut warnings = Vec::new();
    if limit > 0 && v.len() > limit {
        v.truncate(limit);
        warnings.push(TRUNCATED.to_string());
    }
    let mut out = String::new();
    json::push_str_list(&mut out, &v);
    Output {
        data: Some(out),
        warnings,
        infos: Vec::new(),
    }
}

/// `GET|POST /api/v1/labels`.
pub(crate) fn label_names(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx.params;
    let limit = limit_param(p)?;
    let start = time_param(p, "start", MIN_TIME)?;
    let end = time_param(p, "end", MAX_TIME)?;
    let sets = parse_matchers(&p.all("match[]")).map_err(ApiError::BadData)?;
    let db = &ctx.state.db;
    let names: BTreeSet<String> = if sets.is_empty() {
        db.label_names(start, end, &[], 0)?.into_iter().collect()
    } else {
        let mut all = BTreeSet::new();
        for set in &sets {
            all.extend(db.label_names(start, end, set, 0)?);
        }
        all
    };
    Ok(limited(names.into_iter().collect(), limit))
}

/// `GET /api/v1/label/:name/values`.
pub(crate) fn label_values(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx.params;
    let raw = ctx.path_name.unwrap_or_default();
    // Names that are not legacy names travel escaped with `U__`.
    let name = if raw.starts_with("U__") {
        unescape_name(raw, EscapingScheme::Values).into_owned()
    } else {
        raw.to_string()
    };
    if name.is_empty() {
        return Err(ApiError::BadData(format!(
            "invalid label name: {}",
            vigil_model::quote::quote(&name)
        )));
    }
    let limit = limit_param(p)?;
    let start = time_param(p, "start", MIN_TIME)?;
    let end = time_param(p, "end", MAX_TIME)?;
    let sets = parse_matchers(&p.all("match[]")).map_err(ApiError::BadData)?;
    let db = &ctx.state.db;
    let exec = |e: vigil_tsdb::db::DbError| ApiError::Execution(e.to_string());
    let values: BTreeSet<String> = if sets.is_empty() {
        db.label_values(&name, start, end, &[], 0)
            .map_err(exec)?
            .into_iter()
            .collect()
    } else {
        let mut all = BTreeSet::new();
        for set in &sets {
            all.extend(db.label_values(&name, start, end, set, 0).map_err(exec)?);
        }
        all
    };
    Ok(limited(values.into_iter().collect(), limit))
}

/// The matchers of every vector selector in `expr` (`parser.ExtractSelectors`).
fn extract_selectors(expr: &Expr, out: &mut Vec<Vec<Matcher>>) {
    if let Expr::VectorSelector(vs) = expr {
        out.push(vs.matchers.clone());
    }
    for child in expr.children() {
        extract_selectors(child, out);
    }
}

/// `GET|POST /api/v1/query_exemplars`.
pub(crate) fn query_exemplars(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx.params;
    let start = time_param(p, "start", MIN_TIME)?;
    let end = time_param(p, "end", MAX_TIME)?;
    if end < start {
        return Err(ApiError::BadData(
            "end timestamp must not be before start timestamp".into(),
        ));
    }
    let expr = vigil_promql::parse(p.get("query")).map_err(|e| ApiError::BadData(e.to_string()))?;
    let mut selectors = Vec::new();
    extract_selectors(&expr, &mut selectors);
    if selectors.is_empty() {
        return Ok(Output::default());
    }
    let found = ctx.state.db.head().select_exemplars(start, end, &selectors);
    let mut out = String::from("[");
    for (i, (series, exemplars)) in found.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"seriesLabels\":");
        json::push_labels(&mut out, series);
        out.push_str(",\"exemplars\":[");
        for (j, e) in exemplars.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str("{\"labels\":");
            json::push_labels(&mut out, &e.labels);
            out.push_str(",\"value\":");
            json::push_value(&mut out, e.value);
            out.push_str(",\"timestamp\":");
            json::push_timestamp(&mut out, e.ts);
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push(']');
    Ok(Output::data(out))
}
