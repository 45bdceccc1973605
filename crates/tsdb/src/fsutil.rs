//! File-system helpers for crash-safe writes: data is written to a temporary
//! name, synced, and renamed into place, and the directory is synced so the
//! rename itself survives a crash.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::Error;

/// Writes `data` to `tmp`, syncs it, renames it to `dst` and syncs the directory.
pub(crate) fn write_atomic(tmp: &Path, dst: &Path, data: &[u8]) -> Result<(), Error> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .map_err(|e| Error::io(tmp, e))?;
    f.write_all(data).map_err(|e| Error::io(tmp, e))?;
    f.sync_all().map_err(|e| Error::io(tmp, e))?;
    drop(f);
    std::fs::rename(tmp, dst).map_err(|e| Error::io(dst, e))?;
    if let Some(dir) = dst.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Syncs a directory so entries created or renamed in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}
