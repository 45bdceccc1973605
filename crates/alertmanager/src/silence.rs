//! Silences: matchers muting alerts between `starts_at` and `ends_at`.
//!
//! Creating, updating and expiring follow Alertmanager's rules: a silence
//! is updated in place only when its matchers are unchanged and the new
//! times are allowed for its state (an active silence keeps its start and
//! cannot end in the past; a pending one cannot start in the past);
//! otherwise an unexpired old version is expired and the change gets a new
//! id. Expired silences are kept for the retention period, then collected.
//!
//! The set is persisted as a JSON snapshot written to a temporary file,
//! synced and renamed over the old one, so a crash leaves the previous or
//! the new snapshot, never a torn one.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::alert::Alert;
use crate::matcher::{LabelSet, MatchType, Matcher, Matchers};

/// A silence's state at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceState {
    /// Starts in the future.
    Pending,
    /// In force.
    Active,
    /// Over.
    Expired,
}

impl SilenceState {
    /// The API's word.
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceState::Pending => "pending",
            SilenceState::Active => "active",
            SilenceState::Expired => "expired",
        }
    }
}

/// A silence. Times are nanoseconds since the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    /// Its id (a UUID); empty for a new silence.
    pub id: String,
    /// Alerts matching all of these are muted.
    pub matchers: Matchers,
    /// Start.
    pub starts_at: i64,
    /// End.
    pub ends_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Author.
    pub created_by: String,
    /// Why.
    pub comment: String,
    /// Free-form annotations.
    pub annotations: LabelSet,
}

impl Silence {
    /// The state at `now`.
    pub fn state(&self, now: i64) -> SilenceState {
        if now < self.starts_at {
            SilenceState::Pending
        } else if now > self.ends_at {
            SilenceState::Expired
        } else {
            SilenceState::Active
        }
    }

    /// Whether the silence mutes an alert with these labels.
    pub fn matches(&self, labels: &LabelSet) -> bool {
        self.matchers.matches(labels)
    }

    fn validate(&self) -> Result<(), SilenceError> {
        if self.matchers.is_empty() {
            return Err(SilenceError::Invalid(
                "at least one matcher required".into(),
            ));
        }
        for m in &self.matchers.0 {
            if m.name().is_empty() {
                return Err(SilenceError::Invalid(format!(
                    "invalid label matcher: invalid label name {:?}",
                    m.name()
                )));
            }
        }
        if self.matchers.0.iter().all(|m| m.matches("")) {
            return Err(SilenceError::Invalid(
                "at least one matcher must not match the empty string".into(),
            ));
        }
        if self.starts_at == 0 {
            return Err(SilenceError::Invalid("invalid zero start timestamp".into()));
        }
        if self.ends_at == 0 {
            return Err(SilenceError::Invalid("invalid zero end timestamp".into()));
        }
        if self.ends_at < self.starts_at {
            return Err(SilenceError::Invalid(
                "end time must not be before start time".into(),
            ));
        }
        Ok(())
    }
}

/// Why a silence operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    /// No silence with that id.
    #[error("silence not found")]
    NotFound,
    /// The silence is malformed.
    #[error("{0}")]
    Invalid(String),
    /// The operation does not fit the silence's state.
    #[error("{0}")]
    State(String),
    /// The snapshot could not be written or read.
    #[error("{0}")]
    Io(String),
}

