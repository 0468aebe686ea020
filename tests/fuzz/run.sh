#!/usr/bin/env bash
# Runs every fuzz target of tests/fuzz for a bounded time and fails on any crash.
#
#   tests/fuzz/run.sh [SECONDS]      # seconds per target, default 20
#
# Installs cargo-fuzz if missing (crates.io, --locked). cargo-fuzz needs nightly flags: on a
# stable toolchain they are allowed with RUSTC_BOOTSTRAP=1. Built without a sanitizer (all the
# code fuzzed is safe Rust: unsafe is forbidden in the workspace), which halves the build.
# Each target starts from its committed seeds (corpus/TARGET) plus what earlier runs found
# (target/corpus/TARGET, not committed); a crash leaves its input in artifacts/TARGET/ and the
# script exits non-zero. Reproduce one with:
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir tests/fuzz -s none TARGET tests/fuzz/artifacts/TARGET/crash-…
set -euo pipefail

SECONDS_PER_TARGET="${1:-20}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGETS=(token cookie host_data templates service admin)
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cd "$ROOT"
start=$(date +%s)
cargo fuzz build --fuzz-dir tests/fuzz -s none
echo "fuzz: built in $(( $(date +%s) - start ))s"

failed=()
for t in "${TARGETS[@]}"; do
    work="$HERE/target/corpus/$t"
    mkdir -p "$work" "$HERE/artifacts/$t"
    echo "fuzz: $t for ${SECONDS_PER_TARGET}s"
    if ! cargo fuzz run --fuzz-dir tests/fuzz -s none "$t" "$work" "$HERE/corpus/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -close_fd_mask=1; then
        failed+=("$t")
    fi
done
echo "fuzz: done in $(( $(date +%s) - start ))s"
if ((${#failed[@]})); then
    echo "fuzz: FAILED: ${failed[*]} (inputs in tests/fuzz/artifacts/)" >&2
    exit 1
fi
