//! Fuzzes the TSDB's index decoding with damaged bytes: errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    vigil_tsdb::fuzzing::check_index(data);
});
