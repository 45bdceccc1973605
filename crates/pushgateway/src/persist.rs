//! The persistence file: every group, written atomically and read back at
//! start.
//!
//! ```text
//! file    := header record*
//! header  := "VIGILPG\n" (8 bytes) | version: u32 = 1
//! record  := len: u32 | crc32c(payload): u32 | payload (len bytes)     one per group
//! payload := n_labels: u32 | (str name | str value)*                    the grouping key
//!            push_time_ns: i64 | failure_time_ns: i64                   -1 = never
//!            n_families: u32 | family*
//! family  := str name | pushed_at_ns: i64 | bytes message               one delimited
//!                                                     io.prometheus.client.MetricFamily
//! str, bytes := len: u32 | that many bytes
//! ```
//!
//! Integers are little-endian. Writing goes to `<file>.in_progress`, is
//! fsynced, renamed over `<file>`, and the directory is fsynced, so a crash
//! leaves either the old or the new file. Reading stops at the first record
//! that is cut short, fails its CRC or does not decode: the groups before it
//! are kept, and the error names the file and the record's offset. The
//! caller then moves the damaged file aside (see [`quarantine`]) so that the
//! next write cannot silently replace the only copy of the lost groups.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vigil_exposition::{ProtobufParser, collect, encode};

use crate::error::PersistError;
use crate::grouping::GroupingKey;
use crate::store::{Group, StoredFamily};

const MAGIC: &[u8; 8] = b"VIGILPG\n";
const VERSION: u32 = 1;
/// A record larger than this is taken as damage rather than allocated.
const MAX_RECORD: usize = 1 << 30;

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len() as u32);
    out.extend_from_slice(b);
}

fn nanos(t: Option<SystemTime>) -> i64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(-1, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn time(ns: i64) -> Option<SystemTime> {
    u64::try_from(ns)
        .ok()
        .map(|ns| UNIX_EPOCH + Duration::from_nanos(ns))
}

/// Encodes every group into the file format.
pub fn encode<'a>(groups: impl Iterator<Item = &'a Group>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, VERSION);
    let mut payload = Vec::new();
    let mut msg = Vec::new();
    for g in groups {
        payload.clear();
        put_u32(&mut payload, g.key.len() as u32);
        for (n, v) in g.key.iter() {
            put_bytes(&mut payload, n.as_bytes());
            put_bytes(&mut payload, v.as_bytes());
        }
        put_i64(&mut payload, nanos(g.push_time));
        put_i64(&mut payload, nanos(g.failure_time));
        put_u32(&mut payload, g.families.len() as u32);
        for (name, f) in &g.families {
            put_bytes(&mut payload, name.as_bytes());
            put_i64(&mut payload, nanos(Some(f.pushed_at)));
            msg.clear();
            encode::protobuf::write(&mut msg, &[f.to_family()]);
            put_bytes(&mut payload, &msg);
        }
        put_u32(&mut out, payload.len() as u32);
        put_u32(&mut out, crc32c::crc32c(&payload));
        out.extend_from_slice(&payload);
    }
    out
}

/// Writes `data` to `file` atomically (temporary file, fsync, rename, fsync
/// of the directory).
pub fn write_atomic(file: &Path, data: &[u8]) -> Result<(), PersistError> {
    let io = |source| PersistError::Io {
        file: file.to_path_buf(),
        source,
    };
    let mut tmp = file.as_os_str().to_owned();
    tmp.push(".in_progress");
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, file)?;
        let dir = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// A cursor over a record payload; every read is bounds-checked.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            return Err(format!(
                "{n} bytes wanted at {}, record ends first",
                self.pos
            ));
        };
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i64(&mut self) -> Result<i64, String> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_le_bytes(a))
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    fn str(&mut self) -> Result<&'a str, String> {
        std::str::from_utf8(self.bytes()?).map_err(|_| "string is not UTF-8".to_string())
    }
}

fn decode_group(payload: &[u8]) -> Result<Group, String> {
    let mut r = Reader {
        buf: payload,
        pos: 0,
    };
    let n = r.u32()?;
    let mut pairs = Vec::new();
    for _ in 0..n {
        pairs.push((r.str()?, r.str()?));
    }
    let key = GroupingKey::from_pairs(pairs);
    let push_time = time(r.i64()?);
    let failure_time = time(r.i64()?);
    let n = r.u32()?;
    let mut families = std::collections::BTreeMap::new();
    for _ in 0..n {
        let name = r.str()?.to_string();
        let pushed_at = time(r.i64()?).unwrap_or(UNIX_EPOCH);
        let msg = r.bytes()?;
        let mut parser = ProtobufParser::new(msg).with_classic_histograms(true);
        let decoded = collect(&mut parser).map_err(|e| format!("family {name:?}: {e}"))?;
        for mut family in decoded {
            family.name = name.clone();
            families.insert(name.clone(), StoredFamily::new(family, pushed_at));
        }
    }
    if r.pos != payload.len() {
        return Err(format!("{} trailing bytes", payload.len() - r.pos));
    }
    Ok(Group {
        key,
        families,
        push_time,
        failure_time,
    })
}

