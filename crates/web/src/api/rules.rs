//! `/api/v1/rules`, `/api/v1/alerts` and `/api/v1/alertmanagers`, over
//! the [`RulesProvider`](crate::RulesProvider) and
//! [`AlertmanagersProvider`](crate::AlertmanagersProvider). Without
//! providers they answer as Prometheus without rules or Alertmanagers.

use std::collections::BTreeSet;

use vigil_model::{Labels, Matcher};

use super::{ApiResult, Ctx, Output};
use crate::error::ApiError;
use crate::json;
use crate::params::parse_matchers;
use crate::providers::{Alert, Rule};

fn push_alert(out: &mut String, a: &Alert) {
    out.push_str("{\"labels\":");
    json::push_labels(out, &a.labels);
    out.push_str(",\"annotations\":");
    json::push_labels(out, &a.annotations);
    out.push_str(",\"state\":");
    json::push_str(out, &a.state);
    out.push_str(",\"activeAt\":");
    json::push_time(out, a.active_at);
    if a.keep_firing_since.is_some() {
        out.push_str(",\"keepFiringSince\":");
        json::push_time(out, a.keep_firing_since);
    }
    out.push_str(",\"value\":\"");
    json::push_float_e(out, a.value);
    out.push_str("\"}");
}

fn push_alerts(out: &mut String, alerts: &[Alert]) {
    out.push('[');
    for (i, a) in alerts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_alert(out, a);
    }
    out.push(']');
}

/// Go's `strconv.ParseBool`.
fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            vigil_model::quote::quote(s)
        )),
    }
}

fn matches_sets(sets: &[Vec<Matcher>], l: &Labels) -> bool {
    sets.is_empty()
        || sets
            .iter()
            .any(|set| set.iter().all(|m| m.matches(l.get(m.name()).unwrap_or(""))))
}

fn push_rule(out: &mut String, rule: &Rule, exclude_alerts: bool) {
    match rule {
        Rule::Alerting(r) => {
            out.push_str("{\"state\":");
            json::push_str(out, &r.state);
            out.push_str(",\"name\":");
            json::push_str(out, &r.name);
            out.push_str(",\"query\":");
            json::push_str(out, &r.query);
            out.push_str(",\"duration\":");
            json::push_json_float(out, r.duration);
            out.push_str(",\"keepFiringFor\":");
            json::push_json_float(out, r.keep_firing_for);
            out.push_str(",\"labels\":");
            json::push_labels(out, &r.labels);
            out.push_str(",\"annotations\":");
            json::push_labels(out, &r.annotations);
            out.push_str(",\"alerts\":");
            if exclude_alerts {
                out.push_str("null");
            } else {
                push_alerts(out, &r.alerts);
            }
            out.push_str(",\"health\":");
            json::push_str(out, r.health.as_str());
            if !r.last_error.is_empty() {
                out.push_str(",\"lastError\":");
                json::push_str(out, &r.last_error);
            }
            out.push_str(",\"evaluationTime\":");
            json::push_json_float(out, r.evaluation_time);
            out.push_str(",\"lastEvaluation\":");
            json::push_time(out, r.last_evaluation);
            out.push_str(",\"type\":\"alerting\"}");
        }
        Rule::Recording(r) => {
            out.push_str("{\"name\":");
            json::push_str(out, &r.name);
            out.push_str(",\"query\":");
            json::push_str(out, &r.query);
            out.push_str(",\"labels\":");
            json::push_labels(out, &r.labels);
            out.push_str(",\"health\":");
            json::push_str(out, r.health.as_str());
            if !r.last_error.is_empty() {
                out.push_str(",\"lastError\":");
                json::push_str(out, &r.last_error);
            }
            out.push_str(",\"evaluationTime\":");
            json::push_json_float(out, r.evaluation_time);
            out.push_str(",\"lastEvaluation\":");
            json::push_time(out, r.last_evaluation);
            out.push_str(",\"type\":\"recording\"}");
        }
    }
}

