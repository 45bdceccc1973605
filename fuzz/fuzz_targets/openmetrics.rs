//! Fuzzes the OpenMetrics 1.0 parser: it must never panic, and every error
//! must point inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_exposition::fuzzing::check_parser;
use vigil_exposition::openmetrics::OpenMetricsParser;

fuzz_target!(|data: &[u8]| {
    check_parser(data, &mut OpenMetricsParser::new(data));
});
