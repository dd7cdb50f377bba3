#!/usr/bin/env bash
# fuzz-ts.sh — 60 s smoke run of the `ts_demux` fuzz target (hls-ts: MPEG-TS demuxer whole and
# chunked, SAMPLE-AES and AES-128 decryption, m3u8 and WebVTT parsers).
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
mkdir -p fuzz/corpus/ts_demux
cargo fuzz run ts_demux -- \
  -max_total_time="${FUZZ_SECONDS:-60}" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1