/// The token naming a group for `group_next_token`: the hex SHA-256 of
/// `<file>;<group>`, as Prometheus 3.x makes it, so a client can page
/// through either server the same way.
fn group_token(file: &str, group: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{file};{group}").as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// `group_limit` and `group_next_token` (Prometheus 3.x pagination):
/// the page size, and the token of the first group of the page.
fn pagination(ctx: &Ctx<'_>) -> Result<Option<(usize, String)>, ApiError> {
    let limit = ctx.params.get("group_limit");
    let token = ctx.params.get("group_next_token");
    if !token.is_empty() && limit.is_empty() {
        return Err(ApiError::invalid_param(
            "group_next_token",
            "group_limit needs to be present in order to paginate over the groups",
        ));
    }
    if limit.is_empty() {
        return Ok(None);
    }
    let n = crate::params::go_parse_int32(limit).map_err(|e| {
        ApiError::invalid_param(
            "group_limit",
            format!("group_limit needs to be a valid number: {e}"),
        )
    })?;
    if n <= 0 {
        return Err(ApiError::invalid_param(
            "group_limit",
            "group_limit needs to be greater than 0",
        ));
    }
    Ok(Some((
        usize::try_from(n).unwrap_or(usize::MAX),
        token.to_string(),
    )))
}

/// `GET /api/v1/rules` with the `type`, `rule_name[]`, `rule_group[]`,
/// `file[]`, `match[]` and `exclude_alerts` filters, paginated by
/// `group_limit` and `group_next_token`.
pub(crate) fn rules(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx.params;
    let set = |k: &str| p.all(k).into_iter().collect::<BTreeSet<&str>>();
    let (names, groups, files) = (set("rule_name[]"), set("rule_group[]"), set("file[]"));
    let sets = parse_matchers(&p.all("match[]")).map_err(ApiError::BadData)?;
    let typ = p.get("type").to_ascii_lowercase();
    if !matches!(typ.as_str(), "" | "alert" | "record") {
        return Err(ApiError::invalid_param(
            "type",
            format!("not supported value {}", vigil_model::quote::quote(&typ)),
        ));
    }
    let exclude_alerts = match p.get("exclude_alerts").to_ascii_lowercase().as_str() {
        "" => false,
        s => parse_bool(s).map_err(|e| {
            ApiError::invalid_param(
                "exclude_alerts",
                format!("error converting exclude_alerts: {e}"),
            )
        })?,
    };
    let page = pagination(ctx)?;
    let all = ctx
        .state
        .rules
        .as_ref()
        .map(|r| r.rule_groups())
        .unwrap_or_default();
    let mut out = String::from("{\"groups\":[");
    let mut first_group = true;
    let mut listed = 0usize;
    let mut next_token = None;
    // Without a token the page starts at the first group.
    let mut found_token = page.as_ref().is_none_or(|(_, t)| t.is_empty());
    for g in &all {
        if !found_token {
            match &page {
                Some((_, t)) if *t == group_token(&g.file, &g.name) => found_token = true,
                _ => continue,
            }
        }
        if (!groups.is_empty() && !groups.contains(g.name.as_str()))
            || (!files.is_empty() && !files.contains(g.file.as_str()))
        {
            continue;
        }
        let mut rules = String::new();
        for r in &g.rules {
            let wanted = match r {
                Rule::Alerting(_) => typ != "record",
                Rule::Recording(_) => typ != "alert",
            };
            if !wanted
                || (!names.is_empty() && !names.contains(r.name()))
                || !matches_sets(&sets, r.labels())
            {
                continue;
            }
            if !rules.is_empty() {
                rules.push(',');
            }
            push_rule(&mut rules, r, exclude_alerts);
        }
        // A group all of whose rules were filtered out is left out.
        if rules.is_empty() {
            continue;
        }
        if let Some((limit, _)) = &page {
            if listed == *limit {
                // One group beyond the page: there is a next page, and
                // it starts here.
                next_token = Some(group_token(&g.file, &g.name));
                break;
            }
        }
        listed += 1;
        if !first_group {
            out.push(',');
        }
        first_group = false;
        out.push_str("{\"name\":");
        json::push_str(&mut out, &g.name);
        out.push_str(",\"file\":");
        json::push_str(&mut out, &g.file);
        out.push_str(",\"rules\":[");
        out.push_str(&rules);
        out.push_str("],\"interval\":");
        json::push_json_float(&mut out, g.interval);
        out.push_str(&format!(",\"limit\":{},\"evaluationTime\":", g.limit));
        json::push_json_float(&mut out, g.evaluation_time);
        out.push_str(",\"lastEvaluation\":");
        json::push_time(&mut out, g.last_evaluation);
        out.push('}');
    }
    if !found_token {
        let token = page.map(|(_, t)| t).unwrap_or_default();
        return Err(ApiError::invalid_param(
            "group_next_token",
            format!("invalid group_next_token '{token}'. were rule groups changed?"),
        ));
    }
    out.push(']');
    if let Some(t) = next_token {
        out.push_str(",\"groupNextToken\":");
        json::push_str(&mut out, &t);
    }
    out.push('}');
    Ok(Output::data(out))
}

/// `GET /api/v1/alerts`: the active alerts of every alerting rule.
pub(crate) fn alerts(ctx: &Ctx<'_>) -> ApiResult {
    let all = ctx
        .state
        .rules
        .as_ref()
        .map(|r| r.rule_groups())
        .unwrap_or_default();
    let alerts: Vec<Alert> = all
        .into_iter()
        .flat_map(|g| g.rules)
        .filter_map(|r| match r {
            Rule::Alerting(a) => Some(a.alerts),
            Rule::Recording(_) => None,
        })
        .flatten()
        .collect();
    let mut out = String::from("{\"alerts\":");
    push_alerts(&mut out, &alerts);
    out.push('}');
    Ok(Output::data(out))
}

/// `GET /api/v1/alertmanagers`.
pub(crate) fn alertmanagers(ctx: &Ctx<'_>) -> ApiResult {
    let (active, dropped) = ctx
        .state
        .alertmanagers
        .as_ref()
        .map(|a| (a.active(), a.dropped()))
        .unwrap_or_default();
    let list = |out: &mut String, urls: &[String]| {
        out.push('[');
        for (i, u) in urls.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"url\":");
            json::push_str(out, u);
            out.push('}');
        }
        out.push(']');
    };
    let mut out = String::from("{\"activeAlertmanagers\":");
    list(&mut out, &active);
    out.push_str(",\"droppedAlertmanagers\":");
    list(&mut out, &dropped);
    out.push('}');
    Ok(Output::data(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_json() {
        let a = Alert {
            labels: Labels::from_pairs(&[("alertname", "X")]),
            state: "firing".into(),
            value: 1.0,
            ..Alert::default()
        };
        let mut out = String::new();
        push_alert(&mut out, &a);
        assert_eq!(
            out,
            r#"{"labels":{"alertname":"X"},"annotations":{},"state":"firing","activeAt":"0001-01-01T00:00:00Z","value":"1e+00"}"#
        );
    }
}
