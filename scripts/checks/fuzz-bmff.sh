#!/usr/bin/env bash
# Fuzz smoke run of the bmff parser and sample reader (60 s each) when cargo-fuzz is installed
# (cargo install --locked cargo-fuzz). The seed corpus comes from the shared test media.
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/../../fuzz"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "SKIPPED: cargo-fuzz is not installed (cargo install --locked cargo-fuzz)"
  exit 0
fi
SHARED=${MDRM_SHARED:-../../shared}
mkdir -p corpus/bmff_decode corpus/bmff_read
for f in "$SHARED"/testmedia/peers/*.mp4; do
  head -c 16384 "$f" > "corpus/bmff_decode/$(basename "$f").head"
  head -c 65536 "$f" > "corpus/bmff_read/$(basename "$f").head"
done
for target in bmff_decode bmff_read; do
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="${FUZZ_SECONDS:-60}" -max_len=65536 2>&1 | tail -2
done
