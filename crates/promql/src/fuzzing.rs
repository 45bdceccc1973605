//! Invariants of the parser on untrusted queries, shared by the `promql`
//! fuzz target and the test that replays its corpus in CI.

use crate::parse;

/// Parses `data` as a query. It must never panic; a query that parses must
/// print to text that parses again and prints identically (printing is a
/// fixed point). Trees may differ in a no-op unary `+`: like Prometheus,
/// `-Inf ^ 2` prints as `-+Inf ^ 2`, which parses with an explicit `+`.
pub fn check_query(data: &[u8]) {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    match parse(query) {
        Ok(expr) => {
            let printed = expr.to_string();
            let again = parse(&printed).unwrap_or_else(|e| {
                panic!("{query:?} printed as {printed:?}, which does not parse: {e}")
            });
            assert_eq!(
                again.to_string(),
                printed,
                "{query:?} printed as {printed:?} does not print the same after re-parsing"
            );
        }
        Err(errs) => {
            let shown = errs.to_string();
            assert!(!shown.is_empty(), "{query:?}: empty error");
        }
    }
}
