//! `file_sd_configs`: target groups read from JSON or YAML files.
//!
//! The provider lists the configured paths (a glob may sit in the last
//! path element), and re-reads them when a file appears, disappears or its
//! modification time or size changes (polled every few seconds, instead of
//! Prometheus' inotify watch), and in any case every `refresh_interval`.
//! Each group carries `__meta_filepath` and is sourced `<path>:<index>`.
//! A file that fails to read or parse keeps its last good groups and counts
//! in `prometheus_sd_file_read_errors_total`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use vigil_config::discovery::{FileSdConfig, read_sd_file};

use crate::error::DiscoveryError;
use crate::group::TargetGroup;
use crate::provider::Sink;

/// The label naming the file a group came from.
pub const FILEPATH_LABEL: &str = "__meta_filepath";

/// What identifies a file's version between polls.
type Stamp = (Option<SystemTime>, u64);

/// The state of one `file_sd_configs` entry.
#[derive(Debug)]
pub struct FileDiscovery {
    cfg: FileSdConfig,
    /// The last good groups of each file.
    last: BTreeMap<PathBuf, Vec<TargetGroup>>,
    /// The stamps of the files at the last refresh.
    stamps: HashMap<PathBuf, Stamp>,
}

/// The outcome of one refresh.
#[derive(Debug, Default)]
pub struct FileRefresh {
    /// Every group of every file.
    pub groups: Vec<TargetGroup>,
    /// The files that failed, with why (their previous groups are kept).
    pub errors: Vec<DiscoveryError>,
    /// Each file read and its modification time in seconds since the epoch.
    pub mtimes: Vec<(String, f64)>,
}

impl FileDiscovery {
    /// A provider for `cfg`; nothing is read before [`FileDiscovery::refresh`].
    pub fn new(cfg: FileSdConfig) -> FileDiscovery {
        FileDiscovery {
            cfg,
            last: BTreeMap::new(),
            stamps: HashMap::new(),
        }
    }

    /// The files the configured patterns match now, sorted and unique.
    pub fn list_files(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self.cfg.files.iter().flat_map(|p| glob(p)).collect();
        out.sort();
        out.dedup();
        out
    }

    /// Whether any matched file appeared, vanished or changed since the
    /// last refresh.
    pub fn changed(&self) -> bool {
        let files = self.list_files();
        files.len() != self.stamps.len()
            || files.iter().any(|f| self.stamps.get(f) != Some(&stamp(f)))
    }

    /// Reads every matched file and returns all groups.
    pub fn refresh(&mut self) -> FileRefresh {
        let mut out = FileRefresh::default();
        let mut last = BTreeMap::new();
        self.stamps.clear();
        for path in self.list_files() {
            let st = stamp(&path);
            self.stamps.insert(path.clone(), st);
            let display = path.to_string_lossy().into_owned();
            if let Some(t) = st.0 {
                let secs = t
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                out.mtimes.push((display.clone(), secs));
            }
            match read_sd_file(&path) {
                Ok(groups) => {
                    let groups: Vec<TargetGroup> = groups
                        .iter()
                        .enumerate()
                        .map(|(i, g)| {
                            TargetGroup::from_config(
                                g,
                                format!("{display}:{i}"),
                                &[(FILEPATH_LABEL, &display)],
                            )
                        })
                        .collect();
                    last.insert(path, groups);
                }
                Err(e) => {
                    out.errors.push(DiscoveryError::File {
                        path: path.clone(),
                        message: e.to_string(),
                    });
                    // Keep what the file held before it broke.
                    if let Some(prev) = self.last.remove(&path) {
                        last.insert(path, prev);
                    }
                }
            }
        }
        self.last = last;
        out.groups = self.last.values().flatten().cloned().collect();
        out
    }
}

fn stamp(path: &Path) -> Stamp {
    match std::fs::metadata(path) {
        Ok(m) => (m.modified().ok(), m.len()),
        Err(_) => (None, 0),
    }
}

/// Runs the provider until the task is aborted: a refresh at once, then
/// on every change seen by polling every `poll`, and every refresh interval.
pub(crate) async fn run(cfg: FileSdConfig, sink: Sink, poll: Duration) {
    let refresh_every = cfg
        .refresh_interval
        .to_std()
        .max(Duration::from_millis(100));
    let mut d = FileDiscovery::new(cfg);
    let mut last_full = Instant::now();
    publish(&mut d, &sink);
    loop {
        tokio::time::sleep(poll).await;
        if d.changed() || last_full.elapsed() >= refresh_every {
            last_full = Instant::now();
            publish(&mut d, &sink);
        }
    }
}

