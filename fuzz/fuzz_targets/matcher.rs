//! Fuzzes regex matchers: building one from any pattern must not panic, and
//! whatever fast path it picks must agree with the plain anchored regex.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    vigil_model::fuzzing::check_regex_matcher(data);
});
