#!/usr/bin/env bash
# Runs one fuzz target for a number of seconds, starting from the committed seeds.
#   fuzz/run.sh decode_response 600
set -euo pipefail
target="${1:?usage: fuzz/run.sh TARGET SECONDS}"
seconds="${2:-60}"
cd "$(dirname "$0")"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p "corpus/$target"
# Real answers from the recordings beside the checkout (not committed: not ours to copy).
if [ "$target" = decode_response ]; then
  (cd .. && cargo run -q -p clerk-tests --bin make-fuzz-seeds -- recorded "fuzz/corpus/$target")
fi
cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- -max_total_time="$seconds" -rss_limit_mb=2048
