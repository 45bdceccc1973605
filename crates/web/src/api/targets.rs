//! `/api/v1/targets`, `/api/v1/targets/metadata`, `/api/v1/metadata` and
//! `/api/v1/scrape_pools`, over the [`TargetsProvider`](crate::TargetsProvider).

use std::collections::BTreeMap;

use vigil_model::Labels;

use super::{ApiResult, Ctx, Output};
use crate::error::ApiError;
use crate::json;
use crate::params::metadata_limit;
use crate::providers::{ActiveTarget, MetricMetadata};

fn push_active(out: &mut String, t: &ActiveTarget) {
    out.push_str("{\"discoveredLabels\":");
    json::push_labels(out, &t.discovered_labels);
    out.push_str(",\"labels\":");
    json::push_labels(out, &t.labels);
    out.push_str(",\"scrapePool\":");
    json::push_str(out, &t.scrape_pool);
    out.push_str(",\"scrapeUrl\":");
    json::push_str(out, &t.scrape_url);
    out.push_str(",\"globalUrl\":");
    let global = if t.global_url.is_empty() {
        &t.scrape_url
    } else {
        &t.global_url
    };
    json::push_str(out, global);
    out.push_str(",\"lastError\":");
    json::push_str(out, &t.last_error);
    out.push_str(",\"lastScrape\":");
    json::push_time(out, t.last_scrape);
    out.push_str(",\"lastScrapeDuration\":");
    json::push_json_float(out, t.last_scrape_duration);
    out.push_str(",\"health\":");
    json::push_str(out, t.health.as_str());
    out.push_str(",\"scrapeInterval\":");
    json::push_str(out, &t.scrape_interval);
    out.push_str(",\"scrapeTimeout\":");
    json::push_str(out, &t.scrape_timeout);
    out.push('}');
}

/// `GET /api/v1/targets` with the `state` and `scrapePool` filters.
pub(crate) fn targets(ctx: &Ctx<'_>) -> ApiResult {
    let pool = ctx.params.get("scrapePool");
    let state = ctx.params.get("state").to_ascii_lowercase();
    let show_active = matches!(state.as_str(), "" | "any" | "active");
    let show_dropped = matches!(state.as_str(), "" | "any" | "dropped");
    let provider = ctx.state.targets.as_deref();
    let mut out = String::from("{\"activeTargets\":[");
    if show_active && let Some(p) = provider {
        let mut active = p.active();
        // Pools in name order, targets in the provider's order within one.
        active.sort_by(|a, b| a.scrape_pool.cmp(&b.scrape_pool));
        let mut first = true;
        for t in active
            .iter()
            .filter(|t| pool.is_empty() || t.scrape_pool == pool)
        {
            if !first {
                out.push(',');
            }
            first = false;
            push_active(&mut out, t);
        }
    }
    out.push_str("],\"droppedTargets\":[");
    if show_dropped && let Some(p) = provider {
        let mut dropped = p.dropped();
        dropped.sort_by(|a, b| a.scrape_pool.cmp(&b.scrape_pool));
        let mut first = true;
        for t in dropped
            .iter()
            .filter(|t| pool.is_empty() || t.scrape_pool == pool)
        {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str("{\"discoveredLabels\":");
            json::push_labels(&mut out, &t.discovered_labels);
            out.push_str(",\"scrapePool\":");
            json::push_str(&mut out, &t.scrape_pool);
            out.push('}');
        }
    }
    out.push_str("],\"droppedTargetCounts\":");
    if show_dropped {
        let mut counts = provider.map(|p| p.dropped_counts()).unwrap_or_default();
        counts.sort();
        out.push('{');
        for (i, (k, n)) in counts.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::push_str(&mut out, k);
            out.push_str(&format!(":{n}"));
        }
        out.push('}');
    } else {
        out.push_str("null");
    }
    out.push('}');
    Ok(Output::data(out))
}

/// `GET /api/v1/scrape_pools`.
pub(crate) fn scrape_pools(ctx: &Ctx<'_>) -> ApiResult {
    let mut pools = ctx
        .state
        .targets
        .as_ref()
        .map(|p| p.scrape_pools())
        .unwrap_or_default();
    pools.sort();
    let mut out = String::from("{\"scrapePools\":");
    json::push_str_list(&mut out, &pools);
    out.push('}');
    Ok(Output::data(out))
}

fn push_meta_fields(out: &mut String, m: &MetricMetadata) {
    out.push_str("\"type\":");
    json::push_str(out, m.kind.as_str());
    out.push_str(",\"help\":");
    json::push_str(out, &m.help);
    out.push_str(",\"unit\":");
    json::push_str(out, &m.unit);
}

/// `GET /api/v1/targets/metadata` (`match_target`, `metric`, `limit`).
pub(crate) fn target_metadata(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx.params;
    let limit = metadata_limit(p, "limit")?;
    let match_target = p.get("match_target");
    let matchers = if match_target.is_empty() {
        Vec::new()
    } else {
        vigil_promql::parse_metric_selector(match_target)
            .map_err(|e| ApiError::invalid_param("match_target", e))?
    };
    let metric = p.get("metric");
    let matches = |l: &Labels| {
        matchers
            .iter()
            .all(|m| m.matches(l.get(m.name()).unwrap_or("")))
    };
    let all = ctx
        .state
        .targets
        .as_ref()
        .map(|t| t.metadata((!metric.is_empty()).then_some(metric)))
        .unwrap_or_default();
    let mut out = String::from("[");
    let mut n: i64 = 0;
    for t in &all {
        if limit >= 0 && n >= limit {
            break;
        }
        if !matches(&t.target) {
            continue;
        }
        for m in &t.metadata {
            if n > 0 {
                out.push(',');
            }
            n += 1;
            out.push_str("{\"target\":");
            json::push_labels(&mut out, &t.target);
            out.push(',');
            if metric.is_empty() {
                out.push_str("\"metric\":");
                json::push_str(&mut out, &m.metric);
                out.push(',');
            }
            push_meta_fields(&mut out, m);
            out.push('}');
        }
    }
    out.push(']');
    Ok(Output::data(out))
}

/// `GET /api/v1/metadata` (`metric`, `limit`, `limit_per_metric`):
/// distinct metadata per family over all targets.
pub(crate) fn metadata(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx.params;
    let limit = metadata_limit(p, "limit")?;
    let per_metric = metadata_limit(p, "limit_per_metric")?;
    let metric = p.get("metric");
    let all = ctx
        .state
        .targets
        .as_ref()
        .map(|t| t.metadata((!metric.is_empty()).then_some(metric)))
        .unwrap_or_default();
    let mut by_name: BTreeMap<&str, Vec<&MetricMetadata>> = BTreeMap::new();
    for m in all.iter().flat_map(|t| t.metadata.iter()) {
        let list = by_name.entry(m.metric.as_str()).or_default();
        if per_metric > 0 && list.len() as i64 >= per_metric {
            continue;
        }
        let same = |o: &&MetricMetadata| o.kind == m.kind && o.help == m.help && o.unit == m.unit;
        if !list.iter().any(same) {
            list.push(m);
        }
    }
    let mut out = String::from("{");
    for (i, (name, list)) in by_name.iter().enumerate() {
        if limit >= 0 && i as i64 >= limit {
            break;
        }
        if i > 0 {
            out.push(',');
        }
        json::push_str(&mut out, name);
        out.push_str(":[");
        for (j, m) in list.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push('{');
            push_meta_fields(&mut out, m);
            out.push('}');
        }
        out.push(']');
    }
    out.push('}');
    Ok(Output::data(out))
}
