//! Go's `Regexp.Expand` template language: `$1`, `${1}`, `$name`,
//! `${name}`, `$$`. A name is the longest run of letters, digits and `_`
//! (so `$1x` names group `1x`, which does not exist and expands to
//! nothing); a malformed reference leaves the `$` as text.

/// Appends `template` expanded against `caps` (the match of `re` on its
/// input) to `dst`.
pub(crate) fn expand(
    dst: &mut String,
    template: &str,
    re: &regex::Regex,
    caps: &regex::Captures<'_>,
) {
    let mut rest = template;
    while let Some(pos) = rest.find('$') {
        dst.push_str(rest.get(..pos).unwrap_or(""));
        let after = rest.get(pos + 1..).unwrap_or("");
        if let Some(tail) = after.strip_prefix('$') {
            dst.push('$');
            rest = tail;
            continue;
        }
        match extract(after) {
            Some((name, num, tail)) => {
                let m = match num {
                    Some(n) => caps.get(n),
                    None => re
                        .capture_names()
                        .position(|g| g == Some(name))
                        .and_then(|i| caps.get(i)),
                };
                if let Some(m) = m {
                    dst.push_str(m.as_str());
                }
                rest = tail;
            }
            None => {
                dst.push('$');
                rest = after;
            }
        }
    }
    dst.push_str(rest);
}

/// Reads a reference after a `$`: the name, its group number if it is
/// all digits (no leading zero), and the text after it.
fn extract(s: &str) -> Option<(&str, Option<usize>, &str)> {
    let (brace, body) = match s.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let end = body
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(body.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let name = body.get(..end)?;
    let mut tail = body.get(end..)?;
    if brace {
        tail = tail.strip_prefix('}')?;
    }
    let num = if name.bytes().all(|b| b.is_ascii_digit())
        && !(name.len() > 1 && name.starts_with('0'))
        && name.len() <= 8
    {
        name.parse().ok()
    } else {
        None
    };
    Some((name, num, tail))
}

/// Expands a template against known groups by number (`groups[0]` is the
/// whole match); named groups expand to nothing. Used for `(.*)`, whose
/// groups are known without running a regex, and for the rare patterns
/// only the RE2 translator understands.
pub(crate) fn expand_groups(dst: &mut String, template: &str, groups: &[&str]) {
    let mut rest = template;
    while let Some(pos) = rest.find('$') {
        dst.push_str(rest.get(..pos).unwrap_or(""));
        let after = rest.get(pos + 1..).unwrap_or("");
        if let Some(tail) = after.strip_prefix('$') {
            dst.push('$');
            rest = tail;
            continue;
        }
        match extract(after) {
            Some((_, num, tail)) => {
                if let Some(g) = num.and_then(|n| groups.get(n)) {
                    dst.push_str(g);
                }
                rest = tail;
            }
            None => {
                dst.push('$');
                rest = after;
            }
        }
    }
    dst.push_str(rest);
}
