//! Positions of groups and of rule fields in block-style YAML.
//!
//! `serde_yaml_ng` decodes values without their positions, but upstream's
//! messages name the line and column of a rule's `record`, `alert` and
//! `expr` values and of each group. This scanner recovers them from the
//! indentation structure of block-style YAML (what rule files use); where
//! the layout is not recognised (flow style, anchors), positions are simply
//! absent and messages carry none.

use std::collections::BTreeMap;

use super::error::Pos;

/// One meaningful line (or the rest of a line after a `- ` item marker).
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    no: usize,
    /// 0-based column of `text`.
    col: usize,
    text: &'a str,
}

/// Where a group and its rules' fields are.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupPos {
    /// The group mapping (its first key).
    pub(crate) pos: Option<Pos>,
    /// Per rule, value positions by key.
    pub(crate) rules: Vec<BTreeMap<String, Pos>>,
}

fn lines(src: &str) -> Vec<Line<'_>> {
    // A byte-order mark is not part of the first line's text.
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    src.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim_start_matches(' ');
            let t = t.trim_end();
            if t.is_empty() || t.starts_with('#') || t == "---" {
                return None;
            }
            Some(Line {
                no: i + 1,
                col: l.len() - l.trim_start_matches(' ').len(),
                text: t,
            })
        })
        .collect()
}

/// Splits `key: value` (plain or quoted key); returns key and value offset.
fn key_value(text: &str) -> Option<(&str, usize)> {
    let (key, rest_at) = if let Some(q) = text.strip_prefix(['"', '\'']) {
        let quote = text.chars().next()?;
        let end = q.find(quote)?;
        (q.get(..end)?, end + 2)
    } else {
        let end = text.find(':')?;
        (text.get(..end)?.trim_end(), end)
    };
    let after = text.get(rest_at..)?;
    let after = after.strip_prefix(':')?;
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    let spaces = after.len() - after.trim_start_matches(' ').len();
    let value_at = rest_at + 1 + spaces;
    Some((key, value_at))
}

/// One entry of a block mapping.
type Entry<'a> = (&'a str, Option<Pos>, Vec<Line<'a>>, usize);

/// The entries of a block mapping whose keys sit at the first line's column:
/// (key, value position, lines belonging to the value, line of the key).
fn mapping<'a>(ls: &[Line<'a>]) -> Vec<Entry<'a>> {
    let Some(first) = ls.first() else {
        return Vec::new();
    };
    let kcol = first.col;
    let mut out: Vec<Entry<'a>> = Vec::new();
    for l in ls {
        let is_item = l.text == "-" || l.text.starts_with("- ");
        if l.col == kcol
            && !is_item
            && let Some((k, at)) = key_value(l.text)
        {
            let rest = l.text.get(at..).unwrap_or("");
            let pos = if rest.is_empty() || rest.starts_with('#') {
                None
            } else {
                Some((l.no, l.col + at + 1))
            };
            out.push((k, pos, Vec::new(), l.no));
            continue;
        }
        if let Some(last) = out.last_mut() {
            if last.1.is_none() && last.2.is_empty() {
                last.1 = Some((l.no, l.col + 1));
            }
            last.2.push(*l);
        }
    }
    out
}

/// The items of a block sequence: each item's lines, the first one being
/// the text after `- `.
fn sequence<'a>(ls: &[Line<'a>]) -> Vec<Vec<Line<'a>>> {
    let Some(first) = ls.first() else {
        return Vec::new();
    };
    let scol = first.col;
    let mut items: Vec<Vec<Line<'a>>> = Vec::new();
    for l in ls {
        if l.col == scol && (l.text == "-" || l.text.starts_with("- ")) {
            let rest = l.text.get(1..).unwrap_or("");
            let sp = rest.len() - rest.trim_start_matches(' ').len();
            let mut item = Vec::new();
            // `- &anchor` alone: the item's mapping starts on the next line.
            let only_props = rest
                .split_whitespace()
                .all(|w| w.starts_with('&') || w.starts_with('!'));
            if !rest.trim().is_empty() && !only_props {
                item.push(Line {
                    no: l.no,
                    col: l.col + 1 + sp,
                    text: rest.trim_start_matches(' '),
                });
            }
            items.push(item);
        } else if let Some(cur) = items.last_mut() {
            cur.push(*l);
        }
    }
    items
}

/// Positions of every group and rule field of `src`.
pub(crate) fn locate(src: &str) -> Vec<GroupPos> {
    let ls = lines(src);
    let top = mapping(&ls);
    let Some((_, _, groups, _)) = top.into_iter().find(|(k, ..)| *k == "groups") else {
        return Vec::new();
    };
    sequence(&groups)
        .into_iter()
        .map(|g| {
            let pos = g.first().map(|l| (l.no, l.col + 1));
            let rules = mapping(&g)
                .into_iter()
                .find(|(k, ..)| *k == "rules")
                .map(|(_, _, rl, _)| {
                    sequence(&rl)
                        .into_iter()
                        .map(|r| {
                            mapping(&r)
                                .into_iter()
                                .filter_map(|(k, p, ..)| Some((k.to_string(), p?)))
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default();
            GroupPos { pos, rules }
        })
        .collect()
}

/// Where a key sits in the rule-file structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// The top-level mapping (`rulefmt.RuleGroups`).
    Top,
    /// A group (`rulefmt.RuleGroup`).
    Group,
    /// A rule (`rulefmt.Rule`).
    Rule,
}

/// Every key of the top level, the groups and the rules, with its line,
/// in document order.
pub(crate) fn keys(src: &str) -> Vec<(Level, String, usize)> {
    let ls = lines(src);
    let mut out = Vec::new();
    for (k, _, groups, line) in mapping(&ls) {
        out.push((Level::Top, k.to_string(), line));
        if k != "groups" {
            continue;
        }
        for g in sequence(&groups) {
            for (gk, _, rules, gline) in mapping(&g) {
                out.push((Level::Group, gk.to_string(), gline));
                if gk != "rules" {
                    continue;
                }
                for r in sequence(&rules) {
                    for (rk, _, _, rline) in mapping(&r) {
                        out.push((Level::Rule, rk.to_string(), rline));
                    }
                }
            }
        }
    }
    out.sort_by_key(|(_, _, line)| *line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_rule_fields() {
        let src = "groups:\n  - name: yolo\n    rules:\n      - record: Hi\n        alert: Hello\n        expr: 1\n";
        let g = locate(src);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].pos, Some((2, 5)));
        assert_eq!(g[0].rules[0].get("record"), Some(&(4, 17)));
        assert_eq!(g[0].rules[0].get("alert"), Some(&(5, 16)));
        assert_eq!(g[0].rules[0].get("expr"), Some(&(6, 15)));
    }
}
