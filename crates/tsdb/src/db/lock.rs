//! The data directory's `lock` file, held with an exclusive `flock` for the
//! life of the [`Db`](super::Db), as Prometheus does. The kernel releases
//! the lock when the process dies, so a crash never leaves a stale lock.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use super::DbError;
use crate::error::Error;

/// An exclusively locked file; the lock is released on drop.
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
    _file: File,
}

#[cfg(unix)]
mod sys {
    use std::os::fd::AsRawFd;

    unsafe extern "C" {
        fn flock(fd: i32, operation: i32) -> i32;
    }
    const LOCK_EX: i32 = 2;
    const LOCK_NB: i32 = 4;

    /// Takes an exclusive, non-blocking lock; `false` if another holder has it.
    pub(super) fn try_lock(f: &std::fs::File) -> std::io::Result<bool> {
        // SAFETY: `flock` only reads its integer arguments; the descriptor is
        // valid for the duration of the call because `f` is borrowed.
        let rc = unsafe { flock(f.as_raw_fd(), LOCK_EX | LOCK_NB) };
        if rc == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() == std::io::ErrorKind::WouldBlock {
            Ok(false)
        } else {
            Err(e)
        }
    }
}

#[cfg(not(unix))]
mod sys {
    /// No advisory locking on this platform: always succeeds.
    pub(super) fn try_lock(_f: &std::fs::File) -> std::io::Result<bool> {
        Ok(true)
    }
}

impl DirLock {
    /// Creates (if needed) and locks `path`; [`DbError::Locked`] if another
    /// process (or another open `Db`) holds it.
    pub fn acquire(path: &Path) -> Result<DirLock, DbError> {
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        match sys::try_lock(&f) {
            Ok(true) => Ok(DirLock {
                path: path.to_path_buf(),
                _file: f,
            }),
            Ok(false) => Err(DbError::Locked {
                path: path.to_path_buf(),
            }),
            Err(e) => Err(Error::io(path, e).into()),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