/// What [`load`] found: the groups it could read, and the damage that
/// stopped it, if any.
#[derive(Debug)]
pub struct Loaded {
    /// The groups before any damage.
    pub groups: Vec<Group>,
    /// The damage, if the file did not read to its end cleanly.
    pub damage: Option<PersistError>,
}

/// Reads the persistence file. A missing file is an empty state.
pub fn load(file: &Path) -> Result<Loaded, PersistError> {
    let data = match fs::read(file) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Loaded {
                groups: Vec::new(),
                damage: None,
            });
        }
        Err(source) => {
            return Err(PersistError::Io {
                file: file.to_path_buf(),
                source,
            });
        }
    };
    Ok(decode(file, &data))
}

/// Decodes a whole file's bytes; `file` only names it in errors.
pub fn decode(file: &Path, data: &[u8]) -> Loaded {
    let damaged = |offset: usize, message: String| PersistError::Damaged {
        file: file.to_path_buf(),
        offset: offset as u64,
        message,
    };
    let mut groups = Vec::new();
    if data.len() < 12 || &data[..8] != MAGIC {
        return Loaded {
            groups,
            damage: Some(damaged(
                0,
                "not a Vigil pushgateway persistence file".into(),
            )),
        };
    }
    let version = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
    if version != VERSION {
        return Loaded {
            groups,
            damage: Some(damaged(8, format!("unsupported version {version}"))),
        };
    }
    let mut pos = 12;
    while pos < data.len() {
        let Some(head) = data.get(pos..pos + 8) else {
            return Loaded {
                groups,
                damage: Some(damaged(pos, "record header cut short".into())),
            };
        };
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let payload = (len <= MAX_RECORD)
            .then(|| data.get(pos + 8..pos + 8 + len))
            .flatten();
        let Some(payload) = payload else {
            return Loaded {
                groups,
                damage: Some(damaged(pos, format!("record of {len} bytes cut short"))),
            };
        };
        if crc32c::crc32c(payload) != crc {
            return Loaded {
                groups,
                damage: Some(damaged(pos, "record checksum mismatch".into())),
            };
        }
        match decode_group(payload) {
            Ok(g) => groups.push(g),
            Err(e) => {
                return Loaded {
                    groups,
                    damage: Some(damaged(pos, e)),
                };
            }
        }
        pos += 8 + len;
    }
    Loaded {
        groups,
        damage: None,
    }
}

/// Moves a damaged persistence file aside to `<file>.corrupt.<unix seconds>`
/// so that the next write does not replace it; returns the new name.
pub fn quarantine(file: &Path) -> Result<PathBuf, PersistError> {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut name = file.as_os_str().to_owned();
    name.push(format!(".corrupt.{secs}"));
    let to = PathBuf::from(name);
    fs::rename(file, &to).map_err(|source| PersistError::Io {
        file: file.to_path_buf(),
        source,
    })?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{BodyFormat, parse_body};
    use crate::store::{PushRequest, Store};

    fn sample_store() -> Store {
        let mut s = Store::new(true);
        let body = "# HELP x help\n# TYPE x gauge\nx{a=\"1\"} 1.5\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\nu 7\n";
        for job in ["a", "b/c", ""] {
            let job = if job.is_empty() { "e" } else { job };
            s.push(PushRequest {
                key: GroupingKey::from_pairs([("job", job), ("instance", "")]),
                families: parse_body(BodyFormat::Text, body.as_bytes()).unwrap(),
                replace: true,
                time: SystemTime::now(),
            })
            .unwrap();
        }
        s
    }

    #[test]
    fn round_trip() {
        let s = sample_store();
        let data = encode(s.groups());
        let loaded = decode(Path::new("f"), &data);
        assert!(loaded.damage.is_none());
        let before: Vec<&Group> = s.groups().collect();
        assert_eq!(loaded.groups.len(), before.len());
        for (a, b) in loaded.groups.iter().zip(before) {
            assert_eq!(a.key, b.key);
            assert_eq!(a.push_time, b.push_time);
            assert_eq!(a.families.len(), b.families.len());
            for (fa, fb) in a.families.values().zip(b.families.values()) {
                let sorted = |f: &StoredFamily| {
                    let f = f.to_family();
                    let mut v: Vec<String> = f
                        .samples
                        .iter()
                        .map(|s| format!("{:?}", (&s.labels, &s.value)))
                        .collect();
                    v.sort();
                    (f.name.clone(), f.kind, f.help.clone(), v)
                };
                assert_eq!(sorted(fa), sorted(fb));
            }
        }
    }

    #[test]
    fn damage_keeps_prefix_at_every_cut() {
        let s = sample_store();
        let data = encode(s.groups());
        for cut in 0..data.len() {
            let loaded = decode(Path::new("f"), &data[..cut]);
            // A cut at a record boundary is a valid, shorter file.
            assert!(loaded.damage.is_some() || encode(loaded.groups.iter()) == data[..cut]);
            assert!(loaded.groups.len() < 3);
        }
        let mut flipped = data.clone();
        let last = flipped.len() - 3;
        flipped[last] ^= 0x40;
        let loaded = decode(Path::new("f"), &flipped);
        assert_eq!(loaded.groups.len(), 2);
        let msg = loaded.damage.unwrap().to_string();
        assert!(msg.starts_with("f: damaged at byte offset"), "{msg}");
    }
}
