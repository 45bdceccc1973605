//! Fuzzes the PromQL parser: no panic on any query, and every query that
//! parses prints back to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    vigil_promql::fuzzing::check_query(data);
});
