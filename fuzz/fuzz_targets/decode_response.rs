//! Any status, headers and body as the answer to any request kind the engine can emit.
//! The checks live in `clerk_tests::fuzzing`, shared with the seed replay tests.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| clerk_tests::fuzzing::decode_response(data));
