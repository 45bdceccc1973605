//! Parsing of an `eval` block: the command line, its `expect` lines and
//! the expected result lines.

use regex::Regex;

use super::super::series::parse_series_desc;
use super::{
    EvalCmd, EvalKind, Expect, ExpectKind, Expected, ExpectedSeries, MessageMatch, Patterns,
    ScriptError, duration_ms, err, parse_go_number, series_err,
};

const RANGE_VECTOR_PREFIX: &str = "expect range vector";
const EXPECT_STRING_PREFIX: &str = "expect string";

/// `from`, `to`, `step` of a range (end not before start).
fn range_times(from: &str, to: &str, step: &str) -> Result<(i64, i64, i64), String> {
    let start = duration_ms(from)
        .map_err(|e| format!("invalid start timestamp definition {from:?}: {e}"))?;
    let end =
        duration_ms(to).map_err(|e| format!("invalid end timestamp definition {to:?}: {e}"))?;
    if end < start {
        return Err(format!(
            "invalid test definition, end timestamp ({to}) is before start timestamp ({from})"
        ));
    }
    let step = duration_ms(step).map_err(|e| format!("invalid step definition {step:?}: {e}"))?;
    Ok((start, end, step))
}

/// Parses an `eval` block starting at line `i`; returns the index of the
/// first line after it.
pub(super) fn parse_eval(
    pats: &Patterns,
    lines: &[&str],
    i: usize,
) -> Result<(usize, EvalCmd), ScriptError> {
    let l = lines.get(i).copied().unwrap_or("");
    let instant = pats.eval_instant.captures(l);
    let range = pats.eval_range.captures(l);
    let group = |c: &regex::Captures<'_>, n: usize| c.get(n).map_or("", |m| m.as_str()).to_string();
    let (modifier, expr, kind) = if let Some(c) = &instant {
        let at = group(c, 2);
        let expr = group(c, 3);
        let at_ms = duration_ms(&at).map_err(|e| {
            err(
                i,
                format!("error in eval {expr}: invalid timestamp definition {at:?}: {e}"),
            )
        })?;
        (group(c, 1), expr, EvalKind::Instant { at: at_ms })
    } else if let Some(c) = &range {
        let expr = group(c, 5);
        let (start, end, step) = range_times(&group(c, 2), &group(c, 3), &group(c, 4))
            .map_err(|e| err(i, format!("error in eval {expr}: {e}")))?;
        (group(c, 1), expr, EvalKind::Range { start, end, step })
    } else {
        return Err(err(
            i,
            "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] instant \
             [at <offset:duration>] <query>' or 'eval[_fail|_warn] range from <from> to <to> \
             step <step> <query>'",
        ));
    };
    let is_instant = matches!(kind, EvalKind::Instant { .. });
    let mut cmd = EvalCmd {
        line: i + 1,
        expr: expr.clone(),
        kind,
        range_vector: None,
        legacy_fail: modifier == "fail",
        legacy_warn: modifier == "warn",
        legacy_info: modifier == "info",
        legacy_ordered: modifier == "ordered",
        expected_fail_message: None,
        expected_fail_regexp: None,
        expects: Vec::new(),
        expected: Expected::Series(Vec::new()),
        expected_string: None,
        exclude_from_range_query: false,
    };
    let eval_err = |line: usize, msg: String| err(line, format!("error in eval {expr}: {msg}"));

    // `pos` counts like upstream: every line of the block but `expect` lines.
    let mut pos = 0usize;
    let mut j = i + 1;
    while let Some(def) = lines.get(j).copied() {
        if def.is_empty() {
            break;
        }
        pos += 1;
        if cmd.legacy_fail {
            if let Some(msg) = def.strip_prefix("expected_fail_message") {
                cmd.expected_fail_message = Some(msg.trim().to_string());
                j += 1;
                break;
            }
            if let Some(pat) = def.strip_prefix("expected_fail_regexp") {
                let pat = pat.trim();
                let re = Regex::new(pat).map_err(|e| {
                    eval_err(
                        j,
                        format!("invalid regexp '{pat}' for expected_fail_regexp: {e}"),
                    )
                })?;
                cmd.expected_fail_regexp = Some(re);
                j += 1;
                break;
            }
        }
        if def.starts_with(RANGE_VECTOR_PREFIX) {
            let c = pats
                .expect_range
                .captures(def)
                .ok_or_else(|| eval_err(j, format!("invalid range vector definition {def:?}")))?;
            let (start, end, step) = range_times(&group(&c, 1), &group(&c, 2), &group(&c, 3))
                .map_err(|e| eval_err(j, e))?;
            cmd.range_vector = Some((start, end, step));
            cmd.exclude_from_range_query = true;
            j += 1;
            continue;
        }
        if def.starts_with(EXPECT_STRING_PREFIX) {
            let s = parse_expect_string(def).map_err(|e| eval_err(j, e))?;
            cmd.expected_string = Some(s);
            cmd.exclude_from_range_query = true;
            j += 1;
            continue;
        }
        if def.split(' ').next() == Some("expect") {
            let e = parse_expect(pats, def).map_err(|e| eval_err(j, e))?;
            cmd.expects.push(e);
            validate_expects(&cmd).map_err(|e| eval_err(j, e))?;
            pos -= 1;
            j += 1;
            continue;
        }
        if let Some(v) = parse_go_number(def) {
            // A bare number ends the block, as upstream.
            cmd.expected = Expected::Scalar(v);
            j += 1;
            break;
        }
        let desc = parse_series_desc(def).map_err(|e| series_err(j, e))?;
        if desc.values.len() > 1 && is_instant && cmd.range_vector.is_none() {
            return Err(eval_err(
                j,
                "expecting multiple values in instant evaluation not allowed. consider using \
                 'expect range vector' directive to enable a range vector result for an instant \
                 query"
                    .into(),
            ));
        }
        let series = ExpectedSeries {
            labels: desc.labels,
            values: desc.values,
            pos,
        };
        match &mut cmd.expected {
            Expected::Series(list) => {
                // A repeated label set replaces the earlier line.
                if let Some(old) = list.iter_mut().find(|s| s.labels == series.labels) {
                    *old = series;
                } else {
                    list.push(series);
                }
            }
            Expected::Scalar(_) => cmd.expected = Expected::Series(vec![series]),
        }
        j += 1;
    }
    Ok((j, cmd))
}

