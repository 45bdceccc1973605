//! The `tombstones` file of a block: deleted time ranges per series.
//!
//! ```text
//! ┌────────────────────────┬─────────────────────┬────────────────────────────────────────────────┬─────────┐
//! │ magic(0x0130BA30) <4b> │ version(1) <1 byte> │ (ref <uvarint64>, mint <varint>, maxt <varint>)… │ CRC32C  │
//! └────────────────────────┴─────────────────────┴────────────────────────────────────────────────┴─────────┘
//! ```
//! The checksum covers the entries but not the version byte.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Error;

/// Magic number of a tombstones file.
pub(crate) const MAGIC: u32 = 0x0130_BA30;

/// Deleted intervals (inclusive) by series ID.
pub type Tombstones = BTreeMap<u64, Vec<(i64, i64)>>;

/// Writes `dir/tombstones` atomically.
pub fn write_tombstones(dir: &Path, stones: &Tombstones) -> Result<(), Error> {
    let mut b = MAGIC.to_be_bytes().to_vec();
    b.push(1);
    let body_start = b.len();
    for (r, ivs) in stones {
        for (mint, maxt) in ivs {
            crate::index::put_uvarint(&mut b, *r);
            crate::index::put_varint(&mut b, *mint);
            crate::index::put_varint(&mut b, *maxt);
        }
    }
    let crc = crc32c::crc32c(&b[body_start..]);
    b.extend_from_slice(&crc.to_be_bytes());
    crate::fsutil::write_atomic(&dir.join("tombstones.tmp"), &dir.join("tombstones"), &b)
}

/// Reads `dir/tombstones`; a missing file means no tombstones.
pub fn read_tombstones(dir: &Path) -> Result<Tombstones, Error> {
    let path = dir.join("tombstones");
    let b = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Tombstones::new()),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let bad = |m: String| Error::Corrupt {
        what: "tombstones",
        message: format!("{}: {m}", path.display()),
    };
    if b.len() < 9 {
        return Err(bad(format!("file of {} bytes is too short", b.len())));
    }
    let magic = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if magic != MAGIC {
        return Err(bad(format!("bad magic number {magic:#010x}")));
    }
    if b[4] != 1 {
        return Err(bad(format!("unsupported version {}", b[4])));
    }
    let (body, crc) = b[5..].split_at(b.len() - 9);
    if crc32c::crc32c(body) != u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]) {
        return Err(bad("checksum mismatch".into()));
    }
    let mut d = crate::record::Decbuf::new(body, "tombstones");
    let mut out = Tombstones::new();
    while !d.is_empty() {
        let r = d.uvarint()?;
        let mint = d.varint()?;
        let maxt = d.varint()?;
        out.entry(r).or_default().push((mint, maxt));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_tombstones(dir.path()).unwrap().is_empty());
        let mut t = Tombstones::new();
        t.insert(16, vec![(-5, 10), (20, i64::MAX)]);
        write_tombstones(dir.path(), &t).unwrap();
        assert_eq!(read_tombstones(dir.path()).unwrap(), t);
        let p = dir.path().join("tombstones");
        let mut b = std::fs::read(&p).unwrap();
        b[6] ^= 1;
        std::fs::write(&p, b).unwrap();
        assert!(
            read_tombstones(dir.path())
                .unwrap_err()
                .to_string()
                .contains("checksum")
        );
    }
}
