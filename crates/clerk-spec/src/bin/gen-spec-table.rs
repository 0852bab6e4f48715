//! Rewrites `crates/clerk-spec/src/operations.json` from Clerk's OpenAPI spec and
//! `undocumented.json` in `$CLERK_SHARED_DIR/fapi/` (default `<workspace>/../shared/fapi/`).
//!
//! Usage: `cargo run -p clerk-spec --bin gen-spec-table [SHARED_DIR]`
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clerk_spec::generate::{generate_from_dir, shared_dir, table_file};

fn main() -> ExitCode {
    let shared = std::env::args_os().nth(1).map_or_else(shared_dir, std::path::PathBuf::from);
    let table = match generate_from_dir(&shared) {
        Ok(table) => table,
        Err(e) => {
            eprintln!("gen-spec-table: {e}");
            return ExitCode::FAILURE;
        }
    };
    let target = table_file();
    if let Err(e) = std::fs::write(&target, &table) {
        eprintln!("gen-spec-table: cannot write {}: {e}", target.display());
        return ExitCode::FAILURE;
    }
    println!("gen-spec-table: wrote {} ({} bytes) from {}", target.display(), table.len(), shared.display());
    ExitCode::SUCCESS
}
