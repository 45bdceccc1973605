//! `/api/v1/admin/tsdb/*` (behind `--web.enable-admin-api`): delete
//! series, clean tombstones, snapshot.

use std::hash::{BuildHasher, Hasher};
use std::time::SystemTime;

use super::{ApiResult, Ctx, Output};
use crate::error::ApiError;
use crate::params::{MAX_TIME, MIN_TIME, format_rfc3339, time_param};

fn check_enabled(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    if ctx.state.options.enable_admin_api {
        Ok(())
    } else {
        Err(ApiError::Unavailable("admin APIs disabled".into()))
    }
}

/// `POST|PUT /api/v1/admin/tsdb/delete_series`.
pub(crate) fn delete_series(ctx: &Ctx<'_>) -> ApiResult {
    check_enabled(ctx)?;
    let p = ctx.params;
    let selectors = p.all("match[]");
    if selectors.is_empty() {
        return Err(ApiError::BadData("no match[] parameter provided".into()));
    }
    let start = time_param(p, "start", MIN_TIME)?;
    let end = time_param(p, "end", MAX_TIME)?;
    for s in selectors {
        let matchers = vigil_promql::parse_metric_selector(s)
            .map_err(|e| ApiError::invalid_param("match[]", e))?;
        ctx.state.db.delete(start, end, &matchers)?;
    }
    Ok(Output::default())
}

/// `POST|PUT /api/v1/admin/tsdb/clean_tombstones`.
pub(crate) fn clean_tombstones(ctx: &Ctx<'_>) -> ApiResult {
    check_enabled(ctx)?;
    ctx.state.db.clean_tombstones()?;
    Ok(Output::default())
}

/// A snapshot directory name as Prometheus makes it:
/// `20060102T150405Z0700-<16 random hex digits>`.
fn snapshot_name(now: SystemTime) -> String {
    let t = format_rfc3339(Some(now));
    // `2006-01-02T15:04:05[.frac]Z` → `20060102T150405Z`.
    let stamp: String = t
        .get(..19)
        .unwrap_or_default()
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        now.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    format!("{stamp}Z-{:016x}", h.finish() & 0x7fff_ffff_ffff_ffff)
}

/// `POST|PUT /api/v1/admin/tsdb/snapshot` (`skip_head`).
pub(crate) fn snapshot(ctx: &Ctx<'_>) -> ApiResult {
    check_enabled(ctx)?;
    let skip = ctx.params.get("skip_head");
    let skip_head = match skip {
        "" => false,
        "1" | "t" | "T" | "true" | "TRUE" | "True" => true,
        "0" | "f" | "F" | "false" | "FALSE" | "False" => false,
        s => {
            return Err(ApiError::invalid_param(
                "skip_head",
                format!(
                    "unable to parse boolean: strconv.ParseBool: parsing {}: invalid syntax",
                    vigil_model::quote::quote(s)
                ),
            ));
        }
    };
    let name = snapshot_name(SystemTime::now());
    let dir = ctx.state.db.dir().join("snapshots").join(&name);
    std::fs::create_dir_all(&dir)
        .map_err(|e| ApiError::Internal(format!("create snapshot directory: {e}")))?;
    ctx.state
        .db
        .snapshot(&dir, !skip_head)
        .map_err(|e| ApiError::Internal(format!("create snapshot: {e}")))?;
    let mut out = String::from("{\"name\":");
    crate::json::push_str(&mut out, &name);
    out.push('}');
    Ok(Output::data(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_look_like_prometheus() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_433_189_430);
        let n = snapshot_name(t);
        assert!(n.starts_with("20150601T201030Z-"), "{n}");
        assert_eq!(n.len(), "20150601T201030Z-".len() + 16);
    }
}
