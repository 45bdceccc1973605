//! `/api/v1/query`, `/api/v1/query_range` and `/api/v1/format_query`.

use std::time::{Duration, SystemTime};

use vigil_promql::engine::{Engine, QueryResult};
use vigil_promql::value::Value;

use super::{ApiResult, Ctx, Output, cap_annotations};
use crate::error::ApiError;
use crate::json;
use crate::params::{
    Params, duration_param, limit_param, parse_duration, parse_time, system_time_ms, time_param,
};

/// Most points a range query may return per series.
const MAX_POINTS: i128 = 11_000;

/// An engine for one request: the server's settings with the request's
/// `lookback_delta` and a `timeout` no longer than the server's.
fn engine_for(ctx: &Ctx<'_>) -> Result<Engine, ApiError> {
    let p = ctx.params;
    let mut opts = ctx.state.engine.options().clone();
    if !p.get("timeout").is_empty() {
        let t = duration_param(p, "timeout")?;
        opts.timeout = Some(opts.timeout.map_or(t, |d: Duration| d.min(t)));
    }
    let lb = p.get("lookback_delta");
    if !lb.is_empty() {
        let ns = parse_duration(lb).map_err(|e| {
            ApiError::BadData(format!("error parsing lookback delta duration: {e}"))
        })?;
        if ns > 0 {
            opts.lookback_delta = ns / 1_000_000;
        }
    }
    Ok(Engine::new(opts))
}

/// Warning Prometheus adds for `stats` values it will refuse one day.
fn stats_warning(p: &Params) -> Option<String> {
    match p.get("stats") {
        "" | "true" | "all" => None,
        s => Some(format!(
            "value {} for parameter \"stats\" is deprecated and will be rejected in the next major release, use \"true\" or \"all\"",
            vigil_model::quote::quote(s)
        )),
    }
}

/// Renders a result as `QueryData` with the limit, annotations and stats.
fn respond(ctx: &Ctx<'_>, res: QueryResult, limit: usize) -> ApiResult {
    let QueryResult {
        mut value,
        mut warnings,
        mut infos,
        stats,
    } = res;
    cap_annotations(&mut warnings, &mut infos);
    if limit > 0 {
        let truncated = match &mut value {
            Value::Vector(v) if v.len() > limit => {
                v.truncate(limit);
                true
            }
            Value::Matrix(m) if m.len() > limit => {
                m.truncate(limit);
                true
            }
            _ => false,
        };
        if truncated {
            warnings.push("results truncated due to limit".into());
        }
    }
    if let Some(w) = stats_warning(ctx.params) {
        warnings.push(w);
    }
    let mut out = String::from("{\"resultType\":");
    json::push_str(&mut out, json::result_type(&value));
    out.push_str(",\"result\":");
    json::push_result(&mut out, &value);
    if !ctx.params.get("stats").is_empty() {
        let t = stats.eval_seconds;
        out.push_str(",\"stats\":{\"timings\":{\"evalTotalTime\":");
        json::push_json_float(&mut out, t);
        out.push_str(",\"resultSortTime\":0,\"queryPreparationTime\":0,\"innerEvalTime\":");
        json::push_json_float(&mut out, t);
        out.push_str(",\"execQueueTime\":0,\"execTotalTime\":");
        json::push_json_float(&mut out, t);
        out.push_str(&format!(
            "}},\"samples\":{{\"totalQueryableSamples\":{},\"peakSamples\":{}}}}}",
            stats.total_samples, stats.peak_samples
        ));
    }
    out.push('}');
    Ok(Output {
        data: Some(out),
        warnings,
        infos,
    })
}

/// `GET|POST /api/v1/query`.
pub(crate) fn query(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx.params;
    let limit = limit_param(p)?;
    let ts = time_param(p, "time", system_time_ms(SystemTime::now()))?;
    let engine = engine_for(ctx)?;
    let res = engine.instant_query_with(&*ctx.state.db, p.get("query"), ts, ctx.ctl)?;
    respond(ctx, res, limit)
}

/// `GET|POST /api/v1/query_range`.
pub(crate) fn query_range(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx.params;
    let limit = limit_param(p)?;
    let start = parse_time(p.get("start")).map_err(|e| ApiError::invalid_param("start", e))?;
    let end = parse_time(p.get("end")).map_err(|e| ApiError::invalid_param("end", e))?;
    if end < start {
        return Err(ApiError::invalid_param(
            "end",
            "end timestamp must not be before start time",
        ));
    }
    let step = parse_duration(p.get("step")).map_err(|e| ApiError::invalid_param("step", e))?;
    if step <= 0 {
        return Err(ApiError::invalid_param(
            "step",
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    // As Prometheus: the span in nanoseconds over the step in nanoseconds.
    let span_ns = (i128::from(end) - i128::from(start)) * 1_000_000;
    if span_ns / i128::from(step) > MAX_POINTS {
        return Err(ApiError::BadData(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)".into(),
        ));
    }
    let engine = engine_for(ctx)?;
    let step_ms = step / 1_000_000;
    let res = engine
        .range_query_with(&*ctx.state.db, p.get("query"), start, end, step_ms, ctx.ctl)
        .map_err(|e| {
            // Prometheus refuses a range query of the wrong type when it
            // creates the query, as a bad `query` parameter.
            let msg = e.to_string();
            if msg.starts_with("invalid expression type") {
                ApiError::invalid_param("query", msg)
            } else {
                ApiError::from(e)
            }
        })?;
    respond(ctx, res, limit)
}

/// `GET|POST /api/v1/format_query`.
pub(crate) fn format_query(ctx: &Ctx<'_>) -> ApiResult {
    let q = vigil_promql::format_query(ctx.params.get("query"))
        .map_err(|e| ApiError::invalid_param("query", e))?;
    let mut out = String::new();
    json::push_str(&mut out, &q);
    Ok(Output::data(out))
}
