//! The HTTP API (work in progress).