/// A random version-4 UUID.
fn new_uuid() -> String {
    let mut b = [0u8; 16];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .is_ok();
    if !filled {
        // Without /dev/urandom, mix the clock and a counter (ids need only be unique).
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let c = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        b[..8].copy_from_slice(&(t as u64).to_le_bytes());
        b[8..]
            .copy_from_slice(&(c ^ (t >> 64) as u64 ^ u64::from(std::process::id())).to_le_bytes());
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The silences, with their snapshot file.
#[derive(Debug, Default)]
pub struct Silences {
    by_id: HashMap<String, Silence>,
    snapshot: Option<PathBuf>,
    retention_ns: i64,
}

fn can_update(a: &Silence, b: &Silence, now: i64) -> bool {
    if a.matchers != b.matchers {
        return false;
    }
    match a.state(now) {
        SilenceState::Active => b.starts_at == a.starts_at && b.ends_at >= now,
        SilenceState::Pending => b.starts_at >= now,
        SilenceState::Expired => false,
    }
}

impl Silences {
    /// An empty set keeping expired silences for `retention`, persisted to
    /// `snapshot` if given.
    pub fn new(snapshot: Option<PathBuf>, retention: std::time::Duration) -> Silences {
        Silences {
            by_id: HashMap::new(),
            snapshot,
            retention_ns: i64::try_from(retention.as_nanos()).unwrap_or(i64::MAX),
        }
    }

    /// Creates or updates a silence; returns its (possibly new) id.
    pub fn set(&mut self, mut s: Silence, now: i64) -> Result<String, SilenceError> {
        s.validate()?;
        let prev = if s.id.is_empty() {
            None
        } else {
            Some(
                self.by_id
                    .get(&s.id)
                    .cloned()
                    .ok_or(SilenceError::NotFound)?,
            )
        };
        if let Some(prev) = &prev {
            if can_update(prev, &s, now) {
                s.updated_at = now;
                let id = s.id.clone();
                self.by_id.insert(id.clone(), s);
                self.persist()?;
                return Ok(id);
            }
        }
        if s.ends_at < now {
            return Err(SilenceError::Invalid(
                "end time can't be in the past".into(),
            ));
        }
        if let Some(prev) = &prev
            && prev.state(now) != SilenceState::Expired
        {
            self.expire_in_memory(&prev.id, now)?;
        }
        s.id = new_uuid();
        if s.starts_at < now {
            s.starts_at = now;
        }
        s.updated_at = now;
        let id = s.id.clone();
        self.by_id.insert(id.clone(), s);
        self.persist()?;
        Ok(id)
    }

    fn expire_in_memory(&mut self, id: &str, now: i64) -> Result<(), SilenceError> {
        let s = self.by_id.get_mut(id).ok_or(SilenceError::NotFound)?;
        match s.state(now) {
            SilenceState::Expired => {
                return Err(SilenceError::State(format!("silence {id} already expired")));
            }
            SilenceState::Active => s.ends_at = now,
            SilenceState::Pending => {
                s.starts_at = now;
                s.ends_at = now;
            }
        }
        s.updated_at = now;
        Ok(())
    }

    /// Expires a silence now.
    pub fn expire(&mut self, id: &str, now: i64) -> Result<(), SilenceError> {
        self.expire_in_memory(id, now)?;
        self.persist()
    }

    /// The silence with this id.
    pub fn get(&self, id: &str) -> Option<&Silence> {
        self.by_id.get(id)
    }

    /// Every silence, in the API's order: active ones by end, then pending
    /// ones by start, then expired ones, most recently ended first.
    pub fn list(&self, now: i64) -> Vec<&Silence> {
        let mut v: Vec<&Silence> = self.by_id.values().collect();
        let rank = |s: &Silence| match s.state(now) {
            SilenceState::Active => 0,
            SilenceState::Pending => 1,
            SilenceState::Expired => 2,
        };
        v.sort_by(|a, b| {
            rank(a).cmp(&rank(b)).then_with(|| match a.state(now) {
                SilenceState::Active => a.ends_at.cmp(&b.ends_at),
                SilenceState::Pending => a.starts_at.cmp(&b.starts_at),
                SilenceState::Expired => b.ends_at.cmp(&a.ends_at),
            })
        });
        v
    }

    /// Ids of the active silences muting an alert.
    pub fn mutes(&self, alert: &Alert, now: i64) -> Vec<String> {
        let mut ids: Vec<String> = self
            .by_id
            .values()
            .filter(|s| s.state(now) == SilenceState::Active && s.matches(&alert.labels))
            .map(|s| s.id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// Drops silences expired for longer than the retention; returns how many.
    pub fn gc(&mut self, now: i64) -> Result<usize, SilenceError> {
        let before = self.by_id.len();
        let keep_after = now.saturating_sub(self.retention_ns);
        self.by_id.retain(|_, s| s.ends_at >= keep_after);
        let n = before - self.by_id.len();
        if n > 0 {
            self.persist()?;
        }
        Ok(n)
    }

    /// How many silences there are in each state.
    pub fn count_by_state(&self, now: i64) -> [(SilenceState, usize); 3] {
        let mut out = [
            (SilenceState::Active, 0),
            (SilenceState::Pending, 0),
            (SilenceState::Expired, 0),
        ];
        for s in self.by_id.values() {
            let st = s.state(now);
            if let Some(e) = out.iter_mut().find(|(k, _)| *k == st) {
                e.1 += 1;
            }
        }
        out
    }

    /// Writes the snapshot (if a file is configured) atomically.
    pub fn persist(&self) -> Result<(), SilenceError> {
        let Some(path) = &self.snapshot else {
            return Ok(());
        };
        let mut list: Vec<&Silence> = self.by_id.values().collect();
        list.sort_by(|a, b| a.id.cmp(&b.id));
        let json = serde_json::Value::Array(list.iter().map(|s| to_json(s)).collect());
        write_atomically(path, json.to_string().as_bytes())
            .map_err(|e| SilenceError::Io(format!("writing {}: {e}", path.display())))
    }

    /// Loads the snapshot, if there is one. A damaged file is an error
    /// naming it; the caller decides whether to start empty.
    pub fn load(&mut self) -> Result<usize, SilenceError> {
        let Some(path) = &self.snapshot else {
            return Ok(0);
        };
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(SilenceError::Io(format!("reading {}: {e}", path.display()))),
        };
        let v: serde_json::Value = serde_json::from_slice(&text)
            .map_err(|e| SilenceError::Io(format!("{}: {e}", path.display())))?;
        let items = v.as_array().ok_or_else(|| {
            SilenceError::Io(format!("{}: not a list of silences", path.display()))
        })?;
        for item in items {
            let s = from_json(item)
                .map_err(|e| SilenceError::Io(format!("{}: {e}", path.display())))?;
            self.by_id.insert(s.id.clone(), s);
        }
        Ok(items.len())
    }
}

/// Writes `data` to `path` through a synced temporary file and a rename.
pub fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The API's matcher object.
pub fn matcher_json(m: &Matcher) -> serde_json::Value {
    serde_json::json!({
        "name": m.name(),
        "value": m.value(),
        "isRegex": m.kind().is_regex(),
        "isEqual": !m.kind().is_negative(),
    })
}

/// Reads the API's matcher object (`isEqual` defaults to true).
pub fn matcher_from_json(v: &serde_json::Value) -> Result<Matcher, String> {
    let name = v
        .get("name")
        .and_then(|x| x.as_str())
        .ok_or("matcher name missing")?;
    let value = v
        .get("value")
        .and_then(|x| x.as_str())
        .ok_or("matcher value missing")?;
    let is_regex = v
        .get("isRegex")
        .and_then(|x| x.as_bool())
        .ok_or("matcher isRegex missing")?;
    let is_equal = v.get("isEqual").and_then(|x| x.as_bool()).unwrap_or(true);
    let kind = match (is_regex, is_equal) {
        (false, true) => MatchType::Equal,
        (false, false) => MatchType::NotEqual,
        (true, true) => MatchType::Regexp,
        (true, false) => MatchType::NotRegexp,
    };
    Matcher::new(kind, name, value).map_err(|e| e.to_string())
}

fn to_json(s: &Silence) -> serde_json::Value {
    serde_json::json!({
        "id": s.id,
        "matchers": s.matchers.0.iter().map(matcher_json).collect::<Vec<_>>(),
        "startsAt": s.starts_at,
        "endsAt": s.ends_at,
        "updatedAt": s.updated_at,
        "createdBy": s.created_by,
        "comment": s.comment,
        "annotations": s.annotations,
    })
}

fn from_json(v: &serde_json::Value) -> Result<Silence, String> {
    let int = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_i64())
            .ok_or(format!("{k} missing"))
    };
    let text = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(str::to_string)
            .ok_or(format!("{k} missing"))
    };
    let matchers = v
        .get("matchers")
        .and_then(|m| m.as_array())
        .ok_or("matchers missing")?
        .iter()
        .map(matcher_from_json)
        .collect::<Result<Vec<_>, _>>()?;
    let annotations = v
        .get("annotations")
        .and_then(|a| a.as_object())
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    Ok(Silence {
        id: text("id")?,
        matchers: Matchers(matchers),
        starts_at: int("startsAt")?,
        ends_at: int("endsAt")?,
        updated_at: int("updatedAt")?,
        created_by: text("createdBy")?,
        comment: text("comment")?,
        annotations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::parse_matchers;

    const S: i64 = 1_000_000_000;

    fn sil(m: &str, start: i64, end: i64) -> Silence {
        Silence {
            id: String::new(),
            matchers: Matchers(parse_matchers(m).unwrap()),
            starts_at: start,
            ends_at: end,
            updated_at: 0,
            created_by: "me".into(),
            comment: "c".into(),
            annotations: LabelSet::new(),
        }
    }

    fn alert(pairs: &[(&str, &str)]) -> Alert {
        Alert {
            labels: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: LabelSet::new(),
            starts_at: 1,
            ends_at: 0,
            generator_url: String::new(),
            updated_at: 0,
            timeout: false,
        }
    }

    #[test]
    fn lifecycle() {
        let mut s = Silences::new(None, std::time::Duration::from_secs(10));
        let now = 100 * S;
        let id = s
            .set(sil("a=~x|y, b!=z", now - S, now + 60 * S), now)
            .unwrap();
        assert_eq!(
            s.get(&id).unwrap().starts_at,
            now,
            "a past start is moved to now"
        );
        assert_eq!(s.mutes(&alert(&[("a", "x")]), now), vec![id.clone()]);
        assert!(s.mutes(&alert(&[("a", "x"), ("b", "z")]), now).is_empty());
        // Extending an active silence keeps its id.
        let mut upd = s.get(&id).unwrap().clone();
        upd.ends_at = now + 120 * S;
        assert_eq!(s.set(upd.clone(), now + S).unwrap(), id);
        // Changing matchers replaces it.
        upd.matchers = Matchers(parse_matchers("a=q").unwrap());
        let id2 = s.set(upd, now + 2 * S).unwrap();
        assert_ne!(id2, id);
        assert_eq!(
            s.get(&id).unwrap().state(now + 3 * S),
            SilenceState::Expired
        );
        s.expire(&id2, now + 4 * S).unwrap();
        assert!(matches!(
            s.expire(&id2, now + 5 * S),
            Err(SilenceError::State(_))
        ));
        assert_eq!(s.list(now + 5 * S).len(), 2);
        assert_eq!(s.gc(now + 100 * S).unwrap(), 2);
    }

    #[test]
    fn invalid() {
        let mut s = Silences::new(None, std::time::Duration::from_secs(10));
        let now = 100 * S;
        for (m, start, end, want) in [
            ("a=~.*", now, now + S, "must not match the empty string"),
            (
                "a=b",
                now,
                now - S,
                "end time must not be before start time",
            ),
            ("a=b", now - 5 * S, now - S, "end time can't be in the past"),
        ] {
            let e = s.set(sil(m, start, end), now).unwrap_err().to_string();
            assert!(e.contains(want), "{m}: {e}");
        }
        let mut unknown = sil("a=b", now, now + S);
        unknown.id = "nope".into();
        assert_eq!(s.set(unknown, now), Err(SilenceError::NotFound));
    }

    #[test]
    fn snapshot_round_trip() {
        let dir = std::env::temp_dir().join(format!("vigil-am-sil-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("silences.json");
        let now = 100 * S;
        let mut s = Silences::new(Some(file.clone()), std::time::Duration::from_secs(10));
        let id = s
            .set(sil(r#"a="x\"y", b=~"c.*""#, now, now + S), now)
            .unwrap();
        let mut t = Silences::new(Some(file.clone()), std::time::Duration::from_secs(10));
        assert_eq!(t.load().unwrap(), 1);
        assert_eq!(t.get(&id), s.get(&id));
        std::fs::write(&file, "{torn").unwrap();
        assert!(
            Silences::new(Some(file), std::time::Duration::ZERO)
                .load()
                .is_err()
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(new_uuid().len(), 36);
    }
}
