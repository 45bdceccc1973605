//! `rule_files` patterns to file names, as Prometheus' `filepath.Glob`
//! over each entry: `*`, `?` and `[...]` classes in any path element, a
//! pattern without wildcards naming itself if the file exists, results
//! sorted per pattern, patterns matching nothing skipped.

use std::path::{Path, PathBuf};

use crate::error::LoadError;

/// The rule files `patterns` name, in pattern order.
pub fn expand_rule_files(patterns: &[String]) -> Result<Vec<String>, LoadError> {
    let mut out = Vec::new();
    for p in patterns {
        let bad = |reason: &str| LoadError::Glob {
            pattern: p.clone(),
            reason: reason.to_string(),
        };
        let mut found = glob(p).map_err(|_| bad("syntax error in pattern"))?;
        found.sort();
        out.extend(found.into_iter().map(|f| f.display().to_string()));
    }
    Ok(out)
}

fn has_meta(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Go's `filepath.Glob`: I/O errors are ignored, a malformed pattern is an
/// error.
fn glob(pattern: &str) -> Result<Vec<PathBuf>, ()> {
    if !has_meta(pattern) {
        let p = Path::new(pattern);
        return Ok(if p.exists() {
            vec![p.to_owned()]
        } else {
            Vec::new()
        });
    }
    let path = Path::new(pattern);
    let (dir, name) = match (path.parent(), path.file_name().and_then(|n| n.to_str())) {
        (Some(d), Some(n)) => (d, n),
        _ => return Ok(Vec::new()),
    };
    // Validate the last element even if no directory matches.
    wildcard_match(name, "")?;
    let dirs = match dir.to_str() {
        Some("") => vec![PathBuf::from(".")],
        Some(d) if has_meta(d) => glob(d)?,
        _ => vec![dir.to_owned()],
    };
    let mut out = Vec::new();
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        names.sort();
        for n in names {
            if wildcard_match(name, &n)? {
                out.push(if dir.as_os_str().is_empty() {
                    PathBuf::from(&n)
                } else {
                    d.join(&n)
                });
            }
        }
    }
    Ok(out)
}

/// Matches one path element against a `filepath.Match` pattern.
fn wildcard_match(pattern: &str, name: &str) -> Result<bool, ()> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_from(&p, &n)
}

fn match_from(p: &[char], n: &[char]) -> Result<bool, ()> {
    let Some((&c, rest)) = p.split_first() else {
        return Ok(n.is_empty());
    };
    match c {
        '*' => {
            for i in 0..=n.len() {
                if n.get(..i).is_some_and(|s| s.contains(&'/')) {
                    break;
                }
                if match_from(rest, n.get(i..).unwrap_or(&[]))? {
                    return Ok(true);
                }
            }
            // Check the rest of the pattern is well formed.
            match_from(rest, &[]).map(|_| false)
        }
        '?' => match n.split_first() {
            Some((&x, nrest)) if x != '/' => match_from(rest, nrest),
            _ => match_from(rest, &[]).map(|_| false),
        },
        '[' => {
            let close = rest.iter().position(|&x| x == ']').ok_or(())?;
            let (class, after) = rest.split_at(close);
            let after = after.get(1..).unwrap_or(&[]);
            let (negate, class) = match class.split_first() {
                Some(('^', c)) => (true, c),
                _ => (false, class),
            };
            if class.is_empty() {
                return Err(());
            }
            let Some((&x, nrest)) = n.split_first() else {
                return match_from(after, &[]).map(|_| false);
            };
            let mut hit = false;
            let mut i = 0;
            while let Some(&lo) = class.get(i) {
                if class.get(i + 1) == Some(&'-') {
                    let hi = *class.get(i + 2).ok_or(())?;
                    hit |= lo <= x && x <= hi;
                    i += 3;
                } else {
                    hit |= lo == x;
                    i += 1;
                }
            }
            if hit != negate {
                match_from(after, nrest)
            } else {
                match_from(after, &[]).map(|_| false)
            }
        }
        '\\' => {
            let (&lit, rest) = rest.split_first().ok_or(())?;
            match n.split_first() {
                Some((&x, nrest)) if x == lit => match_from(rest, nrest),
                _ => Ok(false),
            }
        }
        lit => match n.split_first() {
            Some((&x, nrest)) if x == lit => match_from(rest, nrest),
            _ => match_from(rest, &[]).map(|_| false),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert_eq!(wildcard_match("*.yml", "a.yml"), Ok(true));
        assert_eq!(wildcard_match("*.yml", "a.yaml"), Ok(false));
        assert_eq!(wildcard_match("r?.yml", "r1.yml"), Ok(true));
        assert_eq!(wildcard_match("r[0-9].yml", "r7.yml"), Ok(true));
        assert_eq!(wildcard_match("r[^0-9].yml", "r7.yml"), Ok(false));
        assert_eq!(wildcard_match("r[.yml", "r1.yml"), Err(()));
    }

    #[test]
    fn expands_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        for f in ["b.rules.yml", "a.rules.yml", "other.txt"] {
            std::fs::write(dir.path().join(f), "groups: []").expect("write");
        }
        let d = dir.path().display();
        let files = expand_rule_files(&[
            format!("{d}/*.rules.yml"),
            format!("{d}/missing.yml"),
            format!("{d}/other.txt"),
        ])
        .expect("globs");
        assert_eq!(
            files,
            vec![
                format!("{d}/a.rules.yml"),
                format!("{d}/b.rules.yml"),
                format!("{d}/other.txt"),
            ]
        );
        assert!(expand_rule_files(&[format!("{d}/[.yml")]).is_err());
    }
}
