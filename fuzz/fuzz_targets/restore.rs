//! Arbitrary bytes as a persisted state: read, restore, export round trip, a few commands.
//! The body lives in `clerk_testkit::fuzzing`, shared with the stable seed replay.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| clerk_testkit::fuzzing::restore(data));
