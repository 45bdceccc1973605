//! The small part of Go's `filepath.Glob` that `scrape_config_files` needs:
//! wildcards (`*`, `?`) in the last path element only, which is all
//! Prometheus accepts there.

use std::path::{Path, PathBuf};

/// The files matching `pattern`, sorted; a pattern without wildcards yields
/// itself if it exists.
pub(crate) fn glob(pattern: &str) -> std::io::Result<Vec<PathBuf>> {
    let path = Path::new(pattern);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !name.contains(['*', '?']) {
        return Ok(if path.exists() {
            vec![path.to_owned()]
        } else {
            Vec::new()
        });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        // Go's Glob ignores I/O errors and reports no match.
        Err(_) => return Ok(out),
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        if let Some(f) = file.to_str() {
            if wildcard_match(name.as_bytes(), f.as_bytes()) {
                out.push(dir.join(f));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `*` matches any run of characters, `?` one character.
fn wildcard_match(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or(&[]).iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards() {
        assert!(wildcard_match(b"*.yml", b"a.yml"));
        assert!(wildcard_match(b"a?c", b"abc"));
        assert!(!wildcard_match(b"*.yml", b"a.yaml"));
        assert!(wildcard_match(b"*", b""));
    }
}