fn publish(d: &mut FileDiscovery, sink: &Sink) {
    let started = Instant::now();
    let r = d.refresh();
    let m = sink.metrics();
    m.file_scan_done(
        started.elapsed().as_secs_f64(),
        r.errors.len() as u64,
        &r.mtimes,
    );
    sink.publish(r.groups);
}

/// Go's `filepath.Glob` for the patterns file SD accepts: wildcards (`*`,
/// `?`, `[…]`) in the last path element only. I/O errors mean no match.
fn glob(pattern: &str) -> Vec<PathBuf> {
    let path = Path::new(pattern);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !name.contains(['*', '?', '[']) {
        return if path.is_file() {
            vec![path.to_owned()]
        } else {
            Vec::new()
        };
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let pat: Vec<char> = name.chars().collect();
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter_map(|e| {
            let f = e.file_name().into_string().ok()?;
            let chars: Vec<char> = f.chars().collect();
            (wildcard(&pat, &chars) && e.path().is_file()).then(|| dir.join(f))
        })
        .collect();
    out.sort();
    out
}

/// Matches `name` against a shell pattern (`*`, `?`, `[a-z]`, `[^…]`).
fn wildcard(pat: &[char], name: &[char]) -> bool {
    match pat.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|i| wildcard(rest, name.get(i..).unwrap_or(&[]))),
        Some(('?', rest)) => !name.is_empty() && wildcard(rest, name.get(1..).unwrap_or(&[])),
        Some(('[', rest)) => {
            let Some((&c, tail)) = name.split_first() else {
                return false;
            };
            let Some(end) = rest.iter().position(|&x| x == ']') else {
                // An unclosed class is a literal `[`, close enough to Go's error.
                return c == '[' && wildcard(rest, tail);
            };
            let (class, after) = rest.split_at(end);
            let (negate, class) = match class.split_first() {
                Some(('^', cl)) => (true, cl),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                let lo = class[i];
                if class.get(i + 1) == Some(&'-') && i + 2 < class.len() {
                    hit |= lo <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= lo == c;
                    i += 1;
                }
            }
            hit != negate && wildcard(after.get(1..).unwrap_or(&[]), tail)
        }
        Some((&p, rest)) => {
            name.first() == Some(&p) && wildcard(rest, name.get(1..).unwrap_or(&[]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> bool {
        wildcard(
            &p.chars().collect::<Vec<_>>(),
            &n.chars().collect::<Vec<_>>(),
        )
    }

    #[test]
    fn wildcards() {
        assert!(m("*.json", "a.json"));
        assert!(!m("*.json", "a.yml"));
        assert!(m("t?.yml", "t1.yml"));
        assert!(m("[ab]*.yml", "b.yml"));
        assert!(!m("[^ab]*.yml", "b.yml"));
        assert!(m("[0-9].json", "7.json"));
    }

    #[test]
    fn bad_file_keeps_last_groups() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("t.yml");
        std::fs::write(&f, "- targets: ['a:1']\n  labels: {env: x}\n").expect("write");
        let cfg = FileSdConfig {
            files: vec![dir.path().join("*.yml").to_string_lossy().into_owned()],
            refresh_interval: vigil_config::Duration::from_secs(300),
        };
        let mut d = FileDiscovery::new(cfg);
        let r = d.refresh();
        assert!(r.errors.is_empty());
        assert_eq!(r.groups.len(), 1);
        let g = &r.groups[0];
        assert_eq!(g.source, format!("{}:0", f.display()));
        assert_eq!(
            g.labels.get(FILEPATH_LABEL),
            Some(f.to_string_lossy().as_ref())
        );
        assert!(!d.changed());
        std::fs::write(&f, "- targets: [").expect("write");
        assert!(d.changed());
        let r = d.refresh();
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.groups.len(), 1, "last good groups kept");
        std::fs::remove_file(&f).expect("rm");
        assert!(d.changed());
        assert!(d.refresh().groups.is_empty());
    }
}
