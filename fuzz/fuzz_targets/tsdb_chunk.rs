//! Fuzzes the TSDB's chunk decoding with damaged bytes: errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    vigil_tsdb::fuzzing::check_chunk(data);
});
