//! Invariants checked on untrusted input, shared by the `cargo fuzz` targets
//! and the test that replays their corpus in CI.

use crate::matcher::{MatchType, Matcher};

/// Treats `data` as a regex pattern (first line) and values (other lines).
/// Building the matcher must not panic, and whatever fast path it picks must
/// agree with the plain anchored, dot-matches-newline regex of the pattern
/// (translated from Go's dialect as the matcher does). Panics otherwise.
pub fn check_regex_matcher(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let Some(pattern) = lines.next() else {
        return;
    };
    let Ok(m) = Matcher::new(MatchType::Regexp, "a", pattern) else {
        return;
    };
    // The matcher accepts Go's RE2 dialect; compare against the plain
    // regex of the same pattern translated to the `regex` crate's dialect.
    let Ok(translated) = crate::matcher::syntax::to_rust_dialect(pattern) else {
        panic!("matcher accepted {pattern:?} but its translation fails");
    };
    let Ok(plain) = regex::RegexBuilder::new(&format!("^(?s:{translated})$"))
        .nest_limit(crate::matcher::syntax::NEST_LIMIT + 8)
        .build()
    else {
        // The oracle's own size limits refused it; nothing to compare against.
        return;
    };
    let negated = Matcher::new(MatchType::NotRegexp, "a", pattern).ok();
    for value in lines.chain(["", "\n"]) {
        let want = plain.is_match(value);
        assert_eq!(
            m.matches(value),
            want,
            "pattern {pattern:?} value {value:?}"
        );
        if let Some(n) = &negated {
            assert_eq!(
                n.matches(value),
                !want,
                "negated pattern {pattern:?} value {value:?}"
            );
        }
    }
}
