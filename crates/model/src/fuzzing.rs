//! Invariants checked on untrusted input, shared by the `cargo fuzz` targets
//! and the test that replays their corpus in CI.

use crate::matcher::{MatchType, Matcher};

/// Treats `data` as a regex pattern (first line) and values (other lines).
/// Building the matcher must not panic, and whatever fast path it picks must
/// agree with the plain anchored, dot-matches-newline regex. Panics otherwise.
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
    let Ok(plain) = regex::Regex::new(&format!("^(?s:{pattern})$")) else {
        panic!("matcher accepted {pattern:?} but the anchored regex does not compile");
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
