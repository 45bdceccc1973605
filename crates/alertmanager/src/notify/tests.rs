//! Golden payload tests.