/// `expect string "…"` (double, single or back quotes).
fn parse_expect_string(line: &str) -> Result<String, String> {
    let bad = "expected string literal not valid - a quoted string literal is required";
    if line == EXPECT_STRING_PREFIX {
        return Err(bad.into());
    }
    let s = line
        .strip_prefix(EXPECT_STRING_PREFIX)
        .and_then(|s| s.strip_prefix(' '))
        .unwrap_or("");
    if s.is_empty() {
        return Err(bad.into());
    }
    crate::unquote(s).map_err(|_| {
        "expected string literal not valid - check that the string is correctly quoted".into()
    })
}

fn parse_expect(pats: &Patterns, line: &str) -> Result<Expect, String> {
    let c = pats.expect.captures(line.trim()).ok_or(
        "invalid expect statement, must match `expect <type> <match_type>: <string>` format",
    )?;
    let mode = c.get(1).map_or("", |m| m.as_str());
    let kind = match mode {
        "ordered" => ExpectKind::Ordered,
        "fail" => ExpectKind::Fail,
        "warn" => ExpectKind::Warn,
        "no_warn" => ExpectKind::NoWarn,
        "info" => ExpectKind::Info,
        "no_info" => ExpectKind::NoInfo,
        other => return Err(format!("invalid expected error/annotation type {other}")),
    };
    let text = c.get(3).map_or("", |m| m.as_str()).trim();
    let matcher = match c.get(2).map(|m| m.as_str()) {
        None => MessageMatch::Any,
        Some("msg") => MessageMatch::Exact(text.to_string()),
        Some(_) => MessageMatch::Regex(
            Regex::new(text).map_err(|_| format!("invalid regex {text} for {mode}"))?,
        ),
    };
    Ok(Expect { kind, matcher })
}

fn validate_expects(cmd: &EvalCmd) -> Result<(), String> {
    if cmd.has(ExpectKind::Info) && cmd.has(ExpectKind::NoInfo) {
        return Err("invalid expect lines, info and no_info cannot be used together".into());
    }
    if cmd.has(ExpectKind::Warn) && cmd.has(ExpectKind::NoWarn) {
        return Err("invalid expect lines, warn and no_warn cannot be used together".into());
    }
    if cmd.expects_of(ExpectKind::Fail).count() > 1 {
        return Err("invalid expect lines, multiple expect fail lines are not allowed".into());
    }
    Ok(())
}
