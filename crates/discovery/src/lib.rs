//! Service discovery (work in progress).
