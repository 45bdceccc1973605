//! Body buffers shared by every scrape loop.
//!
//! A loop holding its own body buffer between scrapes keeps the largest
//! body it ever got allocated while it sleeps: with hundreds of targets
//! that is tens of megabytes for nothing, since only the few scrapes in
//! flight need one. Buffers come from this pool instead and go back after
//! the appends.

use std::sync::{Mutex, PoisonError};

/// Buffers kept while idle: enough for the scrapes that overlap in time on
/// a busy server, few enough that an idle pool stays small.
const KEEP: usize = 8;

/// Buffers larger than this are freed rather than kept, so one huge body
/// does not stay resident.
const KEEP_MAX_BYTES: usize = 16 << 20;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// An empty buffer, reused when one is free.
pub(crate) fn take() -> Vec<u8> {
    POOL.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop()
        .unwrap_or_default()
}

/// Hands a buffer back for another scrape.
pub(crate) fn give(mut buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > KEEP_MAX_BYTES {
        return;
    }
    buf.clear();
    let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    if pool.len() < KEEP {
        pool.push(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_empty() {
        let mut b = take();
        b.extend_from_slice(b"abc");
        give(b);
        let b = take();
        assert!(b.is_empty());
        give(Vec::new());
    }
}
