#!/usr/bin/env bash
# demo.sh — the README's "run the main job" command: builds mdrm (release) and runs the main
# job on the embedded defaults, with no server and no account.
#
# Usage: scripts/demo.sh [INPUT.mp4] [OUTDIR]
#   INPUT   default: ../shared/testmedia/peers/source_h264_aac_360p_10s.mp4
#   OUTDIR  default: ./demo-output (replaced)
#
# Today the main job is the fragmenter (mdrm-box fragment: init + media segments per track);
# it becomes the DASH packager once mdrm-dash lands.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED=${MDRM_SHARED:-$(cd "$ROOT/.." && pwd)/shared}
INPUT=${1:-$SHARED/testmedia/peers/source_h264_aac_360p_10s.mp4}
OUT=${2:-$ROOT/demo-output}

if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends curl ca-certificates build-essential
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi
# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

cargo build --release --locked -p mdrm-box
BIN=target/release/mdrm-box
rm -rf "$OUT"
"$BIN" info "$INPUT"
"$BIN" fragment "$INPUT" "$OUT" --segment-duration 4
echo "wrote $(find "$OUT" -type f | wc -l) files under $OUT"
