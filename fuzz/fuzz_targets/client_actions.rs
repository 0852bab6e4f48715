//! Any transition sequence (decoded with `arbitrary`) through the shared runner, every
//! invariant checked after every step. The body lives in `clerk_testkit::fuzzing`, shared
//! with the stable seed replay (crates/clerk-testkit/tests/fuzz_seeds.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| clerk_testkit::fuzzing::client_actions(data));
