#!/usr/bin/env bash
# demo.sh — the README's "run the main job" command: builds mdrm (release) and runs the main
# job on the embedded defaults, with no server and no account.
#
# Usage: scripts/demo.sh [INPUT.mp4] [OUTDIR]
#   INPUT   default: ../shared/testmedia/peers/source_h264_aac_360p_10s.mp4
#   OUTDIR  default: ./demo-output (replaced)
#
# The main job: mdrm-dash packages INPUT into an encrypted DASH presentation (cenc; Widevine,
# PlayReady and ClearKey signalling) with keys from the embedded local keystore (created on
# first use under the user's data folder), and writes keys.json for ClearKey playback tests.
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

cargo build --release --locked -p mdrm-dash -p mdrm-box
target/release/mdrm-box info "$INPUT"
target/release/mdrm-dash -i "$INPUT" -o "$OUT" --overwrite --contents-id demo \
  --write-clearkey-json --segment-duration 4
echo "wrote $(find "$OUT" -type f | wc -l) files under $OUT: $OUT/manifest.mpd (keys in $OUT/keys.json)"
