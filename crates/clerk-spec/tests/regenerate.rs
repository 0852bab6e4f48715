//! The committed table must be exactly what the generator makes of the shared spec.
#![forbid(unsafe_code)]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use clerk_spec::generate::{SPEC_FILE_NAME, generate_from_dir, shared_dir, table_file};

#[test]
fn committed_table_matches_the_spec() {
    let shared = shared_dir();
    if !shared.join("fapi").join(SPEC_FILE_NAME).is_file() {
        let message = format!(
            "the shared test data is missing: no fapi/{SPEC_FILE_NAME} under {} (set CLERK_SHARED_DIR)",
            shared.display()
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{message}");
        }
        eprintln!("\n!!!!!!!!!! SKIPPED committed_table_matches_the_spec: {message} !!!!!!!!!!\n");
        return;
    }
    let regenerated = generate_from_dir(&shared).expect("the generator reads the shared spec");
    let committed = std::fs::read_to_string(table_file()).expect("the committed table is readable");
    if regenerated != committed {
        let first_difference = regenerated
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "(one is a prefix of the other)".to_owned(), |i| format!("line {}", i + 1));
        panic!(
            "crates/clerk-spec/src/operations.json is stale (first difference at {first_difference}); \
             run `cargo run -p clerk-spec --bin gen-spec-table`"
        );
    }
}
