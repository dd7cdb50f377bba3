#!/usr/bin/env bash
# fuzz-ncg.sh — 60 s smoke run of the `ncg_open` fuzz target (NCG header parser + reader:
# arbitrary bytes, and valid files with one damaged byte that must be detected).
# Runs only when cargo-fuzz is installed; says SKIPPED otherwise.
# Env: FUZZ_SECONDS (default 60).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "SKIPPED: cargo-fuzz is not installed (cargo install cargo-fuzz)"
  exit 0
fi
# cargo fuzz needs nightly features; RUSTC_BOOTSTRAP lets the stable toolchain use them.
export RUSTC_BOOTSTRAP=1
mkdir -p fuzz/corpus/ncg_open
cargo fuzz run ncg_open -- \
  -max_total_time="${FUZZ_SECONDS:-60}" -max_len=200000 -rss_limit_mb=2048 -print_final_stats=1
