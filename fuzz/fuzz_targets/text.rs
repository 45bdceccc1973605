//! Fuzzes the Prometheus text 0.0.4 parser: it must never panic, and every
//! error must point inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_exposition::fuzzing::check_parser;
use vigil_exposition::text::TextParser;

fuzz_target!(|data: &[u8]| {
    check_parser(data, &mut TextParser::new(data));
});
