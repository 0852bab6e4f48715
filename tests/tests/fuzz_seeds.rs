//! The fuzz targets' seeds, replayed on stable as ordinary tests: the committed hand-made
//! seeds under `fuzz/seeds/`, and every recorded answer of `../shared/fixtures/recorded/`
//! aimed at the request kind that fits it (read in place, never copied; see
//! docs/decisions/0006).

use std::path::Path;

use clerk_tests::fuzzing::{decode_response, encode_decode_input};

#[test]
fn committed_decode_response_seeds_replay() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/decode_response");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        decode_response(&bytes);
        count += 1;
    }
    assert!(count >= 10, "expected the hand-made seeds, found {count}");
}

#[test]
fn every_recorded_answer_replays_as_a_decode_response_seed() {
    let flows = clerk_tests::recorded_flows();
    if flows.is_empty() {
        return; // recorded_flows() already failed under CI or printed the skip
    }
    let mut count = 0;
    for (_, exchanges) in flows {
        for exchange in exchanges {
            for selector in 0..clerk_tests::fuzzing::DECODE_COMMAND_COUNT {
                decode_response(&encode_decode_input(selector, 200, &[("authorization", "tok")], &exchange.body));
                count += 1;
            }
        }
    }
    assert_eq!(count, clerk_tests::RECORDED_FILE_COUNT * usize::from(clerk_tests::fuzzing::DECODE_COMMAND_COUNT));
}
