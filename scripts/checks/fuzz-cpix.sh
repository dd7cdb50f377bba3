#!/usr/bin/env bash
# fuzz-cpix.sh — smoke run of the `cpix_parse` fuzz target (kms-client's CPIX parser, with a
# write/parse round-trip assertion) for 60 s, seeded with the published CPIX examples.
# Skips (exit 0, says so) when cargo-fuzz is not installed. cargo fuzz needs nightly features:
# RUSTC_BOOTSTRAP=1 lets the stable toolchain provide them.
#
# Env: FUZZ_SECONDS (default 60).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "SKIPPED: cargo-fuzz is not installed (cargo install cargo-fuzz); cpix_parse not fuzzed"
  exit 0
fi
corpus=fuzz/corpus/cpix_parse
mkdir -p "$corpus"
# A crash or round-trip failure fails the script (pipefail); its report is in the last lines.
RUSTC_BOOTSTRAP=1 cargo fuzz run cpix_parse "$corpus" crates/kms-client/tests/fixtures -- \
  -max_total_time="${FUZZ_SECONDS:-60}" -max_len=65536 2>&1 | tail -25 | grep -v '^"\|^#'
echo "cpix_parse: no crash and no round-trip failure in ${FUZZ_SECONDS:-60} s"
